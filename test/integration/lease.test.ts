// The Redis lease that keeps a unique bot connection (one Telegram long poll) in one process at a time,
// against real Redis; then the same through whole Parley processes sharing one Redis.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, describe, it } from 'node:test';
import { Lease, type LeaseHolder } from '../../lib/lease.js';
import { silentLogger } from '../../lib/log.js';
import { redisConnection } from '../../lib/redis.js';
import { fakePlatform } from '../../bench/fake-platform.js';
import { eventually, startParley } from '../helpers/parley.js';

const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const TTL_MS = 600;

function recorder(): LeaseHolder & { running: boolean; starts: number } {
  const h = {
    running: false,
    starts: 0,
    onAcquired: async () => {
      h.running = true;
      h.starts++;
    },
    onLost: async () => {
      h.running = false;
    },
  };
  return h;
}

describe('Redis lease', () => {
  const redis = redisConnection(REDIS_URL);
  after(() => redis.disconnect());
  const lease = (key: string, connection = redis) => new Lease({ redis: connection, key, ttlMs: TTL_MS, log: silentLogger });

  it('one holder at a time; the other takes over when the holder lets go', async () => {
    const key = `test-lease-${randomUUID()}`;
    const [a, b] = [lease(key), lease(key)];
    const [ha, hb] = [recorder(), recorder()];
    await a.hold(ha);
    await b.hold(hb);
    assert.equal(ha.running, true, 'the first process starts its connection before hold() resolves');
    assert.equal(hb.running, false, 'the second stands by');
    // Renewals keep it: well past the lease's length, still the first.
    await new Promise((r) => setTimeout(r, TTL_MS * 2));
    assert.deepEqual([ha.running, hb.running], [true, false]);
    await a.release(ha);
    assert.equal(ha.running, false);
    await eventually(() => (hb.running ? true : undefined), 'the standby takes over', 5000);
    await b.release(hb);
  });

  it('a holder that stops answering loses the lease: the other takes over, and the old one stops its connection', async () => {
    const key = `test-lease-${randomUUID()}`;
    const doomed = redisConnection(REDIS_URL);
    const [a, b] = [lease(key, doomed), lease(key)];
    const [ha, hb] = [recorder(), recorder()];
    await a.hold(ha);
    await b.hold(hb);
    // The holder's Redis goes away (as when its host is cut off): it cannot renew.
    doomed.disconnect();
    await eventually(() => (hb.running ? true : undefined), 'the standby takes over after the lease runs out', 5000);
    await eventually(() => (!ha.running ? true : undefined), 'the cut-off process stops its connection', 5000);
    assert.equal(hb.starts, 1);
    await a.release(ha);
    await b.release(hb);
  });

  it('a connection slower to start than the lease keeps it: renewals go on while it starts', async () => {
    const key = `test-lease-${randomUUID()}`;
    const [a, b] = [lease(key), lease(key)];
    const hb = recorder();
    let aRunning = false;
    // An IRC registration or a Discord login that takes three lease lengths.
    const slow: LeaseHolder = {
      onAcquired: async () => {
        await new Promise((r) => setTimeout(r, TTL_MS * 3));
        aRunning = true;
      },
      onLost: async () => void (aRunning = false),
    };
    const starting = a.hold(slow);
    await eventually(async () => ((await redis.get(key)) === a.owner ? true : undefined), 'a holding the lease', 5000);
    await b.hold(hb);
    await starting;
    await new Promise((r) => setTimeout(r, TTL_MS));
    assert.deepEqual([aRunning, hb.starts], [true, 0], 'the standby never took over a lease whose holder was starting');
    await a.release(slow);
    await b.release(hb);
  });

  it('a standby takes over as the lease it saw runs out, not a check interval later', async () => {
    const key = `test-lease-${randomUUID()}`;
    const ttlMs = 9000;
    const every = ttlMs / 3;
    // A holder that died with 4.5 s of its lease left. A standby checking every third of the lease (3 s) would take
    // it only at its check at 6 s; one that asks again as the lease runs out takes it at 4.5 s.
    const left = 4500;
    const setAt = Date.now();
    await redis.set(key, 'a-dead-process', 'PX', left);
    const standby = new Lease({ redis, key, ttlMs, log: silentLogger });
    const hb = recorder();
    await standby.hold(hb);
    await eventually(() => (hb.running ? true : undefined), 'the standby takes over', 15_000);
    const after = Date.now() - setAt;
    assert.ok(after >= left - 50, `not before the lease ran out (${after} ms)`);
    // Well before the next check interval: the margin is room for a late timer on a loaded machine.
    assert.ok(after < left + every * 0.4, `taken over ${after} ms after, the lease having had ${left} ms left`);
    await standby.release(hb);
  });

  it('a start that fails gives the lease back, so another process may try', async () => {
    const key = `test-lease-${randomUUID()}`;
    const a = lease(key);
    const failing: LeaseHolder = { onAcquired: async () => Promise.reject(new Error('bad token')), onLost: async () => undefined };
    await assert.rejects(a.hold(failing), /bad token/);
    assert.equal(await redis.exists(key), 0, 'lease freed');
    await a.release(failing);
  });
});

describe('several bots processes: one long poll', () => {
  it('only the lease holder opens the connection; another opens it when the holder stops', async () => {
    const prefix = `test-${randomUUID()}`;
    const env = { PARLEY_QUEUE_PREFIX: prefix, PARLEY_BOT_LEASE_SECONDS: '1' };
    const [first, second] = [fakePlatform('telegram', { uniqueConnection: true }), fakePlatform('telegram', { uniqueConnection: true })];
    const a = await startParley({ env, platforms: [first.factory], roles: ['bots'] });
    const b = await startParley({ env, platforms: [second.factory], roles: ['bots'] });
    try {
      assert.deepEqual([first.connected, second.connected], [true, false]);
      await a.stop();
      assert.equal(first.connected, false);
      await eventually(() => (second.connected ? true : undefined), 'the second process takes over the connection', 5000);
    } finally {
      await b.stop();
    }
  });
});
