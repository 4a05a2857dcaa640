// /topic end to end on IRC: people talk in a channel of a real ngircd (test/helpers/ngircd.ts) on raw sockets
// (test/helpers/irc-person.ts), Parley keeps its message log (IRC servers keep no history), and a channel
// operator whose nick!user@host is linked to a forum admin archives the last messages: the forum (a stateful
// fake whose requests Prism checks against Discourse's spec) gets exactly one topic, and the link comes back
// by NOTICE.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { startFakeForum, type FakeForum } from '../helpers/fake-forum.js';
import { connectPerson, type IrcPerson, type ParsedLine } from '../helpers/irc-person.js';
import { ircEnv, type Ngircd, startNgircd } from '../helpers/ngircd.js';
import { eventually, startParley, type TestParley } from '../helpers/parley.js';
import { startPrism, type PrismServer } from '../helpers/prism.js';

const SPEC = new URL('../../../shared/specs/discourse-openapi.json', import.meta.url).pathname;
const BOT = 'parleyscribe';
const CHANNEL = '#ops';

/** The user's prefix as the server announced it in 001: on ngircd (no services accounts) the chat user's id. */
const prefixOf = (person: IrcPerson): string => person.lines.find((l) => l.command === '001')!.params.at(-1)!.split(' ').at(-1)!;
const fromBot = (command: string) => (l: ParsedLine) => l.command === command && l.nick === BOT;

describe('IRC /topic end to end', () => {
  let prism: PrismServer;
  let server: Ngircd;
  let forum: FakeForum;
  let parley: TestParley;
  /** The channel's operator, linked to the forum admin carol. */
  let carol: IrcPerson;
  let alice: IrcPerson;
  let bob: IrcPerson;

  before(async () => {
    prism = await startPrism(SPEC, { errors: true });
    server = await startNgircd();
    forum = await startFakeForum({
      validatorUrl: prism.url,
      categories: [{ id: 7, slug: 'staff', name: 'Staff', read_restricted: true }],
      users: [{ username: 'carol', admin: true }],
    });
    carol = await connectPerson(server, 'carol');
    await carol.join(CHANNEL); // the first to join: the channel's operator
    alice = await connectPerson(server, 'alice');
    await alice.join(CHANNEL);
    bob = await connectPerson(server, 'bob');
    await bob.join(CHANNEL);
    carol.mark();
    parley = await startParley({
      env: {
        PARLEY_DISCOURSE_URL: forum.url,
        PARLEY_DISCOURSE_API_KEY: forum.apiKey,
        ...ircEnv(server, BOT),
        PARLEY_IRC_CHANNELS: CHANNEL,
        PARLEY_IRC_SEND_INTERVAL_SECONDS: '0.5',
        PARLEY_TIMEZONE: 'Europe/Berlin',
      },
    });
    const { store } = parley.app;
    // Registered before anyone speaks: only a registered channel's messages are logged.
    await store.channels.ensure({ platform: 'irc', externalId: CHANNEL, name: CHANNEL, status: 'active', addedBy: 'cli' });
    await store.identities.set({ platform: 'irc', userId: prefixOf(carol), source: 'discourse', username: 'carol', createdBy: 'cli' });
    await carol.waitFor((l) => fromBot('JOIN')(l) && l.params[0] === CHANNEL, `the bot joining ${CHANNEL}`);
  });

  after(async () => {
    await parley?.stop();
    for (const p of [carol, alice, bob]) await p?.quit().catch(() => undefined);
    await forum?.stop();
    await server?.stop();
    await prism?.stop();
  });

  /** Waits until the message log holds `count` messages of the channel: each is logged before the next is said. */
  const logged = (count: number) =>
    eventually(async () => {
      const messages = await parley.app.store.messageLog.latest('irc', CHANNEL, 50, new Date(Date.now() + 60_000));
      return messages.length >= count ? messages : undefined;
    }, `${count} messages in the log`);

  test('a channel operator linked to a forum admin archives the last 3 messages: one topic, in order, colours stripped, the action as an action, without the command', async () => {
    assert.equal(prefixOf(carol), 'carol!~carol@127.0.0.1', "ngircd's prefix, without ident");
    alice.say(CHANNEL, 'Too early to tell');
    await logged(1);
    alice.say(CHANNEL, 'The database is down since 14:02');
    await logged(2);
    bob.say(CHANNEL, '\x0304red\x03 alert: failover did not start');
    await logged(3);
    alice.action(CHANNEL, 'restarts the primary');
    await logged(4);

    carol.mark();
    carol.say(CHANNEL, '!topic last:3 category:staff');
    const collecting = await carol.waitFor(fromBot('NOTICE'), 'the first answer');
    assert.match(collecting.params.at(-1)!, /Collecting the last 3 messages/);
    const link = await carol.waitFor((l) => fromBot('NOTICE')(l) && l.params.at(-1)!.includes(`${forum.url}/t/`), 'the link to the topic', 30_000);
    assert.ok([CHANNEL, 'carol'].includes(link.params[0]!), `answered in the channel or to carol, not to ${link.params[0]}`);

    const posts = forum.requests.filter((r) => r.method === 'POST' && r.path === '/posts.json');
    assert.equal(posts.length, 1, 'exactly one POST /posts.json');
    const [post] = posts;
    assert.equal(post!.headers['api-username'], 'carol', 'created as the linked forum admin');
    const body = post!.body as { title: string; raw: string; category: number };
    assert.equal(body.category, 7);
    const topicId = /\/t\/[^/\s]*\/(\d+)/u.exec(link.params.at(-1)!)?.[1];
    assert.ok(topicId && forum.topics.has(Number(topicId)), `the link names the topic created (${link.params.at(-1)})`);

    const raw = body.raw;
    const order = ['The database is down since 14:02', 'red alert: failover did not start', 'restarts the primary'].map((t) => raw.indexOf(t));
    assert.ok(order.every((i) => i >= 0), `every message of the last 3 is in the post:\n${raw}`);
    assert.deepEqual([...order].sort((a, b) => a - b), order, `in the order they were said:\n${raw}`);
    assert.doesNotMatch(raw, /Too early to tell/, 'only the last 3');
    // eslint-disable-next-line no-control-regex -- the colour code is the control character \x03
    assert.doesNotMatch(raw, /\x03|04red/u, 'colour codes stripped');
    assert.match(raw, /_\\\* alice restarts the primary_/u, 'the action shown as an action (* alice …, in italics)');
    assert.doesNotMatch(raw, /!topic/, 'the command itself is left out');
    assert.match(raw, /Participants: alice, bob\n/u, 'those who spoke, by nick; not the one who typed the command');
    assert.equal((raw.match(/\*\*alice\*\*/gu) ?? []).length, 2, "alice's message and her action, each under her nick");
    assert.deepEqual(forum.violations.filter((v) => !/tags/.test(v.reason)), [], 'requests match the Discourse spec');
  });
});
