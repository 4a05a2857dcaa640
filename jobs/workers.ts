// The BullMQ workers of a `workers` process: one for forum events, one per configured platform.
import { Worker, type Job } from 'bullmq';
import type { Redis } from 'ioredis';
import type { PlatformAdapter } from '../lib/seams/platform.js';
import type { Logger } from '../lib/log.js';
import type { Store } from '../lib/seams/store.js';
import { ChannelLimiter, reportingSends, type OutageTiming } from './channel-limiter.js';
import { createDeliverProcessor } from './deliver.js';
import { createFollowUpProcessor } from './follow-up.js';
import type { Ingest } from './ingest.js';
import {
  type Queues,
  FOLLOW_UP_JOB,
  INGEST_QUEUE,
  TRANSCRIPT_QUEUE,
  deliverQueueName,
} from './queues.js';
import type { DeliverJob, FollowUpJob, IngestJob, TranscriptJob } from '../lib/seams/jobs.js';

export interface WorkerOptions {
  connection: Redis;
  prefix: string;
  store: Store;
  log: Logger;
  adapters: readonly PlatformAdapter[];
  ingest: Ingest;
  queues: Queues;
  /** The /topic processor; null when transcripts can be posted nowhere (no forum API key, no GitLab). */
  transcripts: ((job: Job<TranscriptJob>) => Promise<unknown>) | null;
  concurrency: number;
  lockMs: number;
  /** PARLEY_DELIVERY_MAX_AGE_HOURS in ms: a delivery not sent by then fails for good (default 24 h). */
  deliveryMaxAgeMs?: number;
  /** How a platform's outage is waited out (tests compress it; by default 1 s doubling to a minute). */
  outage?: Partial<OutageTiming>;
}

export function startWorkers(opts: WorkerOptions): Worker[] {
  const { connection, prefix, log } = opts;
  // A job whose worker died is taken back after lockMs; stalled checks run twice as often as that.
  const common = { connection, prefix, lockDuration: opts.lockMs, stalledInterval: Math.max(500, Math.floor(opts.lockMs / 2)), maxStalledCount: 5 };

  const workers: Worker[] = [new Worker<IngestJob>(INGEST_QUEUE, (job) => opts.ingest.processor(job), { ...common, concurrency: opts.concurrency })];
  if (opts.transcripts) workers.push(new Worker<TranscriptJob>(TRANSCRIPT_QUEUE, opts.transcripts, { ...common, concurrency: 2 }));
  for (const adapter of opts.adapters) {
    // The platform's pace is kept by the limiter, per message sent, rather than by a BullMQ limiter on jobs started:
    // BullMQ's is a fixed window (up to twice its max in a second that straddles two windows), and it counts jobs
    // that send nothing (a full channel, a delivery already done). The limiter learns when each message really
    // left from the adapter the jobs call.
    const platformLog = log.child({ platform: adapter.platform });
    const limiter = new ChannelLimiter(connection, prefix, adapter.platform, adapter.rateLimits.perChannel, {
      perPlatform: adapter.rateLimits.perPlatform,
      ...(opts.outage ? { outage: opts.outage } : {}),
      log: platformLog,
    });
    const shared = {
      store: opts.store,
      adapter: reportingSends(adapter, limiter),
      limiter,
      log: platformLog,
      changesOf: (subject: string) => opts.queues.changesOf(subject),
    };
    const deliver = createDeliverProcessor({ ...shared, ...(opts.deliveryMaxAgeMs === undefined ? {} : { maxAgeMs: opts.deliveryMaxAgeMs }) });
    const followUp = createFollowUpProcessor({
      ...shared,
      isSending: async (deliveryId) => (await opts.queues.deliverQueue(adapter.platform).getJob(deliveryId))?.isActive() ?? false,
    });
    // One queue per platform for both, so edits and deletions keep to the same per-channel limits.
    const processor = (job: Job<DeliverJob | FollowUpJob>, token?: string): Promise<unknown> =>
      job.name === FOLLOW_UP_JOB ? followUp(job as Job<FollowUpJob>, token) : deliver(job as Job<DeliverJob>, token);
    workers.push(
      // No more jobs at once than the platform's turns in reach allow (IRC: 1): the rest wait in the queue, in the
      // forum's order, rather than wait in place and race each other for the next turn.
      new Worker<DeliverJob | FollowUpJob>(deliverQueueName(adapter.platform), processor, {
        ...common,
        concurrency: Math.min(opts.concurrency, limiter.jobsInReach),
      }),
    );
  }
  for (const w of workers) {
    w.on('error', (err) => log.error({ queue: w.name, err: err.message }, 'worker error'));
    w.on('failed', (job, err) => log.debug({ queue: w.name, job: job?.id, err: err.message }, 'job attempt failed'));
  }
  return workers;
}
