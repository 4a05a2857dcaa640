// The web role: the HTTP server with health checks, the sources' webhooks, the platforms' routes, preview pages and
// the admin API.
import type { FastifyInstance } from 'fastify';
import { withConfigFile } from '../../lib/config.js';
import { registerAdminAuth } from '../../lib/http/admin-auth.js';
import { createHttpServer } from '../../lib/http/server.js';
import { registerTranscriptPage } from '../../lib/http/transcript-page.js';
import { SOURCES } from '../../lib/sources.js';
import type { Cleanups } from './cleanups.js';
import type { Core } from './core.js';
import type { Listener } from './listener.js';

type Check = () => Promise<{ ok: boolean; detail?: string }>;

/** A check asked at most once a minute: the admin page refreshes often, and each ask spends the source's API budget. */
function remembered(check: Check, ttlMs = 60_000): Check {
  let last: { at: number; answer: Promise<{ ok: boolean; detail?: string }> } | undefined;
  return () => {
    if (!last || Date.now() - last.at > ttlMs) last = { at: Date.now(), answer: check().catch((err: unknown) => ({ ok: false, detail: err instanceof Error ? err.message : String(err) })) };
    return last.answer;
  };
}

/** Builds the web role's app and hands it the listener's requests (cli/app/listener.ts). */
export async function startWeb(core: Core, cleanups: Cleanups, listener: Listener): Promise<FastifyInstance> {
  const { config, log, store, redis, ingest, adapters } = core;
  const d = config.discourse;
  const checks = {
    database: async () => (await store.ping(), { ok: true }),
    redis: async () => ({ ok: (await redis.ping()) === 'PONG' }),
    ...Object.fromEntries([...adapters].map(([name, a]) => [name, () => a.health()])),
  };
  // /metrics here unless PARLEY_METRICS_PORT gives it a port of its own (exposeMetrics).
  const http = createHttpServer({ log, checks, trustProxy: config.trustProxy, metrics: config.metrics.port === null ? { token: config.metrics.token } : null });
  // Off (404 with instructions) unless PARLEY_ADMIN_TOKEN or PARLEY_ADMIN_PASSWORD is set.
  const admin = registerAdminAuth(http, { ...config.admin, redis, keyPrefix: `${config.queuePrefix}:admin` });
  if (config.admin.token || config.admin.password) {
    // The sources' connections are the admin's to see, not /readyz's: a forum that is down must not take Parley out
    // of a load balancer, since its webhooks still arrive and wait.
    const { forum, gitlab } = core;
    const sourceChecks: Record<string, Check> = {
      ...(forum ? { discourse: remembered(async () => ({ ok: true, detail: `${(await forum.site()).length} categories visible` })) } : {}),
      ...(gitlab ? { gitlab: remembered(async () => ({ ok: true, detail: `as @${(await gitlab.me()).username}` })) } : {}),
    };
    // Loaded only when the admin is on: its routes, schemas and OpenAPI document are a fair share of the web role.
    const [{ registerAdminApi }, { registerAdminPage }] = await Promise.all([import('../admin/api.js'), import('../admin/page.js')]);
    await registerAdminApi(http, { config, env: withConfigFile(process.env), store, queues: core.queues, adapters, checks: { ...checks, ...sourceChecks }, forum: core.forum, categories: core.categories, gitlab: core.gitlab, ...admin });
    await registerAdminPage(http);
  }
  // Each source's webhook route (POST /hooks/<source>), where the source is configured.
  for (const source of SOURCES) source.registerHook(http, config, { log: log.child({ source: source.name }), accept: (job) => ingest.accept(job) });
  if (d) registerTranscriptPage(http, { transcripts: store.transcripts, forumUrl: d.url });
  for (const adapter of adapters.values()) adapter.registerRoutes?.(http);
  // At a stop, no new connections and the requests in flight finish before the app closes.
  cleanups.push(async () => {
    await listener.close();
    await http.close();
  });
  await listener.serve(http);
  return http;
}
