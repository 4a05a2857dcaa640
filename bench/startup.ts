// Startup: `node bin/parley.js start` as an operator runs it, with every platform and both sources configured
// (bench/idle-platforms.ts answers for them on 127.0.0.1), measured from spawn until GET /healthz answers 200, and
// its resident memory once idle (VmRSS of the process, 10 s after it logged "parley started", as the OS counts it),
// with /readyz's answer then (200: every platform and store answered). The wall times depend on what else the machine
// runs: the details give the CPU time until /healthz answered, and the load average.
// Ours: the compiled build (dist/, PARLEY_RUN_FROM=dist); baseline: the same sources through tsx
// (PARLEY_RUN_FROM=source), in the same run. ratio = ours ÷ baseline of the idle RSS (lower is better). Issue 14's
// bar: idle RSS below 120 MB and /healthz within 1 s of start. Linux only (/proc); needs Redis on REDIS_URL.
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { loadavg, tmpdir } from 'node:os';
import path from 'node:path';
import { startIdlePlatforms, type IdlePlatforms } from './idle-platforms.js';
import { buildIfStale, cleanEnv, cpuMsOf, memoryOf, spawnParley } from './parley-process.js';
import { removeRunKeys } from './redis-keys.js';
import type { Benchmark } from './types.js';

const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const SETTLE_MS = 10_000;
const START_TIMEOUT_MS = 60_000;
const HEALTHZ_POLL_MS = 5;
/** The bar. */
const RSS_BAR_MB = 120;
const HEALTHZ_BAR_MS = 1000;

interface StartFigures {
  healthzMs: number;
  /** CPU time of the process (all its threads) until /healthz answered: unlike the wall time, hardly changed by what
   *  else the machine runs. */
  healthzCpuMs: number;
  /** Until every role ran ("parley started"): the bots connected to the stubs. */
  startedMs: number;
  /** CPU time of the process until then. */
  startedCpuMs: number;
  idleRssMb: number;
  peakRssMb: number;
  /** GET /readyz once idle: 200 when every platform and store answered (the stand-ins do). */
  readyzStatus: number;
  /** Log lines at warn or above while starting and idling. */
  warnings: number;
  errors: number;
}

const round1 = (n: number) => Math.round(n * 10) / 10;

async function statusOf(url: string): Promise<number> {
  const res = await fetch(url, { signal: AbortSignal.timeout(5000) });
  await res.arrayBuffer();
  return res.status;
}

async function healthzAnswers(url: string): Promise<boolean> {
  try {
    const res = await fetch(url, { signal: AbortSignal.timeout(1000) });
    await res.arrayBuffer();
    return res.status === 200;
  } catch {
    return false;
  }
}

async function measure(runFrom: 'dist' | 'source', platforms: IdlePlatforms, port: number): Promise<StartFigures> {
  const dataDir = mkdtempSync(path.join(tmpdir(), `parley-startup-${runFrom}-`));
  const prefix = `bench-startup-${process.pid}-${runFrom}`;
  const env = {
    ...cleanEnv(),
    ...platforms.env,
    PARLEY_RUN_FROM: runFrom,
    PORT: String(port),
    PARLEY_HOST: '127.0.0.1',
    PARLEY_DATA_DIR: dataDir,
    DATABASE_URL: path.join(dataDir, 'parley.db'),
    REDIS_URL,
    PARLEY_QUEUE_PREFIX: prefix,
  };
  const t0 = performance.now();
  const parley = spawnParley({ env });
  const { child } = parley;
  /** When the log said "parley started" (every role running), read by the loop below. */
  const started: { at: number | null; cpuMs: number } = { at: null, cpuMs: 0 };
  parley.started.then(
    () => {
      started.at = performance.now();
      started.cpuMs = cpuMsOf(parley.pid);
    },
    () => undefined,
  );
  const failed = (why: string) => new Error(`startup (${runFrom}): ${why}\n${parley.tail().slice(-4000)}`);
  try {
    let healthzMs: number | null = null;
    let healthzCpuMs = 0;
    while (healthzMs === null) {
      if (child.exitCode !== null) throw failed(`parley exited ${child.exitCode} before /healthz answered`);
      if (performance.now() - t0 > START_TIMEOUT_MS) throw failed(`/healthz did not answer within ${START_TIMEOUT_MS} ms`);
      if (await healthzAnswers(`http://127.0.0.1:${port}/healthz`)) {
        healthzMs = performance.now() - t0;
        healthzCpuMs = cpuMsOf(parley.pid);
      } else await new Promise((r) => setTimeout(r, HEALTHZ_POLL_MS));
    }
    let startedAt = started.at;
    while (startedAt === null) {
      if (child.exitCode !== null) throw failed(`parley exited ${child.exitCode} before it started`);
      if (performance.now() - t0 > START_TIMEOUT_MS) throw failed(`no "parley started" within ${START_TIMEOUT_MS} ms`);
      await new Promise((r) => setTimeout(r, 50));
      startedAt = started.at;
    }
    await new Promise((r) => setTimeout(r, Math.max(0, startedAt + SETTLE_MS - performance.now())));
    if (child.exitCode !== null) throw failed(`parley exited ${child.exitCode} while idle`);
    const memory = memoryOf(parley.pid);
    const readyzStatus = await statusOf(`http://127.0.0.1:${port}/readyz`);
    return { healthzMs, healthzCpuMs, startedMs: startedAt - t0, startedCpuMs: started.cpuMs, idleRssMb: memory.rss, peakRssMb: memory.peak, readyzStatus, warnings: parley.warnings, errors: parley.errors };
  } finally {
    await parley.stop();
    rmSync(dataDir, { recursive: true, force: true });
    await removeRunKeys(prefix, REDIS_URL);
  }
}

/** A free port: bound, read, released. */
async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

export const startup: Benchmark = async () => {
  // Ours is the build of the sources as they are now: build first when dist/ is missing or stale.
  const buildMs = buildIfStale('startup');
  const platforms = await startIdlePlatforms();
  // Wall times depend on what else the machine runs: the load average says how busy it was.
  const loadBefore = loadavg()[0]!;
  try {
    const dist = await measure('dist', platforms, await freePort());
    const source = await measure('source', platforms, await freePort());
    return {
      name: 'startup',
      ours: round1(dist.idleRssMb),
      baseline: round1(source.idleRssMb),
      ratio: Math.round((dist.idleRssMb / source.idleRssMb) * 100) / 100,
      unit: 'MB idle RSS (lower is better)',
      details: {
        ours: 'compiled: dist/cli/main.js (PARLEY_RUN_FROM=dist)',
        baseline: 'the sources through tsx (PARLEY_RUN_FROM=source)',
        platforms: 'telegram (polling), discord (gateway), slack (HTTP), matrix (sync), mattermost, irc; discourse and gitlab with API keys',
        healthz_ms: Math.round(dist.healthzMs),
        readyz_idle: dist.readyzStatus,
        healthz_cpu_ms: dist.healthzCpuMs,
        idle_rss_mb: round1(dist.idleRssMb),
        started_ms: Math.round(dist.startedMs),
        started_cpu_ms: dist.startedCpuMs,
        peak_rss_mb: round1(dist.peakRssMb),
        baseline_healthz_ms: Math.round(source.healthzMs),
        baseline_healthz_cpu_ms: source.healthzCpuMs,
        baseline_idle_rss_mb: round1(source.idleRssMb),
        baseline_started_ms: Math.round(source.startedMs),
        baseline_started_cpu_ms: source.startedCpuMs,
        baseline_peak_rss_mb: round1(source.peakRssMb),
        baseline_readyz_idle: source.readyzStatus,
        bar: `idle RSS < ${RSS_BAR_MB} MB: ${dist.idleRssMb < RSS_BAR_MB ? 'met' : 'NOT met'}; /healthz < ${HEALTHZ_BAR_MS} ms: ${dist.healthzMs < HEALTHZ_BAR_MS ? 'met' : 'NOT met'}`,
        settle_s: SETTLE_MS / 1000,
        node: process.version,
        load_average_1m: `${loadBefore.toFixed(2)} before, ${loadavg()[0]!.toFixed(2)} after`,
        log_warnings: dist.warnings + source.warnings,
        log_errors: dist.errors + source.errors,
        stub_unanswered: [...new Set(platforms.unanswered)].join(', ') || 'none',
        ...(buildMs !== null ? { build_ms: buildMs } : {}),
      },
    };
  } finally {
    await platforms.close();
  }
};
