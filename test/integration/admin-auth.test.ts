// The admin authentication layer against a real Redis: off by default, bearer tokens, password login with a
// session cookie and CSRF token, the per-address login limiter, logout and expiry, and no secret in the log.
import { parseSetCookie } from 'cookie';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { Writable } from 'node:stream';
import { after, describe, test } from 'node:test';
import Fastify, { type FastifyBaseLogger, type FastifyInstance, type LightMyRequestResponse } from 'fastify';
import { pino } from 'pino';
import { registerAdminAuth, type AdminAuthOptions } from '../../lib/http/admin-auth.js';
import { redisConnection } from '../../lib/redis.js';

const TOKEN = 'tok-3f9a1c0e5b7d4e2a9c8b';
const PASSWORD = 'correct horse battery staple';

const redis = redisConnection(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379');
const runPrefix = `test-admin-auth-${randomUUID()}`;
const apps: FastifyInstance[] = [];
after(async () => {
  await Promise.all(apps.map((a) => a.close()));
  const keys = await redis.keys(`${runPrefix}*`);
  if (keys.length > 0) await redis.del(...keys);
  redis.disconnect();
});

interface Built {
  app: FastifyInstance;
  keyPrefix: string;
  /** Everything the app logged, request logging included (the server turns it off; here it is on, to be sure). */
  logText(): string;
  calls: string[];
}

async function build(opts: Partial<AdminAuthOptions>, beforeAuth?: (app: FastifyInstance, calls: string[]) => void): Promise<Built> {
  const lines: string[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _enc, cb) {
      lines.push(chunk.toString('utf8'));
      cb();
    },
  });
  const loggerInstance: FastifyBaseLogger = pino({ level: 'trace' }, sink);
  const app = Fastify({ trustProxy: true, loggerInstance });
  apps.push(app);
  const calls: string[] = [];
  beforeAuth?.(app, calls); // a route registered before the auth layer, as a later module might
  const keyPrefix = `${runPrefix}:${randomUUID()}`;
  const { requireAdmin, adminOf } = registerAdminAuth(app, { token: null, password: null, redis, keyPrefix, ...opts });
  // As the admin API (cli/admin/api.ts) answers it: who is logged in, and the CSRF token for a session.
  app.get('/api/session', { preHandler: requireAdmin }, async (req) => adminOf(req));
  app.get('/api/things', { preHandler: requireAdmin }, async () => {
    calls.push('GET /api/things');
    return { things: [] };
  });
  app.post('/api/things', { preHandler: requireAdmin }, async () => {
    calls.push('POST /api/things');
    return { created: true };
  });
  app.get('/elsewhere', async () => ({ ok: true }));
  await app.ready();
  return { app, keyPrefix, calls, logText: () => lines.join('') };
}

const json = (res: LightMyRequestResponse): Record<string, unknown> => res.json<Record<string, unknown>>();
const setCookie = (res: LightMyRequestResponse): string => {
  const h = res.headers['set-cookie'];
  assert.equal(typeof h, 'string', `one set-cookie header, got ${JSON.stringify(h)}`);
  return h as string;
};
/** `parley_admin=<id>` from a Set-Cookie line, as a browser would send it back. */
const cookiePair = (line: string): string => line.split(';', 1)[0]!;

async function login(app: FastifyInstance, headers: Record<string, string> = {}) {
  const res = await app.inject({ method: 'POST', url: '/admin/login', payload: { password: PASSWORD }, headers });
  assert.equal(res.statusCode, 200, res.body);
  const body = json(res);
  assert.equal(body.ok, true);
  assert.equal(typeof body.csrfToken, 'string');
  return { res, cookie: cookiePair(setCookie(res)), csrfToken: body.csrfToken as string };
}

const wrongLogin = (app: FastifyInstance, ip: string) =>
  app.inject({ method: 'POST', url: '/admin/login', payload: { password: 'guess' }, headers: { 'x-forwarded-for': ip } });

describe('admin auth', () => {
  test('off (neither secret): /api and /admin answer 404 with how to turn them on, and nothing else', async () => {
    const { app, calls } = await build({}, (a, c) => {
      a.get('/api/early', async () => {
        c.push('early');
        return { secret: 'data' };
      });
    });

    for (const url of ['/api/x', '/api/things', '/api/early', '/api/session', '/api', '/%61pi/early', '/api/things?x=1']) {
      const res = await app.inject({ method: 'GET', url });
      assert.equal(res.statusCode, 404, url);
      assert.match(String(res.headers['content-type']), /application\/json/, url);
      assert.equal(json(res).error, 'admin-off', url);
      assert.match(String(json(res).message), /PARLEY_ADMIN_TOKEN.*PARLEY_ADMIN_PASSWORD/s, url);
    }
    const post = await app.inject({ method: 'POST', url: '/api/things', payload: { a: 1 } });
    assert.equal(post.statusCode, 404);

    for (const url of ['/admin', '/admin/', '/admin/anything']) {
      const res = await app.inject({ method: 'GET', url });
      assert.equal(res.statusCode, 404, url);
      assert.match(String(res.headers['content-type']), /text\/html/, url);
      assert.match(res.body, /PARLEY_ADMIN_PASSWORD/);
      assert.match(res.body, /PARLEY_ADMIN_TOKEN/);
    }
    const loginRes = await app.inject({ method: 'POST', url: '/admin/login', payload: { password: PASSWORD } });
    assert.equal(loginRes.statusCode, 404);
    // Bearer or not, nothing passes.
    const withToken = await app.inject({ method: 'GET', url: '/api/things', headers: { authorization: `Bearer ${TOKEN}` } });
    assert.equal(withToken.statusCode, 404);

    assert.deepEqual(calls, [], 'no admin handler ran');
    assert.equal((await app.inject({ method: 'GET', url: '/elsewhere' })).statusCode, 200, 'other routes are untouched');
    assert.equal((await app.inject({ method: 'GET', url: '/administrator' })).statusCode, 404);
  });

  test('bearer token: right passes (no CSRF needed), wrong or missing is 401', async () => {
    const { app, calls } = await build({ token: TOKEN });
    const ok = await app.inject({ method: 'GET', url: '/api/things', headers: { authorization: `Bearer ${TOKEN}` } });
    assert.equal(ok.statusCode, 200);
    assert.deepEqual(json(ok), { things: [] });
    assert.equal(ok.headers['cache-control'], 'no-store');
    const lower = await app.inject({ method: 'GET', url: '/api/things', headers: { authorization: `bearer ${TOKEN}` } });
    assert.equal(lower.statusCode, 200, 'the scheme is case-insensitive');
    const post = await app.inject({ method: 'POST', url: '/api/things', headers: { authorization: `Bearer ${TOKEN}` }, payload: {} });
    assert.equal(post.statusCode, 200, 'a bearer request needs no CSRF token');
    const session = await app.inject({ method: 'GET', url: '/api/session', headers: { authorization: `Bearer ${TOKEN}` } });
    assert.deepEqual(json(session), { via: 'token' });

    for (const authorization of [`Bearer ${TOKEN}x`, 'Bearer x', `Bearer ${TOKEN.toUpperCase()}`, `Basic ${TOKEN}`, TOKEN, 'Bearer ']) {
      const res = await app.inject({ method: 'GET', url: '/api/things', headers: { authorization } });
      assert.equal(res.statusCode, 401, authorization);
      assert.equal(json(res).error, 'unauthorized');
      assert.equal(typeof json(res).message, 'string');
      assert.match(String(res.headers['www-authenticate']), /^Bearer/);
    }
    const missing = await app.inject({ method: 'GET', url: '/api/things' });
    assert.equal(missing.statusCode, 401);
    assert.equal(json(missing).error, 'unauthorized');
    assert.deepEqual(calls, ['GET /api/things', 'GET /api/things', 'POST /api/things']);

    const noLogin = await app.inject({ method: 'POST', url: '/admin/login', payload: { password: PASSWORD } });
    assert.equal(noLogin.statusCode, 404, 'no password: no page login');
    assert.match(String(json(noLogin).message), /PARLEY_ADMIN_PASSWORD/);
  });

  test('password login: wrong is 401; right sets the cookie; GET with it passes; changes need the CSRF token', async () => {
    const { app, calls, logText } = await build({ password: PASSWORD, token: TOKEN });
    const wrong = await wrongLogin(app, '10.1.0.1');
    assert.equal(wrong.statusCode, 401);
    assert.equal(json(wrong).error, 'unauthorized');
    assert.equal(wrong.headers['set-cookie'], undefined);

    const { res, cookie, csrfToken } = await login(app);
    const line = setCookie(res);
    const id = cookie.slice('parley_admin='.length);
    assert.match(id, /^[A-Za-z0-9_-]{43}$/, '32 random bytes');
    assert.equal(line, `parley_admin=${id}; Path=/; HttpOnly; SameSite=Strict`, 'no Secure over plain HTTP');
    assert.equal(res.headers['cache-control'], 'no-store');

    const https = await login(app, { 'x-forwarded-proto': 'https' });
    const httpsLine = setCookie(https.res);
    assert.equal(httpsLine, `${https.cookie}; Path=/; HttpOnly; Secure; SameSite=Strict`, 'Secure over HTTPS (trustProxy)');

    const get = await app.inject({ method: 'GET', url: '/api/things', headers: { cookie } });
    assert.equal(get.statusCode, 200);
    const who = await app.inject({ method: 'GET', url: '/api/session', headers: { cookie } });
    assert.deepEqual(json(who), { via: 'session', csrfToken });

    const noCsrf = await app.inject({ method: 'POST', url: '/api/things', headers: { cookie }, payload: {} });
    assert.equal(noCsrf.statusCode, 403);
    assert.equal(json(noCsrf).error, 'csrf');
    const badCsrf = await app.inject({ method: 'POST', url: '/api/things', headers: { cookie, 'x-csrf-token': https.csrfToken }, payload: {} });
    assert.equal(badCsrf.statusCode, 403, "another session's token does not do");
    const withCsrf = await app.inject({ method: 'POST', url: '/api/things', headers: { cookie, 'x-csrf-token': csrfToken }, payload: {} });
    assert.equal(withCsrf.statusCode, 200);
    assert.deepEqual(calls, ['GET /api/things', 'POST /api/things']);

    const forged = await app.inject({ method: 'GET', url: '/api/things', headers: { cookie: `parley_admin=${'A'.repeat(43)}` } });
    assert.equal(forged.statusCode, 401);
    assert.match(String(forged.headers['set-cookie']), /Max-Age=0/, 'a dead cookie is cleared');

    const form = await app.inject({
      method: 'POST',
      url: '/admin/login',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      payload: new URLSearchParams({ password: PASSWORD }).toString(),
    });
    assert.equal(form.statusCode, 200, 'a form body logs in too');
    const empty = await app.inject({ method: 'POST', url: '/admin/login', payload: {} });
    assert.equal(empty.statusCode, 400);

    // Fastify's request logging is on in this app: still no secret in the log.
    const log = logText();
    assert.ok(log.includes('incoming request'), 'request logging did run');
    for (const secret of [PASSWORD, TOKEN, id, https.cookie.slice('parley_admin='.length), csrfToken]) {
      assert.ok(!log.includes(secret), `logged a secret: ${secret.slice(0, 6)}…`);
    }
  });

  test('login limiter: the 6th wrong try from one address is 429 with Retry-After; other addresses still may try', async () => {
    const { app } = await build({ password: PASSWORD });
    for (let i = 1; i <= 5; i++) assert.equal((await wrongLogin(app, '10.2.0.1')).statusCode, 401, `try ${i}`);
    const sixth = await wrongLogin(app, '10.2.0.1');
    assert.equal(sixth.statusCode, 429);
    assert.equal(json(sixth).error, 'rate-limited');
    assert.match(String(json(sixth).message), /try again/);
    const retryAfter = Number(sixth.headers['retry-after']);
    assert.ok(Number.isInteger(retryAfter) && retryAfter > 0 && retryAfter <= 15 * 60, `Retry-After ${sixth.headers['retry-after']}`);
    const right = await app.inject({ method: 'POST', url: '/admin/login', payload: { password: PASSWORD }, headers: { 'x-forwarded-for': '10.2.0.1' } });
    assert.equal(right.statusCode, 429, 'while blocked, even the right password waits');
    assert.equal(right.headers['set-cookie'], undefined);

    assert.equal((await wrongLogin(app, '10.2.0.2')).statusCode, 401, 'another address is not blocked');
    await login(app, { 'x-forwarded-for': '10.2.0.3' });
  });

  test('a right password resets the count of wrong ones', async () => {
    const { app } = await build({ password: PASSWORD, loginAttempts: { points: 3, durationSeconds: 60 } });
    for (let i = 0; i < 2; i++) assert.equal((await wrongLogin(app, '10.3.0.1')).statusCode, 401);
    await login(app, { 'x-forwarded-for': '10.3.0.1' });
    for (let i = 0; i < 3; i++) assert.equal((await wrongLogin(app, '10.3.0.1')).statusCode, 401, `a fresh count: try ${i + 1}`);
    assert.equal((await wrongLogin(app, '10.3.0.1')).statusCode, 429);
  });

  test('logout needs the CSRF token, ends the session and clears the cookie', async () => {
    const { app } = await build({ password: PASSWORD });
    const { cookie, csrfToken } = await login(app);
    const noCsrf = await app.inject({ method: 'POST', url: '/admin/logout', headers: { cookie } });
    assert.equal(noCsrf.statusCode, 403);
    assert.equal((await app.inject({ method: 'GET', url: '/api/session', headers: { cookie } })).statusCode, 200, 'still logged in');

    const out = await app.inject({ method: 'POST', url: '/admin/logout', headers: { cookie, 'x-csrf-token': csrfToken } });
    assert.equal(out.statusCode, 200);
    assert.deepEqual(json(out), { ok: true });
    const cleared = parseSetCookie(setCookie(out));
    assert.deepEqual(
      { name: cleared.name, value: cleared.value, maxAge: cleared.maxAge, expires: cleared.expires?.getTime(), path: cleared.path, httpOnly: cleared.httpOnly, sameSite: cleared.sameSite },
      { name: 'parley_admin', value: '', maxAge: 0, expires: 0, path: '/', httpOnly: true, sameSite: 'strict' },
      'the cookie cleared, with the attributes it was set with',
    );

    const after = await app.inject({ method: 'GET', url: '/api/session', headers: { cookie } });
    assert.equal(after.statusCode, 401, 'the old cookie no longer works');
    assert.equal(json(after).error, 'unauthorized');
    const unauthenticated = await app.inject({ method: 'POST', url: '/admin/logout' });
    assert.equal(unauthenticated.statusCode, 401);
  });

  test('sessions slide with use, and expire when unused', async () => {
    const { app, keyPrefix } = await build({ password: PASSWORD, sessionTtlSeconds: 60 });
    const { cookie } = await login(app);
    const [key] = await redis.keys(`${keyPrefix}:session:*`);
    assert.ok(key, 'the session is in Redis');
    assert.ok(!key.includes(cookie.slice('parley_admin='.length)), 'stored under a hash of the id, not the id');
    await redis.expire(key, 5); // as if it had not been used for 55 seconds
    assert.equal((await app.inject({ method: 'GET', url: '/api/session', headers: { cookie } })).statusCode, 200);
    assert.ok((await redis.ttl(key)) > 55, 'use started the lifetime again');

    const short = await build({ password: PASSWORD, sessionTtlSeconds: 1 });
    const s = await login(short.app);
    // Poll Redis, not the app: a request with the cookie would keep the session alive.
    const deadline = Date.now() + 10_000;
    while ((await redis.keys(`${short.keyPrefix}:session:*`)).length > 0) {
      assert.ok(Date.now() < deadline, 'the session expired within 10 s');
      await new Promise((r) => setTimeout(r, 100));
    }
    const expired = await short.app.inject({ method: 'GET', url: '/api/session', headers: { cookie: s.cookie } });
    assert.equal(expired.statusCode, 401);
    assert.match(String(json(expired).message), /expired/);
  });
});
