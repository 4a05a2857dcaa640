// The web role: the HTTP server with health checks, the forum's webhook, the platforms' routes and preview pages.
import type { FastifyInstance } from 'fastify';
import { ingestJobId, ingestJobOptions } from '../../jobs/queues.js';
import { registerDiscourseHook } from '../../lib/discourse/hook.js';
import { registerGitLabHook } from '../../lib/gitlab/hook.js';
import { createHttpServer } from '../../lib/http/server.js';
import { registerTranscriptPage } from '../../lib/http/transcript-page.js';
import type { IngestJob } from '../../lib/seams/jobs.js';
import type { Cleanups, Core } from './core.js';

export async function startWeb(core: Core, cleanups: Cleanups): Promise<{ http: FastifyInstance; url: string }> {
  const { config, log, store, redis, queues, ingest, adapters } = core;
  const d = config.discourse;
  const http = createHttpServer({
    log,
    checks: {
      database: async () => (await store.ping(), { ok: true }),
      redis: async () => ({ ok: (await redis.ping()) === 'PONG' }),
      ...Object.fromEntries([...adapters].map(([name, a]) => [name, () => a.health()])),
    },
  });
  registerDiscourseHook(http, {
    secret: d?.webhookSecret ?? null,
    allowUnsigned: d?.allowUnsigned ?? false,
    log,
    accept: async (delivery) => {
      const data: IngestJob = { source: 'discourse', ...delivery };
      const inline = await ingest.tryInline(data);
      if (inline.done) return;
      await queues.ingest.add(delivery.event, { ...data, recorded: inline.recorded }, { ...ingestJobOptions(), jobId: ingestJobId('discourse', delivery.eventId) });
    },
  });
  const g = config.gitlab;
  if (g) {
    registerGitLabHook(http, {
      secret: g.webhookSecret,
      signingToken: g.signingToken,
      log: log.child({ source: 'gitlab' }),
      // Straight to the queue, so that GitLab has its answer at once; the job drops repeats by the key.
      accept: async ({ key, event, body }) => {
        const data: IngestJob = { source: 'gitlab', eventId: key, event, body };
        await queues.ingest.add(event ?? 'gitlab', data, { ...ingestJobOptions(), jobId: ingestJobId('gitlab', key) });
      },
    });
  }
  if (d) registerTranscriptPage(http, { transcripts: store.transcripts, forumUrl: d.url });
  for (const adapter of adapters.values()) adapter.registerRoutes?.(http);
  cleanups.push(() => http.close());
  const url = await http.listen({ port: config.port, host: config.host });
  log.info(`listening on ${url}`);
  return { http, url };
}
