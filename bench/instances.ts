// Several instances: two complete Parley processes (`node bin/parley.js start`, every role, as an operator runs
// them) on one Redis prefix and one PostgreSQL schema, signed Discourse webhooks alternating between them as a
// round-robin load balancer would, at a sustained rate for a minute (docs/architecture.md#roles-and-processes).
// Deliveries go to a local stand-in for Discord's REST API and Telegram's Bot API (the Telegram long poll, a unique
// connection, runs in whichever process holds its lease) that records when each message arrives.
//
// ours = events delivered per second over the run (events ÷ from the first webhook sent to the last message
// arrived); baseline = the offered rate; ratio = ours ÷ baseline. details: p50 and p99 from a webhook sent to its
// message arriving, duplicates and missing messages (both must be 0), what the store recorded, the rate and the
// duration. test/e2e/instances.test.ts checks the same setup in CI, 15 s long, against the platforms' emulators.
// Needs Redis (REDIS_URL) and PostgreSQL (BENCH_POSTGRES_URL, else PARLEY_TEST_POSTGRES_URL, else the test server).
// BENCH_INSTANCES_RATE and BENCH_INSTANCES_SECONDS change the rate (default 50) and the duration (default 60).
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { Agent, createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import pg from 'pg';
import { chooseEntry } from '../bin/build-info.js';
import { redisConnection } from '../lib/redis.js';
import { openStore } from '../lib/store/index.js';
import { BENCH_REDIS_URL, BENCH_WEBHOOK_SECRET } from './app-env.js';
import { buildIfStale, cleanEnv, cpuMsOf, post, postCreatedHeaders, ROOT, spawnParley, type ParleyProcess } from './parley-process.js';
import { removeKeys } from './redis-keys.js';
import type { Benchmark } from './types.js';

const POSTGRES_URL = process.env.BENCH_POSTGRES_URL ?? process.env.PARLEY_TEST_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const RATE = Number(process.env.BENCH_INSTANCES_RATE ?? 50);
const SECONDS = Number(process.env.BENCH_INSTANCES_SECONDS ?? 60);
const INSTANCES = 2;
const START_TIMEOUT_MS = 120_000;
const DRAIN_TIMEOUT_MS = 120_000;
const FIXTURE = new URL('../../shared/fixtures/discourse-webhooks/discourse-2025.12/post_created.body.json', import.meta.url);

// Of every five events three go to a Discord channel (50 a second overall, 5 per 5 s per channel) and two to a
// Telegram chat (30 a second, 20 a minute per chat): at 50 a second, 30 and 20, each channel under its own limit.
const DISCORD_CHANNELS = 50;
const TELEGRAM_CHATS = 100;
type Platform = 'discord' | 'telegram';
interface Target {
  platform: Platform;
  channel: string;
  category: number;
}
const discordTarget = (i: number): Target => ({ platform: 'discord', channel: (3100000000000001000n + BigInt(i)).toString(), category: i + 1 });
const telegramTarget = (i: number): Target => ({ platform: 'telegram', channel: String(7_000_000 + i), category: DISCORD_CHANNELS + i + 1 });
/** Where event `i` goes: its post is in that channel's category. */
function target(i: number): Target {
  const round = Math.floor(i / 5);
  const place = i % 5;
  return place < 3 ? discordTarget((round * 3 + place) % DISCORD_CHANNELS) : telegramTarget((round * 2 + place - 3) % TELEGRAM_CHATS);
}

const APPLICATION_ID = '123456789012345678';
const BOT_USER = { id: '223456789012345678', username: 'parley', discriminator: '0', bot: true, global_name: null, avatar: null };
/** The longest an empty getUpdates is held (Telegram holds it for the poll's timeout). */
const LONG_POLL_CAP_MS = 30_000;

interface Arrival {
  key: string;
  at: number;
}

/** When each message arrived, by "platform:channel:post"; the stand-in answers as the platforms do. */
interface StandIn {
  url: string;
  arrivals: Arrival[];
  close(): Promise<void>;
}

const postOf = (text: string): string => /\/t\/bench\/(\d+)\/1/u.exec(text)?.[1] ?? '?';

async function startStandIn(): Promise<StandIn> {
  const arrivals: Arrival[] = [];
  let messageId = 0;
  const json = (res: ServerResponse, status: number, body: unknown): void => void res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    let raw = '';
    for await (const chunk of req) raw += String(chunk);
    const at = performance.now();
    const p = new URL(req.url ?? '/', 'http://stand-in').pathname;
    const telegram = /^\/telegram\/bot[^/]+\/(\w+)$/u.exec(p);
    if (telegram) {
      const body = (raw ? JSON.parse(raw) : {}) as { chat_id?: number | string; text?: string; timeout?: number };
      switch (telegram[1]) {
        case 'getMe':
          return json(res, 200, { ok: true, result: { id: 1, is_bot: true, first_name: 'Parley', username: 'parley_bot', can_join_groups: true, can_read_all_group_messages: false, supports_inline_queries: false } });
        case 'getUpdates': {
          const timer = setTimeout(() => json(res, 200, { ok: true, result: [] }), Math.min((body.timeout ?? 0) * 1000, LONG_POLL_CAP_MS));
          res.on('close', () => clearTimeout(timer));
          return;
        }
        case 'sendMessage':
          arrivals.push({ key: `telegram:${body.chat_id}:${postOf(body.text ?? '')}`, at });
          return json(res, 200, { ok: true, result: { message_id: ++messageId, date: Math.floor(Date.now() / 1000), chat: { id: Number(body.chat_id), type: 'private' }, text: body.text } });
        default:
          return json(res, 200, { ok: true, result: true });
      }
    }
    const discord = /^\/discord\/api\/v10(\/.*)$/u.exec(p)?.[1];
    if (discord !== undefined) {
      if (discord === '/users/@me') return json(res, 200, BOT_USER);
      if (discord === `/applications/${APPLICATION_ID}/commands`) return json(res, 200, req.method === 'PUT' ? JSON.parse(raw || '[]') : []);
      const channel = /^\/channels\/(\d+)(\/messages)?$/u.exec(discord);
      if (channel && req.method === 'GET' && !channel[2]) return json(res, 200, { id: channel[1], type: 0, guild_id: '1', name: 'news' });
      if (channel && req.method === 'POST' && channel[2]) {
        arrivals.push({ key: `discord:${channel[1]}:${postOf(raw)}`, at });
        const id = (3200000000000000000n + BigInt(++messageId)).toString();
        return json(res, 200, { id, channel_id: channel[1], type: 0, content: '', embeds: [], author: BOT_USER, timestamp: new Date().toISOString(), edited_timestamp: null, tts: false, mention_everyone: false, mentions: [], mention_roles: [], attachments: [], components: [], pinned: false, flags: 0 });
      }
    }
    json(res, 404, { message: 'not in the stand-in' });
  };
  const server = createServer((req, res) => void handle(req, res).catch(() => json(res, 500, {})));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    arrivals,
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

const percentile = (sorted: number[], p: number): number => sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))] ?? NaN;
const round1 = (n: number): number => Math.round(n * 10) / 10;

export const instances: Benchmark = async () => {
  buildIfStale('instances');
  const events = Math.round(RATE * SECONDS);
  const admin = new pg.Pool({ connectionString: POSTGRES_URL, max: 1 });
  const schemaName = `parley_bench_${randomBytes(6).toString('hex')}`;
  await admin.query(`create schema ${schemaName}`);
  const databaseUrl = new URL(POSTGRES_URL);
  databaseUrl.searchParams.set('options', `-c search_path=${schemaName}`);
  const prefix = `bench-instances-${randomUUID()}`;
  const standIn = await startStandIn();
  const dirs: string[] = [];
  const running: ParleyProcess[] = [];
  const urls: string[] = [];
  const agent = new Agent({ keepAlive: true, maxSockets: 32 });
  try {
    // The channels and rules, in the schema both instances share, before either starts.
    const store = await openStore({ kind: 'postgres', url: databaseUrl.toString() });
    try {
      await store.categories.replaceAll(Array.from({ length: DISCORD_CHANNELS + TELEGRAM_CHATS }, (_, i) => ({ id: i + 1, slug: `cat-${i + 1}`, name: `Category ${i + 1}`, parentId: null, color: null, restricted: false })));
      const targets = [...Array.from({ length: DISCORD_CHANNELS }, (_, i) => discordTarget(i)), ...Array.from({ length: TELEGRAM_CHATS }, (_, i) => telegramTarget(i))];
      for (const t of targets) {
        const { channel } = await store.channels.ensure({ platform: t.platform, externalId: t.channel, name: t.channel, status: 'active', addedBy: 'bench' });
        await store.rules.add({ channelId: channel.id, source: 'discourse', filter: 'watch', scope: { type: 'category', path: `cat-${t.category}` }, createdBy: 'bench' });
      }
    } finally {
      await store.close();
    }

    for (let n = 0; n < INSTANCES; n++) {
      const dir = mkdtempSync(path.join(tmpdir(), `parley-bench-instance-${n}-`));
      dirs.push(dir);
      const instance = spawnParley({
        startTimeoutMs: START_TIMEOUT_MS,
        env: {
          ...cleanEnv(),
          DATABASE_URL: databaseUrl.toString(),
          PARLEY_DATA_DIR: dir,
          REDIS_URL: BENCH_REDIS_URL,
          PARLEY_QUEUE_PREFIX: prefix,
          PORT: '0',
          PARLEY_HOST: '127.0.0.1',
          LOG_LEVEL: 'info',
          PARLEY_DISCOURSE_URL: 'http://forum.example',
          PARLEY_DISCOURSE_WEBHOOK_SECRET: BENCH_WEBHOOK_SECRET,
          PARLEY_DELIVERY_DELAY_SECONDS: '0',
          PARLEY_TELEGRAM_TOKEN: '123456:BENCH-token',
          PARLEY_TELEGRAM_API_ROOT: `${standIn.url}/telegram`,
          PARLEY_DISCORD_TOKEN: 'bench.discord.token',
          PARLEY_DISCORD_APPLICATION_ID: APPLICATION_ID,
          PARLEY_DISCORD_API_URL: `${standIn.url}/discord/api`,
          PARLEY_DISCORD_MODE: 'interactions',
          PARLEY_DISCORD_PUBLIC_KEY: 'a'.repeat(64),
        },
      });
      running.push(instance);
      urls.push(await instance.started);
    }
    const hooks = urls.map((url) => new URL(`${url}/hooks/discourse`));

    const template = (JSON.parse(readFileSync(FIXTURE, 'utf8')) as { post: Record<string, unknown> }).post;
    const sentAt = new Map<string, number>();
    const answers: Promise<number>[] = [];
    const webhookMs: number[] = [];
    const loadBefore = loadavg()[0]!;
    const cpuBefore = running.map((i) => cpuMsOf(i.pid));
    const start = performance.now();
    for (let i = 0; i < events; i++) {
      const wait = start + (i * 1000) / RATE - performance.now();
      if (wait > 0) await new Promise((r) => setTimeout(r, wait));
      const t = target(i);
      const postId = 100_000 + i;
      const body = JSON.stringify({ post: { ...template, id: postId, topic_id: postId, topic_slug: 'bench', post_number: 1, post_url: `/t/bench/${postId}/1`, category_id: t.category, category_slug: `cat-${t.category}` } });
      const headers = postCreatedHeaders(body, `bench-${i}`, BENCH_WEBHOOK_SECRET);
      const t0 = performance.now();
      sentAt.set(`${t.platform}:${t.channel}:${postId}`, t0);
      // Alternating, as a round-robin load balancer spreads them.
      answers.push(post(hooks[i % INSTANCES]!, agent, headers, body).then((status) => (webhookMs.push(performance.now() - t0), status)));
    }
    const statuses = await Promise.all(answers);
    const sendSeconds = (performance.now() - start) / 1000;
    const refused = statuses.filter((s) => s !== 202).length;

    const deadline = performance.now() + DRAIN_TIMEOUT_MS;
    const arrivedKeys = () => new Set(standIn.arrivals.map((a) => a.key));
    while (performance.now() < deadline && [...sentAt.keys()].some((k) => !arrivedKeys().has(k))) await new Promise((r) => setTimeout(r, 200));
    // CPU while the load ran and drained: what each event cost, whatever else the machine was doing.
    const cpuMs = running.map((i, n) => cpuMsOf(i.pid) - cpuBefore[n]!);
    // Late duplicates (a send retried after its answer was lost) would come within a few seconds.
    await new Promise((r) => setTimeout(r, 2000));

    const first = new Map<string, number>();
    let duplicates = 0;
    for (const a of standIn.arrivals) {
      if (first.has(a.key)) duplicates++;
      else first.set(a.key, a.at);
    }
    const missing = [...sentAt.keys()].filter((k) => !first.has(k)).length;
    const unexpected = [...first.keys()].filter((k) => !sentAt.has(k)).length;
    const latencies = [...first].flatMap(([k, at]) => (sentAt.has(k) ? [at - sentAt.get(k)!] : [])).sort((x, y) => x - y);
    const lastArrival = Math.max(...first.values());
    const delivered = events - missing;
    const ours = delivered / ((lastArrival - start) / 1000);

    const check = await openStore({ kind: 'postgres', url: databaseUrl.toString() });
    const recorded = await check.deliveries.countByStatus().finally(() => check.close());
    const webhookSorted = webhookMs.sort((x, y) => x - y);
    return {
      name: 'instances',
      ours: round1(ours),
      baseline: RATE,
      ratio: Number((ours / RATE).toFixed(3)),
      unit: 'events/s',
      details: {
        instances: `${INSTANCES} x parley start (every role), one Redis prefix, one PostgreSQL schema; webhooks alternating`,
        rate_per_s: RATE,
        duration_s: SECONDS,
        events,
        sent_in_s: round1(sendSeconds),
        webhooks_refused: refused,
        delivered_p50_ms: round1(percentile(latencies, 0.5)),
        delivered_p99_ms: round1(percentile(latencies, 0.99)),
        delivered_max_ms: round1(latencies.at(-1) ?? NaN),
        webhook_answer_p50_ms: round1(percentile(webhookSorted, 0.5)),
        webhook_answer_p99_ms: round1(percentile(webhookSorted, 0.99)),
        cpu_ms_per_event: round1(cpuMs.reduce((x, y) => x + y, 0) / events),
        cpu_s_per_instance: cpuMs.map((ms) => round1(ms / 1000)).join(' / '),
        // The latencies wait for a CPU when the machine is busy with other work: say how busy it was.
        load_average_1m: `${round1(loadBefore)} -> ${round1(loadavg()[0]!)} (${availableParallelism()} CPUs)`,
        duplicates,
        missing,
        unexpected,
        store_delivered: recorded.delivered,
        store_not_delivered: Object.entries(recorded).reduce((n, [status, count]) => (status === 'delivered' ? n : n + count), 0),
        to_discord: `${[...sentAt.keys()].filter((k) => k.startsWith('discord:')).length} events into ${DISCORD_CHANNELS} channels (Discord allows 50/s, 5 per 5 s per channel)`,
        to_telegram: `${[...sentAt.keys()].filter((k) => k.startsWith('telegram:')).length} events into ${TELEGRAM_CHATS} chats (Telegram allows 30/s, 20 a minute per chat)`,
        ran: ((e) => `${e.from}: ${e.why}`)(chooseEntry(ROOT, {})),
        latency_measured: 'webhook sent -> message at the stand-in, both on this process clock; PARLEY_DELIVERY_DELAY_SECONDS=0',
      },
    };
  } finally {
    agent.destroy();
    await Promise.all(running.map((i) => i.stop()));
    await standIn.close();
    for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
    await admin.query(`drop schema if exists ${schemaName} cascade`).catch(() => undefined);
    await admin.end();
    const redis = redisConnection(BENCH_REDIS_URL);
    await removeKeys(redis, `${prefix}:*`);
    redis.disconnect();
  }
};

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  console.log(JSON.stringify(await instances()));
  process.exit(0);
}
