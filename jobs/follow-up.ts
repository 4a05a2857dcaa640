// Keeps a sent announcement in step with its post: an edited post edits the chat message, a deleted or hidden
// post deletes it. Runs in the platform's delivery queue, under the same per-channel limits as deliveries.
import { UnrecoverableError, type Job } from 'bullmq';
import type { PlatformAdapter } from '../lib/seams/platform.js';
import { PlatformPermanentError, PlatformRateLimitedError } from '../lib/errors.js';
import type { Logger } from '../lib/log.js';
import type { Notification } from '../lib/notification.js';
import type { Store } from '../lib/seams/store.js';
import type { ChannelLimiter } from './channel-limiter.js';
import { postpone } from './deliver.js';
import { currentFollowUpJob } from './queues.js';
import type { FollowUpJob } from '../lib/seams/jobs.js';

export interface FollowUpDeps {
  store: Store;
  adapter: PlatformAdapter;
  limiter: ChannelLimiter;
  log: Logger;
  changesOf(subject: string): Promise<{ deleted: boolean; edited: Notification | null }>;
  /** The delivery's own job is running right now (its message may be about to exist). */
  isSending(deliveryId: string): Promise<boolean>;
}

export type FollowUpOutcome = 'edited' | 'withdrawn' | 'nothing-to-change' | 'unsupported';

/** How long to wait for a delivery in flight before looking again. */
const SENDING_RECHECK_MS = 2000;

export function createFollowUpProcessor(deps: FollowUpDeps) {
  const { store, adapter, limiter } = deps;
  return async function followUp(job: Job<FollowUpJob>, token?: string): Promise<FollowUpOutcome> {
    const { deliveryId, channelId, subject, change, eventId } = currentFollowUpJob(job.data);
    // Its lines carry the id of the forum event that asked for it (docs/architecture.md#metrics).
    const log = eventId === undefined ? deps.log : deps.log.child({ eventId });
    const delivery = await store.deliveries.getByJobId(deliveryId);
    if (delivery?.status === 'queued') {
      // Being sent: wait for its message. Waiting to be sent: the delivery reads the change itself.
      if (await deps.isSending(deliveryId)) return postpone(job, token, SENDING_RECHECK_MS);
      return 'nothing-to-change';
    }
    if (delivery?.status !== 'delivered') return 'nothing-to-change';
    const ref = delivery.messageRef;
    const channel = await store.channels.get(channelId);
    if (!channel) return 'nothing-to-change';
    const supported = change === 'withdraw' ? adapter.deleteNotification !== undefined : adapter.editNotification !== undefined;
    if (!supported || ref === null) {
      // Mattermost incoming webhooks return no message id; a platform without edits cannot take it back.
      log.debug({ channel: channelId, deliveryId, change }, 'the sent message cannot be changed on this platform');
      return 'unsupported';
    }

    let edited: Notification | null = null;
    if (change === 'edit') {
      const changes = await deps.changesOf(subject);
      if (changes.deleted) return 'nothing-to-change'; // its withdrawal is queued too
      if (!changes.edited) return 'nothing-to-change';
      edited = changes.edited;
    }

    const wait = await limiter.reserve(`${channel.id}`);
    if (wait > 0) return postpone(job, token, wait);
    try {
      if (edited) {
        await adapter.editNotification!(channel, ref, edited);
        log.debug({ channel: channel.id, deliveryId }, 'sent message edited');
        return 'edited';
      }
      await adapter.deleteNotification!(channel, ref);
    } catch (err) {
      if (err instanceof PlatformRateLimitedError) return postpone(job, token, err.retryAfterMs);
      if (!(err instanceof PlatformPermanentError && err.reason === 'message_not_found')) {
        const message = err instanceof Error ? err.message : String(err);
        if (err instanceof PlatformPermanentError) {
          // Too old to change (Telegram bots may delete for 48 hours), or no right to: the message stays. The
          // channel is not marked: the next delivery finds out for itself whether the channel is really gone.
          log.warn({ channel: channel.id, deliveryId, change, reason: err.reason }, `the sent message could not be changed: ${message}`);
          await store.deliveries.update(deliveryId, { lastError: `${change === 'edit' ? 'edit' : 'delete'} failed: ${message}` });
          throw new UnrecoverableError(message);
        }
        log.warn({ channel: channel.id, deliveryId, change }, `changing the sent message failed, will retry: ${message}`);
        throw err;
      }
      // Someone deleted the message in the chat already: nothing to edit, and a withdrawal is done.
      if (edited) return 'nothing-to-change';
    }
    await store.deliveries.update(deliveryId, { status: 'withdrawn', lastError: null });
    log.debug({ channel: channel.id, deliveryId }, 'sent message deleted');
    return 'withdrawn';
  };
}
