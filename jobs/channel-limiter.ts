// Per-channel rate limits shared by every worker process (Redis-backed): how long a delivery to a channel
// must wait before it may be sent. Waiting jobs go back to the delayed set, so they never block other channels.
import { RateLimiterRedis, RateLimiterRes } from 'rate-limiter-flexible';
import type { Redis } from 'ioredis';
import type { RateLimits } from '../lib/seams/platform.js';
import type { PlatformName } from '../lib/seams/store.js';

export class ChannelLimiter {
  private readonly windows: RateLimiterRedis[];

  constructor(redis: Redis, prefix: string, platform: PlatformName, limits: RateLimits['perChannel']) {
    this.windows = limits.map(
      (w, i) =>
        new RateLimiterRedis({
          storeClient: redis,
          keyPrefix: `${prefix}:ratelimit:${platform}:${i}`,
          points: w.max,
          duration: Math.max(1, Math.ceil(w.durationMs / 1000)),
        }),
    );
  }

  /**
   * Takes a slot for one message to `channelKey`; returns 0 when it may go now, else the ms to wait.
   * Windows are read before any is charged, so a job told to wait spends nothing from the longer windows.
   */
  async reserve(channelKey: string): Promise<number> {
    if (this.windows.length === 1) return this.consumeAll(channelKey);
    const states = await Promise.all(this.windows.map((w) => w.get(channelKey)));
    const full = states.map((s, i) => (s && s.consumedPoints >= this.windows[i]!.points ? s.msBeforeNext : 0));
    const wait = Math.max(0, ...full);
    if (wait > 0) return wait;
    return this.consumeAll(channelKey);
  }

  /** Charges every window; the longest wait among those already full (0 when none was). */
  private async consumeAll(channelKey: string): Promise<number> {
    let raced = 0;
    for (const window of this.windows) {
      try {
        await window.consume(channelKey, 1);
      } catch (rejection) {
        if (!(rejection instanceof RateLimiterRes)) throw rejection;
        raced = Math.max(raced, rejection.msBeforeNext); // full (or another worker took the slot after our get)
      }
    }
    return raced;
  }
}
