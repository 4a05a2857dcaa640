import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import Fastify, { type FastifyInstance } from 'fastify';
import fc from 'fast-check';
import { registerDiscourseHook, type DiscourseDelivery, type DiscourseHookOptions } from '../../lib/discourse/hook.js';
import { signBody } from '../../lib/discourse/signature.js';
import { silentLogger } from '../../lib/log.js';

const SECRET = 'hook-test-secret-42';
const FIXTURES = new URL('../../../shared/fixtures/discourse-webhooks/', import.meta.url);
const read = (name: string) => readFileSync(new URL(name, FIXTURES));

interface Fixture {
  name: string;
  raw: Buffer;
  headers: { id: string; event: string; type: string; instance: string };
}

// Real bodies, byte for byte as captured, with the headers Discourse sent with them.
function fixtures(): Fixture[] {
  const out: Fixture[] = [];
  const dir = 'discourse-2025.12/';
  for (const file of readdirSync(new URL(dir, FIXTURES)).filter((f) => f.endsWith('.body.json')).sort()) {
    const h = JSON.parse(read(`${dir}${file.replace('.body.json', '.header-fields.json')}`).toString('utf8')) as Record<string, string>;
    // One capture's header file holds a body instead: give it the headers Discourse would have sent.
    const event = h.Event ?? file.replace('.body.json', '');
    const headers = { id: h.EventId ?? String(90_000 + out.length), event, type: h.EventType ?? event.replace(/_(granted|revoked)$/, ''), instance: h.Instance ?? 'https://xuxiaowei.io' };
    out.push({ name: file, raw: read(`${dir}${file}`), headers });
  }
  const old = JSON.parse(read('post_created.discourse-2.9.0.beta4.headers.json').toString('utf8')) as Record<string, string>;
  const oldHeaders = { id: old['x-discourse-event-id']!, event: old['x-discourse-event']!, type: old['x-discourse-event-type']!, instance: old['x-discourse-instance']! };
  out.push({ name: 'post_created 2.9', raw: read('post_created.discourse-2.9.0.beta4.body.json'), headers: oldHeaders });
  out.push({ name: 'pm 2.9', raw: read('post_created.private_message.discourse-2.9.0.beta4.body.json'), headers: { ...oldHeaders, id: '13' } });
  out.push({ name: 'topic 2021', raw: read('topic_created.2021.body.json'), headers: { id: '77', event: 'topic_created', type: 'topic', instance: 'https://talk.example' } });
  return out;
}

function discourseHeaders(f: Pick<Fixture, 'headers'>, extra: Record<string, string> = {}): Record<string, string> {
  return {
    'content-type': 'application/json',
    'x-discourse-event-id': f.headers.id,
    'x-discourse-event': f.headers.event,
    'x-discourse-event-type': f.headers.type,
    'x-discourse-instance': f.headers.instance,
    ...extra,
  };
}

async function makeApp(over: Partial<DiscourseHookOptions> = {}) {
  const accepted: DiscourseDelivery[] = [];
  const app: FastifyInstance = Fastify();
  // Another route of the same server, with Fastify's own JSON parser: the hook must not change it.
  app.post('/other', async (req) => ({ got: req.body }));
  registerDiscourseHook(app, {
    secret: SECRET,
    allowUnsigned: false,
    log: silentLogger,
    accept: async (d) => {
      accepted.push(d);
    },
    ...over,
  });
  await app.ready();
  return { app, accepted };
}

type ErrorBody = { error: { code: string; message: string } };
/** The JSON error every refusal carries. */
const errorOf = (res: { json(): unknown }): ErrorBody['error'] => (res.json() as ErrorBody).error;

const POST = fixtures().find((f) => f.name === 'post_created.body.json')!;

describe('POST /hooks/discourse', () => {
  let app: FastifyInstance;
  let accepted: DiscourseDelivery[];
  before(async () => ({ app, accepted } = await makeApp()));
  after(() => app.close());

  const send = (raw: Buffer | string, headers: Record<string, string>) => app.inject({ method: 'POST', url: '/hooks/discourse', headers, payload: raw });

  test('every real fixture, signed, is accepted with its headers and body (ping answers pong)', async () => {
    for (const f of fixtures()) {
      accepted.length = 0;
      const res = await send(f.raw, discourseHeaders(f, { 'x-discourse-event-signature': signBody(f.raw, SECRET) }));
      if (f.headers.event === 'ping') {
        assert.equal(res.statusCode, 200, f.name);
        assert.deepEqual(res.json(), { ok: true, ping: 'pong' });
        assert.equal(accepted.length, 0, 'a ping is not an event');
        continue;
      }
      assert.equal(res.statusCode, 202, `${f.name}: ${res.body}`);
      assert.deepEqual(res.json(), { ok: true });
      assert.equal(accepted.length, 1, f.name);
      assert.deepEqual(accepted[0], {
        eventId: f.headers.id,
        event: f.headers.event,
        eventType: f.headers.type,
        instance: f.headers.instance,
        body: JSON.parse(f.raw.toString('utf8')) as unknown,
      });
    }
  });

  test('wrong, missing and malformed signatures are refused with 401 and nothing is accepted', async () => {
    accepted.length = 0;
    const cases: Array<[string, string | undefined]> = [
      ['other secret', signBody(POST.raw, 'not-the-secret-123')],
      ['missing', undefined],
      ['no prefix', signBody(POST.raw, SECRET).slice(7)],
      ['sha1', `sha1=${signBody(POST.raw, SECRET).slice(7)}`],
      ['garbage', 'sha256=zz'],
    ];
    for (const [label, sig] of cases) {
      const headers = discourseHeaders(POST, sig === undefined ? {} : { 'x-discourse-event-signature': sig });
      const res = await send(POST.raw, headers);
      assert.equal(res.statusCode, 401, label);
      assert.equal(errorOf(res).code, 'parley_signature_invalid', label);
      assert.match(errorOf(res).message, /PARLEY_DISCOURSE_WEBHOOK_SECRET/, label);
    }
    assert.equal(accepted.length, 0);
  });

  test('a body changed after signing is refused', async () => {
    accepted.length = 0;
    const tampered = Buffer.from(POST.raw.toString('utf8').replace('"post_type": 1', '"post_type": 4'));
    assert.notDeepEqual(tampered, POST.raw);
    const res = await send(tampered, discourseHeaders(POST, { 'x-discourse-event-signature': signBody(POST.raw, SECRET) }));
    assert.equal(res.statusCode, 401);
    assert.equal(accepted.length, 0);
  });

  test('the signature header is read whatever its case and surrounding spaces', async () => {
    accepted.length = 0;
    const res = await send(POST.raw, discourseHeaders(POST, { 'X-Discourse-Event-Signature': `  ${signBody(POST.raw, SECRET).toUpperCase()} ` }));
    assert.equal(res.statusCode, 202, res.body);
    assert.equal(accepted.length, 1);
  });

  test('malformed JSON, correctly signed, is a 400 that says why', async () => {
    accepted.length = 0;
    const raw = Buffer.from('{"post": {"id": 1,');
    const res = await send(raw, discourseHeaders(POST, { 'x-discourse-event-signature': signBody(raw, SECRET) }));
    assert.equal(res.statusCode, 400);
    assert.equal(errorOf(res).code, 'parley_bad_request');
    assert.match(errorOf(res).message, /not valid JSON/);
    const array = Buffer.from('[1,2]');
    const res2 = await send(array, discourseHeaders(POST, { 'x-discourse-event-signature': signBody(array, SECRET) }));
    assert.equal(res2.statusCode, 400);
    assert.match(errorOf(res2).message, /JSON object/);
    assert.equal(accepted.length, 0);
  });

  test('missing event headers are a 400 naming the header', async () => {
    accepted.length = 0;
    const sig = { 'x-discourse-event-signature': signBody(POST.raw, SECRET) };
    const noId = discourseHeaders(POST, sig);
    delete noId['x-discourse-event-id'];
    const res = await send(POST.raw, noId);
    assert.equal(res.statusCode, 400);
    assert.match(errorOf(res).message, /X-Discourse-Event-Id/);
    const noEvent = discourseHeaders(POST, sig);
    delete noEvent['x-discourse-event'];
    const res2 = await send(POST.raw, noEvent);
    assert.equal(res2.statusCode, 400);
    assert.match(errorOf(res2).message, /X-Discourse-Event header/);
    assert.equal(accepted.length, 0);
  });

  test('form-encoded deliveries work: JSON in the payload field, or the JSON itself', async () => {
    accepted.length = 0;
    const form = Buffer.from(new URLSearchParams({ payload: POST.raw.toString('utf8') }).toString());
    const formHeaders = { 'content-type': 'application/x-www-form-urlencoded' };
    const res = await send(form, discourseHeaders(POST, { ...formHeaders, 'x-discourse-event-signature': signBody(form, SECRET) }));
    assert.equal(res.statusCode, 202, res.body);
    const res2 = await send(POST.raw, discourseHeaders(POST, { ...formHeaders, 'x-discourse-event-signature': signBody(POST.raw, SECRET) }));
    assert.equal(res2.statusCode, 202, res2.body);
    assert.equal(accepted.length, 2);
    for (const d of accepted) assert.deepEqual(d.body, JSON.parse(POST.raw.toString('utf8')));
    // A form without the field is refused, and the signature over the form bytes is what counts.
    const empty = Buffer.from('other=1');
    const res3 = await send(empty, discourseHeaders(POST, { ...formHeaders, 'x-discourse-event-signature': signBody(empty, SECRET) }));
    assert.equal(res3.statusCode, 400);
    assert.match(errorOf(res3).message, /payload field/);
    const res4 = await send(form, discourseHeaders(POST, { ...formHeaders, 'x-discourse-event-signature': signBody(POST.raw, SECRET) }));
    assert.equal(res4.statusCode, 401);
    assert.equal(accepted.length, 2);
  });

  test('another content type is a 415 in the same error format', async () => {
    const res = await send(POST.raw, discourseHeaders(POST, { 'content-type': 'text/plain', 'x-discourse-event-signature': signBody(POST.raw, SECRET) }));
    assert.equal(res.statusCode, 415);
    assert.equal(errorOf(res).code, 'parley_unsupported_media_type');
  });

  test("the server's other routes keep Fastify's own JSON parsing", async () => {
    const res = await app.inject({ method: 'POST', url: '/other', headers: { 'content-type': 'application/json' }, payload: '{"a":1}' });
    assert.equal(res.statusCode, 200);
    assert.deepEqual(res.json(), { got: { a: 1 } });
  });

  test('property: random bodies and headers never crash the hook and never reach accept unsigned', async () => {
    accepted.length = 0;
    const headerValue = fc.oneof(fc.string({ maxLength: 80 }), fc.stringMatching(/^sha256=[0-9a-f]{64}$/), fc.constant(signBody(POST.raw, SECRET)));
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(fc.uint8Array({ maxLength: 400 }).map((b) => Buffer.from(b)), fc.json().map((s) => Buffer.from(s))),
        fc.record(
          {
            'content-type': fc.constantFrom('application/json', 'application/x-www-form-urlencoded', 'application/json; charset=utf-8', 'text/plain', 'application/octet-stream'),
            'x-discourse-event-signature': headerValue,
            'x-discourse-event-id': fc.string({ maxLength: 20 }),
            'x-discourse-event': fc.string({ maxLength: 20 }),
            'x-discourse-event-type': fc.string({ maxLength: 20 }),
          },
          { requiredKeys: ['content-type'] },
        ),
        async (raw, headers) => {
          // Header values that HTTP itself forbids are not what this property is about.
          const clean = Object.fromEntries(Object.entries(headers).filter(([, v]) => /^[\x20-\x7e]*$/.test(v)));
          const res = await send(raw, clean);
          assert.ok([400, 401, 413, 415].includes(res.statusCode), `status ${res.statusCode}: ${res.body}`);
          assert.ok(errorOf(res).code, 'errors are JSON { error: { code, message } }');
        },
      ),
      { numRuns: 300 },
    );
    assert.equal(accepted.length, 0);
  });

  test('property: any signed JSON object with event headers is accepted as sent', async () => {
    accepted.length = 0;
    let expected = 0;
    await fc.assert(
      fc.asyncProperty(fc.dictionary(fc.string({ minLength: 1, maxLength: 10 }), fc.jsonValue({ maxDepth: 3 })), fc.integer({ min: 1, max: 1e9 }), async (obj, id) => {
        const raw = Buffer.from(JSON.stringify(obj));
        const res = await send(raw, discourseHeaders({ headers: { id: String(id), event: 'post_created', type: 'post', instance: 'https://f.example' } }, { 'x-discourse-event-signature': signBody(raw, SECRET) }));
        assert.equal(res.statusCode, 202, res.body);
        expected++;
        assert.deepEqual(accepted.at(-1)?.body, JSON.parse(raw.toString('utf8')));
      }),
      { numRuns: 100 },
    );
    assert.equal(accepted.length, expected);
  });
});

describe('POST /hooks/discourse: limits and configuration', () => {
  test('a body over the limit is a 413 and nothing is accepted', async () => {
    const { app, accepted } = await makeApp({ maxBodyBytes: 1024 });
    try {
      const big = Buffer.from(JSON.stringify({ post: { id: 1, raw: 'x'.repeat(2000) } }));
      const res = await app.inject({ method: 'POST', url: '/hooks/discourse', headers: discourseHeaders(POST, { 'x-discourse-event-signature': signBody(big, SECRET) }), payload: big });
      assert.equal(res.statusCode, 413);
      assert.equal(errorOf(res).code, 'parley_payload_too_large');
      assert.equal(accepted.length, 0);
      // Just under the limit is fine.
      const small = Buffer.from(JSON.stringify({ post: { id: 1, raw: 'x'.repeat(900) } }));
      const ok = await app.inject({ method: 'POST', url: '/hooks/discourse', headers: discourseHeaders(POST, { 'x-discourse-event-signature': signBody(small, SECRET) }), payload: small });
      assert.equal(ok.statusCode, 202, ok.body);
    } finally {
      await app.close();
    }
  });

  test('when accept fails the answer is 503, so that Discourse retries', async () => {
    const { app } = await makeApp({
      accept: async () => {
        throw new Error('redis down');
      },
    });
    try {
      const res = await app.inject({ method: 'POST', url: '/hooks/discourse', headers: discourseHeaders(POST, { 'x-discourse-event-signature': signBody(POST.raw, SECRET) }), payload: POST.raw });
      assert.equal(res.statusCode, 503);
      assert.equal(errorOf(res).code, 'parley_unavailable');
      assert.doesNotMatch(res.body, /redis down/, 'internal errors are not shown to the caller');
    } finally {
      await app.close();
    }
  });

  test('without a secret: 503 naming the variable, unless unsigned deliveries are allowed', async () => {
    const strict = await makeApp({ secret: null, allowUnsigned: false });
    try {
      const res = await strict.app.inject({ method: 'POST', url: '/hooks/discourse', headers: discourseHeaders(POST), payload: POST.raw });
      assert.equal(res.statusCode, 503);
      assert.match(errorOf(res).message, /PARLEY_DISCOURSE_WEBHOOK_SECRET must be set/);
      assert.equal(strict.accepted.length, 0);
    } finally {
      await strict.app.close();
    }
    const open = await makeApp({ secret: null, allowUnsigned: true });
    try {
      const res = await open.app.inject({ method: 'POST', url: '/hooks/discourse', headers: discourseHeaders(POST), payload: POST.raw });
      assert.equal(res.statusCode, 202, res.body);
      assert.equal(open.accepted.length, 1);
    } finally {
      await open.app.close();
    }
  });

  test('with a secret set, allowUnsigned does not let unsigned deliveries in', async () => {
    const { app, accepted } = await makeApp({ allowUnsigned: true });
    try {
      const res = await app.inject({ method: 'POST', url: '/hooks/discourse', headers: discourseHeaders(POST), payload: POST.raw });
      assert.equal(res.statusCode, 401);
      assert.equal(accepted.length, 0);
    } finally {
      await app.close();
    }
  });
});
