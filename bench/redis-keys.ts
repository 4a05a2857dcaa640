// Removing a run's keys from a shared Redis (queues, limiters, leases under one prefix), for the benchmarks and the
// tests that run Parley on it (tests may import bench/; bench/ never imports test/).
import type { Redis } from 'ioredis';
import { redisConnection } from '../lib/redis.js';
import { BENCH_REDIS_URL } from './app-env.js';

/** Deletes every key matching `match` (a SCAN pattern such as `prefix:*`), a thousand at a time, without blocking Redis. */
export async function removeKeys(redis: Redis, match: string): Promise<void> {
  let cursor = '0';
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', match, 'COUNT', 1000);
    if (keys.length > 0) await redis.unlink(...keys);
    cursor = next;
  } while (cursor !== '0');
}

/** A run's keys (everything under `prefix:`), on a connection of its own to `url`, closed after. */
export async function removeRunKeys(prefix: string, url = BENCH_REDIS_URL): Promise<void> {
  const redis = redisConnection(url);
  try {
    await removeKeys(redis, `${prefix}:*`);
  } finally {
    redis.disconnect();
  }
}
