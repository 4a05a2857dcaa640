// A Parley process as an operator runs it: `node bin/parley.js start [--role …]` in a child process, for tests
// that kill processes (SIGKILL mid-load) or run several instances side by side. Its JSON log lines are kept,
// and `started` resolves on its "parley started" line.
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import type { Role } from '../../cli/app/index.js';
import { freshEnv } from './cli.js';
import { WEBHOOK_SECRET } from './parley.js';

const BIN = fileURLToPath(new URL('../../bin/parley.js', import.meta.url));
const REPO = fileURLToPath(new URL('../../', import.meta.url));

export interface ParleyProcess {
  readonly child: ChildProcess;
  readonly name: string;
  /** Every JSON log line so far, parsed. */
  readonly logs: Record<string, unknown>[];
  /** Resolves when the process has logged "parley started"; rejects if it exits first. */
  readonly started: Promise<void>;
  /** The web role's address, once started (from its "listening on" line); '' without the web role. */
  readonly url: string;
  /** Sends the signal and waits for the exit (SIGKILL: no clean stop, as a crash or the OOM killer). */
  kill(signal?: NodeJS.Signals): Promise<void>;
  readonly alive: boolean;
}

/**
 * The settings every process of one test's Parley shares: its database, one Redis prefix, a port of its own, the
 * forum's webhook secret, no delivery delay. A test adds its platforms' settings.
 */
export function sharedProcessEnv(o: { databaseUrl: string; dataDir: string; prefix: string }): Record<string, string> {
  return {
    DATABASE_URL: o.databaseUrl,
    PARLEY_DATA_DIR: o.dataDir,
    REDIS_URL: process.env.REDIS_URL ?? 'redis://127.0.0.1:6379',
    PARLEY_QUEUE_PREFIX: o.prefix,
    PORT: '0',
    PARLEY_HOST: '127.0.0.1',
    PARLEY_DISCOURSE_URL: 'http://forum.example',
    PARLEY_DISCOURSE_WEBHOOK_SECRET: WEBHOOK_SECRET,
    PARLEY_DELIVERY_DELAY_SECONDS: '0',
  };
}

/** Starts `parley start --role ROLES` with `env` (nothing of the test's own Parley settings leaks in). */
export function spawnParley(opts: { env: Record<string, string>; roles?: readonly Role[]; name?: string }): ParleyProcess {
  const args = [BIN, 'start', ...(opts.roles ? ['--role', ...opts.roles] : [])];
  const child = spawn(process.execPath, args, { cwd: REPO, env: freshEnv({ LOG_LEVEL: 'info', ...opts.env }), stdio: ['ignore', 'pipe', 'pipe'] });
  const name = opts.name ?? (opts.roles ?? ['all']).join('+');
  const logs: Record<string, unknown>[] = [];
  let stderr = '';
  let onStarted: () => void = () => undefined;
  const started = new Promise<void>((resolve, reject) => {
    onStarted = resolve;
    child.once('exit', (code, signal) => reject(new Error(`parley ${name} exited (${code ?? signal}) before it started: ${stderr.slice(-2000)}`)));
  });
  started.catch(() => undefined); // a caller that never awaits it must not crash the test run
  let url = '';
  let partial = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
    const lines = (partial + chunk).split('\n');
    partial = lines.pop()!;
    for (const line of lines) {
      try {
        const entry = JSON.parse(line) as Record<string, unknown>;
        logs.push(entry);
        const listening = /^listening on (\S+)$/.exec(String(entry.msg));
        if (listening) url = listening[1]!;
        if (entry.msg === 'parley started') onStarted();
      } catch {
        logs.push({ msg: line });
      }
    }
  });
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr = (stderr + chunk).slice(-10_000)));
  return {
    child,
    name,
    logs,
    started,
    get url() {
      return url;
    },
    get alive() {
      return child.exitCode === null && child.signalCode === null;
    },
    async kill(signal = 'SIGKILL') {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = once(child, 'exit');
      child.kill(signal);
      await exited;
    },
  };
}
