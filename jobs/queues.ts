// Queue names, job payloads and the options every job gets. One queue for incoming forum events and one
// delivery queue per platform, so a slow platform never holds up another.
import { Queue, type JobsOptions } from 'bullmq';
import type { Redis } from 'ioredis';
import { postSubject, topicThread, type Notification } from '../lib/notification.js';
import type { PlatformName } from '../lib/seams/store.js';
import type { DeliverJob, FollowUpJob, IngestJob, TranscriptJob } from '../lib/seams/jobs.js';

export const INGEST_QUEUE = 'ingest';
export const TRANSCRIPT_QUEUE = 'transcripts';
export const deliverQueueName = (platform: PlatformName): string => `deliver-${platform}`;

export const DELIVER_JOB = 'deliver';
export const FOLLOW_UP_JOB = 'follow-up';

/** BullMQ job ids may not contain ':'; these are deterministic so a repeat is a no-op. */
export const ingestJobId = (source: string, eventId: string): string => `${source}-event-${eventId.replace(/[^\w.-]/g, '_')}`;
export const deliveryJobId = (eventKey: string, channelId: number): string => `${eventKey}-ch-${channelId}`;
/** One edit job per edit event (each applies the latest text); one withdrawal per delivery. */
/** Delivery and follow-up payloads as Parley queued them before sources (post and topic numbers, no keys). */
type LegacyPostKeys = { threadTopicId?: number | null; postId?: number; topicId?: number };

/**
 * A delivery job queued by an older Parley, in today's shape: its thread and the notification's subject and thread
 * were Discourse post and topic numbers. A job may wait in Redis across an upgrade (the delivery delay, retries).
 */
export function currentDeliverJob(data: DeliverJob & LegacyPostKeys): DeliverJob {
  if (data.notification.subject !== undefined) return data;
  const n = data.notification as Notification & LegacyPostKeys;
  return {
    ...data,
    thread: data.thread ?? (data.threadTopicId == null ? null : topicThread(data.threadTopicId)),
    notification: { ...n, subject: postSubject(n.postId ?? 0), thread: topicThread(n.topicId ?? 0) },
  };
}

/** A follow-up job queued by an older Parley (its post number), in today's shape. */
export function currentFollowUpJob(data: FollowUpJob & LegacyPostKeys): FollowUpJob {
  return data.subject !== undefined ? data : { ...data, subject: postSubject(data.postId ?? 0) };
}

export const followUpJobId = (job: FollowUpJob, eventId: string): string =>
  job.change === 'edit' ? `${job.deliveryId}-edit-${eventId.replace(/[^\w.-]/g, '_')}` : `${job.deliveryId}-withdraw`;

export function ingestJobOptions(): JobsOptions {
  return {
    // 15 attempts from 2 s doubling: about 18 hours of retries while the forum API is down.
    attempts: 15,
    backoff: { type: 'exponential', delay: 2000, jitter: 0.5 },
    // Keep a day of finished ingest jobs so a replayed event id within that time is a no-op at enqueue.
    removeOnComplete: { age: 24 * 3600, count: 100_000 },
    removeOnFail: { age: 7 * 24 * 3600 },
  };
}

export function transcriptJobOptions(): JobsOptions {
  return {
    attempts: 5,
    backoff: { type: 'exponential', delay: 5000, jitter: 0.5 },
    removeOnComplete: { age: 24 * 3600 },
    removeOnFail: { age: 7 * 24 * 3600 },
  };
}

export function deliverJobOptions(opts: { delayMs: number; attempts: number }): JobsOptions {
  return {
    delay: opts.delayMs,
    attempts: opts.attempts,
    backoff: { type: 'exponential', delay: 1000, jitter: 0.5 },
    removeOnComplete: { age: 3600, count: 10_000 },
    removeOnFail: { age: 7 * 24 * 3600 },
  };
}

/** Adds of one turn go as one addBulk from this many; fewer go one by one (measured: cheaper up to 7, even at 8 to 10). */
const ADD_BULK_FROM = 8;
/** Jobs per addBulk: one Redis round trip each, short enough not to hold Redis up for others. */
const ADD_BULK_CHUNK = 500;

interface PendingAdd {
  data: DeliverJob;
  opts: JobsOptions;
  resolve(): void;
  reject(err: unknown): void;
}

/** What happened to an announced subject since its announcement was queued (Queues.changesOf). */
export interface Changes {
  deleted: boolean;
  edited: Notification | null;
}

/**
 * Where Queues.markDeleted and Queues.rememberEdit leave a subject's changes, under the process's prefix: the
 * delivery reads them in the same script as its turn (ChannelLimiter.reserveWatching), the deleted key first.
 */
export const changeKeys = (prefix: string, subject: string): { deleted: string; edited: string } => ({
  deleted: `${prefix}:deleted:${subject}`,
  edited: `${prefix}:edited:${subject}`,
});

/** The edited notification kept by Queues.rememberEdit, from its key's value. */
export const editedFrom = (value: string | null): Notification | null => (value ? (JSON.parse(value) as Notification) : null);

/** The queues a process adds jobs to. Workers live in jobs/workers.ts. */
export class Queues {
  readonly ingest: Queue<IngestJob>;
  readonly transcripts: Queue<TranscriptJob>;
  private readonly deliver = new Map<PlatformName, Queue<DeliverJob | FollowUpJob>>();
  private readonly pendingAdds = new Map<PlatformName, PendingAdd[]>();

  constructor(private readonly connection: Redis, private readonly prefix: string) {
    this.ingest = new Queue<IngestJob>(INGEST_QUEUE, { connection, prefix });
    this.transcripts = new Queue<TranscriptJob>(TRANSCRIPT_QUEUE, { connection, prefix });
  }

  deliverQueue(platform: PlatformName): Queue<DeliverJob | FollowUpJob> {
    let q = this.deliver.get(platform);
    if (!q) {
      q = new Queue<DeliverJob | FollowUpJob>(deliverQueueName(platform), { connection: this.connection, prefix: this.prefix });
      this.deliver.set(platform, q);
    }
    return q;
  }

  /**
   * Queues a delivery. The adds of one turn of the event loop (concurrent webhooks, a fan-out) go to Redis
   * together: a few one by one, more as addBulk in chunks of ADD_BULK_CHUNK, one round trip each (a chunk
   * bounds how long Redis is busy with one command). Resolves once the job is in Redis.
   */
  addDelivery(platform: PlatformName, data: DeliverJob, opts: JobsOptions): Promise<void> {
    let pending = this.pendingAdds.get(platform);
    if (!pending) {
      const batch: PendingAdd[] = (pending = []);
      this.pendingAdds.set(platform, batch);
      setImmediate(() => {
        this.pendingAdds.delete(platform);
        void this.flushAdds(platform, batch);
      });
    }
    const batch = pending;
    return new Promise((resolve, reject) => batch.push({ data, opts, resolve, reject }));
  }

  private async flushAdds(platform: PlatformName, batch: readonly PendingAdd[]): Promise<void> {
    const queue = this.deliverQueue(platform);
    const settle = (adds: readonly PendingAdd[], added: Promise<unknown>): Promise<void> =>
      added.then(() => adds.forEach((p) => p.resolve()), (err: unknown) => adds.forEach((p) => p.reject(err)));
    // addBulk's pipeline costs more CPU than a few single adds (ioredis copies every BullMQ script onto each one).
    if (batch.length < ADD_BULK_FROM) {
      await Promise.all(batch.map((p) => settle([p], queue.add(DELIVER_JOB, p.data, p.opts))));
      return;
    }
    for (let i = 0; i < batch.length; i += ADD_BULK_CHUNK) {
      const chunk = batch.slice(i, i + ADD_BULK_CHUNK);
      await settle(chunk, queue.addBulk(chunk.map((p) => ({ name: DELIVER_JOB, data: p.data, opts: p.opts }))));
    }
  }

  /** Queues an edit or withdrawal of a sent announcement; `delayMs` lets a delivery in flight finish first. */
  async addFollowUp(platform: PlatformName, job: FollowUpJob, opts: { eventId: string; attempts: number; delayMs?: number }): Promise<void> {
    await this.deliverQueue(platform).add(FOLLOW_UP_JOB, job, {
      ...deliverJobOptions({ delayMs: opts.delayMs ?? 0, attempts: opts.attempts }),
      jobId: followUpJobId(job, opts.eventId),
    });
  }

  /**
   * What happened to an announced subject (a post, an issue) since its announcement was queued, remembered for a
   * day. Deletions and edits can be handled before the creation they follow (which may have waited for the
   * source's API), so the delivery itself looks here just before sending: a deleted subject is not announced, an
   * edited one is announced as edited.
   */
  async markDeleted(subject: string): Promise<void> {
    await this.connection.set(changeKeys(this.prefix, subject).deleted, '1', 'EX', 86_400);
  }

  async rememberEdit(subject: string, notification: Notification): Promise<void> {
    await this.connection.set(changeKeys(this.prefix, subject).edited, JSON.stringify(notification), 'EX', 86_400);
  }

  async changesOf(subject: string): Promise<Changes> {
    const keys = changeKeys(this.prefix, subject);
    const [deleted, edited] = await this.connection.mget(keys.deleted, keys.edited);
    return { deleted: deleted !== null, edited: editedFrom(edited ?? null) };
  }

  async close(): Promise<void> {
    await Promise.all([this.ingest.close(), this.transcripts.close(), ...[...this.deliver.values()].map((q) => q.close())]);
  }
}
