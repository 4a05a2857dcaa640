// The Discord history reader (bots/discord/history.ts) with discord.js's own REST client against the fake
// Discord (test/helpers/fake-discord.ts), whose requests Discord's OpenAPI document checks: paging back over
// more than one page of 100 for last:N and between ranges (started from the snowflake of the range's end),
// Discord's own messages left out, bots marked, threads under the message they were started from, mentions
// named, files named, and rate limits waited out a few times before they reach the job.
import { afterEach, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { REST } from 'discord.js';
import { discordHistory, snowflakeAt, snowflakeTime, type DiscordHistoryOptions } from '../../bots/discord/history.js';
import { PlatformPermanentError, PlatformRateLimitedError } from '../../lib/errors.js';
import type { HistoryProgress } from '../../lib/seams/platform.js';
import type { ChatMessage, TranscriptRange } from '../../lib/transcript/types.js';
import { CHANNEL_TYPE, rateLimitFault, startFakeDiscord, type FakeDiscord, type FakeDiscordMessage, type FakeDiscordUser } from '../helpers/fake-discord.js';
import { rejection } from '../helpers/rejection.js';

const ZWSP = '\u200B';
const DISCORD_EPOCH = 1420070400000n;
const GUILD = '3000000000000000001';
const CHANNEL = '3000000000000000010';
const OTHER = '3000000000000000011';
const HIDDEN = '3000000000000000012';
const GONE = '3000000000000000013';
const MODS = '3000000000000000100';
const ALICE: FakeDiscordUser = { id: '4000000000000000001', username: 'alice', global_name: 'Alice Liddell' };
const BOB: FakeDiscordUser = { id: '4000000000000000002', username: 'bob' };
const HELPER: FakeDiscordUser = { id: '4000000000000000003', username: 'helperbot', bot: true };
const PEOPLE = [ALICE, BOB];

/** Message n is said at second n after T0. */
const T0 = Date.UTC(2025, 8, 1, 9, 0, 0);
const second = (n: number): number => T0 + n * 1000;
/** A snowflake made at `ms`, the `seq`-th of its millisecond. */
const idAt = (ms: number, seq = 0): string => (((BigInt(ms) - DISCORD_EPOCH) << 22n) | BigInt(seq)).toString();

const fakes: FakeDiscord[] = [];
afterEach(async () => {
  // Every request of every test kept to Discord's spec.
  for (const fake of fakes.splice(0)) {
    await fake.stop();
    assert.deepEqual(fake.violations, []);
  }
});

async function fakeDiscord(): Promise<FakeDiscord> {
  const fake = await startFakeDiscord({
    guilds: [{ id: GUILD, name: 'Acme', owner_id: ALICE.id, members: [{ user: ALICE }, { user: BOB, nick: 'Bobby' }, { user: HELPER }], roles: [{ id: MODS, name: 'Mods', permissions: '0' }] }],
    channels: [
      { id: CHANNEL, type: CHANNEL_TYPE.text, name: 'general', guild_id: GUILD },
      { id: OTHER, type: CHANNEL_TYPE.text, name: 'announcements', guild_id: GUILD },
      { id: HIDDEN, type: CHANNEL_TYPE.text, name: 'secret', guild_id: GUILD, access: false },
    ],
  });
  fakes.push(fake);
  return fake;
}

/** Message n at second n, by alice and bob in turn (or as `fields` say). */
function said(fake: FakeDiscord, n: number, fields: Partial<Omit<FakeDiscordMessage, 'author'>> & { author?: FakeDiscordUser; channel?: string } = {}): FakeDiscordMessage {
  const { channel = CHANNEL, ...rest } = fields;
  return fake.addMessage(channel, { id: idAt(second(n)), timestamp: new Date(second(n)).toISOString(), content: `message ${n}`, author: PEOPLE[n % 2]!, ...rest });
}

/** Discord's own message (a join, a pin…) half a second after message n. */
function happened(fake: FakeDiscord, n: number, type: number, channel = CHANNEL): FakeDiscordMessage {
  return fake.addMessage(channel, { id: idAt(second(n) + 500), timestamp: new Date(second(n) + 500).toISOString(), content: '', type, author: ALICE });
}

const restFor = (fake: FakeDiscord): REST => new REST({ api: fake.url, version: '10', retries: 0, rejectOnRateLimit: () => true }).setToken(fake.token);

/** Every page, and the messages of all pages in order. */
async function read(fake: FakeDiscord, range: TranscriptRange, opts: Partial<DiscordHistoryOptions> = {}, channel = CHANNEL): Promise<{ pages: ChatMessage[][]; messages: ChatMessage[] }> {
  const pages: ChatMessage[][] = [];
  for await (const page of discordHistory(restFor(fake), channel, range, { pageSize: 40, guildId: GUILD, ...opts })) pages.push(page);
  return { pages, messages: pages.flat() };
}

const texts = (messages: ChatMessage[]): string[] => messages.map((m) => m.markdown);
const messagesFrom = (from: number, to: number): string[] => Array.from({ length: to - from + 1 }, (_, k) => `message ${from + k}`);
const historyCalls = (fake: FakeDiscord, channel = CHANNEL) => fake.calls('GET /channels/{channel_id}/messages').filter((r) => r.path === `/channels/${channel}/messages`);

describe('snowflakes', () => {
  test('a snowflake holds its millisecond; the smallest of a millisecond sorts before every message made in it', () => {
    const ms = Date.UTC(2024, 0, 2, 3, 4, 5, 678);
    assert.equal(snowflakeTime(idAt(ms, 4095)), ms);
    assert.equal(snowflakeTime(snowflakeAt(ms)!), ms);
    assert.ok(BigInt(snowflakeAt(ms)!) <= BigInt(idAt(ms)));
    assert.ok(BigInt(snowflakeAt(ms + 1)!) > BigInt(idAt(ms, 4095)));
    // Discord's own example (docs, "Snowflakes").
    assert.equal(new Date(snowflakeTime('175928847299117063')).toISOString(), '2016-04-30T11:18:25.796Z');
    assert.equal(snowflakeAt(Date.UTC(2014, 0, 1)), null);
    assert.ok(Number.isNaN(snowflakeTime('not-a-snowflake')));
  });
});

describe('paging', () => {
  /** 250 messages, with joins, a pin and a thread notice among them. */
  async function busyChannel(): Promise<FakeDiscord> {
    const fake = await fakeDiscord();
    for (let n = 0; n < 250; n++) said(fake, n);
    happened(fake, 30, 7); // USER_JOIN
    happened(fake, 120, 6); // CHANNEL_PINNED_MESSAGE
    happened(fake, 200, 18); // THREAD_CREATED
    happened(fake, 240, 7);
    return fake;
  }

  test('last:N pages back 100 at a time until N conversation messages, and hands them out oldest first in pages', async () => {
    const fake = await busyChannel();
    const { pages, messages } = await read(fake, { kind: 'last', count: 150 });
    assert.deepEqual(texts(messages), messagesFrom(100, 249));
    assert.deepEqual(pages.map((p) => p.length), [40, 40, 40, 30]);
    const calls = historyCalls(fake);
    assert.equal(calls.length, 2);
    assert.deepEqual(calls[0]!.query, { limit: '100' });
    // The second page starts before the oldest message of the first (98 messages and 2 notices).
    assert.deepEqual(calls[1]!.query, { limit: '100', before: idAt(second(152)) });
    assert.equal(messages[0]!.id, idAt(second(100)));
    assert.equal(messages[0]!.sentAt.toISOString(), new Date(second(100)).toISOString());
    assert.deepEqual(messages[0]!.author, { id: ALICE.id, username: 'alice', displayName: 'Alice Liddell', isBot: false });
    assert.deepEqual(messages[1]!.author, { id: BOB.id, username: 'bob', displayName: 'bob', isBot: false });
    assert.ok(messages.every((m) => m.replies === undefined && m.attachments.length === 0));
  });

  test('last:N longer than the channel reads to its start (a page shorter than 100) and leaves system messages out', async () => {
    const fake = await busyChannel();
    const { messages } = await read(fake, { kind: 'last', count: 1000 });
    assert.deepEqual(texts(messages), messagesFrom(0, 249));
    assert.equal(historyCalls(fake).length, 3);
    const empty = await read(fake, { kind: 'last', count: 0 });
    assert.deepEqual(empty.pages, []);
  });

  test('between starts before the snowflake of its end, keeps both ends, and stops at its start without reading further', async () => {
    const fake = await busyChannel();
    const { messages } = await read(fake, { kind: 'between', from: new Date(second(20)), to: new Date(second(180)) });
    assert.deepEqual(texts(messages), messagesFrom(20, 180));
    const calls = historyCalls(fake);
    assert.equal(calls[0]!.query.before, snowflakeAt(second(180) + 1));
    // 161 messages and 2 notices from 180 down: the second page holds the start; nothing older is asked for.
    assert.equal(calls.length, 2);

    const none = await read(fake, { kind: 'between', from: new Date(second(300)), to: new Date(second(400)) });
    assert.deepEqual(none.messages, []);
    const beforeDiscord = await read(fake, { kind: 'between', from: new Date(Date.UTC(2010, 0, 1)), to: new Date(Date.UTC(2014, 0, 1)) });
    assert.deepEqual(beforeDiscord.messages, []);
    const oneMessage = await read(fake, { kind: 'between', from: new Date(second(7)), to: new Date(second(7)) });
    assert.deepEqual(texts(oneMessage.messages), ['message 7']);
  });
});

describe('messages', () => {
  test('bots marked, threads under their parent in order, mentions named, files named, embeds and forwards', async () => {
    const fake = await fakeDiscord();
    said(fake, 1, {
      author: ALICE,
      content: `hi <@${BOB.id}> and <@&${MODS}>, see <#${OTHER}>, <#${OTHER}> and <#${GONE}>`,
      mentions: [{ id: BOB.id, username: 'bob', global_name: null, discriminator: '0', avatar: null, member: { nick: 'Bobby', roles: [] } }],
      mention_roles: [MODS],
    });
    said(fake, 2, { author: HELPER, type: 20, content: 'I am an app answering /discourse' });
    const parent = said(fake, 3, { author: BOB, content: 'shall we plan?', thread: { id: idAt(second(3)), name: 'Plans', type: CHANNEL_TYPE.publicThread } });
    fake.setChannel({ id: parent.id, type: CHANNEL_TYPE.publicThread, name: 'Plans', guild_id: GUILD, parent_id: CHANNEL });
    // The thread's replies, added out of order; 130 of them take two pages.
    for (let k = 130; k >= 1; k--) said(fake, 10 + k, { channel: parent.id, content: `reply ${k}` });
    fake.addMessage(parent.id, { id: parent.id, timestamp: parent.timestamp, type: 21, content: '', author: BOB }); // THREAD_STARTER_MESSAGE
    happened(fake, 11, 1, parent.id); // RECIPIENT_ADD: someone joined the thread
    happened(fake, 4, 6); // a pin
    said(fake, 5, { author: ALICE, content: 'the plan', attachments: [{ id: '5000000000000000001', filename: 'plan.pdf', size: 1000, url: 'https://cdn.discordapp.com/x/plan.pdf', proxy_url: 'https://media.discordapp.net/x/plan.pdf' }] });
    said(fake, 6, { author: ALICE, content: '', embeds: [{ type: 'rich', title: 'A link preview' }] });
    said(fake, 7, { author: BOB, type: 19, content: 'agreed', message_reference: { type: 0, message_id: parent.id, channel_id: CHANNEL } });
    said(fake, 8, { author: ALICE, content: '', message_reference: { type: 1, message_id: '3000000000000009999', channel_id: OTHER }, message_snapshots: [{ message: { type: 0, content: 'forwarded **words**', attachments: [{ id: '5000000000000000002', filename: 'notes.txt' }], timestamp: new Date(second(0)).toISOString() } }] });

    const { messages } = await read(fake, { kind: 'last', count: 50 });
    assert.deepEqual(texts(messages), [
      `hi @${ZWSP}Bobby and @${ZWSP}Mods, see #announcements, #announcements and #unknown-channel`,
      'I am an app answering /discourse',
      'shall we plan?',
      'the plan',
      '',
      'agreed',
      '> forwarded **words**',
    ]);
    assert.deepEqual(messages.map((m) => m.author.isBot), [false, true, false, false, false, false, false]);
    // Bob's nickname, seen in a mention, is his name in the whole transcript.
    assert.deepEqual(messages[2]!.author, { id: BOB.id, username: 'bob', displayName: 'Bobby', isBot: false });
    assert.deepEqual(messages[3]!.attachments, [{ name: 'plan.pdf', url: '' }]);
    assert.deepEqual(messages[6]!.attachments, [{ name: 'notes.txt', url: '' }]);
    const replies = messages[2]!.replies ?? [];
    assert.deepEqual(texts(replies), Array.from({ length: 130 }, (_, k) => `reply ${k + 1}`));
    assert.ok(replies.every((r) => r.replies === undefined));
    assert.ok(messages.filter((m) => m !== messages[2]).every((m) => m.replies === undefined));
    assert.equal(historyCalls(fake, parent.id).length, 2);
    // The guild's roles once; each unknown channel once (the one thread's name came with its parent).
    assert.equal(fake.calls('GET /guilds/{guild_id}/roles').length, 1);
    assert.deepEqual(fake.calls('GET /channels/{channel_id}').map((r) => r.path).sort(), [`/channels/${OTHER}`, `/channels/${GONE}`].sort());
  });

  test('within a between range, thread replies after its end are left out; a deleted thread has none', async () => {
    const fake = await fakeDiscord();
    const parent = said(fake, 1, { content: 'parent', thread: { id: idAt(second(1)), name: 'T' } });
    fake.setChannel({ id: parent.id, type: CHANNEL_TYPE.publicThread, name: 'T', guild_id: GUILD, parent_id: CHANNEL });
    for (let n = 2; n <= 6; n++) said(fake, n, { channel: parent.id, content: `reply ${n}` });
    said(fake, 3, { id: idAt(second(3), 1), content: 'in the channel' });
    said(fake, 4, { id: idAt(second(4), 1), content: 'its thread is gone', thread: { id: GONE, name: 'Gone' } });
    const { messages } = await read(fake, { kind: 'between', from: new Date(second(1)), to: new Date(second(4)) });
    assert.deepEqual(texts(messages), ['parent', 'in the channel', 'its thread is gone']);
    assert.deepEqual(texts(messages[0]!.replies ?? []), ['reply 2', 'reply 3', 'reply 4']);
    assert.equal(messages[2]!.replies, undefined);
    assert.equal(historyCalls(fake, parent.id)[0]!.query.before, snowflakeAt(second(4) + 1));
  });

  test('without a guild, role mentions show as unknown and no roles are asked for; a failed roles request too', async () => {
    const fake = await fakeDiscord();
    said(fake, 1, { content: `ping <@&${MODS}> and <@${HELPER.id}>`, mention_roles: [MODS] });
    const dm = await read(fake, { kind: 'last', count: 5 }, { guildId: null });
    assert.deepEqual(texts(dm.messages), [`ping @${ZWSP}unknown-role and @${ZWSP}unknown-user`]);
    assert.equal(fake.calls('GET /guilds/{guild_id}/roles').length, 0);
    const unknownGuild = await read(fake, { kind: 'last', count: 5 }, { guildId: '3999999999999999999' });
    assert.deepEqual(texts(unknownGuild.messages), [`ping @${ZWSP}unknown-role and @${ZWSP}unknown-user`]);
    assert.equal(fake.calls('GET /guilds/{guild_id}/roles').length, 1);
  });
});

describe('errors', () => {
  /** Records each wait and waits a little for real, so that the client's own bucket has reset. */
  function waits(): { sleep: (ms: number) => Promise<void>; asked: number[] } {
    const asked: number[] = [];
    const sleep = async (ms: number): Promise<void> => {
      asked.push(ms);
      await new Promise((resolve) => setTimeout(resolve, Math.min(ms, 150)));
    };
    return { sleep, asked };
  }

  test('a 429 is waited out for the time Discord asks, announced through onSlowdown, and the read goes on', async () => {
    const fake = await fakeDiscord();
    for (let n = 0; n < 150; n++) said(fake, n);
    const { sleep, asked } = waits();
    const progress: HistoryProgress[] = [];
    const rest = restFor(fake);
    // The first page comes; the request for the second is refused once.
    rest.once('response', () => void fake.queue.push(rateLimitFault({ route: 'GET /channels/{channel_id}/messages', retryAfter: 0.05 })));
    const pages: ChatMessage[][] = [];
    for await (const page of discordHistory(rest, CHANNEL, { kind: 'last', count: 150 }, { pageSize: 100, guildId: GUILD, sleep, onSlowdown: (p) => progress.push(p) })) pages.push(page);
    assert.deepEqual(texts(pages.flat()), messagesFrom(0, 149));
    assert.equal(asked.length, 1);
    // Retry-After is whole seconds (1); the client adds its 50 ms offset.
    assert.ok(asked[0]! >= 1000 && asked[0]! <= 1100, String(asked[0]));
    assert.deepEqual(progress, [{ read: 100, waitMs: asked[0], remainingMs: null }]);
    assert.equal(historyCalls(fake).length, 3);
    assert.equal(fake.queue.length, 0);
  });

  test('a request refused more than 3 times, or told to wait more than a minute, throws PlatformRateLimitedError', async () => {
    const fake = await fakeDiscord();
    said(fake, 1);
    const often = waits();
    for (let k = 0; k < 4; k++) fake.queue.push(rateLimitFault({ route: 'GET /channels/{channel_id}/messages', retryAfter: 0.05 }));
    const refused = await rejection(read(fake, { kind: 'last', count: 5 }, { sleep: often.sleep }));
    assert.ok(refused instanceof PlatformRateLimitedError, String(refused));
    assert.equal(often.asked.length, 3);
    assert.equal(fake.queue.length, 0);

    const long = waits();
    const slowdowns: HistoryProgress[] = [];
    fake.queue.push(rateLimitFault({ route: 'GET /channels/{channel_id}/messages', retryAfter: 120 }));
    const tooLong = await rejection(read(fake, { kind: 'last', count: 5 }, { sleep: long.sleep, onSlowdown: (p) => slowdowns.push(p) }));
    assert.ok(tooLong instanceof PlatformRateLimitedError, String(tooLong));
    assert.ok(tooLong.retryAfterMs >= 120_000);
    assert.deepEqual([long.asked, slowdowns], [[], []]);
  });

  test('Missing Access (50001) is a PlatformPermanentError; an unknown channel too', async () => {
    const fake = await fakeDiscord();
    const hidden = await rejection(read(fake, { kind: 'last', count: 5 }, {}, HIDDEN));
    assert.ok(hidden instanceof PlatformPermanentError, String(hidden));
    assert.equal(hidden.reason, 'bot_removed');
    assert.match(hidden.message, /50001/u);
    const unknown = await rejection(read(fake, { kind: 'last', count: 5 }, {}, GONE));
    assert.ok(unknown instanceof PlatformPermanentError, String(unknown));
    assert.equal(unknown.reason, 'channel_not_found');
  });
});
