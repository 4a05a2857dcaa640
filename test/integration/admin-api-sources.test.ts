// What the sources offer the admin page (cli/admin/routes-sources.ts): the forum's latest topics, categories and
// tags, GitLab's projects and labels, each asked through Parley's own clients of a stand-in that plays the source
// (test/helpers/fake-forum.ts, fake-gitlab.ts); a source not configured is 409 naming its variables, one that fails
// 502. The fake forum's /latest.json and /tags.json are held to the Discourse OpenAPI spec both ways: every request
// Parley makes passes Prism's check (--errors), and every answer the fake gives fits the spec's response schema.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, before, describe, test } from 'node:test';
import { Ajv } from 'ajv';
import type { FastifyInstance, LightMyRequestResponse } from 'fastify';
import { loadConfig } from '../../lib/config.js';
import { DiscourseClient } from '../../lib/discourse/client.js';
import { GitLabClient } from '../../lib/gitlab/client.js';
import { buildAdminApi } from '../helpers/admin-api.js';
import { startFakeForum, type FakeForum } from '../helpers/fake-forum.js';
import { startFakeGitLab, type FakeGitLab } from '../helpers/fake-gitlab.js';
import { startPrism, type PrismServer } from '../helpers/prism.js';

const TOKEN = 'tok-admin-api-sources-51d0';
const SPEC = new URL('../../../shared/specs/discourse-openapi.json', import.meta.url);
const FORUM_ENV = { PARLEY_DISCOURSE_WEBHOOK_SECRET: 'webhook-secret-0123456789' };
const GITLAB_ENV = { PARLEY_GITLAB_WEBHOOK_SECRET: 'gitlab-secret-0123456789' };

type Refusal = { error: string; message: string };

async function get<T>(app: FastifyInstance, url: string, status = 200): Promise<T> {
  const res: LightMyRequestResponse = await app.inject({ method: 'GET', url, headers: { authorization: `Bearer ${TOKEN}` } });
  assert.equal(res.statusCode, status, res.body);
  return res.json<T>();
}

describe('the forum: latest topics, categories and tags', () => {
  let prism: PrismServer;
  let forum: FakeForum;
  let client: DiscourseClient;
  before(async () => {
    prism = await startPrism(SPEC, { errors: true });
    forum = await startFakeForum({
      validatorUrl: prism.url,
      categories: [
        { id: 1, slug: 'meta', name: 'Meta', color: 'F1592A' },
        { id: 2, slug: 'support', name: 'Support' },
        { id: 3, slug: 'billing', name: 'Billing', parent_category_id: 2 },
        { id: 4, slug: 'staff', name: 'Staff', read_restricted: true },
      ],
    });
    forum.topics.set(11, { id: 11, title: 'Welcome', tags: ['intro'], category_id: 1, created_at: '2026-03-01T10:00:00.000Z' });
    forum.topics.set(12, { id: 12, title: 'Invoices are late', tags: ['billing', 'urgent'], category_id: 3, created_at: '2026-03-02T10:00:00.000Z' });
    forum.topics.set(13, { id: 13, title: 'Salaries 2026', tags: ['urgent'], category_id: 4, created_at: '2026-03-03T10:00:00.000Z' });
    forum.topics.set(14, { id: 14, title: 'Uncategorised note', tags: [], category_id: null, created_at: '2026-03-04T10:00:00.000Z' });
    client = new DiscourseClient({ baseUrl: forum.url, apiKey: forum.apiKey, apiUsername: 'system', budget: null });
  });
  after(async () => {
    await forum?.stop();
    await prism?.stop();
  });

  const withForum = () =>
    buildAdminApi({ token: TOKEN, config: loadConfig({ ...FORUM_ENV, PARLEY_DISCOURSE_URL: forum.url, PARLEY_DISCOURSE_API_KEY: forum.apiKey }, []), forum: client });

  test('latest topics, newest first, without those of a restricted category; tags by use', async () => {
    const { app } = await withForum();
    const topics = await get<{ id: number; title: string; url: string; categoryId: number | null; createdAt: string | null }[]>(app, '/api/sources/discourse/topics');
    assert.deepEqual(
      topics.map((t) => [t.id, t.title, t.categoryId, t.createdAt]),
      [
        [14, 'Uncategorised note', null, '2026-03-04T10:00:00.000Z'],
        [12, 'Invoices are late', 3, '2026-03-02T10:00:00.000Z'],
        [11, 'Welcome', 1, '2026-03-01T10:00:00.000Z'],
      ],
      'the staff topic is never offered',
    );
    assert.equal(topics[2]!.url, `${forum.url}/t/topic/11`);

    assert.deepEqual(await get(app, '/api/sources/discourse/tags'), [
      { name: 'urgent', count: 2 },
      { name: 'billing', count: 1 },
      { name: 'intro', count: 1 },
    ]);
    assert.deepEqual(forum.violations, [], 'every request fits the Discourse spec');
  });

  test("categories as Parley knows them, fetched from the forum the first time, with parent/child paths", async () => {
    const { app } = await withForum();
    const categories = await get<{ id: number; path: string; name: string; color: string | null; readRestricted: boolean }[]>(app, '/api/sources/discourse/categories');
    assert.deepEqual(categories, [
      { id: 1, path: 'meta', name: 'Meta', color: 'F1592A', readRestricted: false },
      { id: 4, path: 'staff', name: 'Staff', color: '0088CC', readRestricted: true },
      { id: 2, path: 'support', name: 'Support', color: '0088CC', readRestricted: false },
      { id: 3, path: 'support/billing', name: 'Billing', color: '0088CC', readRestricted: false },
    ]);
  });

  test('a forum that fails is 502 source_unavailable; one with tagging off has no tags', async () => {
    const { app } = await withForum();
    forum.failNext(1, 500);
    const down = await get<Refusal>(app, '/api/sources/discourse/topics', 502);
    assert.equal(down.error, 'source_unavailable');
    assert.match(down.message, /forum answered 500 to GET \/latest\.json/u);
    forum.failNext(1, 404);
    assert.deepEqual(await get(app, '/api/sources/discourse/tags'), []);
  });

  test("the fake forum's /latest.json and /tags.json answer in the shape of the Discourse spec", async () => {
    const spec = JSON.parse(readFileSync(SPEC, 'utf8')) as { paths: Record<string, { get: { responses: { 200: { content: { 'application/json': { schema: object } } } } } }> };
    const ajv = new Ajv({ strict: false, allErrors: true });
    for (const path of ['/latest.json', '/tags.json']) {
      const res = await fetch(`${forum.url}${path}`, { headers: { 'Api-Key': forum.apiKey, 'Api-Username': 'system' } });
      assert.equal(res.status, 200, path);
      const validate = ajv.compile(spec.paths[path]!.get.responses[200].content['application/json'].schema);
      const body: unknown = await res.json();
      assert.ok(validate(body), `${path}: ${ajv.errorsText(validate.errors)}`);
    }
  });

  test("Parley's client reads the spec's own answers (Prism's) for latest topics and tags", async () => {
    const direct = new DiscourseClient({ baseUrl: prism.url, apiKey: 'key-0123456789abcdef', apiUsername: 'system', budget: null });
    const topics = await direct.latestTopics();
    assert.ok(topics.length > 0 && topics.every((t) => Number.isInteger(t.id) && typeof t.title === 'string' && t.url.startsWith(`${prism.url}/t/`)), JSON.stringify(topics));
    const tags = await direct.tags();
    assert.ok(tags.every((t) => typeof t.name === 'string' && Number.isInteger(t.count)), JSON.stringify(tags));
  });

  test('not configured: 409 naming the variables; categories need the forum, not its API key', async () => {
    const none = await buildAdminApi({ token: TOKEN });
    for (const path of ['topics', 'categories', 'tags']) {
      const refusal = await get<Refusal>(none.app, `/api/sources/discourse/${path}`, 409);
      assert.equal(refusal.error, 'not_configured', path);
      assert.match(refusal.message, /PARLEY_DISCOURSE_URL/u, path);
    }
    const keyless = await buildAdminApi({ token: TOKEN, config: loadConfig({ ...FORUM_ENV, PARLEY_DISCOURSE_URL: 'https://forum.example.org' }, []) });
    await keyless.store.categories.upsert({ id: 7, slug: 'news', name: 'News', parentId: null, color: null, restricted: false });
    assert.deepEqual((await get<{ path: string }[]>(keyless.app, '/api/sources/discourse/categories')).map((c) => c.path), ['news'], 'learnt from webhooks');
    for (const path of ['topics', 'tags']) assert.match((await get<Refusal>(keyless.app, `/api/sources/discourse/${path}`, 409)).message, /PARLEY_DISCOURSE_API_KEY/u, path);
  });
});

describe('GitLab: projects and labels', () => {
  let gitlab: FakeGitLab;
  before(async () => {
    gitlab = await startFakeGitLab();
    gitlab.addProject('acme/web', { visibility: 'public' });
    gitlab.addProject('acme/api', { visibility: 'public' });
    gitlab.addProject('other/webshop', { visibility: 'public' });
    gitlab.addLabel('acme/web', 'bug', '#d9534f');
    gitlab.addLabel('acme/web', 'feature', '#5cb85c');
  });
  after(async () => gitlab?.close());

  const withGitLab = () =>
    buildAdminApi({
      token: TOKEN,
      config: loadConfig({ ...GITLAB_ENV, PARLEY_GITLAB_URL: gitlab.url, PARLEY_GITLAB_TOKEN: gitlab.token }, []),
      gitlab: new GitLabClient({ baseUrl: gitlab.url, token: gitlab.token }),
    });

  test("projects matching a search, labels of a project; a project Parley cannot see is 404", async () => {
    const { app } = await withGitLab();
    const projects = await get<{ path: string }[]>(app, '/api/sources/gitlab/projects?search=web');
    assert.deepEqual(projects.map((p) => p.path).sort(), ['acme/web', 'other/webshop']);
    assert.deepEqual(await get(app, '/api/sources/gitlab/projects?search=w'), [], 'GitLab searches from two characters');
    assert.deepEqual(await get(app, `/api/sources/gitlab/labels?project=${encodeURIComponent('acme/web')}`), [
      { name: 'bug', color: '#d9534f' },
      { name: 'feature', color: '#5cb85c' },
    ]);
    assert.equal((await get<Refusal>(app, '/api/sources/gitlab/labels?project=acme/secret', 404)).error, 'not_found');
    assert.deepEqual((await get<{ issues: { field: string }[] }>(app, '/api/sources/gitlab/labels', 400)).issues.map((i) => i.field), ['querystring.project']);
    assert.deepEqual(gitlab.violations, []);
  });

  test('GitLab failing is 502; GitLab not configured is 409 naming its variables', async () => {
    const { app } = await withGitLab();
    gitlab.fail({ path: '/projects', status: 503, times: 1 });
    assert.equal((await get<Refusal>(app, '/api/sources/gitlab/projects?search=acme', 502)).error, 'source_unavailable');
    const none = await buildAdminApi({ token: TOKEN });
    for (const path of ['projects?search=acme', 'labels?project=acme/web']) {
      const refusal = await get<Refusal>(none.app, `/api/sources/gitlab/${path}`, 409);
      assert.equal(refusal.error, 'not_configured');
      assert.match(refusal.message, /PARLEY_GITLAB_URL, PARLEY_GITLAB_TOKEN and PARLEY_GITLAB_WEBHOOK_SECRET/u);
    }
  });
});
