// An in-process chat platform for the pipeline benchmark and the pipeline tests: records what it is sent, and can
// be told to answer 429 or to fail. It stands in for a real platform where the subject is Parley's pipeline itself.
// It lives with the benchmarks (tests may import bench/, bench/ never imports test/).
import { definePlatform, type AdapterFactory, type PlatformAdapter } from '../lib/seams/platform.js';
import { PlatformRateLimitedError, PlatformTransientError } from '../lib/errors.js';
import type { Notification } from '../lib/notification.js';
import type { ChannelRecord, PlatformName } from '../lib/seams/store.js';

export interface Sent {
  channel: string;
  notification: Notification;
  threadRoot: string | null;
}

/** A registry entry for a platform made in a test: always configured (it reads no variables). */
export function fakeFactory(platform: PlatformName, create: () => PlatformAdapter): AdapterFactory {
  return definePlatform({
    profile: { name: platform, label: `Fake ${platform}`, commandPrefix: '/', moderators: 'anyone (a fake platform)' },
    variables: {},
    schema: {},
    howToConfigure: '',
    settings: () => ({}),
    create: async () => create(),
  });
}

export interface FakePlatform {
  factory: AdapterFactory;
  adapter: PlatformAdapter;
  sent: Sent[];
  /** Sent messages edited afterwards, in order, and deleted ones. */
  edited: { messageRef: string; notification: Notification }[];
  deleted: string[];
  /** The messages still in the chat, by reference: sent, then edited, minus deleted. */
  shown(): Map<string, Notification>;
  /** Later answers to commands (replyLater). */
  replies: { channel: string; text: string }[];
  /** Resolves when `count` messages have been sent. */
  waitFor(count: number, timeoutMs?: number): Promise<void>;
  /** The next N sends answer 429 with this retry-after. */
  rateLimitNext(count: number, retryAfterMs: number): void;
  failNext(count: number): void;
  /** Between start() and stop(): the adapter's connection is open. */
  readonly connected: boolean;
}

/** `uniqueConnection`: the adapter's connection may be open in one process only (as Telegram's long poll). */
export function fakePlatform(platform: PlatformName, opts: { uniqueConnection?: boolean } = {}): FakePlatform {
  const sent: Sent[] = [];
  const edited: { messageRef: string; notification: Notification }[] = [];
  const deleted: string[] = [];
  const refs: string[] = [];
  const replies: { channel: string; text: string }[] = [];
  const waiters: { count: number; resolve: () => void }[] = [];
  let limited = { count: 0, ms: 0 };
  let failing = 0;
  let nextRef = 1;
  let connected = false;

  const adapter: PlatformAdapter = {
    platform,
    // No limits of its own: the benchmark measures Parley, not a platform's throttle.
    rateLimits: { perChannel: [{ max: 1_000_000, durationMs: 1000 }], perPlatform: { max: 1_000_000, durationMs: 1000 } },
    uniqueConnection: opts.uniqueConnection ?? false,
    start: async () => void (connected = true),
    stop: async () => void (connected = false),
    health: async () => ({ ok: true }),
    memberRole: async () => ({ role: 'moderator' }),
    replyLater: async (invocation, reply) => void replies.push({ channel: invocation.channel.externalId, text: reply.text }),
    async sendNotification(channel: ChannelRecord, notification, opts) {
      if (limited.count > 0) {
        limited.count--;
        throw new PlatformRateLimitedError(limited.ms);
      }
      if (failing > 0) {
        failing--;
        throw new PlatformTransientError('fake platform failure');
      }
      sent.push({ channel: channel.externalId, notification, threadRoot: opts.threadRoot });
      refs.push(String(nextRef));
      for (const w of [...waiters]) {
        if (sent.length >= w.count) {
          waiters.splice(waiters.indexOf(w), 1);
          w.resolve();
        }
      }
      return { messageRef: String(nextRef++) };
    },
    async editNotification(_channel, messageRef, notification) {
      edited.push({ messageRef, notification });
    },
    async deleteNotification(_channel, messageRef) {
      deleted.push(messageRef);
    },
  };

  return {
    sent,
    edited,
    deleted,
    shown() {
      const shown = new Map(sent.map((m, i) => [refs[i]!, m.notification]));
      for (const e of edited) if (shown.has(e.messageRef)) shown.set(e.messageRef, e.notification);
      for (const d of deleted) shown.delete(d);
      return shown;
    },
    replies,
    adapter,
    factory: fakeFactory(platform, () => adapter),
    waitFor(count, timeoutMs = 60_000) {
      if (sent.length >= count) return Promise.resolve();
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`fake ${platform}: ${sent.length} of ${count} messages after ${timeoutMs} ms`)), timeoutMs);
        waiters.push({ count, resolve: () => (clearTimeout(timer), resolve()) });
      });
    },
    rateLimitNext(count, ms) {
      limited = { count, ms };
    },
    failNext(count) {
      failing = count;
    },
    get connected() {
      return connected;
    },
  };
}
