// `parley …`: the admin CLI (bin/parley.js runs this compiled, from dist/, or through tsx). Errors end here: one
// message on stderr, no stack (LOG_LEVEL=debug adds it for errors that are not the user's), and an exit code:
// 2 for a configuration that does not validate, 1 for anything else.
import { readFileSync } from 'node:fs';
import { Command } from 'commander';
import { ConfigError, ParleyError } from '../lib/errors.js';
import { CliError } from './output.js';
import { startCommand } from './start.js';

/** The repo's package.json: beside cli/ when run from the sources (cli/main.ts), one level further up when compiled
 *  (dist/cli/main.js; the build does not copy it, so the version is never a stale copy's). */
const PACKAGE_JSON = new URL(import.meta.url.endsWith('.js') ? '../../package.json' : '../package.json', import.meta.url);

function version(): string {
  const pkg = JSON.parse(readFileSync(PACKAGE_JSON, 'utf8')) as { version?: string };
  return pkg.version ?? '0.0.0';
}

/** Prints what went wrong and returns the exit code. */
async function report(err: unknown, command: string | undefined): Promise<number> {
  if (err instanceof CliError) {
    process.stderr.write(`${err.message}\n`);
    return err.exitCode;
  }
  const doing = command === 'start' ? 'cannot start' : 'failed';
  if (err instanceof ConfigError) {
    process.stderr.write(`parley: ${doing}: ${err.message}\n`);
    // Here, not at the top: cli/context.ts loads the store, which `parley start` loads only once it listens.
    return (await import('./context.js')).CONFIG_EXIT_CODE;
  }
  // Parley's own errors (Redis missing, forum down, …) carry a message written for the person reading it.
  const message = err instanceof Error ? err.message : String(err);
  process.stderr.write(`parley: ${doing}: ${message}\n`);
  if (!(err instanceof ParleyError) && err instanceof Error && /^(debug|trace)$/i.test(process.env.LOG_LEVEL ?? '')) {
    process.stderr.write(`${err.stack ?? ''}\n`);
  }
  return 1;
}

/** Exits once stdout and stderr have taken everything written (pipes may be asynchronous). */
async function exit(code: number): Promise<never> {
  await Promise.all([process.stdout, process.stderr].map((s) => new Promise<void>((resolve) => s.write('', () => resolve()))));
  process.exit(code);
}

const program = new Command('parley')
  .description("Parley's admin CLI: run the service, manage channels, rules and identities, try how a forum event is routed")
  .version(version())
  .showHelpAfterError('(run with --help for usage)');
startCommand(program);
// `parley start` loads none of the admin commands (their store, forum client and helpers): the service starts
// sooner and smaller. Any other command line, `--help` included, has them all.
if (process.argv[2] !== 'start') {
  const [channels, rules, identities, route, transcript, platform] = await Promise.all([
    import('./channels.js'),
    import('./rules.js'),
    import('./identities.js'),
    import('./route.js'),
    import('./transcript.js'),
    import('./platform-commands.js'),
  ]);
  channels.channelsCommand(program);
  rules.rulesCommand(program);
  identities.identitiesCommand(program);
  route.routeCommand(program);
  transcript.transcriptCommand(program);
  platform.platformCommands(program);
}

let code = 0;
try {
  await program.parseAsync(process.argv);
  code = typeof process.exitCode === 'number' ? process.exitCode : 0;
} catch (err) {
  code = await report(err, process.argv[2]);
}
// Explicitly: a keep-alive socket or timer left by a library must not keep a finished command running.
await exit(code);
