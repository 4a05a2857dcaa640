// Redis for BullMQ and the shared rate limiters. With the embedded defaults, a private redis-server is
// started in the data folder when none answers, so `npm start` works on a fresh machine.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { Redis, type RedisOptions } from 'ioredis';
import { RedisUnavailableError } from './errors.js';
import type { Logger } from './log.js';

export const DEFAULT_REDIS_URL = 'redis://127.0.0.1:6379';

/** A connection for BullMQ workers: blocking commands must never time out (BullMQ's requirement). */
export function redisConnection(url: string, extra: RedisOptions = {}): Redis {
  return new Redis(url, { maxRetriesPerRequest: null, enableReadyCheck: true, lazyConnect: false, ...extra });
}

/** True when a Redis answers PING at `url` within a second. */
export async function redisAnswers(url: string): Promise<boolean> {
  const probe = new Redis(url, { lazyConnect: true, connectTimeout: 1000, maxRetriesPerRequest: 0, retryStrategy: () => null });
  probe.on('error', () => undefined);
  try {
    await probe.connect();
    return (await probe.ping()) === 'PONG';
  } catch {
    return false;
  } finally {
    probe.disconnect();
  }
}

function hasRedisServerBinary(): boolean {
  return spawnSync('redis-server', ['--version'], { stdio: 'ignore' }).status === 0;
}

export interface RedisHandle {
  url: string;
  /** The private server we started, if any; stopped (data kept) by stop(). */
  stop(): Promise<void>;
}

/**
 * Makes sure a Redis answers. When `explicit` is false (REDIS_URL not set) and nothing answers on the default,
 * starts a private redis-server on that port with its data (append-only file) in `dataDir`.
 */
export async function ensureRedis(opts: { url: string; explicit: boolean; dataDir: string; log: Logger }): Promise<RedisHandle> {
  const { url, explicit, dataDir, log } = opts;
  if (await redisAnswers(url)) return { url, stop: async () => undefined };
  const where = new URL(url);
  if (explicit) {
    throw new RedisUnavailableError(`REDIS_URL: no Redis answers at ${where.host}. Start one there, or unset REDIS_URL to let Parley start a private one.`);
  }
  if (!hasRedisServerBinary()) {
    throw new RedisUnavailableError(
      `No Redis answers at ${where.host} and there is no redis-server binary to start one. ` +
        'Install Redis (Debian/Ubuntu: apt-get install redis-server; macOS: brew install redis) or set REDIS_URL=redis://HOST:PORT.',
    );
  }
  const dir = path.resolve(dataDir, 'redis');
  mkdirSync(dir, { recursive: true });
  const port = where.port || '6379';
  log.info({ port, dir }, 'no Redis answered: starting a private redis-server');
  const child: ChildProcess = spawn(
    'redis-server',
    ['--bind', '127.0.0.1', '--port', port, '--dir', dir, '--appendonly', 'yes', '--save', '', '--logfile', 'redis.log'],
    { stdio: 'ignore' },
  );
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  for (let i = 0; i < 50; i++) {
    if (await redisAnswers(url)) {
      return {
        url,
        stop: async () => {
          child.kill('SIGTERM'); // redis-server flushes its append-only file on SIGTERM
          await exited;
        },
      };
    }
    if (child.exitCode !== null) break;
    await new Promise((r) => setTimeout(r, 100));
  }
  child.kill('SIGKILL');
  throw new RedisUnavailableError(`The private redis-server did not start (see ${path.join(dir, 'redis.log')}).`);
}
