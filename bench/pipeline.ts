// Pipeline: signed Discourse webhooks in → delivered to a local fake platform, through the real HTTP server,
// Redis, BullMQ and SQLite, against bare BullMQ no-op jobs added one at a time on the same Redis, same run.
// Besides rates it reports CPU time per event (this process's threads, and Redis), which says where the time
// goes whatever else the machine is doing, and the rate of the webhook route alone (checked, then dropped).
import { randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { once } from 'node:events';
import { Worker as Thread } from 'node:worker_threads';
import { Queue, Worker } from 'bullmq';
import { startApp } from '../cli/app/index.js';
import { loadConfig } from '../lib/config.js';
import { silentLogger } from '../lib/log.js';
import { redisConnection } from '../lib/redis.js';
import { createHttpServer } from '../lib/http/server.js';
import { registerDiscourseHook } from '../lib/discourse/hook.js';
import type { Redis } from 'ioredis';
import { fakePlatform } from './fake-platform.js';
import { BENCH_CONCURRENCY, BENCH_REDIS_URL, BENCH_WEBHOOK_SECRET, benchEnv } from './app-env.js';
import type { Benchmark } from './types.js';
import type { LoadOrder, LoadReport } from './webhook-load.js';

const EVENTS = 5000;
const CHANNELS = 200;
const CLIENTS = 16; // webhooks in flight at once, as from a busy forum's Sidekiq (sent from a worker thread)
const PACED_RATE = 100; // webhooks a second for the latency figure: far above a large forum's peak
const FIXTURE = new URL('../../shared/fixtures/discourse-webhooks/discourse-2025.12/post_created.body.json', import.meta.url);

async function inParallel(count: number, clients: number, task: (i: number) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(Array.from({ length: clients }, async () => {
    while (next < count) await task(next++);
  }));
}

/** CPU microseconds per item spent by this process, all its threads, since the call. */
function nodeCpuMeter(): (items: number) => number {
  const start = process.cpuUsage();
  return (items) => {
    const used = process.cpuUsage(start);
    return Math.round((used.user + used.system) / items);
  };
}

/** The same, and Redis's own CPU time (from INFO) beside it. */
async function cpuMeter(redis: Redis): Promise<(items: number) => Promise<{ node: number; redis: number }>> {
  const redisCpu = async (): Promise<number> => {
    const info = await redis.info('cpu');
    const field = (k: string): number => Number(new RegExp(`${k}:([0-9.]+)`).exec(info)?.[1] ?? 0);
    return (field('used_cpu_sys') + field('used_cpu_user')) * 1e6;
  };
  const node = nodeCpuMeter();
  const redis0 = await redisCpu();
  return async (items) => ({ node: node(items), redis: Math.round(((await redisCpu()) - redis0) / items) });
}

interface Measured {
  rate: number;
  cpu: { node: number; redis: number };
}

/** Bare BullMQ: no-op jobs, added one at a time by CLIENTS callers, processed at the same concurrency. */
async function bareBullmq(): Promise<Measured> {
  const prefix = `bench-${randomUUID()}`;
  const connection = redisConnection(BENCH_REDIS_URL);
  const queue = new Queue('noop', { connection, prefix });
  let done = 0;
  let finish: () => void = () => undefined;
  const finished = new Promise<void>((r) => (finish = r));
  const worker = new Worker('noop', async () => {
    if (++done === EVENTS) finish();
  }, { connection, prefix, concurrency: BENCH_CONCURRENCY });
  await worker.waitUntilReady();
  const meter = await cpuMeter(connection);
  const start = performance.now();
  await inParallel(EVENTS, CLIENTS, async (i) => void (await queue.add('noop', { i }, { removeOnComplete: true })));
  await finished;
  const rate = EVENTS / ((performance.now() - start) / 1000);
  const cpu = await meter(EVENTS);
  await worker.close();
  await queue.obliterate({ force: true });
  await queue.close();
  connection.disconnect();
  return { rate, cpu };
}

/** The webhook route alone: signature checked, body parsed, then dropped. The floor under any pipeline. */
async function webhookOnly(): Promise<{ rate: number; cpuNode: number }> {
  const secret = BENCH_WEBHOOK_SECRET;
  const http = createHttpServer({ log: silentLogger, checks: {} });
  registerDiscourseHook(http, { secret, allowUnsigned: false, log: silentLogger, accept: async () => undefined });
  const url = await http.listen({ port: 0, host: '127.0.0.1' });
  try {
    const template = (JSON.parse(readFileSync(FIXTURE, 'utf8')) as { post: Record<string, unknown> }).post;
    const meter = nodeCpuMeter();
    const start = performance.now();
    await sendFromThread({ url: `${url}/hooks/discourse`, secret, events: EVENTS, clients: CLIENTS, channels: CHANNELS, template });
    return { rate: EVENTS / ((performance.now() - start) / 1000), cpuNode: meter(EVENTS) };
  } finally {
    await http.close();
  }
}

/** Sends webhooks from a worker thread, so that the sending does not take CPU from Parley's event loop. */
async function sendFromThread(order: LoadOrder): Promise<LoadReport> {
  // A worker thread does not inherit tsx's loader: register it there before loading the TypeScript file.
  const script = `import('tsx/esm/api').then((tsx) => { tsx.register(); return import(${JSON.stringify(new URL('./webhook-load.ts', import.meta.url).href)}); })`;
  const load = new Thread(script, { eval: true, workerData: order });
  const [report] = (await once(load, 'message')) as [LoadReport];
  if (report.failures.length > 0) throw new Error(`webhooks refused: ${report.failures.slice(0, 3).join('; ')}`);
  return report;
}

async function parley(): Promise<Measured & { p50: number; p99: number; pacedP99: number }> {
  const dir = mkdtempSync(path.join(tmpdir(), 'parley-bench-'));
  const secret = BENCH_WEBHOOK_SECRET;
  const fake = fakePlatform('telegram');
  const config = loadConfig(benchEnv(dir), [fake.factory]);
  const app = await startApp({ config, log: silentLogger });
  try {
    // One category per channel, so every event goes to exactly one channel.
    await app.store.categories.replaceAll(
      Array.from({ length: CHANNELS }, (_, i) => ({ id: i + 1, slug: `cat-${i}`, name: `Cat ${i}`, parentId: null, color: '0088CC', restricted: false })),
    );
    for (let i = 0; i < CHANNELS; i++) {
      const { channel } = await app.store.channels.ensure({ platform: 'telegram', externalId: `-100${i}`, name: `chat ${i}`, status: 'active', addedBy: 'bench' });
      await app.store.rules.add({ channelId: channel.id, source: 'discourse', filter: 'watch', scope: { type: 'category', path: `cat-${i}` }, createdBy: 'bench' });
    }
    const template = (JSON.parse(readFileSync(FIXTURE, 'utf8')) as { post: Record<string, unknown> }).post;
    const order: LoadOrder = { url: `${app.url}/hooks/discourse`, secret, events: EVENTS, clients: CLIENTS, channels: CHANNELS, template };
    const meter = await cpuMeter(app.redis);
    const start = performance.now();
    const report = await sendFromThread(order);
    const latencies = report.latenciesMs.sort((a, b) => a - b);
    await fake.waitFor(EVENTS, 300_000);
    const rate = EVENTS / ((performance.now() - start) / 1000);
    const cpu = await meter(EVENTS);
    // Latency under a steady load a busy forum produces, rather than at saturation.
    const paced = await sendFromThread({ ...order, events: PACED_RATE * 5, ratePerSecond: PACED_RATE, idOffset: EVENTS });
    await fake.waitFor(EVENTS + PACED_RATE * 5, 300_000);
    const pacedLatencies = paced.latenciesMs.sort((a, b) => a - b);
    const pct = (p: number, of = latencies): number => of[Math.min(of.length - 1, Math.floor(p * of.length))]!;
    await app.queues.ingest.obliterate({ force: true });
    await app.queues.deliverQueue('telegram').obliterate({ force: true });
    return { rate, cpu, p50: pct(0.5), p99: pct(0.99), pacedP99: pct(0.99, pacedLatencies) };
  } finally {
    await app.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

export const pipeline: Benchmark = async () => {
  const baseline = await bareBullmq();
  const floor = await webhookOnly();
  const ours = await parley();
  return {
    name: 'pipeline',
    ours: Math.round(ours.rate),
    baseline: Math.round(baseline.rate),
    ratio: Number((ours.rate / baseline.rate).toFixed(3)),
    unit: 'events/s',
    details: {
      events: EVENTS,
      cpu_us_per_event_node: ours.cpu.node,
      cpu_us_per_event_redis: ours.cpu.redis,
      baseline_cpu_us_per_job_node: baseline.cpu.node,
      baseline_cpu_us_per_job_redis: baseline.cpu.redis,
      webhook_route_alone_per_s: Math.round(floor.rate),
      webhook_route_alone_cpu_us_per_event_node: floor.cpuNode,
      saturated_webhook_p50_ms: Number(ours.p50.toFixed(2)),
      saturated_webhook_p99_ms: Number(ours.p99.toFixed(2)),
      [`webhook_p99_ms_at_${PACED_RATE}_per_s`]: Number(ours.pacedP99.toFixed(2)),
    },
  };
};

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  console.log(JSON.stringify(await pipeline()));
  process.exit(0);
}
