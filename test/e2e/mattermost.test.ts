// End to end on Mattermost: a slash command subscribes a channel, a signed Discourse webhook arrives, and the
// channel's incoming webhook receives the notification. The forum is a stateful fake whose requests are
// checked against Discourse's OpenAPI spec by Prism.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { startFakeForum, type FakeForum } from '../helpers/fake-forum.js';
import { postBody, startParley, topicBody, type TestParley } from '../helpers/parley.js';
import { startPrism, type PrismServer } from '../helpers/prism.js';
import { startWebhookReceiver, type WebhookReceiver } from '../helpers/webhook-receiver.js';

const SPEC = new URL('../../../shared/specs/discourse-openapi.json', import.meta.url).pathname;
const COMMAND_TOKEN = 'mm-command-token';

describe('Mattermost end to end', () => {
  let prism: PrismServer;
  let forum: FakeForum;
  let parley: TestParley;
  let hook: WebhookReceiver;
  let postId = 9000;

  before(async () => {
    prism = await startPrism(SPEC, { errors: true });
    forum = await startFakeForum({
      validatorUrl: prism.url,
      categories: [
        { id: 4, slug: 'support', name: 'Support', color: 'F1592A' },
        { id: 5, slug: 'staff', name: 'Staff', read_restricted: true },
      ],
    });
    hook = await startWebhookReceiver();
    parley = await startParley({
      env: {
        PARLEY_DISCOURSE_URL: forum.url,
        PARLEY_DISCOURSE_API_KEY: forum.apiKey,
        PARLEY_MATTERMOST_URL: 'http://127.0.0.1:9', // REST is not used: channels deliver by incoming webhook
        PARLEY_MATTERMOST_COMMAND_TOKEN: COMMAND_TOKEN,
        PARLEY_RULES_PERMISSION: 'anyone',
      },
    });
  });

  after(async () => {
    await parley?.stop();
    await hook?.stop();
    await forum?.stop();
    await prism?.stop();
  });

  async function slash(channelId: string, text: string, token = COMMAND_TOKEN) {
    const res = await fetch(`${parley.url}/hooks/mattermost/command`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ token, team_id: 'team1', team_domain: 'community', channel_id: channelId, channel_name: 'town-square', user_id: 'u1', user_name: 'moderator', command: '/discourse', text }),
    });
    return { status: res.status, body: (await res.json()) as { response_type?: string; text?: string } };
  }

  async function webhookChannel(channelId: string): Promise<void> {
    const { channel } = await parley.app.store.channels.ensure({ platform: 'mattermost', externalId: channelId, name: channelId, status: 'active', addedBy: 'cli' });
    await parley.app.store.channels.update(channel.id, { settings: { webhookUrl: hook.url } });
  }

  /** Sends a post and waits until its ingest finished; returns how many deliveries it queued. */
  async function post(p: Parameters<typeof postBody>[0]) {
    const sent = await parley.sendWebhook('post_created', postBody(p));
    assert.equal(sent.status, 202);
    await parley.waitForIngest(sent.eventId);
    return sent;
  }

  test('a slash command subscribes, and a forum post in that category arrives through the incoming webhook', async () => {
    await webhookChannel('ch-support');
    const reply = await slash('ch-support', 'watch c/support');
    assert.equal(reply.status, 200);
    assert.equal(reply.body.response_type, 'in_channel');
    assert.match(reply.body.text ?? '', /watch c\/support/);

    const before = hook.accepted().length;
    await post({ id: ++postId, topicId: 700, categoryId: 4, title: 'Printer on fire', raw: 'It is @everyone for themselves' });
    const [message] = (await hook.waitForAccepted(before + 1)).slice(before);
    const attachment = (message!.attachments as Record<string, unknown>[])[0]!;
    assert.equal(attachment.title, 'Printer on fire');
    assert.equal(attachment.title_link, `${forum.url}/t/a-topic/700/1`);
    assert.equal(attachment.color, '#F1592A');
    assert.doesNotMatch(JSON.stringify(message), /@everyone/, 'mass mention neutralised');
    assert.deepEqual(forum.violations, [], 'every forum request matched the Discourse spec');
  });

  test('a wrong command token is refused and changes nothing', async () => {
    const reply = await slash('ch-other', 'watch all', 'not-the-token');
    assert.equal(reply.status, 401);
    assert.equal(await parley.app.store.channels.find('mattermost', 'ch-other'), undefined);
  });

  test('a webhook with a wrong signature is refused and nothing is delivered', async () => {
    const before = hook.received.length;
    const sent = await parley.sendWebhook('post_created', postBody({ id: ++postId, topicId: 701, categoryId: 4 }), { signature: 'sha256=' + '0'.repeat(64) });
    assert.equal(sent.status, 401);
    assert.equal(await parley.app.queues.ingest.getJob(`discourse-event-${sent.eventId}`), undefined);
    assert.equal((await parley.app.store.deliveries.findBySubject(`discourse:post:${postId}`)).length, 0);
    assert.equal(hook.received.length, before);
  });

  test('a repeated event, and the same post under a new event id, are delivered once', async () => {
    const before = hook.accepted().length;
    const body = postBody({ id: ++postId, topicId: 702, categoryId: 4, title: 'Said twice' });
    const first = await parley.sendWebhook('post_created', body, { eventId: `dup-${postId}` });
    await parley.waitForIngest(first.eventId);
    const again = await parley.sendWebhook('post_created', body, { eventId: `dup-${postId}` });
    assert.equal(again.status, 202);
    const other = await parley.sendWebhook('post_created', body, { eventId: `dup2-${postId}` });
    await parley.waitForIngest(other.eventId);
    await hook.waitForAccepted(before + 1);
    // A sentinel delivered after the repeats: once it is in, the repeats had every chance to arrive.
    await post({ id: ++postId, topicId: 703, categoryId: 4, title: 'Sentinel' });
    const all = await hook.waitForAccepted(before + 2);
    const titles = all.slice(before).map((m) => (m.attachments as { title: string }[])[0]!.title);
    assert.deepEqual(titles.filter((t) => t === 'Said twice'), ['Said twice']);
  });

  test('mute beats watch: a muted tag is not delivered even though the category is watched', async () => {
    await webhookChannel('ch-mute');
    assert.equal((await slash('ch-mute', 'watch c/support')).status, 200);
    assert.match((await slash('ch-mute', 'mute t/noise')).body.text ?? '', /mute t\/noise/);
    const topic = await parley.sendWebhook('topic_created', topicBody({ id: 800, categoryId: 4, tags: ['noise'] }));
    await parley.waitForIngest(topic.eventId);
    await post({ id: ++postId, topicId: 800, categoryId: 4, title: 'Noisy' });
    const channel = (await parley.app.store.channels.find('mattermost', 'ch-mute'))!;
    const deliveries = await parley.app.store.deliveries.findBySubject(`discourse:post:${postId}`);
    assert.equal(deliveries.filter((d) => d.channelId === channel.id).length, 0);
  });

  test('follow announces new topics but ignores replies', async () => {
    await webhookChannel('ch-follow');
    await slash('ch-follow', 'follow all');
    const channel = (await parley.app.store.channels.find('mattermost', 'ch-follow'))!;
    await post({ id: ++postId, topicId: 900, categoryId: 4, postNumber: 1 });
    assert.equal((await parley.app.store.deliveries.findBySubject(`discourse:post:${postId}`)).filter((d) => d.channelId === channel.id).length, 1);
    await post({ id: ++postId, topicId: 900, categoryId: 4, postNumber: 2 });
    assert.equal((await parley.app.store.deliveries.findBySubject(`discourse:post:${postId}`)).filter((d) => d.channelId === channel.id).length, 0);
  });

  test('a read-restricted category never reaches a channel through all', async () => {
    await webhookChannel('ch-all');
    await slash('ch-all', 'watch all');
    const channel = (await parley.app.store.channels.find('mattermost', 'ch-all'))!;
    await post({ id: ++postId, topicId: 901, categoryId: 5, title: 'Staff only' });
    assert.equal((await parley.app.store.deliveries.findBySubject(`discourse:post:${postId}`)).filter((d) => d.channelId === channel.id).length, 0);
    // …while a public post does reach it, so the rule itself works.
    await post({ id: ++postId, topicId: 902, categoryId: 4, title: 'Public' });
    assert.equal((await parley.app.store.deliveries.findBySubject(`discourse:post:${postId}`)).filter((d) => d.channelId === channel.id).length, 1);
  });
});
