// Who may use the admin page (/admin) and the admin JSON API (/api/): a bearer token for scripts, a password
// login with a Redis-held session cookie for the page. Sessions and the login limiter live in Redis so that
// every web process agrees on them. With neither secret set, the whole admin surface answers 404 and says how
// to turn it on: nothing about the bridge is exposed by default.
import { parseCookie, stringifySetCookie } from 'cookie';
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import formbody from '@fastify/formbody';
import type { FastifyInstance, FastifyReply, FastifyRequest, preHandlerHookHandler } from 'fastify';
import type { Redis } from 'ioredis';
import { RateLimiterRedis, RateLimiterRes } from 'rate-limiter-flexible';
import { z } from 'zod';

export interface AdminAuthOptions {
  /** PARLEY_ADMIN_TOKEN: API clients send `Authorization: Bearer <token>`. null: no token access. */
  token: string | null;
  /** PARLEY_ADMIN_PASSWORD: the page's login. null: no page login. */
  password: string | null;
  /** Sessions and the login rate limiter live in Redis (several web processes share them). */
  redis: Redis;
  /** e.g. `${queuePrefix}:admin` */
  keyPrefix: string;
  /** Seconds a session lives without use; every authenticated request starts the count again. Default 8 hours. */
  sessionTtlSeconds?: number;
  /** Login attempts per client address (req.ip: trustProxy decides) per window. Default 5 per 15 minutes. */
  loginAttempts?: { points: number; durationSeconds: number };
}

/** How a request was let in: a session also carries its CSRF token, for the page to send back. */
export type AdminIdentity = { via: 'token' } | { via: 'session'; csrfToken: string };

export const ADMIN_COOKIE = 'parley_admin';

const DEFAULT_TTL_SECONDS = 8 * 60 * 60;
const DEFAULT_ATTEMPTS = { points: 5, durationSeconds: 15 * 60 };
/** 32 random bytes in base64url: anything else in the cookie is not ours and never reaches Redis. */
const SESSION_ID = /^[A-Za-z0-9_-]{43}$/;
/** Methods that cannot change anything: a session needs no CSRF token for them. */
const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

const sessionRecord = z.object({ csrf: z.string(), createdAt: z.number() });
const loginBody = z.object({ password: z.string().min(1).max(1024) });

const OFF_MESSAGE =
  'The Parley admin is off. Set PARLEY_ADMIN_TOKEN to use the admin API (send Authorization: Bearer <token>), ' +
  'or PARLEY_ADMIN_PASSWORD to log in (POST /admin/login), then restart Parley.';
const OFF_PAGE =
  '<!doctype html><meta charset="utf-8"><meta name="robots" content="noindex"><title>Parley admin is off</title>' +
  '<h1>The Parley admin is off</h1>' +
  '<p>Set <code>PARLEY_ADMIN_PASSWORD</code> to turn on the admin login, and <code>PARLEY_ADMIN_TOKEN</code> for the JSON API ' +
  '(<code>Authorization: Bearer &lt;token&gt;</code>), then restart Parley.</p>';

/** SHA-256 first, so timingSafeEqual always compares equal lengths and the secret's length does not leak. */
const digest = (s: string): Buffer => createHash('sha256').update(s, 'utf8').digest();
const sameSecret = (given: string, expected: Buffer): boolean => timingSafeEqual(digest(given), expected);

function pathOf(url: string): string {
  const path = url.split('?', 1)[0] ?? '';
  try {
    return decodeURIComponent(path); // the router matches decoded paths: so must we (`/%61pi/x` is `/api/x`)
  } catch {
    return path;
  }
}
const under = (path: string, prefix: string): boolean => path === prefix || path.startsWith(`${prefix}/`);
const isAdminPath = (path: string): boolean => under(path, '/api') || under(path, '/admin');

export function registerAdminAuth(
  app: FastifyInstance,
  opts: AdminAuthOptions,
): { requireAdmin: preHandlerHookHandler; adminOf(req: FastifyRequest): AdminIdentity | undefined } {
  // An empty secret would be a door with no lock: treat it as unset.
  const token = opts.token ? digest(opts.token) : null;
  const password = opts.password ? digest(opts.password) : null;
  const ttl = opts.sessionTtlSeconds ?? DEFAULT_TTL_SECONDS;
  const identities = new WeakMap<FastifyRequest, AdminIdentity>();

  if (!token && !password) {
    const refuse = (req: FastifyRequest, reply: FastifyReply): FastifyReply =>
      pathOf(req.url).startsWith('/admin') || req.routeOptions.url?.startsWith('/admin')
        ? reply.code(404).type('text/html; charset=utf-8').header('cache-control', 'no-store').send(OFF_PAGE)
        : reply.code(404).header('cache-control', 'no-store').send({ error: 'admin-off', message: OFF_MESSAGE });
    // onRequest, on the root: runs before body parsing and before any route's handler, for routes registered
    // before or after this call and for paths with no route (the 404 handler runs root hooks too). It runs for
    // every request (a webhook's too), so it is a plain callback, and it decodes only a path that decoding could
    // put under /api or /admin: one with a `%`, or one starting `/a`.
    app.addHook('onRequest', (req, reply, done) => {
      const route = req.routeOptions.url;
      const url = req.url;
      const byPath = (url.startsWith('/a') || url.includes('%')) && isAdminPath(pathOf(url));
      if (byPath || (route !== undefined && isAdminPath(route))) refuse(req, reply);
      else done();
    });
    // Belt and braces: a route that uses requireAdmin outside /api or /admin is off too.
    const requireAdmin: preHandlerHookHandler = function (req, reply) {
      refuse(req, reply);
    };
    return { requireAdmin, adminOf: () => undefined };
  }

  const attempts = opts.loginAttempts ?? DEFAULT_ATTEMPTS;
  const limiter = new RateLimiterRedis({
    storeClient: opts.redis,
    keyPrefix: `${opts.keyPrefix}:login`,
    points: attempts.points,
    duration: attempts.durationSeconds,
  });
  // The Redis key is a hash of the cookie value: whoever can read Redis cannot replay a live session from it.
  const sessionKey = (id: string): string => `${opts.keyPrefix}:session:${createHash('sha256').update(id).digest('hex')}`;

  // The `cookie` package itself rather than @fastify/cookie, whose plugin may be registered only once on the root
  // (and whose standalone helpers work only after that).
  const cookie = (req: FastifyRequest, value: string, clear = false): string =>
    stringifySetCookie({
      name: ADMIN_COOKIE,
      value,
      // No Max-Age on a live session: a browser-session cookie, and Redis's TTL is the lifetime that counts.
      ...(clear ? { maxAge: 0, expires: new Date(0) } : {}),
      path: '/',
      httpOnly: true,
      secure: req.protocol === 'https',
      sameSite: 'strict',
    });

  /** Our session id from the Cookie header; anything not shaped like one is ignored without asking Redis. */
  const sessionIdOf = (req: FastifyRequest): string | undefined => {
    const value = parseCookie(req.headers.cookie ?? '')[ADMIN_COOKIE];
    return value !== undefined && SESSION_ID.test(value) ? value : undefined;
  };

  /** The session's record, its lifetime started again (sliding); undefined when it has expired or never was. */
  async function loadSession(id: string): Promise<z.infer<typeof sessionRecord> | undefined> {
    const key = sessionKey(id);
    const results = await opts.redis.multi().get(key).expire(key, ttl).exec();
    const raw = results?.[0]?.[1];
    if (typeof raw !== 'string') return undefined;
    try {
      const parsed = sessionRecord.safeParse(JSON.parse(raw));
      return parsed.success ? parsed.data : undefined;
    } catch {
      return undefined; // not a record we wrote: no session
    }
  }

  const unauthorized = (reply: FastifyReply, message: string): FastifyReply => {
    if (token) reply.header('www-authenticate', 'Bearer realm="parley-admin"');
    return reply.code(401).header('cache-control', 'no-store').send({ error: 'unauthorized', message });
  };

  /** Lets the request through (true) or answers it (false). */
  async function authorize(req: FastifyRequest, reply: FastifyReply): Promise<boolean> {
    const authorization = req.headers.authorization;
    if (authorization !== undefined) {
      // An Authorization header decides alone: a wrong token is refused even next to a good cookie.
      const bearer = /^Bearer[ \t]+(\S+)[ \t]*$/i.exec(authorization)?.[1];
      if (!token) {
        unauthorized(reply, 'Token access is off: set PARLEY_ADMIN_TOKEN to use the admin API with a bearer token.');
        return false;
      }
      if (bearer === undefined || !sameSecret(bearer, token)) {
        unauthorized(reply, 'The bearer token is wrong: send Authorization: Bearer <PARLEY_ADMIN_TOKEN>.');
        return false;
      }
      identities.set(req, { via: 'token' }); // no CSRF check: a browser never adds this header by itself
      return true;
    }

    const id = sessionIdOf(req);
    const session = id === undefined ? undefined : await loadSession(id);
    if (!session) {
      if (id !== undefined) reply.header('set-cookie', cookie(req, '', true)); // a stale cookie: drop it
      const how = [token ? 'send Authorization: Bearer <PARLEY_ADMIN_TOKEN>' : '', password ? 'log in at /admin' : '']
        .filter(Boolean)
        .join(', or ');
      unauthorized(reply, id !== undefined ? 'The session has expired or was ended: log in again at /admin.' : `Not logged in: ${how}.`);
      return false;
    }
    // Synchronizer token: a cross-site page can make the browser send the cookie, but cannot read this token.
    if (!SAFE_METHODS.has(req.method)) {
      const sent = req.headers['x-csrf-token'];
      if (typeof sent !== 'string' || !sameSecret(sent, digest(session.csrf))) {
        reply.code(403).header('cache-control', 'no-store').send({
          error: 'csrf',
          message: 'This change needs the x-csrf-token header with the token given at login (also at GET /api/session).',
        });
        return false;
      }
    }
    identities.set(req, { via: 'session', csrfToken: session.csrf });
    return true;
  }

  // Callback style, so the type is exactly preHandlerHookHandler: on refusal the reply is sent and done is not called.
  const requireAdmin: preHandlerHookHandler = function (req, reply, done) {
    authorize(req, reply).then((ok) => {
      if (!ok) return;
      reply.header('cache-control', 'no-store'); // admin answers are never for a shared cache
      done();
    }, done);
  };

  void app.register(async (scope) => {
    // The login form may post urlencoded as well as JSON; scoped here so no other route starts parsing forms.
    if (!scope.hasContentTypeParser('application/x-www-form-urlencoded')) await scope.register(formbody);

    scope.post('/admin/login', { bodyLimit: 8 * 1024 }, async (req, reply) => {
      reply.header('cache-control', 'no-store');
      if (!password) {
        return reply.code(404).send({ error: 'login-off', message: 'The page login is off: set PARLEY_ADMIN_PASSWORD to turn it on.' });
      }
      const body = loginBody.safeParse(req.body);
      if (!body.success) return reply.code(400).send({ error: 'bad-request', message: 'Send { "password": "…" } as JSON or a form.' });

      // Charge the attempt before looking at the password: parallel guesses cannot all slip through one free slot.
      try {
        await limiter.consume(req.ip);
      } catch (rejection) {
        if (!(rejection instanceof RateLimiterRes)) throw rejection;
        const seconds = Math.max(1, Math.ceil(rejection.msBeforeNext / 1000));
        req.log.warn({ ip: req.ip }, 'admin login refused: too many attempts');
        return reply
          .code(429)
          .header('retry-after', String(seconds))
          .send({ error: 'rate-limited', message: `Too many login attempts from this address: try again in ${Math.ceil(seconds / 60)} minute(s).` });
      }
      if (!sameSecret(body.data.password, password)) {
        req.log.warn({ ip: req.ip }, 'admin login refused: wrong password');
        return reply.code(401).send({ error: 'unauthorized', message: 'Wrong password.' });
      }
      await limiter.delete(req.ip);

      const previous = sessionIdOf(req);
      if (previous !== undefined) await opts.redis.del(sessionKey(previous)); // one browser, one live session
      const id = randomBytes(32).toString('base64url');
      const csrfToken = randomBytes(32).toString('base64url');
      await opts.redis.set(sessionKey(id), JSON.stringify({ csrf: csrfToken, createdAt: Date.now() }), 'EX', ttl);
      req.log.info({ ip: req.ip }, 'admin login');
      return reply.header('set-cookie', cookie(req, id)).send({ ok: true, csrfToken });
    });

    scope.post('/admin/logout', { preHandler: requireAdmin }, async (req, reply) => {
      const id = sessionIdOf(req);
      if (identities.get(req)?.via === 'session' && id !== undefined) await opts.redis.del(sessionKey(id));
      return reply.header('set-cookie', cookie(req, '', true)).send({ ok: true });
    });

  });

  return { requireAdmin, adminOf: (req) => identities.get(req) };
}
