// What a CLI command runs in: the validated configuration and an open store, closed again afterwards.
import { pino } from 'pino';
import { PLATFORMS } from '../bots/registry.js';
import { loadConfig, type Config } from '../lib/config.js';
import { ConfigError } from '../lib/errors.js';
import type { Logger } from '../lib/log.js';
import { openStore, type Store } from '../lib/store/index.js';
import { CliError } from './output.js';

/** Exit code for a configuration that does not validate (everything else that fails is 1). */
export const CONFIG_EXIT_CODE = 2;

export interface CliContext {
  config: Config;
  store: Store;
  /** Warnings for the person at the terminal, on stderr (stdout may be JSON for a script). */
  log: Logger;
}

/** The configuration, or a CliError listing every problem, each naming its variable. */
export function loadCliConfig(env: NodeJS.ProcessEnv = process.env): Config {
  try {
    return loadConfig(env, PLATFORMS);
  } catch (err) {
    if (err instanceof ConfigError) throw new CliError(err.message, CONFIG_EXIT_CODE);
    throw err;
  }
}

/**
 * A logger that prints `warning: message` lines to stderr rather than JSON: the CLI's helpers
 * (category and topic caches) report forum trouble through a logger, and here a person reads it.
 */
export function terminalLogger(): Logger {
  const stream = {
    write(line: string) {
      try {
        const entry = JSON.parse(line) as { msg?: string; err?: unknown };
        const detail = typeof entry.err === 'string' ? `: ${entry.err}` : '';
        process.stderr.write(`warning: ${entry.msg ?? ''}${detail}\n`);
      } catch {
        process.stderr.write(line);
      }
    },
  };
  return pino({ level: 'warn', base: undefined }, stream);
}

export async function withStore<T>(fn: (ctx: CliContext) => Promise<T>): Promise<T> {
  const config = loadCliConfig();
  const log = terminalLogger();
  const store = await openStore(config.database, { log });
  try {
    return await fn({ config, store, log });
  } finally {
    await store.close();
  }
}
