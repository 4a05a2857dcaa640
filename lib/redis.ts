// Redis for BullMQ, the shared rate limiters, the leases and the admin sessions: one plain server, a Sentinel
// group or a Cluster (docs/architecture.md#redis). Every connection Parley opens is made here. With the embedded
// defaults, a private redis-server is started in the data folder when none answers, so `npm start` works on a
// fresh machine.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { Cluster, Redis, type ClusterOptions, type RedisOptions } from 'ioredis';
import { RedisUnavailableError } from './errors.js';
import type { Logger } from './log.js';

export const DEFAULT_REDIS_URL = 'redis://127.0.0.1:6379';

export interface HostPort {
  host: string;
  port: number;
}

/**
 * Where Parley's Redis is. With Sentinel or Cluster, `url` is REDIS_URL when set: only its user, password,
 * database (Sentinel) and rediss:// (TLS) are used, never its address.
 */
export type RedisTarget =
  | { kind: 'standalone'; url: string }
  | { kind: 'sentinel'; sentinels: HostPort[]; name: string; sentinelPassword: string | null; url: string | null }
  | { kind: 'cluster'; nodes: HostPort[]; url: string | null };

/** What REDIS_URL says about the servers themselves: who we are, which database, and whether to speak TLS. */
export function serverOptionsOf(url: string | null): RedisOptions {
  if (url === null) return {};
  const u = new URL(url);
  const db = u.pathname.replace(/^\//, '');
  return {
    ...(u.username ? { username: decodeURIComponent(u.username) } : {}),
    ...(u.password ? { password: decodeURIComponent(u.password) } : {}),
    ...(db !== '' ? { db: Number(db) } : {}),
    ...(u.protocol === 'rediss:' ? { tls: {} } : {}),
  };
}

/** How ioredis is asked for one target: a server or Sentinel group (Redis), or a Cluster. Exported for its tests. */
export type ConnectionPlan =
  | { client: 'redis'; url: string | null; options: RedisOptions }
  | { client: 'cluster'; nodes: HostPort[]; options: ClusterOptions };

/**
 * `server` applies to every data connection (on Cluster, to each node's); `cluster` to the Cluster client itself.
 */
export function connectionPlan(target: RedisTarget, server: RedisOptions, cluster: ClusterOptions = {}): ConnectionPlan {
  switch (target.kind) {
    case 'standalone':
      return { client: 'redis', url: target.url, options: server };
    case 'sentinel': {
      const own = serverOptionsOf(target.url);
      return {
        client: 'redis',
        url: null,
        options: {
          ...own,
          sentinels: target.sentinels,
          name: target.name,
          ...(target.sentinelPassword !== null ? { sentinelPassword: target.sentinelPassword } : {}),
          // rediss:// means TLS to the sentinels and to the servers they name alike.
          ...(own.tls ? { enableTLSForSentinelMode: true, sentinelTLS: {} } : {}),
          ...server,
        },
      };
    }
    case 'cluster': {
      const own = serverOptionsOf(target.url);
      return {
        client: 'cluster',
        nodes: target.nodes,
        options: {
          // Over TLS the nodes' names must reach the certificate check as given, not resolved to addresses first.
          ...(own.tls ? { dnsLookup: (address, callback) => callback(null, address) } : {}),
          ...cluster,
          redisOptions: { ...own, ...server },
        },
      };
    }
  }
}

/**
 * The one place a Redis connection is made. A Cluster is returned under the Redis type: it takes the same
 * commands (Parley only uses commands, transactions and scripts on it, never a connection's own details), and
 * BullMQ and rate-limiter-flexible accept either.
 */
function open(target: RedisTarget, server: RedisOptions, cluster: ClusterOptions = {}): Redis {
  const plan = connectionPlan(target, server, cluster);
  if (plan.client === 'cluster') return new Cluster(plan.nodes, plan.options) as unknown as Redis;
  return plan.url === null ? new Redis(plan.options) : new Redis(plan.url, plan.options);
}

/**
 * A connection for everything Parley does on Redis, BullMQ's workers included: their blocking commands must
 * never time out (BullMQ's requirement, maxRetriesPerRequest: null). A string is a plain server's URL.
 */
export function redisConnection(target: RedisTarget | string, extra: RedisOptions = {}): Redis {
  return open(targetOf(target), { maxRetriesPerRequest: null, enableReadyCheck: true, lazyConnect: false, ...extra });
}

const targetOf = (target: RedisTarget | string): RedisTarget => (typeof target === 'string' ? { kind: 'standalone', url: target } : target);

/** A connection that tries once, answers within seconds or fails, and queues nothing: for the checks at start. */
async function probe(target: RedisTarget): Promise<Redis> {
  const once = () => null;
  const client = open(
    target,
    // No ready check: it asks INFO, which a locked-down server may refuse; the checks say what they miss themselves.
    { lazyConnect: true, enableReadyCheck: false, connectTimeout: 2000, commandTimeout: 3000, maxRetriesPerRequest: 0, retryStrategy: once, sentinelRetryStrategy: once },
    { lazyConnect: true, clusterRetryStrategy: once, enableOfflineQueue: false },
  );
  client.on('error', () => undefined);
  try {
    await client.connect();
    return client;
  } catch (err) {
    client.disconnect();
    throw err;
  }
}

/** True when a Redis answers PING within a couple of seconds. A string is a plain server's URL. */
export async function redisAnswers(target: RedisTarget | string): Promise<boolean> {
  let client: Redis | undefined;
  try {
    client = await probe(targetOf(target));
    return (await client.ping()) === 'PONG';
  } catch {
    return false;
  } finally {
    client?.disconnect();
  }
}

function hasRedisServerBinary(): boolean {
  return spawnSync('redis-server', ['--version'], { stdio: 'ignore' }).status === 0;
}

export interface RedisHandle {
  /** The private server we started, if any; stopped (data kept) by stop(). */
  stop(): Promise<void>;
}

const nothingToStop: RedisHandle = { stop: async () => undefined };

/**
 * Makes sure a Redis fit for Parley answers: reachable, and never evicting keys (checkEvictionPolicy). When
 * `explicit` is false (no Redis variable set) and nothing answers on the default, starts a private redis-server
 * on that port with its data (append-only file) in `dataDir`.
 */
export async function ensureRedis(opts: { target: RedisTarget; explicit: boolean; dataDir: string; log: Logger }): Promise<RedisHandle> {
  const handle = await reachRedis(opts);
  try {
    await checkEvictionPolicy(opts.target, opts.log);
  } catch (err) {
    await handle.stop();
    throw err;
  }
  return handle;
}

async function reachRedis(opts: { target: RedisTarget; explicit: boolean; dataDir: string; log: Logger }): Promise<RedisHandle> {
  const { target, explicit, dataDir, log } = opts;
  if (target.kind !== 'standalone') {
    try {
      (await probe(target)).disconnect();
      return nothingToStop;
    } catch (err) {
      const why = (err as Error).message;
      throw new RedisUnavailableError(
        target.kind === 'sentinel'
          ? `REDIS_SENTINELS: no master named "${target.name}" could be reached through the sentinels at ${list(target.sentinels)} (${why}). Check REDIS_SENTINEL_NAME against the sentinels' \`sentinel monitor\` line, and their passwords.`
          : `REDIS_CLUSTER_NODES: no cluster answered at ${list(target.nodes)} (${why}).`,
      );
    }
  }
  const url = target.url;
  if (await redisAnswers(url)) return nothingToStop;
  const where = new URL(url);
  if (explicit) {
    throw new RedisUnavailableError(`REDIS_URL: no Redis answers at ${where.host}. Start one there, or unset REDIS_URL to let Parley start a private one.`);
  }
  if (!hasRedisServerBinary()) {
    throw new RedisUnavailableError(
      `No Redis answers at ${where.host} and there is no redis-server binary to start one. ` +
        'Install Redis (Debian/Ubuntu: apt-get install redis-server; macOS: brew install redis) or set REDIS_URL=redis://HOST:PORT.',
    );
  }
  const dir = path.resolve(dataDir, 'redis');
  mkdirSync(dir, { recursive: true });
  const port = where.port || '6379';
  log.info({ port, dir }, 'no Redis answered: starting a private redis-server');
  const child: ChildProcess = spawn(
    'redis-server',
    ['--bind', '127.0.0.1', '--port', port, '--dir', dir, '--appendonly', 'yes', '--save', '', '--maxmemory-policy', 'noeviction', '--logfile', 'redis.log'],
    { stdio: 'ignore' },
  );
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  for (let i = 0; i < 50; i++) {
    if (await redisAnswers(url)) {
      return {
        stop: async () => {
          child.kill('SIGTERM'); // redis-server flushes its append-only file on SIGTERM
          await exited;
        },
      };
    }
    if (child.exitCode !== null) break;
    await new Promise((r) => setTimeout(r, 100));
  }
  child.kill('SIGKILL');
  throw new RedisUnavailableError(`The private redis-server did not start (see ${path.join(dir, 'redis.log')}).`);
}

const list = (addresses: HostPort[]): string => addresses.map(hostPort).join(', ');
const hostPort = (a: HostPort): string => (a.host.includes(':') ? `[${a.host}]:${a.port}` : `${a.host}:${a.port}`);

/**
 * A server's maxmemory-policy: CONFIG GET, else INFO memory (managed Redis often disables or renames CONFIG);
 * null when neither tells.
 */
async function evictionPolicyOf(node: Redis): Promise<string | null> {
  try {
    const answer = (await node.config('GET', 'maxmemory-policy')) as string[];
    if (typeof answer[1] === 'string') return answer[1];
  } catch {
    // CONFIG refused: ask INFO instead.
  }
  try {
    return /^maxmemory_policy:(\S+)/m.exec(await node.info('memory'))?.[1] ?? null;
  } catch {
    return null;
  }
}

/** The address a connection reached (for Sentinel, the master it was sent to). */
function addressOf(node: Redis): HostPort {
  const socket = node.stream;
  if (socket?.remoteAddress && socket.remotePort) return { host: socket.remoteAddress, port: socket.remotePort };
  return { host: node.options.host ?? '127.0.0.1', port: node.options.port ?? 6379 };
}

/**
 * Refuses a Redis that may evict keys: BullMQ needs maxmemory-policy noeviction (an evicted job or lock is lost
 * work, an evicted lease a second Telegram poller). On Cluster every master is asked. A server that tells
 * neither through CONFIG nor INFO is let through with a warning.
 */
export async function checkEvictionPolicy(target: RedisTarget, log: Logger): Promise<void> {
  const client = await probe(target);
  try {
    const masters = target.kind === 'cluster' ? (client as unknown as Cluster).nodes('master') : [client];
    const wrong: string[] = [];
    for (const node of masters) {
      const at = addressOf(node);
      const policy = await evictionPolicyOf(node);
      if (policy === null) {
        log.warn({ redis: hostPort(at) }, "could not read Redis's maxmemory-policy (CONFIG GET and INFO memory both refused): make sure it is noeviction, which BullMQ needs");
      } else if (policy !== 'noeviction') {
        wrong.push(`${hostPort(at)} has maxmemory-policy ${policy} (fix: \`redis-cli -h ${at.host} -p ${at.port} CONFIG SET maxmemory-policy noeviction\`)`);
      }
    }
    if (wrong.length === 0) return;
    throw new RedisUnavailableError(
      `Redis may evict keys when it fills up, losing queued jobs, their locks and Parley's leases: ${wrong.join('; ')}. ` +
        'Parley needs maxmemory-policy noeviction: put the line `maxmemory-policy noeviction` in redis.conf, or on the running server ' +
        'run the CONFIG SET shown, then `CONFIG REWRITE` to keep it across restarts; on managed Redis, set it in the provider\'s parameter group.' +
        (target.kind === 'sentinel' ? ' Set it on the replicas too: one of them becomes the master on failover.' : ''),
    );
  } finally {
    client.disconnect();
  }
}
