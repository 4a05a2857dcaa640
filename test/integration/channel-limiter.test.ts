// Per-channel limits through real Redis: a full channel waits, another channel does not, and a job told
// to wait spends nothing from the longer windows.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, describe, test } from 'node:test';
import { ChannelLimiter } from '../../jobs/channel-limiter.js';
import { redisConnection } from '../../lib/redis.js';

describe('ChannelLimiter', () => {
  const redis = redisConnection(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379');
  const prefix = `test-${randomUUID()}`;
  after(async () => {
    const keys = await redis.keys(`${prefix}*`);
    if (keys.length > 0) await redis.del(...keys);
    redis.disconnect();
  });

  test('one message a second per channel: the second waits, another channel does not', async () => {
    const limiter = new ChannelLimiter(redis, prefix, 'mattermost', [{ max: 1, durationMs: 1000 }]);
    assert.equal(await limiter.reserve('a'), 0);
    const wait = await limiter.reserve('a');
    assert.ok(wait > 0 && wait <= 1000, `waits within the window, got ${wait}`);
    assert.equal(await limiter.reserve('b'), 0);
  });

  test('two windows (Telegram groups): a job refused by the short window is not charged to the long one', async () => {
    const limiter = new ChannelLimiter(redis, `${prefix}-tg`, 'telegram', [
      { max: 1, durationMs: 1000 },
      { max: 2, durationMs: 60_000 },
    ]);
    assert.equal(await limiter.reserve('g'), 0);
    for (let i = 0; i < 5; i++) assert.ok((await limiter.reserve('g')) > 0, 'short window full');
    await new Promise((r) => setTimeout(r, 1100));
    assert.equal(await limiter.reserve('g'), 0, 'the refused tries did not use up the minute window');
    const wait = await limiter.reserve('g');
    assert.ok(wait > 1000, `now the minute window is full: ${wait} ms`);
  });
});
