// The admin HTTP API (cli/admin/api.ts) on a Fastify app of its own, against a SQLite store in memory and the real
// Redis: the OpenAPI document against the routes served, the credentials every route asks for, validation errors,
// channels, rules, identities, the overview, the delivery log and retrying a failed delivery's BullMQ job.
import SwaggerParser from '@apidevtools/swagger-parser';
import { Worker } from 'bullmq';
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { FastifyInstance, LightMyRequestResponse } from 'fastify';
import { DELIVER_JOB, deliverJobOptions, deliverQueueName, deliveryJobId } from '../../jobs/queues.js';
import { parseScope, type Filter } from '../../lib/rules.js';
import type { PlatformAdapter } from '../../lib/seams/platform.js';
import type { ChannelRecord, DeliveryStatus, PlatformName } from '../../lib/seams/store.js';
import type { Store } from '../../lib/store/index.js';
import { adminApiRedis, buildAdminApi, type AdminApiApp } from '../helpers/admin-api.js';
import { notification } from '../helpers/notification.js';

const TOKEN = 'tok-admin-api-7d1e9b3c5a';
const PASSWORD = 'admin api password';
const PLATFORMS_SERVED: PlatformName[] = ['telegram', 'mattermost'];

type ApiDocument = NonNullable<Parameters<SwaggerParser.ApiCallback>[1]>;
interface OpenApiDoc {
  openapi: string;
  paths: Record<string, Record<string, unknown>>;
}

/** One app per test, serving two platforms' queues, with a check that fails and one that throws. */
function build(): Promise<AdminApiApp> {
  // The API only asks the adapters map for its keys (the deliver queues it reports).
  const adapters = new Map(PLATFORMS_SERVED.map((platform) => [platform, { platform } as Partial<PlatformAdapter> as PlatformAdapter]));
  const checks = {
    database: async () => ({ ok: true }),
    telegram: async () => ({ ok: false, detail: 'getMe answered 401' }),
    mattermost: async (): Promise<{ ok: boolean }> => {
      throw new Error('connect ECONNREFUSED');
    },
  };
  return buildAdminApi({ token: TOKEN, password: PASSWORD, adapters, checks });
}

const bearer = { authorization: `Bearer ${TOKEN}` };
const json = <T = Record<string, unknown>>(res: LightMyRequestResponse): T => res.json<T>();

async function call(app: FastifyInstance, method: 'GET' | 'POST' | 'PATCH' | 'DELETE', url: string, payload?: object) {
  return app.inject({ method, url, headers: bearer, ...(payload ? { payload } : {}) });
}

/** The answer's JSON body, after checking its status (the body is in the message when it is not the expected one). */
async function ok<T = Record<string, unknown>>(res: Promise<LightMyRequestResponse> | LightMyRequestResponse, status = 200): Promise<T> {
  const r = await res;
  assert.equal(r.statusCode, status, r.body);
  return json<T>(r);
}

async function channel(store: Store, platform: PlatformName, externalId: string, name: string, status: ChannelRecord['status'], settings = {}) {
  return (await store.channels.ensure({ platform, externalId, name, status, addedBy: 'cli', settings })).channel;
}

async function rule(store: Store, channelId: number, filter: Filter, scopeText: string) {
  const scope = parseScope(scopeText);
  assert.ok(scope.ok, scopeText);
  return (await store.rules.add({ channelId, source: 'discourse', filter, scope: scope.scope, createdBy: 'telegram:42' })).rule;
}

async function delivery(store: Store, channelId: number, eventKey: string, status: DeliveryStatus, opts: { lastError?: string; createdAt?: Date } = {}) {
  const jobId = deliveryJobId(eventKey, channelId);
  const subject = `discourse:post:${eventKey.replace(/\D/gu, '')}`;
  await store.deliveries.create({ jobId, eventKey, channelId, subject, thread: 'discourse:topic:1', opens: false, ...(opts.createdAt ? { createdAt: opts.createdAt } : {}) });
  if (status !== 'queued' || opts.lastError) await store.deliveries.update(jobId, { status, ...(opts.lastError ? { lastError: opts.lastError } : {}) });
  return jobId;
}

async function until(what: string, check: () => Promise<boolean>, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    assert.ok(Date.now() < deadline, `${what} within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe('admin API', () => {
  test('the OpenAPI document is valid OpenAPI 3 and lists every route the API serves', async () => {
    const { app, routes } = await build();
    const doc = await ok<OpenApiDoc>(call(app, 'GET', '/api/openapi.json'));
    assert.match(doc.openapi, /^3\./u);
    await SwaggerParser.validate(structuredClone(doc) as unknown as ApiDocument);

    // HEAD routes are fastify's own copies of the GET ones: not part of the API's contract.
    const served = new Set(
      routes
        .filter((r) => r.split(' ')[1]!.startsWith('/api/') && !r.startsWith('HEAD '))
        .map((r) => r.replace(/:(\w+)/gu, '{$1}')),
    );
    const documented = new Set(Object.entries(doc.paths).flatMap(([path, ops]) => Object.keys(ops).map((m) => `${m.toUpperCase()} ${path}`)));
    assert.ok(served.size >= 13, `the API's routes were seen: ${[...served].join(', ')}`);
    assert.deepEqual([...documented].sort(), [...served].sort());
  });

  test('every documented route refuses a request without credentials, or with a wrong token', async () => {
    const { app, store } = await build();
    const doc = await ok<OpenApiDoc>(call(app, 'GET', '/api/openapi.json'));
    const before = await store.channels.list();
    const tried: string[] = [];
    for (const [path, ops] of Object.entries(doc.paths)) {
      const url = path.replace(/\{id\}/gu, '1').replace(/\{\w+\}/gu, 'x');
      for (const method of Object.keys(ops).map((m) => m.toUpperCase())) {
        // No body, even where one is required: credentials are checked before anything else is looked at.
        for (const headers of [{}, { authorization: 'Bearer not-the-token' }]) {
          const res = await app.inject({ method: method as 'GET', url, headers });
          assert.equal(res.statusCode, 401, `${method} ${url} ${JSON.stringify(headers)}: ${res.body}`);
          assert.equal(json(res).error, 'unauthorized', `${method} ${url}`);
        }
        tried.push(`${method} ${url}`);
      }
    }
    assert.ok(tried.includes('DELETE /api/channels/1') && tried.includes('POST /api/deliveries/x/retry'), tried.join(', '));
    assert.deepEqual(await store.channels.list(), before);
  });

  test('validation errors name each field', async () => {
    const { app, store } = await build();
    const query = await ok<{ error: string; message: string; issues: { field: string; message: string }[] }>(call(app, 'GET', '/api/deliveries?limit=0&status=nope'), 400);
    assert.equal(query.error, 'validation');
    assert.deepEqual(query.issues.map((i) => i.field).sort(), ['querystring.limit', 'querystring.status']);
    for (const issue of query.issues) assert.ok(issue.message.length > 0 && query.message.includes(`${issue.field}: ${issue.message}`), query.message);

    const c = await channel(store, 'telegram', '-100', 'Releases', 'active');
    const body = await ok<{ error: string; issues: { field: string }[] }>(call(app, 'PATCH', `/api/channels/${c.id}`, { name: '' }), 400);
    assert.equal(body.error, 'validation');
    assert.deepEqual(body.issues.map((i) => i.field), ['body.name']);
    assert.equal((await store.channels.get(c.id))?.name, 'Releases', 'not renamed');
    // No body at all: the body itself is named, not `body.`.
    const none = await ok<{ issues: { field: string }[] }>(call(app, 'PATCH', `/api/channels/${c.id}`), 400);
    assert.deepEqual(none.issues.map((i) => i.field), ['body']);

    const params = await ok<{ issues: { field: string }[] }>(call(app, 'GET', '/api/channels/x'), 400);
    assert.deepEqual(params.issues.map((i) => i.field), ['params.id']);
  });

  test('channels: list, filter, read, rename, accept, decline, remove; rules numbered as /discourse status does', async () => {
    const { app, store } = await build();
    const tg = await channel(store, 'telegram', '-1001', 'Releases', 'active');
    const mm = await channel(store, 'mattermost', 'town-square', 'Town Square', 'pending', { webhookUrl: 'https://mm.example.org/hooks/s3cr3tkey' });
    const watch = await rule(store, tg.id, 'watch', 'c/meta');
    const mute = await rule(store, tg.id, 'mute', 't/spoilers');
    const follow = await rule(store, tg.id, 'follow', 'all');

    const all = await ok<{ id: number; channel: string; status: string; settings: Record<string, unknown> }[]>(call(app, 'GET', '/api/channels'));
    assert.deepEqual(all.map((c) => [c.id, c.channel, c.status]).sort(), [
      [tg.id, 'telegram:-1001', 'active'],
      [mm.id, 'mattermost:town-square', 'pending'],
    ].sort());
    assert.ok(!JSON.stringify(all).includes('s3cr3tkey'), 'a webhook URL is masked');
    const pending = await ok<{ id: number }[]>(call(app, 'GET', '/api/channels?status=pending'));
    assert.deepEqual(pending.map((c) => c.id), [mm.id]);
    const telegram = await ok<{ id: number }[]>(call(app, 'GET', '/api/channels?platform=telegram'));
    assert.deepEqual(telegram.map((c) => c.id), [tg.id]);

    const one = await ok(call(app, 'GET', `/api/channels/${tg.id}`));
    assert.deepEqual(
      { ...one, createdAt: typeof one.createdAt },
      { id: tg.id, channel: 'telegram:-1001', platform: 'telegram', externalId: '-1001', name: 'Releases', status: 'active', lastError: null, addedBy: 'cli', createdAt: 'string', settings: {} },
    );
    assert.equal(new Date(one.createdAt as string).getTime(), tg.createdAt.getTime());
    assert.equal((await ok(call(app, 'GET', '/api/channels/9999'), 404)).error, 'not_found');

    assert.equal((await ok(call(app, 'PATCH', `/api/channels/${tg.id}`, { name: '  Release notes ' }))).name, 'Release notes');
    assert.equal((await ok(call(app, 'GET', `/api/channels/${tg.id}`))).name, 'Release notes');

    const rules = await ok<{ number: number; id: number; filter: string; scope: string; source: string; createdBy: string }[]>(call(app, 'GET', `/api/channels/${tg.id}/rules`));
    assert.deepEqual(
      rules.map((r) => [r.number, r.id, r.filter, r.scope, r.source, r.createdBy]),
      [
        [1, mute.id, 'mute', 't/spoilers', 'discourse', 'telegram:42'],
        [2, watch.id, 'watch', 'c/meta', 'discourse', 'telegram:42'],
        [3, follow.id, 'follow', 'all', 'discourse', 'telegram:42'],
      ],
    );

    assert.equal((await ok(call(app, 'POST', `/api/channels/${mm.id}/accept`))).status, 'active');
    assert.equal((await store.channels.get(mm.id))?.status, 'active');
    assert.equal((await ok(call(app, 'GET', `/api/channels/${mm.id}`))).status, 'active');
    assert.equal((await ok(call(app, 'POST', `/api/channels/${mm.id}/accept`), 409)).error, 'not_pending');
    assert.equal((await ok(call(app, 'POST', `/api/channels/${tg.id}/decline`), 409)).error, 'not_pending');
    assert.ok(await store.channels.get(tg.id), 'declining an active channel removes nothing');

    const invited = await channel(store, 'telegram', '-1002', 'Spam', 'pending');
    assert.equal((await ok(call(app, 'POST', `/api/channels/${invited.id}/decline`))).id, invited.id);
    assert.equal((await ok(call(app, 'GET', `/api/channels/${invited.id}`), 404)).error, 'not_found', 'a declined channel is gone');

    assert.deepEqual(await ok(call(app, 'DELETE', `/api/channels/${tg.id}`)), { removed: true, rulesRemoved: 3 });
    assert.equal((await ok(call(app, 'GET', `/api/channels/${tg.id}`), 404)).error, 'not_found');
    assert.equal((await ok(call(app, 'GET', `/api/channels/${tg.id}/rules`), 404)).error, 'not_found');
    assert.deepEqual(await store.rules.list(tg.id), []);
    assert.equal((await ok(call(app, 'DELETE', `/api/channels/${tg.id}`), 404)).error, 'not_found');
  });

  test('identities, filtered by platform and source', async () => {
    const { app, store } = await build();
    await store.identities.set({ platform: 'telegram', userId: '42', source: 'discourse', username: 'sara', createdBy: 'cli' });
    await store.identities.set({ platform: 'mattermost', userId: 'u7', source: 'gitlab', username: 'bob', createdBy: null });
    const all = await ok<{ platform: string; userId: string; source: string; username: string; createdBy: string | null; createdAt: string }[]>(call(app, 'GET', '/api/identities'));
    assert.equal(all.length, 2);
    const tg = await ok<typeof all>(call(app, 'GET', '/api/identities?platform=telegram'));
    assert.deepEqual(tg.map(({ createdAt, ...rest }) => ({ ...rest, createdAt: Number.isNaN(Date.parse(createdAt)) ? 'not a time' : 'time' })), [
      { user: 'telegram:42', platform: 'telegram', userId: '42', source: 'discourse', username: 'sara', createdBy: 'cli', createdAt: 'time' },
    ]);
    assert.deepEqual((await ok<typeof all>(call(app, 'GET', '/api/identities?source=gitlab'))).map((i) => i.username), ['bob']);
    assert.equal((await ok(call(app, 'GET', '/api/identities?platform=myspace'), 400)).error, 'validation');
  });

  test('overview: every check (a failing and a throwing one too), queue depths, deliveries by status', async () => {
    const { app, store, queues } = await build();
    const c = await channel(store, 'telegram', '-1001', 'Releases', 'active');
    await delivery(store, c.id, 'post-1', 'delivered');
    await delivery(store, c.id, 'post-2', 'delivered');
    await delivery(store, c.id, 'post-3', 'failed', { lastError: 'HTTP 500 from the platform' });
    await delivery(store, c.id, 'post-4', 'queued');
    await queues.ingest.add('event', { source: 'discourse' } as never, { jobId: 'ingest-1' });
    await queues.deliverQueue('mattermost').add(DELIVER_JOB, { deliveryId: 'later' } as never, { delay: 3_600_000, jobId: 'later' });

    const overview = await ok<{ checks: Record<string, { ok: boolean; detail?: string }>; queues: Record<string, Record<string, number>>; deliveries: Record<string, number> }>(
      call(app, 'GET', '/api/overview'),
    );
    assert.deepEqual(overview.checks, {
      database: { ok: true },
      telegram: { ok: false, detail: 'getMe answered 401' },
      mattermost: { ok: false, detail: 'connect ECONNREFUSED' },
    });
    assert.deepEqual(Object.keys(overview.queues).sort(), ['deliver-mattermost', 'deliver-telegram', 'ingest', 'transcripts']);
    for (const [name, depth] of Object.entries(overview.queues)) {
      assert.deepEqual(Object.keys(depth).sort(), ['active', 'delayed', 'failed', 'waiting'], name);
      for (const n of Object.values(depth)) assert.ok(Number.isInteger(n) && n >= 0, `${name}: ${JSON.stringify(depth)}`);
    }
    assert.deepEqual(overview.queues.ingest, { waiting: 1, active: 0, delayed: 0, failed: 0 });
    assert.deepEqual(overview.queues[deliverQueueName('mattermost')], { waiting: 0, active: 0, delayed: 1, failed: 0 });
    assert.deepEqual(overview.queues[deliverQueueName('telegram')], { waiting: 0, active: 0, delayed: 0, failed: 0 });
    assert.deepEqual(overview.deliveries, { queued: 1, delivered: 2, failed: 1, cancelled: 0, withdrawn: 0 });
  });

  test('the delivery log: filters by status, text and channel, pages with a total; deliveries per hour', async () => {
    const { app, store } = await build();
    const tg = await channel(store, 'telegram', '-1001', 'Releases', 'active');
    const mm = await channel(store, 'mattermost', 'town-square', 'Town Square', 'active');
    const now = Date.now();
    const ago = (minutes: number) => new Date(now - minutes * 60_000);
    // Newest first: post-16 … post-11 in Telegram; post-10 two days ago, outside the per-hour window.
    const old = await delivery(store, tg.id, 'post-10', 'delivered', { createdAt: ago(48 * 60) });
    const t1 = await delivery(store, tg.id, 'post-11', 'delivered', { createdAt: ago(300) });
    const t2 = await delivery(store, tg.id, 'post-12', 'failed', { lastError: 'HTTP 500 from the platform', createdAt: ago(240) });
    const t3 = await delivery(store, tg.id, 'post-13', 'failed', { lastError: 'socket timeout', createdAt: ago(180) });
    const t4 = await delivery(store, tg.id, 'post-14', 'queued', { createdAt: ago(120) });
    const t5 = await delivery(store, tg.id, 'post-15', 'delivered', { createdAt: ago(60) });
    const m1 = await delivery(store, mm.id, 'post-21', 'failed', { lastError: 'HTTP 502 Bad Gateway', createdAt: ago(90) });
    const m2 = await delivery(store, mm.id, 'post-22', 'delivered', { createdAt: ago(30) });

    type Page = { total: number; limit: number; offset: number; deliveries: { jobId: string; status: string; lastError: string | null; channelId: number; createdAt: string }[] };
    const ids = (page: Page) => page.deliveries.map((d) => d.jobId);

    const everything = await ok<Page>(call(app, 'GET', '/api/deliveries'));
    assert.deepEqual({ total: everything.total, limit: everything.limit, offset: everything.offset }, { total: 8, limit: 50, offset: 0 }, 'the defaults');
    assert.deepEqual(ids(everything), [m2, t5, m1, t4, t3, t2, t1, old], 'newest first');

    const failed = await ok<Page>(call(app, 'GET', '/api/deliveries?status=failed'));
    assert.equal(failed.total, 3);
    assert.deepEqual(ids(failed), [m1, t3, t2]);
    assert.equal(failed.deliveries.find((d) => d.jobId === t2)?.lastError, 'HTTP 500 from the platform');

    const text = await ok<Page>(call(app, 'GET', `/api/deliveries?text=${encodeURIComponent('http 50')}`));
    assert.deepEqual(ids(text), [m1, t2], 'a case-insensitive part of the last error');
    const textAndChannel = await ok<Page>(call(app, 'GET', `/api/deliveries?text=${encodeURIComponent('http 50')}&channelId=${mm.id}`));
    assert.deepEqual(ids(textAndChannel), [m1]);

    const pages: string[][] = [];
    for (let offset = 0; offset < 6; offset += 4) {
      const page = await ok<Page>(call(app, 'GET', `/api/deliveries?channelId=${tg.id}&limit=4&offset=${offset}`));
      assert.deepEqual({ total: page.total, limit: page.limit, offset: page.offset }, { total: 6, limit: 4, offset }, `offset ${offset}`);
      assert.ok(page.deliveries.every((d) => d.channelId === tg.id));
      pages.push(ids(page));
    }
    assert.deepEqual(pages, [[t5, t4, t3, t2], [t1, old]]);
    const pastTheEnd = await ok<Page>(call(app, 'GET', `/api/deliveries?channelId=${tg.id}&limit=4&offset=8`));
    assert.deepEqual([pastTheEnd.total, pastTheEnd.deliveries], [6, []]);
    assert.equal((await ok<Page>(call(app, 'GET', '/api/deliveries?platform=mattermost'))).total, 2);

    // Per UTC hour and platform, within the last day: the old delivery and the queued one do not count.
    const hourOf = (d: Date) => `${d.toISOString().slice(0, 13)}:00:00.000Z`;
    const expected = new Map<string, { hour: string; platform: string; delivered: number; failed: number }>();
    for (const [platform, minutes, outcome] of [
      ['telegram', 300, 'delivered'],
      ['telegram', 240, 'failed'],
      ['telegram', 180, 'failed'],
      ['telegram', 60, 'delivered'],
      ['mattermost', 90, 'failed'],
      ['mattermost', 30, 'delivered'],
    ] as const) {
      const hour = hourOf(ago(minutes));
      const row = expected.get(`${hour} ${platform}`) ?? { hour, platform, delivered: 0, failed: 0 };
      row[outcome] += 1;
      expected.set(`${hour} ${platform}`, row);
    }
    const perHour = await ok<{ hour: string; platform: string; delivered: number; failed: number }[]>(call(app, 'GET', '/api/deliveries/per-hour'));
    for (const row of perHour) assert.equal(new Date(row.hour).toISOString(), row.hour, 'an ISO time');
    const byKey = (a: { hour: string; platform: string }, b: { hour: string; platform: string }) => `${a.hour} ${a.platform}`.localeCompare(`${b.hour} ${b.platform}`);
    assert.deepEqual([...perHour].sort(byKey), [...expected.values()].sort(byKey));
  });

  test('retry: a failed delivery whose BullMQ job failed is queued again; others are refused, each with its reason', async () => {
    const { app, store, queues, prefix } = await build();
    const tg = await channel(store, 'telegram', '-1001', 'Releases', 'active');
    const jobId = await delivery(store, tg.id, 'post-7', 'failed', { lastError: 'HTTP 500 from the platform' });
    const queue = queues.deliverQueue('telegram');
    await queue.add(
      DELIVER_JOB,
      { deliveryId: jobId, channelId: tg.id, notification: notification(), thread: null },
      { ...deliverJobOptions({ delayMs: 0, attempts: 1 }), jobId },
    );
    // A worker that fails the job for real, as the platform's delivery worker would have.
    const worker = new Worker(
      deliverQueueName('telegram'),
      async () => {
        throw new Error('HTTP 500 from the platform');
      },
      { connection: adminApiRedis, prefix },
    );
    try {
      await until('the job failed', async () => (await queue.getJobState(jobId)) === 'failed');
    } finally {
      await worker.close();
    }

    assert.deepEqual(await ok(call(app, 'POST', `/api/deliveries/${jobId}/retry`), 202), { jobId, status: 'queued' });
    const state = await queue.getJobState(jobId);
    assert.ok(['waiting', 'delayed', 'prioritized'].includes(state), `the job is queued again: ${state}`);
    const retried = await store.deliveries.getByJobId(jobId);
    assert.deepEqual([retried?.status, retried?.lastError], ['queued', null]);
    assert.equal((await ok(call(app, 'POST', `/api/deliveries/${jobId}/retry`), 409)).error, 'not_failed', 'queued now: not again');

    const delivered = await delivery(store, tg.id, 'post-8', 'delivered');
    assert.equal((await ok(call(app, 'POST', `/api/deliveries/${delivered}/retry`), 409)).error, 'not_failed');
    assert.equal((await ok(call(app, 'POST', '/api/deliveries/post-404-ch-1/retry'), 404)).error, 'not_found');
    const gone = await delivery(store, tg.id, 'post-9', 'failed', { lastError: 'HTTP 500 from the platform' });
    assert.equal((await ok(call(app, 'POST', `/api/deliveries/${gone}/retry`), 410)).error, 'job_gone');
    assert.equal((await store.deliveries.getByJobId(gone))?.status, 'failed', 'a refused retry changes nothing');
  });

  test('a logged-in session reads with its cookie, and changes only with its CSRF token', async () => {
    const { app, store } = await build();
    const c = await channel(store, 'telegram', '-1001', 'Releases', 'active');
    const login = await app.inject({ method: 'POST', url: '/admin/login', payload: { password: PASSWORD } });
    assert.equal(login.statusCode, 200, login.body);
    const { csrfToken } = json<{ csrfToken: string }>(login);
    const cookie = String(login.headers['set-cookie']).split(';', 1)[0]!;
    assert.match(cookie, /^parley_admin=/u);

    assert.deepEqual(await ok(app.inject({ method: 'GET', url: '/api/session', headers: { cookie } })), { via: 'session', csrfToken });
    assert.deepEqual(await ok(call(app, 'GET', '/api/session')), { via: 'token' });
    assert.equal((await ok<unknown[]>(app.inject({ method: 'GET', url: '/api/channels', headers: { cookie } }))).length, 1);

    const noCsrf = await app.inject({ method: 'DELETE', url: `/api/channels/${c.id}`, headers: { cookie } });
    assert.equal(noCsrf.statusCode, 403, noCsrf.body);
    assert.equal(json(noCsrf).error, 'csrf');
    assert.ok(await store.channels.get(c.id), 'not removed without the CSRF token');
    const withCsrf = await app.inject({ method: 'DELETE', url: `/api/channels/${c.id}`, headers: { cookie, 'x-csrf-token': csrfToken } });
    assert.deepEqual(await ok(withCsrf), { removed: true, rulesRemoved: 0 });
    assert.equal(await store.channels.get(c.id), undefined);
  });
});

describe('transcripts', () => {
  test('listed a page at a time with their links (the order is the store suite\'s to check); the rendered text and the preview secret never leave', async () => {
    const { app, store } = await build();
    const { channel } = await store.channels.ensure({ platform: 'telegram', externalId: '-100777', name: 'Ops', status: 'active', addedBy: 'cli' });
    await store.transcripts.create({ id: 'tr-old', channelId: channel.id, requestedBy: 'telegram:11', forumUsername: 'carol' });
    await store.transcripts.update('tr-old', { status: 'posted', title: 'Deploy stuck', topicUrl: 'https://forum.example.org/t/deploy-stuck/91' });
    await store.transcripts.create({ id: 'tr-new', channelId: channel.id, requestedBy: 'telegram:12', forumUsername: 'dave' });
    await store.transcripts.update('tr-new', { status: 'previewed', title: 'Draft', secret: 'preview-secret-value', markdown: 'the rendered **text**', expiresAt: new Date(Date.now() + 3_600_000) });
    const page = await ok<{ total: number; transcripts: { id: string; status: string; topicUrl: string | null; title: string | null }[] }>(call(app, 'GET', '/api/transcripts?limit=1'));
    assert.equal(page.total, 2);
    assert.equal(page.transcripts.length, 1, 'one page of one');
    const all = await call(app, 'GET', '/api/transcripts');
    const body = json<{ transcripts: { id: string; status: string; topicUrl: string | null }[] }>(all);
    assert.deepEqual(new Set(body.transcripts.map((t) => t.id)), new Set(['tr-old', 'tr-new']));
    assert.equal(body.transcripts.find((t) => t.id === 'tr-old')?.topicUrl, 'https://forum.example.org/t/deploy-stuck/91', 'the link to the topic');
    assert.ok(!all.body.includes('preview-secret-value') && !all.body.includes('rendered'), 'no preview secret, no rendered text');
  });
});
