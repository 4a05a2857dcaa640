// A platform down for minutes (docs/architecture.md#faults): its deliveries wait without spending attempts, one
// message at a time probes it, and they all arrive once when it answers again; another platform's flow meanwhile.
// The delivery workers (jobs/workers.ts) run here with the outage's timing compressed: "minutes" become the
// platform down for 20 s with the probes' backoff capped at 2 s and 3 attempts per delivery, where each attempt
// would have failed within about 3 s (1 s, then 2 s) and the old code would have given every delivery up.
import assert from 'node:assert/strict';
import type { Worker } from 'bullmq';
import { after, before, describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { fakePlatform, type FakePlatform } from '../../bench/fake-platform.js';
import type { Ingest } from '../../jobs/ingest.js';
import { startWorkers } from '../../jobs/workers.js';
import { PlatformUnreachableError } from '../../lib/errors.js';
import { createLogger } from '../../lib/log.js';
import { metrics } from '../../lib/metrics.js';
import type { PlatformAdapter } from '../../lib/seams/platform.js';
import { eventually, postBody, startParley, topicBody, type TestParley } from '../helpers/parley.js';

const OUTAGE = { firstBackoffMs: 250, maxBackoffMs: 2000, probeLeaseMs: 5000 };
const CONCURRENCY = 4;

/** A fake platform that can be taken down: while down, every request is refused as a connection would be, and counted. */
function downable(name: string): { fake: FakePlatform; adapter: PlatformAdapter; down: boolean; refused: number[] } {
  const fake = fakePlatform(name);
  const state = { fake, down: false, refused: [] as number[], adapter: fake.adapter };
  state.adapter = {
    ...fake.adapter,
    async sendNotification(channel, notification, opts) {
      if (state.down) {
        state.refused.push(Date.now());
        throw new PlatformUnreachableError(`Fake ${name} post: ECONNREFUSED`);
      }
      return fake.adapter.sendNotification(channel, notification, opts);
    },
  };
  return state;
}

/** The most probes that fit in `ms` of outage: waits of the first backoff, doubling up to the cap. */
function mostProbes(ms: number): number {
  let probes = 0;
  for (let at = 0, wait = OUTAGE.firstBackoffMs; at + wait <= ms; at += wait, wait = Math.min(wait * 2, OUTAGE.maxBackoffMs)) probes++;
  return probes;
}

describe('a platform down for minutes', () => {
  const mattermost = downable('mattermost');
  const telegram = downable('telegram');
  let web: TestParley;
  const workers: Worker[] = [];

  before(async () => {
    // The web role queues the deliveries; the workers are started below with the compressed timing.
    web = await startParley({
      roles: ['web'],
      platforms: [mattermost.fake.factory, telegram.fake.factory],
      env: { PARLEY_DELIVERY_ATTEMPTS: '3' },
    });
    // The forum's category webhook: with it (and each topic's, below) the web role queues the deliveries itself.
    assert.equal((await web.sendWebhook('category_created', { category: { id: 4, name: 'Support', slug: 'support', read_restricted: false } })).status, 202);
    for (const platform of ['mattermost', 'telegram']) {
      const { channel } = await web.app.store.channels.ensure({ platform, externalId: `${platform}-chat`, name: platform, status: 'active', addedBy: 'cli' });
      await web.app.store.rules.add({ channelId: channel.id, source: 'discourse', filter: 'watch', scope: { type: 'category', path: 'support' }, createdBy: 'cli' });
    }
  });
  after(async () => {
    await Promise.all(workers.map((w) => w.close()));
    await web?.stop();
  });

  function startDeliveryWorkers(opts: { maxAgeMs?: number } = {}): void {
    workers.push(
      ...startWorkers({
        connection: web.app.redis,
        prefix: web.app.config.queuePrefix,
        store: web.app.store,
        log: createLogger({ level: process.env.TEST_LOG_LEVEL ?? 'silent' }),
        adapters: [mattermost.adapter, telegram.adapter],
        // Every event here is handled by the webhook itself: no ingest job is ever queued.
        ingest: { processor: () => Promise.reject(new Error('no ingest jobs in this test')) } as unknown as Ingest,
        queues: web.app.queues,
        transcripts: null,
        concurrency: CONCURRENCY,
        lockMs: 30_000,
        outage: OUTAGE,
        ...(opts.maxAgeMs === undefined ? {} : { deliveryMaxAgeMs: opts.maxAgeMs }),
      }),
    );
  }

  /** New topics: the forum's topic webhook first, as Discourse sends it. */
  const announce = async (first: number, count: number): Promise<void> => {
    for (let id = first; id < first + count; id++) {
      assert.equal((await web.sendWebhook('topic_created', topicBody({ id: 1000 + id, categoryId: 4, tags: [] }))).status, 202);
      const sent = await web.sendWebhook('post_created', postBody({ id, topicId: 1000 + id, categoryId: 4, title: `Post ${id}` }));
      assert.equal(sent.status, 202);
    }
  };

  test('its deliveries wait, probed one at a time, and all arrive once when it is back; the other platform flows meanwhile', async () => {
    startDeliveryWorkers();
    mattermost.down = true;
    const downSince = Date.now();
    await announce(1, 20);
    // The other platform is not held up by the one that is down.
    await telegram.fake.waitFor(20, 30_000);
    assert.equal(mattermost.fake.sent.length, 0);

    // More posts while it stays down; the outage lasts well past the attempts' backoff (about 3 s).
    await sleep(8000);
    await announce(21, 10);
    await telegram.fake.waitFor(30, 30_000);
    await sleep(Math.max(0, 20_000 - (Date.now() - downSince)));
    const downForMs = Date.now() - downSince;
    mattermost.down = false;
    const refused = mattermost.refused.length;

    await mattermost.fake.waitFor(30, 30_000);
    const failed = await web.app.queues.deliverQueue('mattermost').getFailedCount();
    assert.equal(failed, 0, 'no delivery was given up');
    const titles = mattermost.fake.sent.map((m) => m.notification.title);
    assert.equal(new Set(titles).size, 30, 'each post once');
    for (let id = 1; id <= 30; id++) assert.ok(titles.includes(`Post ${id}`), `Post ${id} arrived`);

    // While down: the jobs that were already on their way when the first refusal came back (at most one per
    // worker slot), then the probes, one at a time; never a request per delivery per retry.
    assert.ok(refused <= CONCURRENCY + mostProbes(downForMs), `${refused} requests while down for ${downForMs} ms`);
    assert.ok(refused < 30, `fewer requests (${refused}) than deliveries waiting (30)`);
    const counted = (await metrics().deliveries.get()).values.find((v) => v.labels.platform === 'mattermost' && v.labels.outcome === 'unreachable')?.value;
    assert.equal(counted, refused, 'each refusal counted as unreachable in parley_deliveries_total');
    const rows = await Promise.all(titles.map((_, i) => web.app.store.deliveries.getByJobId(`post-${i + 1}-ch-1`)));
    assert.ok(rows.every((d) => d?.status === 'delivered' && d.attempts === 1), 'each delivered on its first counted attempt');
    await sleep(500);
    assert.equal(mattermost.fake.sent.length, 30, 'nothing sent twice');
    assert.equal(telegram.fake.sent.length, 30);
    console.log(JSON.stringify({ downForMs, requestsWhileDown: refused, deliveriesWaiting: 30, bound: CONCURRENCY + mostProbes(downForMs) }));
  });

  test('a delivery still waiting after PARLEY_DELIVERY_MAX_AGE_HOURS fails, saying why', async () => {
    await Promise.all(workers.splice(0).map((w) => w.close()));
    startDeliveryWorkers({ maxAgeMs: 2000 });
    mattermost.down = true;
    await announce(100, 1);
    const delivery = await eventually(async () => {
      const d = await web.app.store.deliveries.getByJobId('post-100-ch-1');
      return d?.status === 'failed' ? d : undefined;
    }, 'the delivery to fail', 20_000);
    assert.match(delivery.lastError ?? '', /not delivered within .* hours of the event \(PARLEY_DELIVERY_MAX_AGE_HOURS\): Fake mattermost post: ECONNREFUSED/);
    mattermost.down = false;
  });
});
