// Configuration: environment variables, plus an optional file (PARLEY_CONFIG_FILE, KEY=value lines)
// that adds to them. Validated at start; every problem names the variable and what would be right.
// The core's variables are here; each platform's are in its folder (bots/<platform>/index.ts), and
// loadConfig composes the two from the platforms it is given (docs/architecture.md#configuration).
import { readFileSync } from 'node:fs';
import { parseEnv } from 'node:util';
import path from 'node:path';
import { IANAZone } from 'luxon';
import { z } from 'zod';
import { ConfigError } from './errors.js';
import { accessLevelOf } from './gitlab/access.js';
import type { HostPort, RedisTarget } from './redis.js';
import type { AdapterFactory, ConfiguredPlatform } from './seams/platform.js';

export type DatabaseTarget = { kind: 'sqlite'; path: string } | { kind: 'postgres'; url: string };
export type RulesPermission = 'moderators' | 'anyone' | 'forum-admins';

export interface Config {
  port: number;
  host: string;
  dataDir: string;
  database: DatabaseTarget;
  redisUrl: string;
  /** REDIS_URL was set: never start a private Redis in its place. */
  redisUrlExplicit: boolean;
  /** The plain server of REDIS_URL, a Sentinel group or a Cluster (docs/architecture.md#redis). */
  redis: RedisTarget;
  /** PARLEY_QUEUE_PREFIX; on Cluster as a hash tag, `{parley}`, so that every key Parley makes shares one slot. */
  queuePrefix: string;
  logLevel: string;
  /** PARLEY_PUBLIC_URL: where users reach Parley (platform webhooks, transcript preview pages). */
  publicUrl: string | null;
  /** The platforms whose variables are set, ready to create their adapters. */
  platforms: readonly ConfiguredPlatform[];
  /** The platforms known but not configured, with what would configure them (said in the log at start). */
  notConfigured: readonly { name: string; howToConfigure: string }[];
  /** Null until PARLEY_DISCOURSE_URL is set. */
  discourse: {
    url: string;
    apiKey: string | null;
    apiUsername: string;
    webhookSecret: string | null;
    /** PARLEY_DISCOURSE_ALLOW_UNSIGNED=true: accept unsigned webhooks (testing only; warned loudly). */
    allowUnsigned: boolean;
    requestsPerMinute: number;
  } | null;
  /** Null until PARLEY_GITLAB_URL is set (docs/architecture.md#sources). */
  gitlab: {
    url: string;
    /** PARLEY_GITLAB_TOKEN: for project, group, member and label lookups and for transcript issues. */
    token: string;
    webhookSecret: string;
    /** PARLEY_GITLAB_SIGNING_TOKEN (`whsec_…`): checks the Standard Webhooks signature GitLab 19.0+ adds. */
    signingToken: string | null;
    /** PARLEY_GITLAB_SUDO: transcript issues are created as the mapped GitLab user (needs an admin token). */
    sudo: boolean;
    /** Lowest access level to the target project for `/topic … to:gitlab` (default developer, 30). */
    transcriptMinAccess: number;
  } | null;
  /** fastify's trustProxy: whom to believe about the client's address and HTTPS (the admin login's limit and cookie). */
  trustProxy: boolean | number | string[];
  /** The admin API's credentials (docs/architecture.md#admin); both null: /api and /admin answer 404. */
  admin: { token: string | null; password: string | null };
  /** GET /metrics (docs/architecture.md#metrics): its bearer token, and its own port (null: PORT, with the web role). */
  metrics: { token: string | null; port: number | null };
  delivery: { delaySeconds: number; attempts: number; concurrency: number; excerptLength: number; lockSeconds: number; maxAgeHours: number };
  /** Seconds a unique bot connection's Redis lease lasts without renewal (lib/lease.ts). */
  botLeaseSeconds: number;
  rulesPermission: RulesPermission;
  timezone: string;
  transcripts: {
    /** Forum groups whose members may post transcripts (besides forum admins). */
    groups: string[];
    /** A chat username maps to the same forum username when no identity says otherwise. */
    sameUsername: boolean;
    messageLogDays: number;
    mergeSeconds: number;
    maxMessages: number;
    maxPostLength: number;
    previewHours: number;
  };
}

/** Every variable the core reads, with its default and meaning; platforms list theirs (AdapterFactory.variables). */
export const VARIABLES = {
  PORT: 'HTTP port (default 3000)',
  PARLEY_HOST: 'HTTP bind address (default 0.0.0.0)',
  PARLEY_DATA_DIR: 'folder for the SQLite file and the private Redis (default ./data)',
  DATABASE_URL: 'SQLite file path (optionally `sqlite:` or `file:` prefixed; default ./data/parley.db) or a `postgres://…` URL',
  REDIS_URL: 'Redis for BullMQ (default redis://127.0.0.1:6379). When set, Parley never starts a Redis of its own. With REDIS_SENTINELS or REDIS_CLUSTER_NODES only its user, password, database (Sentinel) and `rediss://` (TLS) count, not its address',
  REDIS_SENTINELS: 'Redis Sentinel: the sentinels as comma-separated HOST:PORT (e.g. sentinel-1:26379,sentinel-2:26379), with REDIS_SENTINEL_NAME; Parley asks them for the master, and again after a failover',
  REDIS_SENTINEL_NAME: 'the master group name the sentinels watch (NAME in `sentinel monitor NAME host port quorum`)',
  REDIS_SENTINEL_PASSWORD: "the sentinels' own password, when they have one (`requirepass` in sentinel.conf); the servers' is REDIS_URL's",
  REDIS_CLUSTER_NODES: "Redis Cluster: some of its nodes as comma-separated HOST:PORT (the others are found from them); Parley's keys then share the hash tag `{PARLEY_QUEUE_PREFIX}`",
  PARLEY_QUEUE_PREFIX: 'BullMQ key prefix, and that of every key Parley makes (default parley; on Redis Cluster written `{parley}`)',
  LOG_LEVEL: 'trace, debug, info, warn, error (default info)',
  PARLEY_CONFIG_FILE: 'optional KEY=value file; environment variables win over it',
  PARLEY_DISCOURSE_URL: 'forum base URL, e.g. https://forum.example.org',
  PARLEY_DISCOURSE_API_KEY: 'admin API key (categories, topics, users); without it Parley learns categories and tags from webhooks alone',
  PARLEY_DISCOURSE_API_USERNAME: 'username the API key acts as (default system)',
  PARLEY_DISCOURSE_WEBHOOK_SECRET: 'the secret set on the Discourse webhook (required when the forum is configured)',
  PARLEY_DISCOURSE_ALLOW_UNSIGNED: 'true to accept unsigned webhooks: for testing only (warned loudly at start)',
  PARLEY_DISCOURSE_REQUESTS_PER_MINUTE: "forum API budget shared by all Parley processes (default 60, Discourse's admin API limit)",
  PARLEY_GITLAB_URL: 'GitLab base URL, e.g. https://gitlab.example.org (GitLab as an event source and transcript target)',
  PARLEY_GITLAB_TOKEN: 'GitLab access token with the `api` scope (an admin token with `sudo` too for PARLEY_GITLAB_SUDO)',
  PARLEY_GITLAB_WEBHOOK_SECRET: "the secret token set on GitLab's webhook (required when GitLab is configured)",
  PARLEY_GITLAB_SIGNING_TOKEN: "the webhook's signing token (`whsec_…`, GitLab 19.0+): signed deliveries are checked with it",
  PARLEY_GITLAB_SUDO: 'true: `/topic … to:gitlab` issues are created as the chat user\'s mapped GitLab user (default false: as the token\'s user)',
  PARLEY_GITLAB_TRANSCRIPT_MIN_ACCESS: 'lowest access to the target project for `/topic … to:gitlab`: guest, planner, reporter, developer (default), maintainer, owner',
  PARLEY_PUBLIC_URL: "Parley's public base URL (platform webhooks such as Telegram's webhook mode, transcript preview pages)",
  PARLEY_ADMIN_TOKEN: 'bearer token of the admin API under /api/ (at least 32 characters: openssl rand -hex 32); with neither this nor PARLEY_ADMIN_PASSWORD, /api and /admin answer 404',
  PARLEY_METRICS_TOKEN: 'when set, GET /metrics asks for `Authorization: Bearer <this token>` (default: open, for a network-restricted Prometheus scrape)',
  PARLEY_METRICS_PORT: 'serve GET /metrics on this port instead of PORT (the only way a process without the web role shows its metrics); unset: /metrics is on PORT where the web role runs',
  PARLEY_TRUST_PROXY: 'behind a reverse proxy: true, the number of proxy hops, or their comma-separated addresses, so that the client address and HTTPS come from X-Forwarded-* (default false)',
  PARLEY_ADMIN_PASSWORD: 'password of the admin login (POST /admin/login, at least 12 characters), whose session the admin API accepts',
  PARLEY_DELIVERY_DELAY_SECONDS: 'wait before announcing a post, so a post deleted at once is never announced (default 15)',
  PARLEY_DELIVERY_ATTEMPTS: 'attempts per delivery for transient failures (default 8)',
  PARLEY_DELIVERY_MAX_AGE_HOURS: 'a delivery still not sent this many hours after its event fails for good, e.g. while its platform stays unreachable, which spends no attempts (default 24)',
  PARLEY_WORKER_CONCURRENCY: "jobs in flight per queue and process (default 10; a platform's deliveries take no more than its pace can serve at once: IRC 1, Mattermost and Matrix 4)",
  PARLEY_JOB_LOCK_SECONDS: "how long a job stays claimed by a worker that stopped answering; a killed worker's jobs run again after it (default 30)",
  PARLEY_BOT_LEASE_SECONDS: "with several `bots` processes, the one holding a unique connection (Telegram's long poll, the Discord gateway, Matrix's sync, the IRC nick) renews its Redis lease within this; another takes over this long after it dies (default 15)",
  PARLEY_EXCERPT_LENGTH: 'characters of post text in a notification (default 300)',
  PARLEY_RULES_PERMISSION: 'who may change rules: `moderators` (default), `anyone`, `forum-admins`',
  PARLEY_TIMEZONE: 'IANA zone for times when the platform tells none (default UTC)',
  PARLEY_TRANSCRIPT_GROUPS: "forum groups whose members may post transcripts, comma-separated (empty: forum admins only); the admin page's transcript policy replaces it once set",
  PARLEY_IDENTITY_SAME_USERNAME: 'true: a chat user maps to the forum user of the same username unless an identity says otherwise (default false)',
  PARLEY_MESSAGE_LOG_DAYS: 'days Parley keeps the messages it sees where the platform has no history API (Telegram) (default 7)',
  PARLEY_TRANSCRIPT_MERGE_SECONDS: "consecutive messages of one author closer than this become one block (default 120)",
  PARLEY_TRANSCRIPT_MAX_MESSAGES: 'upper bound of `/topic last:N` (default 1000)',
  PARLEY_TRANSCRIPT_MAX_POST_LENGTH: "the forum's max_post_length: a longer transcript is refused with its size, never cut (default 32000)",
  PARLEY_TRANSCRIPT_PREVIEW_HOURS: 'how long a `/topic … preview` page stays readable (default 24)',
} as const;

/** Pieces of schema for variables, shared with the platforms' own (bots/<platform>/index.ts). */
export const bool = z.enum(['true', 'false', '1', '0', 'yes', 'no']).transform((v) => v === 'true' || v === '1' || v === 'yes');
export const int = (min: number, max: number) => z.coerce.number().int().min(min).max(max);
export const url = z.url({ protocol: /^https?$/ }).transform((u) => u.replace(/\/+$/, ''));
export const optional = <T extends z.ZodType>(schema: T) => z.preprocess((v) => (v === '' ? undefined : v), schema.optional());

const coreSchema = {
  PORT: optional(int(0, 65535)).default(3000),
  PARLEY_HOST: optional(z.string()).default('0.0.0.0'),
  PARLEY_DATA_DIR: optional(z.string()).default('./data'),
  DATABASE_URL: optional(z.string()),
  REDIS_URL: optional(z.string().regex(/^(rediss?:\/\/|[\w.-]+:\d+$)/, 'must be redis://HOST:PORT, rediss://… or HOST:PORT')).default('redis://127.0.0.1:6379'),
  REDIS_SENTINELS: optional(z.string()),
  REDIS_SENTINEL_NAME: optional(z.string()),
  REDIS_SENTINEL_PASSWORD: optional(z.string()),
  REDIS_CLUSTER_NODES: optional(z.string()),
  PARLEY_QUEUE_PREFIX: optional(z.string().regex(/^[\w-]+$/, 'letters, digits, - and _ only')).default('parley'),
  LOG_LEVEL: optional(z.enum(['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'])).default('info'),
  PARLEY_DISCOURSE_URL: optional(url),
  PARLEY_DISCOURSE_API_KEY: optional(z.string()),
  PARLEY_DISCOURSE_API_USERNAME: optional(z.string()).default('system'),
  PARLEY_DISCOURSE_WEBHOOK_SECRET: optional(z.string().min(12, 'must be at least 12 characters (Discourse requires that too)')),
  PARLEY_DISCOURSE_ALLOW_UNSIGNED: optional(bool).default(false),
  PARLEY_DISCOURSE_REQUESTS_PER_MINUTE: optional(int(1, 10000)).default(60),
  PARLEY_GITLAB_URL: optional(url),
  PARLEY_GITLAB_TOKEN: optional(z.string()),
  PARLEY_GITLAB_WEBHOOK_SECRET: optional(z.string().min(12, 'must be at least 12 characters')),
  PARLEY_GITLAB_SIGNING_TOKEN: optional(z.string().regex(/^whsec_[A-Za-z0-9+/=]+$/, 'must be the signing token GitLab shows, whsec_ followed by base64')),
  PARLEY_GITLAB_SUDO: optional(bool).default(false),
  PARLEY_GITLAB_TRANSCRIPT_MIN_ACCESS: optional(z.enum(['guest', 'planner', 'reporter', 'developer', 'maintainer', 'owner'])).default('developer'),
  PARLEY_PUBLIC_URL: optional(url),
  PARLEY_ADMIN_TOKEN: optional(z.string().min(32, 'is too short: use at least 32 characters, e.g. from openssl rand -hex 32').regex(/^[\x21-\x7e]+$/u, 'must be printable ASCII without spaces')),
  PARLEY_METRICS_TOKEN: optional(z.string().min(16, 'is too short: use at least 16 characters, e.g. from openssl rand -hex 32').regex(/^[\x21-\x7e]+$/u, 'must be printable ASCII without spaces')),
  PARLEY_METRICS_PORT: optional(int(0, 65535)),
  PARLEY_TRUST_PROXY: optional(
    z.string().transform((v): boolean | number | string[] => (/^(true|yes|1)$/iu.test(v) ? true : /^(false|no|0)$/iu.test(v) ? false : /^\d+$/u.test(v) ? Number(v) : v.split(',').map((a) => a.trim()).filter(Boolean))),
  ).default(false),
  PARLEY_ADMIN_PASSWORD: optional(z.string().min(12, 'is too short: use at least 12 characters')),
  PARLEY_DELIVERY_DELAY_SECONDS: optional(int(0, 86400)).default(15),
  PARLEY_DELIVERY_ATTEMPTS: optional(int(1, 100)).default(8),
  PARLEY_DELIVERY_MAX_AGE_HOURS: optional(int(1, 24 * 30)).default(24),
  PARLEY_WORKER_CONCURRENCY: optional(int(1, 1000)).default(10),
  PARLEY_EXCERPT_LENGTH: optional(int(0, 4000)).default(300),
  PARLEY_JOB_LOCK_SECONDS: optional(int(1, 3600)).default(30),
  PARLEY_BOT_LEASE_SECONDS: optional(int(1, 3600)).default(15),
  PARLEY_RULES_PERMISSION: optional(z.enum(['moderators', 'anyone', 'forum-admins'])).default('moderators'),
  PARLEY_TRANSCRIPT_GROUPS: optional(z.string()).default(''),
  PARLEY_IDENTITY_SAME_USERNAME: optional(bool).default(false),
  PARLEY_MESSAGE_LOG_DAYS: optional(int(1, 3650)).default(7),
  PARLEY_TRANSCRIPT_MERGE_SECONDS: optional(int(0, 86400)).default(120),
  PARLEY_TRANSCRIPT_MAX_MESSAGES: optional(int(1, 100000)).default(1000),
  PARLEY_TRANSCRIPT_MAX_POST_LENGTH: optional(int(100, 10_000_000)).default(32000),
  PARLEY_TRANSCRIPT_PREVIEW_HOURS: optional(int(1, 24 * 90)).default(24),
  PARLEY_TIMEZONE: optional(z.string().refine((z) => IANAZone.isValidZone(z), 'is not an IANA time zone (e.g. Europe/Berlin)')).default('UTC'),
};

/** Every variable Parley reads with these platforms → its meaning (the README's table lists each). */
export function allVariables(platforms: readonly AdapterFactory[]): Record<string, string> {
  return Object.assign({}, VARIABLES, ...platforms.map((p) => p.variables)) as Record<string, string>;
}

/** The variables as Parley reads them: PARLEY_CONFIG_FILE's KEY=value lines, under the environment's own. */
export function withConfigFile(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  const file = env.PARLEY_CONFIG_FILE;
  if (!file) return env;
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new ConfigError([`PARLEY_CONFIG_FILE: cannot read ${file}: ${(err as Error).message}`]);
  }
  return { ...parseEnv(text), ...env };
}

export function parseDatabaseUrl(value: string | undefined, dataDir: string): DatabaseTarget {
  if (!value) return { kind: 'sqlite', path: path.join(dataDir, 'parley.db') };
  if (/^postgres(ql)?:\/\//i.test(value)) return { kind: 'postgres', url: value };
  const file = value.replace(/^(sqlite|file):(\/\/)?/i, '');
  return { kind: 'sqlite', path: file };
}

/** `HOST:PORT,HOST:PORT` (an IPv6 host in brackets); each entry that is not one is a problem naming the variable. */
function parseHostPorts(name: string, value: string, example: string, problems: string[]): HostPort[] {
  const found: HostPort[] = [];
  const entries = value.split(',').map((entry) => entry.trim()).filter(Boolean);
  if (entries.length === 0) problems.push(`${name}: give at least one HOST:PORT, e.g. ${example}`);
  for (const entry of entries) {
    const m = /^(?:\[([\da-f:.]+)\]|([\w.-]+)):(\d{1,5})$/iu.exec(entry);
    const port = Number(m?.[3]);
    if (!m || port < 1 || port > 65535) problems.push(`${name}: "${entry}" is not HOST:PORT (e.g. ${example})`);
    else found.push({ host: m[1] ?? m[2]!, port });
  }
  return found;
}

type RedisVariables = { REDIS_SENTINELS?: string | undefined; REDIS_SENTINEL_NAME?: string | undefined; REDIS_SENTINEL_PASSWORD?: string | undefined; REDIS_CLUSTER_NODES?: string | undefined };

/**
 * One of three: REDIS_URL's plain server, a Sentinel group, or a Cluster. With the last two, REDIS_URL (when set)
 * gives only what ioredis applies to the servers behind them: user, password, database (not on Cluster) and TLS.
 */
function redisTargetOf(url: string, urlSet: boolean, e: RedisVariables, problems: string[]): RedisTarget {
  const sentinels = e.REDIS_SENTINELS;
  const cluster = e.REDIS_CLUSTER_NODES;
  if (!sentinels) {
    for (const name of ['REDIS_SENTINEL_NAME', 'REDIS_SENTINEL_PASSWORD'] as const) {
      if (e[name]) problems.push(`${name}: only used with REDIS_SENTINELS (the sentinels' HOST:PORT list), which is not set`);
    }
  }
  if (sentinels && cluster) {
    problems.push('REDIS_CLUSTER_NODES: set either REDIS_SENTINELS (a Sentinel group) or REDIS_CLUSTER_NODES (a Cluster), not both');
    return { kind: 'standalone', url };
  }
  if (!sentinels && !cluster) return { kind: 'standalone', url };

  const which = sentinels ? 'REDIS_SENTINELS' : 'REDIS_CLUSTER_NODES';
  let credentials: string | null = null;
  if (urlSet) {
    let u: URL;
    try {
      u = new URL(url);
    } catch {
      problems.push('REDIS_URL: is not a URL (e.g. rediss://:PASSWORD@redis/0)');
      return { kind: 'standalone', url };
    }
    const db = u.pathname.replace(/^\//, '');
    if (!u.username && !u.password && u.protocol !== 'rediss:' && db === '') {
      problems.push(`REDIS_URL: with ${which} its address is not used, only its user, password, database and rediss:// (TLS), and this one gives none of them: remove it, or write e.g. rediss://:PASSWORD@redis/0`);
    } else if (db !== '' && !/^\d+$/.test(db)) {
      problems.push(`REDIS_URL: the database "${db}" is not a number`);
    } else if (cluster && db !== '' && db !== '0') {
      problems.push(`REDIS_URL: Redis Cluster has only database 0; remove "/${db}"`);
    }
    credentials = url;
  }
  if (sentinels) {
    const addresses = parseHostPorts('REDIS_SENTINELS', sentinels, 'sentinel-1:26379,sentinel-2:26379', problems);
    if (!e.REDIS_SENTINEL_NAME) problems.push('REDIS_SENTINEL_NAME: required with REDIS_SENTINELS: the master group name the sentinels watch (NAME in their `sentinel monitor NAME host port quorum` line)');
    return { kind: 'sentinel', sentinels: addresses, name: e.REDIS_SENTINEL_NAME ?? '', sentinelPassword: e.REDIS_SENTINEL_PASSWORD ?? null, url: credentials };
  }
  return { kind: 'cluster', nodes: parseHostPorts('REDIS_CLUSTER_NODES', cluster!, 'redis-1:6379,redis-2:6379', problems), url: credentials };
}

/**
 * Reads the configuration for the platforms given (bots/registry.ts in the service; tests may give others):
 * the core's variables and each platform's, all checked at once so that one start lists every problem.
 */
export function loadConfig(rawEnv: NodeJS.ProcessEnv, platforms: readonly AdapterFactory[]): Config {
  const env = withConfigFile(rawEnv);
  const schema = z.object(Object.assign({}, ...platforms.map((p) => p.schema), coreSchema) as typeof coreSchema);
  const parsed = schema.safeParse(env);
  if (!parsed.success) {
    throw new ConfigError(parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`));
  }
  const e = parsed.data;
  const problems: string[] = [];
  if (e.PARLEY_DISCOURSE_URL && !e.PARLEY_DISCOURSE_WEBHOOK_SECRET && !e.PARLEY_DISCOURSE_ALLOW_UNSIGNED) {
    problems.push('PARLEY_DISCOURSE_WEBHOOK_SECRET: required when PARLEY_DISCOURSE_URL is set (set the same secret on the Discourse webhook), or set PARLEY_DISCOURSE_ALLOW_UNSIGNED=true for testing');
  }
  if (e.PARLEY_GITLAB_URL && !e.PARLEY_GITLAB_WEBHOOK_SECRET) {
    problems.push("PARLEY_GITLAB_WEBHOOK_SECRET: required when PARLEY_GITLAB_URL is set (set the same secret token on GitLab's webhook)");
  }
  if (e.PARLEY_GITLAB_URL && !e.PARLEY_GITLAB_TOKEN) {
    problems.push('PARLEY_GITLAB_TOKEN: required when PARLEY_GITLAB_URL is set (an access token with the api scope: project visibility, members and issues are read with it)');
  }
  const publicUrl = e.PARLEY_PUBLIC_URL ?? null;
  const configured: ConfiguredPlatform[] = [];
  const notConfigured: { name: string; howToConfigure: string }[] = [];
  for (const factory of platforms) {
    const { platform, problems: own } = factory.configure(env, { publicUrl, transcriptMaxMessages: e.PARLEY_TRANSCRIPT_MAX_MESSAGES, gitlab: Boolean(e.PARLEY_GITLAB_URL) });
    problems.push(...own);
    if (platform) configured.push(platform);
    else notConfigured.push({ name: factory.profile.name, howToConfigure: factory.howToConfigure });
  }
  const redisUrl = /^rediss?:\/\//.test(e.REDIS_URL) ? e.REDIS_URL : `redis://${e.REDIS_URL}`;
  const redis = redisTargetOf(redisUrl, Boolean(env.REDIS_URL), e, problems);
  if (problems.length > 0) throw new ConfigError(problems);

  return {
    port: e.PORT,
    host: e.PARLEY_HOST,
    dataDir: e.PARLEY_DATA_DIR,
    database: parseDatabaseUrl(e.DATABASE_URL, e.PARLEY_DATA_DIR),
    redisUrl,
    redisUrlExplicit: Boolean(env.REDIS_URL),
    redis,
    // BullMQ's scripts, and Parley's own (channel limits, leases), touch several keys at once: on Cluster they must
    // hash to one slot, which a `{…}` hash tag at the front of every key gives.
    queuePrefix: redis.kind === 'cluster' ? `{${e.PARLEY_QUEUE_PREFIX}}` : e.PARLEY_QUEUE_PREFIX,
    logLevel: e.LOG_LEVEL,
    publicUrl,
    platforms: configured,
    notConfigured,
    discourse: e.PARLEY_DISCOURSE_URL
      ? {
          url: e.PARLEY_DISCOURSE_URL,
          apiKey: e.PARLEY_DISCOURSE_API_KEY ?? null,
          apiUsername: e.PARLEY_DISCOURSE_API_USERNAME,
          webhookSecret: e.PARLEY_DISCOURSE_WEBHOOK_SECRET ?? null,
          allowUnsigned: e.PARLEY_DISCOURSE_ALLOW_UNSIGNED,
          requestsPerMinute: e.PARLEY_DISCOURSE_REQUESTS_PER_MINUTE,
        }
      : null,
    gitlab:
      e.PARLEY_GITLAB_URL && e.PARLEY_GITLAB_TOKEN && e.PARLEY_GITLAB_WEBHOOK_SECRET
        ? {
            url: e.PARLEY_GITLAB_URL,
            token: e.PARLEY_GITLAB_TOKEN,
            webhookSecret: e.PARLEY_GITLAB_WEBHOOK_SECRET,
            signingToken: e.PARLEY_GITLAB_SIGNING_TOKEN ?? null,
            sudo: e.PARLEY_GITLAB_SUDO,
            transcriptMinAccess: accessLevelOf(e.PARLEY_GITLAB_TRANSCRIPT_MIN_ACCESS),
          }
        : null,
    trustProxy: e.PARLEY_TRUST_PROXY,
    admin: { token: e.PARLEY_ADMIN_TOKEN ?? null, password: e.PARLEY_ADMIN_PASSWORD ?? null },
    metrics: { token: e.PARLEY_METRICS_TOKEN ?? null, port: e.PARLEY_METRICS_PORT ?? null },
    delivery: {
      delaySeconds: e.PARLEY_DELIVERY_DELAY_SECONDS,
      attempts: e.PARLEY_DELIVERY_ATTEMPTS,
      concurrency: e.PARLEY_WORKER_CONCURRENCY,
      excerptLength: e.PARLEY_EXCERPT_LENGTH,
      lockSeconds: e.PARLEY_JOB_LOCK_SECONDS,
      maxAgeHours: e.PARLEY_DELIVERY_MAX_AGE_HOURS,
    },
    botLeaseSeconds: e.PARLEY_BOT_LEASE_SECONDS,
    rulesPermission: e.PARLEY_RULES_PERMISSION,
    timezone: e.PARLEY_TIMEZONE,
    transcripts: {
      groups: e.PARLEY_TRANSCRIPT_GROUPS.split(',').map((g) => g.trim()).filter(Boolean),
      sameUsername: e.PARLEY_IDENTITY_SAME_USERNAME,
      messageLogDays: e.PARLEY_MESSAGE_LOG_DAYS,
      mergeSeconds: e.PARLEY_TRANSCRIPT_MERGE_SECONDS,
      maxMessages: e.PARLEY_TRANSCRIPT_MAX_MESSAGES,
      maxPostLength: e.PARLEY_TRANSCRIPT_MAX_POST_LENGTH,
      previewHours: e.PARLEY_TRANSCRIPT_PREVIEW_HOURS,
    },
  };
}
