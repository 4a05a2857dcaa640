// A Redis lease: at most one process holds it at a time. Bot connections that must be unique (one Telegram
// long poll per token: a second poller gets 409 Conflict) run only while their process holds the lease, and
// move to another process when the holder dies and stops renewing.
import { randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';
import type { Logger } from './log.js';

// Renew or release only what is ours: a lease that expired and was taken by another must stay theirs.
const RENEW = `if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('pexpire', KEYS[1], ARGV[2]) else return 0 end`;
const RELEASE = `if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) else return 0 end`;

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
  /** Unique per lease object: a restarted process is a new owner. */
  readonly owner = `${process.pid}-${randomUUID()}`;
  private held = false;
  /** When the lease, as last renewed, runs out. */
  private heldUntil = 0;
  private timer: NodeJS.Timeout | null = null;
  private stopped = false;
  private tick: Promise<void> = Promise.resolve();

  constructor(private readonly opts: LeaseOptions) {}

  get isHeld(): boolean {
    return this.held;
  }

  /**
   * Tries at once (so a lone process starts its connection before this resolves, and a failure to start it
   * is the caller's error), then keeps renewing or trying again every third of the lease's length.
   */
  async hold(holder: LeaseHolder): Promise<void> {
    this.stopped = false;
    const acquired = await this.tryAcquire();
    if (acquired) {
      try {
        await holder.onAcquired();
      } catch (err) {
        await this.give();
        throw err;
      }
    } else {
      this.opts.log.info({ lease: this.opts.key }, 'another process holds this connection; standing by to take over');
    }
    const every = Math.max(50, Math.floor(this.opts.ttlMs / 3));
    this.timer = setInterval(() => {
      this.tick = this.tick.then(() => this.step(holder));
    }, every);
    this.timer.unref();
  }

  /** Stops trying, ends the connection if held, and frees the lease for another process at once. */
  async release(holder: LeaseHolder): Promise<void> {
    this.stopped = true;
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    await this.tick;
    if (this.held) {
      await holder.onLost();
      await this.give();
    }
  }

  private async step(holder: LeaseHolder): Promise<void> {
    if (this.stopped) return;
    try {
      if (this.held) {
        if (await this.renew()) return;
        this.held = false;
        this.opts.log.warn({ lease: this.opts.key }, 'lost the lease (renewal came too late): stopping this connection');
        await holder.onLost();
        return;
      }
      if (!(await this.tryAcquire())) return;
      this.opts.log.info({ lease: this.opts.key }, 'took over the lease: starting this connection');
      try {
        await holder.onAcquired();
      } catch (err) {
        this.opts.log.error({ lease: this.opts.key, err: (err as Error).message }, 'could not start the connection; giving the lease back');
        await this.give();
      }
    } catch (err) {
      // Redis unreachable: keep the connection while the lease would still be ours, then stop, because
      // another process may take it over as soon as Redis answers again.
      this.opts.log.warn({ lease: this.opts.key, err: (err as Error).message }, 'lease check failed');
      if (this.held && Date.now() >= this.heldUntil) {
        this.held = false;
        this.opts.log.warn({ lease: this.opts.key }, 'lease expired while Redis was unreachable: stopping this connection');
        await holder.onLost().catch(() => undefined);
      }
    }
  }

  private async tryAcquire(): Promise<boolean> {
    const asked = Date.now();
    const ok = await this.answer(this.opts.redis.set(this.opts.key, this.owner, 'PX', this.opts.ttlMs, 'NX'));
    this.held = ok === 'OK';
    if (this.held) this.heldUntil = asked + this.opts.ttlMs;
    return this.held;
  }

  private async renew(): Promise<boolean> {
    const asked = Date.now();
    const renewed = (await this.answer(this.opts.redis.eval(RENEW, 1, this.opts.key, this.owner, String(this.opts.ttlMs)))) === 1;
    if (renewed) this.heldUntil = asked + this.opts.ttlMs;
    return renewed;
  }

  /** Parley's connections queue commands while Redis is away; a lease check must not wait that long. */
  private answer<T>(command: Promise<T>): Promise<T> {
    const limit = Math.max(50, Math.floor(this.opts.ttlMs / 3));
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
