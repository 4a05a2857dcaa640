// The composition root: builds Parley's parts from the configuration and runs the roles asked for (web: HTTP
// server; bots: streaming connections; workers: queue processors). `parley start` runs all three by default.
import type { FastifyInstance } from 'fastify';
import type { Redis } from 'ioredis';
import type { Queues } from '../../jobs/queues.js';
import type { Config } from '../../lib/config.js';
import type { Logger } from '../../lib/log.js';
import type { PlatformAdapter } from '../../lib/seams/platform.js';
import type { PlatformName, Store } from '../../lib/seams/store.js';
import { startBots } from './bots.js';
import { exposeMetrics } from './metrics.js';
import { Cleanups, openCore } from './core.js';
import { startWeb } from './web.js';
import { startWorkerRole } from './workers.js';

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
    const core = await openCore(config, log, cleanups);
    const web = roles.has('web') ? await startWeb(core, cleanups) : null;
    if (roles.has('workers')) startWorkerRole(core, cleanups);
    if (roles.has('bots')) await startBots(core, cleanups);
    await exposeMetrics(core, cleanups);
    const { store, queues, redis, adapters } = core;
    return { config, store, queues, redis, adapters, http: web?.http ?? null, url: web?.url ?? null, stop: () => cleanups.run() };
  } catch (err) {
    await cleanups.run();
    throw err;
  }
}
