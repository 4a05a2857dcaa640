// Starts a Prism mock server for an OpenAPI spec on a free local port, waits until it answers, and stops it
// by its PID. With `errors`, Prism answers 422 (or 4xx) to any request that breaks the spec.
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';
import { freePort } from './free-port.js';

export { freePort };

export interface PrismServer {
  /** http://127.0.0.1:PORT, without a trailing slash. */
  url: string;
  /** What Prism printed, for failure messages. */
  output(): string;
  /** A position in the output, for outputSince. */
  mark(): number;
  /** What Prism wrote after `mark` (as much as is still kept). */
  outputSince(mark: number): string;
  stop(): Promise<void>;
}

export interface PrismOptions {
  /** --errors: validate requests and answer 422 when one breaks the spec. */
  errors?: boolean;
  /** -d: generate random responses from the schemas instead of the examples. */
  dynamic?: boolean;
  /** How long to wait for the server to answer. Default 60 s (large specs take a while to load). */
  startTimeoutMs?: number;
}

const PRISM_BIN = fileURLToPath(new URL('../../node_modules/.bin/prism', import.meta.url));


export async function startPrism(specPath: string | URL, opts: PrismOptions = {}): Promise<PrismServer> {
  const spec = specPath instanceof URL ? fileURLToPath(specPath) : specPath;
  const port = await freePort();
  const args = ['mock', '-h', '127.0.0.1', '-p', String(port)];
  if (opts.errors) args.push('--errors');
  if (opts.dynamic) args.push('-d');
  args.push(spec);

  // detached: Prism runs as a group of processes; stopping the group leaves nothing behind.
  const child = spawn(PRISM_BIN, args, { stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  let output = '';
  let written = 0; // characters ever written, of which `output` keeps the last 20,000
  const collect = (chunk: Buffer) => {
    const text = chunk.toString('utf8');
    written += text.length;
    output = (output + text).slice(-20_000);
  };
  child.stdout?.on('data', collect);
  child.stderr?.on('data', collect);
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));

  const url = `http://127.0.0.1:${port}`;
  const server: PrismServer = {
    url,
    output: () => output,
    mark: () => written,
    outputSince: (mark) => output.slice(Math.max(0, output.length - (written - mark))),
    stop: () => stop(child, exited),
  };

  const deadline = Date.now() + (opts.startTimeoutMs ?? 60_000);
  while (Date.now() < deadline) {
    if (child.exitCode !== null || child.signalCode !== null) {
      throw new Error(`prism exited (${child.exitCode ?? child.signalCode}) before answering:\n${output}`);
    }
    try {
      // Any HTTP answer (even 404 for an unknown path) means it is up.
      await fetch(`${url}/__prism_ready_probe`, { signal: AbortSignal.timeout(1000) });
      return server;
    } catch {
      await sleep(200);
    }
  }
  await server.stop();
  throw new Error(`prism did not answer on ${url} within ${opts.startTimeoutMs ?? 60_000} ms:\n${output}`);
}

async function stop(child: ChildProcess, exited: Promise<void>): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null || child.pid === undefined) return;
  signalGroup(child.pid, 'SIGTERM');
  const gone = await Promise.race([exited.then(() => true), sleep(5000).then(() => false)]);
  if (!gone) {
    signalGroup(child.pid, 'SIGKILL');
    await Promise.race([exited, sleep(2000)]);
  }
}

function signalGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pid, signal); // the group this helper created (detached), by its leader's PID
  } catch {
    try {
      process.kill(pid, signal);
    } catch {
      // Already gone.
    }
  }
}
