// The HTTP server: health endpoints and /metrics here, every other route registered by its owner (forum hooks,
// adapters). A process without the web role may serve /metrics alone on PARLEY_METRICS_PORT (createMetricsServer).
import { createHash, timingSafeEqual } from 'node:crypto';
import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import type { Logger } from '../log.js';
import { metrics as processMetrics, type Metrics } from '../metrics.js';

export type ReadinessCheck = () => Promise<{ ok: boolean; detail?: string }>;

/** GET /metrics: the process's registry; `token` (PARLEY_METRICS_TOKEN) makes it ask for `Authorization: Bearer <token>`. */
export interface MetricsRoute {
  token: string | null;
  metrics?: Metrics;
}

export function createHttpServer(opts: {
  log: Logger;
  checks: Record<string, ReadinessCheck>;
  trustProxy?: boolean | number | string[];
  /** Null: /metrics is served elsewhere (PARLEY_METRICS_PORT), not here. */
  metrics?: MetricsRoute | null;
}): FastifyInstance {
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

  if (opts.metrics) registerMetricsRoute(app, opts.metrics);
  return app;
}

/** A server of /metrics and /healthz only, for a process that runs no web role (docs/architecture.md#metrics). */
export function createMetricsServer(opts: { log: Logger } & MetricsRoute): FastifyInstance {
  const loggerInstance: FastifyBaseLogger = opts.log;
  const app = Fastify({ loggerInstance, logController: new LogController({ disableRequestLogging: true }) });
  app.get('/healthz', async () => ({ ok: true }));
  registerMetricsRoute(app, opts);
  return app;
}

function registerMetricsRoute(app: FastifyInstance, route: MetricsRoute): void {
  const metrics = route.metrics ?? processMetrics();
  const expected = route.token === null ? null : digest(route.token);
  app.get('/metrics', async (req, reply) => {
    if (expected) {
      const given = /^Bearer\s+(\S+)$/i.exec(req.headers.authorization ?? '')?.[1];
      if (!given || !timingSafeEqual(digest(given), expected)) {
        return reply.code(401).header('www-authenticate', 'Bearer').send({ error: { code: 'parley_unauthorized', message: 'send Authorization: Bearer <PARLEY_METRICS_TOKEN>' } });
      }
    }
    const { contentType, body } = await metrics.exposition();
    return reply.header('content-type', contentType).header('cache-control', 'no-store').send(body);
  });
}

/** Equal-length digests, so that the comparison takes the same time whatever was sent. */
const digest = (token: string): Buffer => createHash('sha256').update(token).digest();

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
