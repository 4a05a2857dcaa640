// A Redis lease: at most one process holds it at a time. Bot connections that must be unique (one Telegram
// long poll per token: a second poller gets 409 Conflict) run only while their process holds the lease, and
// move to another process when the holder dies and stops renewing (docs/architecture.md#unique-connections).
//
// Timing: the holder renews every third of the lease's length, also while its connection is still starting (an IRC
// registration or a Discord login may take longer than a short lease). A standby asks again when the lease it saw
// runs out (Redis tells how long it has left), so it takes over at most one lease length after the holder's last
// renewal, which is at most that long after the holder died.
import { randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';
import type { Logger } from './log.js';

// Renew or release only what is ours: a lease that expired and was taken by another must stay theirs.
const RENEW = `if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('pexpire', KEYS[1], ARGV[2]) else return 0 end`;
const RELEASE = `if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) else return 0 end`;
// Take the lease if free; else say how many ms the holder's lease has left, in the same round trip.
const ACQUIRE = `if redis.call('set', KEYS[1], ARGV[1], 'PX', ARGV[2], 'NX') then return 'OK' end return redis.call('pttl', KEYS[1])`;

/** A standby asks again this soon after the lease it saw runs out. */
const AFTER_EXPIRY_MS = 5;

export interface LeaseOptions {
  redis: Redis;
  key: string;
  /** How long the lease lasts without renewal: how long a dead holder keeps others waiting. */
  ttlMs: number;
  log: Logger;
}

export interface LeaseHolder {
  /** Called when this process gets the lease. Throwing gives it back, for another process to try. */
  onAcquired(): Promise<void>;
  /** Called when this process loses the lease (or stops): end what onAcquired began. */
  onLost(): Promise<void>;
}

export class Lease {
  /** Unique per lease object: a restarted process is a new owner. Starts with the pid, for whoever reads the key. */
  readonly owner = `${process.pid}-${randomUUID()}`;
  private held = false;
  /** When the lease, as last renewed, runs out. */
  private heldUntil = 0;
  private timer: NodeJS.Timeout | null = null;
  private stopped = true;
  private tick: Promise<void> = Promise.resolve();
  /** The connection started under the lease: true once onAcquired resolved, false if it threw; null: none. */
  private connection: Promise<boolean> | null = null;

  constructor(private readonly opts: LeaseOptions) {}

  get isHeld(): boolean {
    return this.held;
  }

  private get every(): number {
    return Math.max(50, Math.floor(this.opts.ttlMs / 3));
  }

  /**
   * Tries at once (so a lone process starts its connection before this resolves, and a failure to start it
   * is the caller's error), then keeps renewing, or trying again, in the background.
   */
  async hold(holder: LeaseHolder): Promise<void> {
    this.stopped = false;
    const answer = await this.tryAcquire();
    this.schedule(holder, answer === true ? this.every : this.retryIn(answer));
    if (answer !== true) {
      this.opts.log.info({ lease: this.opts.key }, 'another process holds this connection; standing by to take over');
      return;
    }
    this.opts.log.info({ lease: this.opts.key }, 'holding the lease: starting this connection');
    try {
      await this.begin(holder);
    } catch (err) {
      await this.halt();
      await this.give();
      throw err;
    }
  }

  /** Stops trying, ends the connection if held, and frees the lease for another process at once. */
  async release(holder: LeaseHolder): Promise<void> {
    await this.halt();
    await this.end(holder);
    if (this.held) await this.give();
  }

  private async halt(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    await this.tick;
  }

  /** The next step in `ms`; steps never overlap. */
  private schedule(holder: LeaseHolder, ms: number): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => {
      this.tick = this.step(holder).then((next) => this.schedule(holder, next));
    }, ms);
    this.timer.unref();
  }

  /** Starts the connection; renewals go on meanwhile. A start that fails gives the lease back. */
  private begin(holder: LeaseHolder): Promise<void> {
    const starting = holder.onAcquired();
    const connection = starting.then(
      () => true,
      async () => {
        if (this.connection === connection) this.connection = null;
        if (this.held) await this.give();
        return false;
      },
    );
    this.connection = connection;
    return starting;
  }

  /** Ends the connection, once it has finished starting. */
  private async end(holder: LeaseHolder): Promise<void> {
    const connection = this.connection;
    this.connection = null;
    if (connection && (await connection)) {
      await holder.onLost().catch((err: Error) => this.opts.log.warn({ lease: this.opts.key, err: err.message }, 'stopping the connection failed'));
    }
  }

  /** One step: renew what is held, or try to take it. Returns when to take the next. */
  private async step(holder: LeaseHolder): Promise<number> {
    if (this.stopped) return this.every;
    try {
      if (this.held) {
        if (await this.renew()) return this.every;
        this.held = false;
        this.opts.log.warn({ lease: this.opts.key }, 'lost the lease (renewal came too late): stopping this connection');
        await this.end(holder);
        return this.every;
      }
      const answer = await this.tryAcquire();
      if (answer !== true) return this.retryIn(answer);
      this.opts.log.info({ lease: this.opts.key }, 'took over the lease: starting this connection');
      this.begin(holder).catch((err: Error) => {
        if (!this.stopped) this.opts.log.error({ lease: this.opts.key, err: err.message }, 'could not start the connection; giving the lease back');
      });
      return this.every;
    } catch (err) {
      // Redis unreachable: keep the connection while the lease would still be ours, then stop, because
      // another process may take it over as soon as Redis answers again.
      this.opts.log.warn({ lease: this.opts.key, err: (err as Error).message }, 'lease check failed');
      if (this.held && Date.now() >= this.heldUntil) {
        this.held = false;
        this.opts.log.warn({ lease: this.opts.key }, 'lease expired while Redis was unreachable: stopping this connection');
        await this.end(holder);
      }
      return this.every;
    }
  }

  /** When a standby asks again: as the holder's lease runs out, or sooner (a holder that stops cleanly frees it at once). */
  private retryIn(leftMs: number): number {
    return leftMs > 0 ? Math.min(this.every, leftMs + AFTER_EXPIRY_MS) : this.every;
  }

  /** True when taken; else the ms the holder's lease has left (-1: no expiry, -2: gone meanwhile). */
  private async tryAcquire(): Promise<true | number> {
    const asked = Date.now();
    const answer = await this.answer(this.opts.redis.eval(ACQUIRE, 1, this.opts.key, this.owner, String(this.opts.ttlMs)) as Promise<'OK' | number>);
    this.held = answer === 'OK';
    if (this.held) this.heldUntil = asked + this.opts.ttlMs;
    return this.held ? true : Number(answer);
  }

  private async renew(): Promise<boolean> {
    const asked = Date.now();
    const renewed = (await this.answer(this.opts.redis.eval(RENEW, 1, this.opts.key, this.owner, String(this.opts.ttlMs)))) === 1;
    if (renewed) this.heldUntil = asked + this.opts.ttlMs;
    return renewed;
  }

  /** Parley's connections queue commands while Redis is away; a lease check must not wait that long. */
  private answer<T>(command: Promise<T>): Promise<T> {
    const limit = this.every;
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`Redis did not answer within ${limit} ms`)), limit);
    });
    return Promise.race([command, late]).finally(() => clearTimeout(timer));
  }

  private async give(): Promise<void> {
    this.held = false;
    await this.opts.redis.eval(RELEASE, 1, this.opts.key, this.owner).catch(() => undefined);
  }
}
