// What the Mattermost adapter does for /topic transcripts: the /topic slash command, later answers
// (replyLater: response_url, else the channel) and the channel history (fetchHistory), against local HTTP
// servers playing Mattermost.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import Fastify from 'fastify';
import type { AdapterDeps, PlatformAdapter } from '../../lib/seams/platform.js';
import { createMattermostAdapter, type MattermostAdapterOptions } from '../../bots/mattermost/adapter.js';
import type { MattermostChannelPost, MattermostUserProfile } from '../../bots/mattermost/client.js';
import type { MattermostContext } from '../../bots/mattermost/context.js';
import { mattermost } from '../../bots/mattermost/index.js';
import type { MattermostSettings } from '../../bots/mattermost/settings.js';
import type { CommandInvocation } from '../../lib/seams/invocation.js';
import { PlatformPermanentError, PlatformTransientError } from '../../lib/errors.js';
import { silentLogger } from '../../lib/log.js';
import { openStore } from '../../lib/store/index.js';
import type { ChannelRecord, Store } from '../../lib/seams/store.js';
import type { ChatMessage, TranscriptRange } from '../../lib/transcript/types.js';
import { startFakeMattermost, type Answer, type FakeMattermost, type RecordedRequest } from '../helpers/fake-mattermost.js';
import { rejection } from '../helpers/rejection.js';

const BOT_TOKEN = 'bot-token-9kg8nqrnxprd9jbykqeg4r51hw';
const CHANNEL_ID = 'jux16pkewjrkfj3ehep1psxyxc';
const ZWSP = '\u200B';
const T0 = Date.UTC(2024, 2, 1, 10, 0, 0);
const minute = (n: number) => T0 + n * 60_000;

const USERS: MattermostUserProfile[] = [
  { id: 'alice000000000000000000000', username: 'alice', roles: 'system_user', first_name: 'Alice', last_name: 'Liddell' },
  { id: 'bob00000000000000000000000', username: 'bob', roles: 'system_user', nickname: 'Bobby' },
  { id: 'carol000000000000000000000', username: 'carol', roles: 'system_user' },
  { id: 'cibot00000000000000000000a', username: 'ci-bot', roles: 'system_user', first_name: 'CI', is_bot: true },
];
const [ALICE, BOB, CAROL] = USERS as [MattermostUserProfile, MattermostUserProfile, MattermostUserProfile, MattermostUserProfile];

function post(n: number, fields: Partial<MattermostChannelPost> = {}): MattermostChannelPost {
  const author = [ALICE, BOB, CAROL][((n % 3) + 3) % 3]!;
  return { id: `post${String(n).padStart(22, '0')}`, create_at: minute(n), user_id: author.id, channel_id: CHANNEL_ID, message: `message ${n}`, type: '', ...fields };
}

/** 30 posts a minute apart; every 7th is Mattermost's own ("joined the channel"). */
const CONVERSATION: MattermostChannelPost[] = Array.from({ length: 30 }, (_, n) =>
  n % 7 === 3 ? post(n, { type: 'system_join_channel', message: 'carol joined the channel.' }) : post(n),
);
const PEOPLE_POSTS = CONVERSATION.filter((p) => p.type === '');

let store: Store;
const fakes: FakeMattermost[] = [];

before(async () => {
  store = await openStore({ kind: 'sqlite', path: ':memory:' });
});

after(async () => {
  for (const fake of fakes) await fake.stop();
  await store.close();
});

async function fakeMattermost(posts: MattermostChannelPost[], check?: (r: RecordedRequest) => Promise<Answer | null>): Promise<FakeMattermost> {
  const fake = await startFakeMattermost({ channelId: CHANNEL_ID, posts, users: USERS, ...(check ? { check } : {}) });
  fakes.push(fake);
  return fake;
}

const NO_MESSAGE_LOG: AdapterDeps['messageLog'] = { record: async () => undefined, forget: () => undefined };

function adapterFor(fake: FakeMattermost, own: Partial<MattermostSettings> = { token: BOT_TOKEN }, opts: MattermostAdapterOptions = { historyRequestIntervalMs: 0, historyPerPage: 10 }): PlatformAdapter<MattermostContext> {
  const deps: AdapterDeps = {
    log: silentLogger,
    store,
    handleCommand: async () => ({ text: 'ok', visibility: 'ephemeral' }),
    handleMembership: async () => null,
    messageLog: NO_MESSAGE_LOG,
  };
  return createMattermostAdapter(deps, { url: fake.url, token: null, commandTokens: [], ...own }, opts);
}

const CHANNEL: ChannelRecord = { id: 1, platform: 'mattermost', externalId: CHANNEL_ID, name: 'acme/town-square', status: 'active', lastError: null, addedBy: 'cli', settings: {}, createdAt: new Date() };

async function history(adapter: PlatformAdapter, range: TranscriptRange, pageSize = 5): Promise<ChatMessage[][]> {
  const pages: ChatMessage[][] = [];
  for await (const page of adapter.fetchHistory!(CHANNEL, range, { pageSize })) pages.push(page);
  return pages;
}

const postRequests = (fake: FakeMattermost) => fake.requests.filter((r) => r.path === `/api/v4/channels/${CHANNEL_ID}/posts`);


describe('the /topic slash command', () => {
  test('a second slash command, /topic, posts to the same endpoint with its own token from the list', async () => {
    const calls: CommandInvocation<MattermostContext>[] = [];
    const fake = await fakeMattermost([]);
    // Through the factory, which reads the comma-separated list of tokens.
    const { platform } = mattermost.configure({ PARLEY_MATTERMOST_URL: fake.url, PARLEY_MATTERMOST_COMMAND_TOKEN: 'discourse-token, topic-token' }, { publicUrl: null });
    const adapter = await platform!.create({
      log: silentLogger,
      store,
      handleCommand: async (invocation) => {
        calls.push(invocation as CommandInvocation<MattermostContext>);
        return { text: 'Collecting 5 messages…', visibility: 'ephemeral' };
      },
      handleMembership: async () => null,
      messageLog: NO_MESSAGE_LOG,
    });
    const app = Fastify({ logger: false });
    adapter.registerRoutes?.(app);
    await app.ready();
    try {
      const res = await app.inject({
        method: 'POST',
        url: '/hooks/mattermost/command',
        payload: {
          token: 'topic-token',
          command: '/topic',
          text: 'last:5 title:"Outage review"',
          channel_id: CHANNEL_ID,
          channel_name: 'town-square',
          team_id: 'team00000000000000000000aa',
          team_domain: 'acme',
          user_id: ALICE.id,
          user_name: 'alice',
          response_url: 'https://chat.example.org/hooks/commands/zozc1xwxybdedeyz8djwjpngny',
        },
      });
      assert.equal(res.statusCode, 200);
      assert.deepEqual(res.json(), { response_type: 'ephemeral', text: 'Collecting 5 messages…' });
      assert.equal(calls.length, 1);
      const call = calls[0]!;
      assert.equal(call.command, 'topic');
      assert.equal(call.args, 'last:5 title:"Outage review"');
      assert.equal(call.platformContext?.teamId, 'team00000000000000000000aa');
      assert.equal(call.platformContext?.responseUrl, 'https://chat.example.org/hooks/commands/zozc1xwxybdedeyz8djwjpngny');
    } finally {
      await app.close();
    }
  });
});

describe('replyLater', () => {
  const invocation = (platformContext: MattermostContext, channelId = CHANNEL_ID): CommandInvocation<MattermostContext> => ({
    platform: 'mattermost',
    command: 'topic',
    args: 'last:5',
    channel: { externalId: channelId, name: 'acme/town-square', isPrivate: false },
    user: { id: ALICE.id, username: 'alice', displayName: 'alice' },
    platformContext: { teamId: 'team00000000000000000000aa', ...platformContext },
  });
  const LINK = { text: 'Posted "Outage_review": https://forum.example.org/t/outage_review/42', visibility: 'channel' as const };
  const ESCAPED = 'Posted "Outage\\_review": https://forum.example.org/t/outage_review/42';

  /** Accepts response_url posts, REST posts and webhook posts; refuses what `refuse` names. */
  function acceptor(refuse: Record<string, Answer> = {}) {
    return async (r: RecordedRequest): Promise<Answer | null> => {
      if (refuse[r.path]) return refuse[r.path]!;
      if (r.path.startsWith('/hooks/')) return { status: 200, body: 'ok' };
      if (r.path === '/api/v4/posts' || r.path === '/api/v4/posts/ephemeral') return { status: 201, body: { id: 'newpost000000000000000000a', channel_id: CHANNEL_ID } };
      return null;
    };
  }

  test('goes to the response_url as Mattermost wants it: response_type and escaped text', async () => {
    const fake = await fakeMattermost([], acceptor());
    const adapter = adapterFor(fake);
    await adapter.replyLater(invocation({ responseUrl: `${fake.url}/hooks/commands/abc`, receivedAt: Date.now() }), LINK);
    assert.deepEqual(fake.requests.map((r) => [r.method, r.path]), [['POST', '/hooks/commands/abc']]);
    assert.deepEqual(JSON.parse(fake.requests[0]!.body), { response_type: 'in_channel', text: ESCAPED });
    assert.equal(fake.requests[0]!.headers.authorization, undefined, 'the response_url needs no token');
  });

  test('after 30 minutes the response_url is not tried: the answer is posted in the channel with the bot token', async () => {
    const fake = await fakeMattermost([], acceptor());
    const adapter = adapterFor(fake);
    await adapter.replyLater(invocation({ responseUrl: `${fake.url}/hooks/commands/abc`, receivedAt: Date.now() - 31 * 60_000 }), LINK);
    assert.deepEqual(fake.requests.map((r) => r.path), ['/api/v4/posts']);
    assert.equal(fake.requests[0]!.headers.authorization, `Bearer ${BOT_TOKEN}`);
    assert.deepEqual(JSON.parse(fake.requests[0]!.body), { channel_id: CHANNEL_ID, message: ESCAPED });
  });

  test('a response_url that refuses (used 5 times, expired) falls back to the channel; a server error is retried by the job', async () => {
    const gone: Answer = { status: 404, body: { id: 'web.command_webhook.not_found', message: 'Unable to find the webhook.', status_code: 404 } };
    const fake = await fakeMattermost([], acceptor({ '/hooks/commands/used': gone, '/hooks/commands/down': { status: 503, body: {} } }));
    const adapter = adapterFor(fake);
    await adapter.replyLater(invocation({ responseUrl: `${fake.url}/hooks/commands/used`, receivedAt: Date.now() }), LINK);
    assert.deepEqual(fake.requests.map((r) => r.path), ['/hooks/commands/used', '/api/v4/posts']);

    fake.requests.length = 0;
    const err = await rejection(adapter.replyLater(invocation({ responseUrl: `${fake.url}/hooks/commands/down`, receivedAt: Date.now() }), LINK));
    assert.ok(err instanceof PlatformTransientError, String(err));
    assert.ok(!err.message.includes('/hooks/commands/down'), 'the response_url (a credential) is not in the error');
    assert.deepEqual(fake.requests.map((r) => r.path), ['/hooks/commands/down']);
  });

  test('an ephemeral answer without response_url is shown to the user only where the bot may, else in the channel', async () => {
    const fake = await fakeMattermost([], acceptor());
    const adapter = adapterFor(fake);
    await adapter.replyLater(invocation({}), { text: 'You may not', visibility: 'ephemeral' });
    assert.deepEqual(fake.requests.map((r) => r.path), ['/api/v4/posts/ephemeral']);
    assert.deepEqual(JSON.parse(fake.requests[0]!.body), { user_id: ALICE.id, post: { channel_id: CHANNEL_ID, message: 'You may not' } });

    const denied = await fakeMattermost([], acceptor({ '/api/v4/posts/ephemeral': { status: 403, body: { id: 'api.context.permissions.app_error', message: 'You do not have the appropriate permissions.', status_code: 403 } } }));
    await adapterFor(denied).replyLater(invocation({}), { text: 'You may not', visibility: 'ephemeral' });
    assert.deepEqual(denied.requests.map((r) => r.path), ['/api/v4/posts/ephemeral', '/api/v4/posts']);
  });

  test("a channel with an incoming webhook gets the answer there; with no way at all the error says what to set", async () => {
    const fake = await fakeMattermost([], acceptor());
    await store.channels.ensure({ platform: 'mattermost', externalId: 'webhookchannel000000000000', name: 'acme/ops', status: 'active', addedBy: 'cli', settings: { webhookUrl: `${fake.url}/hooks/incoming-key` } });
    const webhookOnly = adapterFor(fake, { commandTokens: ['x'] });
    await webhookOnly.replyLater(invocation({}, 'webhookchannel000000000000'), LINK);
    assert.deepEqual(fake.requests.map((r) => r.path), ['/hooks/incoming-key']);
    assert.deepEqual(JSON.parse(fake.requests[0]!.body), { text: ESCAPED });

    fake.requests.length = 0;
    const err = await rejection(webhookOnly.replyLater(invocation({}), LINK));
    assert.ok(err instanceof PlatformPermanentError);
    assert.equal(err.reason, 'not_configured');
    assert.match(err.message, /PARLEY_MATTERMOST_TOKEN/);
    assert.match(err.message, /--webhook-url/);
    assert.equal(fake.requests.length, 0);
  });
});

describe('fetchHistory', () => {
  test('last:N pages back until N people posts are found and hands them out oldest first, in pages of pageSize', async () => {
    const fake = await fakeMattermost(CONVERSATION);
    const pages = await history(adapterFor(fake), { kind: 'last', count: 12 }, 5);
    assert.deepEqual(pages.map((p) => p.length), [5, 5, 2]);
    const expected = PEOPLE_POSTS.slice(-12);
    assert.deepEqual(pages.flat().map((m) => m.id), expected.map((p) => p.id));
    assert.deepEqual(pages.flat().map((m) => m.markdown), expected.map((p) => p.message));
    assert.ok(pages.flat().every((m, i, all) => i === 0 || all[i - 1]!.sentAt <= m.sentAt));

    // Paged with the before cursor, each request continuing where the last one ended.
    const requests = postRequests(fake);
    assert.ok(requests.length >= 2, `${requests.length} requests`);
    assert.equal(requests[0]!.query.get('before'), null);
    for (let i = 1; i < requests.length; i++) {
      const previous = [...CONVERSATION].sort((a, b) => b.create_at - a.create_at);
      const seenBefore = requests.slice(0, i).reduce((n, r) => n + Number(r.query.get('per_page')), 0);
      assert.equal(requests[i]!.query.get('before'), previous[seenBefore - 1]!.id);
    }
    for (const r of requests) {
      assert.equal(r.headers.authorization, `Bearer ${BOT_TOKEN}`);
      assert.ok(Number(r.query.get('per_page')) <= 10);
    }
  });

  test('between: only posts in the range, system messages dropped, no page fetched past the start', async () => {
    const fake = await fakeMattermost(CONVERSATION);
    const from = new Date(minute(5));
    const to = new Date(minute(15));
    const pages = await history(adapterFor(fake), { kind: 'between', from, to }, 100);
    const expected = PEOPLE_POSTS.filter((p) => p.create_at >= from.getTime() && p.create_at <= to.getTime());
    assert.deepEqual(pages.flat().map((m) => m.id), expected.map((p) => p.id));
    assert.ok(!pages.flat().some((m) => m.markdown.includes('joined the channel')));
    // 30 posts, 10 a page, newest first: the third page reaches minute 5; a fourth would be wasted.
    assert.equal(postRequests(fake).length, 3);
  });

  test('a range with nothing in it, and an empty channel, yield no pages', async () => {
    const fake = await fakeMattermost(CONVERSATION);
    assert.deepEqual(await history(adapterFor(fake), { kind: 'between', from: new Date(minute(100)), to: new Date(minute(200)) }), []);
    const empty = await fakeMattermost([]);
    assert.deepEqual(await history(adapterFor(empty), { kind: 'last', count: 50 }), []);
    assert.equal(postRequests(empty).length, 1);
  });

  test('authors, @mentions, files, integrations and unknown users are mapped; users are asked for once, in batches', async () => {
    const posts: MattermostChannelPost[] = [
      post(1, { user_id: ALICE.id, message: 'hi @bob and @dave, see `@carol` and ~town-square' }),
      post(2, { user_id: BOB.id, message: 'the graph', file_ids: ['file000000000000000000000a'], metadata: { files: [{ id: 'file000000000000000000000a', name: 'graph.png' }] } }),
      post(3, { user_id: ALICE.id, message: 'New topic: Outage', props: { from_webhook: 'true', override_username: 'Forum' } }),
      post(4, { user_id: 'ghost00000000000000000000a', message: 'boo' }),
      post(5, { user_id: 'cibot00000000000000000000a', message: 'build **failed**' }),
      post(6, { user_id: CAROL.id, message: 'carol added to the channel by alice.', type: 'system_add_to_channel' }),
      post(7, { user_id: CAROL.id, message: 'a reply to an old thread', root_id: 'oldroot0000000000000000000' }),
      { ...post(-50, { user_id: BOB.id, message: 'the old root' }), id: 'oldroot0000000000000000000' },
    ];
    const fake = await fakeMattermost(posts);
    const messages = (await history(adapterFor(fake), { kind: 'between', from: new Date(minute(0)), to: new Date(minute(10)) }, 100)).flat();

    assert.deepEqual(messages.map((m) => m.author.displayName), ['Alice Liddell', 'Bobby', 'Forum', 'unknown user', 'CI', 'carol']);
    assert.deepEqual(messages.map((m) => m.author.isBot), [false, false, true, false, true, false]);
    assert.deepEqual(messages[0]!.author, { id: ALICE.id, username: 'alice', displayName: 'Alice Liddell', isBot: false });
    // Mentions become names that ping no one; code stays as typed.
    assert.equal(messages[0]!.markdown, `hi @${ZWSP}Bobby and @${ZWSP}dave, see \`@carol\` and ~town-square`);
    assert.deepEqual(messages[1]!.attachments, [{ name: 'graph.png', url: `${fake.url}/api/v4/files/file000000000000000000000a` }]);
    assert.equal(messages[4]!.markdown, 'build **failed**');
    assert.equal(messages[5]!.markdown, 'a reply to an old thread');
    assert.equal(messages.length, 6, 'the thread root outside the range is not in it');

    const byIds = fake.requests.filter((r) => r.path === '/api/v4/users/ids');
    assert.equal(byIds.length, 1);
    assert.deepEqual(new Set(JSON.parse(byIds[0]!.body) as string[]), new Set([ALICE.id, BOB.id, 'ghost00000000000000000000a', 'cibot00000000000000000000a', CAROL.id]));
    // bob is known from his own post; only dave is asked for by name.
    const byNames = fake.requests.filter((r) => r.path === '/api/v4/users/usernames');
    assert.deepEqual(byNames.map((r) => JSON.parse(r.body) as string[]), [['dave']]);
  });

  test('without a bot token: not_configured, saying what to set, and no request', async () => {
    const fake = await fakeMattermost(CONVERSATION);
    const adapter = adapterFor(fake, { commandTokens: ['x'] });
    const err = await rejection(history(adapter, { kind: 'last', count: 5 }));
    assert.ok(err instanceof PlatformPermanentError);
    assert.equal(err.reason, 'not_configured');
    assert.equal(err.message, 'Mattermost history needs PARLEY_MATTERMOST_TOKEN (a bot account token)');
    assert.equal(fake.requests.length, 0);
  });

  test('a bot outside a private channel gets 403: bot_removed, saying to add the bot', async () => {
    const fake = await fakeMattermost(CONVERSATION);
    fake.queue.push({ status: 403, body: { id: 'api.context.permissions.app_error', message: 'You do not have the appropriate permissions.', status_code: 403 } });
    const err = await rejection(history(adapterFor(fake), { kind: 'last', count: 5 }));
    assert.ok(err instanceof PlatformPermanentError, String(err));
    assert.equal(err.reason, 'bot_removed');
    assert.match(err.message, /add the bot account to the channel/);
  });

  test("a 429 waits Mattermost's Retry-After and goes on", async () => {
    const fake = await fakeMattermost(CONVERSATION);
    fake.queue.push({ status: 429, body: { message: 'limit exceeded' }, headers: { 'retry-after': '0', 'x-ratelimit-reset': '0' } });
    const pages = await history(adapterFor(fake), { kind: 'last', count: 3 });
    assert.deepEqual(pages.flat().map((m) => m.id), PEOPLE_POSTS.slice(-3).map((p) => p.id));
    assert.equal(postRequests(fake).length, 2);
  });

  test('requests are spaced out (Mattermost allows 10 a second by default)', async () => {
    const fake = await fakeMattermost(CONVERSATION);
    await history(adapterFor(fake, { token: BOT_TOKEN }, { historyPerPage: 5 }), { kind: 'last', count: 20 });
    const times = fake.requests.map((r) => r.at);
    assert.ok(times.length >= 4, `${times.length} requests`);
    // 100 ms apart when sent; a generous margin for the way to the server. A slow machine only widens the gaps.
    for (let i = 1; i < times.length; i++) assert.ok(times[i]! - times[i - 1]! >= 60, `request ${i} came ${times[i]! - times[i - 1]!} ms after the one before`);
  });
});
