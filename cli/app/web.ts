// The web role: the HTTP server with health checks, the sources' webhooks, the platforms' routes and preview pages.
import type { FastifyInstance } from 'fastify';
import { createHttpServer } from '../../lib/http/server.js';
import { registerTranscriptPage } from '../../lib/http/transcript-page.js';
import { SOURCES } from '../../lib/sources.js';
import type { Cleanups, Core } from './core.js';

export async function startWeb(core: Core, cleanups: Cleanups): Promise<{ http: FastifyInstance; url: string }> {
  const { config, log, store, redis, ingest, adapters } = core;
  const d = config.discourse;
  const http = createHttpServer({
    log,
    checks: {
      database: async () => (await store.ping(), { ok: true }),
      redis: async () => ({ ok: (await redis.ping()) === 'PONG' }),
      ...Object.fromEntries([...adapters].map(([name, a]) => [name, () => a.health()])),
    },
  });
  // Each source's webhook route (POST /hooks/<source>), where the source is configured.
  for (const source of SOURCES) source.registerHook(http, config, { log: log.child({ source: source.name }), accept: (job) => ingest.accept(job) });
  if (d) registerTranscriptPage(http, { transcripts: store.transcripts, forumUrl: d.url });
  for (const adapter of adapters.values()) adapter.registerRoutes?.(http);
  cleanups.push(() => http.close());
  const url = await http.listen({ port: config.port, host: config.host });
  log.info(`listening on ${url}`);
  return { http, url };
}
