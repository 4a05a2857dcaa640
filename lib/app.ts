// Composition: builds Parley's parts from the configuration and runs the roles asked for
// (web: HTTP server; bots: streaming connections; workers: queue processors). `npm start` runs all three.
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import type { FastifyInstance } from 'fastify';
import type { Worker } from 'bullmq';
import type { Redis } from 'ioredis';
import type { AdapterFactory, PlatformAdapter } from '../bots/adapter.js';
import { PLATFORMS } from '../bots/registry.js';
import { handleCommand } from '../commands/dispatch.js';
import { handleMembership } from '../commands/membership.js';
import type { CommandDeps } from '../commands/context.js';
import type { CommandInvocation } from '../commands/types.js';
import { ingestJobId, ingestJobOptions, Queues, transcriptJobOptions, type IngestJob, type TranscriptJob } from '../jobs/queues.js';
import { createTranscriptProcessor } from '../jobs/transcript.js';
import { registerTranscriptPage } from './http/transcript-page.js';
import { startWorkers } from '../jobs/workers.js';
import { createIngest } from '../jobs/ingest.js';
import type { Config } from './config.js';
import { CategoryCache } from './discourse/categories.js';
import { DiscourseClient, ForumRequestBudget } from './discourse/client.js';
import { registerDiscourseHook } from './discourse/hook.js';
import { TopicCache } from './discourse/topics.js';
import { ForumUsers } from './forum-users.js';
import { createHttpServer } from './http/server.js';
import { LiveRules } from './live-rules.js';
import type { Logger } from './log.js';
import { Lease } from './lease.js';
import { ensureRedis, redisConnection, type RedisHandle } from './redis.js';
import { openStore } from './store/index.js';
import type { PlatformName, Store } from './store/types.js';

export type Role = 'web' | 'bots' | 'workers';
export const ALL_ROLES: readonly Role[] = ['web', 'bots', 'workers'];

export interface AppOptions {
  config: Config;
  log: Logger;
  roles?: readonly Role[];
  /** Replaces bots/registry.ts (tests and benchmarks plug in a local fake platform). */
  platforms?: readonly AdapterFactory[];
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
  const cleanups: (() => Promise<void>)[] = [];
  const stop = async (): Promise<void> => {
    for (const cleanup of cleanups.reverse()) {
      try {
        await cleanup();
      } catch (err) {
        log.error({ err: (err as Error).message }, 'error while stopping');
      }
    }
    cleanups.length = 0;
  };

  try {
    mkdirSync(path.resolve(config.dataDir), { recursive: true });
    const redisHandle: RedisHandle = await ensureRedis({ url: config.redisUrl, explicit: config.redisUrlExplicit, dataDir: config.dataDir, log });
    cleanups.push(() => redisHandle.stop());

    const store = await openStore(config.database, { log });
    cleanups.push(() => store.close());

    const redis = redisConnection(config.redisUrl);
    redis.on('error', (err) => log.warn({ err: err.message }, 'redis connection error'));
    cleanups.push(async () => void (await redis.quit().catch(() => redis.disconnect())));

    const queues = new Queues(redis, config.queuePrefix);
    cleanups.push(() => queues.close());

    // The forum: REST client only when an API key is configured; caches work from webhooks alone otherwise.
    const d = config.discourse;
    const client =
      d?.apiKey
        ? new DiscourseClient({
            baseUrl: d.url,
            apiKey: d.apiKey,
            apiUsername: d.apiUsername,
            budget: new ForumRequestBudget({ redis, keyPrefix: config.queuePrefix, requestsPerMinute: d.requestsPerMinute }),
            log,
          })
        : null;
    const categories = new CategoryCache({ store: store.categories, client, log });
    const topics = new TopicCache({ store: store.topics, client, log });
    const forumUsers = new ForumUsers(client, log);

    const adapters = new Map<PlatformName, PlatformAdapter>();
    const commandDeps: CommandDeps = {
      store,
      config,
      log,
      categories,
      forumUsers,
      ...(client
        ? {
            transcripts: {
              settings: config.transcripts,
              timezone: config.timezone,
              forumUser: (username: string) => forumUsers.get(username),
              enqueue: async (job: TranscriptJob) => void (await queues.transcripts.add('transcript', job, { ...transcriptJobOptions(), jobId: job.transcriptId })),
            },
          }
        : {}),
      memberRole: async (inv: CommandInvocation) => {
        const adapter = adapters.get(inv.platform);
        return adapter ? adapter.memberRole(inv) : { role: 'unknown', why: `${inv.platform} is not configured` };
      },
    };
    for (const factory of opts.platforms ?? PLATFORMS) {
      if (!factory.isConfigured(config)) {
        log.info(`${factory.platform}: not configured. ${factory.howToConfigure}`);
        continue;
      }
      adapters.set(factory.platform, factory.create({ config, log: log.child({ platform: factory.platform }), store, handleCommand: (inv) => handleCommand(inv, commandDeps), handleMembership: (change) => handleMembership(change, commandDeps) }));
    }
    if (!config.discourse) {
      log.info('discourse: not configured. Set PARLEY_DISCOURSE_URL and PARLEY_DISCOURSE_WEBHOOK_SECRET, then add a webhook in Discourse (Admin → API → Webhooks) pointing at /hooks/discourse.');
    } else if (d && !d.webhookSecret) {
      log.warn('PARLEY_DISCOURSE_ALLOW_UNSIGNED=true: webhooks are accepted WITHOUT a signature. Anyone who can reach /hooks/discourse can inject events. Use this for testing only.');
    }

    // Forum events are handled in the webhook when all they need is known locally, else by the ingest queue.
    const ingest = createIngest({
      store,
      rules: new LiveRules(store),
      queues,
      log,
      categories,
      topics,
      baseUrl: (instance) => d?.url ?? instance?.replace(/\/+$/, '') ?? '',
      forumApi: client !== null,
      platforms: new Set(adapters.keys()),
      delivery: { delayMs: config.delivery.delaySeconds * 1000, attempts: config.delivery.attempts, excerptLength: config.delivery.excerptLength },
    });

    let http: FastifyInstance | null = null;
    let url: string | null = null;
    if (roles.has('web')) {
      http = createHttpServer({
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
      if (d) registerTranscriptPage(http, { transcripts: store.transcripts, forumUrl: d.url });
      for (const adapter of adapters.values()) adapter.registerRoutes?.(http);
      const server = http;
      cleanups.push(() => server.close());
      url = await http.listen({ port: config.port, host: config.host });
      log.info(`listening on ${url}`);
    }

    let workers: Worker[] = [];
    if (roles.has('workers')) {
      workers = startWorkers({
        connection: redis,
        prefix: config.queuePrefix,
        store,
        log,
        adapters: [...adapters.values()],
        concurrency: config.delivery.concurrency,
        lockMs: config.delivery.lockSeconds * 1000,
        ingest,
        queues,
        transcripts:
          client && d
            ? createTranscriptProcessor({ store, adapters, forum: client, forumUrl: d.url, publicUrl: config.publicUrl, settings: config.transcripts, log })
            : null,
      });
      // Old message log entries, expired previews and remembered event ids are forgotten hourly.
      const prune = async (): Promise<void> => {
        const now = Date.now();
        try {
          await store.messageLog.prune(new Date(now - config.transcripts.messageLogDays * 86_400_000));
          await store.transcripts.pruneExpired(new Date(now));
          await store.inboundEvents.prune(new Date(now - 30 * 86_400_000));
        } catch (err) {
          log.warn({ err: (err as Error).message }, 'pruning old records failed; will try again');
        }
      };
      void prune();
      const pruner = setInterval(() => void prune(), 3600_000);
      pruner.unref();
      cleanups.push(async () => clearInterval(pruner));
      // Closing a worker lets its in-flight jobs finish; jobs not started stay queued for the next process.
      cleanups.push(async () => void (await Promise.all(workers.map((w) => w.close()))));
    }

    if (roles.has('bots')) {
      for (const adapter of adapters.values()) {
        if (!adapter.uniqueConnection) {
          await adapter.start();
          cleanups.push(() => adapter.stop());
          continue;
        }
        const lease = new Lease({ redis, key: `${config.queuePrefix}:lease:${adapter.platform}`, ttlMs: config.botLeaseSeconds * 1000, log: log.child({ platform: adapter.platform }) });
        const holder = { onAcquired: () => adapter.start(), onLost: () => adapter.stop() };
        await lease.hold(holder);
        cleanups.push(() => lease.release(holder));
      }
    }

    return { config, store, queues, redis, adapters, http, url, stop };
  } catch (err) {
    await stop();
    throw err;
  }
}
