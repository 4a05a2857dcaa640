// Pipeline: signed Discourse webhooks in → delivered to a local fake platform, through the real HTTP server,
// Redis, BullMQ and SQLite, against bare BullMQ no-op jobs added one at a time on the same Redis, same run.
// Two rows:
// - `pipeline`: events a second, Parley against bare BullMQ, with the webhook's latency.
// - `pipeline_cpu`: Node CPU time per event of Parley's whole pipeline against its floor, measured in the same run:
//   the webhook route alone (signature checked, body parsed, then dropped) plus one bare BullMQ job added and
//   processed. ratio = floor ÷ ours. The same events are also run through Parley as the `--role` deployment runs
//   it, web and workers in two processes (both processes' CPU counted).
// CPU time says where the time goes whatever else the machine is doing. The webhooks are sent from a process of
// their own, so that neither their sending nor its CPU time is counted as Parley's (its CPU is in `details`).
// Run alone: node --import tsx bench/pipeline.ts [pipeline|pipeline_cpu]
import { randomUUID } from 'node:crypto';
import { fork, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { once } from 'node:events';
import { Worker as Thread } from 'node:worker_threads';
import { Queue, Worker } from 'bullmq';
import { startApp, type App, type Role } from '../cli/app/index.js';
import { loadConfig } from '../lib/config.js';
import { silentLogger } from '../lib/log.js';
import { redisConnection } from '../lib/redis.js';
import { createHttpServer } from '../lib/http/server.js';
import { registerDiscourseHook } from '../lib/discourse/hook.js';
import type { Store } from '../lib/seams/store.js';
import { openStore } from '../lib/store/index.js';
import type { Redis } from 'ioredis';
import { fakePlatform } from './fake-platform.js';
import { BENCH_CONCURRENCY, BENCH_REDIS_URL, BENCH_WEBHOOK_SECRET, benchEnv } from './app-env.js';
import { removeKeys, removeRunKeys } from './redis-keys.js';
import type { Benchmark } from './types.js';
import type { LoadOrder, LoadReport } from './webhook-load.js';

const EVENTS = 5000;
const CHANNELS = 200;
const CLIENTS = 16; // webhooks in flight at once, as from a busy forum's Sidekiq
const PACED_RATE = 100; // webhooks a second for the latency figure: far above a large forum's peak
const FIXTURE = new URL('../../shared/fixtures/discourse-webhooks/discourse-2025.12/post_created.body.json', import.meta.url);
/** The goal for pipeline_cpu (issue 14): Parley's whole pipeline within 1.5 times its floor. */
const CPU_GOAL = 0.67;

async function inParallel(count: number, clients: number, task: (i: number) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(Array.from({ length: clients }, async () => {
    while (next < count) await task(next++);
  }));
}

const cpuMicros = (usage: NodeJS.CpuUsage): number => usage.user + usage.system;

/** Redis's own CPU time so far (from INFO), in µs. */
async function redisCpu(redis: Redis): Promise<number> {
  const info = await redis.info('cpu');
  const field = (k: string): number => Number(new RegExp(`${k}:([0-9.]+)`).exec(info)?.[1] ?? 0);
  return (field('used_cpu_sys') + field('used_cpu_user')) * 1e6;
}

/** CPU µs per item spent since the call: this process (all its threads), and Redis. */
async function cpuMeter(redis: Redis): Promise<(items: number) => Promise<{ node: number; redis: number }>> {
  const node0 = process.cpuUsage();
  const redis0 = await redisCpu(redis);
  return async (items) => ({ node: Math.round(cpuMicros(process.cpuUsage(node0)) / items), redis: Math.round(((await redisCpu(redis)) - redis0) / items) });
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

const template = (): Record<string, unknown> => (JSON.parse(readFileSync(FIXTURE, 'utf8')) as { post: Record<string, unknown> }).post;
const loadOrder = (url: string): LoadOrder => ({ url: `${url}/hooks/discourse`, secret: BENCH_WEBHOOK_SECRET, events: EVENTS, clients: CLIENTS, channels: CHANNELS, template: template() });

/** The webhook route alone: signature checked, body parsed, then dropped. The floor under any pipeline. */
async function webhookOnly(): Promise<{ rate: number; cpuNode: number; loadCpu: number }> {
  const secret = BENCH_WEBHOOK_SECRET;
  const http = createHttpServer({ log: silentLogger, checks: {} });
  registerDiscourseHook(http, { secret, allowUnsigned: false, log: silentLogger, accept: async () => undefined });
  const url = await http.listen({ port: 0, host: '127.0.0.1' });
  const load = new Child('load');
  try {
    await load.ready;
    const node0 = process.cpuUsage();
    const start = performance.now();
    const sent = await load.send(loadOrder(url));
    return { rate: EVENTS / ((performance.now() - start) / 1000), cpuNode: Math.round(cpuMicros(process.cpuUsage(node0)) / EVENTS), loadCpu: sent.cpuPerEvent };
  } finally {
    await load.close();
    await http.close();
  }
}

/** One category per channel, so every event goes to exactly one channel. */
async function seed(store: Store): Promise<void> {
  await store.categories.replaceAll(
    Array.from({ length: CHANNELS }, (_, i) => ({ id: i + 1, slug: `cat-${i}`, name: `Cat ${i}`, parentId: null, color: '0088CC', restricted: false })),
  );
  for (let i = 0; i < CHANNELS; i++) {
    const { channel } = await store.channels.ensure({ platform: 'telegram', externalId: `-100${i}`, name: `chat ${i}`, status: 'active', addedBy: 'bench' });
    await store.rules.add({ channelId: channel.id, source: 'discourse', filter: 'watch', scope: { type: 'category', path: `cat-${i}` }, createdBy: 'bench' });
  }
}

interface InProcess extends Measured {
  p50: number;
  p99: number;
  pacedP99: number;
  loadCpu: number;
}

/** Parley as `npm start` runs it: every role in one process. */
async function parleyInProcess(): Promise<InProcess> {
  const dir = mkdtempSync(path.join(tmpdir(), 'parley-bench-'));
  const fake = fakePlatform('telegram');
  const config = loadConfig(benchEnv(dir), [fake.factory]);
  const app = await startApp({ config, log: silentLogger });
  const load = new Child('load');
  try {
    await seed(app.store);
    const order = loadOrder(app.url!);
    await load.ready;
    const meter = await cpuMeter(app.redis);
    const start = performance.now();
    const sent = await load.send(order);
    const latencies = sent.latenciesMs.sort((a, b) => a - b);
    await fake.waitFor(EVENTS, 300_000);
    const rate = EVENTS / ((performance.now() - start) / 1000);
    const cpu = await meter(EVENTS);
    // Latency under a steady load a busy forum produces, rather than at saturation.
    const paced = await load.send({ ...order, events: PACED_RATE * 5, ratePerSecond: PACED_RATE, idOffset: EVENTS });
    await fake.waitFor(EVENTS + PACED_RATE * 5, 300_000);
    const pacedLatencies = paced.latenciesMs.sort((a, b) => a - b);
    const pct = (p: number, of = latencies): number => of[Math.min(of.length - 1, Math.floor(p * of.length))]!;
    return { rate, cpu, p50: pct(0.5), p99: pct(0.99), pacedP99: pct(0.99, pacedLatencies), loadCpu: sent.cpuPerEvent };
  } finally {
    await load.close();
    await app.stop();
    await removeRunKeys(config.queuePrefix);
    rmSync(dir, { recursive: true, force: true });
  }
}

interface Split extends Measured {
  webCpu: number;
  workersCpu: number;
}

/**
 * Parley as the `--role` deployment runs it: a web process (webhooks, handled inline) and a workers process
 * (deliveries, to the fake platform inside it), on the same SQLite file and Redis. CPU: both processes, per event.
 */
async function parleySplit(): Promise<Split> {
  const dir = mkdtempSync(path.join(tmpdir(), 'parley-bench-split-'));
  const env = benchEnv(dir);
  const config = loadConfig(env, [fakePlatform('telegram').factory]);
  const store = await openStore(config.database);
  try {
    await seed(store);
  } finally {
    await store.close();
  }
  const redis = redisConnection(BENCH_REDIS_URL);
  const web = new Child('web');
  const workers = new Child('workers');
  const load = new Child('load');
  try {
    const [url] = await Promise.all([web.start(env, ['web']), workers.start(env, ['workers']), load.ready]);
    const [web0, workers0] = await Promise.all([web.cpu(), workers.cpu()]);
    const redis0 = await redisCpu(redis);
    const start = performance.now();
    await load.send(loadOrder(url!));
    await workers.waitFor(EVENTS);
    const rate = EVENTS / ((performance.now() - start) / 1000);
    const [web1, workers1] = await Promise.all([web.cpu(), workers.cpu()]);
    const redisUsed = (await redisCpu(redis)) - redis0;
    const webCpu = Math.round((web1 - web0) / EVENTS);
    const workersCpu = Math.round((workers1 - workers0) / EVENTS);
    return { rate, cpu: { node: webCpu + workersCpu, redis: Math.round(redisUsed / EVENTS) }, webCpu, workersCpu };
  } finally {
    await Promise.all([load.close(), web.close(), workers.close()]);
    await removeKeys(redis, `${env.PARLEY_QUEUE_PREFIX}:*`);
    redis.disconnect();
    rmSync(dir, { recursive: true, force: true });
  }
}

/** What the child processes are asked (see serveChild). */
type ChildCall =
  | { op: 'start'; env: Record<string, string>; roles: Role[] }
  | { op: 'cpu' }
  | { op: 'waitFor'; count: number }
  | { op: 'send'; order: LoadOrder }
  | { op: 'stop' };

/** A child process of this benchmark: a Parley process of some roles, or the forum sending webhooks. */
class Child {
  private readonly process: ChildProcess;
  private readonly pending = new Map<number, { resolve(v: unknown): void; reject(e: Error): void }>();
  private nextId = 1;
  /** Resolves once the child can be asked. */
  readonly ready: Promise<void>;

  constructor(private readonly name: string) {
    this.process = fork(fileURLToPath(import.meta.url), ['--child', name], { execArgv: ['--import', 'tsx'], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    this.ready = new Promise((resolve, reject) => {
      this.process.once('message', () => resolve());
      this.process.once('exit', (code) => reject(new Error(`bench child ${name} exited (${code})`)));
    });
    this.ready.catch(() => undefined);
    this.process.on('message', (m: { id?: number; result?: unknown; error?: string }) => {
      const call = m.id === undefined ? undefined : this.pending.get(m.id);
      if (!call) return;
      this.pending.delete(m.id!);
      if (m.error !== undefined) call.reject(new Error(`bench child ${name}: ${m.error}`));
      else call.resolve(m.result);
    });
    this.process.on('exit', (code) => {
      for (const call of this.pending.values()) call.reject(new Error(`bench child ${name} exited (${code})`));
      this.pending.clear();
    });
  }

  private async call<T>(message: ChildCall): Promise<T> {
    await this.ready;
    const id = this.nextId++;
    return new Promise<T>((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.process.send({ id, ...message });
    });
  }

  /** Starts Parley with these roles; the web role's URL, else null. */
  start(env: Record<string, string>, roles: Role[]): Promise<string | null> {
    return this.call({ op: 'start', env, roles });
  }

  /** The child's CPU time so far, in µs. */
  cpu(): Promise<number> {
    return this.call({ op: 'cpu' });
  }

  waitFor(count: number): Promise<void> {
    return this.call({ op: 'waitFor', count });
  }

  /** Sends the webhooks; their answers' latencies, and the sender's CPU µs per event. */
  async send(order: LoadOrder): Promise<LoadReport & { cpuPerEvent: number }> {
    const cpu0 = await this.cpu();
    const report = await this.call<LoadReport>({ op: 'send', order });
    if (report.failures.length > 0) throw new Error(`webhooks refused: ${report.failures.slice(0, 3).join('; ')}`);
    return { ...report, cpuPerEvent: Math.round(((await this.cpu()) - cpu0) / order.events) };
  }

  async close(): Promise<void> {
    if (this.process.exitCode !== null || this.process.signalCode !== null) return;
    const exited = once(this.process, 'exit');
    this.call({ op: 'stop' }).catch(() => undefined);
    const timer = setTimeout(() => this.process.kill('SIGKILL'), 30_000);
    await exited;
    clearTimeout(timer);
  }
}

/** Sends webhooks from a worker thread, as fast as its clients can or at the order's pace. */
async function sendFromThread(order: LoadOrder): Promise<LoadReport> {
  // A worker thread does not inherit tsx's loader: register it there before loading the TypeScript file.
  const script = `import('tsx/esm/api').then((tsx) => { tsx.register(); return import(${JSON.stringify(new URL('./webhook-load.ts', import.meta.url).href)}); })`;
  const load = new Thread(script, { eval: true, workerData: order });
  const [report] = (await once(load, 'message')) as [LoadReport];
  return report;
}

/** The child side: answers the parent's calls until told to stop. */
function serveChild(): void {
  const fake = fakePlatform('telegram');
  let app: App | null = null;
  process.on('message', (message: ChildCall & { id: number }) => {
    const answer = async (): Promise<unknown> => {
      switch (message.op) {
        case 'start':
          app = await startApp({ config: loadConfig(message.env, [fake.factory]), log: silentLogger, roles: message.roles });
          return app.url;
        case 'cpu':
          return cpuMicros(process.cpuUsage());
        case 'waitFor':
          return fake.waitFor(message.count, 300_000);
        case 'send':
          return sendFromThread(message.order);
        case 'stop':
          await app?.stop();
          app = null;
          return null;
      }
    };
    answer().then(
      // Stopped: the process ends once the answer is out.
      (result) => process.send!({ id: message.id, result }, undefined, {}, () => (message.op === 'stop' ? process.exit(0) : undefined)),
      (err: unknown) => process.send!({ id: message.id, error: err instanceof Error ? err.message : String(err) }),
    );
  });
  process.send!({ ready: true });
  // The parent gone (it failed, or was stopped): nothing is left running.
  process.on('disconnect', () => void (app?.stop() ?? Promise.resolve()).finally(() => process.exit(0)));
}

interface Runs {
  bare: Measured;
  floor: Awaited<ReturnType<typeof webhookOnly>>;
  ours: InProcess;
}

let runs: Promise<Runs> | undefined;
/** The floor and the in-process run, measured once for both rows. */
const measured = (): Promise<Runs> =>
  (runs ??= (async () => {
    const bare = await bareBullmq();
    const floor = await webhookOnly();
    const ours = await parleyInProcess();
    return { bare, floor, ours };
  })());

export const pipeline: Benchmark = async () => {
  const { bare: baseline, floor, ours } = await measured();
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

export const pipelineCpu: Benchmark = async () => {
  const { bare, floor, ours } = await measured();
  const split = await parleySplit();
  const floorCpu = floor.cpuNode + bare.cpu.node;
  return {
    name: 'pipeline_cpu',
    ours: ours.cpu.node,
    baseline: floorCpu,
    ratio: Number((floorCpu / ours.cpu.node).toFixed(3)),
    unit: 'cpu_us/event',
    details: {
      events: EVENTS,
      measured: 'Node CPU time (user + system, all threads) per event, from the first webhook sent to the last delivery; the webhooks are sent from another process, whose CPU is not counted',
      floor: 'the webhook route alone (signature checked, body parsed, dropped) + one bare BullMQ job (added, processed, removed), each measured alone in this run',
      webhook_route_alone_cpu_us: floor.cpuNode,
      bare_bullmq_job_cpu_us: bare.cpu.node,
      goal_ratio: CPU_GOAL,
      redis_cpu_us_per_event: ours.cpu.redis,
      baseline_redis_cpu_us_per_job: bare.cpu.redis,
      load_generator_cpu_us_per_event: ours.loadCpu,
      split_roles_cpu_us_per_event: split.cpu.node,
      split_roles_ratio: Number((floorCpu / split.cpu.node).toFixed(3)),
      split_web_cpu_us_per_event: split.webCpu,
      split_workers_cpu_us_per_event: split.workersCpu,
      split_redis_cpu_us_per_event: split.cpu.redis,
      split_events_per_s: Math.round(split.rate),
    },
  };
};

if (process.argv.includes('--child')) {
  serveChild();
} else if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const only = process.argv.slice(2);
  if (only.length === 0 || only.includes('pipeline')) console.log(JSON.stringify(await pipeline()));
  if (only.length === 0 || only.includes('pipeline_cpu')) console.log(JSON.stringify(await pipelineCpu()));
  process.exit(0);
}
