// The environment a benchmark's whole Parley runs on: a SQLite file in its own folder, its own BullMQ prefix on the
// shared Redis, port 0, signed forum webhooks delivered without the usual delay.
import { randomUUID } from 'node:crypto';
import path from 'node:path';

export const BENCH_REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
export const BENCH_WEBHOOK_SECRET = 'bench-webhook-secret';
/** The default PARLEY_WORKER_CONCURRENCY, used by Parley and the baselines alike. */
export const BENCH_CONCURRENCY = 10;

export function benchEnv(dir: string): Record<string, string> {
  return {
    DATABASE_URL: path.join(dir, 'parley.db'),
    PARLEY_DATA_DIR: dir,
    REDIS_URL: BENCH_REDIS_URL,
    PARLEY_QUEUE_PREFIX: `bench-${randomUUID()}`,
    PORT: '0',
    PARLEY_HOST: '127.0.0.1',
    PARLEY_DISCOURSE_URL: 'http://forum.example',
    PARLEY_DISCOURSE_WEBHOOK_SECRET: BENCH_WEBHOOK_SECRET,
    PARLEY_DELIVERY_DELAY_SECONDS: '0',
    PARLEY_WORKER_CONCURRENCY: String(BENCH_CONCURRENCY),
  };
}
