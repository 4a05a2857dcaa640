// Delivers one notification to one channel. At least once: the delivery row says what was sent, a retried
// job that finds it delivered does nothing, and the platform's duplicate guard gets a stable key.
import { DelayedError, UnrecoverableError, type Job } from 'bullmq';
import type { PlatformAdapter } from '../lib/seams/platform.js';
import { PlatformPermanentError, PlatformRateLimitedError } from '../lib/errors.js';
import type { Logger } from '../lib/log.js';
import { metrics as processMetrics, type Metrics } from '../lib/metrics.js';
import type { Notification } from '../lib/notification.js';
import type { Store } from '../lib/seams/store.js';
import type { ChannelLimiter } from './channel-limiter.js';
import type { DeliverJob } from '../lib/seams/jobs.js';
import { currentDeliverJob } from './queues.js';

export interface DeliverDeps {
  store: Store;
  adapter: PlatformAdapter;
  limiter: ChannelLimiter;
  log: Logger;
  /** Deleted or edited since the delivery was queued (Queues.changesOf). */
  changesOf(subject: string): Promise<{ deleted: boolean; edited: Notification | null }>;
  /** Where outcomes are counted; the process's registry unless a test gives its own. */
  metrics?: Metrics;
}

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

export function createDeliverProcessor(deps: DeliverDeps) {
  const { store, adapter, limiter } = deps;
  const metrics = deps.metrics ?? processMetrics();
  const platform = adapter.platform;
  return async function deliver(job: Job<DeliverJob>, token?: string): Promise<DeliverOutcome> {
    const data = currentDeliverJob(job.data);
    const { deliveryId, channelId, thread } = data;
    // Every line about this delivery carries its event's id, the correlation id of the event's path (docs/architecture.md#metrics).
    const log = deps.log.child(data.eventId === undefined ? { delivery: deliveryId } : { eventId: data.eventId, delivery: deliveryId });
    const delivery = await store.deliveries.getByJobId(deliveryId);
    if (!delivery || delivery.status === 'delivered' || delivery.status === 'cancelled') return 'already-done';

    const cancel = async (reason: string): Promise<DeliverOutcome> => {
      await store.deliveries.update(deliveryId, { status: 'cancelled', lastError: reason });
      metrics.delivery(platform, 'cancelled');
      log.debug({ channel: channelId, reason }, 'delivery cancelled');
      return 'cancelled';
    };
    const changes = await deps.changesOf(data.notification.subject);
    if (changes.deleted) return cancel('deleted before delivery');
    const notification = changes.edited ?? data.notification;
    const channel = await store.channels.get(channelId);
    if (!channel || channel.status === 'pending') return cancel(channel ? 'channel awaits approval' : 'channel removed');

    const wait = await limiter.reserve(`${channel.id}`);
    if (wait > 0) return postpone(job, token, wait);

    const threadRoot = thread === null ? null : await store.deliveries.threadRoot(channel.id, thread);
    const attempts = delivery.attempts + 1;
    try {
      const sent = await adapter.sendNotification(channel, notification, { threadRoot, idempotencyKey: deliveryId });
      await store.deliveries.update(deliveryId, { status: 'delivered', attempts, messageRef: sent.messageRef, lastError: null });
      if (channel.status === 'error') await store.channels.clearError(channel.id);
      metrics.delivered(platform, data.acceptedAt);
      log.debug({ channel: channel.id, attempt: attempts }, 'delivered');
      return 'delivered';
    } catch (err) {
      if (err instanceof PlatformRateLimitedError) {
        // The platform said when: wait that long, without spending an attempt.
        metrics.delivery(platform, 'rate_limited');
        log.warn({ channel: channel.id, retryAfterMs: err.retryAfterMs }, 'platform rate limit: delivery postponed');
        await store.deliveries.update(deliveryId, { lastError: err.message });
        return postpone(job, token, err.retryAfterMs);
      }
      const message = err instanceof Error ? err.message : String(err);
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
  };
}
