// Fan-out: one forum post matched by 2,000 channels of one platform, through the real pipeline (HTTP webhook,
// Redis, BullMQ, SQLite) to a local fake platform that refuses anything over its limits with a 429
// (bench/limited-platform.ts). ours = Parley's deliveries a second from the webhook to the last delivery;
// baseline = the platform's limit. Midway, a second post goes to a channel of another (unlimited) platform, whose
// delivery must not wait behind the fan-out. Run alone: node --import tsx bench/fanout.ts
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { startApp } from '../cli/app/index.js';
import { loadConfig } from '../lib/config.js';
import { signBody } from '../lib/discourse/signature.js';
import { silentLogger } from '../lib/log.js';
import { fakePlatform } from './fake-platform.js';
import { limitedPlatform } from './limited-platform.js';
import { BENCH_CONCURRENCY, BENCH_WEBHOOK_SECRET, benchEnv } from './app-env.js';
import { removeRunKeys } from './redis-keys.js';
import type { Benchmark } from './types.js';

const CHANNELS = 2000;
/**
 * Telegram's 30 messages a second per bot, scaled by 3: 2,000 messages take about 22 s instead of 67. Far above
 * that, the fan-out measures how fast this machine runs the pipeline rather than how Parley keeps to a limit.
 */
const TELEGRAM_PER_SECOND = 30;
const SCALE = 3;
const PER_SECOND = TELEGRAM_PER_SECOND * SCALE;
/** Telegram's one message a second per chat (not scaled: each chat gets one message here). */
const PER_CHANNEL = { max: 1, durationMs: 1000 };
const FIXTURE = new URL('../../shared/fixtures/discourse-webhooks/discourse-2025.12/post_created.body.json', import.meta.url);

export const fanout: Benchmark = async () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'parley-fanout-'));
  const secret = BENCH_WEBHOOK_SECRET;
  const limited = limitedPlatform('telegram', { perPlatform: { max: PER_SECOND, durationMs: 1000 }, perChannel: PER_CHANNEL });
  const other = fakePlatform('slack');
  const config = loadConfig(benchEnv(dir), [limited.factory, other.factory]);
  const app = await startApp({ config, log: silentLogger });
  try {
    await app.store.categories.replaceAll([
      { id: 1, slug: 'announcements', name: 'Announcements', parentId: null, color: '0088CC', restricted: false },
      { id: 2, slug: 'support', name: 'Support', parentId: null, color: '0088CC', restricted: false },
    ]);
    for (let i = 0; i < CHANNELS; i++) {
      const { channel } = await app.store.channels.ensure({ platform: 'telegram', externalId: `-100${i}`, name: `chat ${i}`, status: 'active', addedBy: 'bench' });
      await app.store.rules.add({ channelId: channel.id, source: 'discourse', filter: 'watch', scope: { type: 'category', path: 'announcements' }, createdBy: 'bench' });
    }
    const { channel: support } = await app.store.channels.ensure({ platform: 'slack', externalId: 'C-support', name: 'support', status: 'active', addedBy: 'bench' });
    await app.store.rules.add({ channelId: support.id, source: 'discourse', filter: 'watch', scope: { type: 'category', path: 'support' }, createdBy: 'bench' });

    const template = (JSON.parse(readFileSync(FIXTURE, 'utf8')) as { post: Record<string, unknown> }).post;
    const postWebhook = async (eventId: number, category: { id: number; slug: string }): Promise<void> => {
      const body = JSON.stringify({ post: { ...template, id: 100 + eventId, topic_id: 50 + eventId, category_id: category.id, category_slug: category.slug } });
      const res = await fetch(`${app.url}/hooks/discourse`, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'x-discourse-event-id': String(eventId),
          'x-discourse-event-type': 'post',
          'x-discourse-event': 'post_created',
          'x-discourse-event-signature': signBody(body, secret),
        },
        body,
      });
      if (res.status !== 202) throw new Error(`webhook ${eventId}: HTTP ${res.status}`);
    };

    const start = performance.now();
    // Timed by itself: the forum waits for this answer (a webhook handler held for the whole fan-out is the problem).
    let answered = Number.NaN;
    const announced = postWebhook(1, { id: 1, slug: 'announcements' }).then(() => void (answered = performance.now() - start));
    // The second platform's post goes once half the fan-out is out: its channel must not wait behind the rest.
    // (Raced with the first webhook, so that its refusal is what a failed run reports.)
    const half = (): Promise<void> => limited.waitFor(CHANNELS / 2, 120_000);
    await Promise.race([half(), announced.then(half)]);
    const otherStart = performance.now();
    await postWebhook(2, { id: 2, slug: 'support' });
    await other.waitFor(1, 60_000);
    const otherLatency = performance.now() - otherStart;
    await announced;
    await limited.waitFor(CHANNELS, 300_000);
    const first = limited.acceptedAt[0]! - start;
    const last = limited.acceptedAt[CHANNELS - 1]! - start;
    const ours = CHANNELS / (last / 1000);
    const uniqueChannels = new Set(limited.sent.map((s) => s.channel)).size;
    if (uniqueChannels !== CHANNELS) throw new Error(`fan-out reached ${uniqueChannels} distinct channels of ${CHANNELS}`);
    return {
      name: 'fanout',
      ours: Math.round(ours),
      baseline: PER_SECOND,
      ratio: Number((ours / PER_SECOND).toFixed(3)),
      unit: 'deliveries/s',
      details: {
        channels: CHANNELS,
        scale: `global limit ${PER_SECOND}/s: Telegram's ${TELEGRAM_PER_SECOND}/s x ${SCALE}; per channel ${PER_CHANNEL.max} per ${PER_CHANNEL.durationMs} ms (Telegram's, unscaled)`,
        enforcement: 'sliding window: a message is refused (429, retry_after in whole seconds) when the limit was reached in the window before it; refused messages do not count',
        ours_measured: 'channels / (last delivery - webhook sent)',
        webhook_answered_ms: Math.round(answered),
        first_delivery_ms: Math.round(first),
        last_delivery_ms: Math.round(last),
        steady_per_s: Number(((CHANNELS - 1) / ((last - first) / 1000)).toFixed(1)),
        rate_limited_429s: limited.refused,
        other_platform_latency_ms: Math.round(otherLatency),
        worker_concurrency: BENCH_CONCURRENCY,
      },
    };
  } finally {
    await app.stop();
    await removeRunKeys(app.config.queuePrefix);
    rmSync(dir, { recursive: true, force: true });
  }
};

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  console.log(JSON.stringify(await fanout()));
  process.exit(0);
}
