// What the benchmarks that run Parley as a process of its own share (instances, startup, soak): the command and a
// clean environment, the build they measure, its log read line by line, and the figures /proc gives of it.
// (bench/ may not import test/; test/helpers/parley-process.ts does the same for the tests.)
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { Agent, request } from 'node:http';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { whyStale } from '../bin/build-info.js';
import { signBody } from '../lib/discourse/signature.js';

export const ROOT = fileURLToPath(new URL('../', import.meta.url));
export const BIN = path.join(ROOT, 'bin', 'parley.js');

/**
 * This process's environment without Parley's own settings (each benchmark gives all of them), nor NODE_OPTIONS
 * (an `--import tsx` there would load tsx into the compiled run).
 */
export function cleanEnv(): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (v !== undefined && !k.startsWith('PARLEY_') && !['DATABASE_URL', 'PORT', 'REDIS_URL', 'LOG_LEVEL', 'NODE_OPTIONS'].includes(k)) env[k] = v;
  }
  return env;
}

/** What `npm start` runs is the build of the sources as they are now: builds dist/ when missing or stale; the ms it took, or null. */
export function buildIfStale(benchmark: string): number | null {
  const stale = whyStale(ROOT);
  if (stale === null) return null;
  console.log(`${benchmark}: building dist/ (${stale})`);
  const t = performance.now();
  const build = spawnSync(process.execPath, [path.join(ROOT, 'bin', 'build.js')], { cwd: ROOT, stdio: ['ignore', 'ignore', 'inherit'] });
  if (build.status !== 0) throw new Error(`${benchmark}: npm run build failed (${stale})`);
  return Math.round(performance.now() - t);
}

/** User and system CPU time of a process so far, in ms, from /proc (clock ticks of 10 ms, as on every Linux/x86-64). */
export function cpuMsOf(pid: number): number {
  // The fields after the command's closing parenthesis: utime and stime are the 12th and 13th of them.
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.split(' ') ?? [];
  return (Number(fields[11]) + Number(fields[12])) * 10;
}

/** VmRSS, its peak (VmHWM) and its parts (anonymous memory, mapped files, shared memory such as SQLite's WAL index), in MB (2^20 bytes). */
export function memoryOf(pid: number): { rss: number; peak: number; anon: number; file: number; shmem: number } {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const mb = (field: string) => Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'mu').exec(status)?.[1] ?? NaN) / 1024;
  return { rss: mb('VmRSS'), peak: mb('VmHWM'), anon: mb('RssAnon'), file: mb('RssFile'), shmem: mb('RssShmem') };
}

/** One POST over a kept-alive connection; resolves with the status (node:http: undici's fetch costs more CPU than Parley's work). */
export function post(url: URL, agent: Agent, headers: Record<string, string>, body: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request({ host: url.hostname, port: url.port, path: url.pathname, method: 'POST', agent, headers: { ...headers, 'content-length': String(Buffer.byteLength(body)) } }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    });
    req.on('error', reject);
    req.end(body);
  });
}

/** The headers of a signed post_created webhook, as Discourse sends it. */
export function postCreatedHeaders(body: string, eventId: string, secret: string): Record<string, string> {
  return {
    'content-type': 'application/json',
    'x-discourse-event-id': eventId,
    'x-discourse-event-type': 'post',
    'x-discourse-event': 'post_created',
    'x-discourse-event-signature': signBody(body, secret),
  };
}

export interface ParleyProcess {
  child: ChildProcess;
  pid: number;
  /** Resolves with its web address once it logged "parley started" (every role running). */
  started: Promise<string>;
  /** Log lines at warn and at error or above, and the first few distinct messages of them. */
  warnings: number;
  errors: number;
  firstProblems: Set<string>;
  /** The last 20,000 characters it wrote, for an error message. */
  tail(): string;
  /** SIGTERM, then SIGKILL after 20 s. */
  stop(): Promise<void>;
}

/**
 * `node [nodeFlags] bin/parley.js start` with `env` (give cleanEnv() and the run's settings). `detached`: in its own
 * process group, so that a Ctrl-C at the terminal reaches the benchmark (which stops it) and not Parley; it is
 * killed if the benchmark exits first. `onOtherLine` is handed what is not a JSON log line (--trace-gc's, say).
 */
export function spawnParley(opts: { env: Record<string, string>; nodeFlags?: string[]; detached?: boolean; startTimeoutMs?: number; onOtherLine?: (line: string) => void }): ParleyProcess {
  const child = spawn(process.execPath, [...(opts.nodeFlags ?? []), BIN, 'start'], { cwd: ROOT, env: opts.env, stdio: ['ignore', 'pipe', 'pipe'], detached: opts.detached ?? false });
  const killOnExit = () => child.kill('SIGKILL');
  process.on('exit', killOnExit);
  let output = '';
  let pending = '';
  let url = '';
  let onStarted: (url: string) => void = () => undefined;
  const started = new Promise<string>((resolve, reject) => {
    const timer = opts.startTimeoutMs ? setTimeout(() => reject(new Error(`parley did not start within ${opts.startTimeoutMs} ms:\n${output.slice(-4000)}`)), opts.startTimeoutMs) : null;
    onStarted = (at) => {
      if (timer) clearTimeout(timer);
      resolve(at);
    };
    child.once('exit', (code, signal) => {
      if (timer) clearTimeout(timer);
      reject(new Error(`parley exited (${code ?? signal}) before it started:\n${output.slice(-4000)}`));
    });
  });
  started.catch(() => undefined);
  const handle: ParleyProcess = {
    child,
    pid: child.pid!,
    started,
    warnings: 0,
    errors: 0,
    firstProblems: new Set(),
    tail: () => output,
    async stop() {
      process.off('exit', killOnExit);
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
      await exited;
      clearTimeout(timer);
    },
  };
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
    output = (output + chunk).slice(-20_000);
    const lines = (pending + chunk).split('\n');
    pending = lines.pop()!;
    for (const line of lines) {
      let entry: { level?: number; msg?: string };
      try {
        entry = JSON.parse(line) as typeof entry;
      } catch {
        opts.onOtherLine?.(line);
        continue;
      }
      const level = entry.level ?? 0;
      if (level >= 50) handle.errors++;
      else if (level >= 40) handle.warnings++;
      if (level >= 40 && handle.firstProblems.size < 5) handle.firstProblems.add(String(entry.msg).slice(0, 200));
      const listening = /^listening on (\S+)$/u.exec(String(entry.msg));
      if (listening) url = listening[1]!;
      if (entry.msg === 'parley started') onStarted(url);
    }
  });
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (output = (output + chunk).slice(-20_000)));
  return handle;
}
