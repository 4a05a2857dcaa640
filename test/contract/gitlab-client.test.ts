// The GitLab client through the real @gitbeaker/rest against the stateful fake of test/helpers/fake-gitlab.ts,
// which checks every request against the endpoints it documents: `violations` must stay empty.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { GitLabAccessLevel, GitLabClient, issueMarker } from '../../lib/gitlab/client.js';
import { ForumRateLimitedError, ForumRequestError, ForumUnavailableError } from '../../lib/errors.js';
import { startFakeGitLab, type FakeGitLab } from '../helpers/fake-gitlab.js';

const NON_ADMIN_TOKEN = 'glpat-plain-user-token';

describe('GitLabClient against the fake GitLab', () => {
  let fake: FakeGitLab;
  let client: GitLabClient;

  before(async () => {
    fake = await startFakeGitLab();
    fake.addUser({ username: 'ada', name: 'Ada Lovelace' });
    fake.addUser({ username: 'bob' });
    fake.addUser({ username: 'carol' });
    fake.addUser({ username: 'plain', token: NON_ADMIN_TOKEN });
    fake.addGroup('infra/platform', { visibility: 'private' });
    fake.addProject('infra/platform/api', { visibility: 'private' });
    fake.addProject('docs/site', { visibility: 'public' });
    fake.addMember('infra', 'bob', GitLabAccessLevel.Reporter);
    fake.addMember('infra/platform', 'bob', GitLabAccessLevel.Developer);
    fake.addMember('infra/platform/api', 'ada', GitLabAccessLevel.Maintainer);
    fake.addMember('infra/platform/api', 'plain', GitLabAccessLevel.Developer);
    for (let i = 0; i < 25; i++) fake.addLabel('infra/platform/api', `label-${i}`);
    client = new GitLabClient({ baseUrl: fake.url, token: fake.token });
  });
  after(async () => {
    await fake?.close();
  });

  test('a project by its full path: visibility, URL and its chain of groups; cached', async () => {
    const project = await client.project('infra/platform/api');
    assert.ok(project);
    assert.equal(project.pathWithNamespace, 'infra/platform/api');
    assert.equal(project.visibility, 'private');
    assert.equal(project.webUrl, `${fake.url}/infra/platform/api`);
    assert.deepEqual(project.namespace, { id: project.namespace.id, kind: 'group', fullPath: 'infra/platform' });
    assert.deepEqual(project.groupChain, ['infra', 'infra/platform']);
    const before = fake.calls('GET /projects/:id').length;
    assert.equal((await client.project('Infra/Platform/API'))?.id, project.id);
    assert.equal((await client.project(project.id))?.id, project.id);
    assert.equal(fake.calls('GET /projects/:id').length, before, 'served from the cache');
    client.invalidate('infra/platform/api');
    await client.project('infra/platform/api');
    assert.equal(fake.calls('GET /projects/:id').length, before + 1, 'fetched again after invalidate');
    // The path went as one URL-encoded segment.
    assert.equal(fake.calls('GET /projects/:id').at(-1)?.path, '/projects/infra/platform/api');
  });

  test('an unknown project or group is null, not an error, and not cached', async () => {
    assert.equal(await client.project('infra/nope'), null);
    assert.equal(await client.group('nope'), null);
    fake.addProject('infra/late', { visibility: 'public' });
    assert.equal((await client.project('infra/late'))?.pathWithNamespace, 'infra/late');
  });

  test('a group by path, and whether a project is in it or its subgroups', async () => {
    const group = await client.group('infra/platform');
    assert.ok(group);
    assert.equal(group.fullPath, 'infra/platform');
    assert.equal(group.visibility, 'private');
    assert.equal(typeof group.parentId, 'number');
    assert.equal(await client.projectInGroup('infra/platform/api', 'infra'), true);
    assert.equal(await client.projectInGroup('infra/platform/api', 'infra/platform'), true);
    assert.equal(await client.projectInGroup('docs/site', 'infra'), false);
  });

  test('a user by username, and the current user', async () => {
    const ada = await client.user('ada');
    assert.equal(ada?.username, 'ada');
    assert.equal(ada?.name, 'Ada Lovelace');
    assert.equal(await client.user('nobody'), null);
    assert.equal((await client.me()).username, fake.botUsername);
  });

  test('access levels: direct, inherited from groups (the highest wins), none', async () => {
    assert.equal(await client.accessLevel('infra/platform/api', 'ada'), GitLabAccessLevel.Maintainer);
    assert.equal(await client.accessLevel('infra/platform/api', 'bob'), GitLabAccessLevel.Developer, 'Reporter in infra, Developer in infra/platform');
    assert.equal(await client.accessLevel('infra/platform/api', 'carol'), GitLabAccessLevel.None);
    assert.equal(await client.accessLevel('infra/platform/api', 'nobody'), GitLabAccessLevel.None);
    assert.ok(fake.calls('GET /projects/:id/members/all/:user_id').length >= 2);
    await assert.rejects(client.accessLevel('infra/gone', 'ada'), (err) => err instanceof ForumRequestError && err.status === 404);
  });

  test('labels, across pages', async () => {
    const labels = await client.labels('infra/platform/api');
    assert.equal(labels.length, 25);
    assert.ok(labels.every((l) => l.name.startsWith('label-') && l.color.startsWith('#')));
  });

  test('an issue created as another user through Sudo, then found again by its marker', async () => {
    const marker = issueMarker('transcript-job-42');
    const created = await client.createIssue(
      'infra/platform/api',
      { title: 'Outage review', description: `**ada**: the database is down\n\n<!-- ${marker} -->`, labels: ['incident', 'chat'] },
      { sudo: 'ada' },
    );
    assert.equal(created.iid, 1);
    assert.equal(created.authorUsername, 'ada');
    assert.deepEqual(created.labels, ['incident', 'chat']);
    assert.equal(created.webUrl, `${fake.url}/infra/platform/api/-/issues/1`);
    const [stored] = fake.issues('infra/platform/api');
    assert.equal(stored?.authorUsername, 'ada');
    assert.equal(fake.calls('POST /projects/:id/issues').at(-1)?.sudo, 'ada');

    const other = await client.createIssue('infra/platform/api', { title: 'Another', description: `mentions ${marker.slice(0, 12)} only` });
    assert.equal(other.iid, 2);
    assert.equal(other.authorUsername, fake.botUsername, 'without sudo: the token’s user');

    const found = await client.findIssueByMarker('infra/platform/api', marker);
    assert.equal(found?.iid, 1);
    assert.equal(await client.findIssueByMarker('infra/platform/api', issueMarker('another job')), null);
    await assert.rejects(client.findIssueByMarker('infra/platform/api', 'parley-1'), RangeError);
  });

  test('Sudo with a token that is not an admin’s is refused with GitLab’s reason', async () => {
    const plain = new GitLabClient({ baseUrl: fake.url, token: NON_ADMIN_TOKEN });
    const err = await plain.createIssue('infra/platform/api', { title: 't', description: 'd' }, { sudo: 'ada' }).catch((e: unknown) => e);
    assert.ok(err instanceof ForumRequestError, String(err));
    assert.equal(err.status, 403);
    assert.match(err.message, /Must be admin to use sudo/);
    assert.equal(fake.issues('infra/platform/api').filter((i) => i.title === 't').length, 0);
  });

  test('429 → ForumRateLimitedError with Retry-After’s wait, after exactly one request', async () => {
    const before = fake.requests.length;
    fake.rateLimit({ path: '/projects/:id/labels', resetInS: 7 });
    const err = await client.labels('infra/platform/api').catch((e: unknown) => e);
    assert.ok(err instanceof ForumRateLimitedError, String(err));
    assert.equal(err.retryAfterMs, 7000);
    assert.equal(fake.requests.length - before, 1, 'gitbeaker did not retry');
  });

  test('429 without Retry-After → the wait until RateLimit-Reset', async () => {
    const before = fake.requests.length;
    fake.rateLimit({ path: '/projects/:id/labels', resetInS: 30, retryAfter: false });
    const err = await client.labels('infra/platform/api').catch((e: unknown) => e);
    assert.ok(err instanceof ForumRateLimitedError, String(err));
    assert.ok(err.retryAfterMs > 28_000 && err.retryAfterMs <= 31_000, String(err.retryAfterMs));
    assert.equal(fake.requests.length - before, 1);
  });

  test('500 and 502 → ForumUnavailableError after one request each (gitbeaker alone retries 502)', async () => {
    for (const status of [500, 502]) {
      const before = fake.requests.length;
      fake.fail({ method: 'GET', path: '/users', status });
      const err = await client.user('ada').catch((e: unknown) => e);
      assert.ok(err instanceof ForumUnavailableError, `${status}: ${String(err)}`);
      assert.equal(fake.requests.length - before, 1, `${status}: one request`);
    }
  });

  test('a network failure → ForumUnavailableError', async () => {
    const dead = new GitLabClient({ baseUrl: 'http://127.0.0.1:9', token: fake.token });
    await assert.rejects(dead.user('ada'), (err) => err instanceof ForumUnavailableError && !err.message.includes(fake.token));
  });

  test('404 on a write → ForumRequestError with GitLab’s message', async () => {
    const err = await client.createIssue('infra/missing', { title: 't', description: 'd' }).catch((e: unknown) => e);
    assert.ok(err instanceof ForumRequestError, String(err));
    assert.equal(err.status, 404);
    assert.match(err.message, /404 Project Not Found/);
  });

  test('a wrong token → ForumRequestError 401, the token nowhere in the message', async () => {
    const wrong = 'glpat-wrong-token-0123456789';
    const bad = new GitLabClient({ baseUrl: fake.url, token: wrong });
    const err = await bad.me().catch((e: unknown) => e);
    assert.ok(err instanceof ForumRequestError, String(err));
    assert.equal(err.status, 401);
    assert.match(err.message, /401 Unauthorized/);
    assert.ok(!err.message.includes(wrong));
    assert.ok(!String(err.stack).includes(wrong));
  });

  test('the fake flags requests that break the documented endpoints (so an empty list means something)', async () => {
    const probe = await startFakeGitLab();
    try {
      const h = { 'private-token': probe.token, 'content-type': 'application/json' };
      await fetch(`${probe.url}/api/v4/projects/a/b`, { headers: h });
      await fetch(`${probe.url}/api/v4/users?per_page=abc`, { headers: h });
      await fetch(`${probe.url}/api/v4/projects/1/issues`, { method: 'POST', headers: h, body: JSON.stringify({ description: 'no title', bogus: 1 }) });
      const kinds = probe.violations.map((v) => v.kind).sort();
      assert.deepEqual(kinds, ['bad_param', 'missing_param', 'unknown_param', 'unknown_path']);
      const unauth = await fetch(`${probe.url}/api/v4/user`, { headers: { 'private-token': 'nope' } });
      assert.equal(unauth.status, 401);
      assert.deepEqual(await unauth.json(), { message: '401 Unauthorized' });
    } finally {
      await probe.close();
    }
  });

  test('no request broke the documented endpoints', () => {
    assert.deepEqual(fake.violations, []);
  });
});
