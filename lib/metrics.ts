// Parley's Prometheus metrics: one prom-client registry per process (docs/architecture.md#metrics). Each process
// counts what it does itself (the web role its webhooks, the workers role its deliveries and transcripts); queue
// depths live in Redis and are read at scrape time, so every process shows the same ones (take max by queue).
// Labels are bounded sets (platform, outcome, queue, source, status): never an id, a channel or a user.
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';

export type DeliveryOutcome = 'delivered' | 'failed' | 'retried' | 'rate_limited' | 'unreachable' | 'cancelled';

/** What the queue gauges read of a BullMQ queue: cheap calls (counts, and one job from the head of the wait list). */
export interface WatchedQueue {
  readonly name: string;
  getJobCounts(...types: string[]): Promise<Record<string, number>>;
  getWaiting(start?: number, end?: number): Promise<{ timestamp: number; processedOn?: number | undefined; delay: number }[]>;
}

/** The job states counted per queue. `prioritized` is where BullMQ keeps waiting jobs that have a priority. */
export const QUEUE_STATES = ['waiting', 'prioritized', 'delayed', 'active', 'failed'] as const;

/**
 * Since when a waiting job could have run: it became due after its delay, counted from its creation or, for a job
 * postponed or retried, from when it last ran (BullMQ keeps that delay on the job).
 */
export function dueSince(job: { timestamp: number; processedOn?: number | undefined; delay: number }): number {
  return Math.max(job.timestamp, job.processedOn ?? 0) + (job.delay || 0);
}

// From a webhook handled at once to deliveries held by PARLEY_DELIVERY_DELAY_SECONDS (default 15) and retries; finer
// just above 15 s, where the default delay puts most deliveries (without 16 and 17.5 a p99 of 15.9 s reads 20 s).
const EVENT_TO_DELIVERED_BUCKETS = [0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 15, 16, 17.5, 20, 30, 60, 120, 300, 900, 3600];
const WEBHOOK_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5];

export class Metrics {
  readonly registry = new Registry();
  private readonly watched = new Set<readonly WatchedQueue[]>();

  readonly deliveries = new Counter({
    name: 'parley_deliveries_total',
    help: 'Delivery attempts by platform and outcome: delivered, failed (for good), retried (a transient failure, tried again), rate_limited (the platform answered 429; postponed), unreachable (the platform could not be reached; waits without spending an attempt), cancelled (post deleted, channel removed or pending)',
    labelNames: ['platform', 'outcome'] as const,
    registers: [this.registry],
  });

  readonly eventToDelivered = new Histogram({
    name: 'parley_event_to_delivered_seconds',
    help: "From a forum event's arrival at the webhook to its announcement accepted by the platform, including PARLEY_DELIVERY_DELAY_SECONDS",
    labelNames: ['platform'] as const,
    buckets: EVENT_TO_DELIVERED_BUCKETS,
    registers: [this.registry],
  });

  readonly webhookDuration = new Histogram({
    name: 'parley_webhook_request_duration_seconds',
    help: 'Time to answer a source webhook (POST /hooks/<source>), by source and HTTP status',
    labelNames: ['source', 'status'] as const,
    buckets: WEBHOOK_BUCKETS,
    registers: [this.registry],
  });

  readonly transcripts = new Counter({
    name: 'parley_transcript_jobs_total',
    help: '/topic transcript job attempts by outcome: posted, already-posted, previewed, empty, too-long, refused, retried, failed',
    labelNames: ['outcome'] as const,
    registers: [this.registry],
  });

  constructor(opts: { defaultMetrics?: boolean } = {}) {
    const watched = this.watched;
    new Gauge({
      name: 'parley_queue_jobs',
      help: 'Jobs in each BullMQ queue by state, read from Redis at scrape time (the same in every process)',
      labelNames: ['queue', 'state'] as const,
      registers: [this.registry],
      async collect() {
        this.reset();
        for (const { queue, counts } of await readQueues(watched, (q) => q.getJobCounts(...QUEUE_STATES))) {
          for (const state of QUEUE_STATES) this.set({ queue, state }, counts[state] ?? 0);
        }
      },
    });
    new Gauge({
      name: 'parley_queue_oldest_waiting_age_seconds',
      help: 'Seconds the oldest waiting job of each queue has been due (0: none waits), read from Redis at scrape time',
      labelNames: ['queue'] as const,
      registers: [this.registry],
      async collect() {
        this.reset();
        const now = Date.now();
        for (const { queue, counts: head } of await readQueues(watched, (q) => q.getWaiting(0, 0))) {
          this.set({ queue }, head[0] ? Math.max(0, now - dueSince(head[0])) / 1000 : 0);
        }
      },
    });
    // Node's own (process_cpu_seconds_total, nodejs_heap_size_used_bytes, …) under their usual names, for stock dashboards.
    if (opts.defaultMetrics !== false) collectDefaultMetrics({ register: this.registry });
  }

  delivery(platform: string, outcome: DeliveryOutcome): void {
    this.deliveries.inc({ platform, outcome });
  }

  /** A delivery accepted by the platform; `acceptedAt` (epoch ms) is absent on jobs queued before it was carried. */
  delivered(platform: string, acceptedAt: number | undefined, now = Date.now()): void {
    this.deliveries.inc({ platform, outcome: 'delivered' });
    if (typeof acceptedAt === 'number' && Number.isFinite(acceptedAt)) this.eventToDelivered.observe({ platform }, Math.max(0, now - acceptedAt) / 1000);
  }

  webhookAnswered(source: string, status: number, seconds: number): void {
    this.webhookDuration.observe({ source, status: String(status) }, seconds);
  }

  /** jobs/transcript.ts's outcomes, plus `retried` (an attempt failed, another follows) and `failed` (given up). */
  transcript(outcome: string): void {
    this.transcripts.inc({ outcome });
  }

  /** Adds queues to the scrape-time gauges; the returned function stops reading them (when the process stops). */
  watchQueues(queues: readonly WatchedQueue[]): () => void {
    this.watched.add(queues);
    return () => void this.watched.delete(queues);
  }

  /** The text exposition format, and its content type. */
  async exposition(): Promise<{ contentType: string; body: string }> {
    return { contentType: this.registry.contentType, body: await this.registry.metrics() };
  }
}

/** Reads every watched queue; one that cannot be read (Redis away) is left out of this scrape rather than failing it. */
async function readQueues<T>(watched: ReadonlySet<readonly WatchedQueue[]>, read: (q: WatchedQueue) => Promise<T>): Promise<{ queue: string; counts: T }[]> {
  const queues = new Map<string, WatchedQueue>();
  for (const list of watched) for (const q of list) queues.set(q.name, q);
  const results = await Promise.all([...queues.values()].map(async (q) => ({ queue: q.name, counts: await read(q).catch(() => null) })));
  return results.filter((r): r is { queue: string; counts: Awaited<T> } => r.counts !== null);
}

let processMetrics: Metrics | undefined;

/** The process's registry, made on first use: the web, workers and bots roles of one process share it. */
export function metrics(): Metrics {
  return (processMetrics ??= new Metrics());
}
