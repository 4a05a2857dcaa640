// The rate limits a delivery keeps to, shared by every worker process through Redis: the channel's windows and
// the platform's overall pace (docs/architecture.md, a forum event, step 7). Each limit is kept as a sliding
// window, the strictest reading of "N per duration": no stretch of `durationMs` ever holds more than `max` messages,
// wherever it starts, so a fixed window or a token bucket of the same rate is never overrun either.
//
// The platform's messages are spaced evenly, one every durationMs / max, with a small burst after a pause: a
// fan-out to thousands of channels goes out at the platform's rate from the first message. A job takes the next
// free turn and waits for it in place, so jobs keep the order they asked in; turns are handed out at most half the
// platform's window ahead (at most 5 s), and a job that finds them all taken waits in place and asks again. A job
// whose channel's window is full is told how long to wait and goes back to the delayed set, having taken nothing:
// it never holds up other channels, and refused tries cost nothing.
//
// A message leaves when its job gets to it, which may be later than its turn (a busy event loop, a database read
// between): `sent()` moves its record to that moment, so the turns handed out after it keep their distance from when
// it really left. That is every turn but those already handed out, which the horizon keeps within half a window.
import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Redis, Result } from 'ioredis';
import type { PlatformAdapter } from '../lib/seams/platform.js';
import type { ChannelRecord, PlatformName } from '../lib/seams/store.js';

type Window = { max: number; durationMs: number };

/** Turns are handed out at most this far ahead (or half the platform's window, if shorter). */
const MAX_HORIZON_MS = 5000;
/**
 * After a pause (or a stall of this process) a tenth of the platform's window, at most a second's worth, may go at
 * once, as the window allows: of Telegram's 30 a second, 3. Without it a stalled process never makes up the gap.
 */
const BURST_SHARE = 0.1;
const MAX_BURST_MS = 1000;
/** A job that has waited this long in place for a platform turn (many processes sharing it) goes back to the delayed set. */
const MAX_WAIT_IN_PLACE_MS = 10_000;

/**
 * KEYS[1]: the platform's record of messages (a sorted set: ticket → when it was due, or when it left); KEYS[2]: when
 * its next turn is due at the even pace (GCRA's theoretical arrival time); KEYS[3..]: the channel's windows' records.
 * ARGV: now in ms ('' = the Redis server's clock), ticket, the platform's spacing, window, max, horizon and burst
 * (spacing 0: no pace), then max and duration of each channel window.
 * Returns { wait in ms, outcome }: 1 a turn was taken (wait for it), 0 the platform's turns within the horizon are
 * all taken, 2 the channel's window is full.
 *
 * A turn is the latest of: now; the even pace, less the burst allowed after a pause; and the moment the window
 * before it holds fewer than `max` messages, counting every record (a late one included, and turns still ahead),
 * which keeps every window around it within `max`. None of the three ever moves back, so turns never overtake one
 * another: jobs that asked first send first.
 */
const TAKE = `
local now
if ARGV[1] == '' then local t = redis.call('TIME'); now = t[1] * 1000 + t[2] / 1000 else now = tonumber(ARGV[1]) end
local ticket, spacing, window, max, horizon, burst = ARGV[2], tonumber(ARGV[3]), tonumber(ARGV[4]), tonumber(ARGV[5]), tonumber(ARGV[6]), tonumber(ARGV[7])
local turn, tat = now, now
if spacing > 0 then
  redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - window)
  tat = math.max(tonumber(redis.call('GET', KEYS[2])) or 0, now)
  turn = math.max(now, tat - burst)
  local nth = redis.call('ZRANGE', KEYS[1], -max, -max, 'WITHSCORES')
  if nth[2] then turn = math.max(turn, tonumber(nth[2]) + window) end
end
local channelFree = now
for i = 3, #KEYS do
  local cmax, duration = tonumber(ARGV[2 + 2 * i]), tonumber(ARGV[3 + 2 * i])
  redis.call('ZREMRANGEBYSCORE', KEYS[i], '-inf', now - duration)
  local nth = redis.call('ZRANGE', KEYS[i], -cmax, -cmax, 'WITHSCORES')
  if nth[2] then channelFree = math.max(channelFree, tonumber(nth[2]) + duration) end
end
if channelFree > turn then return { math.ceil(channelFree - now), 2 } end
if turn - now > horizon then return { math.ceil(turn - now - horizon), 0 } end
local at = string.format('%.3f', turn)
if spacing > 0 then
  redis.call('ZADD', KEYS[1], at, ticket)
  redis.call('PEXPIRE', KEYS[1], math.ceil(window + horizon))
  redis.call('SET', KEYS[2], string.format('%.3f', tat + spacing), 'PX', math.ceil(window + horizon))
end
for i = 3, #KEYS do
  redis.call('ZADD', KEYS[i], at, ticket)
  redis.call('PEXPIRE', KEYS[i], math.ceil(tonumber(ARGV[3 + 2 * i]) + horizon))
end
return { math.ceil(turn - now), 1 }
`;

/** KEYS: the records a ticket is in. ARGV: now ('' = the server's clock), ticket. Moves the ticket later, never earlier. */
const SENT = `
local now
if ARGV[1] == '' then local t = redis.call('TIME'); now = t[1] * 1000 + t[2] / 1000 else now = tonumber(ARGV[1]) end
local at = string.format('%.3f', now)
for i = 1, #KEYS do redis.call('ZADD', KEYS[i], 'XX', 'GT', at, ARGV[2]) end
return 0
`;

declare module 'ioredis' {
  interface RedisCommander<Context> {
    parleyTakeTurn(...args: (string | number)[]): Result<[number, number], Context>;
    parleyTurnSent(...args: (string | number)[]): Result<number, Context>;
  }
}

export interface LimiterOptions {
  /** The platform's overall limit; without it only the channel's windows apply. */
  perPlatform?: Window;
  /** Tests give a clock of their own; by default the Redis server's, one clock for every process. */
  clock?: () => number;
}

/**
 * A turn asked for: `taken` (send in `waitMs`); `platform-busy`, the platform's turns in reach are all taken (ask
 * again in `waitMs`); `channel-full` (ask again in `waitMs`). Only a taken turn is recorded.
 */
export interface Turn {
  waitMs: number;
  outcome: 'taken' | 'platform-busy' | 'channel-full';
}

const OUTCOMES = ['platform-busy', 'taken', 'channel-full'] as const;

interface Pace {
  spacing: number;
  window: number;
  max: number;
  /** Turns are handed out at most this far ahead. */
  horizon: number;
  burst: number;
}

/** The platform's limit as a pace; none (spacing 0) without one. */
function paceOf(limit: Window | undefined): Pace {
  if (!limit) return { spacing: 0, window: 0, max: 0, horizon: 0, burst: 0 };
  const { max, durationMs } = limit;
  const horizon = Math.min(MAX_HORIZON_MS, durationMs / 2);
  return { spacing: durationMs / max, window: durationMs, max, horizon, burst: Math.min(MAX_BURST_MS, durationMs * BURST_SHARE) };
}

export class ChannelLimiter {
  private readonly platformKey: string;
  private readonly scheduleKey: string;
  private readonly pace: Pace;
  private readonly longestMs: number;
  /**
   * How many jobs can hold turns at once with the next turn still in reach when one of them is done (a turn's
   * spacing to spare, for a message that left a little after its turn). More would wait in place to ask again, and
   * race each other for the next turn.
   */
  readonly jobsInReach: number;
  /** This process's turns not yet sent, by channel, to be moved to when they are (sent()). */
  private readonly unsent = new Map<string, { ticket: string; at: number }[]>();

  constructor(
    private readonly redis: Redis,
    private readonly prefix: string,
    private readonly platform: PlatformName,
    private readonly windows: readonly Window[],
    private readonly opts: LimiterOptions = {},
  ) {
    this.platformKey = `${prefix}:pace:${platform}`;
    this.scheduleKey = `${prefix}:pace:${platform}:next`;
    this.pace = paceOf(opts.perPlatform);
    const { spacing, horizon } = this.pace;
    // The epsilon: 500 / (1000 / 30) is 15, not 14.999….
    this.jobsInReach = spacing > 0 ? Math.max(1, Math.floor(horizon / spacing + 1e-9) - 1) : Infinity;
    this.longestMs = Math.max(this.pace.window, ...windows.map((w) => w.durationMs));
    if (!redis.parleyTakeTurn) redis.defineCommand('parleyTakeTurn', { lua: TAKE });
    if (!redis.parleyTurnSent) redis.defineCommand('parleyTurnSent', { lua: SENT });
  }

  /**
   * For one message to `channelKey`: 0 when it may go now (having waited in place for its platform turn), else the
   * ms to wait in the delayed set before asking again (its channel's window is full), having taken nothing.
   */
  async reserve(channelKey: string): Promise<number> {
    const giveUpAt = Date.now() + MAX_WAIT_IN_PLACE_MS;
    for (;;) {
      const turn = await this.take(channelKey);
      if (turn.outcome === 'taken') {
        await this.until(turn.waitMs);
        return 0;
      }
      if (turn.outcome === 'channel-full' || Date.now() + turn.waitMs > giveUpAt) return Math.max(1, turn.waitMs);
      await sleep(turn.waitMs);
    }
  }

  /**
   * Returns once `ms` have passed since the turn's answer came, by the real clock: a timer may fire a millisecond
   * early (it counts from the event loop's cached, whole-millisecond time), and a message early is one too many.
   */
  private async until(ms: number): Promise<void> {
    const due = performance.now() + ms;
    for (let left = ms; left > 0; left = due - performance.now()) await sleep(Math.ceil(left));
  }

  /** Takes the next turn for a message to `channelKey` if it is in reach; does not wait for it. */
  async take(channelKey: string): Promise<Turn> {
    const ticket = randomUUID();
    const keys = [this.platformKey, this.scheduleKey, ...this.windows.map((_, i) => this.channelKey(i, channelKey))];
    const { spacing, window, max, horizon, burst } = this.pace;
    const args = [this.now(), ticket, spacing, window, max, horizon, burst, ...this.windows.flatMap((w) => [w.max, w.durationMs])];
    const [waitMs, code] = await this.redis.parleyTakeTurn(keys.length, ...keys, ...args);
    const outcome = OUTCOMES[code]!;
    if (outcome === 'taken') this.remember(channelKey, ticket);
    return { waitMs, outcome };
  }

  /**
   * The message of this process's oldest unsent turn for `channelKey` is leaving now: its records move to now.
   * Never throws (a failed move only loses that correction).
   */
  async sent(channelKey: string): Promise<void> {
    const pending = this.unsent.get(channelKey);
    const oldest = pending?.shift();
    if (!oldest) return;
    if (pending!.length === 0) this.unsent.delete(channelKey);
    const keys = [...(this.pace.spacing > 0 ? [this.platformKey] : []), ...this.windows.map((_, i) => this.channelKey(i, channelKey))];
    await this.redis.parleyTurnSent(keys.length, ...keys, this.now(), oldest.ticket).catch(() => undefined);
  }

  private remember(channelKey: string, ticket: string): void {
    const now = Date.now();
    // A turn whose message never left (its job failed before sending) is forgotten once no window holds it.
    const pending = (this.unsent.get(channelKey) ?? []).filter((t) => now - t.at < this.longestMs + MAX_HORIZON_MS);
    pending.push({ ticket, at: now });
    this.unsent.set(channelKey, pending);
  }

  private channelKey(window: number, channelKey: string): string {
    return `${this.prefix}:ratelimit:${this.platform}:${window}:${channelKey}`;
  }

  private now(): string {
    return this.opts.clock ? String(this.opts.clock()) : '';
  }
}

/**
 * The adapter as the delivery jobs see it: each send, edit and delete tells the limiter when its message left.
 * Jobs reserve with the channel's id as the key (jobs/deliver.ts, jobs/follow-up.ts).
 */
export function reportingSends(adapter: PlatformAdapter, limiter: ChannelLimiter): PlatformAdapter {
  const leaving = <T>(channel: ChannelRecord, call: Promise<T>): Promise<T> => {
    void limiter.sent(String(channel.id));
    return call;
  };
  const own: Partial<PlatformAdapter> = {
    sendNotification: (channel, notification, opts) => leaving(channel, adapter.sendNotification(channel, notification, opts)),
    ...(adapter.editNotification ? { editNotification: (channel, ref, notification) => leaving(channel, adapter.editNotification!(channel, ref, notification)) } : {}),
    ...(adapter.deleteNotification ? { deleteNotification: (channel, ref) => leaving(channel, adapter.deleteNotification!(channel, ref)) } : {}),
  };
  return new Proxy(adapter, {
    get(target, prop) {
      if (Object.hasOwn(own, prop)) return own[prop as keyof PlatformAdapter];
      const value: unknown = Reflect.get(target, prop, target);
      return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
    },
  });
}
