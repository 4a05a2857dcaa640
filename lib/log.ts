// One logger for the whole process. Secrets are redacted by key, wherever they appear in a log object.
import { pino, type Logger } from 'pino';

export type { Logger };

const SECRET_KEYS = ['token', 'apiKey', 'api_key', 'secret', 'password', 'authorization', 'Authorization', 'Api-Key', 'webhookUrl', 'webhook_url'];

export function createLogger(opts: { level?: string; name?: string } = {}): Logger {
  return pino({
    name: opts.name ?? 'parley',
    level: opts.level ?? process.env.LOG_LEVEL ?? 'info',
    redact: { paths: [...SECRET_KEYS, ...SECRET_KEYS.map((k) => `*.${k}`), ...SECRET_KEYS.map((k) => `*.*.${k}`)], censor: '[redacted]' },
  });
}

/** A logger that writes nothing, for tests and benchmarks. */
export const silentLogger: Logger = pino({ level: 'silent' });
