// The HTTP server: health endpoints here, every other route registered by its owner (forum hooks, adapters).
import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import type { Logger } from '../log.js';

export type ReadinessCheck = () => Promise<{ ok: boolean; detail?: string }>;

export function createHttpServer(opts: { log: Logger; checks: Record<string, ReadinessCheck>; trustProxy?: boolean | number | string[] }): FastifyInstance {
  // Per-request log lines would drown the log under a busy forum: routes log what matters themselves.
  const loggerInstance: FastifyBaseLogger = opts.log;
  const app = Fastify({
    loggerInstance,
    logController: new LogController({ disableRequestLogging: true }),
    bodyLimit: 1024 * 1024,
    // A hop count as proxy-addr takes it: trust the nearest n proxies.
    trustProxy: typeof opts.trustProxy === 'number' ? (_address: string, hop: number) => hop < (opts.trustProxy as number) : (opts.trustProxy ?? false),
  });

  app.get('/healthz', async () => ({ ok: true }));

  app.get('/readyz', async (_req, reply) => {
    const entries = await Promise.all(
      Object.entries(opts.checks).map(async ([name, check]) => {
        try {
          return [name, await withTimeout(check(), 3000)] as const;
        } catch (err) {
          return [name, { ok: false, detail: err instanceof Error ? err.message : String(err) }] as const;
        }
      }),
    );
    const checks = Object.fromEntries(entries);
    const ok = entries.every(([, r]) => r.ok);
    return reply.code(ok ? 200 : 503).send({ ok, checks });
  });

  return app;
}

async function withTimeout<T>(p: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([p, timeout]);
  } finally {
    clearTimeout(timer);
  }
}
