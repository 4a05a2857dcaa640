// The admin API (cli/admin/api.ts) on a Fastify app of its own, for the admin API's tests: a SQLite store in memory,
// queues and sessions on the real Redis under a prefix of the test run's own, removed when the run ends.
import { randomUUID } from 'node:crypto';
import { after } from 'node:test';
import Fastify, { type FastifyInstance } from 'fastify';
import { registerAdminApi, type AdminApiDeps } from '../../cli/admin/api.js';
import { Queues } from '../../jobs/queues.js';
import { loadConfig } from '../../lib/config.js';
import { CategoryCache } from '../../lib/discourse/categories.js';
import { registerAdminAuth } from '../../lib/http/admin-auth.js';
import { redisConnection } from '../../lib/redis.js';
import { openStore, type Store } from '../../lib/store/index.js';

export interface AdminApiApp {
  app: FastifyInstance;
  store: Store;
  queues: Queues;
  /** The app's Redis key prefix (BullMQ's `<prefix>:<queue>:…`, the admin's `<prefix>:admin:…`). */
  prefix: string;
  /** `METHOD /path` of every route fastify registered, as onRoute saw them (HEAD included). */
  routes: string[];
}

export interface AdminApiOptions {
  token: string;
  password?: string | null;
  config?: AdminApiDeps['config'];
  env?: NodeJS.ProcessEnv;
  adapters?: AdminApiDeps['adapters'];
  checks?: AdminApiDeps['checks'];
  /** The sources' clients (default: none configured) and the category cache (default: the store's, without a forum). */
  forum?: AdminApiDeps['forum'];
  gitlab?: AdminApiDeps['gitlab'];
  categories?: (store: Store) => AdminApiDeps['categories'];
}

const redis = redisConnection(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379');
const runPrefix = `test-admin-api-${randomUUID()}`;
const cleanups: (() => Promise<void>)[] = [];
after(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup();
  const keys = await redis.keys(`${runPrefix}*`);
  if (keys.length > 0) await redis.del(...keys);
  redis.disconnect();
});

/** One app per call: its own store and Redis prefix, so that counts and totals are the test's alone. */
export async function buildAdminApi(opts: AdminApiOptions): Promise<AdminApiApp> {
  const prefix = `${runPrefix}:${randomUUID()}`;
  const store = await openStore({ kind: 'sqlite', path: ':memory:' });
  const queues = new Queues(redis, prefix);
  const app = Fastify();
  cleanups.push(async () => {
    await app.close();
    await queues.close();
    await store.close();
  });
  const routes: string[] = [];
  // Before the API registers: fastify calls a root onRoute hook for the routes of child plugins too.
  app.addHook('onRoute', (route) => {
    for (const method of [route.method].flat()) routes.push(`${method} ${route.url}`);
  });
  const auth = registerAdminAuth(app, { token: opts.token, password: opts.password ?? null, redis, keyPrefix: `${prefix}:admin` });
  await registerAdminApi(app, {
    config: opts.config ?? loadConfig({}, []),
    env: opts.env ?? {},
    store,
    queues,
    adapters: opts.adapters ?? new Map(),
    checks: opts.checks ?? {},
    forum: opts.forum ?? null,
    gitlab: opts.gitlab ?? null,
    categories: opts.categories?.(store) ?? new CategoryCache({ store: store.categories, client: opts.forum ?? null }),
    ...auth,
  });
  await app.ready();
  return { app, store, queues, prefix, routes };
}

/** The Redis connection the apps share, for tests that look at queues directly. */
export const adminApiRedis = redis;
