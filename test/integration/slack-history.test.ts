// The Slack history reader (bots/slack/history.ts) and user cache (bots/slack/users.ts) with a real
// @slack/web-api WebClient against the fake Slack (test/helpers/fake-slack.ts), whose requests Slack's spec
// checks: paging, threads under their parent, Slack's own messages left out, bots, and the slow tier of
// non-Marketplace apps (1 request per window, 15 messages a page) with its 429s.
import { afterEach, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { WebClient } from '@slack/web-api';
import { slackHistory, type SlackHistoryOptions } from '../../bots/slack/history.js';
import { SlackUsers } from '../../bots/slack/users.js';
import { PlatformPermanentError, PlatformRateLimitedError, PlatformTransientError } from '../../lib/errors.js';
import type { HistoryProgress } from '../../lib/seams/platform.js';
import type { ChatMessage, TranscriptRange } from '../../lib/transcript/types.js';
import { slackTs, startFakeSlack, type FakeSlack, type FakeSlackMessage, type FakeSlackOptions } from '../helpers/fake-slack.js';
import { rejection } from '../helpers/rejection.js';

const CHANNEL = 'C0HISTORY01';
const ZWSP = '\u200B';
const T0 = Date.UTC(2025, 8, 1, 9, 0, 0);
const minute = (n: number): number => T0 + n * 60_000;
const tsAt = (n: number): string => slackTs(minute(n), 100);

const ALICE = { id: 'U0ALICE001', name: 'alice', display_name: 'Alice', real_name: 'Alice Liddell' };
const BOB = { id: 'U0BOB00001', name: 'bob', real_name: 'Bob Builder' };
const CAROL = { id: 'U0CAROL001', name: 'carol' };
const PEOPLE = [ALICE, BOB, CAROL];

/** Message n at minute n, by alice, bob and carol in turn. */
function said(n: number, fields: Partial<FakeSlackMessage> = {}): FakeSlackMessage {
  return { ts: tsAt(n), user: PEOPLE[n % 3]!.id, text: `message ${n}`, ...fields };
}

const fakes: FakeSlack[] = [];
afterEach(async () => {
  // Every request of every test kept to Slack's spec.
  for (const fake of fakes.splice(0)) {
    await fake.stop();
    assert.deepEqual(fake.violations, []);
  }
});

async function fakeSlack(messages: FakeSlackMessage[], more: Partial<FakeSlackOptions> = {}): Promise<FakeSlack> {
  const fake = await startFakeSlack({
    users: PEOPLE,
    channels: [{ id: CHANNEL, name: 'general' }],
    messages: { [CHANNEL]: messages },
    ...more,
  });
  fakes.push(fake);
  return fake;
}

const clientFor = (fake: FakeSlack): WebClient =>
  new WebClient('xoxb-test-token', { slackApiUrl: fake.url, retryConfig: { retries: 0 }, rejectRateLimitedCalls: true });

/** Every page, and the messages of all pages in order. */
async function read(fake: FakeSlack, range: TranscriptRange, opts: Partial<SlackHistoryOptions> = {}): Promise<{ pages: ChatMessage[][]; messages: ChatMessage[] }> {
  const client = clientFor(fake);
  const pages: ChatMessage[][] = [];
  for await (const page of slackHistory(client, new SlackUsers(client), CHANNEL, range, { pageSize: 10, ...opts })) pages.push(page);
  return { pages, messages: pages.flat() };
}

const noWait = async (): Promise<void> => undefined;
const texts = (messages: ChatMessage[]): string[] => messages.map((m) => m.markdown);

describe('paging', () => {
  const forty = Array.from({ length: 40 }, (_, n) => said(n));

  test('last:N pages back with the cursor until N messages, and hands them out oldest first in pages', async () => {
    const fake = await fakeSlack(forty);
    const { pages, messages } = await read(fake, { kind: 'last', count: 25 }, { perPage: 10 });
    assert.deepEqual(texts(messages), Array.from({ length: 25 }, (_, k) => `message ${k + 15}`));
    assert.deepEqual(pages.map((p) => p.length), [10, 10, 5]);
    const history = fake.calls('conversations.history');
    assert.equal(history.length, 3);
    assert.equal(history[0]!.args.cursor, undefined);
    assert.ok(history.slice(1).every((r) => typeof r.args.cursor === 'string' && r.args.cursor !== ''), 'the later pages follow next_cursor');
    assert.ok(history.every((r) => Number(r.args.limit) <= 10));
    assert.equal(messages[0]!.id, tsAt(15));
    assert.equal(messages[0]!.sentAt.getTime(), minute(15));
  });

  test('a between range sends oldest/latest inclusive and pages through every cursor', async () => {
    const fake = await fakeSlack(forty);
    const range: TranscriptRange = { kind: 'between', from: new Date(minute(5)), to: new Date(minute(30)) };
    const { messages } = await read(fake, range, { perPage: 7 });
    assert.deepEqual(texts(messages), Array.from({ length: 26 }, (_, k) => `message ${k + 5}`));
    const history = fake.calls('conversations.history');
    assert.equal(history.length, 4);
    for (const r of history) {
      assert.equal(r.args.inclusive, 'true');
      assert.match(String(r.args.oldest), /^\d+\.\d{6}$/u);
      assert.ok(Number(r.args.oldest) <= minute(5) / 1000 && Number(r.args.latest) >= minute(30) / 1000);
    }
  });

  test('an empty channel and last:0 give no pages', async () => {
    const fake = await fakeSlack([]);
    assert.deepEqual((await read(fake, { kind: 'last', count: 10 })).pages, []);
    assert.deepEqual((await read(fake, { kind: 'last', count: 0 })).pages, []);
  });
});

describe('what a message becomes', () => {
  const conversation: FakeSlackMessage[] = [
    said(0, { text: 'Deploy at noon?' }),
    // A thread: the parent at minute 1, replies in it, one of them also sent to the channel.
    said(1, { user: ALICE.id, text: 'Who reviews <https://example.org/pr/7|PR 7>?' }),
    { ts: tsAt(2), thread_ts: tsAt(1), user: BOB.id, text: '*I do*, <@U0ALICE001>' },
    { ts: tsAt(3), thread_ts: tsAt(1), user: CAROL.id, text: 'me too, ask <@U0BOB00001> in <#C0OTHER001|ops>', subtype: 'thread_broadcast' },
    { ts: tsAt(4), thread_ts: tsAt(1), user: ALICE.id, text: '_thanks_ <@U0ALICE001> <@U0NOBODY01>' },
    said(5, { text: 'after the thread' }),
  ];

  test('a thread in range sits under its parent, oldest first; a broadcast reply stays in the channel, once', async () => {
    const fake = await fakeSlack(conversation);
    const { messages } = await read(fake, { kind: 'last', count: 10 });
    assert.deepEqual(messages.map((m) => m.id), [tsAt(0), tsAt(1), tsAt(3), tsAt(5)]);
    const parent = messages[1]!;
    const replies = parent.replies ?? [];
    assert.deepEqual(replies.map((r) => r.id), [tsAt(2), tsAt(4)]);
    assert.equal(replies[0]?.markdown, `**I do**, @${ZWSP}Alice`);
    assert.equal(replies[0]?.author.displayName, 'Bob Builder');
    // Mentions as display names; a user Slack does not know shows as the id.
    assert.equal(replies[1]?.markdown, `*thanks* @${ZWSP}Alice @${ZWSP}U0NOBODY01`);
    assert.equal(messages[2]!.markdown, `me too, ask @${ZWSP}Bob Builder in #ops`);
    assert.equal(parent.markdown, 'Who reviews [PR 7](https://example.org/pr/7)?');
    assert.equal(messages[0]!.replies, undefined);
    assert.equal(fake.calls('conversations.replies').length, 1);
    assert.equal(fake.calls('conversations.replies')[0]!.args.ts, tsAt(1));
  });

  test('each user is looked up once per fetch, authors and mentions alike', async () => {
    const fake = await fakeSlack(conversation);
    await read(fake, { kind: 'last', count: 10 });
    const asked = fake.calls('users.info').map((r) => r.args.user).sort();
    assert.deepEqual(asked, [ALICE.id, BOB.id, CAROL.id, 'U0NOBODY01'].sort());
  });

  test("Slack's own messages are left out: joins, topic changes, a deleted parent, hidden ones", async () => {
    const fake = await fakeSlack([
      said(0),
      said(1, { subtype: 'channel_join', text: '<@U0CAROL001> has joined the channel' }),
      said(2, { subtype: 'channel_topic', text: 'set the channel topic: releases' }),
      said(3, { subtype: 'channel_purpose', text: 'set the channel purpose' }),
      said(4, { subtype: 'bot_add', text: 'added an integration' }),
      said(5, { subtype: 'tombstone', hidden: true, text: 'This message was deleted.' }),
      said(6, { subtype: 'pinned_item', text: 'pinned a message' }),
      said(7, { subtype: 'me_message', text: 'waves' }),
      said(8),
    ]);
    const { messages } = await read(fake, { kind: 'last', count: 3 });
    assert.deepEqual(texts(messages), ['message 0', 'waves', 'message 8']);
  });

  test('bot messages are marked and named as the integration chose; files are named, not linked', async () => {
    const fake = await fakeSlack([
      said(0, { subtype: 'bot_message', user: undefined, bot_id: 'B0CI000001', username: 'CI', text: 'build *passed*' }),
      said(1, { bot_id: 'B0APP00001', bot_profile: { name: 'Deploy Bot' }, user: undefined, text: '', attachments: [{ fallback: 'deployed v2' }] }),
      said(2, { text: 'the logs', files: [{ id: 'F01', name: 'build.log', title: 'Build log' }, { id: 'F02' }] }),
    ]);
    const { messages } = await read(fake, { kind: 'last', count: 10 });
    assert.deepEqual(messages[0]!.author, { id: 'B0CI000001', username: '', displayName: 'CI', isBot: true });
    assert.equal(messages[0]!.markdown, 'build **passed**');
    assert.deepEqual(messages[1]!.author, { id: 'B0APP00001', username: '', displayName: 'Deploy Bot', isBot: true });
    assert.equal(messages[1]!.markdown, 'deployed v2');
    assert.deepEqual(messages[2]!.attachments, [{ name: 'build.log', url: '' }, { name: 'file', url: '' }]);
    assert.deepEqual(messages[2]!.author, { id: CAROL.id, username: 'carol', displayName: 'carol', isBot: false });
  });
});

describe('rate limits', () => {
  test('a 429 is waited out and the request repeated: every message delivered exactly once', async () => {
    const messages = Array.from({ length: 30 }, (_, n) => said(n));
    messages.push({ ts: slackTs(minute(10), 500), thread_ts: tsAt(10), user: BOB.id, text: 'reply' });
    const fake = await fakeSlack(messages);
    fake.queue.push(
      { method: 'conversations.history', status: 429, headers: { 'retry-after': '1' } },
      { method: 'users.info', status: 429, headers: { 'retry-after': '2' } },
      { method: 'conversations.replies', status: 200, body: { ok: false, error: 'ratelimited' } },
    );
    const waits: number[] = [];
    const progress: HistoryProgress[] = [];
    const sleep = async (ms: number): Promise<void> => void waits.push(ms);
    const { messages: got } = await read(fake, { kind: 'last', count: 30 }, { perPage: 8, sleep, onSlowdown: (p) => progress.push(p) });
    assert.deepEqual(got.map((m) => m.id), messages.slice(0, 30).map((m) => m.ts));
    assert.deepEqual(got[10]!.replies?.map((r) => r.markdown), ['reply']);
    assert.equal(fake.queue.length, 0, 'every fault was served');
    // Retry-After in seconds; `ratelimited` in a 200 says no time, so the Slack default wait.
    assert.ok(waits.includes(1000) && waits.includes(2000) && waits.includes(30_000), `waits: ${waits.join(', ')}`);
    assert.equal(progress.length, waits.length, 'each wait announced');
    assert.ok(progress.every((p) => p.remainingMs !== null && p.remainingMs >= p.waitMs));
  });

  test('a wait longer than two minutes is the caller’s: the error reaches it', async () => {
    const fake = await fakeSlack([said(0)]);
    fake.queue.push({ method: 'conversations.history', status: 429, headers: { 'retry-after': '300' } });
    const err = await rejection(read(fake, { kind: 'last', count: 5 }, { sleep: noWait }));
    assert.ok(err instanceof PlatformRateLimitedError);
    assert.equal(err.retryAfterMs, 300_000);
  });

  test('other failures are thrown as platform errors', async () => {
    const fake = await fakeSlack([said(0)]);
    fake.setChannel({ id: CHANNEL, name: 'general', is_member: false });
    const notIn = await rejection(read(fake, { kind: 'last', count: 5 }));
    assert.ok(notIn instanceof PlatformPermanentError);
    assert.equal(notIn.reason, 'bot_removed');
    fake.setChannel({ id: CHANNEL, name: 'general', is_member: true });
    fake.queue.push({ method: 'conversations.history', status: 503, body: 'unavailable' });
    assert.ok((await rejection(read(fake, { kind: 'last', count: 5 }))) instanceof PlatformTransientError);
  });

  test('the slow tier (1 request per window, 15 a page): paced, announced with estimates, complete', async () => {
    // 50 messages, and a thread of 20 replies on message 40: 4 history pages and 2 replies pages at 15 each.
    const messages = Array.from({ length: 50 }, (_, n) => said(n));
    for (let k = 0; k < 20; k++) messages.push({ ts: slackTs(minute(40), 1000 + k), thread_ts: tsAt(40), user: PEOPLE[k % 3]!.id, text: `reply ${k}` });
    const fake = await fakeSlack(messages, { historyLimit: { perPage: 15, perWindow: 1, windowMs: 300 } });
    const progress: HistoryProgress[] = [];
    const { messages: got } = await read(fake, { kind: 'last', count: 50 }, { onSlowdown: (p) => progress.push(p) });

    assert.deepEqual(texts(got), Array.from({ length: 50 }, (_, n) => `message ${n}`));
    assert.deepEqual(got[40]!.replies?.map((r) => r.markdown), Array.from({ length: 20 }, (_, k) => `reply ${k}`));
    const history = fake.calls('conversations.history');
    const refused = (list: typeof history) => list.length - new Set(list.map((r) => String(r.args.cursor))).size;
    assert.equal(new Set(history.map((r) => String(r.args.cursor))).size, 4, 'four history pages');
    // Paced after the first 429 showed the window: at most one refusal per method.
    assert.ok(refused(history) <= 1, `history refused ${refused(history)} times`);
    assert.ok(refused(fake.calls('conversations.replies')) <= 1);

    assert.ok(progress.length >= 3, `${progress.length} announcements`);
    for (const p of progress) {
      assert.ok(p.waitMs > 0 && p.waitMs <= 2000, `waitMs ${p.waitMs}`);
      // Never more than all six requests at the longest window this fake can show (Retry-After 1 s + slack).
      assert.ok(p.remainingMs !== null && p.remainingMs >= p.waitMs && p.remainingMs <= 6 * 3000, `remainingMs ${p.remainingMs}`);
    }
    assert.ok(progress.every((p, k) => k === 0 || p.read >= progress[k - 1]!.read), 'read only grows');
  });

  test('in the slow tier a between range is announced without an estimate', async () => {
    const fake = await fakeSlack(Array.from({ length: 20 }, (_, n) => said(n)), { historyLimit: { perPage: 15, perWindow: 1, windowMs: 200 } });
    const progress: HistoryProgress[] = [];
    const range: TranscriptRange = { kind: 'between', from: new Date(minute(0)), to: new Date(minute(19)) };
    const { messages } = await read(fake, range, { onSlowdown: (p) => progress.push(p) });
    assert.equal(messages.length, 20);
    assert.ok(progress.length >= 1);
    assert.ok(progress.every((p) => p.remainingMs === null));
  });
});

describe('SlackUsers', () => {
  test('names from the profile, admins and owners, unknown users as null', async () => {
    const fake = await fakeSlack([], {
      users: [...PEOPLE, { id: 'U0OWNER001', name: 'olga', display_name: ' ', real_name: 'Olga', is_primary_owner: true, tz: 'Europe/Berlin' }],
    });
    const users = new SlackUsers(clientFor(fake));
    assert.deepEqual(await users.get(ALICE.id), { id: ALICE.id, username: 'alice', displayName: 'Alice', isBot: false, isAdmin: false, tz: 'Europe/London' });
    assert.equal((await users.get(BOB.id))?.displayName, 'Bob Builder');
    assert.equal((await users.get(CAROL.id))?.displayName, 'carol');
    const owner = await users.get('U0OWNER001');
    assert.equal(owner?.displayName, 'Olga');
    assert.equal(owner?.isAdmin, true);
    assert.equal(owner?.tz, 'Europe/Berlin');
    assert.equal(await users.get('U0NOBODY01'), null);
  });

  test('cached for the TTL, concurrent lookups share one request, failures are not cached', async () => {
    const fake = await fakeSlack([]);
    let now = 0;
    const users = new SlackUsers(clientFor(fake), { ttlMs: 1000, now: () => now });
    const [a, b] = await Promise.all([users.get(ALICE.id), users.get(ALICE.id)]);
    assert.equal(a, b);
    await users.get(ALICE.id);
    assert.equal(fake.calls('users.info').length, 1);
    now = 1001;
    await users.get(ALICE.id);
    assert.equal(fake.calls('users.info').length, 2);

    fake.queue.push({ method: 'users.info', status: 200, body: { ok: false, error: 'invalid_auth' } });
    const err = await rejection(users.get(BOB.id));
    assert.ok(err instanceof PlatformPermanentError);
    assert.equal(err.reason, 'token_revoked');
    assert.equal((await users.get(BOB.id))?.displayName, 'Bob Builder');
    // An unknown user is an answer: cached too.
    await users.get('U0NOBODY01');
    await users.get('U0NOBODY01');
    assert.equal(fake.calls('users.info').filter((r) => r.args.user === 'U0NOBODY01').length, 1);
  });
});
