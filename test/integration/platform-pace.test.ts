// The platform's pace (jobs/channel-limiter.ts) through real Redis, on a clock of the test's own: every figure
// comes from the turns the limiter hands out, none from how fast this machine runs. Workers are simulated one
// event at a time in virtual time: a job asks for a turn, waits for it (or goes back to wait and asks again),
// sends, maybe late, and reports it.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, describe, test } from 'node:test';
import { fakePlatform } from '../../bench/fake-platform.js';
import { ChannelLimiter, reportingSends } from '../../jobs/channel-limiter.js';
import { removeKeys } from '../../bench/redis-keys.js';
import { redisConnection } from '../../lib/redis.js';
import type { ChannelRecord } from '../../lib/seams/store.js';

const TELEGRAM_CHANNEL = [
  { max: 1, durationMs: 1000 },
  { max: 20, durationMs: 60_000 },
];
const PER_SECOND = { max: 30, durationMs: 1000 };

/** The most messages any window of `durationMs` holds (windows of the platform's definition: (t - d, t]). */
function busiestWindow(times: readonly number[], durationMs: number): number {
  const sorted = [...times].sort((a, b) => a - b);
  let most = 0;
  let first = 0;
  for (let last = 0; last < sorted.length; last++) {
    while (sorted[first]! <= sorted[last]! - durationMs) first++;
    most = Math.max(most, last - first + 1);
  }
  return most;
}

/** A tiny pseudo-random sequence, so that a failure can be replayed. */
function sequence(seed: number): () => number {
  let s = seed;
  return () => ((s = (s * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
}

interface Sim {
  now: number;
  limiter: ChannelLimiter;
}

/**
 * `workers` jobs at a time deliver one message to each of `channels`; each job's own work takes 0–20 ms, and one
 * message in `lateEvery` leaves up to `lateMs` after its turn (a busy event loop). Returns when each message left.
 */
interface FanOut {
  /** When each message left, in the order they left. */
  sentAt: number[];
  /** The channels in the order their turns were taken, and in the order their messages left. */
  takenOrder: string[];
  sentOrder: string[];
  late: number;
  /** Asks answered `platform-busy`. */
  busy: number;
}

async function fanOut(sim: Sim, opts: { channels: number; workers: number; lateEvery: number; lateMs: number; seed: number }): Promise<FanOut> {
  const random = sequence(opts.seed);
  const sent: { at: number; channel: string }[] = [];
  const takenOrder: string[] = [];
  let lateCount = 0;
  let busy = 0;
  // The pending events, in virtual time: a job asking for its turn, or sending.
  const events: { at: number; run: () => Promise<void> }[] = [];
  const schedule = (at: number, run: () => Promise<void>): void => void events.push({ at, run });
  let next = 0;
  const startJob = (at: number): void => {
    if (next >= opts.channels) return;
    const index = next++;
    const channel = `chat-${index}`;
    const ask = async (): Promise<void> => {
      const turn = await sim.limiter.take(channel);
      if (turn.outcome === 'platform-busy') busy++;
      if (turn.outcome !== 'taken') return schedule(sim.now + turn.waitMs, ask); // asks again later
      takenOrder.push(channel);
      const late = index % opts.lateEvery === opts.lateEvery - 1 ? random() * opts.lateMs : 0;
      if (late > 0) lateCount++;
      schedule(sim.now + turn.waitMs + late, async () => {
        sent.push({ at: sim.now, channel });
        await sim.limiter.sent(channel);
        startJob(sim.now + random() * 20);
      });
    };
    schedule(at + random() * 20, ask);
  };
  for (let i = 0; i < opts.workers; i++) startJob(0);
  while (events.length > 0) {
    events.sort((a, b) => a.at - b.at); // stable: events due at once run in the order they were scheduled
    const event = events.shift()!;
    sim.now = Math.max(sim.now, event.at);
    await event.run();
  }
  return { sentAt: sent.map((m) => m.at), takenOrder, sentOrder: sent.map((m) => m.channel), late: lateCount, busy };
}

describe('the platform pace', () => {
  const redis = redisConnection(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379');
  const prefixes: string[] = [];
  const simulation = (perPlatform = PER_SECOND, channelWindows = TELEGRAM_CHANNEL): Sim => {
    const prefix = `test-${randomUUID()}`;
    prefixes.push(prefix);
    const sim: Sim = { now: 1_000_000, limiter: undefined as unknown as ChannelLimiter };
    sim.limiter = new ChannelLimiter(redis, prefix, 'telegram', channelWindows, { perPlatform, clock: () => sim.now });
    return sim;
  };
  after(async () => {
    for (const prefix of prefixes) {
      await removeKeys(redis, `${prefix}*`);
    }
    redis.disconnect();
  });

  test('a fan-out to 600 chats at 30 a second: never 31 in any second, and the whole rate used', async () => {
    const sim = simulation();
    const start = sim.now;
    const { sentAt } = await fanOut(sim, { channels: 600, workers: 10, lateEvery: 1000, lateMs: 0, seed: 1 });
    assert.equal(sentAt.length, 600);
    assert.equal(busiestWindow(sentAt, 1000), 30);
    const seconds = (Math.max(...sentAt) - start) / 1000;
    // 600 at 30 a second: the last leaves 20 s after the first, give or take the first job's own work.
    assert.ok(seconds < 20.1, `took ${seconds} s`);
  });

  test('messages that leave late (up to 300 ms after their turn) still never make 31 in a second', async () => {
    const sim = simulation();
    const start = sim.now;
    const { sentAt, late } = await fanOut(sim, { channels: 600, workers: 10, lateEvery: 7, lateMs: 300, seed: 2 });
    assert.equal(sentAt.length, 600);
    assert.ok(busiestWindow(sentAt, 1000) <= 30, `busiest second: ${busiestWindow(sentAt, 1000)}`);
    // A late message makes the platform's second start later by its lateness, at most one turn's spacing.
    const seconds = (Math.max(...sentAt) - start) / 1000;
    const bound = 20 + (late * (1000 / 30)) / 1000 + 0.1;
    assert.ok(seconds < bound, `took ${seconds} s for ${late} late messages; at most ${bound} s`);
  });

  test('more jobs than turns in reach: the rest ask again later, and the pace holds', async () => {
    const sim = simulation();
    const { sentAt } = await fanOut(sim, { channels: 300, workers: 40, lateEvery: 1000, lateMs: 0, seed: 3 });
    assert.equal(sentAt.length, 300);
    assert.equal(busiestWindow(sentAt, 1000), 30);
  });

  test("with IRC's limits (4 lines at once, then one every 2 s), as many jobs as are in reach: none waits to ask again, all in order", async () => {
    const sim = simulation({ max: 4, durationMs: 16_000 }, [{ max: 8, durationMs: 16_000 }]);
    assert.equal(sim.limiter.jobsInReach, 1, 'a turn every 4 s, handed out at most 5 s ahead');
    const wider = simulation({ max: 8, durationMs: 4000 }, [{ max: 16, durationMs: 4000 }]);
    assert.equal(wider.limiter.jobsInReach, 3, 'a turn every 500 ms, handed out at most 2 s ahead, one to spare');
    for (const each of [sim, wider]) {
      const run = await fanOut(each, { channels: 20, workers: each.limiter.jobsInReach, lateEvery: 1000, lateMs: 0, seed: 5 });
      assert.equal(run.busy, 0);
      assert.deepEqual(run.sentOrder, run.takenOrder);
    }
  });

  test('after a pause 4 go at once, then one every 33 ms; no turn is handed out more than half a second ahead', async () => {
    const sim = simulation();
    const turns = [];
    for (let i = 0; i < 25; i++) turns.push(await sim.limiter.take(`chat-${i}`));
    const taken = turns.filter((t) => t.outcome === 'taken');
    // A tenth of the window (100 ms) at once: 4 now; then spaced 1000/30 ms apart up to 500 ms ahead: 15 more.
    assert.deepEqual(taken.slice(0, 5).map((t) => t.waitMs), [0, 0, 0, 0, 34]);
    assert.equal(taken.length, 19);
    assert.ok(taken.every((t) => t.waitMs <= 500));
    assert.ok(turns.slice(19).every((t) => t.outcome === 'platform-busy' && t.waitMs > 0 && t.waitMs <= 34), JSON.stringify(turns.slice(19)));
  });

  test("a chat's full window sends its job back to wait without using a platform turn", async () => {
    const sim = simulation();
    assert.deepEqual(await sim.limiter.take('busy'), { waitMs: 0, outcome: 'taken' });
    await sim.limiter.sent('busy');
    sim.now += 10;
    const refused = await sim.limiter.take('busy');
    assert.equal(refused.outcome, 'channel-full');
    assert.equal(refused.waitMs, 990, 'the chat may have its next message a second after its last one left');
    // The burst's other 3 turns are still there for other chats, and the pace resumes after them.
    for (let i = 0; i < 3; i++) assert.deepEqual(await sim.limiter.take(`quiet-${i}`), { waitMs: 0, outcome: 'taken' });
    assert.deepEqual(await sim.limiter.take('quiet-3'), { waitMs: 24, outcome: 'taken' }, '4 turns of 33 ms after the first, less the burst');
  });

  test("a message that left late moves its chat's next message back too", async () => {
    const sim = simulation();
    await sim.limiter.take('chat');
    sim.now += 400; // the job got to it 400 ms after its turn
    await sim.limiter.sent('chat');
    sim.now += 700;
    const turn = await sim.limiter.take('chat');
    assert.deepEqual(turn, { waitMs: 300, outcome: 'channel-full' }, 'a second after it left, not after its turn');
  });

  test('the adapter the delivery jobs call reports each message as it leaves', async () => {
    const sim = simulation();
    const fake = fakePlatform('telegram');
    const adapter = reportingSends(fake.adapter, sim.limiter);
    const channel = { id: 7, externalId: '-1007' } as ChannelRecord;
    await sim.limiter.take('7');
    sim.now += 400;
    await adapter.sendNotification(channel, { title: 'late' } as never, { threadRoot: null, idempotencyKey: 'k' });
    assert.equal(fake.sent.length, 1);
    sim.now += 700;
    assert.deepEqual(await sim.limiter.take('7'), { waitMs: 300, outcome: 'channel-full' });
    assert.equal(adapter.platform, 'telegram');
  });
});
