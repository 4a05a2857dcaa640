// The transcript job against a real SQLite store, the real forum client and a stateful fake forum.
import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, test } from 'node:test';
import Fastify from 'fastify';
import type { PlatformAdapter } from '../../lib/seams/platform.js';
import type { CommandReply } from '../../lib/seams/invocation.js';
import type { TranscriptJob } from '../../lib/seams/jobs.js';
import { makeTranscript, MAX_COMPOSER_URL, sinceLastPause, type TranscriptJobDeps } from '../../jobs/transcript.js';
import { DiscourseClient } from '../../lib/discourse/client.js';
import { registerTranscriptPage } from '../../lib/http/transcript-page.js';
import { silentLogger } from '../../lib/log.js';
import { openStore } from '../../lib/store/index.js';
import type { ChannelRecord, Store } from '../../lib/seams/store.js';
import type { ChatMessage } from '../../lib/transcript/types.js';
import { startFakeForum, type FakeForum } from '../helpers/fake-forum.js';
import { fakePlatform } from '../../bench/fake-platform.js';
import { PLATFORMS } from '../../bots/registry.js';
import { platformProfiles } from '../../lib/seams/platform.js';

const T0 = Date.parse('2026-11-21T14:00:00Z');
const msg = (id: number, who: string, text: string, minutes: number): ChatMessage => ({
  id: String(id),
  author: { id: who, username: who, displayName: who[0]!.toUpperCase() + who.slice(1), isBot: false },
  sentAt: new Date(T0 + minutes * 60_000),
  markdown: text,
  attachments: [],
});

describe('transcript job', () => {
  let store: Store;
  let forum: FakeForum;
  let channel: ChannelRecord;
  let deps: TranscriptJobDeps;
  let adapter: PlatformAdapter;
  let replies: CommandReply[];
  let counter = 0;

  before(async () => {
    forum = await startFakeForum({ users: [{ username: 'carol', admin: true }] });
    store = await openStore({ kind: 'sqlite', path: ':memory:' });
    ({ channel } = await store.channels.ensure({ platform: 'telegram', externalId: '-42', name: 'Ops', status: 'active', addedBy: 'cli' }));
    for (const [i, m] of [msg(1, 'alice', 'first', 0), msg(2, 'bob', 'second', 1), msg(3, 'alice', 'third `code @x`', 30), msg(4, 'alice', 'fourth', 31)].entries()) {
      void i;
      await store.messageLog.append('telegram', '-42', m);
    }
    adapter = fakePlatform('telegram').adapter;
    deps = {
      store,
      adapters: new Map([['telegram', adapter]]),
      profiles: platformProfiles(PLATFORMS.map((p) => p.profile)),
      forum: new DiscourseClient({ baseUrl: forum.url, apiKey: forum.apiKey, apiUsername: 'system', budget: null }),
      forumUrl: forum.url,
      publicUrl: 'https://parley.example',
      settings: { mergeSeconds: 120, maxPostLength: 32_000, previewHours: 24 },
      log: silentLogger,
    };
  });
  after(async () => {
    await store.close();
    await forum.stop();
  });
  beforeEach(() => {
    replies = [];
  });

  const job = (over: Partial<TranscriptJob> = {}): TranscriptJob => ({
    transcriptId: `transcript-test-${++counter}`,
    invocation: { platform: 'telegram', command: 'topic', args: '', channel: { externalId: '-42', name: 'Ops', isPrivate: false }, user: { id: '13', username: 'carol', displayName: 'Carol' } },
    channelId: channel.id,
    forumUsername: 'carol',
    range: { kind: 'last', count: 10 },
    categoryId: null,
    tags: ['incident'],
    ignore: [],
    title: 'Review',
    preview: false,
    zone: 'UTC',
    requestedAt: new Date(T0 + 3600_000).toISOString(),
    ...over,
  });
  const io = { reply: async (r: CommandReply) => void replies.push(r) };

  test('a retry after the topic was created (the job failed before recording it) creates no second topic', async () => {
    const data = job();
    const topicsBefore = forum.topics.size;
    let failOnce = true;
    const flaky = {
      reply: async (r: CommandReply) => {
        if (failOnce) {
          failOnce = false;
          throw new Error('chat unreachable right after posting');
        }
        replies.push(r);
      },
    };
    await assert.rejects(makeTranscript(data, deps, adapter, flaky), /chat unreachable/);
    assert.equal(forum.topics.size, topicsBefore + 1, 'the first try created the topic');
    assert.equal(await makeTranscript(data, deps, adapter, flaky), 'already-posted');
    assert.equal(forum.topics.size, topicsBefore + 1, 'the retry created no second topic');
    assert.match(replies[0]!.text, /already posted: http/);
    assert.equal((await store.transcripts.get(data.transcriptId))?.status, 'posted');
    assert.equal(await makeTranscript(data, deps, adapter, io), 'already-posted', 'a third run does not even ask the forum');
  });

  test('the post carries tags and is created as the issuing user', async () => {
    const before = forum.requests.length;
    assert.equal(await makeTranscript(job(), deps, adapter, io), 'posted');
    const post = forum.requests.slice(before).find((r) => r.method === 'POST')!;
    assert.equal(post.headers['api-username'], 'carol');
    assert.deepEqual((post.body as { tags: string[] }).tags, ['incident']);
    assert.equal(replies[0]!.visibility, 'channel');
  });

  test('an empty range is answered, nothing posted', async () => {
    const before = forum.requests.length;
    const data = job({ range: { kind: 'between', from: new Date(T0 - 7200_000).toISOString(), to: new Date(T0 - 3600_000).toISOString() } });
    assert.equal(await makeTranscript(data, deps, adapter, io), 'empty');
    assert.match(replies[0]!.text, /no messages/i);
    assert.equal(forum.requests.length, before);
  });

  test('over the forum maximum: the size and advice, never a truncated post', async () => {
    const before = forum.requests.length;
    assert.equal(await makeTranscript(job(), { ...deps, settings: { ...deps.settings, maxPostLength: 100 } }, adapter, io), 'too-long');
    assert.match(replies[0]!.text, /characters; the forum allows 100/);
    assert.equal(forum.requests.length, before);
  });

  test('preview: a composer link when it fits, a preview page when it does not', async () => {
    assert.equal(await makeTranscript(job({ preview: true }), deps, adapter, io), 'previewed');
    const link = /(http\S+)/.exec(replies[0]!.text)![1]!;
    const url = new URL(link);
    assert.equal(url.pathname, '/new-topic');
    assert.equal(url.searchParams.get('title'), 'Review');
    assert.match(url.searchParams.get('body')!, /fourth/);
    assert.equal(url.searchParams.get('tags'), 'incident');

    await store.messageLog.append('telegram', '-42', msg(5, 'dave', 'x'.repeat(MAX_COMPOSER_URL), 32));
    const long = job({ preview: true });
    assert.equal(await makeTranscript(long, deps, adapter, io), 'previewed');
    const page = /(https:\/\/parley\.example\/transcripts\/\S+)/.exec(replies[1]!.text)![1]!;
    const app = Fastify();
    registerTranscriptPage(app, { transcripts: store.transcripts, forumUrl: forum.url });
    const res = await app.inject({ method: 'GET', url: new URL(page).pathname });
    assert.equal(res.statusCode, 200);
    assert.match(res.body, /Copy the text and continue in the forum/);
    assert.match(res.body, /xxxxxxxx/);
    assert.equal((await app.inject({ method: 'GET', url: '/transcripts/not-a-real-secret-aaaaaaaaaaaa' })).statusCode, 404);
    await app.close();
  });

  test('the default range goes back to the last pause of 10 minutes', () => {
    const kept = sinceLastPause([msg(1, 'a', 'old', 0), msg(2, 'b', 'x', 30), msg(3, 'a', 'y', 35), msg(4, 'a', 'z', 44)], 10);
    assert.deepEqual(kept.map((m) => m.id), ['2', '3', '4']);
    assert.deepEqual(sinceLastPause([msg(1, 'a', 'x', 0), msg(2, 'a', 'y', 9)], 10).map((m) => m.id), ['1', '2']);
  });
});
