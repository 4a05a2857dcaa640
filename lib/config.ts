// Configuration: environment variables, plus an optional file (PARLEY_CONFIG_FILE, KEY=value lines)
// that adds to them. Validated at start; every problem names the variable and what would be right.
import { readFileSync } from 'node:fs';
import { parseEnv } from 'node:util';
import path from 'node:path';
import { IANAZone } from 'luxon';
import { z } from 'zod';
import { ConfigError } from './errors.js';

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
  queuePrefix: string;
  logLevel: string;
  /** PARLEY_PUBLIC_URL: where users reach Parley (Telegram webhooks, transcript preview pages). */
  publicUrl: string | null;
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
  telegram: { token: string; apiRoot: string; mode: 'polling' | 'webhook'; publicUrl: string | null; webhookSecret: string | null } | null;
  mattermost: { url: string; token: string | null; commandToken: string | null } | null;
  delivery: { delaySeconds: number; attempts: number; concurrency: number; excerptLength: number; lockSeconds: number };
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

/** Every variable Parley reads, with its default and meaning: the README's table is made from the same facts. */
export const VARIABLES = {
  PORT: 'HTTP port (default 3000)',
  PARLEY_HOST: 'HTTP bind address (default 0.0.0.0)',
  PARLEY_DATA_DIR: 'folder for the SQLite file and the private Redis (default ./data)',
  DATABASE_URL: 'SQLite file path (optionally sqlite: or file: prefixed; default ./data/parley.db) or postgres://… URL',
  REDIS_URL: 'Redis for BullMQ (default redis://127.0.0.1:6379)',
  PARLEY_QUEUE_PREFIX: 'BullMQ key prefix (default parley)',
  LOG_LEVEL: 'trace, debug, info, warn, error (default info)',
  PARLEY_CONFIG_FILE: 'optional KEY=value file; environment variables win over it',
  PARLEY_DISCOURSE_URL: 'forum base URL, e.g. https://forum.example.org',
  PARLEY_DISCOURSE_API_KEY: 'admin API key (categories, topics, users; transcripts)',
  PARLEY_DISCOURSE_API_USERNAME: 'username the API key acts as (default system)',
  PARLEY_DISCOURSE_WEBHOOK_SECRET: 'the secret set on the Discourse webhook (required when the forum is configured)',
  PARLEY_DISCOURSE_ALLOW_UNSIGNED: 'true to accept unsigned webhooks: for testing only',
  PARLEY_DISCOURSE_REQUESTS_PER_MINUTE: 'forum API budget shared by all Parley processes (default 60)',
  PARLEY_TELEGRAM_TOKEN: 'bot token from @BotFather',
  PARLEY_TELEGRAM_API_ROOT: 'Bot API root (default https://api.telegram.org)',
  PARLEY_TELEGRAM_MODE: 'polling (default) or webhook',
  PARLEY_PUBLIC_URL: "Parley's public base URL (Telegram webhook mode, transcript preview pages)",
  PARLEY_TELEGRAM_WEBHOOK_SECRET: 'secret_token Telegram sends with webhook updates (webhook mode)',
  PARLEY_MATTERMOST_URL: 'Mattermost server URL',
  PARLEY_MATTERMOST_TOKEN: 'bot access token (REST: posting, role checks)',
  PARLEY_MATTERMOST_COMMAND_TOKEN: "the slash commands' tokens, comma-separated (one per slash command; checked on every command)",
  PARLEY_DELIVERY_DELAY_SECONDS: 'wait before announcing a post, so a post deleted at once is never announced (default 15)',
  PARLEY_DELIVERY_ATTEMPTS: 'attempts per delivery for transient failures (default 8)',
  PARLEY_WORKER_CONCURRENCY: 'deliveries in flight per platform and process (default 10)',
  PARLEY_JOB_LOCK_SECONDS: "how long a job stays claimed by a worker that stopped answering; a killed worker's jobs run again after it (default 30)",
  PARLEY_BOT_LEASE_SECONDS: 'with several bots processes, the one holding a unique connection (the Telegram long poll) renews its Redis lease within this; another takes over this long after it dies (default 15)',
  PARLEY_EXCERPT_LENGTH: 'characters of post text in a notification (default 300)',
  PARLEY_RULES_PERMISSION: 'who may change rules: moderators (default), anyone, forum-admins',
  PARLEY_TIMEZONE: 'IANA zone for times when the platform tells none (default UTC)',
  PARLEY_TRANSCRIPT_GROUPS: 'forum groups whose members may post transcripts, comma-separated (empty: forum admins only)',
  PARLEY_IDENTITY_SAME_USERNAME: 'true: a chat user maps to the forum user of the same username unless an identity says otherwise (default false)',
  PARLEY_MESSAGE_LOG_DAYS: 'days Parley keeps the messages it sees where the platform has no history API (Telegram) (default 7)',
  PARLEY_TRANSCRIPT_MERGE_SECONDS: "consecutive messages of one author closer than this become one block (default 120)",
  PARLEY_TRANSCRIPT_MAX_MESSAGES: 'upper bound of /topic last:N (default 1000)',
  PARLEY_TRANSCRIPT_MAX_POST_LENGTH: "the forum's max_post_length: a longer transcript is refused with its size (default 32000)",
  PARLEY_TRANSCRIPT_PREVIEW_HOURS: 'how long a /topic preview page stays readable (default 24)',
} as const;

const bool = z.enum(['true', 'false', '1', '0', 'yes', 'no']).transform((v) => v === 'true' || v === '1' || v === 'yes');
const int = (min: number, max: number) => z.coerce.number().int().min(min).max(max);
const url = z.url({ protocol: /^https?$/ }).transform((u) => u.replace(/\/+$/, ''));
const optional = <T extends z.ZodType>(schema: T) => z.preprocess((v) => (v === '' ? undefined : v), schema.optional());

const schema = z.object({
  PORT: optional(int(0, 65535)).default(3000),
  PARLEY_HOST: optional(z.string()).default('0.0.0.0'),
  PARLEY_DATA_DIR: optional(z.string()).default('./data'),
  DATABASE_URL: optional(z.string()),
  REDIS_URL: optional(z.string().regex(/^(rediss?:\/\/|[\w.-]+:\d+$)/, 'must be redis://HOST:PORT, rediss://… or HOST:PORT')).default('redis://127.0.0.1:6379'),
  PARLEY_QUEUE_PREFIX: optional(z.string().regex(/^[\w-]+$/, 'letters, digits, - and _ only')).default('parley'),
  LOG_LEVEL: optional(z.enum(['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'])).default('info'),
  PARLEY_DISCOURSE_URL: optional(url),
  PARLEY_DISCOURSE_API_KEY: optional(z.string()),
  PARLEY_DISCOURSE_API_USERNAME: optional(z.string()).default('system'),
  PARLEY_DISCOURSE_WEBHOOK_SECRET: optional(z.string().min(12, 'must be at least 12 characters (Discourse requires that too)')),
  PARLEY_DISCOURSE_ALLOW_UNSIGNED: optional(bool).default(false),
  PARLEY_DISCOURSE_REQUESTS_PER_MINUTE: optional(int(1, 10000)).default(60),
  PARLEY_TELEGRAM_TOKEN: optional(z.string().regex(/^[\w:-]+$/, 'looks wrong: a bot token is like 123456:ABC-DEF…')),
  PARLEY_TELEGRAM_API_ROOT: optional(url).default('https://api.telegram.org'),
  PARLEY_TELEGRAM_MODE: optional(z.enum(['polling', 'webhook'])).default('polling'),
  PARLEY_PUBLIC_URL: optional(url),
  PARLEY_TELEGRAM_WEBHOOK_SECRET: optional(z.string().regex(/^[\w-]{1,256}$/, '1-256 characters of A-Z, a-z, 0-9, _ and -')),
  PARLEY_MATTERMOST_URL: optional(url),
  PARLEY_MATTERMOST_TOKEN: optional(z.string()),
  PARLEY_MATTERMOST_COMMAND_TOKEN: optional(z.string()),
  PARLEY_DELIVERY_DELAY_SECONDS: optional(int(0, 86400)).default(15),
  PARLEY_DELIVERY_ATTEMPTS: optional(int(1, 100)).default(8),
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
});

/** Reads KEY=value lines; environment variables already set win. */
function withConfigFile(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
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

export function loadConfig(rawEnv: NodeJS.ProcessEnv = process.env): Config {
  const env = withConfigFile(rawEnv);
  const parsed = schema.safeParse(env);
  if (!parsed.success) {
    throw new ConfigError(parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`));
  }
  const e = parsed.data;
  const problems: string[] = [];
  if (e.PARLEY_DISCOURSE_URL && !e.PARLEY_DISCOURSE_WEBHOOK_SECRET && !e.PARLEY_DISCOURSE_ALLOW_UNSIGNED) {
    problems.push('PARLEY_DISCOURSE_WEBHOOK_SECRET: required when PARLEY_DISCOURSE_URL is set (set the same secret on the Discourse webhook), or set PARLEY_DISCOURSE_ALLOW_UNSIGNED=true for testing');
  }
  if (e.PARLEY_TELEGRAM_TOKEN && e.PARLEY_TELEGRAM_MODE === 'webhook' && !e.PARLEY_PUBLIC_URL) {
    problems.push('PARLEY_PUBLIC_URL: required with PARLEY_TELEGRAM_MODE=webhook (the address Telegram posts updates to)');
  }
  if (e.PARLEY_MATTERMOST_URL && !e.PARLEY_MATTERMOST_TOKEN && !e.PARLEY_MATTERMOST_COMMAND_TOKEN) {
    problems.push('PARLEY_MATTERMOST_COMMAND_TOKEN: set it (the slash command token) or PARLEY_MATTERMOST_TOKEN, else Mattermost has nothing to use');
  }
  if (problems.length > 0) throw new ConfigError(problems);

  const redisUrl = /^rediss?:\/\//.test(e.REDIS_URL) ? e.REDIS_URL : `redis://${e.REDIS_URL}`;
  return {
    port: e.PORT,
    host: e.PARLEY_HOST,
    dataDir: e.PARLEY_DATA_DIR,
    database: parseDatabaseUrl(e.DATABASE_URL, e.PARLEY_DATA_DIR),
    redisUrl,
    redisUrlExplicit: Boolean(env.REDIS_URL),
    queuePrefix: e.PARLEY_QUEUE_PREFIX,
    logLevel: e.LOG_LEVEL,
    publicUrl: e.PARLEY_PUBLIC_URL ?? null,
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
    telegram: e.PARLEY_TELEGRAM_TOKEN
      ? {
          token: e.PARLEY_TELEGRAM_TOKEN,
          apiRoot: e.PARLEY_TELEGRAM_API_ROOT,
          mode: e.PARLEY_TELEGRAM_MODE,
          publicUrl: e.PARLEY_PUBLIC_URL ?? null,
          webhookSecret: e.PARLEY_TELEGRAM_WEBHOOK_SECRET ?? null,
        }
      : null,
    mattermost: e.PARLEY_MATTERMOST_URL
      ? { url: e.PARLEY_MATTERMOST_URL, token: e.PARLEY_MATTERMOST_TOKEN ?? null, commandToken: e.PARLEY_MATTERMOST_COMMAND_TOKEN ?? null }
      : null,
    delivery: {
      delaySeconds: e.PARLEY_DELIVERY_DELAY_SECONDS,
      attempts: e.PARLEY_DELIVERY_ATTEMPTS,
      concurrency: e.PARLEY_WORKER_CONCURRENCY,
      excerptLength: e.PARLEY_EXCERPT_LENGTH,
      lockSeconds: e.PARLEY_JOB_LOCK_SECONDS,
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
