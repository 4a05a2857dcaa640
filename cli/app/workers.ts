// The workers role: the queue processors (ingest, deliveries per platform, transcripts) and the hourly pruning.
import type { Worker } from 'bullmq';
import { createTranscriptProcessor } from '../../jobs/transcript.js';
import { startWorkers } from '../../jobs/workers.js';
import type { Cleanups } from './cleanups.js';
import type { Core } from './core.js';

/** Old message log entries, expired previews and remembered event ids are forgotten this often. */
const PRUNE_EVERY_MS = 3600_000;

export function startWorkerRole(core: Core, cleanups: Cleanups): Worker[] {
  const { config, log, store, redis, queues, forum, gitlab, adapters, profiles, ingest } = core;
  const d = config.discourse;
  const workers = startWorkers({
    connection: redis,
    prefix: config.queuePrefix,
    store,
    log,
    adapters: [...adapters.values()],
    concurrency: config.delivery.concurrency,
    lockMs: config.delivery.lockSeconds * 1000,
    deliveryMaxAgeMs: config.delivery.maxAgeHours * 3_600_000,
    ingest,
    queues,
    // Transcripts go to the forum (with its API key) or to GitLab: either is enough for the worker.
    transcripts:
      (forum && d) || gitlab
        ? createTranscriptProcessor({
            store,
            adapters,
            profiles,
            forum: forum && d ? forum : null,
            forumUrl: forum && d ? d.url : null,
            gitlab,
            publicUrl: config.publicUrl,
            settings: config.transcripts,
            log,
          })
        : null,
  });
  const prune = async (): Promise<void> => {
    const now = Date.now();
    try {
      await store.messageLog.prune(new Date(now - config.transcripts.messageLogDays * 86_400_000));
      await store.transcripts.pruneExpired(new Date(now));
      await store.inboundEvents.prune(new Date(now - 30 * 86_400_000));
    } catch (err) {
      log.warn({ err }, 'pruning old records failed; will try again');
    }
  };
  void prune();
  const pruner = setInterval(() => void prune(), PRUNE_EVERY_MS);
  pruner.unref();
  cleanups.push(async () => clearInterval(pruner));
  // Closing a worker lets its in-flight jobs finish; jobs not started stay queued for the next process.
  cleanups.push(async () => void (await Promise.all(workers.map((w) => w.close()))));
  return workers;
}
