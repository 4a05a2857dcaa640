// A webhook that arrives while the database cannot be reached (docs/architecture.md#faults): 503 with Retry-After,
// an error code that says so, and a log line that says why, so that the forum sends it again; never a 500.
import assert from 'node:assert/strict';
import Fastify from 'fastify';
import { test } from 'node:test';
import { registerDiscourseHook } from '../../lib/discourse/hook.js';
import { signBody } from '../../lib/discourse/signature.js';
import { ErrorCode, StoreUnavailableError } from '../../lib/errors.js';
import { pino } from 'pino';

const SECRET = 'store-down-secret';

async function send(accept: () => Promise<void>): Promise<{ status: number; retryAfter: string | undefined; code: string; logged: string[] }> {
  const logged: string[] = [];
  const log = pino({ level: 'error' }, { write: (line: string) => void logged.push(String((JSON.parse(line) as { msg: unknown }).msg)) });
  const app = Fastify();
  registerDiscourseHook(app, { secret: SECRET, allowUnsigned: false, log, accept });
  const raw = JSON.stringify({ post: { id: 1 } });
  const res = await app.inject({
    method: 'POST',
    url: '/hooks/discourse',
    headers: { 'content-type': 'application/json', 'x-discourse-event-id': '7', 'x-discourse-event': 'post_created', 'x-discourse-event-signature': signBody(raw, SECRET) },
    payload: raw,
  });
  await app.close();
  const header = res.headers['retry-after'];
  return { status: res.statusCode, retryAfter: typeof header === 'string' ? header : undefined, code: res.json<{ error: { code: string } }>().error.code, logged };
}

test('the database down: 503 with Retry-After, parley_store_unavailable, and a log line naming the database', async () => {
  const answer = await send(async () => {
    throw new StoreUnavailableError('the database cannot be reached: connect ECONNREFUSED 127.0.0.1:5432');
  });
  assert.equal(answer.status, 503);
  assert.equal(answer.code, ErrorCode.StoreUnavailable);
  assert.ok(Number(answer.retryAfter) > 0, `Retry-After: ${answer.retryAfter}`);
  assert.deepEqual(answer.logged, ['discourse webhook answered 503: the database cannot be reached; the sender will send it again']);
});

test('the queue down: 503 with Retry-After too', async () => {
  const answer = await send(async () => {
    throw new Error('Connection is closed.');
  });
  assert.equal(answer.status, 503);
  assert.equal(answer.code, 'parley_unavailable');
  assert.ok(Number(answer.retryAfter) > 0);
});
