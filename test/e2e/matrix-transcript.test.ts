// !topic end to end on Matrix: the command typed in a room of a stateful fake homeserver (every request checked
// against the Matrix client-server spec), the room's history read back with /messages (and /timestamp_to_event
// with /context for a time range), Matrix HTML converted to the forum's Markdown with mention pills as display
// names, edits applied, redactions left out, thread replies under their root; one topic created in the fake forum
// (checked against Discourse's spec by Prism) as the forum user of the same username, the link back as a reply.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { startFakeForum, type FakeForum } from '../helpers/fake-forum.js';
import { startFakeMatrix, type BotMessage, type FakeMatrix } from '../helpers/fake-matrix.js';
import { eventually, startParley, type TestParley } from '../helpers/parley.js';
import { startPrism, type PrismServer } from '../helpers/prism.js';

const SPEC = new URL('../../../shared/specs/discourse-openapi.json', import.meta.url).pathname;

/** The forum's admin `mod` (same username: PARLEY_IDENTITY_SAME_USERNAME). */
const MOD = '@mod:example.org';
const ANN = '@ann:example.org';
const BEN = '@ben:example.org';
const NAMES = { [MOD]: 'Mo Derator', [ANN]: 'Ann Lee', [BEN]: 'Ben Ko' };
const HTML = 'org.matrix.custom.html';

// matrix-js-sdk's request timers would keep this process alive for a minute after the last sync.

type Relation = { rel_type?: string; event_id?: string; 'm.in_reply_to'?: { event_id?: string } };
const relation = (content: Record<string, unknown>): Relation | undefined => content['m.relates_to'] as Relation | undefined;

describe('Matrix !topic end to end', () => {
  let prism: PrismServer;
  let forum: FakeForum;
  let fake: FakeMatrix;
  let parley: TestParley;
  const now = Date.now();
  const at = (minutesAgo: number) => ({ ts: now - minutesAgo * 60_000 });
  /** Rooms the bot was in before Parley started: their first command registers them. */
  let ops = '';
  let news = '';
  let count = '';

  before(async () => {
    prism = await startPrism(SPEC, { errors: true });
    forum = await startFakeForum({ validatorUrl: prism.url, users: [{ username: 'mod', admin: true }] });
    fake = await startFakeMatrix({ maxLongPollMs: 500, botDisplayName: 'Parley' });

    ops = fake.createRoom({ creator: MOD, name: 'Ops', members: [ANN, BEN, fake.botUserId], displayNames: NAMES, ts: now - 60 * 60_000 });
    const say = (minutesAgo: number, sender: string, content: Record<string, unknown>) => fake.sendMessage(ops, sender, { msgtype: 'm.text', ...content }, at(minutesAgo));
    say(12, BEN, { body: 'Earlier chatter' });
    say(10, ANN, { body: 'Deploy failed on **node 3**', format: HTML, formatted_body: 'Deploy failed on <b>node 3</b>' });
    say(9, BEN, { body: 'See status page', format: HTML, formatted_body: 'See <a href="https://status.example.org/incidents">status page</a>' });
    const root = say(8, ANN, { body: 'Which pod?' });
    say(7.5, BEN, {
      body: 'api-2, Annie',
      format: HTML,
      formatted_body: 'api-2, <a href="https://matrix.to/#/@ann:example.org">Annie</a>',
      'm.relates_to': { rel_type: 'm.thread', event_id: root, is_falling_back: true, 'm.in_reply_to': { event_id: root } },
    });
    const typo = say(7, BEN, { body: 'Rolling back nwo' });
    say(6.5, BEN, {
      body: '* Rolling back now',
      'm.new_content': { msgtype: 'm.text', body: 'Rolling back now', format: HTML, formatted_body: 'Rolling back <i>now</i>' },
      'm.relates_to': { rel_type: 'm.replace', event_id: typo },
    });
    const oops = say(6, ANN, { body: 'oops, the password is hunter2' });
    fake.redact(ops, ANN, oops, 'secret');
    say(5, ANN, { body: 'Rollback done' });

    count = fake.createRoom({ creator: MOD, name: 'Count', members: [ANN, fake.botUserId], displayNames: NAMES, ts: now - 60 * 60_000 });
    for (const [i, word] of ['one', 'two', 'three', 'four'].entries()) fake.sendMessage(count, ANN, { msgtype: 'm.text', body: `Message ${word}` }, at(20 - i));

    news = fake.createRoom({ creator: MOD, name: 'News', members: [ANN, fake.botUserId], displayNames: NAMES, ts: now - 180 * 60_000 });
    fake.sendMessage(news, ANN, { msgtype: 'm.text', body: 'Old news' }, at(120));
    fake.sendMessage(news, ANN, { msgtype: 'm.text', body: 'Fresh **news**', format: HTML, formatted_body: 'Fresh <b>news</b>' }, at(30));
    fake.sendMessage(news, MOD, { msgtype: 'm.text', body: 'Later news' }, at(10));

    parley = await startParley({
      env: {
        PARLEY_DISCOURSE_URL: forum.url,
        PARLEY_DISCOURSE_API_KEY: forum.apiKey,
        PARLEY_MATRIX_HOMESERVER_URL: fake.url,
        PARLEY_MATRIX_ACCESS_TOKEN: fake.accessToken,
        PARLEY_IDENTITY_SAME_USERNAME: 'true',
      },
    });
  });
  after(async () => {
    await parley?.stop();
    await fake?.close();
    await forum?.stop();
    await prism?.stop();
    assert.deepEqual(fake?.violations ?? [], [], 'every request Parley sent the homeserver is one the Matrix spec allows');
    assert.deepEqual(fake?.responseViolations ?? [], [], "the fake's own answers are what the spec says");
    assert.deepEqual(forum?.violations ?? [], [], "every request Parley sent the forum is one Discourse's spec allows");
  });

  const transcriptPosts = () => forum.requests.filter((r) => r.method === 'POST' && r.path === '/posts.json');

  /** MOD types `text`; resolves with the bot's answers to it once one of them holds the topic's link. */
  async function topic(roomId: string, text: string): Promise<{ commandId: string; answers: BotMessage[]; link: BotMessage }> {
    const commandId = fake.sendMessage(roomId, MOD, { msgtype: 'm.text', body: text });
    const answers = () => fake.botMessages(roomId).filter((m) => relation(m.content)?.['m.in_reply_to']?.event_id === commandId);
    const link = await eventually(() => answers().find((m) => /Transcript of/.test(String(m.content.body))), 'the link', 60_000);
    return { commandId, answers: answers(), link };
  }

  test('last:N becomes one forum topic as the user: HTML converted, pills as names, the latest edit, no redacted message, the thread under its root', async () => {
    const before = transcriptPosts().length;
    // More than the room holds: all of it (what last:N counts is the next test's).
    const { answers, link } = await topic(ops, '!topic last:20');
    assert.match(String(answers[0]!.content.body), /Collecting the last 20 messages/, 'answered at once, as a reply');
    assert.equal(link.content.msgtype, 'm.notice');
    assert.deepEqual(link.content['m.mentions'], {});

    const posts = transcriptPosts().slice(before);
    assert.equal(posts.length, 1, 'one topic');
    assert.equal(posts[0]!.headers['api-username'], 'mod', 'posted as the forum user of the same username');
    const topicId = [...forum.topics.keys()].at(-1)!;
    assert.match(String(link.content.body), new RegExp(`Transcript of 7 messages posted: \\S+/${topicId}\\b`), "the room's six messages and the thread reply; the link to the topic");
    assert.match(String(link.content.formatted_body), /<a href="[^"]+">/, 'the link is a link');

    const raw = (posts[0]!.body as { raw: string }).raw;
    assert.match(raw, /Deploy failed on \*\*node 3\*\*/, 'bold');
    assert.match(raw, /See \[status page\]\(https:\/\/status\.example\.org\/incidents\)/, 'the link');
    assert.match(raw, /> ↳ \*\*Ben Ko\*\* · .*\n> api-2, @\u200BAnn Lee/u, 'the thread reply quoted under its root, the pill as the display name');
    assert.doesNotMatch(raw, /Annie/, "the pill's label gives way to the member's name");
    assert.match(raw, /Rolling back \*now\*/, 'the latest edit');
    assert.doesNotMatch(raw, /nwo/, 'not the text before the edit');
    assert.doesNotMatch(raw, /hunter2|oops/, 'the redacted message is left out');
    assert.doesNotMatch(raw, /!topic|last:20/, 'the command is left out');
    assert.doesNotMatch(raw, /Collecting|Parley is here/, "Parley's own notices are not the conversation");
    const order = ['Earlier chatter', 'Deploy failed', 'See [status page]', 'Which pod?', 'api-2', 'Rolling back', 'Rollback done'].map((t) => raw.indexOf(t));
    assert.ok(order.every((i) => i >= 0), raw);
    assert.deepEqual([...order].sort((a, b) => a - b), order, raw);
    assert.equal((await parley.app.store.channels.find('matrix', ops))?.status, 'active', 'the first command registered the room');
  });

  test("last:N is the conversation's last N messages: neither the command nor Parley's answer to it is one of them", async () => {
    const before = transcriptPosts().length;
    const { link } = await topic(count, '!topic last:3');
    const raw = (transcriptPosts().slice(before)[0]!.body as { raw: string }).raw;
    assert.deepEqual(
      ['one', 'two', 'three', 'four'].filter((word) => new RegExp(`Message ${word}\\b`).test(raw)),
      ['two', 'three', 'four'],
      raw,
    );
    assert.match(String(link.content.body), /Transcript of 3 messages posted/);
  });

  test('since: reads the range from its end (/timestamp_to_event) and stops at its start', async () => {
    const before = transcriptPosts().length;
    const { link } = await topic(news, '!topic since:1h title:"News of the hour"');
    assert.match(String(link.content.body), /Transcript of 2 messages posted/);
    const posts = transcriptPosts().slice(before);
    assert.equal(posts.length, 1);
    const body = posts[0]!.body as { raw: string; title: string };
    assert.equal(body.title, 'News of the hour');
    assert.match(body.raw, /Fresh \*\*news\*\*/);
    assert.match(body.raw, /Later news/);
    assert.doesNotMatch(body.raw, /Old news/, 'before the range');
    assert.doesNotMatch(body.raw, /since:1h/, 'the command is left out');
    assert.ok(fake.calls('GET /_matrix/client/v1/rooms/{roomId}/timestamp_to_event').length > 0, 'the range was found by time');
  });
});
