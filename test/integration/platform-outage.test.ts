// A platform that cannot be reached, as the limiter keeps it (jobs/channel-limiter.ts, docs/architecture.md#faults),
// through real Redis on a clock of the test's own: every message waits while it is down, one message at a time probes
// it with a doubling wait, the probe's answer lets every message go again, and a 429 for the whole bot pauses every
// channel, not just one.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, describe, test } from 'node:test';
import { ChannelLimiter, reportingSends } from '../../jobs/channel-limiter.js';
import { PlatformRateLimitedError, PlatformTransientError, PlatformUnreachableError } from '../../lib/errors.js';
import { removeKeys } from '../../bench/redis-keys.js';
import { redisConnection } from '../../lib/redis.js';
import type { PlatformAdapter } from '../../lib/seams/platform.js';
import type { ChannelRecord } from '../../lib/seams/store.js';

const OUTAGE = { firstBackoffMs: 1000, maxBackoffMs: 4000, probeLeaseMs: 10_000 };
const CHANNELS = [{ max: 1000, durationMs: 1000 }];

describe('a platform outage in the limiter', () => {
  const redis = redisConnection(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379');
  const prefix = `test-${randomUUID()}`;
  after(async () => {
    await removeKeys(redis, `${prefix}*`);
    redis.disconnect();
  });

  /** A limiter on a clock the test moves, with an outage record of its own. */
  function limiter(): { limiter: ChannelLimiter; clock: { now: number } } {
    const clock = { now: 1_000_000 };
    return { clock, limiter: new ChannelLimiter(redis, `${prefix}-${randomUUID()}`, 'mattermost', CHANNELS, { clock: () => clock.now, outage: OUTAGE }) };
  }

  test('down: every channel waits; then one probe at a time, its wait doubling to the cap; its answer ends the outage', async () => {
    const { limiter: l, clock } = limiter();
    assert.equal((await l.take('a')).outcome, 'taken');
    assert.equal(await l.unreachable('a'), 1000, 'the outage begins with the first backoff');
    for (const channel of ['a', 'b', 'c']) assert.deepEqual(await l.take(channel), { waitMs: 1000, outcome: 'platform-down' });

    const waits: number[] = [];
    for (let probes = 0; probes < 4; probes++) {
      clock.now += (await l.take('b')).waitMs;
      const probe = await l.take('b');
      assert.deepEqual([probe.outcome, probe.probe], ['taken', true], 'the first message after the wait is the probe');
      const behind = await l.take('c');
      assert.deepEqual([behind.outcome, behind.probe], ['platform-down', true], 'the others wait for its answer');
      waits.push(await l.unreachable('b'));
    }
    assert.deepEqual(waits, [2000, 4000, 4000, 4000], 'each failed probe doubles the wait, up to the cap');

    clock.now += 4000;
    assert.equal((await l.take('c')).probe, true);
    await l.answered('c');
    for (const channel of ['a', 'b', 'c']) assert.deepEqual(await l.take(channel), { waitMs: 0, outcome: 'taken' }, 'the outage is over');
  });

  test("the platform's Retry-After is the least wait, up to the backoff's cap; the doubling goes on from the backoff", async () => {
    const { limiter: l, clock } = limiter();
    await l.take('a');
    assert.equal(await l.unreachable('a', 3000), 3000, 'a 503 saying 3 s: the first probe after 3 s, not 1');
    assert.equal((await l.take('b')).waitMs, 3000);
    clock.now += 3000;
    assert.equal((await l.take('a')).probe, true);
    assert.equal(await l.unreachable('a', 60_000), 4000, 'a Retry-After beyond the cap waits the cap');
    clock.now += 4000;
    assert.equal((await l.take('a')).probe, true);
    assert.equal(await l.unreachable('a'), 4000, 'without one, the backoff as it doubled (1 s, 2 s, 4 s)');
  });

  test('a message sent before the outage began, failing late, does not make the wait longer', async () => {
    const { limiter: l } = limiter();
    await l.take('a');
    await l.take('b');
    assert.equal(await l.unreachable('a'), 1000);
    assert.equal(await l.unreachable('b'), 1000, 'the same outage, the same wait');
  });

  test('a probe that never answers (its process died) lets another message probe after its lease', async () => {
    const { limiter: l, clock } = limiter();
    await l.take('a');
    await l.unreachable('a');
    clock.now += 1000;
    assert.equal((await l.take('a')).probe, true);
    clock.now += OUTAGE.probeLeaseMs - 1;
    assert.equal((await l.take('b')).outcome, 'platform-down');
    clock.now += 1;
    assert.deepEqual(await l.take('b'), { waitMs: 0, outcome: 'taken', probe: true });
  });

  test('a 429 for the whole bot pauses every channel until then, and then every channel goes (no probe)', async () => {
    const { limiter: l, clock } = limiter();
    await l.pause(3000);
    for (const channel of ['a', 'b']) assert.deepEqual(await l.take(channel), { waitMs: 3000, outcome: 'platform-down' });
    await l.pause(1000);
    assert.equal((await l.take('a')).waitMs, 3000, 'a shorter pause does not cut a longer one short');
    clock.now += 3000;
    for (const channel of ['a', 'b']) assert.deepEqual(await l.take(channel), { waitMs: 0, outcome: 'taken' });
  });

  test('reportingSends: an unreachable platform is reported with the wait, a global 429 pauses it, a 500 for one message does neither', async () => {
    const { limiter: l } = limiter();
    const channel = (id: number) => ({ id }) as ChannelRecord;
    let next: Error | null = null;
    const adapter = reportingSends(
      {
        platform: 'mattermost',
        sendNotification: async () => {
          if (next) throw next;
          return { messageRef: 'm' };
        },
      } as unknown as PlatformAdapter,
      l,
    );
    const send = (id: number) => adapter.sendNotification(channel(id), {} as never, { threadRoot: null, idempotencyKey: 'k' });

    next = new PlatformTransientError('HTTP 500 for this message');
    await l.take('1');
    await assert.rejects(send(1), PlatformTransientError);
    assert.equal((await l.take('2')).outcome, 'taken', 'one message failing is not an outage');

    next = new PlatformUnreachableError('connect ECONNREFUSED');
    await assert.rejects(send(2), (err: unknown) => err instanceof PlatformUnreachableError && err.retryAfterMs === 1000);
    assert.equal((await l.take('3')).outcome, 'platform-down');

    const { limiter: other } = limiter();
    const paused = reportingSends({ platform: 'discord', sendNotification: async () => Promise.reject(new PlatformRateLimitedError(2000, 'global', { global: true })) } as unknown as PlatformAdapter, other);
    await assert.rejects(paused.sendNotification(channel(1), {} as never, { threadRoot: null, idempotencyKey: 'k' }), PlatformRateLimitedError);
    assert.deepEqual(await other.take('any-channel'), { waitMs: 2000, outcome: 'platform-down' });
  });
});
