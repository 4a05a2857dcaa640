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
// it really left. That is every turn but those already handed out, which the horizon keeps within half a window. The
// move goes with this process's next ask for a turn (no round trip of its own), or alone within SENT_FLUSH_MS: this
// process's turns always see it, another process's from then on.
//
// A platform that cannot be reached (docs/architecture.md#faults) is an outage, kept beside the pace: no turns until
// its `down` time, then one message, the probe, gets a turn while the others wait; the probe's answer ends the outage,
// or its failure doubles the wait (up to a minute). Jobs waiting for it hold nothing but their own place: a few wait
// in place, the rest stay queued in order. A 429 for the whole bot pauses every turn until its `paused` time.
import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Redis, Result } from 'ioredis';
import { PlatformRateLimitedError, PlatformUnreachableError } from '../lib/errors.js';
import type { Logger } from '../lib/log.js';
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

/** How an outage is waited out: the first wait, its cap (each failed probe doubles it), and how long a probe may take. */
export interface OutageTiming {
  firstBackoffMs: number;
  maxBackoffMs: number;
  /** A probe that has not answered in this long is taken for lost (its process died): the next message probes. */
  probeLeaseMs: number;
}
const OUTAGE_TIMING: OutageTiming = { firstBackoffMs: 1000, maxBackoffMs: 60_000, probeLeaseMs: 15_000 };
/** Jobs waiting behind a probe in flight look again this often, so that they go soon after it is answered. */
const PROBE_POLL_MS = 500;
/** An outage record outlives its last change by this much: a Parley stopped mid-outage leaves nothing behind for good. */
const OUTAGE_TTL_MS = 24 * 3600_000;

const NOW = `
local now
if ARGV[1] == '' then local t = redis.call('TIME'); now = t[1] * 1000 + t[2] / 1000 else now = tonumber(ARGV[1]) end
`;

/**
 * Moves the records of messages that have left (sent()) to when they left, later and never earlier. ARGV from
 * `arg`: each message's ticket and how many ms before now it left; KEYS from `key`: each message's `perMessage` channel
 * window records; `platform`, the platform's record, or nil without a pace.
 */
const MOVE_SENT = `
local function moveSent(now, platform, arg, count, key, perMessage)
  for j = 0, count - 1 do
    local ticket, at = ARGV[arg + 2 * j], string.format('%.3f', now - tonumber(ARGV[arg + 2 * j + 1]))
    if platform then redis.call('ZADD', platform, 'XX', 'GT', at, ticket) end
    for k = key + j * perMessage, key + (j + 1) * perMessage - 1 do redis.call('ZADD', KEYS[k], 'XX', 'GT', at, ticket) end
  end
end
`;

/**
 * KEYS[1]: the platform's record of messages (a sorted set: ticket → when it was due, or when it left); KEYS[2]: when
 * its next turn is due at the even pace (GCRA's theoretical arrival time); KEYS[3]: the platform's outage (a hash:
 * `paused` and `down` until when, the `probe` in flight, `backoff`, `since`); then the channel's windows' records; then
 * the watched keys, if any (a key whose existence means no turn, and a key to read); then the window records of the
 * messages sent since this process last asked (sent()), a channel's windows each.
 * ARGV: now in ms ('' = the Redis server's clock), ticket, the platform's spacing, window, max, horizon and burst
 * (spacing 0: no pace), the probe's lease, the number of channel windows, of watched keys (0 or 2) and of messages
 * sent; then max and duration of each channel window; then each sent message's ticket and how long ago it left.
 * Returns { wait in ms, outcome, flag, the read key's value }: 1 a turn was taken (wait for it; flag 1: it is the
 * outage's probe), 0 the platform's turns within the horizon are all taken, 2 the channel's window is full, 3 the
 * platform is paused or down (flag 1: a probe is in flight, whose answer may end it sooner), 4 the first watched key
 * exists (nothing taken).
 *
 * A turn is the latest of: now; the even pace, less the burst allowed after a pause; and the moment the window
 * before it holds fewer than `max` messages, counting every record (a late one included, and turns still ahead),
 * which keeps every window around it within `max`. None of the three ever moves back, so turns never overtake one
 * another: jobs that asked first send first.
 */
const TAKE = `${NOW}${MOVE_SENT}
local ticket, spacing, window, max, horizon, burst = ARGV[2], tonumber(ARGV[3]), tonumber(ARGV[4]), tonumber(ARGV[5]), tonumber(ARGV[6]), tonumber(ARGV[7])
local windows, watched, sent = tonumber(ARGV[9]), tonumber(ARGV[10]), tonumber(ARGV[11])
moveSent(now, spacing > 0 and KEYS[1] or nil, 12 + 2 * windows, sent, 4 + windows + watched, windows)
local read = false
if watched > 0 then
  if redis.call('EXISTS', KEYS[4 + windows]) == 1 then return { 0, 4, 0 } end
  read = redis.call('GET', KEYS[5 + windows])
end
local outage = redis.call('HMGET', KEYS[3], 'paused', 'down', 'probe')
local paused, down = tonumber(outage[1]), tonumber(outage[2])
if paused and paused > now then return { math.ceil(paused - now), 3, 0 } end
if down and down > now then return { math.ceil(down - now), 3, (outage[3] and outage[3] ~= '') and 1 or 0 } end
local turn, tat = now, now
if spacing > 0 then
  redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - window)
  tat = math.max(tonumber(redis.call('GET', KEYS[2])) or 0, now)
  turn = math.max(now, tat - burst)
  local nth = redis.call('ZRANGE', KEYS[1], -max, -max, 'WITHSCORES')
  if nth[2] then turn = math.max(turn, tonumber(nth[2]) + window) end
end
local channelFree = now
for i = 1, windows do
  local key, cmax, duration = KEYS[3 + i], tonumber(ARGV[10 + 2 * i]), tonumber(ARGV[11 + 2 * i])
  redis.call('ZREMRANGEBYSCORE', key, '-inf', now - duration)
  local nth = redis.call('ZRANGE', key, -cmax, -cmax, 'WITHSCORES')
  if nth[2] then channelFree = math.max(channelFree, tonumber(nth[2]) + duration) end
end
if channelFree > turn then return { math.ceil(channelFree - now), 2, 0, read } end
if turn - now > horizon then return { math.ceil(turn - now - horizon), 0, 0, read } end
local at = string.format('%.3f', turn)
if spacing > 0 then
  redis.call('ZADD', KEYS[1], at, ticket)
  redis.call('PEXPIRE', KEYS[1], math.ceil(window + horizon))
  redis.call('SET', KEYS[2], string.format('%.3f', tat + spacing), 'PX', math.ceil(window + horizon))
end
for i = 1, windows do
  redis.call('ZADD', KEYS[3 + i], at, ticket)
  redis.call('PEXPIRE', KEYS[3 + i], math.ceil(tonumber(ARGV[11 + 2 * i]) + horizon))
end
if down then
  -- The wait is over: this message probes; the others wait for its answer, or for its lease to run out.
  redis.call('HSET', KEYS[3], 'down', string.format('%.3f', turn + tonumber(ARGV[8])), 'probe', ticket)
  redis.call('PEXPIRE', KEYS[3], ${OUTAGE_TTL_MS})
  return { math.ceil(turn - now), 1, 1, read }
end
return { math.ceil(turn - now), 1, 0, read }
`;

/**
 * The platform could not be reached. KEYS[1]: the outage. ARGV: now, the probe's ticket ('' for a message that was
 * not the probe), the first backoff, its cap. An outage begins with the first backoff; a failed probe doubles it; a
 * message sent before the outage began changes nothing. Returns { ms until the next probe, 1 if the outage began }.
 */
const DOWN = `${NOW}
local s = redis.call('HMGET', KEYS[1], 'down', 'probe', 'backoff')
local down, first = tonumber(s[1]), tonumber(ARGV[3])
if not down or (ARGV[2] ~= '' and s[2] == ARGV[2]) then
  local backoff = down and math.min((tonumber(s[3]) or first) * 2, tonumber(ARGV[4])) or first
  local wait = math.max(backoff, tonumber(ARGV[5]) or 0)
  redis.call('HSET', KEYS[1], 'down', string.format('%.3f', now + wait), 'probe', '', 'backoff', backoff)
  if not down then redis.call('HSET', KEYS[1], 'since', string.format('%.3f', now)) end
  redis.call('PEXPIRE', KEYS[1], ${OUTAGE_TTL_MS})
  return { wait, down and 0 or 1 }
end
return { math.max(1, math.ceil(down - now)), 0 }
`;

/** The probe was answered. KEYS[1]: the outage. ARGV: now, the probe's ticket. Returns how long the outage lasted (ms), or -1. */
const UP = `${NOW}
local s = redis.call('HMGET', KEYS[1], 'probe', 'since')
if s[1] ~= ARGV[2] then return -1 end
redis.call('HDEL', KEYS[1], 'down', 'probe', 'backoff', 'since')
return math.floor(now - (tonumber(s[2]) or now))
`;

/** A 429 for the whole bot. KEYS[1]: the outage. ARGV: now, ms. No turns until then (a later pause is kept). */
const PAUSE = `${NOW}
local untilAt = now + tonumber(ARGV[2])
if (tonumber(redis.call('HGET', KEYS[1], 'paused')) or 0) < untilAt then redis.call('HSET', KEYS[1], 'paused', string.format('%.3f', untilAt)) end
if redis.call('PTTL', KEYS[1]) < tonumber(ARGV[2]) then redis.call('PEXPIRE', KEYS[1], math.ceil(tonumber(ARGV[2]))) end
return 0
`;

/**
 * Messages sent with no take since to carry their moves (sent()). KEYS[1]: the platform's record; then each message's
 * channel window records. ARGV: now ('' = the server's clock), 1 if the platform has a pace, the number of channel
 * windows, then each message's ticket and how long ago it left.
 */
const SENT = `${NOW}${MOVE_SENT}
local windows = tonumber(ARGV[3])
moveSent(now, ARGV[2] == '1' and KEYS[1] or nil, 4, (#ARGV - 3) / 2, 2, windows)
return 0
`;

declare module 'ioredis' {
  interface RedisCommander<Context> {
    parleyTakeTurn(...args: (string | number)[]): Result<[number, number, number, (string | null)?], Context>;
    parleyTurnSent(...args: (string | number)[]): Result<number, Context>;
    parleyPlatformDown(...args: (string | number)[]): Result<[number, number], Context>;
    parleyPlatformUp(...args: (string | number)[]): Result<number, Context>;
    parleyPlatformPause(...args: (string | number)[]): Result<number, Context>;
  }
}

export interface LimiterOptions {
  /** The platform's overall limit; without it only the channel's windows apply. */
  perPlatform?: Window;
  /** Tests give a clock of their own; by default the Redis server's, one clock for every process. */
  clock?: () => number;
  /** How an outage is waited out (tests compress it); by default 1 s doubling to a minute. */
  outage?: Partial<OutageTiming>;
  /** Where an outage's beginning and end are logged (a logger that names the platform). */
  log?: Logger;
}

/**
 * Two keys read in the same script as a turn, so that a job asking for its turn needs no other Redis round trip to
 * learn whether it should send at all (jobs/deliver.ts: its subject's changes, jobs/queues.ts changeKeys).
 */
export interface Watch {
  /** While this key exists, no turn is taken: the answer is `watched-key-set`. */
  unless: string;
  /** This key's value comes back with the answer. */
  read: string;
}

/**
 * A turn asked for: `taken` (send in `waitMs`; `probe`: the message that tries a platform that was down);
 * `platform-busy`, the platform's turns in reach are all taken (ask again in `waitMs`); `channel-full` (ask again in
 * `waitMs`); `platform-down`, paused or unreachable until `waitMs` from now (`probe`: a probe is in flight, whose
 * answer may end it sooner); `watched-key-set`, the watch's `unless` key exists. Only a taken turn is recorded.
 */
export interface Turn {
  waitMs: number;
  outcome: 'taken' | 'platform-busy' | 'channel-full' | 'platform-down' | 'watched-key-set';
  probe?: true;
  /** Asked with a watch: its `read` key's value (null: not set). */
  read?: string | null;
}

const OUTCOMES = ['platform-busy', 'taken', 'channel-full', 'platform-down', 'watched-key-set'] as const;

/**
 * A message sent is moved to when it left by this process's next take, which carries it (no round trip of its own),
 * or after this long if no take comes first (the last message of a burst, a quiet moment).
 */
const SENT_FLUSH_MS = 10;

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
  private readonly outageKey: string;
  private readonly outage: OutageTiming;
  /** This process's probe of an outage, by channel: its answer ends the outage or prolongs it. */
  private readonly probes = new Map<string, string>();
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
  /** Messages sent whose records are still to be moved (sent()): the ticket, its channel, when it left (stamp()). */
  private moves: { ticket: string; channelKey: string; at: number }[] = [];
  private flushTimer: NodeJS.Timeout | null = null;
  /** A turn's ticket: unique to this limiter (a random prefix, then a count), cheaper than a UUID each. */
  private readonly ticketPrefix = `${randomUUID()}:`;
  private tickets = 0;
  /** TAKE's arguments that never change: the pace, the probe's lease, the number of windows; then the windows'. */
  private readonly paceArgs: readonly string[];
  private readonly windowArgs: readonly string[];

  constructor(
    private readonly redis: Redis,
    /** The process's key prefix in Redis, the queues' too (jobs/queues.ts changeKeys). */
    readonly prefix: string,
    private readonly platform: PlatformName,
    private readonly windows: readonly Window[],
    private readonly opts: LimiterOptions = {},
  ) {
    this.platformKey = `${prefix}:pace:${platform}`;
    this.scheduleKey = `${prefix}:pace:${platform}:next`;
    this.outageKey = `${prefix}:pace:${platform}:outage`;
    this.outage = { ...OUTAGE_TIMING, ...opts.outage };
    this.pace = paceOf(opts.perPlatform);
    const { spacing, horizon } = this.pace;
    // The epsilon: 500 / (1000 / 30) is 15, not 14.999….
    this.jobsInReach = spacing > 0 ? Math.max(1, Math.floor(horizon / spacing + 1e-9) - 1) : Infinity;
    this.longestMs = Math.max(this.pace.window, ...windows.map((w) => w.durationMs));
    const { window, max, burst } = this.pace;
    this.paceArgs = [spacing, window, max, horizon, burst, this.outage.probeLeaseMs, windows.length].map(String);
    this.windowArgs = windows.flatMap((w) => [String(w.max), String(w.durationMs)]);
    if (!redis.parleyTakeTurn) redis.defineCommand('parleyTakeTurn', { lua: TAKE });
    if (!redis.parleyTurnSent) redis.defineCommand('parleyTurnSent', { lua: SENT });
    if (!redis.parleyPlatformDown) redis.defineCommand('parleyPlatformDown', { lua: DOWN });
    if (!redis.parleyPlatformUp) redis.defineCommand('parleyPlatformUp', { lua: UP });
    if (!redis.parleyPlatformPause) redis.defineCommand('parleyPlatformPause', { lua: PAUSE });
  }

  /**
   * For one message to `channelKey`: 0 when it may go now (having waited in place for its platform turn), else the
   * ms to wait in the delayed set before asking again (its channel's window is full), having taken nothing.
   */
  async reserve(channelKey: string): Promise<number> {
    return (await this.reserveWatching(channelKey))!.waitMs; // null only with a watch
  }

  /**
   * reserve(), reading the watch's keys with each ask: null when its `unless` key exists (nothing taken), else the
   * wait as reserve() gives it and the `read` key's value as the last ask found it.
   */
  async reserveWatching(channelKey: string, watch?: Watch): Promise<{ waitMs: number; read: string | null } | null> {
    const giveUpAt = Date.now() + MAX_WAIT_IN_PLACE_MS;
    for (;;) {
      const turn = await this.take(channelKey, watch);
      const read = turn.read ?? null;
      if (turn.outcome === 'watched-key-set') return null;
      if (turn.outcome === 'taken') {
        await this.until(turn.waitMs);
        return { waitMs: 0, read };
      }
      // Behind a probe in flight: look again soon, since its answer may end the outage at once.
      const wait = turn.outcome === 'platform-down' && turn.probe ? Math.min(turn.waitMs, PROBE_POLL_MS) : turn.waitMs;
      if (turn.outcome === 'channel-full' || Date.now() + wait > giveUpAt) return { waitMs: Math.max(1, wait), read };
      await sleep(wait);
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

  /**
   * Takes the next turn for a message to `channelKey` if it is in reach; does not wait for it. With a watch, its keys
   * are read first. Carries the moves of the messages sent since the last take (sent()).
   */
  async take(channelKey: string, watch?: Watch): Promise<Turn> {
    const ticket = `${this.ticketPrefix}${(this.tickets++).toString(36)}`;
    const moves = this.takeMoves();
    const keys = [this.platformKey, this.scheduleKey, this.outageKey, ...this.windowKeys(channelKey)];
    if (watch) keys.push(watch.unless, watch.read);
    for (const m of moves) keys.push(...this.windowKeys(m.channelKey));
    const args = [this.now(), ticket, ...this.paceArgs, watch ? '2' : '0', String(moves.length), ...this.windowArgs, ...this.moveArgs(moves)];
    const [waitMs, code, flag, read] = await this.redis.parleyTakeTurn(keys.length, ...keys, ...args);
    const outcome = OUTCOMES[code]!;
    const probe = flag === 1;
    if (outcome === 'taken') {
      this.remember(channelKey, ticket);
      if (probe) this.probes.set(channelKey, ticket);
    }
    const turn: Turn = probe ? { waitMs, outcome, probe } : { waitMs, outcome };
    if (watch) turn.read = read ?? null;
    return turn;
  }

  /**
   * A message to `channelKey` found the platform unreachable. Begins an outage, or, from its probe, doubles the wait;
   * returns when the next probe may go.
   */
  async unreachable(channelKey: string, retryAfterMs?: number): Promise<number> {
    const probe = this.probes.get(channelKey) ?? '';
    this.probes.delete(channelKey);
    const { firstBackoffMs, maxBackoffMs } = this.outage;
    // The platform's Retry-After, when it gave one, is the least wait: up to the backoff's cap, not beyond.
    const atLeast = Math.min(Math.max(0, retryAfterMs ?? 0), maxBackoffMs);
    const [waitMs, began] = await this.redis.parleyPlatformDown(1, this.outageKey, this.now(), probe, firstBackoffMs, maxBackoffMs, atLeast);
    if (began === 1) this.opts.log?.warn({ retryInMs: waitMs }, 'platform unreachable: its deliveries wait, and one message at a time tries it');
    else if (probe) this.opts.log?.info({ retryInMs: waitMs }, 'platform still unreachable');
    return waitMs;
  }

  /** The platform answered a message to `channelKey` (whatever it said): if that was the probe, the outage is over. Never throws. */
  async answered(channelKey: string): Promise<void> {
    const probe = this.probes.get(channelKey);
    if (probe === undefined) return;
    this.probes.delete(channelKey);
    const lasted = await this.redis.parleyPlatformUp(1, this.outageKey, this.now(), probe).catch(() => -1);
    if (lasted >= 0) this.opts.log?.info({ downForMs: lasted }, 'platform answers again: its deliveries resume');
  }

  /** A 429 for the whole bot: no message to the platform for `ms`. */
  async pause(ms: number): Promise<void> {
    await this.redis.parleyPlatformPause(1, this.outageKey, this.now(), Math.max(1, Math.ceil(ms)));
  }

  /**
   * The message of this process's oldest unsent turn for `channelKey` is leaving now: its records move to now, with
   * this process's next take (which reads them after the move), or within SENT_FLUSH_MS if none comes first.
   * Never throws (a failed move only loses that correction).
   */
  async sent(channelKey: string): Promise<void> {
    const pending = this.unsent.get(channelKey);
    const oldest = pending?.shift();
    if (!oldest) return;
    if (pending!.length === 0) this.unsent.delete(channelKey);
    this.moves.push({ ticket: oldest.ticket, channelKey, at: this.stamp() });
    this.flushTimer ??= setTimeout(() => {
      this.flushTimer = null;
      void this.flushMoves();
    }, SENT_FLUSH_MS).unref();
  }

  /** Moves the records of the messages sent that no take has carried. Never throws. */
  private async flushMoves(): Promise<void> {
    const moves = this.takeMoves();
    if (moves.length === 0) return;
    const keys = [this.platformKey, ...moves.flatMap((m) => this.windowKeys(m.channelKey))];
    const args = [this.now(), this.pace.spacing > 0 ? 1 : 0, this.windows.length, ...this.moveArgs(moves)];
    await this.redis.parleyTurnSent(keys.length, ...keys, ...args).catch(() => undefined);
  }

  private takeMoves(): { ticket: string; channelKey: string; at: number }[] {
    const moves = this.moves;
    if (moves.length > 0) this.moves = [];
    return moves;
  }

  /** Each message's ticket and how long ago it left, by the clock that now() reads (the script takes it from its now). */
  private moveArgs(moves: readonly { ticket: string; at: number }[]): (string | number)[] {
    const stamp = this.stamp();
    return moves.flatMap((m) => [m.ticket, (stamp - m.at).toFixed(3)]);
  }

  /** The moment by the limiter's clock: the test's, else this process's monotonic one (only differences are sent). */
  private stamp(): number {
    return this.opts.clock ? this.opts.clock() : performance.now();
  }

  private remember(channelKey: string, ticket: string): void {
    const now = Date.now();
    // A turn whose message never left (its job failed before sending) is forgotten once no window holds it.
    const pending = (this.unsent.get(channelKey) ?? []).filter((t) => now - t.at < this.longestMs + MAX_HORIZON_MS);
    pending.push({ ticket, at: now });
    this.unsent.set(channelKey, pending);
  }

  private windowKeys(channelKey: string): string[] {
    return this.windows.map((_, i) => `${this.prefix}:ratelimit:${this.platform}:${i}:${channelKey}`);
  }

  private now(): string {
    return this.opts.clock ? String(this.opts.clock()) : '';
  }
}

/**
 * The adapter as the delivery jobs see it: each send, edit and delete tells the limiter when its message left, and
 * what came of it: an answer (which ends an outage it probed), the platform unreachable (thrown on as a
 * PlatformUnreachableError saying when to try again), a 429 for the whole bot (which pauses every turn).
 * Jobs reserve with the channel's id as the key (jobs/deliver.ts, jobs/follow-up.ts).
 */
export function reportingSends(adapter: PlatformAdapter, limiter: ChannelLimiter): PlatformAdapter {
  const leaving = <T>(channel: ChannelRecord, call: Promise<T>): Promise<T> => {
    const key = String(channel.id);
    void limiter.sent(key);
    return call.then(
      (value) => {
        void limiter.answered(key);
        return value;
      },
      async (err: unknown) => {
        if (err instanceof PlatformUnreachableError) throw new PlatformUnreachableError(err.message, await limiter.unreachable(key, err.retryAfterMs), { cause: err });
        void limiter.answered(key);
        if (err instanceof PlatformRateLimitedError && err.global) await limiter.pause(err.retryAfterMs);
        throw err;
      },
    );
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
