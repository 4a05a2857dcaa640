// End to end on Discord in interactions mode: interactions signed with the application's Ed25519 key POSTed to
// Parley's own HTTP server (PING, slash commands, autocomplete), a signed Discourse webhook in, embeds out through
// discord.js's REST client to a stateful fake of Discord's API (each request checked against Discord's OpenAPI
// document): threads, edits, deletes, 429s, Missing Access, and the application commands registered only when
// they changed. Parley's HTTP answer to an interaction is handed to the fake as Discord takes it (relayAnswer),
// so that the fake checks it and later follow-ups find the interaction acknowledged.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { otherPrivateKey, postInteraction, PUBLIC_KEY, relayAnswer, signInteraction } from '../helpers/discord-request.js';
import { CHANNEL_TYPE, PERMISSIONS, rateLimitFault, startFakeDiscord, type FakeDiscord } from '../helpers/fake-discord.js';
import { startFakeForum, type FakeForum } from '../helpers/fake-forum.js';
import { eventually, postBody, startParley, type TestParley } from '../helpers/parley.js';

const GUILD = '3000000000000000001';
const MODS = '3000000000000000002';
const CH = {
  support: '3000000000000000010',
  refuse: '3000000000000000011',
  pings: '3000000000000000012',
  thread: '3000000000000000013',
  slow: '3000000000000000014',
  gone: '3000000000000000015',
  signed1: '3000000000000000016',
  signed2: '3000000000000000017',
  signed3: '3000000000000000018',
  rootless: '3000000000000000020',
  threadGone: '3000000000000000021',
  typed: '3000000000000000022',
  untyped: '3000000000000000023',
};
const FORUM = '3000000000000000019';
/** A forum channel with a `watch` rule. */
const FORUM_WATCH = '3000000000000000030';
const MOD = { id: '4000000000000000001', username: 'ada', global_name: 'Ada Admin' };
const MEMBER = { id: '4000000000000000002', username: 'mel', global_name: 'Mel Member' };
const EPHEMERAL = 64;

interface InteractionResponse {
  type: number;
  data?: { content?: string; flags?: number; choices?: { name: string; value: string }[]; allowed_mentions?: unknown };
}

describe('Discord end to end (interactions mode)', () => {
  let forum: FakeForum;
  let fake: FakeDiscord;
  let parley: TestParley;
  let env: Record<string, string>;
  let postId = 30_000;

  before(async () => {
    forum = await startFakeForum({ categories: [{ id: 4, slug: 'support', name: 'Support', color: 'F1592A' }, { id: 6, slug: 'dev', name: 'Dev' }, { id: 7, slug: 'busy', name: 'Busy' }, { id: 8, slug: 'void', name: 'Void' }, { id: 9, slug: 'superhero', name: 'Heroes', parent_category_id: 6 }, { id: 10, slug: 'ideas', name: 'Ideas' }, { id: 11, slug: 'qa', name: 'QA' }, { id: 12, slug: 'infra', name: 'Infra' }] });
    fake = await startFakeDiscord({
      guilds: [{ id: GUILD, name: 'Acme', roles: [{ id: MODS, name: 'Mods', permissions: PERMISSIONS.MANAGE_CHANNELS.toString() }], members: [{ user: MOD, roles: [MODS] }, { user: MEMBER }] }],
      channels: [...Object.entries(CH).map(([name, id]) => ({ id, type: CHANNEL_TYPE.text, name, guild_id: GUILD })), { id: FORUM, type: CHANNEL_TYPE.forum, name: 'ideas', guild_id: GUILD }, { id: FORUM_WATCH, type: CHANNEL_TYPE.forum, name: 'qa-forum', guild_id: GUILD }],
    });
    env = {
      PARLEY_DISCOURSE_URL: forum.url,
      PARLEY_DISCOURSE_API_KEY: forum.apiKey,
      PARLEY_DISCORD_MODE: 'interactions',
      PARLEY_DISCORD_PUBLIC_KEY: PUBLIC_KEY,
      PARLEY_DISCORD_TOKEN: fake.token,
      PARLEY_DISCORD_APPLICATION_ID: fake.application.id,
      PARLEY_DISCORD_API_URL: fake.url,
    };
    parley = await startParley({ env });
  });
  after(async () => {
    await parley?.stop();
    await fake?.stop();
    await forum?.stop();
    assert.deepEqual(fake?.violations ?? [], [], 'every request Parley sent Discord is one the spec allows');
  });

  /** A slash command as Discord sends it, answered by Parley; the answer reaches the fake as Discord's would. */
  async function interact(channelId: string, user: { id: string }, data: { name: string; options?: unknown[] }, type: 2 | 4 = 2): Promise<InteractionResponse> {
    const interaction = fake.createInteraction({ type, channelId, userId: user.id, data });
    const answer = await postInteraction(parley.url, interaction);
    assert.equal(answer.status, 200, JSON.stringify(answer.body));
    assert.equal(await relayAnswer(fake.url, interaction, answer.body), 204, 'Discord takes the answer');
    return answer.body as InteractionResponse;
  }
  const rule = (word: string, scope: string) => ({ name: 'discourse', options: [{ type: 1, name: word, options: [{ type: 3, name: 'scope', value: scope }] }] });
  const watch = (channelId: string, scope: string, user = MOD, word = 'watch') => interact(channelId, user, rule(word, scope));

  const posts = (channelId: string) => fake.calls('POST /channels/{channel_id}/messages').filter((r) => r.path === `/channels/${channelId}/messages`);
  async function forumPost(p: Parameters<typeof postBody>[0]) {
    const sent = await parley.sendWebhook('post_created', postBody(p));
    assert.equal(sent.status, 202);
    await parley.waitForIngest(sent.eventId);
  }
  async function delivered(channelId: string, id: number) {
    const record = await parley.app.store.channels.find('discord', channelId);
    assert.ok(record, `${channelId} is registered`);
    return eventually(async () => {
      const d = await parley.app.store.deliveries.getByJobId(`post-${id}-ch-${record.id}`);
      return d?.status === 'delivered' ? d : undefined;
    }, `post ${id} delivered to ${channelId}`);
  }

  test('PING is answered with PONG', async () => {
    const answer = await postInteraction(parley.url, { id: fake.snowflake(), application_id: fake.application.id, type: 1, token: 'ping-token', version: 1 });
    assert.equal(answer.status, 200);
    assert.deepEqual(answer.body, { type: 1 });
  });

  test('a member with Manage Channels subscribes with /discourse watch; the channel is stored active by its id', async () => {
    const answer = await watch(CH.support, 'c/support');
    assert.equal(answer.type, 4, 'answered at once (CHANNEL_MESSAGE_WITH_SOURCE)');
    assert.match(answer.data?.content ?? '', /watch c\/support/);
    assert.deepEqual(answer.data?.allowed_mentions, { parse: [] });
    const channel = await parley.app.store.channels.find('discord', CH.support);
    assert.ok(channel, 'stored');
    assert.equal(channel.status, 'active');
    assert.equal(channel.externalId, CH.support);
    assert.equal((await parley.app.store.rules.list(channel.id)).length, 1);
  });

  test('a member without the permission is refused with the reason, for them alone; nothing is stored', async () => {
    const answer = await watch(CH.refuse, 'c/support', MEMBER);
    assert.equal(answer.type, 4);
    assert.equal((answer.data?.flags ?? 0) & EPHEMERAL, EPHEMERAL, 'ephemeral');
    assert.match(answer.data?.content ?? '', /Manage Channels/);
    const channel = await parley.app.store.channels.find('discord', CH.refuse);
    assert.equal(channel ? (await parley.app.store.rules.list(channel.id)).length : 0, 0);
  });

  test("autocomplete of scope offers the forum's categories", async () => {
    await parley.app.store.categories.replaceAll([
      { id: 4, slug: 'support', name: 'Support', parentId: null, color: 'F1592A', restricted: false },
      { id: 6, slug: 'dev', name: 'Dev', parentId: null, color: null, restricted: false },
      { id: 9, slug: 'superhero', name: 'Heroes', parentId: 6, color: null, restricted: false },
    ]);
    const data = { name: 'discourse', options: [{ type: 1, name: 'watch', options: [{ type: 3, name: 'scope', value: 'su', focused: true }] }] };
    const answer = await interact(CH.support, MOD, data, 4);
    assert.equal(answer.type, 8, 'APPLICATION_COMMAND_AUTOCOMPLETE_RESULT');
    const values = (answer.data?.choices ?? []).map((c) => c.value);
    assert.ok(values.includes('c/support'), JSON.stringify(answer.data));
    assert.ok(values.includes('c/dev/superhero'), JSON.stringify(answer.data));
    assert.ok(!values.includes('c/dev'), 'only what matches');
    assert.ok((answer.data?.choices ?? []).some((c) => c.name === 'c/support (Support)'), 'named with the category');
  });

  test('a forum post arrives as an embed: no pings, a nonce Discord enforces', async () => {
    await forumPost({ id: ++postId, topicId: 800, categoryId: 4, title: 'Printer on fire', raw: 'Everything is fine' });
    const [call] = await eventually(() => (posts(CH.support).length > 0 ? posts(CH.support) : undefined), 'the notification');
    const body = call!.body as { embeds?: { title?: string; url?: string; description?: string; fields?: { name: string; value: string }[] }[]; allowed_mentions?: unknown; nonce?: string; enforce_nonce?: boolean; content?: string };
    assert.equal(body.embeds?.length, 1);
    const embed = body.embeds[0]!;
    assert.equal(embed.title, 'Printer on fire');
    assert.match(embed.url ?? '', /\/t\/a-topic\/800\/1$/);
    assert.match(embed.description ?? '', /Everything is fine/);
    assert.ok(embed.fields?.some((f) => f.name === 'Category' && f.value === 'Support'), JSON.stringify(embed.fields));
    assert.deepEqual(body.allowed_mentions, { parse: [] });
    assert.equal(typeof body.nonce, 'string');
    assert.ok(body.nonce!.length <= 25);
    assert.equal(body.enforce_nonce, true);
    const delivery = await delivered(CH.support, postId);
    assert.ok(fake.messages(CH.support).some((m) => m.id === delivery.messageRef), 'the message is in the channel, by its ref');
  });

  // Every request of the delivery path takes a turn of Discord's pace (jobs/channel-limiter.ts): a type asked on the
  // way would be one more, uncounted, per new channel.
  test("a channel's type comes with its /discourse watch: its delivery asks Discord nothing more; one added otherwise is asked once, and kept", async () => {
    const asked = (channelId: string) => fake.calls('GET /channels/{channel_id}').filter((r) => r.path === `/channels/${channelId}`).length;
    await watch(CH.typed, 'c/infra');
    await forumPost({ id: ++postId, topicId: 870, categoryId: 12, title: 'Typed' });
    await delivered(CH.typed, postId);
    assert.equal(asked(CH.typed), 0, 'no GET /channels/{id} for a channel registered by a command');

    const { channel } = await parley.app.store.channels.ensure({ platform: 'discord', externalId: CH.untyped, name: 'untyped', status: 'active', addedBy: 'cli' });
    await parley.app.store.rules.add({ channelId: channel.id, source: 'discourse', filter: 'watch', scope: { type: 'category', path: 'infra' }, createdBy: 'cli' });
    await forumPost({ id: ++postId, topicId: 871, categoryId: 12, title: 'Untyped 1' });
    await delivered(CH.untyped, postId);
    await forumPost({ id: ++postId, topicId: 872, categoryId: 12, title: 'Untyped 2' });
    await delivered(CH.untyped, postId);
    assert.equal(asked(CH.untyped), 1, 'asked once');
    assert.equal(await parley.app.store.platformState.get('discord', `channel-type:${CH.untyped}`), String(CHANNEL_TYPE.text), 'kept for other processes and restarts');
  });

  test('@everyone and @here in a forum post are delivered harmless', async () => {
    await watch(CH.pings, 'c/support');
    await forumPost({ id: ++postId, topicId: 801, categoryId: 4, title: 'Hey @everyone', raw: '@here read this, <@4000000000000000001> and <@&3000000000000000002>' });
    const [call] = await eventually(() => (posts(CH.pings).length > 0 ? posts(CH.pings) : undefined), 'the notification');
    const all = JSON.stringify(call!.body);
    assert.doesNotMatch(all, /@(everyone|here)/, 'a zero-width space breaks every mass mention');
    assert.doesNotMatch(all, /(?<!\\)<@&?\d+>/, 'user and role mentions do not reach Discord as tokens');
    assert.deepEqual((call!.body as { allowed_mentions?: unknown }).allowed_mentions, { parse: [] });
  });

  test("thread: the first post's message, replies in the thread started from it; an edit PATCHes, a deletion DELETEs", async () => {
    const answer = await watch(CH.thread, 'c/dev', MOD, 'thread');
    assert.match(answer.data?.content ?? '', /thread c\/dev/);
    await forumPost({ id: ++postId, topicId: 900, categoryId: 6, postNumber: 1, title: 'RFC' });
    const first = await delivered(CH.thread, postId);
    assert.ok(first.messageRef && fake.messages(CH.thread).some((m) => m.id === first.messageRef), 'the first post is a message of the channel');

    await forumPost({ id: ++postId, topicId: 900, categoryId: 6, postNumber: 2, title: 'RFC', raw: 'I agree' });
    const reply = await delivered(CH.thread, postId);
    assert.equal(fake.calls('POST /channels/{channel_id}/messages/{message_id}/threads').filter((r) => r.path === `/channels/${CH.thread}/messages/${first.messageRef}/threads`).length, 1, 'a thread started from it');
    const [threadId, replyId] = (reply.messageRef ?? '').split('/');
    assert.equal(threadId, first.messageRef, "the thread's id is the message's");
    const inThread = fake.messages(threadId);
    assert.deepEqual(inThread.map((m) => m.id), [replyId]);
    assert.match(JSON.stringify(inThread[0]!.embeds), /I agree/);
    assert.equal(fake.channel(threadId)?.parent_id, CH.thread);

    await parley.sendWebhook('post_edited', postBody({ id: postId, topicId: 900, categoryId: 6, postNumber: 2, title: 'RFC', raw: 'I agree, with one change' }));
    const edit = await eventually(() => fake.calls('PATCH /channels/{channel_id}/messages/{message_id}').find((r) => r.path === `/channels/${threadId}/messages/${replyId}`), 'the PATCH');
    assert.match(JSON.stringify(edit.body), /with one change/);
    assert.deepEqual((edit.body as { allowed_mentions?: unknown }).allowed_mentions, { parse: [] });
    assert.match(JSON.stringify(fake.messages(threadId)[0]!.embeds), /with one change/, 'the thread shows the edit');

    await parley.sendWebhook('post_destroyed', postBody({ id: postId, topicId: 900, categoryId: 6, postNumber: 2 }));
    await eventually(() => fake.calls('DELETE /channels/{channel_id}/messages/{message_id}').find((r) => r.path === `/channels/${threadId}/messages/${replyId}`), 'the DELETE');
    await eventually(() => (fake.messages(threadId).length === 0 ? true : undefined), 'gone from the thread');
  });

  test("thread: when the topic's announcement was deleted in Discord, a reply is posted in the channel; the channel stays active", async () => {
    await watch(CH.rootless, 'c/qa', MOD, 'thread');
    await forumPost({ id: ++postId, topicId: 960, categoryId: 11, postNumber: 1, title: 'Flaky test' });
    const first = await delivered(CH.rootless, postId);
    assert.ok(fake.removeMessage(CH.rootless, first.messageRef!), 'someone deletes the announcement');
    await forumPost({ id: ++postId, topicId: 960, categoryId: 11, postNumber: 2, title: 'Flaky test', raw: 'Fixed it' });
    const reply = await delivered(CH.rootless, postId);
    assert.ok(fake.messages(CH.rootless).some((m) => m.id === reply.messageRef && JSON.stringify(m.embeds).includes('Fixed it')), 'the reply is in the channel');
    assert.equal((await parley.app.store.channels.find('discord', CH.rootless))?.status, 'active');
  });

  test('thread: a reply whose thread was deleted in Discord counts as gone: its withdrawal is done', async () => {
    await watch(CH.threadGone, 'c/infra', MOD, 'thread');
    await forumPost({ id: ++postId, topicId: 970, categoryId: 12, postNumber: 1, title: 'Outage' });
    await delivered(CH.threadGone, postId);
    await forumPost({ id: ++postId, topicId: 970, categoryId: 12, postNumber: 2, title: 'Outage', raw: 'Resolved' });
    const reply = await delivered(CH.threadGone, postId);
    const [threadId] = (reply.messageRef ?? '').split('/');
    assert.ok(fake.removeChannel(threadId!), 'someone deletes the thread');
    await parley.sendWebhook('post_destroyed', postBody({ id: postId, topicId: 970, categoryId: 12, postNumber: 2 }));
    await eventually(async () => {
      const d = await parley.app.store.deliveries.getByJobId(reply.jobId);
      return d?.status === 'withdrawn' ? d : undefined;
    }, 'the reply withdrawn');
    assert.equal((await parley.app.store.channels.find('discord', CH.threadGone))?.status, 'active');
  });

  test('a forum channel with a thread rule: a post per topic, its replies inside it, edited there', async () => {
    await watch(FORUM, 'c/ideas', MOD, 'thread');
    await forumPost({ id: ++postId, topicId: 950, categoryId: 10, postNumber: 1, title: 'Dark mode @everyone' });
    const first = await delivered(FORUM, postId);
    const [postChannel, starter] = (first.messageRef ?? '').split('/');
    assert.equal(starter, postChannel, "a forum post's first message has the post's id");
    const created = fake.calls('POST /channels/{channel_id}/threads').find((r) => r.path === `/channels/${FORUM}/threads`);
    assert.equal((created?.body as { name?: string }).name, 'Dark mode @\u200Beveryone', 'named after the topic, no ping');
    assert.equal(fake.channel(postChannel!)?.parent_id, FORUM);

    await forumPost({ id: ++postId, topicId: 950, categoryId: 10, postNumber: 2, title: 'Dark mode', raw: 'Yes please' });
    const reply = await delivered(FORUM, postId);
    assert.equal(reply.messageRef?.split('/')[0], postChannel, 'the reply is inside the post');
    assert.equal(fake.calls('POST /channels/{channel_id}/threads').filter((r) => r.path === `/channels/${FORUM}/threads`).length, 1, 'one post for the topic');
    assert.deepEqual(fake.messages(postChannel!).map((m) => m.id), [starter, reply.messageRef?.split('/')[1]]);

    await parley.sendWebhook('post_edited', postBody({ id: postId - 1, topicId: 950, categoryId: 10, postNumber: 1, title: 'Dark mode (planned)' }));
    await eventually(() => fake.calls('PATCH /channels/{channel_id}/messages/{message_id}').find((r) => r.path === `/channels/${postChannel}/messages/${starter}`), 'the PATCH of the starter message');

    // Someone deletes the post: a later reply opens a new one, and the channel stays active.
    assert.ok(fake.removeChannel(postChannel!));
    await forumPost({ id: ++postId, topicId: 950, categoryId: 10, postNumber: 3, title: 'Dark mode', raw: 'Still wanted' });
    const later = await delivered(FORUM, postId);
    const [newPost] = (later.messageRef ?? '').split('/');
    assert.notEqual(newPost, postChannel);
    assert.equal(fake.channel(newPost!)?.parent_id, FORUM);
    assert.equal((await parley.app.store.channels.find('discord', FORUM))?.status, 'active');
  });

  test('a forum channel with a watch rule also keeps one post per topic: replies go into it', async () => {
    await watch(FORUM_WATCH, 'c/infra', MOD);
    await forumPost({ id: ++postId, topicId: 980, categoryId: 12, postNumber: 1, title: 'Disk alert' });
    const first = await delivered(FORUM_WATCH, postId);
    const [post] = (first.messageRef ?? '').split('/');
    await forumPost({ id: ++postId, topicId: 980, categoryId: 12, postNumber: 2, title: 'Disk alert', raw: 'Seen it too' });
    const reply = await delivered(FORUM_WATCH, postId);
    assert.equal(reply.messageRef?.split('/')[0], post, 'the reply is inside the topic\'s post');
    assert.equal(fake.calls('POST /channels/{channel_id}/threads').filter((r) => r.path === `/channels/${FORUM_WATCH}/threads`).length, 1, 'one post for the topic');
  });

  test('a 429 waits its retry_after in the queue and is delivered once', async () => {
    await watch(CH.slow, 'c/busy');
    fake.queue.push(rateLimitFault({ route: 'POST /channels/{channel_id}/messages', retryAfter: 1 }));
    await forumPost({ id: ++postId, topicId: 901, categoryId: 7, title: 'Slow down' });
    await delivered(CH.slow, postId);
    const attempts = posts(CH.slow).filter((r) => JSON.stringify(r.body).includes('Slow down'));
    assert.equal(attempts.length, 2, 'one refused, one accepted: the client itself does not retry');
    assert.ok(attempts[1]!.at - attempts[0]!.at >= 900, `waited the retry_after (${attempts[1]!.at - attempts[0]!.at} ms)`);
    assert.equal(fake.messages(CH.slow).filter((m) => JSON.stringify(m.embeds).includes('Slow down')).length, 1, 'delivered once');
  });

  test('Missing Access (50001) marks the channel error with what to do', async () => {
    await watch(CH.gone, 'c/void');
    fake.setChannel({ id: CH.gone, type: CHANNEL_TYPE.text, name: 'gone', guild_id: GUILD, access: false });
    await forumPost({ id: ++postId, topicId: 902, categoryId: 8, title: 'Into the void' });
    const channel = await eventually(async () => {
      const c = await parley.app.store.channels.find('discord', CH.gone);
      return c?.status === 'error' ? c : undefined;
    }, 'the channel in error');
    assert.match(channel.lastError?.message ?? '', /invite the bot/);
    assert.match(channel.lastError?.message ?? '', /View Channel/);
  });

  test('the application commands are registered at start, and again only when they changed', async () => {
    assert.deepEqual(fake.commands().map((c) => c.name).sort(), ['discourse', 'topic']);
    const puts = () => fake.calls('PUT /applications/{application_id}/commands').length;
    assert.equal(puts(), 1);
    const second = await startParley({ env });
    try {
      assert.equal(puts(), 1, 'the same definitions: no second PUT');
      assert.equal(fake.calls('GET /applications/{application_id}/commands').length, 2, 'each start compared');
    } finally {
      await second.stop();
    }
    // PARLEY_TRANSCRIPT_MAX_MESSAGES changes the definition (`last:`'s upper bound): registered again, once.
    const third = await startParley({ env: { ...env, PARLEY_TRANSCRIPT_MAX_MESSAGES: '500' } });
    try {
      assert.equal(puts(), 2);
      const topic = fake.commands().find((c) => c.name === 'topic') as { options?: { name: string; max_value?: number }[] };
      assert.equal(topic.options?.find((o) => o.name === 'last')?.max_value, 500);
    } finally {
      await third.stop();
    }
  });

  describe('signed requests', () => {
    const command = (channelId: string) => fake.createInteraction({ channelId, userId: MOD.id, data: rule('watch', 'c/support') });

    test('a wrong signature is refused with 401 and nothing is stored', async () => {
      const res = await postInteraction(parley.url, command(CH.signed1), { privateKey: otherPrivateKey() });
      assert.equal(res.status, 401);
      const garbage = await postInteraction(parley.url, command(CH.signed1), { signature: 'ab'.repeat(64) });
      assert.equal(garbage.status, 401);
      const missing = await postInteraction(parley.url, command(CH.signed1), { signature: '' });
      assert.equal(missing.status, 401);
      assert.equal(await parley.app.store.channels.find('discord', CH.signed1), undefined);
    });

    test('a stale timestamp (over five minutes old) is refused', async () => {
      const res = await postInteraction(parley.url, command(CH.signed2), { timestamp: Math.floor(Date.now() / 1000) - 6 * 60 });
      assert.equal(res.status, 401);
      assert.equal(await parley.app.store.channels.find('discord', CH.signed2), undefined);
    });

    test('the same interaction replayed is refused', async () => {
      const interaction = fake.createInteraction({ channelId: CH.signed3, userId: MOD.id, data: { name: 'discourse', options: [{ type: 1, name: 'status' }] } });
      const raw = JSON.stringify(interaction);
      const timestamp = Math.floor(Date.now() / 1000);
      const signature = signInteraction(raw, timestamp);
      const first = await postInteraction(parley.url, null, { raw, timestamp, signature });
      assert.equal(first.status, 200);
      assert.equal((first.body as InteractionResponse).type, 4);
      const again = await postInteraction(parley.url, null, { raw, timestamp, signature });
      assert.equal(again.status, 401);
      assert.match(JSON.stringify(again.body), /already received/);
    });

    test('a body that is not JSON, signed, is a 400', async () => {
      const res = await postInteraction(parley.url, null, { raw: '{not json' });
      assert.equal(res.status, 400);
    });
  });
});
