// GET /metrics of a whole Parley (HTTP server, workers, SQLite, Redis) delivering to an in-process platform: a
// forum event is counted as delivered with its latency, a 429 as rate_limited, the webhook's answer is timed, the
// queue gauges are there; the token guards the route; and every log line of one event carries its id.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import { after, before, describe, test } from 'node:test';
import { pino } from 'pino';
import { fakePlatform, type FakePlatform } from '../../bench/fake-platform.js';
import { startApp, type App } from '../../cli/app/index.js';
import { loadConfig } from '../../lib/config.js';
import { dueSince } from '../../lib/metrics.js';
import { startFakeForum, type FakeForum } from '../helpers/fake-forum.js';
import { eventually, postBody, postWebhook, WEBHOOK_SECRET } from '../helpers/parley.js';

const METRICS_TOKEN = 'metrics-test-token-0123456789';

/** One sample of the exposition text: the value of `name` with exactly these labels, or undefined. */
function sample(text: string, name: string, labels: Record<string, string>): number | undefined {
  for (const line of text.split('\n')) {
    const m = /^([a-zA-Z_:][\w:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!m || m[1] !== name) continue;
    const got = new Map([...(m[2] ?? '').matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)].map((l): [string, string] => [l[1]!, l[2]!]));
    if (got.size === Object.keys(labels).length && Object.entries(labels).every(([k, v]) => got.get(k) === v)) return Number(m[3]);
  }
  return undefined;
}

describe('metrics', () => {
  let forum: FakeForum;
  let fake: FakePlatform;
  let app: App;
  let dir: string;
  /** Every log line the app wrote, parsed. */
  const lines: Record<string, unknown>[] = [];
  let eventCounter = 0;

  before(async () => {
    forum = await startFakeForum({ categories: [{ id: 4, slug: 'support', name: 'Support' }] });
    fake = fakePlatform('telegram');
    dir = mkdtempSync(path.join(tmpdir(), 'parley-metrics-'));
    const env = {
      DATABASE_URL: path.join(dir, 'parley.db'),
      PARLEY_DATA_DIR: dir,
      REDIS_URL: process.env.REDIS_URL ?? 'redis://127.0.0.1:6379',
      PARLEY_QUEUE_PREFIX: `test-${randomUUID()}`,
      PORT: '0',
      PARLEY_HOST: '127.0.0.1',
      PARLEY_DISCOURSE_URL: forum.url,
      PARLEY_DISCOURSE_API_KEY: forum.apiKey,
      PARLEY_DISCOURSE_WEBHOOK_SECRET: WEBHOOK_SECRET,
      PARLEY_DELIVERY_DELAY_SECONDS: '0',
      PARLEY_METRICS_TOKEN: METRICS_TOKEN,
    };
    const sink = new Writable({
      write(chunk: Buffer, _enc, done) {
        for (const l of chunk.toString('utf8').split('\n')) if (l.trim()) lines.push(JSON.parse(l) as Record<string, unknown>);
        done();
      },
    });
    app = await startApp({ config: loadConfig(env, [fake.factory]), log: pino({ level: 'debug' }, sink) });
    const { channel } = await app.store.channels.ensure({ platform: 'telegram', externalId: '-100', name: 'support', status: 'active', addedBy: 'cli' });
    await app.store.rules.add({ channelId: channel.id, source: 'discourse', filter: 'watch', scope: { type: 'category', path: 'support' }, createdBy: 'cli' });
  });

  after(async () => {
    await app?.queues.ingest.obliterate({ force: true }).catch(() => undefined);
    await app?.queues.deliverQueue('telegram').obliterate({ force: true }).catch(() => undefined);
    await app?.stop();
    await forum?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  async function sendPost(postId: number): Promise<{ status: number; eventId: string }> {
    const eventId = `${Date.now()}${++eventCounter}`;
    return { status: await postWebhook(app.url ?? '', 'post_created', postBody({ id: postId, topicId: postId, categoryId: 4 }), { eventId }), eventId };
  }

  async function scrape(): Promise<string> {
    const res = await fetch(`${app.url}/metrics`, { headers: { authorization: `Bearer ${METRICS_TOKEN}` } });
    assert.equal(res.status, 200);
    assert.match(res.headers.get('content-type') ?? '', /^text\/plain; version=0\.0\.4/);
    return res.text();
  }

  test('a delivered event: counted once for its platform, its latency observed once, the webhook timed, the queues gauged', async () => {
    const { status } = await sendPost(1001);
    assert.equal(status, 202);
    await fake.waitFor(1, 30_000);
    // The counter moves right after the send returns: wait for it rather than race it.
    const text = await eventually(async () => {
      const t = await scrape();
      return sample(t, 'parley_deliveries_total', { platform: 'telegram', outcome: 'delivered' }) === 1 ? t : undefined;
    }, 'the delivered counter');
    assert.equal(sample(text, 'parley_event_to_delivered_seconds_count', { platform: 'telegram' }), 1);
    const seconds = sample(text, 'parley_event_to_delivered_seconds_sum', { platform: 'telegram' })!;
    assert.ok(seconds > 0 && seconds < 30, `latency ${seconds} s`);
    assert.equal(sample(text, 'parley_webhook_request_duration_seconds_count', { source: 'discourse', status: '202' }), 1);
    for (const queue of ['ingest', 'transcripts', 'deliver-telegram']) {
      assert.equal(typeof sample(text, 'parley_queue_jobs', { queue, state: 'waiting' }), 'number', `${queue} waiting`);
      assert.equal(sample(text, 'parley_queue_oldest_waiting_age_seconds', { queue }), 0, `${queue}: nothing waits`);
    }
    // prom-client's process metrics are there too.
    assert.equal(typeof sample(text, 'process_cpu_seconds_total', {}), 'number');
  });

  test("a platform's 429 is counted as rate_limited, and the delivery as delivered after it", async () => {
    const before = await scrape();
    const delivered = sample(before, 'parley_deliveries_total', { platform: 'telegram', outcome: 'delivered' }) ?? 0;
    const sent = fake.sent.length;
    fake.rateLimitNext(1, 50);
    assert.equal((await sendPost(1002)).status, 202);
    await fake.waitFor(sent + 1, 30_000);
    const text = await eventually(async () => {
      const t = await scrape();
      return sample(t, 'parley_deliveries_total', { platform: 'telegram', outcome: 'delivered' }) === delivered + 1 ? t : undefined;
    }, 'the second delivery counted');
    assert.equal(sample(text, 'parley_deliveries_total', { platform: 'telegram', outcome: 'rate_limited' }), 1);
    assert.equal(sample(text, 'parley_event_to_delivered_seconds_count', { platform: 'telegram' }), delivered + 1);
  });

  test('with PARLEY_METRICS_TOKEN, /metrics without the bearer token is refused', async () => {
    assert.equal((await fetch(`${app.url}/metrics`)).status, 401);
    assert.equal((await fetch(`${app.url}/metrics`, { headers: { authorization: 'Bearer wrong-token-0123456789' } })).status, 401);
  });

  test("every log line of one event's path carries its id", async () => {
    const sent = fake.sent.length;
    // A 429 on the way, so the delivery logs a line besides its `delivered` one.
    fake.rateLimitNext(1, 50);
    const { eventId } = await sendPost(1003);
    await fake.waitFor(sent + 1, 30_000);
    const mine = (l: Record<string, unknown>) => l.eventId === eventId || (typeof l.delivery === 'string' && l.delivery.startsWith('post-1003-'));
    await eventually(() => (lines.some((l) => mine(l) && l.msg === 'delivered') ? true : undefined), 'the delivered line');
    const path = lines.filter(mine);
    assert.deepEqual(
      path.map((l) => l.msg),
      ['event processed', 'platform rate limit: delivery postponed', 'delivered'],
      'the webhook handles the event, the delivery is postponed once, then sent',
    );
    for (const l of path) assert.equal(l.eventId, eventId, `"${String(l.msg)}" carries the event id`);

    // The post edited: the follow-up that edits the chat message logs with the edit's event id.
    const edit = `${Date.now()}${++eventCounter}`;
    assert.equal(await postWebhook(app.url ?? '', 'post_edited', postBody({ id: 1003, topicId: 1003, categoryId: 4, raw: 'edited' }), { eventId: edit }), 202);
    const edited = await eventually(() => lines.find((l) => l.msg === 'sent message edited' && typeof l.deliveryId === 'string' && l.deliveryId.startsWith('post-1003-')), 'the edit logged');
    assert.equal(edited.eventId, edit);
  });
});

test('a waiting job has been due since its delay ran out after it was made, or after it last ran', () => {
  assert.equal(dueSince({ timestamp: 1000, delay: 0 }), 1000);
  assert.equal(dueSince({ timestamp: 1000, delay: 15_000 }), 16_000);
  // Postponed (moveToDelayed) or retried: its delay counts from when it last ran.
  assert.equal(dueSince({ timestamp: 1000, processedOn: 50_000, delay: 2000 }), 52_000);
});
