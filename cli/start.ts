// `parley start [--role web|bots|workers ...]`: runs Parley until SIGTERM or SIGINT. The first signal
// stops it cleanly (in-flight jobs finish, connections close); a second one exits at once.
import { InvalidArgumentError, type Command } from 'commander';
import { PLATFORMS } from '../bots/registry.js';
import type { Role } from './app/index.js';
import { loadConfig } from '../lib/config.js';
import { createLogger } from '../lib/log.js';

const ROLES: readonly Role[] = ['web', 'bots', 'workers'];

/** `--role web bots`, `--role web,workers` and `--role web --role bots` all add up. */
function collectRoles(value: string, previous: Role[] | undefined): Role[] {
  const roles = [...(previous ?? [])];
  for (const word of value.split(',').map((w) => w.trim().toLowerCase()).filter((w) => w !== '')) {
    if (!(ROLES as readonly string[]).includes(word)) throw new InvalidArgumentError(`"${word}" is not a role: use ${ROLES.join(', ')}.`);
    if (!roles.includes(word as Role)) roles.push(word as Role);
  }
  return roles;
}

async function start(opts: { role?: Role[] }): Promise<void> {
  // Not cli/context.ts's loadCliConfig, which loads the store: the port opens before anything heavy loads, and a
  // ConfigError is worded by cli/main.ts ("parley: cannot start: …", exit code 2).
  const config = loadConfig(process.env, PLATFORMS);
  const log = createLogger({ level: config.logLevel });
  const roles = opts.role && opts.role.length > 0 ? opts.role : ROLES;
  // Loaded here, not at the top: the other commands need none of the service's parts.
  const { startApp } = await import('./app/index.js');
  const app = await startApp({ config, log, roles });
  log.info({ roles }, 'parley started');

  await new Promise<void>((resolve) => {
    let stopping = false;
    const onSignal = (signal: NodeJS.Signals) => {
      if (stopping) {
        log.warn(`${signal} again: exiting without waiting for the clean stop`);
        process.exit(1);
      }
      stopping = true;
      log.info(`${signal}: stopping (send it again to exit at once)`);
      app
        .stop()
        .catch((err: unknown) => log.error({ err: (err as Error).message }, 'error while stopping'))
        .finally(resolve);
    };
    process.on('SIGTERM', onSignal);
    process.on('SIGINT', onSignal);
  });
  log.info('parley stopped');
}

export function startCommand(program: Command): void {
  program
    .command('start')
    .description('run Parley: HTTP server (web), chat connections (bots) and queue workers (workers); all three by default')
    .option('--role <role...>', `run only these roles: ${ROLES.join(', ')}`, collectRoles)
    .action(start);
}
