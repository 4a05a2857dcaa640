// POST /hooks/gitlab (lib/gitlab/hook.ts) on a bare Fastify, with GitLab's published bodies from
// ../shared/fixtures/gitlab-webhooks/: what is refused (401, 400), what is answered 2xx without being queued, the
// delivery key each request is filed under, and a 503 when queueing fails. The whole path is test/e2e/gitlab.test.ts.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import Fastify from 'fastify';
import { Webhook } from 'standardwebhooks';
import { registerGitLabHook, type GitLabDelivery, type GitLabHookOptions } from '../../lib/gitlab/hook.js';
import { silentLogger } from '../../lib/log.js';

const SECRET = 'gitlab-hook-test-secret';
const SIGNING = `whsec_${randomBytes(24).toString('base64')}`;
const FIXTURES = new URL('../../../shared/fixtures/gitlab-webhooks/', import.meta.url);
const raw = (name: string): string => readFileSync(new URL(name, FIXTURES), 'utf8');
const ISSUE = raw('issue.open.body.json');

async function makeApp(over: Partial<GitLabHookOptions> = {}) {
  const accepted: GitLabDelivery[] = [];
  const app = Fastify();
  // Another route with Fastify's own JSON parser: the hook must not change it.
  app.post('/other', async (req) => ({ got: req.body }));
  registerGitLabHook(app, { secret: SECRET, signingToken: SIGNING, log: silentLogger, accept: async (d) => void accepted.push(d), ...over });
  await app.ready();
  return { app, accepted };
}

function signed(body: string, id = 'f5e5f430-f57b-4e6e-9fac-d9128cd7232f', key = SIGNING): Record<string, string> {
  const at = new Date();
  return { 'webhook-id': id, 'webhook-timestamp': String(Math.floor(at.getTime() / 1000)), 'webhook-signature': new Webhook(key).sign(id, at, body) };
}

const post = (app: Awaited<ReturnType<typeof makeApp>>['app'], body: string, headers: Record<string, string> = {}) =>
  app.inject({ method: 'POST', url: '/hooks/gitlab', payload: body, headers: { 'content-type': 'application/json', 'x-gitlab-token': SECRET, 'x-gitlab-event': 'Issue Hook', ...headers } });

describe('POST /hooks/gitlab', () => {
  test('every published body: 202 and queued when Parley reads its kind, 200 and not queued otherwise', async () => {
    const { app, accepted } = await makeApp();
    const cases: [string, string, number][] = [
      ['issue.open.body.json', 'Issue Hook', 202],
      ['note.issue.body.json', 'Note Hook', 202],
      ['merge_request.open.body.json', 'Merge Request Hook', 202],
      ['release.create.body.json', 'Release Hook', 202],
      ['pipeline.success.body.json', 'Pipeline Hook', 200],
      ['merge_request.update-oldrev.partial.body.json', 'Merge Request Hook', 200],
      ['push.body.json', 'Push Hook', 200],
      ['tag_push.body.json', 'Tag Push Hook', 200],
      ['job.created.body.json', 'Job Hook', 200],
      ['deployment.success.body.json', 'Deployment Hook', 200],
    ];
    for (const [name, event, status] of cases) {
      const res = await post(app, raw(name), { 'x-gitlab-event': event });
      assert.equal(res.statusCode, status, `${name}: ${res.body}`);
    }
    assert.deepEqual(accepted.map((d) => d.event), ['Issue Hook', 'Note Hook', 'Merge Request Hook', 'Release Hook']);
    // No id headers (GitLab before 17.4): the object and its updated_at.
    assert.equal(accepted[0]!.key, 'issue:301:opened:2013-12-03T17:15:43.000Z');
    assert.equal((accepted[0]!.body as { object_kind: string }).object_kind, 'issue');
    await app.close();
  });

  test('X-Gitlab-Token wrong or missing: 401 with the error body, nothing accepted', async () => {
    const { app, accepted } = await makeApp();
    const wrong = await post(app, ISSUE, { 'x-gitlab-token': 'nope' });
    assert.equal(wrong.statusCode, 401);
    assert.equal(wrong.json<{ error: { code: string } }>().error.code, 'parley_signature_invalid');
    const missing = await app.inject({ method: 'POST', url: '/hooks/gitlab', payload: ISSUE, headers: { 'content-type': 'application/json' } });
    assert.equal(missing.statusCode, 401);
    assert.match(missing.body, /X-Gitlab-Token is missing/);
    // The token is checked before the body is read: a wrong token with garbage is a 401, not a 400.
    assert.equal((await post(app, '{not json', { 'x-gitlab-token': 'nope' })).statusCode, 401);
    assert.deepEqual(accepted, []);
    await app.close();
  });

  test('Standard Webhooks: checked when a signing token is set; partial headers or a wrong key are 401', async () => {
    const { app, accepted } = await makeApp();
    assert.equal((await post(app, ISSUE, signed(ISSUE))).statusCode, 202);
    assert.equal(accepted[0]!.key, 'delivery:f5e5f430-f57b-4e6e-9fac-d9128cd7232f', 'webhook-id keys the delivery');
    const wrongKey = await post(app, ISSUE, signed(ISSUE, 'a', `whsec_${randomBytes(24).toString('base64')}`));
    assert.equal(wrongKey.statusCode, 401);
    const { 'webhook-signature': _dropped, ...partial } = signed(ISSUE);
    const noSignature = await post(app, ISSUE, partial);
    assert.equal(noSignature.statusCode, 401);
    assert.match(noSignature.body, /missing_signature_headers/);
    const tampered = await post(app, ISSUE.replace('New API', 'Old API'), signed(ISSUE));
    assert.equal(tampered.statusCode, 401);
    assert.equal(accepted.length, 1);
    await app.close();

    // Without a signing token, the signature cannot be checked: the secret token decides alone.
    const bare = await makeApp({ signingToken: null });
    assert.equal((await post(bare.app, ISSUE, signed(ISSUE, 'b', `whsec_${randomBytes(24).toString('base64')}`))).statusCode, 202);
    await bare.app.close();
  });

  test('Idempotency-Key keys the delivery without webhook-id; a very long key is hashed', async () => {
    const { app, accepted } = await makeApp();
    await post(app, ISSUE, { 'idempotency-key': 'idem-1' });
    await post(app, ISSUE, { 'idempotency-key': 'x'.repeat(500) });
    assert.equal(accepted[0]!.key, 'delivery:idem-1');
    assert.match(accepted[1]!.key, /^sha256:[0-9a-f]{64}$/);
    await app.close();
  });

  test('malformed JSON is a 400; a body of the wrong shape, another content type or none is still 2xx', async () => {
    const { app, accepted } = await makeApp();
    const malformed = await post(app, '{"object_kind": "issue",');
    assert.equal(malformed.statusCode, 400);
    assert.equal(malformed.json<{ error: { code: string } }>().error.code, 'parley_bad_request');
    assert.equal((await post(app, '[1,2]')).statusCode, 400);
    // An issue without its project: not readable, but GitLab must not count it as a failure.
    const shapeless = await post(app, JSON.stringify({ object_kind: 'issue', object_attributes: {} }));
    assert.equal(shapeless.statusCode, 200);
    assert.match(shapeless.body, /"ignored"/);
    assert.equal((await post(app, ISSUE, { 'content-type': 'text/plain' })).statusCode, 202);
    const untyped = await app.inject({ method: 'POST', url: '/hooks/gitlab', payload: Buffer.from(ISSUE), headers: { 'x-gitlab-token': SECRET } });
    assert.equal(untyped.statusCode, 202, untyped.body);
    assert.equal(accepted.length, 2);
    // The other route keeps its own JSON parser.
    const other = await app.inject({ method: 'POST', url: '/other', payload: { a: 1 } });
    assert.deepEqual(other.json(), { got: { a: 1 } });
    await app.close();
  });

  test('a body over the limit is a 413; accept failing is a 503 so GitLab retries', async () => {
    const small = await makeApp({ maxBodyBytes: 1000 });
    assert.equal((await post(small.app, ISSUE)).statusCode, 413);
    await small.app.close();
    const down = await makeApp({ accept: async () => Promise.reject(new Error('redis down')) });
    const res = await post(down.app, ISSUE);
    assert.equal(res.statusCode, 503);
    assert.equal(res.json<{ error: { code: string } }>().error.code, 'parley_unavailable');
    await down.app.close();
  });
});
