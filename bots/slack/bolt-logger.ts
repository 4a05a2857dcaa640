// Bolt and its Socket Mode client log through this: their lines go to Parley's logger (pino) under
// `platform: slack`, with anything that looks like a token removed first.
import type { Logger as BoltLogger } from '@slack/bolt';
// From Bolt's App module, as ./adapter.ts loads it: the index loads receivers Parley does not use.
import { LogLevel } from '@slack/bolt/dist/App.js';
import type { Logger } from '../../lib/log.js';
import { redactToken } from './errors.js';

const text = (parts: unknown[]): string =>
  redactToken(parts.map((p) => (p instanceof Error ? p.message : typeof p === 'string' ? p : JSON.stringify(p))).join(' '));

export function boltLogger(log: Logger): BoltLogger {
  let level: LogLevel = LogLevel.INFO;
  let name = 'bolt';
  return {
    debug: (...parts: unknown[]) => log.debug({ by: name }, text(parts)),
    info: (...parts: unknown[]) => log.info({ by: name }, text(parts)),
    warn: (...parts: unknown[]) => log.warn({ by: name }, text(parts)),
    error: (...parts: unknown[]) => log.error({ by: name }, text(parts)),
    // Parley's LOG_LEVEL decides what is written; Bolt only asks.
    setLevel: (l: LogLevel) => void (level = l),
    getLevel: () => level,
    setName: (n: string) => void (name = n),
  };
}
