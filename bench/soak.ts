// `npm run soak [-- --minutes N --heap-snapshots]`: a whole Parley as an operator runs it (`node bin/parley.js
// start`, compiled, every role in one process, SQLite) takes 100 signed Discourse webhooks a second for N minutes
// (default 10), and its memory is sampled every 10 s: resident set (VmRSS, as the OS counts it), V8's heap used (its
// own /metrics), and the heap after each of V8's full collections (--trace-gc): the live set. Flat means the
// least-squares slopes of the live set and of the memory outside V8's heap over the second half of the run stay
// under FLAT_MB_PER_MIN (a leak grows all along; the memory outside V8's heap climbs for the first minutes to a
// high-water mark, then stays). RSS and heap used are reported too, with their slopes after the first minute, but
// they climb between full collections, which V8 spaces as it likes (by a minute or more), so their slopes say more
// about V8's timing than about a leak.
// Not in CI: the figures go in the closing note. Ctrl-C stops sending after the current 10 s, waits for
// what is owed, and prints what it has; a second Ctrl-C stops at once. Linux only (/proc); needs Redis on REDIS_URL.
//
// The platforms: every one configured against local stand-ins (bench/soak-platforms.ts). No platform takes 100
// messages a second (Discord 50, Telegram 30, Matrix and Mattermost 10, Slack about 5: their adapters' rateLimits),
// so 70% of the events go to 355 channels of five platforms, each at about 70% of its limit and a fifth of an event a
// second per channel, and 30% to categories no rule follows (received, checked, matched against no rule).
// Deliveries keep Parley's default delay (PARLEY_DELIVERY_DELAY_SECONDS, 15 s): the latency includes it.
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import path from 'node:path';
import { Worker as Thread } from 'node:worker_threads';
import { redisConnection } from '../lib/redis.js';
import type { ChannelSettings } from '../lib/seams/store.js';
import { openStore } from '../lib/store/index.js';
import { BENCH_REDIS_URL, BENCH_WEBHOOK_SECRET } from './app-env.js';
import { removeKeys } from './redis-keys.js';
import { startSoakPlatforms, type SoakPlatform, type SoakPlatforms } from './soak-platforms.js';
import { buildIfStale, cleanEnv, cpuMsOf, memoryOf, spawnParley, type ParleyProcess } from './parley-process.js';
import type { LoadOrder, LoadReport } from './webhook-load.js';

const FIXTURE = new URL('../../shared/fixtures/discourse-webhooks/discourse-2025.12/post_created.body.json', import.meta.url);

const RATE = 100;
/** The sender works in orders of this many seconds, each a worker thread (bench/webhook-load.ts) started on the
 *  second, so that the pace holds across them and Ctrl-C stops within one. */
const CHUNK_SECONDS = 10;
const CHUNK_EVENTS = RATE * CHUNK_SECONDS;
const SAMPLE_EVERY_MS = 10_000;
const WARM_UP_MS = 60_000;
/**
 * The bar for "flat", in MB a minute, over the second half of the run. At 100 events a second, 1 MB a minute is 175 bytes
 * an event: less than anything Parley could keep per event (a Map entry with its key and value, a job, a log
 * line), so a per-event leak shows above it; and well above the noise of the live set and of the memory outside
 * V8's heap on a 5-minute fit (each slope's standard error is printed beside it).
 */
const FLAT_MB_PER_MIN = 1;
/** Parley's default, left unset as an operator leaves it: the wait before a delivery goes out. */
const DELIVERY_DELAY_MS = 15_000;
const DRAIN_TIMEOUT_MS = DELIVERY_DELAY_MS + 60_000;
const START_TIMEOUT_MS = 60_000;

/** Events go round-robin over the categories (webhook-load's category_id is the event's index modulo this), so each
 *  category gets RATE / CATEGORIES events a second: a fifth of one, under every platform's per-channel limit. */
const CATEGORIES = 500;
/** Each platform's share of the events, in percent, about 70% of its declared limit; `none`: no rule follows them. */
const SHARES: Record<SoakPlatform | 'none', number> = { discord: 35, telegram: 20, matrix: 7, mattermost: 5, slack: 3, none: 30 };
/** webhook-load.ts's topic ids: 50,000 + idOffset + the event's index. */
const TOPIC_BASE = 50_000;

const round1 = (n: number) => Math.round(n * 10) / 10;
const MB = 1024 * 1024;
const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
const wallNow = () => performance.timeOrigin + performance.now();

/** `--heap-snapshots`: Parley writes a heap snapshot (after a full collection) at the end of the first minute and at
 *  the end of sending, into a folder the soak names and keeps, to see what grows (the samples after each are
 *  disturbed: writing one takes seconds and memory). */
const SNAPSHOTS = process.argv.includes('--heap-snapshots');

function minutesArg(): number {
  const at = process.argv.indexOf('--minutes');
  if (at < 0) return 10;
  const minutes = Number(process.argv[at + 1]);
  if (!(minutes > 0)) throw new Error('--minutes takes a positive number (default 10)');
  return minutes;
}

/** Which platform each category's channel is on (null: no channel), spread evenly by smooth weighted round-robin, so
 *  that each platform's events come at an even pace rather than in bursts. */
function categoryPlan(): (SoakPlatform | null)[] {
  const entries = Object.entries(SHARES) as [SoakPlatform | 'none', number][];
  const total = entries.reduce((sum, [, share]) => sum + share, 0);
  const credit = new Map(entries.map(([name]) => [name, 0]));
  const plan: (SoakPlatform | null)[] = [];
  for (let k = 0; k < CATEGORIES; k++) {
    for (const [name, share] of entries) credit.set(name, credit.get(name)! + share);
    const [chosen] = [...credit.entries()].reduce((best, entry) => (entry[1] > best[1] ? entry : best));
    credit.set(chosen, credit.get(chosen)! - total);
    plan.push(chosen === 'none' ? null : chosen);
  }
  return plan;
}

/** A channel id of the platform's own form, the n-th of the soak. */
function externalId(platform: SoakPlatform, n: number): string {
  switch (platform) {
    case 'discord':
      return String(1_200_000_000_000_000_000n + BigInt(n));
    case 'telegram':
      return `-100${1_000_000_000 + n}`;
    case 'matrix':
      return `!soak${n}:localhost`;
    case 'mattermost':
      return `soak${n}`.padEnd(26, '0');
    case 'slack':
      return `C${String(n).padStart(9, '0')}`;
  }
}

/** The categories, channels and rules, written before Parley starts, as `parley channels add` and `rules add` would. */
async function seed(dbPath: string, plan: (SoakPlatform | null)[], platforms: SoakPlatforms): Promise<Record<string, number>> {
  const store = await openStore({ kind: 'sqlite', path: dbPath });
  const channels: Record<string, number> = {};
  try {
    await store.categories.replaceAll(plan.map((_, k) => ({ id: k + 1, slug: `cat-${k}`, name: `Category ${k}`, parentId: null, color: '0088CC', restricted: false })));
    for (const [k, platform] of plan.entries()) {
      if (platform === null) continue;
      const n = (channels[platform] = (channels[platform] ?? 0) + 1);
      const settings: ChannelSettings | undefined = platform === 'mattermost' ? { webhookUrl: platforms.mattermostHook(`soak-${n}`) } : undefined;
      const { channel } = await store.channels.ensure({ platform, externalId: externalId(platform, n), name: `soak ${platform} ${n}`, status: 'active', addedBy: 'soak', ...(settings ? { settings } : {}) });
      await store.rules.add({ channelId: channel.id, source: 'discourse', filter: 'watch', scope: { type: 'category', path: `cat-${k}` }, createdBy: 'soak' });
    }
  } finally {
    await store.close();
  }
  return channels;
}

interface FullGc {
  /** performance.now() in the soak when the line was read. */
  at: number;
  beforeMb: number;
  afterMb: number;
}

/** V8's line for a full collection: `Mark-Compact 215.3 (240.6) -> 84.1 (150.2) MB, …` (heap used, and reserved). */
const MARK_COMPACT = /Mark-Compact(?: \(reduce\))? ([\d.]+) \([\d.]+\) -> ([\d.]+) \([\d.]+\) MB/u;

/** The soak's Parley: V8's full collections (--trace-gc) seen in its output, each with the heap before and after it (MB). */
type SoakParley = ParleyProcess & { fullGcs: FullGc[] };

/**
 * `node bin/parley.js start`, compiled (the build is fresh: see main), in its own process group, so that a Ctrl-C
 * at the terminal reaches the soak (which then stops sending and waits for the deliveries owed) and not Parley.
 */
function startParley(env: Record<string, string>, nodeFlags: string[]): SoakParley {
  const fullGcs: FullGc[] = [];
  const onOtherLine = (line: string) => {
    const gc = MARK_COMPACT.exec(line);
    if (gc) fullGcs.push({ at: performance.now(), beforeMb: Number(gc[1]), afterMb: Number(gc[2]) });
  };
  return Object.assign(spawnParley({ env, nodeFlags, detached: true, onOtherLine }), { fullGcs });
}

// --- /metrics -------------------------------------------------------------------------------------------------

interface MetricLine {
  name: string;
  labels: Record<string, string>;
  value: number;
}

function parseMetrics(text: string): MetricLine[] {
  const lines: MetricLine[] = [];
  for (const line of text.split('\n')) {
    const m = /^([a-zA-Z_:][\w:]*)(?:\{(.*)\})?\s+(\S+)/u.exec(line);
    if (!m) continue;
    const labels: Record<string, string> = {};
    for (const [, key, value] of (m[2] ?? '').matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/gu)) labels[key!] = value!;
    lines.push({ name: m[1]!, labels, value: Number(m[3]) });
  }
  return lines;
}

const sumOf = (lines: MetricLine[], name: string, where: Record<string, string> = {}) =>
  lines.filter((l) => l.name === name && Object.entries(where).every(([k, v]) => l.labels[k] === v)).reduce((sum, l) => sum + l.value, 0);

/** The p99 of Parley's own event-to-delivered histogram, all platforms, as Prometheus's histogram_quantile reads it
 *  (linear within the bucket). Its buckets are coarse; the soak's own p99 is measured per event. */
function histogramP99Ms(lines: MetricLine[]): number | null {
  const byLe = new Map<number, number>();
  for (const l of lines) {
    if (l.name !== 'parley_event_to_delivered_seconds_bucket') continue;
    const le = l.labels.le === '+Inf' ? Infinity : Number(l.labels.le);
    byLe.set(le, (byLe.get(le) ?? 0) + l.value);
  }
  const buckets = [...byLe.entries()].sort((a, b) => a[0] - b[0]);
  const total = buckets.at(-1)?.[1] ?? 0;
  if (total === 0) return null;
  const rank = 0.99 * total;
  let [prevLe, prevCount] = [0, 0];
  for (const [le, count] of buckets) {
    if (count >= rank) {
      if (le === Infinity) return prevLe * 1000;
      return (prevLe + ((le - prevLe) * (rank - prevCount)) / Math.max(1, count - prevCount)) * 1000;
    }
    [prevLe, prevCount] = [le, count];
  }
  return null;
}

// --- the sender -----------------------------------------------------------------------------------------------

interface Chunk {
  index: number;
  events: number;
  thread: Thread;
  ready: Promise<void>;
  /** When the thread began its order (its clock, as epoch ms): event i is due this plus i / RATE seconds. */
  startedAt: number | null;
  report: Promise<LoadReport>;
  done: LoadReport | null;
}

/** One order to bench/webhook-load.ts in a thread of its own, loaded ahead and held until `go`, so that the next
 *  order starts on the second rather than after a thread's start-up. */
function prepareChunk(index: number, events: number, template: Record<string, unknown>, url: string): Chunk {
  const order: LoadOrder = { url, secret: BENCH_WEBHOOK_SECRET, events, clients: 8, channels: CATEGORIES, template, ratePerSecond: RATE, idOffset: index * CHUNK_EVENTS };
  const load = new URL('./webhook-load.ts', import.meta.url).href;
  const warm = new URL('./parley-process.ts', import.meta.url).href;
  // A worker thread does not inherit tsx's loader: register it there before loading TypeScript.
  const script = `
    const { parentPort } = require('node:worker_threads');
    import('tsx/esm/api').then(async (tsx) => {
      tsx.register();
      await import(${JSON.stringify(warm)});
      parentPort.once('message', () => {
        parentPort.postMessage({ started: performance.timeOrigin + performance.now() });
        import(${JSON.stringify(load)});
      });
      parentPort.postMessage({ ready: true });
    });`;
  const thread = new Thread(script, { eval: true, workerData: order });
  let onReady: () => void = () => undefined;
  const chunk: Chunk = { index, events, thread, ready: new Promise((r) => (onReady = r)), startedAt: null, report: Promise.resolve({ latenciesMs: [], failures: [] }), done: null };
  chunk.report = new Promise<LoadReport>((resolve, reject) => {
    thread.on('message', (message: { ready?: true; started?: number } | LoadReport) => {
      if ('ready' in message) onReady();
      else if ('started' in message) chunk.startedAt = message.started!;
      else resolve((chunk.done = message as LoadReport));
    });
    thread.once('error', reject);
    thread.once('exit', () => reject(new Error(`sender ${index} stopped before it reported`)));
  });
  chunk.report.catch(() => undefined);
  return chunk;
}

// --- figures ----------------------------------------------------------------------------------------------------

interface Sample {
  /** Seconds since the first webhook. */
  t: number;
  phase: 'send' | 'drain';
  sent: number;
  accepted: number;
  delivered: number;
  owed: number;
  queued: number;
  /** Deliveries postponed by a 429 so far (Parley's count). */
  limited: number;
  rssMb: number;
  /** V8's heap used (/metrics), and the resident memory outside V8's heap: RSS less the heap V8 has committed. */
  heapMb: number;
  nativeMb: number;
  /** Part of nativeMb: buffers V8 tracks (nodejs_external_memory_bytes), freed when V8 collects their owners. */
  externalMb: number;
  rssAnonMb: number;
  rssFileMb: number;
  rssShmemMb: number;
  /** The heap after the latest full collection so far (the live set), and how many there were. */
  liveMb: number | null;
  fullGcs: number;
  cpuPct: number;
  p99Ms: number | null;
  load1: number;
}

function percentile(sorted: number[], p: number): number | null {
  return sorted.length === 0 ? null : sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))]!;
}

/** Least-squares slope of y (MB) over x (minutes), and its standard error. */
function slope(points: { x: number; y: number }[]): { perMin: number; se: number } | null {
  const n = points.length;
  if (n < 2) return null;
  const mx = points.reduce((s, p) => s + p.x, 0) / n;
  const my = points.reduce((s, p) => s + p.y, 0) / n;
  const sxx = points.reduce((s, p) => s + (p.x - mx) ** 2, 0);
  const b = points.reduce((s, p) => s + (p.x - mx) * (p.y - my), 0) / sxx;
  const residuals = points.reduce((s, p) => s + (p.y - my - b * (p.x - mx)) ** 2, 0);
  return { perMin: b, se: n > 2 ? Math.sqrt(residuals / (n - 2) / sxx) : NaN };
}

const avg = (values: number[]) => (values.length === 0 ? NaN : values.reduce((s, v) => s + v, 0) / values.length);

function memoryFigures(samples: Sample[], field: 'rssMb' | 'heapMb' | 'nativeMb' | 'externalMb' | 'rssAnonMb' | 'rssFileMb' | 'rssShmemMb', sendSeconds: number) {
  const sending = samples.filter((s) => s.phase === 'send' && s.t > 0);
  const fitFrom = (from: number) => {
    const points = sending.filter((s) => s.t * 1000 > WARM_UP_MS && s.t >= from);
    return points.length >= 3 ? slope(points.map((s) => ({ x: s.t / 60, y: s[field] }))) : null;
  };
  return {
    summary: {
      first_minute_avg: round1(avg(sending.filter((s) => s.t * 1000 <= WARM_UP_MS).map((s) => s[field]))),
      last_minute_avg: round1(avg(sending.filter((s) => s.t > sendSeconds - 60).map((s) => s[field]))),
      max: round1(Math.max(...samples.map((s) => s[field]))),
    },
    /** After the first minute, and over the second half of the sending. */
    fit: fitFrom(0),
    lateFit: fitFrom(sendSeconds / 2),
  };
}

// --- the run ----------------------------------------------------------------------------------------------------

async function main(): Promise<void> {
  const minutes = minutesArg();
  const totalEvents = Math.round(minutes * 60 * RATE);
  const chunkCount = Math.ceil(totalEvents / CHUNK_EVENTS);
  const chunkEvents = (c: number) => Math.min(CHUNK_EVENTS, totalEvents - c * CHUNK_EVENTS);

  buildIfStale('soak');

  const plan = categoryPlan();
  const ownerOf = (topicId: number): SoakPlatform | null | undefined => {
    const g = topicId - TOPIC_BASE;
    const c = Math.floor(g / CHUNK_EVENTS);
    return c >= 0 && c < chunkCount ? plan[(g - c * CHUNK_EVENTS) % CATEGORIES] : undefined;
  };

  const delivered = new Map<number, number>();
  /** Event to delivered, per event: when it was due to be sent (epoch ms) and how long until a platform had it. */
  const latencies: { due: number; ms: number; platform: SoakPlatform }[] = [];
  const chunks: Chunk[] = [];
  let unidentified = 0;
  let wrongPlatform = 0;
  const platforms = await startSoakPlatforms((platform, topicId, at) => {
    if (topicId === null) return void unidentified++;
    delivered.set(topicId, (delivered.get(topicId) ?? 0) + 1);
    if (ownerOf(topicId) !== platform) wrongPlatform++;
    const g = topicId - TOPIC_BASE;
    const chunk = chunks[Math.floor(g / CHUNK_EVENTS)];
    if (chunk?.startedAt == null || delivered.get(topicId) !== 1) return;
    const due = chunk.startedAt + ((g % CHUNK_EVENTS) * 1000) / RATE;
    latencies.push({ due, ms: at - due, platform });
  });

  const dataDir = mkdtempSync(path.join(tmpdir(), 'parley-soak-'));
  const dbPath = path.join(dataDir, 'parley.db');
  const prefix = `bench-soak-${process.pid}`;
  const redis = redisConnection(BENCH_REDIS_URL);
  let parley: SoakParley | null = null;
  try {
    const channels = await seed(dbPath, plan, platforms);
    const snapshotDir = SNAPSHOTS ? mkdtempSync(path.join(tmpdir(), 'parley-soak-heap-')) : null;
    parley = startParley({
      ...cleanEnv(),
      ...platforms.env,
      PARLEY_RUN_FROM: 'dist',
      PORT: '0',
      PARLEY_HOST: '127.0.0.1',
      PARLEY_DATA_DIR: dataDir,
      DATABASE_URL: dbPath,
      REDIS_URL: BENCH_REDIS_URL,
      PARLEY_QUEUE_PREFIX: prefix,
      PARLEY_DISCOURSE_WEBHOOK_SECRET: BENCH_WEBHOOK_SECRET,
      LOG_LEVEL: 'info',
    },
    // --trace-gc: V8 prints each collection, and a full one's heap after it is the live set, measured without
    // forcing a collection (which would change the memory being measured). bin/parley.js runs Parley in its own
    // process, so the flags reach it.
    ['--trace-gc', ...(snapshotDir ? ['--heapsnapshot-signal=SIGUSR2', `--diagnostic-dir=${snapshotDir}`] : [])]);
    const url = await Promise.race([parley.started, sleep(START_TIMEOUT_MS).then(() => Promise.reject(new Error(`parley did not start within ${START_TIMEOUT_MS} ms`)))]);
    const pid = parley.pid;
    const parleyProcess = parley;
    console.log(`soak: parley pid ${pid} at ${url}, ${minutes} min at ${RATE} webhooks/s; channels ${JSON.stringify(channels)} (+ ${SHARES.none}% of events to categories no rule follows); samples every ${SAMPLE_EVERY_MS / 1000} s`);

    // Ctrl-C: the first stops sending after the orders under way and waits for the deliveries owed; the second at once.
    let stopping = false;
    let abandon = false;
    let onStop: () => void = () => undefined;
    let onAbandon: () => void = () => undefined;
    const stopped = new Promise<void>((r) => (onStop = r));
    const abandoned = new Promise<void>((r) => (onAbandon = r));
    process.on('SIGINT', () => {
      if (stopping) {
        abandon = true;
        onAbandon();
        console.log('soak: stopping now');
        return;
      }
      stopping = true;
      onStop();
      console.log('soak: stopping after the webhooks under way, then waiting for the deliveries owed (Ctrl-C again: at once)');
    });
    /** Waits `ms`, or less when a Ctrl-C (`until`) comes first. */
    const pause = (ms: number, until: Promise<void>) => Promise.race([sleep(ms), until]);

    const template = (JSON.parse(readFileSync(FIXTURE, 'utf8')) as { post: Record<string, unknown> }).post;
    // Without post_url the announcement's link is built from the topic id, which tells the stand-ins which event it is.
    delete template.post_url;
    const hook = `${url}/hooks/discourse`;

    const sentSoFar = () => chunks.reduce((s, c) => s + (c.done ? c.events : c.startedAt ? Math.min(c.events, Math.floor(((wallNow() - c.startedAt) * RATE) / 1000) + 1) : 0), 0);
    /** The deliveries owed for the events sent so far: those in a category with a channel. */
    const owedIds = (): number[] => {
      const ids: number[] = [];
      for (const c of chunks) {
        const sent = c.done ? c.events : c.startedAt ? Math.min(c.events, Math.floor(((wallNow() - c.startedAt) * RATE) / 1000) + 1) : 0;
        for (let i = 0; i < sent; i++) if (plan[i % CATEGORIES] !== null) ids.push(TOPIC_BASE + c.index * CHUNK_EVENTS + i);
      }
      return ids;
    };

    const samples: Sample[] = [];
    let t0 = performance.now();
    let phase: Sample['phase'] = 'send';
    let lastCpu = { at: performance.now(), ms: cpuMsOf(pid) };
    console.log(['t_s', 'phase', 'sent', 'accepted', 'delivered', 'owed', 'queued', 'limited', 'rss_mb', 'heap_mb', 'live_mb', 'full_gcs', 'native_mb', 'ext_mb', 'file_mb', 'cpu_%', 'p99_ms', 'load1'].map((h) => h.padStart(10)).join(''));
    const sample = async (): Promise<void> => {
      const text = await fetch(`${url}/metrics`, { signal: AbortSignal.timeout(5000) }).then((r) => r.text());
      const lines = parseMetrics(text);
      const owed = owedIds().filter((id) => !delivered.has(id)).length;
      const cpu = { at: performance.now(), ms: cpuMsOf(pid) };
      const sorted = latencies.map((l) => l.ms).sort((a, b) => a - b);
      const rssParts = memoryOf(pid);
      const rss = rssParts.rss;
      const s: Sample = {
        t: Math.round((performance.now() - t0) / 1000),
        phase,
        sent: sentSoFar(),
        accepted: sumOf(lines, 'parley_webhook_request_duration_seconds_count', { source: 'discourse', status: '202' }),
        delivered: [...delivered.values()].reduce((a, b) => a + b, 0),
        owed,
        limited: sumOf(lines, 'parley_deliveries_total', { outcome: 'rate_limited' }),
        queued: ['waiting', 'prioritized', 'delayed', 'active'].reduce((sum, state) => sum + sumOf(lines, 'parley_queue_jobs', { state }), 0),
        rssMb: rss,
        heapMb: sumOf(lines, 'nodejs_heap_size_used_bytes') / MB,
        nativeMb: rss - sumOf(lines, 'nodejs_heap_size_total_bytes') / MB,
        externalMb: sumOf(lines, 'nodejs_external_memory_bytes') / MB,
        rssAnonMb: rssParts.anon,
        rssFileMb: rssParts.file,
        rssShmemMb: rssParts.shmem,
        liveMb: parleyProcess.fullGcs.at(-1)?.afterMb ?? null,
        fullGcs: parleyProcess.fullGcs.length,
        cpuPct: ((cpu.ms - lastCpu.ms) / (cpu.at - lastCpu.at)) * 100,
        p99Ms: percentile(sorted, 0.99),
        load1: loadavg()[0]!,
      };
      lastCpu = cpu;
      samples.push(s);
      const cells = [s.t, s.phase, s.sent, s.accepted, s.delivered, s.owed, s.queued, s.limited, round1(s.rssMb), round1(s.heapMb), s.liveMb ?? '-', s.fullGcs, round1(s.nativeMb), round1(s.externalMb), round1(s.rssFileMb), Math.round(s.cpuPct), s.p99Ms === null ? '-' : Math.round(s.p99Ms), loadavg()[0]!.toFixed(2)];
      console.log(cells.map((c) => String(c).padStart(10)).join(''));
    };

    // Send: one order every CHUNK_SECONDS, on the second, each thread loaded during the previous order.
    let next: Chunk | null = prepareChunk(0, chunkEvents(0), template, hook);
    await next.ready;
    t0 = performance.now();
    lastCpu = { at: performance.now(), ms: cpuMsOf(pid) };
    await sample();
    let sampling = Promise.resolve();
    const snapshot = (when: string) => {
      if (!snapshotDir) return;
      console.log(`soak: heap snapshot (${when}) into ${snapshotDir}`);
      process.kill(pid, 'SIGUSR2');
    };
    const firstSnapshot = setTimeout(() => snapshot('end of the first minute'), WARM_UP_MS);
    const sampler = setInterval(() => {
      sampling = sampling.then(sample).catch((err: Error) => console.log(`soak: sample failed: ${err.message}`));
    }, SAMPLE_EVERY_MS);
    for (let c = 0; c < chunkCount && next && !stopping; c++) {
      const wait = t0 + c * CHUNK_SECONDS * 1000 - performance.now();
      if (wait > 0) await pause(wait, stopped);
      if (stopping) break;
      await next.ready;
      chunks.push(next);
      next.thread.postMessage('go');
      next = c + 1 < chunkCount ? prepareChunk(c + 1, chunkEvents(c + 1), template, hook) : null;
    }
    if (next) void next.thread.terminate();
    // The orders under way finish (at most CHUNK_SECONDS), unless told to stop at once.
    await Promise.race([Promise.allSettled(chunks.map((c) => c.report)), abandoned]);
    for (const c of chunks) if (!c.done) void c.thread.terminate();
    const sendSeconds = (performance.now() - t0) / 1000;
    clearTimeout(firstSnapshot);
    snapshot('end of sending');
    await (sampling = sampling.then(sample).catch(() => undefined));

    // Drain: wait for every delivery owed (the delay, then the platforms' pace).
    phase = 'drain';
    const drainEnd = performance.now() + DRAIN_TIMEOUT_MS;
    while (!abandon && performance.now() < drainEnd && owedIds().some((id) => !delivered.has(id))) await pause(1000, abandoned);
    clearInterval(sampler);
    await sampling;
    await sample().catch(() => undefined);

    // Figures.
    const lines = parseMetrics(await fetch(`${url}/metrics`).then((r) => r.text()));
    const owed = owedIds();
    const eventsSent = sentSoFar();
    const missing = owed.filter((id) => !delivered.has(id)).length;
    const duplicates = [...delivered.values()].reduce((s, n) => s + n - 1, 0);
    const unexpected = [...delivered.keys()].filter((id) => ownerOf(id) == null).length;
    const rss = memoryFigures(samples, 'rssMb', sendSeconds);
    const heap = memoryFigures(samples, 'heapMb', sendSeconds);
    const native = memoryFigures(samples, 'nativeMb', sendSeconds);
    // The live set: the heap after each full collection V8 made while the webhooks came, after the first minute.
    const liveAfterWarmUp = parley.fullGcs.filter((g) => g.at - t0 > WARM_UP_MS && g.at - t0 <= sendSeconds * 1000);
    const liveFit = (from: number) => {
      const points = liveAfterWarmUp.filter((g) => g.at - t0 >= from * 1000);
      return points.length >= 3 ? slope(points.map((g) => ({ x: (g.at - t0) / 60_000, y: g.afterMb }))) : null;
    };
    const live = {
      fit: liveFit(0),
      lateFit: liveFit(sendSeconds / 2),
      summary: {
        first_after_first_minute: liveAfterWarmUp[0]?.afterMb ?? null,
        last: liveAfterWarmUp.at(-1)?.afterMb ?? null,
        max: liveAfterWarmUp.length ? Math.max(...liveAfterWarmUp.map((g) => g.afterMb)) : null,
      },
    };
    // Flat: no growth left in the second half. Memory outside V8's heap climbs for the first minutes, to the high-water
    // mark of the buffers that wait for V8's longest gap between full collections (the allocator keeps what it got),
    // then stays; a leak keeps growing, so it shows in the second half as in the first.
    const flat = live.lateFit === null || native.lateFit === null ? null : live.lateFit.perMin < FLAT_MB_PER_MIN && native.lateFit.perMin < FLAT_MB_PER_MIN;
    const webhookLatencies = chunks.flatMap((c) => c.done?.latenciesMs ?? []).sort((a, b) => a - b);
    const refused = chunks.reduce((s, c) => s + (c.done?.failures.length ?? 0), 0);
    const sending = samples.filter((s) => s.phase === 'send' && s.t > 0);
    const dbBytes = ['', '-wal'].reduce((s, suffix) => s + (statSync(dbPath + suffix, { throwIfNoEntry: false })?.size ?? 0), 0);
    const allLatencies = latencies.map((l) => l.ms).sort((a, b) => a - b);
    const t0Wall = performance.timeOrigin + t0;
    const steadyLatencies = latencies.filter((l) => l.due - t0Wall > WARM_UP_MS).map((l) => l.ms).sort((a, b) => a - b);
    const ms = (v: number | null) => (v === null ? null : Math.round(v));
    const slopeOf = (fit: { perMin: number } | null) => (fit ? Math.round(fit.perMin * 100) / 100 : null);
    const seOf = (fit: { se: number } | null) => (fit && Number.isFinite(fit.se) ? Math.round(fit.se * 100) / 100 : null);
    const fmt = (fit: { perMin: number; se: number }) => `${fit.perMin.toFixed(2)} ± ${fit.se.toFixed(2)}`;
    const half = Math.round(sendSeconds / 120);
    console.log(
      live.lateFit === null || native.lateFit === null
        ? `soak: too short to tell (a slope needs 3 full collections and 3 samples in the second half, after the first minute: run 3 minutes or more)`
        : `soak: ${flat ? 'flat' : 'NOT flat'}: over the second half (from minute ${half}), the live heap (after each of V8's full collections) ` +
            `changed ${fmt(live.lateFit)} MB/min and the memory outside V8's heap (RSS less V8's committed heap) ${fmt(native.lateFit)} MB/min; ` +
            `the bar is ${FLAT_MB_PER_MIN} MB/min (${Math.round((FLAT_MB_PER_MIN * MB) / (RATE * 60))} bytes an event).` +
            (flat === false && live.lateFit.perMin < FLAT_MB_PER_MIN
              ? ' Only the memory outside V8\'s heap grew: it climbs to the allocator\'s high-water mark, which took up to 9 minutes' +
                ' on the 2-core development machine, then stays; run longer (--minutes 20) to tell that from a leak.'
              : '') +
            (live.fit && native.fit && rss.fit && heap.fit
              ? ` After the first minute: live heap ${fmt(live.fit)}, outside V8's heap ${fmt(native.fit)}, RSS ${fmt(rss.fit)}, heap used ${fmt(heap.fit)} MB/min ` +
                `(RSS and heap used climb between V8's full collections, which V8 spaces as it likes).`
              : ''),
    );
    console.log(
      JSON.stringify({
        name: 'soak',
        minutes: Math.round((sendSeconds / 60) * 100) / 100,
        ...(stopping ? { stopped_early: true } : {}),
        rate_per_s: round1(eventsSent / sendSeconds),
        events_sent: eventsSent,
        webhooks_accepted: sumOf(lines, 'parley_webhook_request_duration_seconds_count', { source: 'discourse', status: '202' }),
        webhooks_refused: refused,
        deliveries_owed: owed.length,
        delivered: delivered.size,
        missing,
        duplicates,
        unexpected: unexpected + wrongPlatform + unidentified,
        rss_mb: rss.summary,
        heap_mb: heap.summary,
        live_heap_mb: live.summary,
        native_mb: native.summary,
        external_mb: memoryFigures(samples, 'externalMb', sendSeconds).summary,
        rss_anon_mb: memoryFigures(samples, 'rssAnonMb', sendSeconds).summary,
        rss_file_mb: memoryFigures(samples, 'rssFileMb', sendSeconds).summary,
        rss_shmem_mb: memoryFigures(samples, 'rssShmemMb', sendSeconds).summary,
        rss_slope_mb_per_min: slopeOf(rss.fit),
        rss_slope_se: seOf(rss.fit),
        heap_slope_mb_per_min: slopeOf(heap.fit),
        heap_slope_se: seOf(heap.fit),
        live_heap_slope_mb_per_min: slopeOf(live.fit),
        live_heap_slope_se: seOf(live.fit),
        native_slope_mb_per_min: slopeOf(native.fit),
        native_slope_se: seOf(native.fit),
        second_half: {
          from_minute: round1(sendSeconds / 120),
          live_heap_slope_mb_per_min: slopeOf(live.lateFit),
          live_heap_slope_se: seOf(live.lateFit),
          native_slope_mb_per_min: slopeOf(native.lateFit),
          native_slope_se: seOf(native.lateFit),
          rss_slope_mb_per_min: slopeOf(rss.lateFit),
          heap_slope_mb_per_min: slopeOf(heap.lateFit),
        },
        full_gcs: parley.fullGcs.filter((g) => g.at > t0 && g.at - t0 <= sendSeconds * 1000).length,
        flat_bar_mb_per_min: FLAT_MB_PER_MIN,
        flat,
        p99_ms: ms(percentile(allLatencies, 0.99)),
        p50_ms: ms(percentile(allLatencies, 0.5)),
        p99_ms_after_first_minute: ms(percentile(steadyLatencies, 0.99)),
        p99_ms_by_platform: Object.fromEntries(Object.keys(channels).map((p) => [p, ms(percentile(latencies.filter((l) => l.platform === p).map((l) => l.ms).sort((a, b) => a - b), 0.99))])),
        delivery_delay_ms: DELIVERY_DELAY_MS,
        parley_histogram_p99_ms: ms(histogramP99Ms(lines)),
        webhook_p99_ms: webhookLatencies.length ? Number(percentile(webhookLatencies, 0.99)!.toFixed(1)) : null,
        parley_deliveries: Object.fromEntries(['delivered', 'retried', 'rate_limited', 'failed', 'cancelled'].map((o) => [o, sumOf(lines, 'parley_deliveries_total', { outcome: o })])),
        rate_limited_by_platform: Object.fromEntries(Object.keys(channels).map((p) => [p, sumOf(lines, 'parley_deliveries_total', { platform: p, outcome: 'rate_limited' })])),
        parley_cpu_pct_avg: Math.round(avg(sending.map((s) => s.cpuPct))),
        load_avg_1m: { mean: Number(avg(sending.map((s) => s.load1)).toFixed(2)), max: Number(Math.max(...sending.map((s) => s.load1)).toFixed(2)) },
        sqlite_mb: round1(dbBytes / MB),
        channels,
        log_warnings: parley.warnings,
        log_errors: parley.errors,
        ...(parley.firstProblems.size > 0 ? { first_problems: [...parley.firstProblems] } : {}),
        stub_unanswered: [...new Set(platforms.unanswered)].join(', ') || 'none',
        node: process.version,
      }),
    );
  } finally {
    await parley?.stop();
    await platforms.close();
    rmSync(dataDir, { recursive: true, force: true });
    // The run's queues, limiter windows and leases: everything under its prefix.
    await removeKeys(redis, `${prefix}:*`);
    redis.disconnect();
  }
}

await main();
process.exit(0);
