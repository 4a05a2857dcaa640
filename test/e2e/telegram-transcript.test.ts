// /topic end to end on Telegram: people talk in a group (telegram-test-api, through the real grammY bot),
// Parley keeps its message log, a moderator mapped to a forum admin archives the conversation, and the
// forum (a stateful fake whose requests Prism checks against Discourse's spec) gets exactly one topic.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { startFakeForum, type FakeForum } from '../helpers/fake-forum.js';
import { eventually, startParley, type TestParley } from '../helpers/parley.js';
import { startPrism, type PrismServer } from '../helpers/prism.js';
import { startTelegramServer, type TelegramEmulator } from '../helpers/telegram-server.js';

const SPEC = new URL('../../../shared/specs/discourse-openapi.json', import.meta.url).pathname;
const TOKEN = '654321:e2e-transcript-token';
const CHAT = -100555;
const people = {
  alice: { userId: 11, firstName: 'Alice', userName: 'alice' },
  bob: { userId: 12, firstName: 'Bob', userName: 'bob' },
  carol: { userId: 13, firstName: 'Carol', userName: 'carol' },
  dave: { userId: 14, firstName: 'Dave', userName: 'dave' },
};

describe('Telegram /topic end to end', () => {
  let prism: PrismServer;
  let emulator: TelegramEmulator;
  let forum: FakeForum;
  let parley: TestParley;

  before(async () => {
    prism = await startPrism(SPEC, { errors: true });
    emulator = await startTelegramServer();
    forum = await startFakeForum({
      validatorUrl: prism.url,
      categories: [{ id: 7, slug: 'staff', name: 'Staff', read_restricted: true }],
      users: [{ username: 'carol', admin: true }, { username: 'dave', admin: false, groups: ['trust_level_1'] }],
    });
    parley = await startParley({
      env: {
        PARLEY_DISCOURSE_URL: forum.url,
        PARLEY_DISCOURSE_API_KEY: forum.apiKey,
        PARLEY_TELEGRAM_TOKEN: TOKEN,
        PARLEY_TELEGRAM_API_ROOT: emulator.apiRoot,
        PARLEY_TIMEZONE: 'Europe/Berlin',
      },
    });
    const { store } = parley.app;
    await store.channels.ensure({ platform: 'telegram', externalId: String(CHAT), name: 'Ops room', status: 'active', addedBy: 'cli' });
    await store.identities.set({ platform: 'telegram', userId: String(people.carol.userId), source: 'discourse', username: 'carol', createdBy: 'cli' });
    await store.identities.set({ platform: 'telegram', userId: String(people.dave.userId), source: 'discourse', username: 'dave', createdBy: 'cli' });
  });

  after(async () => {
    await parley?.stop();
    await forum?.stop();
    await emulator?.stop();
    await prism?.stop();
  });

  const client = (who: keyof typeof people) => emulator.server.getClient(TOKEN, { chatId: CHAT, type: 'group' as const, chatTitle: 'Ops room', ...people[who] });
  const say = async (who: keyof typeof people, text: string) => {
    const c = client(who);
    await c.sendMessage(c.makeMessage(text));
  };

  test('a forum admin archives the last messages: one topic, in order, merged, without bob or the command', async () => {
    await say('alice', 'The database is down since 14:02');
    await say('alice', 'Failover did not start');
    await say('bob', 'lunch anyone?');
    await say('carol', 'Restarting the primary now @alice');
    await say('alice', 'Back up. Cause: disk full');
    await eventually(async () => ((await parley.app.store.messageLog.latest('telegram', String(CHAT), 10, new Date(Date.now() + 60_000))).length >= 5 ? true : undefined), 'the message log to hold the conversation');

    const c = client('carol');
    await c.sendCommand(c.makeCommand('/topic last:5 category:staff ignore:bob title:"Outage review"'));
    const posts = await eventually(() => {
      const p = forum.requests.filter((r) => r.method === 'POST' && r.path === '/posts.json');
      return p.length > 0 ? p : undefined;
    }, 'the topic to be posted');
    const messages = await emulator.waitForBotMessages(TOKEN, CHAT, 2);
    assert.match(messages[0]!.text, /Collecting the last 5 messages/);
    assert.match(messages[1]!.text, new RegExp(`${forum.url.replace(/[.]/g, '\\.')}/t/`), 'the chat gets the topic link');

    assert.equal(posts.length, 1, 'exactly one POST /posts.json');
    const [post] = posts;
    assert.equal(post!.headers['api-username'], 'carol', 'created as the issuing forum user');
    const body = post!.body as { title: string; raw: string; category: number; external_id: string };
    assert.equal(body.title, 'Outage review');
    assert.equal(body.category, 7);
    assert.ok(body.external_id);
    const raw = body.raw;
    const order = ['The database is down since 14:02', 'Failover did not start', 'Restarting the primary now', 'Back up. Cause: disk full'].map((t) => raw.indexOf(t));
    assert.ok(order.every((i) => i >= 0), `every kept message is in the post:\n${raw}`);
    assert.deepEqual([...order].sort((a, b) => a - b), order, 'in the order they were sent');
    assert.doesNotMatch(raw, /lunch anyone/, 'ignore:bob');
    assert.doesNotMatch(raw, /\/topic/, 'the command itself is left out');
    assert.equal((raw.match(/\*\*Alice\*\*/g) ?? []).length, 2, "Alice's first two messages merge into one block; her last is a block of its own");
    assert.doesNotMatch(raw, /@alice/, 'chat mentions do not ping forum users');
    assert.match(raw, /Europe\/Berlin/, 'the header names the zone');
    assert.deepEqual(forum.violations.filter((v) => !/tags/.test(v.reason)), [], 'requests match the Discourse spec');
  });

  test('a user mapped to a non-admin gets a refusal that says why, and nothing is posted', async () => {
    const before = forum.requests.filter((r) => r.method === 'POST').length;
    const sentBefore = (await emulator.botMessages(TOKEN, CHAT)).length;
    const c = client('dave');
    await c.sendCommand(c.makeCommand('/topic last:3'));
    const messages = await emulator.waitForBotMessages(TOKEN, CHAT, sentBefore + 1);
    assert.match(messages[sentBefore]!.text, /may not post transcripts: that takes a forum admin/);
    assert.equal(forum.requests.filter((r) => r.method === 'POST').length, before);
  });
});
