// Runs a whole Parley (HTTP server, workers, bots) in the test process on a temporary SQLite file, its own
// BullMQ prefix on the shared Redis, and port 0, with helpers to send signed forum webhooks.
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { PLATFORMS } from '../../bots/registry.js';
import type { AdapterFactory } from '../../lib/seams/platform.js';
import { startApp, type App, type Role } from '../../cli/app/index.js';
import { loadConfig } from '../../lib/config.js';
import { signBody } from '../../lib/discourse/signature.js';
import { createLogger } from '../../lib/log.js';
import { ingestJobId } from '../../jobs/queues.js';

export const WEBHOOK_SECRET = 'test-webhook-secret-0123456789';

export interface TestParley {
  app: App;
  url: string;
  dir: string;
  env: Record<string, string>;
  /** POSTs a signed (or, with `signature`, wrongly signed) Discourse webhook; returns the HTTP status. */
  sendWebhook(event: string, body: unknown, opts?: { eventId?: string; signature?: string }): Promise<{ status: number; eventId: string }>;
  /** Waits until the event is handled: at once when the webhook did it, else when its ingest job has finished. */
  waitForIngest(eventId: string, timeoutMs?: number): Promise<void>;
  stop(): Promise<void>;
}

let eventCounter = 0;

export async function startParley(opts: { env?: Record<string, string>; platforms?: readonly AdapterFactory[]; roles?: readonly Role[] } = {}): Promise<TestParley> {
  const dir = mkdtempSync(path.join(tmpdir(), 'parley-test-'));
  const env: Record<string, string> = {
    DATABASE_URL: path.join(dir, 'parley.db'),
    PARLEY_DATA_DIR: dir,
    REDIS_URL: process.env.REDIS_URL ?? 'redis://127.0.0.1:6379',
    PARLEY_QUEUE_PREFIX: `test-${randomUUID()}`,
    PORT: '0',
    PARLEY_HOST: '127.0.0.1',
    PARLEY_DISCOURSE_URL: 'http://forum.example',
    PARLEY_DISCOURSE_WEBHOOK_SECRET: WEBHOOK_SECRET,
    PARLEY_DELIVERY_DELAY_SECONDS: '0',
    LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'silent',
    ...opts.env,
  };
  // The platforms given replace bots/registry.ts (tests plug in fakes).
  const config = loadConfig(env, opts.platforms ?? PLATFORMS);
  const app = await startApp({ config, log: createLogger({ level: env.LOG_LEVEL }), ...(opts.roles ? { roles: opts.roles } : {}) });
  const url = app.url ?? '';

  return {
    app,
    url,
    dir,
    env,
    async sendWebhook(event, body, o = {}) {
      const eventId = o.eventId ?? `${Date.now()}${++eventCounter}`;
      return { status: await postWebhook(url, event, body, { eventId, ...(o.signature ? { signature: o.signature } : {}) }), eventId };
    },
    async waitForIngest(eventId, timeoutMs = 30_000) {
      const deadline = Date.now() + timeoutMs;
      const id = ingestJobId('discourse', eventId);
      while (Date.now() < deadline) {
        const job = await app.queues.ingest.getJob(id);
        // No job: the webhook handled the event itself before it answered (the common case).
        if (!job) return;
        const state = await job.getState();
        if (state === 'completed') return;
        if (state === 'failed') throw new Error(`ingest of event ${eventId} failed: ${job?.failedReason}`);
        await sleep(25);
      }
      throw new Error(`ingest of event ${eventId} did not finish within ${timeoutMs} ms`);
    },
    async stop() {
      await app.queues.ingest.obliterate({ force: true }).catch(() => undefined);
      for (const platform of app.adapters.keys()) await app.queues.deliverQueue(platform).obliterate({ force: true }).catch(() => undefined);
      await app.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/**
 * POSTs a Discourse webhook, signed as the forum signs it (or with `signature`), to the Parley at `url`; returns the
 * HTTP status. Rejects when the connection fails (a process killed mid-request) or after `timeoutMs`.
 */
export async function postWebhook(url: string, event: string, body: unknown, o: { eventId: string; signature?: string; timeoutMs?: number }): Promise<number> {
  const raw = JSON.stringify(body);
  const res = await fetch(`${url}/hooks/discourse`, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      'x-discourse-instance': 'http://forum.example',
      'x-discourse-event-id': o.eventId,
      'x-discourse-event-type': event.split('_')[0]!,
      'x-discourse-event': event,
      'x-discourse-event-signature': o.signature ?? signBody(raw, WEBHOOK_SECRET),
    },
    body: raw,
    ...(o.timeoutMs ? { signal: AbortSignal.timeout(o.timeoutMs) } : {}),
  });
  await res.arrayBuffer();
  return res.status;
}

/** Polls until `check` returns a value other than undefined. */
export async function eventually<T>(check: () => T | undefined | Promise<T | undefined>, what: string, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(25);
  }
}

/** A Discourse post_created body, from the real 2025.12 capture, with the fields a test cares about. */
export function postBody(p: { id: number; topicId: number; postNumber?: number; categoryId: number | null; title?: string; raw?: string; archetype?: string; username?: string }): unknown {
  return {
    post: {
      id: p.id,
      name: 'Ada Lovelace',
      username: p.username ?? 'ada',
      created_at: '2026-01-02T13:58:49.606Z',
      cooked: `<p>${p.raw ?? 'Hello forum'}</p>`,
      raw: p.raw ?? 'Hello forum',
      post_number: p.postNumber ?? 1,
      post_type: 1,
      topic_id: p.topicId,
      topic_slug: 'a-topic',
      topic_title: p.title ?? 'A topic',
      category_id: p.categoryId,
      hidden: false,
      deleted_at: null,
      user_deleted: false,
      post_url: `/t/a-topic/${p.topicId}/${p.postNumber ?? 1}`,
      topic_archetype: p.archetype ?? 'regular',
      can_accept_answer: false,
    },
  };
}

export function topicBody(t: { id: number; categoryId: number; tags: string[]; title?: string }): unknown {
  return { topic: { id: t.id, title: t.title ?? 'A topic', fancy_title: t.title ?? 'A topic', slug: 'a-topic', category_id: t.categoryId, tags: t.tags, archetype: 'regular', posts_count: 1 } };
}
