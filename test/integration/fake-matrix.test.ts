// The fake Matrix homeserver itself (test/helpers/fake-matrix.ts), spoken to with plain fetch: that its spec
// checker catches bad requests, and that /sync, /messages, transactions and redactions behave as the spec says.
import { afterEach, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { startFakeMatrix, type FakeMatrix, type FakeMatrixOptions } from '../helpers/fake-matrix.js';
import { rejection } from '../helpers/rejection.js';

const ALICE = '@alice:example.org';
const BOB = '@bob:example.org';
const V3 = '/_matrix/client/v3';

const fakes: FakeMatrix[] = [];
afterEach(async () => {
  for (const fake of fakes.splice(0)) await fake.close();
});

async function fakeMatrix(opts: FakeMatrixOptions = {}): Promise<FakeMatrix> {
  const fake = await startFakeMatrix(opts);
  fakes.push(fake);
  return fake;
}

interface Reply {
  status: number;
  body: Record<string, unknown>;
  headers: Headers;
}

/** One request as a client sends it: JSON body, `Authorization: Bearer` (unless `token: null`). */
async function call(fake: FakeMatrix, method: string, path: string, opts: { query?: Record<string, string>; body?: unknown; token?: string | null } = {}): Promise<Reply> {
  const url = new URL(path.startsWith('/_matrix') ? path : `${V3}${path}`, fake.url);
  for (const [k, v] of Object.entries(opts.query ?? {})) url.searchParams.set(k, v);
  const token = opts.token === undefined ? fake.accessToken : opts.token;
  const res = await fetch(url, {
    method,
    headers: { ...(token !== null ? { authorization: `Bearer ${token}` } : {}), ...(opts.body !== undefined ? { 'content-type': 'application/json' } : {}) },
    ...(opts.body !== undefined ? { body: JSON.stringify(opts.body) } : {}),
  });
  return { status: res.status, body: (await res.json()) as Record<string, unknown>, headers: res.headers };
}

const room = (roomId: string): string => encodeURIComponent(roomId);
type Timeline = { events: { event_id: string; type: string; content: Record<string, unknown>; unsigned?: Record<string, unknown> }[]; limited: boolean; prev_batch: string };
const joined = (sync: Reply, roomId: string): { timeline: Timeline; state: { events: { type: string }[] } } | undefined =>
  ((sync.body.rooms as { join: Record<string, { timeline: Timeline; state: { events: { type: string }[] } }> }).join)[roomId];

describe('spec checks', () => {
  test('a valid flow leaves no violations, in requests or in the answers', async () => {
    const fake = await fakeMatrix();
    const roomId = fake.createRoom({ creator: ALICE, name: 'General', members: [fake.botUserId], displayNames: { [ALICE]: 'Alice' } });
    assert.deepEqual((await call(fake, 'GET', '/_matrix/client/versions', { token: null })).status, 200);
    assert.equal((await call(fake, 'GET', '/account/whoami')).body.user_id, fake.botUserId);
    const filter = await call(fake, 'POST', `/user/${encodeURIComponent(fake.botUserId)}/filter`, { body: { room: { timeline: { limit: 5, types: ['m.room.message'] } } } });
    const initial = await call(fake, 'GET', '/sync', { query: { filter: filter.body.filter_id as string, timeout: '0', set_presence: 'offline' } });
    assert.ok(joined(initial, roomId));
    const sent = await call(fake, 'PUT', `/rooms/${room(roomId)}/send/m.room.message/t1`, { body: { msgtype: 'm.notice', body: 'hi', format: 'org.matrix.custom.html', formatted_body: '<b>hi</b>' } });
    assert.match(sent.body.event_id as string, /^\$/u);
    await call(fake, 'PUT', `/rooms/${room(roomId)}/send/m.room.message/t2`, { body: { msgtype: 'm.text', body: '* hi!', 'm.new_content': { msgtype: 'm.text', body: 'hi!' }, 'm.relates_to': { rel_type: 'm.replace', event_id: sent.body.event_id } } });
    await call(fake, 'GET', `/rooms/${room(roomId)}/messages`, { query: { dir: 'b', limit: '3', filter: JSON.stringify({ types: ['m.room.message'], lazy_load_members: true }) } });
    const levels = await call(fake, 'GET', `/rooms/${room(roomId)}/state/m.room.power_levels`);
    assert.equal((levels.body.users as Record<string, number>)[ALICE], 100);
    const members = await call(fake, 'GET', `/rooms/${room(roomId)}/joined_members`);
    assert.deepEqual(members.body.joined, { [ALICE]: { display_name: 'Alice' }, [fake.botUserId]: {} });
    assert.deepEqual((await call(fake, 'GET', `/profile/${encodeURIComponent(ALICE)}/displayname`)).body, { displayname: 'Alice' });
    assert.deepEqual((await call(fake, 'GET', '/joined_rooms')).body, { joined_rooms: [roomId] });
    const found = await call(fake, 'GET', `/_matrix/client/v1/rooms/${room(roomId)}/timestamp_to_event`, { query: { ts: '0', dir: 'f' } });
    assert.equal(found.body.event_id, '$1');
    assert.deepEqual(fake.violations, []);
    assert.deepEqual(fake.responseViolations, []);
  });

  test('unknown paths, bad bodies, bad queries and missing tokens are caught; the request is still answered', async () => {
    const fake = await fakeMatrix();
    const roomId = fake.createRoom({ creator: ALICE, members: [fake.botUserId] });
    const unknown = await call(fake, 'GET', '/no/such/thing');
    assert.deepEqual([unknown.status, unknown.body.errcode], [404, 'M_UNRECOGNIZED']);
    await call(fake, 'PUT', `/rooms/${room(roomId)}/send/m.room.message/a`, { body: ['not', 'an', 'object'] });
    await call(fake, 'PUT', `/rooms/${room(roomId)}/send/m.room.message/b`, { body: { msgtype: 'm.notice' } });
    await call(fake, 'GET', '/sync', { query: { timeout: 'soon' } });
    const anonymous = await call(fake, 'GET', '/joined_rooms', { token: null });
    assert.deepEqual([anonymous.status, anonymous.body.errcode], [401, 'M_MISSING_TOKEN']);
    const wrong = await call(fake, 'GET', '/joined_rooms', { token: 'nope' });
    assert.deepEqual([wrong.status, wrong.body.errcode], [401, 'M_UNKNOWN_TOKEN']);
    assert.deepEqual(
      fake.violations.map((v) => v.kind),
      ['unknown_path', 'bad_body', 'bad_content', 'bad_content', 'bad_query', 'missing_auth'],
    );
    assert.match(fake.violations[3]!.message, /m\.notice.*body/u);
  });
});

describe('sync', () => {
  test('an incremental sync gives only what is new, and long-polls until something is', async () => {
    const fake = await fakeMatrix();
    const roomId = fake.createRoom({ creator: ALICE, members: [fake.botUserId] });
    fake.sendMessage(roomId, ALICE, { msgtype: 'm.text', body: 'before' });
    const initial = await call(fake, 'GET', '/sync', { query: { filter: JSON.stringify({ room: { timeline: { limit: 2 } } }) } });
    const first = joined(initial, roomId)!;
    assert.equal(first.timeline.events.length, 2);
    assert.equal(first.timeline.limited, true);
    assert.ok(first.state.events.some((e) => e.type === 'm.room.create'));

    const since = initial.body.next_batch as string;
    const started = Date.now();
    const idle = await call(fake, 'GET', '/sync', { query: { since, timeout: '150' } });
    assert.ok(Date.now() - started >= 140);
    assert.equal(idle.body.next_batch, since);
    assert.equal(joined(idle, roomId), undefined);

    setTimeout(() => fake.sendMessage(roomId, ALICE, { msgtype: 'm.text', body: '!discourse watch c/meta' }), 100);
    const woken = await call(fake, 'GET', '/sync', { query: { since, timeout: '10000' } });
    assert.ok(Date.now() - started < 5000);
    assert.deepEqual(joined(woken, roomId)!.timeline.events.map((e) => e.content.body), ['!discourse watch c/meta']);
    assert.deepEqual(fake.syncSinces, [null, since, since]);
    assert.deepEqual(fake.responseViolations, []);
  });

  test('an invite shows in rooms.invite, a kick in rooms.leave, and a left room not in an initial sync', async () => {
    const fake = await fakeMatrix();
    const roomId = fake.createRoom({ creator: ALICE, name: 'Secret', encrypted: true });
    const start = (await call(fake, 'GET', '/sync')).body.next_batch as string;
    fake.invite(roomId, ALICE);
    const invited = await call(fake, 'GET', '/sync', { query: { since: start } });
    const invite = (invited.body.rooms as { invite: Record<string, { invite_state: { events: { type: string; sender: string; state_key: string; content: Record<string, unknown> }[] } }> }).invite[roomId]!;
    const own = invite.invite_state.events.find((e) => e.type === 'm.room.member' && e.state_key === fake.botUserId);
    assert.deepEqual([own?.sender, own?.content.membership], [ALICE, 'invite']);
    assert.deepEqual(invite.invite_state.events.map((e) => e.type).sort(), ['m.room.create', 'm.room.encryption', 'm.room.join_rules', 'm.room.member', 'm.room.name']);

    assert.equal((await call(fake, 'POST', `/join/${room(roomId)}`, { body: {} })).body.room_id, roomId);
    const afterJoin = invited.body.next_batch as string;
    fake.sendMessage(roomId, ALICE, { msgtype: 'm.text', body: 'bye' });
    fake.kick(roomId, ALICE, fake.botUserId, 'spam');
    fake.sendMessage(roomId, ALICE, { msgtype: 'm.text', body: 'not for the bot' });
    const kicked = await call(fake, 'GET', '/sync', { query: { since: afterJoin } });
    const left = (kicked.body.rooms as { leave: Record<string, { timeline: Timeline }> }).leave[roomId]!;
    assert.deepEqual(left.timeline.events.map((e) => e.content.membership ?? e.content.body), ['join', 'bye', 'leave']);
    const initial = await call(fake, 'GET', '/sync');
    assert.deepEqual(initial.body.rooms, { join: {}, invite: {}, leave: {}, knock: {} });
    const refused = await call(fake, 'PUT', `/rooms/${room(roomId)}/send/m.room.message/t9`, { body: { msgtype: 'm.text', body: 'x' } });
    assert.deepEqual([refused.status, refused.body.errcode], [403, 'M_FORBIDDEN']);
    assert.deepEqual(fake.violations, []);
    assert.deepEqual(fake.responseViolations, []);
  });
});

describe('sending, history and faults', () => {
  test('a repeated transaction id returns the first event id and posts once, also after a lost response', async () => {
    const fake = await fakeMatrix();
    const roomId = fake.createRoom({ creator: ALICE, members: [fake.botUserId] });
    const path = `/rooms/${room(roomId)}/send/m.room.message/txn-1`;
    const body = { msgtype: 'm.notice', body: 'once' };
    const first = await call(fake, 'PUT', path, { body });
    const again = await call(fake, 'PUT', path, { body });
    assert.equal(again.body.event_id, first.body.event_id);

    fake.fail({ method: 'PUT', path: `${V3}/rooms/{roomId}/send/{eventType}/{txnId}`, status: 502, body: { errcode: 'M_UNKNOWN', error: 'Bad gateway' }, afterHandling: true });
    const lost = await call(fake, 'PUT', `/rooms/${room(roomId)}/send/m.room.message/txn-2`, { body: { msgtype: 'm.notice', body: 'lost' } });
    assert.equal(lost.status, 502);
    const retried = await call(fake, 'PUT', `/rooms/${room(roomId)}/send/m.room.message/txn-2`, { body: { msgtype: 'm.notice', body: 'lost' } });
    assert.equal(retried.status, 200);
    assert.deepEqual(fake.botMessages(roomId).map((m) => [m.content.body, m.txnId]), [['once', 'txn-1'], ['lost', 'txn-2']]);
    assert.equal(fake.botMessages(roomId)[1]!.event_id, retried.body.event_id);

    await call(fake, 'PUT', path, { body: { msgtype: 'm.notice', body: 'something else' } });
    assert.deepEqual(fake.violations.map((v) => v.kind), ['txn_reuse']);
  });

  test('/messages pages backwards and ends; a redaction empties the content', async () => {
    const fake = await fakeMatrix();
    const roomId = fake.createRoom({ creator: ALICE, members: [fake.botUserId, BOB] });
    const ids = ['one', 'two', 'three'].map((body, i) => fake.sendMessage(roomId, BOB, { msgtype: 'm.text', body }, { ts: 1000 + i }));
    const seen: string[] = [];
    let from: string | undefined;
    let pages = 0;
    for (;;) {
      const page = await call(fake, 'GET', `/rooms/${room(roomId)}/messages`, { query: { dir: 'b', limit: '2', filter: JSON.stringify({ types: ['m.room.message'] }), ...(from !== undefined ? { from } : {}) } });
      pages++;
      seen.push(...(page.body.chunk as { content: { body: string } }[]).map((e) => e.content.body));
      if (page.body.end === undefined) break;
      from = page.body.end as string;
    }
    assert.deepEqual([seen, pages], [['three', 'two', 'one'], 2]);

    const redactPath = `/rooms/${room(roomId)}/redact/${encodeURIComponent(ids[1]!)}`;
    const forbidden = await call(fake, 'PUT', `${redactPath}/r1`, { body: { reason: 'spam' } });
    assert.deepEqual([forbidden.status, forbidden.body.errcode], [403, 'M_FORBIDDEN']);
    fake.setPowerLevel(roomId, fake.botUserId, 50);
    const redaction = await call(fake, 'PUT', `${redactPath}/r2`, { body: { reason: 'spam' } });
    const latest = await call(fake, 'GET', `/rooms/${room(roomId)}/messages`, { query: { dir: 'b', limit: '3', filter: JSON.stringify({ not_types: ['m.room.power_levels'] }) } });
    const [redactionEvent, , redacted] = latest.body.chunk as { event_id: string; type: string; redacts?: string; content: Record<string, unknown>; unsigned?: { redacted_because?: { event_id: string } } }[];
    assert.deepEqual([redactionEvent?.event_id, redactionEvent?.redacts, redactionEvent?.content.redacts], [redaction.body.event_id, ids[1], ids[1]]);
    assert.deepEqual([redacted?.event_id, redacted?.content, redacted?.unsigned?.redacted_because?.event_id], [ids[1], {}, redaction.body.event_id]);

    const before = await call(fake, 'GET', `/_matrix/client/v1/rooms/${room(roomId)}/timestamp_to_event`, { query: { ts: '1001', dir: 'b' } });
    assert.equal(before.body.event_id, ids[1]);
    assert.deepEqual(fake.violations, []);
    assert.deepEqual(fake.responseViolations, []);
  });

  test('rate limits, and a restart: refused while down, the same state after', async () => {
    const fake = await fakeMatrix({ timestampToEvent: false });
    const roomId = fake.createRoom({ creator: ALICE, members: [fake.botUserId] });
    fake.rateLimit({ path: '/joined_rooms', retryAfterMs: 1500 });
    const limited = await call(fake, 'GET', '/joined_rooms');
    assert.deepEqual([limited.status, limited.body.errcode, limited.body.retry_after_ms], [429, 'M_LIMIT_EXCEEDED', 1500]);
    assert.equal((await call(fake, 'GET', '/joined_rooms')).status, 200);
    const none = await call(fake, 'GET', `/_matrix/client/v1/rooms/${room(roomId)}/timestamp_to_event`, { query: { ts: '0', dir: 'f' } });
    assert.deepEqual([none.status, none.body.errcode], [404, 'M_UNRECOGNIZED']);

    const token = fake.currentToken();
    await fake.stop();
    assert.ok(await rejection(call(fake, 'GET', '/joined_rooms')));
    fake.sendMessage(roomId, ALICE, { msgtype: 'm.text', body: 'while down' });
    await fake.start();
    const resumed = await call(fake, 'GET', '/sync', { query: { since: token } });
    assert.deepEqual(joined(resumed, roomId)!.timeline.events.map((e) => e.content.body), ['while down']);
    assert.deepEqual(fake.violations, []);
  });
});
