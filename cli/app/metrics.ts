// Every process's metrics, whatever its roles (web, workers, bots): lib/metrics.ts's registry, exposed.
import { createMetricsServer } from '../../lib/http/server.js';
import { metrics } from '../../lib/metrics.js';
import type { Cleanups } from './cleanups.js';
import type { Core } from './core.js';

/**
 * The process's metrics (docs/architecture.md#metrics): the queue gauges read at scrape time, and, with
 * PARLEY_METRICS_PORT, a server of /metrics alone: the only way a process without the web role is scraped. The web
 * role's server serves /metrics itself when no port is set. Called once per process, whatever its roles.
 */
export async function exposeMetrics(core: Core, cleanups: Cleanups): Promise<void> {
  const { config, log, queues, adapters } = core;
  const unwatch = metrics().watchQueues([queues.ingest, queues.transcripts, ...[...adapters.keys()].map((p) => queues.deliverQueue(p))]);
  cleanups.push(async () => unwatch());
  if (config.metrics.port === null) return;
  const server = createMetricsServer({ log, token: config.metrics.token });
  cleanups.push(() => server.close());
  const url = await server.listen({ port: config.metrics.port, host: config.host });
  log.info(`metrics on ${url}/metrics`);
}
