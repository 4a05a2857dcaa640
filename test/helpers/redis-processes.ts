// Real Redis servers for one test, beside the shared one on 6379: a server with settings of its own, a master
// watched by a sentinel, a Cluster of three masters. Each on free 127.0.0.1 ports with its files in a fresh
// temp dir, all stopped and removed by stop(). Sentinel mode is the same redis-server binary (`--sentinel`), so
// Debian's separate redis-sentinel package is not needed.
import { execFile, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { promisify } from 'node:util';
import { freePort } from './free-port.js';

const run = promisify(execFile);

/** Why these tests cannot run here, or null when redis-server and redis-cli are installed. */
export function missingRedisBinaries(): string | null {
  const missing = ['redis-server', 'redis-cli'].filter((bin) => spawnSync(bin, ['--version'], { stdio: 'ignore' }).status !== 0);
  return missing.length === 0 ? null : `${missing.join(' and ')} not installed (Debian: apt-get install redis-server)`;
}

export interface RedisProcess {
  port: number;
  /** Runs redis-cli against this server (with `auth` as its password) and returns what it printed. */
  cli(args: string[], auth?: string): Promise<string>;
  stop(): Promise<void>;
}

async function cli(port: number, args: string[], auth?: string): Promise<string> {
  const env = auth ? { ...process.env, REDISCLI_AUTH: auth } : process.env;
  const { stdout } = await run('redis-cli', ['-h', '127.0.0.1', '-p', String(port), ...args], { env });
  return stdout.trim();
}

/** Starts `redis-server <args>` (a config file first when `conf` is given) and waits until it answers PING. */
async function start(dir: string, port: number, args: string[], opts: { conf?: string; auth?: string } = {}): Promise<RedisProcess> {
  const log = path.join(dir, `redis-${port}.log`);
  const child: ChildProcess = spawn('redis-server', [...(opts.conf ? [opts.conf] : []), '--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--logfile', log, ...args], { stdio: 'ignore' });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const proc: RedisProcess = {
    port,
    cli: (a, auth = opts.auth) => cli(port, a, auth),
    stop: async () => {
      if (child.exitCode === null) child.kill('SIGKILL');
      await exited;
    },
  };
  for (let i = 0; i < 100; i++) {
    if (child.exitCode !== null) break;
    if (await proc.cli(['ping']).then((out) => out === 'PONG', () => false)) return proc;
    await sleep(50);
  }
  await proc.stop();
  throw new Error(`redis-server on port ${port} did not start (see ${log})`);
}

/** Everything one test started, stopped and removed together. */
export class RedisProcesses {
  private readonly dir = mkdtempSync(path.join(tmpdir(), 'parley-redis-'));
  private readonly started: RedisProcess[] = [];

  /** A plain server; `args` such as ['--maxmemory-policy', 'allkeys-lru']. */
  async server(args: string[] = [], opts: { auth?: string } = {}): Promise<RedisProcess> {
    const server = await start(this.dir, await freePort(), ['--save', '', '--appendonly', 'no', ...args], opts);
    this.started.push(server);
    return server;
  }

  /** A master with a password, watched as `name` by one sentinel with a password of its own. */
  async sentinelGroup(name: string, passwords: { master: string; sentinel: string }): Promise<{ master: RedisProcess; sentinel: RedisProcess }> {
    const master = await this.server(['--requirepass', passwords.master, '--masterauth', passwords.master], { auth: passwords.master });
    const port = await freePort();
    // A sentinel rewrites its config file as it learns: each gets a file of its own.
    const conf = path.join(this.dir, `sentinel-${port}.conf`);
    writeFileSync(
      conf,
      [
        `sentinel monitor ${name} 127.0.0.1 ${master.port} 1`,
        `sentinel auth-pass ${name} ${passwords.master}`,
        `sentinel down-after-milliseconds ${name} 5000`,
        `requirepass ${passwords.sentinel}`,
        '',
      ].join('\n'),
    );
    const sentinel = await start(this.dir, port, ['--sentinel'], { conf, auth: passwords.sentinel });
    this.started.push(sentinel);
    for (let i = 0; i < 100; i++) {
      if ((await sentinel.cli(['sentinel', 'get-master-addr-by-name', name])).includes(String(master.port))) return { master, sentinel };
      await sleep(50);
    }
    throw new Error(`the sentinel on ${port} does not know master ${name}`);
  }

  /** Three masters sharing the 16384 slots, ready (cluster_state:ok on each). */
  async cluster(): Promise<RedisProcess[]> {
    const nodes: RedisProcess[] = [];
    for (let i = 0; i < 3; i++) {
      const port = await freePort();
      // The cluster bus port is given too: port + 10000 (Redis's default) need not be free, or even valid.
      const args = ['--cluster-enabled', 'yes', '--cluster-config-file', `nodes-${port}.conf`, '--cluster-port', String(await freePort()), '--cluster-node-timeout', '2000'];
      nodes.push(await this.server(args));
    }
    await run('redis-cli', ['--cluster', 'create', ...nodes.map((n) => `127.0.0.1:${n.port}`), '--cluster-replicas', '0', '--cluster-yes']);
    for (let i = 0; i < 200; i++) {
      const states = await Promise.all(nodes.map((n) => n.cli(['cluster', 'info'])));
      if (states.every((s) => s.includes('cluster_state:ok'))) return nodes;
      await sleep(50);
    }
    throw new Error('the cluster did not become ready');
  }

  async stop(): Promise<void> {
    await Promise.all(this.started.map((p) => p.stop()));
    rmSync(this.dir, { recursive: true, force: true });
  }
}
