// Delivers one notification to one channel. At least once: the delivery row says what was sent, a retried
// job that finds it delivered does nothing, and the platform's duplicate guard gets a stable key.
import { DelayedError, UnrecoverableError, type Job } from 'bullmq';
import type { PlatformAdapter } from '../lib/seams/platform.js';
import { PlatformPermanentError, PlatformRateLimitedError, PlatformUnreachableError } from '../lib/errors.js';
import type { Logger } from '../lib/log.js';
import { metrics as processMetrics, type Metrics } from '../lib/metrics.js';
import type { Store } from '../lib/seams/store.js';
import type { ChannelLimiter } from './channel-limiter.js';
import type { DeliverJob } from '../lib/seams/jobs.js';
import { changeKeys, currentDeliverJob, editedFrom, type Changes } from './queues.js';

export interface DeliverDeps {
  store: Store;
  adapter: PlatformAdapter;
  limiter: ChannelLimiter;
  log: Logger;
  /**
   * Deleted or edited since the delivery was queued (Queues.changesOf), asked off the usual path only: the usual path
   * reads the same keys (changeKeys, under the limiter's prefix) in the script that takes its turn.
   */
  changesOf(subject: string): Promise<Changes>;
  /** Where outcomes are counted; the process's registry unless a test gives its own. */
  metrics?: Metrics;
  /** PARLEY_DELIVERY_MAX_AGE_HOURS: a delivery not sent this long after it was queued fails for good (default 24 h). */
  maxAgeMs?: number;
}

const DEFAULT_MAX_AGE_MS = 24 * 3600_000;

/**
 * What a job records in its progress (in Redis) once the platform has taken its message, so that a retry after the
 * database failed to record it (down at that moment) records it rather than sending it again.
 */
interface Taken {
  taken: { messageRef: string | null };
}
const takenBefore = (progress: unknown): Taken['taken'] | null =>
  typeof progress === 'object' && progress !== null && 'taken' in progress ? (progress as Taken).taken : null;

export type DeliverOutcome = 'delivered' | 'already-done' | 'cancelled';

/**
 * A little spread so jobs told to wait for the same window do not all wake at once, in the order the jobs were
 * made (over 100 s, then it wraps): a burst to one channel wakes, and is sent, in the forum's order.
 */
const spread = (job: Job): number => Math.floor((job.timestamp % 100_000) / 500);

/** Puts the job back in the delayed set for `ms` (plus a little spread), without spending an attempt. */
export async function postpone(job: Job, token: string | undefined, ms: number): Promise<never> {
  await job.moveToDelayed(Date.now() + ms + spread(job), token);
  throw new DelayedError();
}

/**
 * A delivery's log lines, each carrying its event's id, the correlation id of the event's path
 * (docs/architecture.md#metrics). Its logger is made for the first line written: at the usual level most deliveries
 * write none.
 */
class DeliveryLog {
  private child: Logger | undefined;

  constructor(
    private readonly log: Logger,
    private readonly data: DeliverJob,
  ) {}

  debug(fields: object, message: string): void {
    if (this.log.isLevelEnabled('debug')) this.logger().debug(fields, message);
  }

  warn(fields: object, message: string): void {
    if (this.log.isLevelEnabled('warn')) this.logger().warn(fields, message);
  }

  private logger(): Logger {
    const { eventId, deliveryId } = this.data;
    return (this.child ??= this.log.child(eventId === undefined ? { delivery: deliveryId } : { eventId, delivery: deliveryId }));
  }
}

const DELETED = 'deleted before delivery';

export function createDeliverProcessor(deps: DeliverDeps) {
  const { store, adapter, limiter } = deps;
  const metrics = deps.metrics ?? processMetrics();
  const platform = adapter.platform;
  const maxAgeMs = deps.maxAgeMs ?? DEFAULT_MAX_AGE_MS;
  /** Off the usual path, whether the subject was deleted: the reason given before any other. */
  const deleted = async (subject: string): Promise<boolean> => (await deps.changesOf(subject)).deleted;
  return async function deliver(job: Job<DeliverJob>, token?: string): Promise<DeliverOutcome> {
    const data = currentDeliverJob(job.data);
    const { deliveryId, channelId, thread } = data;
    const subject = data.notification.subject;
    const log = new DeliveryLog(deps.log, data);
    // Read in one turn, they share its read transaction (lib/store/sqlite-driver.ts).
    const [delivery, channel] = await Promise.all([store.deliveries.getByJobId(deliveryId), store.channels.get(channelId)]);
    if (!delivery || delivery.status === 'delivered' || delivery.status === 'cancelled') return 'already-done';
    const attempts = delivery.attempts + 1;
    const recordDelivered = async (sent: Taken['taken'], channelInError: boolean): Promise<DeliverOutcome> => {
      try {
        await store.deliveries.update(deliveryId, { status: 'delivered', attempts, messageRef: sent.messageRef, lastError: null });
      } catch (err) {
        await job.updateProgress({ taken: sent } satisfies Taken).catch(() => undefined);
        throw err;
      }
      if (channelInError) await store.channels.clearError(channelId);
      metrics.delivered(platform, data.acceptedAt);
      log.debug({ channel: channelId, attempt: attempts }, 'delivered');
      return 'delivered';
    };
    // In the chat already: only its record is missing.
    const taken = takenBefore(job.progress);
    if (taken) return recordDelivered(taken, channel?.status === 'error');

    const cancel = async (reason: string): Promise<DeliverOutcome> => {
      await store.deliveries.update(deliveryId, { status: 'cancelled', lastError: reason });
      metrics.delivery(platform, 'cancelled');
      log.debug({ channel: channelId, reason }, 'delivery cancelled');
      return 'cancelled';
    };
    if (!channel || channel.status === 'pending') return cancel((await deleted(subject)) ? DELETED : channel ? 'channel awaits approval' : 'channel removed');

    // The bound on waiting (docs/architecture.md#faults): a platform down for longer gets no stale announcements.
    if (Date.now() - job.timestamp > maxAgeMs) {
      if (await deleted(subject)) return cancel(DELETED);
      const message = `not delivered within ${Number((maxAgeMs / 3600_000).toPrecision(3))} hours of the event (PARLEY_DELIVERY_MAX_AGE_HOURS)${delivery.lastError ? `: ${delivery.lastError}` : ''}`;
      log.warn({ channel: channel.id }, `delivery failed for good: ${message}`);
      await store.deliveries.update(deliveryId, { status: 'failed', lastError: message });
      metrics.delivery(platform, 'failed');
      throw new UnrecoverableError(message);
    }

    // The subject's changes are read with the turn, just before sending: deleted, no turn is taken; edited, the
    // edited text is announced.
    const keys = changeKeys(limiter.prefix, subject);
    const turn = await limiter.reserveWatching(`${channel.id}`, { unless: keys.deleted, read: keys.edited });
    if (!turn) return cancel(DELETED);
    if (turn.waitMs > 0) return postpone(job, token, turn.waitMs);
    const notification = editedFrom(turn.read) ?? data.notification;

    const threadRoot = thread === null ? null : await store.deliveries.threadRoot(channel.id, thread);
    let sent: Taken['taken'];
    try {
      sent = await adapter.sendNotification(channel, notification, { threadRoot, idempotencyKey: deliveryId });
    } catch (err) {
      if (err instanceof PlatformRateLimitedError) {
        // The platform said when: wait that long, without spending an attempt.
        metrics.delivery(platform, 'rate_limited');
        log.warn({ channel: channel.id, retryAfterMs: err.retryAfterMs }, 'platform rate limit: delivery postponed');
        await store.deliveries.update(deliveryId, { lastError: err.message });
        return postpone(job, token, err.retryAfterMs);
      }
      const message = err instanceof Error ? err.message : String(err);
      if (err instanceof PlatformUnreachableError) {
        // The platform as a whole: its deliveries wait together (the limiter's outage), spending no attempt.
        metrics.delivery(platform, 'unreachable');
        log.debug({ channel: channel.id, retryInMs: err.retryAfterMs }, `platform unreachable, delivery waits: ${message}`);
        await store.deliveries.update(deliveryId, { lastError: message });
        return postpone(job, token, err.retryAfterMs ?? 1000);
      }
      if (err instanceof PlatformPermanentError) {
        log.warn({ channel: channel.id, reason: err.reason }, `delivery failed for good: ${message}`);
        await store.channels.setError(channel.id, { code: err.reason, message, raw: err.raw ?? null });
        await store.deliveries.update(deliveryId, { status: 'failed', attempts, lastError: message });
        metrics.delivery(platform, 'failed');
        throw new UnrecoverableError(message);
      }
      const lastAttempt = job.attemptsMade + 1 >= (job.opts.attempts ?? 1);
      await store.deliveries.update(deliveryId, { attempts, lastError: message, ...(lastAttempt ? { status: 'failed' as const } : {}) });
      metrics.delivery(platform, lastAttempt ? 'failed' : 'retried');
      log.warn({ channel: channel.id, attempt: attempts, lastAttempt }, `delivery failed, ${lastAttempt ? 'giving up' : 'will retry'}: ${message}`);
      throw err;
    }
    return recordDelivered(sent, channel.status === 'error');
  };
}
