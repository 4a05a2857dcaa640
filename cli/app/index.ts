// The composition root: builds Parley's parts from the configuration and runs the roles asked for (web: HTTP
// server; bots: streaming connections; workers: queue processors). `parley start` runs all three by default.
// With the web role, the port is open first (cli/app/listener.ts): /healthz answers while the rest loads, which is
// why the parts below are imported when they are started, not at the top (docs/architecture.md#roles-and-processes).
import type { FastifyInstance } from 'fastify';
import type { Redis } from 'ioredis';
import type { Queues } from '../../jobs/queues.js';
import type { Config } from '../../lib/config.js';
import type { Logger } from '../../lib/log.js';
import type { PlatformAdapter } from '../../lib/seams/platform.js';
import type { PlatformName, Store } from '../../lib/seams/store.js';
import { Cleanups } from './cleanups.js';
import { openListener } from './listener.js';
import { settleAfterLoading } from './settle.js';

export type Role = 'web' | 'bots' | 'workers';
export const ALL_ROLES: readonly Role[] = ['web', 'bots', 'workers'];

export interface AppOptions {
  /** Its platforms are the ones the app serves (loadConfig was given bots/registry.ts, or test fakes). */
  config: Config;
  log: Logger;
  roles?: readonly Role[];
}

export interface App {
  config: Config;
  store: Store;
  queues: Queues;
  redis: Redis;
  adapters: ReadonlyMap<PlatformName, PlatformAdapter>;
  http: FastifyInstance | null;
  /** Base URL of the HTTP server when the web role runs. */
  url: string | null;
  stop(): Promise<void>;
}

export async function startApp(opts: AppOptions): Promise<App> {
  const { config, log } = opts;
  const roles = new Set(opts.roles ?? ALL_ROLES);
  const cleanups = new Cleanups(log);
  try {
    const listener = roles.has('web') ? await openListener({ port: config.port, host: config.host, log }) : null;
    if (listener) cleanups.push(() => listener.close());
    const core = await (await import('./core.js')).openCore(config, log, cleanups);
    const http = listener ? await (await import('./web.js')).startWeb(core, cleanups, listener) : null;
    if (roles.has('workers')) (await import('./workers.js')).startWorkerRole(core, cleanups);
    if (roles.has('bots')) await (await import('./bots.js')).startBots(core, cleanups);
    await (await import('./metrics.js')).exposeMetrics(core, cleanups);
    listener?.ready();
    settleAfterLoading(log);
    const { store, queues, redis, adapters } = core;
    return { config, store, queues, redis, adapters, http, url: listener?.url ?? null, stop: () => cleanups.run() };
  } catch (err) {
    await cleanups.run();
    throw err;
  }
}
