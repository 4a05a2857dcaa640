// Per-channel limits through real Redis: a full channel waits, another channel does not, and a job told
// to wait spends nothing from the longer windows.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, describe, test } from 'node:test';
import { ChannelLimiter } from '../../jobs/channel-limiter.js';
import { removeKeys } from '../../bench/redis-keys.js';
import { redisConnection } from '../../lib/redis.js';

describe('ChannelLimiter', () => {
  const redis = redisConnection(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379');
  const prefix = `test-${randomUUID()}`;
  after(async () => {
    await removeKeys(redis, `${prefix}*`);
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

  test("a watched key set: no turn is taken; else the read key's value comes with the turn", async () => {
    const p = `${prefix}-watch`;
    const limiter = new ChannelLimiter(redis, p, 'mattermost', [{ max: 1, durationMs: 60_000 }]);
    const watch = { unless: `${p}:deleted:x`, read: `${p}:edited:x` };
    await redis.set(watch.unless, '1');
    assert.equal(await limiter.reserveWatching('c', watch), null);
    assert.deepEqual(await limiter.reserveWatching('c', { ...watch, unless: `${p}:deleted:y` }), { waitMs: 0, read: null }, 'the refused ask took no turn');
    await redis.set(watch.read, 'the edited text');
    const full = await limiter.reserveWatching('c', { ...watch, unless: `${p}:deleted:y` });
    assert.ok(full && full.waitMs > 0 && full.read === 'the edited text', JSON.stringify(full));
  });

  test("a message that left late is moved for another process's limiter too, with no take of this one's to carry it", async () => {
    let now = 1_000_000;
    const clock = () => now;
    const p = `${prefix}-moves`;
    const one = new ChannelLimiter(redis, p, 'mattermost', [{ max: 1, durationMs: 1000 }], { clock });
    const other = new ChannelLimiter(redis, p, 'mattermost', [{ max: 1, durationMs: 1000 }], { clock });
    assert.equal((await one.take('c')).outcome, 'taken');
    now += 400; // its message left 400 ms after its turn
    await one.sent('c');
    await new Promise((r) => setTimeout(r, 100)); // no take from `one` in the meantime
    now += 700;
    assert.deepEqual(await other.take('c'), { waitMs: 300, outcome: 'channel-full' }, 'a second after it left, not after its turn');
  });
});
