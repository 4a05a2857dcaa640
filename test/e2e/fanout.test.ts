// A post matched by hundreds of channels, through the real HTTP server, Redis, BullMQ and SQLite to an in-process
// platform: a fan-out larger than the webhook handles itself goes through the ingest queue
// (docs/architecture.md#a-forum-event), and each channel is told once, also when the forum sends the webhook again.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { fakePlatform, type FakePlatform } from '../../bench/fake-platform.js';
import { INLINE_FAN_OUT_LIMIT } from '../../jobs/ingest.js';
import { eventually, postBody, startParley, type TestParley } from '../helpers/parley.js';

const CHANNELS = 300;

describe('a large fan-out', () => {
  let fake: FakePlatform;
  let parley: TestParley;

  before(async () => {
    fake = fakePlatform('telegram');
    parley = await startParley({ platforms: [fake.factory] });
    await parley.app.store.categories.replaceAll([
      { id: 1, slug: 'announcements', name: 'Announcements', parentId: null, color: '0088CC', restricted: false },
      { id: 2, slug: 'support', name: 'Support', parentId: null, color: '0088CC', restricted: false },
    ]);
    const { store } = parley.app;
    for (let i = 0; i < CHANNELS; i++) {
      const { channel } = await store.channels.ensure({ platform: 'telegram', externalId: `-100${i}`, name: `chat ${i}`, status: 'active', addedBy: 'cli' });
      await store.rules.add({ channelId: channel.id, source: 'discourse', filter: 'watch', scope: { type: 'category', path: 'announcements' }, createdBy: 'cli' });
    }
    // A channel of another category: not part of the fan-out.
    const { channel: support } = await store.channels.ensure({ platform: 'telegram', externalId: '-200', name: 'support', status: 'active', addedBy: 'cli' });
    await store.rules.add({ channelId: support.id, source: 'discourse', filter: 'watch', scope: { type: 'category', path: 'support' }, createdBy: 'cli' });
  });
  after(async () => {
    await parley?.stop();
  });

  /** Resolves once no delivery job is waiting, delayed or running. */
  const settled = () =>
    eventually(async () => {
      const counts = await parley.app.queues.deliverQueue('telegram').getJobCounts('waiting', 'prioritized', 'delayed', 'active');
      return Object.values(counts).every((n) => n === 0) ? true : undefined;
    }, 'the delivery queue to empty', 120_000);

  test(`a post for ${CHANNELS} channels reaches each of them once, and a repeated webhook sends nothing more`, async () => {
    assert.ok(CHANNELS > INLINE_FAN_OUT_LIMIT, 'the fan-out is one the webhook hands to the ingest queue');
    const body = postBody({ id: 1001, topicId: 501, categoryId: 1, title: 'Release 2.0' });
    const first = await parley.sendWebhook('post_created', body);
    assert.equal(first.status, 202);
    await parley.waitForIngest(first.eventId, 120_000);
    await fake.waitFor(CHANNELS, 120_000);

    // Discourse sends a webhook again when it got no answer in time: the same event id.
    const again = await parley.sendWebhook('post_created', body, { eventId: first.eventId });
    assert.equal(again.status, 202);
    await parley.waitForIngest(first.eventId, 120_000);
    await settled();

    const perChannel = new Map<string, number>();
    for (const s of fake.sent) perChannel.set(s.channel, (perChannel.get(s.channel) ?? 0) + 1);
    assert.equal(perChannel.size, CHANNELS, 'every channel of the category');
    assert.ok([...perChannel.values()].every((n) => n === 1), 'once each');
    assert.ok(!perChannel.has('-200'), 'not the channel of another category');
    assert.ok(fake.sent.every((s) => s.notification.title === 'Release 2.0'));
    assert.equal((await parley.app.store.deliveries.countByStatus()).delivered, CHANNELS);
  });
});
