// A fake chat platform that enforces rate limits the way a strict platform would, for the fan-out benchmark: a
// message over a limit is refused with a 429 (PlatformRateLimitedError, as a real adapter throws on one) and is not
// counted. Each limit is a sliding window: a message is accepted only if fewer than `max` messages were accepted in
// the `durationMs` before it, measured when the adapter is called. That is the strictest reading of "N a second":
// a pace it accepts is accepted by a fixed window of any alignment and by a token bucket of the same rate.
// Parley's adapter declares the same limits in `rateLimits`, as a real adapter declares the platform's own.
import { PlatformRateLimitedError } from '../lib/errors.js';
import type { AdapterFactory, PlatformAdapter, RateLimits } from '../lib/seams/platform.js';
import type { PlatformName } from '../lib/seams/store.js';
import { fakeFactory, fakePlatform, type Sent } from './fake-platform.js';

export interface Limit {
  max: number;
  durationMs: number;
}

/** The acceptance times of one limit's last `max` messages; refuses a message that would make `max + 1`. */
export class SlidingWindow {
  private readonly accepted: number[] = [];

  constructor(private readonly limit: Limit) {}

  /** 0 if a message at `now` fits, else the ms until the oldest of the window leaves it. Records nothing. */
  waitAt(now: number): number {
    while (this.accepted.length > 0 && this.accepted[0]! <= now - this.limit.durationMs) this.accepted.shift();
    return this.accepted.length < this.limit.max ? 0 : this.accepted[0]! + this.limit.durationMs - now;
  }

  record(now: number): void {
    this.accepted.push(now);
  }
}

export interface LimitedPlatform {
  factory: AdapterFactory;
  adapter: PlatformAdapter;
  sent: Sent[];
  /** When each accepted message was accepted (performance.now()), in order. */
  acceptedAt: number[];
  /** Messages refused with a 429. */
  readonly refused: number;
  waitFor(count: number, timeoutMs?: number): Promise<void>;
}

export function limitedPlatform(platform: PlatformName, limits: { perPlatform: Limit; perChannel: Limit }): LimitedPlatform {
  const inner = fakePlatform(platform);
  const platformWindow = new SlidingWindow(limits.perPlatform);
  const channelWindows = new Map<string, SlidingWindow>();
  const acceptedAt: number[] = [];
  let refused = 0;
  const declared: RateLimits = { perChannel: [limits.perChannel], perPlatform: limits.perPlatform };

  const adapter: PlatformAdapter = {
    ...inner.adapter,
    rateLimits: declared,
    sendNotification(channel, notification, opts) {
      // Checked synchronously on the call: the moment the request would reach the platform.
      const now = performance.now();
      let channelWindow = channelWindows.get(channel.externalId);
      if (!channelWindow) channelWindows.set(channel.externalId, (channelWindow = new SlidingWindow(limits.perChannel)));
      const wait = Math.max(platformWindow.waitAt(now), channelWindow.waitAt(now));
      if (wait > 0) {
        refused++;
        // Telegram's retry_after is whole seconds.
        return Promise.reject(new PlatformRateLimitedError(Math.ceil(wait / 1000) * 1000));
      }
      platformWindow.record(now);
      channelWindow.record(now);
      acceptedAt.push(now);
      return inner.adapter.sendNotification(channel, notification, opts);
    },
  };

  return {
    factory: fakeFactory(platform, () => adapter),
    adapter,
    sent: inner.sent,
    acceptedAt,
    get refused() {
      return refused;
    },
    waitFor: (count, timeoutMs) => inner.waitFor(count, timeoutMs),
  };
}
