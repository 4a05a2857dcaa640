// The CLI's two tools over the admin API (cli/admin/routes-tools.ts), on a Fastify app of its own as
// admin-api.test.ts builds one: POST /api/route with the real webhook bodies of ../shared/fixtures (the channels
// reached and the rule that decided each; bodies it cannot take refused with the reason), and
// POST /api/channels/:id/transcript against a fake forum (a topic made from the channel's message log, a preview
// link, and the refusals: no such forum user, options that do not parse, nothing in the range, the forum saying no).
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import Fastify, { type FastifyInstance, type LightMyRequestResponse } from 'fastify';
import { PLATFORMS } from '../../bots/registry.js';
import { loadConfig } from '../../lib/config.js';
import { DiscourseClient } from '../../lib/discourse/client.js';
import { silentLogger } from '../../lib/log.js';
import type { PlatformAdapter } from '../../lib/seams/platform.js';
import type { PlatformName } from '../../lib/seams/store.js';
import type { Store } from '../../lib/store/index.js';
import { buildAdminApi } from '../helpers/admin-api.js';
import { POST_2025 } from '../helpers/cli.js';
import { startFakeForum } from '../helpers/fake-forum.js';

const TOKEN = 'tok-admin-api-tools-3c9a71e0';
const FIXTURES = fileURLToPath(new URL('../../../shared/fixtures/', import.meta.url));
const fixture = (file: string) => JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
const TOPIC_CREATED = path.join(FIXTURES, 'discourse-webhooks', 'discourse-2025.12', 'topic_created.body.json');
const GITLAB_ISSUE = path.join(FIXTURES, 'gitlab-webhooks', 'issue.open.body.json');

async function call(app: FastifyInstance, url: string, payload: object, headers: Record<string, string> = { authorization: `Bearer ${TOKEN}` }) {
  return app.inject({ method: 'POST', url, headers, payload });
}

async function ok<T = Record<string, unknown>>(res: Promise<LightMyRequestResponse>, status = 200): Promise<T> {
  const r = await res;
  assert.equal(r.statusCode, status, r.body);
  return r.json<T>();
}

async function channel(store: Store, platform: PlatformName, externalId: string, name = externalId) {
  return (await store.channels.ensure({ platform, externalId, name, status: 'active', addedBy: 'cli', settings: {} })).channel;
}

interface Refused {
  error: string;
  message: string;
  issues?: { field: string; message: string }[];
}
interface Report {
  event?: string;
  source?: string;
  outcome: string;
  reason: string | null;
  channels: { channel: string; filter: string; queued: boolean; rule: { number: number; text: string } }[];
  muted: { channel: string; rule: { number: number; text: string } }[];
}

describe('POST /api/route', () => {
  /** Telegram configured, Mattermost not: the report says which deliveries the ingest job would queue. */
  const build = () => buildAdminApi({ token: TOKEN, config: loadConfig({ PARLEY_TELEGRAM_TOKEN: '1:route' }, PLATFORMS) });

  test('a real post_created reaches the channels its rules name, each with the rule that decided it; nothing is queued', async () => {
    const { app, store, queues } = await build();
    // The 2025.12 capture: post 12, first post of topic 10, in category 4 (slug empty in Discourse), tagged release.
    await store.categories.upsert({ id: 4, slug: '4-category', name: '阿里云', parentId: null, color: '0088CC', restricted: false });
    await store.topics.upsert({ topicId: 10, title: '阿里云', tags: ['release'], categoryId: 4 });
    const releases = await channel(store, 'telegram', '-1001234');
    const other = await channel(store, 'telegram', '-2');
    const mm = await channel(store, 'mattermost', 'abc');
    const addRule = (id: number, filter: string, scopes: string[]) => ok(call(app, `/api/channels/${id}/rules`, { filter, scopes }), 201);
    await addRule(releases.id, 'follow', ['all']);
    await addRule(releases.id, 'watch', ['c/4-category']);
    await addRule(other.id, 'watch', ['c/other']);
    await addRule(mm.id, 'watch', ['all']);
    await addRule(mm.id, 'mute', ['t/release']);

    const report = await ok<Report & { post: { id: number; url: string; category: string } }>(call(app, '/api/route', { body: fixture(POST_2025), instance: 'https://forum.example.org/' }));
    assert.equal(report.event, 'post_created');
    assert.equal(report.outcome, 'delivered');
    assert.deepEqual([report.post.id, report.post.category, report.post.url], [12, '4-category', 'https://forum.example.org/t/topic/10/1']);
    // watch (rule 1, the most inclusive filter first) beats follow on the same channel; the mute keeps Mattermost out.
    assert.deepEqual(
      report.channels.map((c) => [c.channel, c.filter, c.rule.number, c.rule.text, c.queued]),
      [['telegram:-1001234', 'watch', 1, 'watch c/4-category', true]],
    );
    assert.deepEqual(report.muted.map((m) => [m.channel, m.rule.text]), [['mattermost:abc', 'mute t/release']]);

    // An explicit event: an edit is never announced on its own.
    const edited = await ok<Report>(call(app, '/api/route', { body: fixture(POST_2025), event: 'post_edited' }));
    assert.equal(edited.outcome, 'not_announced');
    assert.match(edited.reason ?? '', /an edit is never announced on its own/);

    assert.equal(Object.values(await store.deliveries.countByStatus()).reduce((a, b) => a + b, 0), 0, 'nothing recorded');
    assert.equal(await queues.deliverQueue('telegram').count(), 0, 'nothing queued');
  });

  test("a GitLab issue webhook with source gitlab reaches the channel watching its project", async () => {
    const { app, store } = await build();
    const dev = await channel(store, 'telegram', '-7');
    await ok(call(app, `/api/channels/${dev.id}/rules`, { source: 'gitlab', filter: 'watch', scopes: ['p/gitlabhq/gitlab-test'] }), 201);
    const report = await ok<Report & { object: { kind: string; project: string } }>(call(app, '/api/route', { source: 'gitlab', event: 'issue hook', body: fixture(GITLAB_ISSUE) }));
    assert.deepEqual([report.source, report.outcome, report.object.kind, report.object.project], ['gitlab', 'delivered', 'issue', 'gitlabhq/gitlab-test']);
    assert.deepEqual(report.channels.map((c) => [c.channel, c.rule.text]), [['telegram:-7', 'watch p/gitlabhq/gitlab-test']]);
  });

  test('a body or an option it cannot take answers 400, naming the field and what would be right', async () => {
    const { app } = await build();
    const topic = await ok<Refused>(call(app, '/api/route', { body: fixture(TOPIC_CREATED) }), 400);
    assert.equal(topic.error, 'validation');
    assert.deepEqual(topic.issues?.map((i) => i.field), ['body.body']);
    assert.match(topic.message, /^body\.body: The body is a "topic" webhook; the route report follows post events only \(post_created, post_edited, post_destroyed, post_recovered\)/);

    const gitlab = await ok<Refused>(call(app, '/api/route', { body: fixture(GITLAB_ISSUE) }), 400);
    assert.match(gitlab.message, /looks like a GitLab webhook body: add "source": "gitlab"/);

    const event = await ok<Refused>(call(app, '/api/route', { body: fixture(POST_2025), event: 'post_liked' }), 400);
    assert.deepEqual(event.issues?.map((i) => i.field), ['body.event']);
    assert.match(event.message, /event "post_liked" is not a post event: use one of post_created, post_edited/);

    const broken = await ok<Refused>(call(app, '/api/route', { body: { post: { id: 'twelve' } } }), 400);
    assert.match(broken.message, /^body\.body: Not a Discourse post webhook body: /);

    // Not an object at all: the schema's own check, by field.
    const list = await ok<Refused>(call(app, '/api/route', { body: [1, 2] }), 400);
    assert.deepEqual(list.issues?.map((i) => i.field), ['body.body']);
  });
});

describe('POST /api/channels/:id/transcript', () => {
  /** An app with a forum and Telegram (no history API: transcripts read the message log) configured. */
  async function build(forumUrl: string, apiKey: string) {
    const config = loadConfig({ PARLEY_DISCOURSE_URL: forumUrl, PARLEY_DISCOURSE_API_KEY: apiKey, PARLEY_DISCOURSE_ALLOW_UNSIGNED: 'true', PARLEY_TELEGRAM_TOKEN: '1:api' }, PLATFORMS);
    const telegram = { platform: 'telegram' } as Partial<PlatformAdapter> as PlatformAdapter;
    const forum = new DiscourseClient({ baseUrl: forumUrl, apiKey, apiUsername: 'system', budget: null, log: silentLogger });
    const api = await buildAdminApi({ token: TOKEN, config, adapters: new Map([['telegram', telegram]]), forum });
    const ops = await channel(api.store, 'telegram', '-42', 'Ops');
    const at = Date.now() - 3600_000;
    for (const [i, [who, text]] of ([['alice', 'old news'], ['alice', 'disk is full'], ['bob', 'on it']] as const).entries()) {
      await api.store.messageLog.append('telegram', '-42', { id: String(i + 1), author: { id: who, username: who, displayName: who, isBot: false }, sentAt: new Date(at + i * 1000), markdown: text, attachments: [] });
    }
    return { ...api, ops };
  }

  test("makes a forum topic of the channel's message log as the given forum user, and lists it with its link", async (t) => {
    const forum = await startFakeForum({ users: [{ username: 'carol', admin: true }], categories: [{ id: 7, slug: 'staff', name: 'Staff' }] });
    t.after(() => forum.stop());
    const { app, ops } = await build(forum.url, forum.apiKey);

    const made = await ok<{ transcriptId: string; status: string; url: string; message: string }>(
      call(app, `/api/channels/${ops.id}/transcript`, { options: 'last:2 category:staff title:"Disk incident"', as: 'carol' }),
      201,
    );
    assert.equal(made.status, 'posted');
    assert.ok(made.url.startsWith(`${forum.url}/t/`), made.url);
    assert.match(made.message, /Transcript of 2 messages posted: http/);
    const posts = forum.requests.filter((r) => r.method === 'POST');
    assert.equal(posts.length, 1);
    assert.equal(posts[0]!.headers['api-username'], 'carol');
    const body = posts[0]!.body as { title: string; category: number; raw: string };
    assert.deepEqual([body.title, body.category], ['Disk incident', 7]);
    assert.match(body.raw, /disk is full[\s\S]*on it/);
    assert.doesNotMatch(body.raw, /old news/, 'last:2');

    const listed = await app.inject({ method: 'GET', url: '/api/transcripts', headers: { authorization: `Bearer ${TOKEN}` } });
    const [record] = listed.json<{ transcripts: { id: string; status: string; topicUrl: string; forumUsername: string; requestedBy: string }[] }>().transcripts;
    assert.deepEqual(record, { ...record, id: made.transcriptId, status: 'posted', topicUrl: made.url, forumUsername: 'carol', requestedBy: 'telegram:admin' });

    // A preview: a composer link with the text, and nothing posted.
    const preview = await ok<{ status: string; url: string }>(call(app, `/api/channels/${ops.id}/transcript`, { options: 'last:3', as: 'carol', preview: true }));
    assert.equal(preview.status, 'previewed');
    const link = new URL(preview.url);
    assert.equal(`${link.origin}${link.pathname}`, `${forum.url}/new-topic`);
    assert.match(link.searchParams.get('body') ?? '', /old news[\s\S]*disk is full[\s\S]*on it/);
    assert.equal(forum.requests.filter((r) => r.method === 'POST').length, 1, 'nothing more posted');
  });

  test('refuses with the reason: no such forum user, options that do not parse, nothing in the range, no forum', async (t) => {
    const forum = await startFakeForum({ users: [{ username: 'carol', admin: true }] });
    t.after(() => forum.stop());
    const { app, store, ops } = await build(forum.url, forum.apiKey);
    const url = `/api/channels/${ops.id}/transcript`;

    const nobody = await ok<Refused>(call(app, url, { options: 'last:2', as: 'mallory' }), 400);
    assert.deepEqual(nobody.issues?.map((i) => i.field), ['body.as']);
    assert.match(nobody.message, /There is no forum user "mallory" \(as\)/);

    const options = await ok<Refused>(call(app, url, { options: 'last:2 colour:red', as: 'carol' }), 400);
    assert.deepEqual(options.issues?.map((i) => i.field), ['body.options']);
    assert.match(options.message, /\/topic has no option "colour:"/);

    const category = await ok<Refused>(call(app, url, { options: 'category:nowhere', as: 'carol' }), 400);
    assert.match(category.message, /The forum has no category "nowhere"/);

    // A channel no message was logged in: nothing to make a topic of.
    const quiet = await channel(store, 'telegram', '-43', 'Quiet');
    const empty = await ok<Refused>(call(app, `/api/channels/${quiet.id}/transcript`, { options: 'last:5', as: 'carol' }), 409);
    assert.equal(empty.error, 'empty');
    assert.match(empty.message, /^There are no messages to archive in that range/);
    assert.equal(forum.requests.filter((r) => r.method === 'POST').length, 0, 'nothing posted');

    const missing = await ok<Refused>(call(app, '/api/channels/9999/transcript', { as: 'carol' }), 404);
    assert.equal(missing.error, 'not_found');

    // Without the forum's API key there is no one to post as.
    const bare = await buildAdminApi({ token: TOKEN });
    const somewhere = await channel(bare.store, 'telegram', '-44');
    const unset = await ok<Refused>(call(bare.app, `/api/channels/${somewhere.id}/transcript`, { as: 'carol' }), 409);
    assert.deepEqual(unset, { error: 'not_configured', message: 'Transcripts need the forum: set PARLEY_DISCOURSE_URL and PARLEY_DISCOURSE_API_KEY.' });
  });

  test("answers 409 with the forum's reason when the forum user may not post there, and records the failure", async (t) => {
    // A forum that knows dave but will not let him create the topic, as Discourse answers a user without permission.
    const refusing = Fastify();
    refusing.get('/u/:username', async () => ({ user: { id: 9, username: 'dave', admin: false, moderator: false, groups: [] } }));
    refusing.post('/posts.json', async (_req, reply) => reply.code(403).send({ errors: ['You are not permitted to create a topic in Staff.'], error_type: 'invalid_access' }));
    const forumUrl = await refusing.listen({ port: 0, host: '127.0.0.1' });
    t.after(() => refusing.close());
    const { app, ops } = await build(forumUrl, 'any-key');

    const refused = await ok<Refused>(call(app, `/api/channels/${ops.id}/transcript`, { options: 'last:2', as: 'dave' }), 409);
    assert.equal(refused.error, 'forum_refused');
    assert.match(refused.message, /^The forum refused the topic: .*You are not permitted to create a topic in Staff\..*Nothing was posted\.$/);
    const listed = await app.inject({ method: 'GET', url: '/api/transcripts', headers: { authorization: `Bearer ${TOKEN}` } });
    const [record] = listed.json<{ transcripts: { status: string; error: string | null }[] }>().transcripts;
    assert.deepEqual([record?.status, record?.error], ['failed', refused.message]);
  });
});

test('both tools refuse a request without credentials before looking at it', async () => {
  const { app, store } = await buildAdminApi({ token: TOKEN });
  const c = await channel(store, 'telegram', '-5');
  for (const [url, payload] of [['/api/route', { body: fixture(POST_2025) }], [`/api/channels/${c.id}/transcript`, { as: 'carol' }]] as const) {
    for (const headers of [{}, { authorization: 'Bearer not-the-token' }] as Record<string, string>[]) {
      const res = await call(app, url, payload, headers);
      assert.equal(res.statusCode, 401, `${url}: ${res.body}`);
      assert.equal(res.json<Refused>().error, 'unauthorized');
    }
  }
  assert.equal((await store.transcripts.list({ limit: 10, offset: 0 })).total, 0);
});
