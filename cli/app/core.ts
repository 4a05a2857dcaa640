// The parts every role shares, built once from the configuration: Redis, the store, the queues, the forum, the
// adapters of the configured platforms, and the command core wired to them (docs/architecture.md#composition).
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import type { Redis } from 'ioredis';
import { handleCommand } from '../../commands/dispatch.js';
import { handleMembership } from '../../commands/membership.js';
import type { CommandDeps } from '../../commands/context.js';
import { createIngest, type Ingest } from '../../jobs/ingest.js';
import { Queues, transcriptJobOptions } from '../../jobs/queues.js';
import type { Config } from '../../lib/config.js';
import { CategoryCache } from '../../lib/discourse/categories.js';
import { DiscourseClient, ForumRequestBudget } from '../../lib/discourse/client.js';
import { TopicCache } from '../../lib/discourse/topics.js';
import { GitLabClient } from '../../lib/gitlab/client.js';
import { ForumUsers } from '../../lib/forum-users.js';
import { LiveRules } from '../../lib/live-rules.js';
import type { Logger } from '../../lib/log.js';
import { ChannelMessageLog } from '../../lib/message-log.js';
import { ensureRedis, redisConnection } from '../../lib/redis.js';
import { platformProfiles, type PlatformAdapter, type PlatformProfiles } from '../../lib/seams/platform.js';
import type { TranscriptJob } from '../../lib/seams/jobs.js';
import type { PlatformName, Store } from '../../lib/seams/store.js';
import { openStore } from '../../lib/store/index.js';
import type { Cleanups } from './cleanups.js';

export interface Core {
  config: Config;
  log: Logger;
  redis: Redis;
  store: Store;
  queues: Queues;
  /** The forum's REST client; null without an API key (categories and tags then come from webhooks alone). */
  forum: DiscourseClient | null;
  /** The forum's categories, from the store, webhooks and (with the API key) the forum. */
  categories: CategoryCache;
  /** GitLab's REST client; null when GitLab is not configured. */
  gitlab: GitLabClient | null;
  adapters: ReadonlyMap<PlatformName, PlatformAdapter>;
  profiles: PlatformProfiles;
  ingest: Ingest;
}

export async function openCore(config: Config, log: Logger, cleanups: Cleanups): Promise<Core> {
  mkdirSync(path.resolve(config.dataDir), { recursive: true });
  const redisHandle = await ensureRedis({ target: config.redis, explicit: config.redisUrlExplicit, dataDir: config.dataDir, log });
  cleanups.push(() => redisHandle.stop());

  const store = await openStore(config.database, { log });
  cleanups.push(() => store.close());

  const redis = redisConnection(config.redis);
  redis.on('error', (err) => log.warn({ err: err.message }, 'redis connection error'));
  cleanups.push(async () => void (await redis.quit().catch(() => redis.disconnect())));

  const queues = new Queues(redis, config.queuePrefix);
  cleanups.push(() => queues.close());

  const d = config.discourse;
  const forum = d?.apiKey
    ? new DiscourseClient({
        baseUrl: d.url,
        apiKey: d.apiKey,
        apiUsername: d.apiUsername,
        budget: new ForumRequestBudget({ redis, keyPrefix: config.queuePrefix, requestsPerMinute: d.requestsPerMinute }),
        log,
      })
    : null;
  const categories = new CategoryCache({ store: store.categories, client: forum, log });
  const topics = new TopicCache({ store: store.topics, client: forum, log });
  const forumUsers = new ForumUsers(forum, log);
  const gitlab = config.gitlab ? new GitLabClient({ baseUrl: config.gitlab.url, token: config.gitlab.token, log: log.child({ source: 'gitlab' }) }) : null;

  const adapters = new Map<PlatformName, PlatformAdapter>();
  const profiles = platformProfiles(config.platforms.map((p) => p.profile));
  const commandDeps: CommandDeps = {
    store,
    config,
    log,
    categories,
    forumUsers,
    platforms: profiles,
    ...(gitlab ? { gitlab } : {}),
    // /topic posts forum topics with the forum's API key, GitLab issues with GitLab; either is enough.
    ...(forum || gitlab
      ? {
          transcripts: {
            settings: config.transcripts,
            timezone: config.timezone,
            ...(forum ? { forumUser: (username: string) => forumUsers.get(username) } : {}),
            ...(gitlab && config.gitlab ? { gitlab: { client: gitlab, sudo: config.gitlab.sudo, minAccess: config.gitlab.transcriptMinAccess } } : {}),
            enqueue: async (job: TranscriptJob) => void (await queues.transcripts.add('transcript', job, { ...transcriptJobOptions(), jobId: job.transcriptId })),
          },
        }
      : {}),
    memberRole: async (inv) => {
      const adapter = adapters.get(inv.platform);
      return adapter ? adapter.memberRole(inv) : { role: 'unknown', why: `${inv.platform} is not configured` };
    },
  };
  for (const { name, howToConfigure } of config.notConfigured) log.info(`${name}: not configured. ${howToConfigure}`);
  for (const platform of config.platforms) {
    const name = platform.profile.name;
    const platformLog = log.child({ platform: name });
    adapters.set(
      name,
      await platform.create({
        log: platformLog,
        store,
        handleCommand: (inv) => handleCommand(inv, commandDeps),
        handleMembership: (change) => handleMembership(change, commandDeps),
        messageLog: new ChannelMessageLog(name, store, platformLog),
      }),
    );
  }
  if (!d) {
    log.info('discourse: not configured. Set PARLEY_DISCOURSE_URL and PARLEY_DISCOURSE_WEBHOOK_SECRET, then add a webhook in Discourse (Admin → API → Webhooks) pointing at /hooks/discourse.');
  } else if (!d.webhookSecret) {
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
    forumApi: forum !== null,
    platforms: new Set(adapters.keys()),
    delivery: { delayMs: config.delivery.delaySeconds * 1000, attempts: config.delivery.attempts, excerptLength: config.delivery.excerptLength },
    gitlab,
  });

  return { config, log, redis, store, queues, forum, categories, gitlab, adapters, profiles, ingest };
}
