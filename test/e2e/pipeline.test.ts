// The forum → chat pipeline through the real HTTP server, Redis, BullMQ and SQLite, to an in-process platform:
// the delivery delay (a post deleted meanwhile is never announced, an edit meanwhile is announced as edited),
// threads, permanent errors marking the channel, and announcements edited or deleted when their post is.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { PlatformPermanentError } from '../../lib/errors.js';
import { startFakeForum, type FakeForum } from '../helpers/fake-forum.js';
import { fakeFactory, fakePlatform, type FakePlatform } from '../../bench/fake-platform.js';
import { eventually, postBody, startParley, topicBody, type TestParley } from '../helpers/parley.js';

describe('pipeline', () => {
  let forum: FakeForum;
  let fake: FakePlatform;
  let parley: TestParley;
  let failing = false;
  /** While set, sends wait for it: a delivery caught in flight. */
  let holdSends: Promise<void> | null = null;
  /** Messages someone already deleted in the chat: editing or deleting them answers "not found". */
  const goneInChat = new Set<string>();
  const notFound = (ref: string) => new PlatformPermanentError('message_not_found', `Bad Request: message ${ref} not found`);

  before(async () => {
    forum = await startFakeForum({ categories: [{ id: 4, slug: 'support', name: 'Support' }] });
    fake = fakePlatform('telegram');
    // The same fake, answering "chat not found" while `failing` is set.
    const factory = fakeFactory('telegram', () => {
        const adapter = fake.adapter;
        return {
          ...adapter,
          sendNotification: async (channel, n, opts) => {
            if (failing) throw new PlatformPermanentError('channel_not_found', 'Bad Request: chat not found');
            if (holdSends) await holdSends;
            return adapter.sendNotification(channel, n, opts);
          },
          editNotification: async (channel, ref, n) => {
            if (goneInChat.has(ref)) throw notFound(ref);
            return adapter.editNotification!(channel, ref, n);
          },
          deleteNotification: async (channel, ref) => {
            if (goneInChat.has(ref)) throw notFound(ref);
            return adapter.deleteNotification!(channel, ref);
          },
        };
    });
    parley = await startParley({ platforms: [factory], env: { PARLEY_DISCOURSE_URL: forum.url, PARLEY_DISCOURSE_API_KEY: forum.apiKey, PARLEY_DELIVERY_DELAY_SECONDS: '2' } });
  });
  after(async () => {
    await parley?.stop();
    await forum?.stop();
  });

  async function channelWith(externalId: string, filter: 'watch' | 'thread'): Promise<number> {
    const { channel } = await parley.app.store.channels.ensure({ platform: 'telegram', externalId, name: externalId, status: 'active', addedBy: 'cli' });
    await parley.app.store.rules.add({ channelId: channel.id, source: 'discourse', filter, scope: { type: 'category', path: 'support' }, createdBy: 'cli' });
    return channel.id;
  }
  const sentTo = (externalId: string) => fake.sent.filter((s) => s.channel === externalId);

  test('a post deleted during the delivery delay is never announced', async () => {
    const channelId = await channelWith('-1', 'watch');
    await parley.sendWebhook('post_created', postBody({ id: 101, topicId: 11, categoryId: 4, title: 'Oops' }));
    await parley.sendWebhook('post_destroyed', postBody({ id: 101, topicId: 11, categoryId: 4, title: 'Oops' }));
    await parley.sendWebhook('post_created', postBody({ id: 102, topicId: 12, categoryId: 4, title: 'Kept' }));
    await eventually(() => (sentTo('-1').length >= 1 ? true : undefined), 'the kept post', 30_000);
    assert.deepEqual(sentTo('-1').map((s) => s.notification.title), ['Kept']);
    const deleted = await parley.app.store.deliveries.getByJobId(`post-101-ch-${channelId}`);
    assert.ok(deleted === undefined || deleted.status === 'cancelled', 'never queued, or cancelled');
  });

  test('a post edited during the delay is announced with its edited text', async () => {
    await channelWith('-2', 'watch');
    await parley.sendWebhook('post_created', postBody({ id: 201, topicId: 21, categoryId: 4, raw: 'first draft' }));
    await parley.sendWebhook('post_edited', postBody({ id: 201, topicId: 21, categoryId: 4, raw: 'final text' }));
    await eventually(() => (sentTo('-2').length >= 1 ? true : undefined), 'the edited post');
    assert.equal(sentTo('-2')[0]!.notification.excerpt, 'final text');
  });

  test('thread: replies go under the announcement of the topic', async () => {
    await channelWith('-3', 'thread');
    await parley.sendWebhook('post_created', postBody({ id: 301, topicId: 31, categoryId: 4, postNumber: 1 }));
    await eventually(() => (sentTo('-3').length >= 1 ? true : undefined), 'the first post');
    await parley.sendWebhook('post_created', postBody({ id: 302, topicId: 31, categoryId: 4, postNumber: 2 }));
    await eventually(() => (sentTo('-3').length >= 2 ? true : undefined), 'the reply');
    const [first, reply] = sentTo('-3');
    assert.equal(first!.threadRoot, null);
    const root = await parley.app.store.deliveries.threadRoot((await parley.app.store.channels.find('telegram', '-3'))!.id, 'discourse:topic:31');
    assert.ok(root);
    assert.equal(reply!.threadRoot, root);
  });

  test('a permanent error marks the channel error with the reason; the next success clears it', async () => {
    const channelId = await channelWith('-4', 'watch');
    failing = true;
    await parley.sendWebhook('post_created', postBody({ id: 401, topicId: 41, categoryId: 4 }));
    const broken = await eventually(async () => {
      const c = await parley.app.store.channels.get(channelId);
      return c?.status === 'error' ? c : undefined;
    }, 'the channel to be marked');
    assert.equal(broken.lastError?.code, 'channel_not_found');
    assert.match(broken.lastError?.message ?? '', /chat not found/);
    assert.equal((await parley.app.store.deliveries.getByJobId(`post-401-ch-${channelId}`))?.status, 'failed');
    failing = false;
    await parley.sendWebhook('post_created', postBody({ id: 402, topicId: 42, categoryId: 4 }));
    await eventually(async () => ((await parley.app.store.channels.get(channelId))?.status === 'active' ? true : undefined), 'the channel to recover');
  });

  test('a webhook cut short after its delivery rows were written is delivered once when the forum sends it again', async () => {
    const channelId = await channelWith('-20', 'watch');
    // The topic known, so that the webhook handles the post itself.
    await parley.sendWebhook('topic_created', topicBody({ id: 2000, categoryId: 4, tags: [] }));
    const { queues } = parley.app;
    const { addDelivery } = queues;
    const ingestAdd = queues.ingest.add.bind(queues.ingest);
    // Redis lost mid-way, as a process killed there would leave it: the rows written, no job, the webhook unanswered.
    queues.addDelivery = () => Promise.reject(new Error('Connection is closed.'));
    queues.ingest.add = () => Promise.reject(new Error('Connection is closed.'));
    const body = postBody({ id: 2001, topicId: 2000, categoryId: 4, title: 'Cut short' });
    let first: { status: number; eventId: string };
    try {
      first = await parley.sendWebhook('post_created', body);
    } finally {
      queues.addDelivery = addDelivery;
      queues.ingest.add = ingestAdd;
    }
    assert.equal(first.status, 503, 'the forum is told to send it again');
    assert.equal((await parley.app.store.deliveries.getByJobId(`post-2001-ch-${channelId}`))?.status, 'queued', 'its row was written');

    const again = await parley.sendWebhook('post_created', body, { eventId: first.eventId });
    assert.equal(again.status, 202);
    await parley.sendWebhook('post_created', body, { eventId: first.eventId });
    await parley.sendWebhook('post_created', postBody({ id: 2002, topicId: 2002, categoryId: 4, title: 'After' }));
    await eventually(() => (sentTo('-20').length >= 2 ? true : undefined), 'both posts');
    assert.deepEqual(sentTo('-20').map((s) => s.notification.title).sort(), ['After', 'Cut short']);
  });

  describe('after the announcement', () => {
    /** Announces a post in a new channel; returns the channel id and the message's reference. */
    async function announced(externalId: string, postId: number): Promise<{ channelId: number; ref: string }> {
      const channelId = await channelWith(externalId, 'watch');
      await parley.sendWebhook('post_created', postBody({ id: postId, topicId: postId, categoryId: 4, raw: 'first version' }));
      const delivery = await eventually(async () => {
        const d = await parley.app.store.deliveries.getByJobId(`post-${postId}-ch-${channelId}`);
        return d?.status === 'delivered' ? d : undefined;
      }, 'the announcement');
      return { channelId, ref: delivery.messageRef! };
    }

    test('an edited post edits the chat message to its latest text', async () => {
      const { ref } = await announced('-5', 501);
      await parley.sendWebhook('post_edited', postBody({ id: 501, topicId: 501, categoryId: 4, raw: 'second version' }));
      await parley.sendWebhook('post_edited', postBody({ id: 501, topicId: 501, categoryId: 4, raw: 'third version' }));
      await eventually(() => (fake.shown().get(ref)?.excerpt === 'third version' ? true : undefined), 'the message edited to the last version');
      // Every channel watching the category got the post; each of its messages is edited, no other message.
      const ofPost = new Set(fake.sent.map((m, i) => (m.notification.subject === 'discourse:post:501' ? String(i + 1) : null)).filter((r) => r !== null));
      assert.ok(fake.edited.every((e) => ofPost.has(e.messageRef)), 'only the messages of that post were edited');
      await eventually(() => ([...ofPost].every((r) => fake.shown().get(r)?.excerpt === 'third version') ? true : undefined), 'all its messages edited');
      assert.equal(sentTo('-5').length, 1, 'edited in place, not announced again');
    });

    test('a deleted post deletes the chat message; the delivery is marked withdrawn', async () => {
      const { channelId, ref } = await announced('-6', 601);
      await parley.sendWebhook('post_destroyed', postBody({ id: 601, topicId: 601, categoryId: 4 }));
      await eventually(() => (fake.deleted.includes(ref) ? true : undefined), 'the message deleted');
      await eventually(async () => ((await parley.app.store.deliveries.getByJobId(`post-601-ch-${channelId}`))?.status === 'withdrawn' ? true : undefined), 'withdrawn');
      // The same deletion again (Discourse retries) deletes nothing more.
      await parley.sendWebhook('post_destroyed', postBody({ id: 601, topicId: 601, categoryId: 4 }));
      await new Promise((r) => setTimeout(r, 500));
      assert.equal(fake.deleted.filter((d) => d === ref).length, 1);
    });

    test('a post hidden by an edit (flagged) is taken back the same way', async () => {
      const { ref } = await announced('-7', 701);
      const hidden = postBody({ id: 701, topicId: 701, categoryId: 4 }) as { post: Record<string, unknown> };
      hidden.post.hidden = true;
      await parley.sendWebhook('post_edited', hidden);
      await eventually(() => (fake.deleted.includes(ref) ? true : undefined), 'the message deleted');
    });

    test('a message someone already deleted in the chat: the edit is dropped, the withdrawal counts as done, neither retried', async () => {
      const { channelId, ref } = await announced('-9', 901);
      goneInChat.add(ref);
      const editsBefore = fake.edited.length;
      const edit = await parley.sendWebhook('post_edited', postBody({ id: 901, topicId: 901, categoryId: 4, raw: 'too late' }));
      await parley.sendWebhook('post_destroyed', postBody({ id: 901, topicId: 901, categoryId: 4 }));
      const delivery = await eventually(async () => {
        const d = await parley.app.store.deliveries.getByJobId(`post-901-ch-${channelId}`);
        return d?.status === 'withdrawn' ? d : undefined;
      }, 'the delivery withdrawn');
      assert.equal(delivery.lastError, null);
      const queue = parley.app.queues.deliverQueue('telegram');
      for (const id of [`post-901-ch-${channelId}-edit-${edit.eventId}`, `post-901-ch-${channelId}-withdraw`]) {
        const followUp = await eventually(async () => ((await (await queue.getJob(id))?.getState()) === 'completed' ? queue.getJob(id) : undefined), `${id} done`);
        assert.equal(followUp?.attemptsMade, 1, `${id} not retried`);
      }
      assert.equal(fake.edited.slice(editsBefore).filter((e) => e.messageRef === ref).length, 0);
    });

    test('a post deleted while its announcement is being sent: the message is deleted once it exists', async () => {
      const channelId = await channelWith('-8', 'watch');
      let release: () => void = () => undefined;
      holdSends = new Promise((r) => (release = r));
      try {
        await parley.sendWebhook('post_created', postBody({ id: 801, topicId: 801, categoryId: 4 }));
        const jobId = `post-801-ch-${channelId}`;
        await eventually(async () => ((await (await parley.app.queues.deliverQueue('telegram').getJob(jobId))?.isActive()) ? true : undefined), 'the send in flight');
        await parley.sendWebhook('post_destroyed', postBody({ id: 801, topicId: 801, categoryId: 4 }));
      } finally {
        holdSends = null;
        release();
      }
      const delivery = await eventually(async () => {
        const d = await parley.app.store.deliveries.getByJobId(`post-801-ch-${channelId}`);
        return d?.status === 'withdrawn' ? d : undefined;
      }, 'the announcement withdrawn after it was sent');
      assert.ok(fake.deleted.includes(delivery.messageRef!));
    });
  });
});
