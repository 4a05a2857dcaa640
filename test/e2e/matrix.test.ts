// End to end on Matrix: Parley syncs from a stateful fake homeserver (test/helpers/fake-matrix.ts, every request
// and every answer checked against the Matrix client-server spec) through matrix-js-sdk's HTTP layer. Invitations
// (from allowed inviters: joined at once; from others: pending until `parley channels accept`, run for real
// against the same database, or declined, or expired), `!discourse` typed in rooms and answered as replies, a
// signed Discourse webhook in and m.notice events out (threads, edits, redactions), a lost answer retried with
// the same transaction id, M_LIMIT_EXCEEDED, kicks, bans, encryption turned on, and a restart that resumes from
// the stored sync token.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { openStore } from '../../lib/store/index.js';
import { freshEnv, runParley } from '../helpers/cli.js';
import { startFakeForum, type FakeForum } from '../helpers/fake-forum.js';
import { startFakeMatrix, type BotMessage, type FakeMatrix } from '../helpers/fake-matrix.js';
import { eventually, postBody, startParley, type TestParley } from '../helpers/parley.js';

/** Matches PARLEY_MATRIX_ALLOWED_INVITERS; creates the rooms, so has power level 100 in them. */
const MOD = '@mod:staff.example.org';
/** A plain member (power level 0). */
const MEL = '@mel:example.org';
/** Someone whose invitations wait for an admin. */
const SAM = '@sam:elsewhere.example';
const NAMES = { [MOD]: 'Mo Derator', [MEL]: 'Mel Member', [SAM]: 'Sam Stranger' };
/** The homeserver holds a sync with nothing new this long at most: the adapter acts on answered invitations after each. */
const LONG_POLL_MS = 500;

// matrix-js-sdk's request timers would keep this process alive for a minute after the last sync.

type Relation = { rel_type?: string; event_id?: string; 'm.in_reply_to'?: { event_id?: string }; is_falling_back?: boolean };
const relation = (content: Record<string, unknown>): Relation | undefined => content['m.relates_to'] as Relation | undefined;
/** Escapes a room id for a RegExp on a decoded path. */
const sendPath = (roomId: string): RegExp => new RegExp(`^/_matrix/client/v3/rooms/${roomId.replace(/[.*+?^${}()|[\]\\]/gu, '\\$&')}/send/`, 'u');

/** Runs `parley ARGS` against the running Parley's database, as an admin on the same host would. */
async function cli(parley: TestParley, args: string[]): Promise<string> {
  const run = await runParley(args, freshEnv({ DATABASE_URL: parley.env.DATABASE_URL!, PARLEY_DATA_DIR: parley.dir }), 60_000);
  assert.equal(run.code, 0, `parley ${args.join(' ')} exited ${run.code}\nstderr: ${run.stderr}\nstdout: ${run.stdout}`);
  return run.stdout;
}

function matrixEnv(forum: FakeForum, fake: FakeMatrix, extra: Record<string, string> = {}): Record<string, string> {
  return {
    PARLEY_DISCOURSE_URL: forum.url,
    PARLEY_DISCOURSE_API_KEY: forum.apiKey,
    PARLEY_MATRIX_HOMESERVER_URL: fake.url,
    PARLEY_MATRIX_ACCESS_TOKEN: fake.accessToken,
    PARLEY_MATRIX_ALLOWED_INVITERS: '@*:staff.example.org',
    ...extra,
  };
}

function assertSpeaksTheSpec(fake: FakeMatrix | undefined): void {
  assert.deepEqual(fake?.violations ?? [], [], 'every request Parley sent the homeserver is one the Matrix spec allows');
  assert.deepEqual(fake?.responseViolations ?? [], [], "the fake's own answers are what the spec says");
}

describe('Matrix end to end', () => {
  let forum: FakeForum;
  let fake: FakeMatrix;
  let parley: TestParley;
  /** The database outlives one Parley: the restart test starts a second on it. */
  let dbDir: string;
  let env: Record<string, string>;
  let postId = 60_000;
  /** A room an allowed user invited the bot to (the first test), watching c/support from the commands' test on. */
  let lobby = '';
  /** Commands answered before the restart, by event id. */
  const answered: string[] = [];

  before(async () => {
    forum = await startFakeForum({
      categories: [
        { id: 4, slug: 'support', name: 'Support', color: 'F1592A' },
        { id: 6, slug: 'dev', name: 'Dev' },
        { id: 7, slug: 'busy', name: 'Busy' },
        { id: 8, slug: 'pings', name: 'Pings' },
        { id: 9, slug: 'retry', name: 'Retry' },
      ],
    });
    fake = await startFakeMatrix({ maxLongPollMs: LONG_POLL_MS, botDisplayName: 'Parley' });
    for (const [id, name] of Object.entries(NAMES)) fake.setDisplayName(id, name);
    dbDir = mkdtempSync(path.join(tmpdir(), 'parley-matrix-e2e-'));
    env = matrixEnv(forum, fake, { DATABASE_URL: path.join(dbDir, 'parley.db') });
    parley = await startParley({ env });
  });
  after(async () => {
    await parley?.stop();
    await fake?.close();
    await forum?.stop();
    if (dbDir) rmSync(dbDir, { recursive: true, force: true });
    assertSpeaksTheSpec(fake);
  });

  const notices = (roomId: string): BotMessage[] => fake.botMessages(roomId).filter((m) => m.type === 'm.room.message' && m.content.msgtype === 'm.notice');
  const channel = (roomId: string) => parley.app.store.channels.find('matrix', roomId);
  const channelIn = (roomId: string, status: string) =>
    eventually(async () => {
      const c = await channel(roomId);
      return c?.status === status ? c : undefined;
    }, `${roomId} ${status}`);

  /** A room made by MOD with MEL in it; MOD invites the bot, which joins at once. */
  async function roomWithBot(name: string): Promise<string> {
    const roomId = fake.createRoom({ creator: MOD, name, members: [MEL] });
    fake.invite(roomId, MOD);
    await eventually(() => (fake.membership(roomId) === 'join' ? true : undefined), `the bot joining ${name}`);
    await channelIn(roomId, 'active');
    return roomId;
  }

  /** `sender` types `text` in the room; resolves with the bot's reply to it. */
  async function command(roomId: string, sender: string, text: string): Promise<{ eventId: string; reply: BotMessage }> {
    const eventId = fake.sendMessage(roomId, sender, { msgtype: 'm.text', body: text });
    const reply = await eventually(() => fake.botMessages(roomId).find((m) => relation(m.content)?.['m.in_reply_to']?.event_id === eventId), `the answer to "${text}"`);
    answered.push(eventId);
    return { eventId, reply };
  }

  async function forumPost(p: Parameters<typeof postBody>[0]): Promise<void> {
    const sent = await parley.sendWebhook('post_created', postBody(p));
    assert.equal(sent.status, 202);
    await parley.waitForIngest(sent.eventId);
  }
  async function delivered(roomId: string, id: number) {
    const record = await channel(roomId);
    assert.ok(record, `${roomId} is registered`);
    return eventually(async () => {
      const d = await parley.app.store.deliveries.getByJobId(`post-${id}-ch-${record.id}`);
      return d?.status === 'delivered' ? d : undefined;
    }, `post ${id} delivered to ${roomId}`);
  }

  test('invited by an allowed user, the bot joins at once, the room is an active channel, and it says so there', async () => {
    lobby = await roomWithBot('Lobby');
    const record = await channel(lobby);
    assert.equal(record?.name, 'Lobby', "the channel is named after the room's name");
    assert.equal(record?.addedBy, `matrix:${MOD}`);
    const [greeting, ...more] = await eventually(() => (notices(lobby).length > 0 ? notices(lobby) : undefined), 'the greeting');
    assert.deepEqual(more, [], 'one greeting');
    assert.match(String(greeting!.content.body), /Parley is here/);
    assert.match(String(greeting!.content.body), /!discourse watch c\/CATEGORY/, 'commands written as Matrix users type them');
    assert.deepEqual(greeting!.content['m.mentions'], {}, 'pings nobody');
  });

  test('invited by anyone else, the bot does not join: the room is pending until parley channels accept, then it joins', async () => {
    const roomId = fake.createRoom({ creator: SAM, name: 'Strangers' });
    fake.invite(roomId, SAM);
    const pending = await channelIn(roomId, 'pending');
    assert.equal(pending.addedBy, `matrix:${SAM}`);
    // The invitation was answered (the channel is pending) and later syncs passed: still not joined.
    const afterPending = fake.syncSinces.length;
    await eventually(() => (fake.syncSinces.length >= afterPending + 2 ? true : undefined), 'two more syncs');
    assert.equal(fake.membership(roomId), 'invite', 'the bot has not joined');
    assert.deepEqual(fake.botMessages(roomId), [], 'nor said anything');

    assert.match(await cli(parley, ['channels', 'accept', `matrix:${roomId}`]), /Accepted matrix:/);
    await eventually(() => (fake.membership(roomId) === 'join' ? true : undefined), 'the bot joining after the acceptance');
    await channelIn(roomId, 'active');
    const [said] = await eventually(() => (notices(roomId).length > 0 ? notices(roomId) : undefined), 'a word in the room');
    assert.match(String(said!.content.body), /An admin accepted the invitation/);
  });

  test('an invitation declined with parley channels decline is declined: the bot never joins', async () => {
    const roomId = fake.createRoom({ creator: SAM, name: 'Declined' });
    fake.invite(roomId, SAM);
    await channelIn(roomId, 'pending');
    assert.match(await cli(parley, ['channels', 'decline', `matrix:${roomId}`]), /Declined matrix:/);
    await eventually(() => (fake.membership(roomId) === 'leave' ? true : undefined), 'the invitation declined');
    const own = fake.events(roomId).filter((e) => e.type === 'm.room.member' && e.state_key === fake.botUserId);
    assert.deepEqual(
      own.map((e) => [e.sender, e.content.membership]),
      [
        [SAM, 'invite'],
        [fake.botUserId, 'leave'],
      ],
      'invited, then declined by the bot itself; never joined',
    );
    assert.equal(await channel(roomId), undefined, 'the channel is gone');
  });

  test("a room moderator's !discourse watch is answered as a reply and adds the rule", async () => {
    const { eventId, reply } = await command(lobby, MOD, '!discourse watch c/support');
    assert.equal(reply.content.msgtype, 'm.notice');
    assert.deepEqual(relation(reply.content), { 'm.in_reply_to': { event_id: eventId } }, 'a reply to the command');
    assert.match(String(reply.content.body), /watch c\/support/);
    assert.equal(reply.content.format, 'org.matrix.custom.html');
    assert.deepEqual(reply.content['m.mentions'], {});
    const record = await channel(lobby);
    assert.deepEqual((await parley.app.store.rules.list(record!.id)).map((r) => `${r.filter} ${r.scope.type}`), ['watch category']);
  });

  test('a plain member is refused; the same member with a power level of state_default may', async () => {
    const roomId = await roomWithBot('Members');
    const refused = await command(roomId, MEL, '!discourse watch c/dev');
    assert.match(String(refused.reply.content.body), /Only moderators of this channel/);
    assert.deepEqual(relation(refused.reply.content), { 'm.in_reply_to': { event_id: refused.eventId } });
    const record = await channel(roomId);
    assert.deepEqual(await parley.app.store.rules.list(record!.id), [], 'nothing added');

    fake.setPowerLevel(roomId, MEL, 50);
    const accepted = await command(roomId, MEL, '!discourse watch c/dev');
    assert.match(String(accepted.reply.content.body), /watch c\/dev/);
    assert.doesNotMatch(String(accepted.reply.content.body), /Only moderators/);
    assert.equal((await parley.app.store.rules.list(record!.id)).length, 1);
  });

  test('a forum post arrives as an m.notice: HTML and plain text, pinging nobody', async () => {
    await forumPost({ id: ++postId, topicId: 800, categoryId: 4, title: 'Printer <on> fire', raw: 'Everything is **fine**' });
    const delivery = await delivered(lobby, postId);
    const note = notices(lobby).find((m) => m.event_id === delivery.messageRef);
    assert.ok(note, 'the delivery points at the notice in the room');
    const content = note.content;
    assert.equal(content.format, 'org.matrix.custom.html');
    assert.match(String(content.formatted_body), /<a href="[^"]*\/t\/a-topic\/800\/1">Printer &lt;on&gt; fire<\/a>/);
    assert.match(String(content.formatted_body), /Support/);
    assert.match(String(content.body), /^📝 New topic: Printer <on> fire\n\S*\/t\/a-topic\/800\/1\n/u, 'plain text with the link');
    assert.match(String(content.body), /Everything is/);
    assert.match(String(content.body), /by /);
    assert.deepEqual(content['m.mentions'], {});
    assert.equal(relation(content), undefined, 'a message of its own');
  });

  test('@room and @everyone in a forum post are delivered harmless', async () => {
    const roomId = await roomWithBot('Pings');
    await command(roomId, MOD, '!discourse watch c/pings');
    await forumPost({ id: ++postId, topicId: 801, categoryId: 8, title: 'Hey @room', raw: '@everyone read this, @room and @ROOM too' });
    const delivery = await delivered(roomId, postId);
    const content = notices(roomId).find((m) => m.event_id === delivery.messageRef)!.content;
    for (const field of ['body', 'formatted_body'] as const) {
      const text = String(content[field]);
      assert.doesNotMatch(text, /@room/iu, `no @room left in ${field}`);
      assert.doesNotMatch(text, /@everyone/iu, `no @everyone left in ${field}`);
      assert.match(text, /Hey @\u200Broom/u, `the title still reads as written in ${field}`);
    }
    assert.deepEqual(content['m.mentions'], {});
  });

  test("thread: a reply lands in the m.thread of the topic's announcement; the post edited is an m.replace, deleted a redaction", async () => {
    const roomId = await roomWithBot('Dev');
    const { reply } = await command(roomId, MOD, '!discourse thread c/dev');
    assert.match(String(reply.content.body), /thread c\/dev/);
    await forumPost({ id: ++postId, topicId: 900, categoryId: 6, postNumber: 1, title: 'RFC' });
    const root = await delivered(roomId, postId);
    assert.equal(relation(notices(roomId).find((m) => m.event_id === root.messageRef)!.content), undefined, 'the announcement is a message of the room');

    await forumPost({ id: ++postId, topicId: 900, categoryId: 6, postNumber: 2, title: 'RFC', raw: 'I agree' });
    const answer = await delivered(roomId, postId);
    const inThread = notices(roomId).find((m) => m.event_id === answer.messageRef)!;
    assert.match(String(inThread.content.body), /I agree/);
    assert.deepEqual(relation(inThread.content), { rel_type: 'm.thread', event_id: root.messageRef, is_falling_back: true, 'm.in_reply_to': { event_id: root.messageRef } });

    await parley.sendWebhook('post_edited', postBody({ id: postId, topicId: 900, categoryId: 6, postNumber: 2, title: 'RFC', raw: 'I agree, with one change' }));
    const edit = await eventually(() => notices(roomId).find((m) => relation(m.content)?.rel_type === 'm.replace'), 'the edit');
    assert.deepEqual(relation(edit.content), { rel_type: 'm.replace', event_id: answer.messageRef });
    const replaced = edit.content['m.new_content'] as Record<string, unknown>;
    assert.match(String(replaced.body), /I agree, with one change/);
    assert.match(String(replaced.formatted_body), /I agree, with one change/);
    assert.equal(replaced['m.relates_to'], undefined, 'the new content keeps the thread of the original');
    assert.deepEqual(edit.content['m.mentions'], {});

    await parley.sendWebhook('post_destroyed', postBody({ id: postId, topicId: 900, categoryId: 6, postNumber: 2 }));
    const redaction = await eventually(() => fake.botMessages(roomId).find((m) => m.type === 'm.room.redaction'), 'the redaction');
    assert.equal(redaction.content.redacts, answer.messageRef);
    const gone = fake.events(roomId).find((e) => e.event_id === answer.messageRef)!;
    assert.deepEqual(gone.content, {}, 'the room no longer shows the reply');
    assert.ok(fake.events(roomId).some((e) => e.event_id === root.messageRef && e.content.body !== undefined), 'the announcement stays');
  });

  test('a send whose answer was lost (a 502 after the event was stored) is sent again with the same transaction id: one notice', async () => {
    const roomId = await roomWithBot('Retry');
    await command(roomId, MOD, '!discourse watch c/retry');
    fake.fail({ method: 'PUT', path: sendPath(roomId), status: 502, afterHandling: true, body: { errcode: 'M_UNKNOWN', error: 'Bad gateway' } });
    await forumPost({ id: ++postId, topicId: 902, categoryId: 9, title: 'Lost in transit' });
    const delivery = await delivered(roomId, postId);
    const sends = fake.requests.filter((r) => r.method === 'PUT' && sendPath(roomId).test(r.path) && JSON.stringify(r.body).includes('Lost in transit'));
    assert.deepEqual(
      sends.map((r) => r.status),
      [502, 200],
      'refused once (with the event stored), then taken',
    );
    assert.equal(sends[1]!.path, sends[0]!.path, 'the same transaction id');
    const shown = notices(roomId).filter((m) => String(m.content.body).includes('Lost in transit'));
    assert.equal(shown.length, 1, 'the room shows one notice');
    assert.equal(delivery.messageRef, shown[0]!.event_id);
    assert.equal(delivery.attempts, 1, 'a 502 is the homeserver unreachable: the delivery waited for it without spending an attempt');
  });

  test('M_LIMIT_EXCEEDED is waited out, then delivered once; another room is not held up meanwhile', async () => {
    const slow = await roomWithBot('Slow');
    const fast = await roomWithBot('Fast');
    await command(slow, MOD, '!discourse watch c/busy');
    await command(fast, MOD, '!discourse watch c/busy');
    const RETRY_AFTER_MS = 2500;
    fake.rateLimit({ method: 'PUT', path: sendPath(slow), retryAfterMs: RETRY_AFTER_MS });
    await forumPost({ id: ++postId, topicId: 903, categoryId: 7, title: 'Slow down' });
    const fastDelivery = await delivered(fast, postId);
    await delivered(slow, postId);
    const attempts = fake.requests.filter((r) => r.method === 'PUT' && sendPath(slow).test(r.path) && JSON.stringify(r.body).includes('Slow down'));
    assert.deepEqual(
      attempts.map((r) => r.status),
      [429, 200],
    );
    const waited = attempts[1]!.at - attempts[0]!.at;
    assert.ok(waited >= RETRY_AFTER_MS - 100, `waited the retry_after_ms (${waited} ms)`);
    assert.equal(notices(slow).filter((m) => String(m.content.body).includes('Slow down')).length, 1, 'delivered once');
    const fastSend = fake.requests.find((r) => r.method === 'PUT' && sendPath(fast).test(r.path) && JSON.stringify(r.body).includes('Slow down'))!;
    assert.ok(fastSend.at - attempts[0]!.at < RETRY_AFTER_MS - 500, `the other room got it while the first one waited (${fastSend.at - attempts[0]!.at} ms after the refusal)`);
    assert.equal(fastDelivery.messageRef, notices(fast).find((m) => String(m.content.body).includes('Slow down'))?.event_id);
  });

  test('the bot kicked from a room: the channel is in error, naming who did it and why', async () => {
    const roomId = await roomWithBot('Kicked');
    fake.kick(roomId, MOD, fake.botUserId, 'too chatty');
    const record = await channelIn(roomId, 'error');
    assert.equal(record.lastError?.code, 'bot_removed');
    assert.match(record.lastError?.message ?? '', /removed from this room by @mod:staff\.example\.org: "too chatty"/);
    assert.match(record.lastError?.message ?? '', /invite it again/);
  });

  test('kicked between joining and its greeting: the failed greeting does not hide the kick', async () => {
    const roomId = fake.createRoom({ creator: MOD, name: 'Short stay', members: [MEL] });
    // The greeting meets a room the bot was just kicked from.
    fake.fail({ method: 'PUT', path: sendPath(roomId), status: 403, body: { errcode: 'M_FORBIDDEN', error: `User ${fake.botUserId} not in room ${roomId}` }, times: 1 });
    fake.invite(roomId, MOD);
    await eventually(() => (fake.requests.some((r) => r.method === 'PUT' && sendPath(roomId).test(r.path)) ? true : undefined), 'the greeting being tried');
    fake.kick(roomId, MOD, fake.botUserId, 'changed my mind');
    const record = await channelIn(roomId, 'error');
    assert.equal(record.lastError?.code, 'bot_removed');
    assert.match(record.lastError?.message ?? '', /changed my mind/);
  });

  test('the bot banned from a room: the channel is in error, naming who did it', async () => {
    const roomId = await roomWithBot('Banned');
    fake.ban(roomId, MOD);
    const record = await channelIn(roomId, 'error');
    assert.equal(record.lastError?.code, 'bot_banned');
    assert.match(record.lastError?.message ?? '', /banned from this room by @mod:staff\.example\.org/);
    assert.match(record.lastError?.message ?? '', /unban/);
  });

  /** Resolves once a sync that started after the event at `eventId` has begun: the one that returned it was handled. */
  const syncedPast = (eventId: string) =>
    eventually(() => (fake.syncSinces.some((s) => s !== null && Number(s.slice(1)) >= Number(eventId.slice(1))) ? true : undefined), `a sync past ${eventId}`);

  test('encryption turned on in a room: said there once, and the channel is in error encrypted_room', async () => {
    const roomId = await roomWithBot('Secret');
    const before = notices(roomId).length;
    fake.enableEncryption(roomId);
    const record = await channelIn(roomId, 'error');
    assert.equal(record.lastError?.code, 'encrypted_room');
    // The greeting of the join may still be on its way: look for the bot's word on encryption among what came after.
    const said = await eventually(() => notices(roomId).slice(before).find((m) => /end-to-end encrypted/.test(String(m.content.body))), 'the bot saying so');
    assert.match(String(said.content.body), /Parley cannot read or send encrypted messages, so it will not post here/);

    const again = fake.setState(roomId, MOD, 'm.room.encryption', '', { algorithm: 'm.megolm.v1.aes-sha2', rotation_period_ms: 604800000 });
    await syncedPast(again);
    assert.equal(notices(roomId).filter((m) => /end-to-end encrypted/.test(String(m.content.body))).length, 1, 'said once');
    const tries = fake.requests.filter((r) => r.method === 'PUT' && sendPath(roomId).test(r.path) && JSON.stringify(r.body).includes('end-to-end encrypted'));
    assert.equal(tries.length, 1, 'not even tried a second time');
    assert.equal((await channel(roomId))?.lastError?.code, 'encrypted_room');
  });

  test('encrypted room: a forum post is not sent into it in the clear, and the channel stays in error', async () => {
    const roomId = await roomWithBot('Secret too');
    await command(roomId, MOD, '!discourse watch c/support');
    fake.enableEncryption(roomId);
    await eventually(async () => ((await channel(roomId))?.lastError?.code === 'encrypted_room' ? true : undefined), 'the channel in error');
    await forumPost({ id: ++postId, topicId: 904, categoryId: 4, title: 'Secret plans' });
    await delivered(lobby, postId);
    const record = (await channel(roomId))!;
    const final = await eventually(async () => {
      const d = await parley.app.store.deliveries.getByJobId(`post-${postId}-ch-${record.id}`);
      return d && d.status !== 'queued' ? d : undefined;
    }, 'the delivery to the encrypted room settled');
    assert.equal(
      notices(roomId).filter((m) => String(m.content.body).includes('Secret plans')).length,
      0,
      'no plaintext notice in an encrypted room (the bot told the room it "will not post here")',
    );
    assert.notEqual(final.status, 'delivered');
    assert.equal((await channel(roomId))?.lastError?.code, 'encrypted_room');
    assert.equal((await channel(roomId))?.status, 'error');
  });

  test('a restart resumes from the stored sync token: a command sent while Parley was down is answered once, older ones not again', async () => {
    await parley.stop();
    const store = await openStore({ kind: 'sqlite', path: env.DATABASE_URL! });
    const stored = await store.platformState.get('matrix', `sync:${fake.botUserId}`);
    await store.close();
    assert.ok(stored, 'a sync token was kept');

    const whileDown = fake.sendMessage(lobby, MOD, { msgtype: 'm.text', body: '!discourse status' });
    const syncsBefore = fake.syncSinces.length;
    const requestsBefore = fake.requests.length;
    parley = await startParley({ env });
    assert.equal(fake.syncSinces[syncsBefore], stored, "the restarted process's first sync carries the stored token");

    const replies = () => fake.requests.slice(requestsBefore).filter((r) => r.method === 'PUT' && r.status === 200 && relation((r.body ?? {}) as Record<string, unknown>)?.['m.in_reply_to'] !== undefined);
    const reply = await eventually(() => replies().find((r) => relation(r.body as Record<string, unknown>)?.['m.in_reply_to']?.event_id === whileDown), 'the answer to the command sent while down');
    assert.match(JSON.stringify(reply.body), /watch c\/support/, "the status lists the lobby's rule");
    // Caught up: a sync from past the command has started, and one more after it.
    await syncedPast(whileDown);
    const caughtUp = fake.syncSinces.length;
    await eventually(() => (fake.syncSinces.length > caughtUp ? true : undefined), 'one more sync');
    assert.equal(replies().filter((r) => relation(r.body as Record<string, unknown>)?.['m.in_reply_to']?.event_id === whileDown).length, 1, 'answered once');
    const again = replies().filter((r) => answered.includes(relation(r.body as Record<string, unknown>)?.['m.in_reply_to']?.event_id ?? ''));
    assert.deepEqual(again, [], 'no earlier command answered again');
    assert.equal(
      fake.botMessages(lobby).filter((m) => relation(m.content)?.['m.in_reply_to']?.event_id === whileDown).length,
      1,
      'the room shows one answer',
    );
  });
});

describe('Matrix: an invitation nobody answers', () => {
  let forum: FakeForum;
  let fake: FakeMatrix;
  let parley: TestParley;
  /** What `parley channels list` shows for the expired invitation (the first test). */
  let expired = '';

  before(async () => {
    forum = await startFakeForum({ categories: [{ id: 4, slug: 'support', name: 'Support' }] });
    fake = await startFakeMatrix({ maxLongPollMs: LONG_POLL_MS });
    // 0.0005 hours: 1.8 s.
    parley = await startParley({ env: matrixEnv(forum, fake, { PARLEY_MATRIX_INVITE_EXPIRY_HOURS: '0.0005' }) });
  });
  after(async () => {
    await parley?.stop();
    await fake?.close();
    await forum?.stop();
    assertSpeaksTheSpec(fake);
  });

  test('is declined after PARLEY_MATRIX_INVITE_EXPIRY_HOURS, and the channel is in error invite_expired', async () => {
    const roomId = fake.createRoom({ creator: SAM, name: 'Forgotten' });
    const invitedAt = Date.now();
    fake.invite(roomId, SAM);
    const pending = await eventually(async () => {
      const c = await parley.app.store.channels.find('matrix', roomId);
      return c?.status === 'pending' ? c : undefined;
    }, 'the channel pending');
    assert.equal(pending.status, 'pending');
    await eventually(() => (fake.membership(roomId) === 'leave' ? true : undefined), 'the invitation declined');
    assert.ok(Date.now() - invitedAt >= 1800, 'not before it expired');
    const record = await eventually(async () => {
      const c = await parley.app.store.channels.find('matrix', roomId);
      return c?.status === 'error' ? c : undefined;
    }, 'the channel in error');
    assert.equal(record.lastError?.code, 'invite_expired');
    expired = record.lastError?.message ?? '';
    assert.match(record.lastError?.message ?? '', /@sam:elsewhere\.example/);
    assert.match(record.lastError?.message ?? '', /invite the bot again/);
    const own = fake.events(roomId).filter((e) => e.type === 'm.room.member' && e.state_key === fake.botUserId);
    assert.deepEqual(
      own.map((e) => e.content.membership),
      ['invite', 'leave'],
      'never joined',
    );
    assert.deepEqual(fake.botMessages(roomId), [], 'said nothing');
  });

  test('the expired invitation says truly how long it waited', () => {
    // PARLEY_MATRIX_INVITE_EXPIRY_HOURS takes fractions (0.0005 here: 1.8 s); the message must not round them away.
    assert.match(expired, /expired unanswered after/, expired);
    assert.doesNotMatch(expired, /after 0 hours/, expired);
  });
});
