// `parley route` and the ingest job make one decision (lib/routing.ts): the same webhook bodies, fed to the
// ingest job (real SQLite store, caches and rules; real BullMQ under a prefix of its own) and to
// `parley route --json` (a child process on the same SQLite file), must reach exactly the same channels.
// Real bodies from ../shared/fixtures and constructed ones: a read-restricted category, an unknown category
// with its slug in a webhook-only install, a tagged topic with a mute that wins, a follow rule on a reply, a
// whisper, and with the forum's API a category only the forum knows and one it does not know either.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Job } from 'bullmq';
import type { Redis } from 'ioredis';
import { createIngest, type Ingest } from '../../jobs/ingest.js';
import { Queues } from '../../jobs/queues.js';
import type { DeliverJob, IngestJob } from '../../lib/seams/jobs.js';
import { CategoryCache } from '../../lib/discourse/categories.js';
import { DiscourseClient } from '../../lib/discourse/client.js';
import { TopicCache } from '../../lib/discourse/topics.js';
import { LiveRules } from '../../lib/live-rules.js';
import { silentLogger } from '../../lib/log.js';
import { redisConnection } from '../../lib/redis.js';
import type { Filter, Scope } from '../../lib/rules.js';
import { openStore } from '../../lib/store/index.js';
import type { ChannelStatus, PlatformName, Store } from '../../lib/seams/store.js';
import { startFakeForum, type FakeForum } from '../helpers/fake-forum.js';
import { postBody, WEBHOOK_SECRET } from '../helpers/parley.js';
import { freshEnv, POST_2025, POST_2_9, PRIVATE_MESSAGE, runParley } from '../helpers/cli.js';

const SPAWN_TIMEOUT_MS = 120_000;
const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const FORUM_URL = 'http://forum.example';
/** The platforms configured on both sides: the route's environment gets a Telegram token, and no Mattermost. */
const PLATFORMS: ReadonlySet<PlatformName> = new Set(['telegram']);

interface RouteJson {
  outcome: string;
  reason: string | null;
  post: { category: string | null; restricted: boolean | null; categoryStandIn: boolean };
  channels: { channel: string; channelId: number; filter: string; queued: boolean; note: string | null }[];
  muted: { channelId: number }[];
}

/** One install: a SQLite file, its own queue prefix, the ingest job as the app builds it, and `parley route` on the same file. */
async function install(opts: { forum?: FakeForum } = {}) {
  const dir = mkdtempSync(path.join(tmpdir(), 'parley-route-ingest-'));
  const dbFile = path.join(dir, 'parley.db');
  const store: Store = await openStore({ kind: 'sqlite', path: dbFile });
  const redis: Redis = redisConnection(REDIS_URL);
  const queues = new Queues(redis, `test-${randomUUID()}`);
  const forum = opts.forum;
  const client = forum ? new DiscourseClient({ baseUrl: forum.url, apiKey: forum.apiKey, apiUsername: 'system', budget: null, log: silentLogger }) : null;
  const ingest: Ingest = createIngest({
    store,
    rules: new LiveRules(store),
    queues,
    log: silentLogger,
    categories: new CategoryCache({ store: store.categories, client, log: silentLogger }),
    topics: new TopicCache({ store: store.topics, client, log: silentLogger }),
    baseUrl: (instance) => forum?.url ?? instance ?? '',
    forumApi: client !== null,
    platforms: PLATFORMS,
    // A long delay: the jobs wait in the queue (no worker runs here) to be counted.
    delivery: { delayMs: 3600_000, attempts: 1, excerptLength: 200 },
  });
  let eventCounter = 0;

  async function channel(ref: string, rules: [Filter, Scope][], status: ChannelStatus = 'active'): Promise<number> {
    const [platform, externalId] = ref.split(':') as [PlatformName, string];
    const { channel: c } = await store.channels.ensure({ platform, externalId, name: ref, status, addedBy: 'cli' });
    for (const [filter, scope] of rules) await store.rules.add({ channelId: c.id, source: 'discourse', filter, scope, createdBy: 'cli' });
    return c.id;
  }

  /**
   * The webhook's way in, as cli/app/web.ts does it: handled inline when all is known, else by the queued job
   * (called here as its worker would, once). Returns the channels that got a delivery job, with the job.
   */
  async function ingestPost(body: unknown): Promise<{ channels: number[]; jobs: Map<number, DeliverJob>; retry: Error | null }> {
    const data: IngestJob = { source: 'discourse', eventId: `route-vs-ingest-${++eventCounter}`, event: 'post_created', eventType: 'post', instance: FORUM_URL, body };
    const inline = await ingest.tryInline(data);
    let retry: Error | null = null;
    if (!inline.done) {
      const job = { data, attemptsMade: 0 } as unknown as Job<IngestJob>;
      try {
        await ingest.processor(job);
      } catch (err) {
        retry = err as Error;
      }
    }
    const postId = (body as { post: { id: number } }).post.id;
    const jobs = new Map<number, DeliverJob>();
    for (const d of await store.deliveries.findBySubject(`discourse:post:${postId}`)) {
      const c = await store.channels.get(d.channelId);
      const queued = c && (await queues.deliverQueue(c.platform).getJob(d.jobId));
      if (queued) jobs.set(d.channelId, queued.data as DeliverJob);
    }
    return { channels: [...jobs.keys()].sort((a, b) => a - b), jobs, retry };
  }

  function routeEnv(): NodeJS.ProcessEnv {
    return freshEnv({
      DATABASE_URL: dbFile,
      PARLEY_DATA_DIR: dir,
      PARLEY_DISCOURSE_URL: forum?.url ?? FORUM_URL,
      PARLEY_DISCOURSE_WEBHOOK_SECRET: WEBHOOK_SECRET,
      ...(forum ? { PARLEY_DISCOURSE_API_KEY: forum.apiKey } : {}),
      PARLEY_TELEGRAM_TOKEN: '123456:route-vs-ingest',
    });
  }

  /** `parley route FILE --json` on this install. */
  async function route(file: string): Promise<RouteJson> {
    const run = await runParley(['route', file, '--json'], routeEnv(), SPAWN_TIMEOUT_MS);
    if (run.code !== 0) throw new Error(`parley route ${file} exited ${run.code}\nstderr: ${run.stderr}\nstdout: ${run.stdout}`);
    return JSON.parse(run.stdout) as RouteJson;
  }

  /** A constructed body, saved where `parley route` can read it. */
  function bodyFile(name: string, body: unknown): string {
    const file = path.join(dir, `${name}.json`);
    writeFileSync(file, JSON.stringify(body));
    return file;
  }

  /** Feeds one body to both and checks they agree; returns both answers for the case's own checks. */
  async function both(file: string, opts: { beforeRoute?: () => Promise<void> } = {}) {
    const body: unknown = JSON.parse(readFileSync(file, 'utf8'));
    const ingested = await ingestPost(body);
    await opts.beforeRoute?.();
    const routed = await route(file);
    const routedChannels = routed.channels.filter((c) => c.queued).map((c) => c.channelId).sort((a, b) => a - b);
    assert.deepEqual(routedChannels, ingested.channels, `route and ingest disagree\nroute: ${JSON.stringify(routed, null, 2)}`);
    return { ingested, routed };
  }

  async function close(): Promise<void> {
    for (const platform of ['telegram', 'mattermost'] as const) await queues.deliverQueue(platform).obliterate({ force: true }).catch(() => undefined);
    await queues.ingest.obliterate({ force: true }).catch(() => undefined);
    await queues.close();
    await redis.quit().catch(() => redis.disconnect());
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  }

  return { store, channel, both, bodyFile, close };
}

const category = (path: string): Scope => ({ type: 'category', path });
const tag = (name: string): Scope => ({ type: 'tag', name });
const ALL: Scope = { type: 'all' };

const sorted = (...ids: number[]): number[] => ids.sort((a, b) => a - b);

describe('parley route and the ingest job choose the same channels: webhook-only install', { concurrency: 2 }, () => {
  let it: Awaited<ReturnType<typeof install>>;
  type Name = 'all' | 'staff' | 'followSupport' | 'urgent' | 'uncategorized' | 'mutedUrgent' | 'thread' | 'pending' | 'secretLab' | 'release' | 'mattermost';
  const ch = {} as Record<Name, number>;

  before(async () => {
    it = await install();
    const s = it.store;
    // 4: the 2025.12 capture's category (slug empty in Discourse); 7: read-restricted; 8: a public one.
    await s.categories.upsert({ id: 4, slug: '4-category', name: '阿里云', parentId: null, color: '0088CC', restricted: false });
    await s.categories.upsert({ id: 7, slug: 'staff', name: 'Staff', parentId: null, color: null, restricted: true });
    await s.categories.upsert({ id: 8, slug: 'support', name: 'Support', parentId: null, color: null, restricted: false });
    await s.topics.upsert({ topicId: 10, title: '阿里云', tags: ['release'], categoryId: 4 });
    await s.topics.upsert({ topicId: 20, title: 'Down again', tags: ['Urgent'], categoryId: 8 });
    await s.topics.upsert({ topicId: 21, title: 'How do I', tags: [], categoryId: 8 });
    await s.topics.upsert({ topicId: 70, title: 'Staff only', tags: ['urgent'], categoryId: 7 });

    ch.all = await it.channel('telegram:-100', [['watch', ALL]]);
    ch.staff = await it.channel('telegram:-200', [['watch', category('staff')]]);
    ch.followSupport = await it.channel('telegram:-300', [['follow', category('support')]]);
    ch.urgent = await it.channel('telegram:-400', [['watch', tag('urgent')]]);
    // A rule naming the slug that a webhook-only install learns from the payload alone.
    ch.uncategorized = await it.channel('telegram:-500', [['watch', category('uncategorized')]]);
    ch.mutedUrgent = await it.channel('telegram:-600', [['watch', category('support')], ['mute', tag('urgent')]]);
    ch.thread = await it.channel('telegram:-700', [['thread', category('support')]]);
    ch.pending = await it.channel('telegram:-800', [['watch', category('support')]], 'pending');
    ch.secretLab = await it.channel('telegram:-900', [['watch', category('secret-lab')], ['follow', ALL]]);
    ch.release = await it.channel('telegram:-1000', [['follow', tag('release')], ['mute', category('staff')]]);
    // Mattermost is not configured on either side: matched, never queued.
    ch.mattermost = await it.channel('mattermost:abc', [['watch', ALL]]);
  });
  after(async () => it?.close());

  test('the 2025.12 post_created capture (known category, tagged topic, first post)', async () => {
    const { ingested, routed } = await it.both(POST_2025);
    assert.deepEqual(ingested.channels, sorted(ch.all, ch.secretLab, ch.release));
    assert.ok(routed.channels.some((c) => c.channelId === ch.mattermost && !c.queued), 'the unconfigured platform is shown, not queued');
  });

  test('the 2.9 capture: a category Parley never learned, without the forum API, goes by its category_slug as restricted', async () => {
    const { ingested, routed } = await it.both(POST_2_9);
    assert.deepEqual(ingested.channels, [ch.uncategorized]);
    assert.equal(routed.outcome, 'delivered');
    assert.deepEqual([routed.post.category, routed.post.restricted, routed.post.categoryStandIn], ['uncategorized', true, true]);
  });

  test('a private message (real capture) reaches no channel', async () => {
    const { ingested, routed } = await it.both(PRIVATE_MESSAGE);
    assert.deepEqual(ingested.channels, []);
    assert.equal(routed.outcome, 'private_message');
  });

  test('a read-restricted category: only the rule naming it delivers; broad rules only mute', async () => {
    const file = it.bodyFile('restricted', postBody({ id: 7001, topicId: 70, categoryId: 7, title: 'Staff only' }));
    const { ingested, routed } = await it.both(file);
    assert.deepEqual(ingested.channels, [ch.staff]);
    assert.ok(routed.muted.some((m) => m.channelId === ch.release));
  });

  test('an unknown category with its slug, no API key: the rule naming the slug delivers, nothing broader', async () => {
    const body = postBody({ id: 3001, topicId: 30, categoryId: 30, title: 'Lab notes' }) as { post: Record<string, unknown> };
    body.post.category_slug = 'secret-lab';
    const { ingested, routed } = await it.both(it.bodyFile('unknown-with-slug', body));
    assert.deepEqual(ingested.channels, [ch.secretLab]);
    assert.equal(routed.channels.find((c) => c.channelId === ch.secretLab)?.filter, 'watch');
  });

  test('a tagged topic: tag rules deliver, a mute of the tag wins over a watch of the category', async () => {
    const { ingested, routed } = await it.both(it.bodyFile('tagged', postBody({ id: 2001, topicId: 20, categoryId: 8, title: 'Down again' })));
    assert.deepEqual(ingested.channels, sorted(ch.all, ch.followSupport, ch.urgent, ch.thread, ch.pending, ch.secretLab));
    assert.ok(!ingested.channels.includes(ch.mutedUrgent));
    assert.deepEqual(routed.muted.map((m) => m.channelId), [ch.mutedUrgent]);
  });

  test('a reply: follow rules do not take it, a thread rule puts it under the topic', async () => {
    const { ingested } = await it.both(it.bodyFile('reply', postBody({ id: 2102, topicId: 21, postNumber: 3, categoryId: 8, title: 'How do I' })));
    assert.deepEqual(ingested.channels, sorted(ch.all, ch.mutedUrgent, ch.thread, ch.pending));
    assert.equal(ingested.jobs.get(ch.thread)?.thread, 'discourse:topic:21');
    assert.equal(ingested.jobs.get(ch.all)?.thread, null);
  });

  test('a whisper is never announced', async () => {
    const body = postBody({ id: 2103, topicId: 21, postNumber: 4, categoryId: 8 }) as { post: Record<string, unknown> };
    body.post.post_type = 4;
    const { ingested, routed } = await it.both(it.bodyFile('whisper', body));
    assert.deepEqual(ingested.channels, []);
    assert.equal(routed.outcome, 'skipped');
  });
});

describe('parley route and the ingest job choose the same channels: with the forum API', { concurrency: 1 }, () => {
  let forum: FakeForum;
  let it: Awaited<ReturnType<typeof install>>;
  const ch = {} as Record<'all' | 'urgent' | 'ghost', number>;

  before(async () => {
    forum = await startFakeForum({ categories: [{ id: 50, slug: 'forum-only', name: 'Forum only' }] });
    forum.topics.set(51, { id: 51, title: 'Only the forum knows', tags: ['urgent'], category_id: 50 });
    it = await install({ forum });
    ch.all = await it.channel('telegram:-100', [['watch', ALL]]);
    ch.urgent = await it.channel('telegram:-400', [['watch', tag('urgent')]]);
    ch.ghost = await it.channel('telegram:-500', [['watch', category('ghost')]]);
  });
  after(async () => {
    await it?.close();
    await forum?.stop();
  });

  /** Each side asks the forum itself: what the other side's caches learned is forgotten before the route runs. */
  const forget = async () => {
    await it.store.categories.remove(50);
    await it.store.topics.remove(51);
  };

  test('a category and tags only the forum knows: learned from it on both sides', async () => {
    const { ingested, routed } = await it.both(it.bodyFile('forum-only', postBody({ id: 5101, topicId: 51, categoryId: 50 })), { beforeRoute: forget });
    assert.deepEqual(ingested.channels, sorted(ch.all, ch.urgent));
    assert.deepEqual([routed.post.category, routed.post.categoryStandIn], ['forum-only', false]);
  });

  test('a category the forum does not know either: kept for retry, not matched blind, not stood in by its slug', async () => {
    const body = postBody({ id: 9901, topicId: 99, categoryId: 99 }) as { post: Record<string, unknown> };
    body.post.category_slug = 'ghost';
    const { ingested, routed } = await it.both(it.bodyFile('ghost', body));
    assert.deepEqual(ingested.channels, []);
    assert.match(ingested.retry?.message ?? '', /category 99 is unknown/);
    assert.equal(routed.outcome, 'retry');
    assert.match(routed.reason ?? '', /tries again/);
  });
});
