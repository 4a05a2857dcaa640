import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { normalizeGitLabWebhook, type GitLabEvent } from '../../lib/gitlab/normalize.js';
import { checkGitLabToken, checkStandardWebhook, deliveryKey, validSigningToken, type Headers } from '../../lib/gitlab/signature.js';

const FIXTURES = new URL('../../../shared/fixtures/gitlab-webhooks/', import.meta.url);
const rawFixture = (name: string): Buffer => readFileSync(new URL(name, FIXTURES));
type Body = Record<string, unknown>;
const fixture = (name: string): Body => JSON.parse(rawFixture(name).toString('utf8')) as Body;

const KEY = Buffer.alloc(32, 7);
const TOKEN = `whsec_${KEY.toString('base64')}`;
const body = rawFixture('issue.open.body.json');
const ID = 'f5e5f430-f57b-4e6e-9fac-d9128cd7232f';
const nowSeconds = () => Math.floor(Date.now() / 1000);

/** As GitLab's WebHookService#build_signature does it, independently of the package under test. */
function sign(id: string, timestamp: number | string, raw: Buffer | string, key: Buffer = KEY): string {
  return `v1,${createHmac('sha256', key).update(`${id}.${timestamp}.`).update(raw).digest('base64')}`;
}
function signed(timestamp = nowSeconds(), signature?: string): Record<string, string> {
  return { 'webhook-id': ID, 'webhook-timestamp': String(timestamp), 'webhook-signature': signature ?? sign(ID, timestamp, body) };
}
const code = (r: ReturnType<typeof checkStandardWebhook>) => (r.ok ? 'ok' : r.code);

describe('checkStandardWebhook', () => {
  test('accepts GitLab\'s signature of the raw body, as a Buffer or a string, headers in any case', () => {
    const ts = nowSeconds();
    const r = checkStandardWebhook(signed(ts), body, TOKEN);
    assert.deepEqual(r, { ok: true, id: ID, timestamp: ts });
    assert.equal(code(checkStandardWebhook(signed(ts), body.toString('utf8'), TOKEN)), 'ok');
    const h = signed(ts);
    assert.equal(code(checkStandardWebhook({ 'Webhook-Id': h['webhook-id'], 'WEBHOOK-TIMESTAMP': h['webhook-timestamp'], 'Webhook-Signature': [h['webhook-signature']!] }, body, TOKEN)), 'ok');
    // The token's base64 without the whsec_ prefix is the same key.
    assert.equal(code(checkStandardWebhook(signed(ts), body, KEY.toString('base64'))), 'ok');
  });

  test('a wrong signature, another key, a changed body: bad_signature', () => {
    const ts = nowSeconds();
    assert.equal(code(checkStandardWebhook(signed(ts, 'v1,abc123def456=='), body, TOKEN)), 'bad_signature', 'the docs\' placeholder');
    assert.equal(code(checkStandardWebhook(signed(ts, sign(ID, ts, body, Buffer.alloc(32, 8))), body, TOKEN)), 'bad_signature');
    const tampered = Buffer.from(body);
    tampered[10] = tampered[10]! ^ 1;
    assert.equal(code(checkStandardWebhook(signed(ts), tampered, TOKEN)), 'bad_signature');
    // Re-serialized JSON is not the body GitLab signed.
    assert.equal(code(checkStandardWebhook(signed(ts), JSON.stringify(JSON.parse(body.toString('utf8'))), TOKEN)), 'bad_signature');
    // Signed for another message id.
    assert.equal(code(checkStandardWebhook({ ...signed(ts), 'webhook-id': 'other' }, body, TOKEN)), 'bad_signature');
    // The right MAC under an unknown version prefix.
    assert.equal(code(checkStandardWebhook(signed(ts, sign(ID, ts, body).replace('v1,', 'v2,')), body, TOKEN)), 'bad_signature');
  });

  test('one good signature among several space-separated ones is enough', () => {
    const ts = nowSeconds();
    const other = sign(ID, ts, body, Buffer.alloc(32, 9));
    assert.equal(code(checkStandardWebhook(signed(ts, `${other} ${sign(ID, ts, body)}`), body, TOKEN)), 'ok');
    assert.equal(code(checkStandardWebhook(signed(ts, `v1a,xyz ${other}`), body, TOKEN)), 'bad_signature');
  });

  test('a timestamp outside five minutes either way fails, even correctly signed; a malformed one too', () => {
    const stale = nowSeconds() - 6 * 60;
    assert.equal(code(checkStandardWebhook(signed(stale), body, TOKEN)), 'stale_timestamp');
    const future = nowSeconds() + 6 * 60;
    assert.equal(code(checkStandardWebhook(signed(future), body, TOKEN)), 'future_timestamp');
    assert.equal(code(checkStandardWebhook(signed(nowSeconds() - 4 * 60), body, TOKEN)), 'ok');
    for (const bad of ['soon', '1744578123abc', '-5', '1.7e9']) {
      assert.equal(code(checkStandardWebhook({ ...signed(), 'webhook-timestamp': bad }, body, TOKEN)), 'malformed_timestamp', bad);
    }
  });

  test('no signature headers at all: unsigned (GitLab before 19.0), a distinct answer', () => {
    const r = checkStandardWebhook({ 'x-gitlab-token': 'secret', 'idempotency-key': ID }, body, TOKEN);
    assert.equal(code(r), 'unsigned');
    assert.equal(code(checkStandardWebhook({ 'webhook-id': '  ', 'webhook-timestamp': '' }, body, TOKEN)), 'unsigned', 'blank is absent');
  });

  test('some but not all: missing_signature_headers (19.x sends id and timestamp, the signature only with a signing token)', () => {
    const { 'webhook-signature': _s, ...noSignature } = signed();
    const r = checkStandardWebhook(noSignature, body, TOKEN);
    assert.deepEqual(r, { ok: false, code: 'missing_signature_headers', message: 'missing webhook-signature' });
    const { 'webhook-id': _i, ...noId } = signed();
    assert.equal(code(checkStandardWebhook(noId, body, TOKEN)), 'missing_signature_headers');
  });

  test('a signing token that is not whsec_<base64>: malformed_secret, never a pass', () => {
    for (const bad of ['', 'whsec_', 'whsec_!!!', 'whsec_abc']) {
      assert.equal(code(checkStandardWebhook(signed(), body, bad)), 'malformed_secret', JSON.stringify(bad));
      assert.equal(validSigningToken(bad), false, JSON.stringify(bad));
    }
    assert.equal(validSigningToken(TOKEN), true);
    assert.equal(validSigningToken(KEY.toString('base64')), false, 'configuration wants the prefix GitLab shows');
  });
});

describe('checkGitLabToken', () => {
  test('right, wrong, missing, another length', () => {
    assert.deepEqual(checkGitLabToken('my-secret-token', 'my-secret-token'), { ok: true });
    const wrong = checkGitLabToken('my-secret-token', 'my-secret-tokeN');
    assert.deepEqual(wrong.ok ? '' : wrong.code, 'wrong_token');
    for (const header of ['my-secret', 'my-secret-token-and-more', ' my-secret-token']) {
      const r = checkGitLabToken('my-secret-token', header);
      assert.equal(r.ok ? 'ok' : r.code, 'wrong_token', header);
    }
    for (const header of [undefined, '']) {
      const r = checkGitLabToken('my-secret-token', header);
      assert.equal(r.ok ? 'ok' : r.code, 'missing_token');
    }
  });

  test('no secret configured refuses everything; line breaks in the secret are dropped as GitLab does', () => {
    const r = checkGitLabToken('', '');
    assert.equal(r.ok ? 'ok' : r.code, 'not_configured');
    assert.equal(checkGitLabToken('\n', 'x').ok, false);
    assert.deepEqual(checkGitLabToken('my-secret-token\n', 'my-secret-token'), { ok: true });
    assert.deepEqual(checkGitLabToken('my-secret\r\n-token', 'my-secret-token'), { ok: true });
  });
});

describe('deliveryKey', () => {
  const event = (name: string, patch: (b: Body) => void = () => {}): GitLabEvent => {
    const b = structuredClone(fixture(name));
    patch(b);
    const r = normalizeGitLabWebhook(b);
    assert.ok(r.ok, r.ok ? '' : r.error);
    return r.value;
  };
  const opened = event('issue.open.body.json');
  const docHeaders = fixture('delivery-headers.doc-examples.json') as Headers;

  test('webhook-id wins, then Idempotency-Key (the same value on 19.x, so the same key)', () => {
    assert.equal(deliveryKey(docHeaders, opened), `delivery:${ID}`);
    assert.equal(deliveryKey({ 'webhook-id': 'a', 'idempotency-key': 'b' }, opened), 'delivery:a');
    assert.equal(deliveryKey({ 'Idempotency-Key': 'b' }, opened), 'delivery:b');
    assert.equal(deliveryKey({ 'webhook-id': ID }, opened), deliveryKey({ 'idempotency-key': ID }, opened));
  });

  test('X-Gitlab-Webhook-UUID and X-Gitlab-Event-UUID are never keys', () => {
    const old = { 'X-Gitlab-Webhook-UUID': '02affd2d-2cba-4033-917d-ec22d5dc4b38', 'X-Gitlab-Event-UUID': '13792a34-cac6-4fda-95a8-c58e00a3954e', 'X-Gitlab-Event': 'Issue Hook' };
    const key = deliveryKey(old, opened);
    assert.equal(key, 'issue:301:opened:2013-12-03T17:15:43.000Z');
    assert.equal(deliveryKey({ ...old, 'X-Gitlab-Webhook-UUID': 'another-uuid-on-retry' }, opened), key, 'a retry keeps its key');
  });

  test('older GitLab: the object and its state, per kind', () => {
    assert.equal(deliveryKey({}, event('issue.open.body.json', (b) => ((b.object_attributes as Body).action = 'close'))), 'issue:301:closed:2013-12-03T17:15:43.000Z');
    assert.equal(deliveryKey({}, event('note.issue.body.json')), 'note:1241:2015-05-17T17:06:40.000Z');
    assert.equal(deliveryKey({}, event('note.merge_request.body.json', (b) => ((b.object_attributes as Body).updated_at = '2015-05-18 10:00:00 UTC'))), 'note:1244:2015-05-18T10:00:00.000Z', 'an edit is a new delivery');
    assert.equal(deliveryKey({}, event('merge_request.open.body.json')), 'merge_request:93:open:2026-01-16T05:56:25.000Z');
    assert.equal(deliveryKey({}, event('pipeline.success.body.json', (b) => ((b.object_attributes as Body).status = 'failed'))), 'pipeline:31:failed');
    assert.equal(deliveryKey({}, event('release.create.body.json')), 'release:1:create:2020-11-02T12:55:12.000Z');
    assert.equal(deliveryKey({}, event('release.create.body.json', (b) => (b.action = 'delete'))), 'release:1:delete:2020-11-02T12:55:12.000Z');
  });

  test('ignored events have no key unless the request carries one', () => {
    const push = event('push.body.json');
    assert.equal(deliveryKey({}, push), null);
    assert.equal(deliveryKey({ 'webhook-id': 'x' }, push), 'delivery:x');
  });
});
