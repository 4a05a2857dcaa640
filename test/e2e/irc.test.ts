// End to end on IRC: a whole Parley (startParley, bots/irc through irc-framework) against a real ngircd
// (test/helpers/ngircd.ts), with people on raw sockets (test/helpers/irc-person.ts) who see what any IRC client
// would: the bot joining, `!discourse` answered by NOTICE (and refused for a non-operator), signed Discourse
// webhooks delivered as PRIVMSG lines within 512 bytes, nicks not highlighted, a burst of 30 paced and kept in
// order, a kick marking the channel, INVITEs from operators registering channels, a nick collision resolved and
// a server restart survived.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { PlatformAdapter } from '../../lib/seams/platform.js';
import { startFakeForum, type FakeForum } from '../helpers/fake-forum.js';
import { connectPerson, ircLower, type IrcPerson, type ParsedLine } from '../helpers/irc-person.js';
import { ircEnv, startNgircd, type Ngircd } from '../helpers/ngircd.js';
import { eventually, postBody, startParley, type TestParley } from '../helpers/parley.js';

const BOT = 'parleybot';
const MAIN = '#parley';
const KICKS = '#kicks';
const BURST = 4;
const INTERVAL_S = 0.25;
/** Vic's invitations make a channel active at once; ngircd has no accounts, so the glob is over nick!user@host. */
const VIC_MASK = '*!~vic@127.0.0.1';
const CATEGORIES = [
  { id: 4, slug: 'support', name: 'Support' },
  { id: 6, slug: 'dev', name: 'Dev' },
];

/** The text of a PRIVMSG or NOTICE. */
const text = (l: ParsedLine): string => l.params.at(-1) ?? '';
const from = (nick: string, command: string, target?: string) => (l: ParsedLine) =>
  l.command === command && ircLower(l.nick ?? '') === ircLower(nick) && (target === undefined || ircLower(l.params[0] ?? '') === ircLower(target));
/** What a client shows: bold dropped, zero-width spaces invisible. */
const visible = (s: string): string => s.replace(/\x02/gu, '').replace(/\u200B/gu, ''); // eslint-disable-line no-control-regex

function parleyEnv(server: Ngircd, forum: FakeForum, extra: Record<string, string> = {}): Record<string, string> {
  return {
    PARLEY_DISCOURSE_URL: forum.url,
    PARLEY_DISCOURSE_API_KEY: forum.apiKey,
    ...ircEnv(server, BOT),
    PARLEY_IRC_SEND_BURST: String(BURST),
    PARLEY_IRC_SEND_INTERVAL_SECONDS: String(INTERVAL_S),
    ...extra,
  };
}

function ircAdapter(parley: TestParley): PlatformAdapter {
  const adapter = parley.app.adapters.get('irc');
  assert.ok(adapter, 'the IRC adapter runs');
  return adapter;
}

/** The nicks in a channel as the server lists them now (NAMES), without their mode prefixes. */
async function namesOf(person: IrcPerson, channel: string): Promise<string[]> {
  const mark = person.mark();
  person.send(`NAMES ${channel}`);
  await person.waitFor((l) => l.command === '366', `the end of NAMES ${channel}`);
  return person
    .since(mark)
    .filter((l) => l.command === '353')
    .flatMap((l) => text(l).split(' '))
    .map((n) => n.replace(/^[~&@%+]+/u, ''))
    .filter(Boolean);
}

async function forumPost(parley: TestParley, p: Parameters<typeof postBody>[0]): Promise<void> {
  const sent = await parley.sendWebhook('post_created', postBody(p));
  assert.equal(sent.status, 202);
  await parley.waitForIngest(sent.eventId);
}

describe('IRC end to end', () => {
  let server: Ngircd;
  let forum: FakeForum;
  let parley: TestParley;
  /** The operator of MAIN and KICKS (the first to join them). */
  let olga: IrcPerson;
  /** A plain member of MAIN. */
  let pete: IrcPerson;
  /** olga's lines from before Parley started. */
  let beforeStart = 0;
  let postId = 70_000;

  before(async () => {
    server = await startNgircd();
    forum = await startFakeForum({ categories: CATEGORIES });
    olga = await connectPerson(server, 'olga');
    await olga.join(MAIN);
    await olga.join(KICKS);
    pete = await connectPerson(server, 'pete');
    await pete.join(MAIN);
    beforeStart = olga.mark();
    parley = await startParley({
      env: parleyEnv(server, forum, {
        PARLEY_IRC_CHANNELS: `${MAIN}, ${KICKS}`,
        PARLEY_IRC_ALLOWED_INVITERS: VIC_MASK,
        // Long enough that a long post is cut by the IRC formatter, not before it.
        PARLEY_EXCERPT_LENGTH: '4000',
      }),
    });
  });

  after(async () => {
    await parley?.stop();
    for (const p of [olga, pete]) await p?.quit().catch(() => undefined);
    await forum?.stop();
    await server?.stop();
  });

  const channel = (name: string) => parley.app.store.channels.find('irc', name);
  const channelIn = (name: string, status: string) =>
    eventually(async () => {
      const c = await channel(name);
      return c?.status === status ? c : undefined;
    }, `${name} ${status}`);
  /** The bot's PRIVMSGs to MAIN as olga saw them from `mark`, up to the one ending with the post's link. */
  async function notification(mark: number, topicId: number): Promise<{ lines: ParsedLine[]; url: string }> {
    const url = `${forum.url}/t/a-topic/${topicId}/1`;
    const ours = () => olga.since(mark).filter(from(BOT, 'PRIVMSG', MAIN));
    const end = await eventually(() => {
      const i = ours().findIndex((l) => text(l).endsWith(`<${url}>`));
      return i >= 0 ? i : undefined;
    }, `the notification of topic ${topicId} in ${MAIN}`);
    const lines = ours().slice(0, end + 1);
    // Lines of the same notification follow one another: whatever came before belongs to an earlier one.
    const first = lines.findLastIndex((l, i) => i < end && text(l).endsWith('>'));
    return { lines: lines.slice(first + 1), url };
  }

  test('the bot connects and joins the channels of PARLEY_IRC_CHANNELS', async () => {
    for (const name of [MAIN, KICKS]) {
      await eventually(() => olga.since(beforeStart).find(from(BOT, 'JOIN', name)), `the bot joining ${name}`);
    }
    assert.deepEqual((await namesOf(olga, MAIN)).sort(), ['olga', BOT, 'pete'].sort(), 'the bot is in the channel, as the server lists it');
    const health = await ircAdapter(parley).health();
    assert.equal(health.ok, true, health.detail);
    assert.match(health.detail ?? '', new RegExp(`^${BOT} on 127\\.0\\.0\\.1`, 'u'));
  });

  test("a channel operator's !discourse watch is answered by NOTICE to the channel and adds the rule", async () => {
    const mark = pete.mark();
    olga.mark();
    olga.say(MAIN, '!discourse watch c/support');
    const answer = await olga.waitFor(from(BOT, 'NOTICE'), "the bot's NOTICE");
    assert.equal(answer.params[0], MAIN, 'a rule change is told to the whole channel');
    assert.match(text(answer), /^olga added a rule: watch c\/support\./);
    await eventually(() => pete.since(mark).find(from(BOT, 'NOTICE', MAIN)), 'pete seeing it too');
    const record = await channelIn(MAIN, 'active');
    assert.equal(record.addedBy, `irc:${olga.lines.find((l) => l.command === '001')!.params.at(-1)!.split(' ').at(-1)}`, 'registered by olga (nick!user@host)');
    assert.deepEqual((await parley.app.store.rules.list(record.id)).map((r) => `${r.filter} ${r.scope.type}`), ['watch category']);
  });

  test('a plain member is refused by NOTICE to them alone, with the reason; no rule is added', async () => {
    pete.mark();
    pete.say(MAIN, '!discourse watch c/dev');
    const refusal = await pete.waitFor(from(BOT, 'NOTICE'), "the bot's NOTICE");
    assert.equal(refusal.params[0], 'pete', 'a refusal is for the one who typed the command');
    assert.match(text(refusal), /Only moderators of this channel \(IRC channel operators/);
    assert.match(text(refusal), /You are not a moderator here/);
    const record = await channel(MAIN);
    assert.deepEqual((await parley.app.store.rules.list(record!.id)).map((r) => `${r.filter} ${r.scope.type}`), ['watch category'], 'nothing added');
  });

  test('a forum post arrives as one PRIVMSG: [category] bold title — author: excerpt <link>; nicks in the channel are not highlighted', async () => {
    const mark = olga.mark();
    const topicId = 810;
    await forumPost(parley, { id: ++postId, topicId, categoryId: 4, title: 'Printer on fire, olga?', raw: 'Thanks pete for the report, it is fixed now' });
    const { lines, url } = await notification(mark, topicId);
    assert.equal(lines.length, 1, 'a short post is one line');
    const line = text(lines[0]!);
    assert.equal(visible(line), `[support] Printer on fire, olga? — Ada Lovelace (@ada): Thanks pete for the report, it is fixed now <${url}>`);
    assert.match(line, /^\[support\] \x02Printer on fire, o\u200Blga\?\x02 — /u, 'the title in bold'); // eslint-disable-line no-control-regex
    assert.match(line, /Thanks p\u200Bete for/u, "pete's nick is broken by a zero-width space");
    assert.doesNotMatch(line, /\bpete\b|\bolga\b/u, 'no nick of the channel left whole: no client highlights it');
  });

  test('a long post (KBs, multibyte, emoji) arrives as at most two lines, each within 512 bytes with the prefix, the link whole at the end', async () => {
    const mark = olga.mark();
    const topicId = 811;
    const sentence = 'Grüße aus Köln — 日本語のテキストも 🎉👩‍💻 und noch mehr Wörter, čšž ';
    const raw = sentence.repeat(60); // ~5 KB of UTF-8
    assert.ok(Buffer.byteLength(raw) > 4000);
    await forumPost(parley, { id: ++postId, topicId, categoryId: 4, title: 'Ünïcödé 🎉 everywhere', raw });
    const { lines, url } = await notification(mark, topicId);
    assert.ok(lines.length >= 1 && lines.length <= 2, `one or two lines, not ${lines.length}`);
    for (const l of lines) {
      assert.ok(Buffer.byteLength(l.raw) + 2 <= 512, `a line of ${Buffer.byteLength(l.raw) + 2} bytes as relayed: ${l.raw}`);
      assert.doesNotMatch(text(l), /\uFFFD/u, 'no character cut in half');
      assert.equal((text(l).match(/\x02/gu) ?? []).length % 2, 0, 'bold closed on every line'); // eslint-disable-line no-control-regex
    }
    const all = lines.map(text).join(' ');
    assert.ok(text(lines.at(-1)!).endsWith(` <${url}>`), 'the link whole at the end');
    assert.match(visible(all), /^\[support\] Ünïcödé 🎉 everywhere — Ada Lovelace \(@ada\): Grüße aus Köln/u);
    assert.ok(visible(all).includes('🎉👩‍💻'), 'emoji intact');
    // ngircd closes the connection of a client that sends an overlong line ("Request too long").
    assert.equal(olga.since(mark).find(from(BOT, 'QUIT')), undefined, 'the bot was not disconnected');
    assert.equal((await ircAdapter(parley).health()).ok, true);
  });

  /** The burst's titles, as olga saw them arrive (the next test looks at their order). */
  const BURST_SIZE = 30;
  const burstTitle = (i: number) => `Burst ${String(i).padStart(2, '0')}`;
  let burstSeen: string[] = [];

  test('30 notifications in a burst, and a long command answer among them: each delivered once, paced, without the bot being disconnected', async () => {
    const mark = olga.mark();
    const peteMark = pete.mark();
    const first = postId + 1;
    for (let i = 1; i <= BURST_SIZE; i++) {
      const sent = await parley.sendWebhook('post_created', postBody({ id: ++postId, topicId: 3000 + i, categoryId: 4, title: burstTitle(i), raw: `number ${i}` }));
      assert.equal(sent.status, 202);
    }
    // Command answers do not go through the delivery queue's limits: only the pacer holds back their lines.
    pete.say(MAIN, '!discourse help');
    const help = await eventually(() => {
      const notices = pete.since(peteMark).filter(from(BOT, 'NOTICE', 'pete'));
      return notices.some((l) => /read-restricted category/u.test(text(l))) ? notices : undefined;
    }, 'the whole help, to pete', 80_000);
    assert.ok(help.length >= 10, `the help is ${help.length} lines`);
    const burst = (l: ParsedLine) => from(BOT, 'PRIVMSG', MAIN)(l) && /Burst \d\d/u.test(text(l));
    await eventually(() => (olga.since(mark).filter(burst).length >= BURST_SIZE ? true : undefined), `${BURST_SIZE} notifications in ${MAIN}`, 80_000);
    burstSeen = olga.since(mark).filter(burst).map((l) => /Burst \d\d/u.exec(text(l))![0]);
    assert.deepEqual([...burstSeen].sort(), Array.from({ length: BURST_SIZE }, (_, i) => burstTitle(i + 1)), 'each once');

    // The pacer's promise, as olga and pete received the lines: at most BURST at once, then one per interval.
    const lines = [...olga.since(mark).filter(from(BOT, 'PRIVMSG', MAIN)), ...help].sort((a, b) => a.at - b.at);
    const t0 = lines[0]!.at;
    lines.forEach((l, i) => {
      const allowed = BURST + Math.ceil((l.at - t0) / (INTERVAL_S * 1000));
      assert.ok(i + 1 <= allowed, `${i + 1} lines by ${l.at - t0} ms, more than the ${allowed} the pace allows`);
    });

    const own = olga.since(mark).filter((l) => ircLower(l.nick ?? '') === BOT && ['QUIT', 'JOIN', 'PART'].includes(l.command));
    assert.deepEqual(own.map((l) => l.raw), [], 'never disconnected (no QUIT, no new JOIN)');
    assert.equal((await ircAdapter(parley).health()).ok, true);
    const record = (await channel(MAIN))!;
    // A delivery is recorded once the PONG after its line confirms it.
    for (let id = first; id < first + BURST_SIZE; id++) {
      await eventually(async () => ((await parley.app.store.deliveries.getByJobId(`post-${id}-ch-${record.id}`))?.status === 'delivered' ? true : undefined), `post ${id} delivered`, 10_000);
    }
  });

  test(
    '30 notifications in a burst arrive in the order the forum posted them',
    () => {
      assert.equal(burstSeen.length, BURST_SIZE, 'the burst was seen (previous test)');
      assert.deepEqual(burstSeen, Array.from({ length: BURST_SIZE }, (_, i) => burstTitle(i + 1)));
    },
  );

  test('kicked from a registered channel: the channel is in error, naming who kicked and why', async () => {
    olga.mark();
    olga.say(KICKS, '!discourse watch c/dev');
    await olga.waitFor(from(BOT, 'NOTICE', KICKS), 'the rule added');
    await channelIn(KICKS, 'active');
    olga.send(`KICK ${KICKS} ${BOT} :too chatty`);
    await olga.waitFor((l) => l.command === 'KICK' && l.params[1] === BOT, 'the kick');
    const record = await channelIn(KICKS, 'error');
    assert.equal(record.lastError?.code, 'bot_kicked');
    assert.match(record.lastError?.message ?? '', /kicked from #kicks by olga \("too chatty"\)/);
    assert.match(record.lastError?.message ?? '', /invite it again/);
  });

  test('invited by a channel operator the bot joins, and the channel waits for an admin (pending)', async () => {
    const room = '#olgas';
    await olga.join(room);
    olga.mark();
    olga.send(`INVITE ${BOT} ${room}`);
    await olga.waitFor(from(BOT, 'JOIN', room), 'the bot joining');
    const record = await channelIn(room, 'pending');
    assert.match(record.addedBy ?? '', /^irc:olga!/u);
    const said = await olga.waitFor(from(BOT, 'NOTICE', room), 'a word in the channel');
    assert.match(text(said), /A Parley admin must accept this channel/);
  });

  test('invited by an operator that PARLEY_IRC_ALLOWED_INVITERS names (a nick!user@host glob), the channel is active at once', async () => {
    const vic = await connectPerson(server, 'vic');
    try {
      const room = '#vics';
      await vic.join(room);
      vic.mark();
      vic.send(`INVITE ${BOT} ${room}`);
      await vic.waitFor(from(BOT, 'JOIN', room), 'the bot joining');
      const record = await channelIn(room, 'active');
      assert.equal(record.addedBy, 'irc:vic!~vic@127.0.0.1');
      const greeting = await vic.waitFor(from(BOT, 'NOTICE', room), 'a word in the channel');
      assert.match(text(greeting), /Parley is here/);
      assert.match(text(greeting), /!discourse watch c\/CATEGORY/, 'commands written as IRC users type them');
      // Active at once: a rule can be added there now.
      vic.say(room, '!discourse watch c/dev');
      assert.match(text(await vic.waitFor(from(BOT, 'NOTICE', room), 'the answer')), /^vic added a rule: watch c\/dev\./);
    } finally {
      await vic.quit();
    }
  });

  test('invited by someone who is not an operator there, the bot says so, leaves, and registers nothing', async () => {
    const room = '#opsonly';
    await olga.join(room);
    await pete.join(room);
    olga.mark();
    pete.mark();
    pete.send(`INVITE ${BOT} ${room}`);
    await olga.waitFor(from(BOT, 'JOIN', room), 'the bot joining to look');
    const told = await pete.waitFor(from(BOT, 'NOTICE', 'pete'), 'the bot telling pete');
    assert.match(text(told), /Only a channel operator of #opsonly may invite Parley/);
    await olga.waitFor(from(BOT, 'PART', room), 'the bot leaving');
    assert.equal(await channel(room), undefined, 'not registered');
  });
});

describe('IRC end to end: a taken nick, and the server restarted', () => {
  let server: Ngircd;
  let forum: FakeForum;
  let parley: TestParley;
  /** Holds BOT's nick when Parley starts; the channel's operator. */
  let holder: IrcPerson;
  /** Watches the channel throughout. */
  let wendy: IrcPerson;
  let postId = 80_000;

  before(async () => {
    server = await startNgircd();
    forum = await startFakeForum({ categories: CATEGORIES });
    holder = await connectPerson(server, BOT);
    await holder.join(MAIN);
    wendy = await connectPerson(server, 'wendy');
    await wendy.join(MAIN);
    wendy.mark();
    parley = await startParley({ env: parleyEnv(server, forum, { PARLEY_IRC_CHANNELS: MAIN }) });
  });

  after(async () => {
    await parley?.stop();
    for (const p of [holder, wendy]) await p?.quit().catch(() => undefined);
    await forum?.stop();
    await server?.stop();
  });

  /** wendy's view of the next notification of `topicId`, from `nick`. */
  async function deliveredBy(nick: string, topicId: number, title: string): Promise<ParsedLine> {
    const mark = wendy.mark();
    await forumPost(parley, { id: ++postId, topicId, categoryId: 4, title });
    const line = await wendy.waitFor((l) => l.command === 'PRIVMSG' && l.params[0] === MAIN && text(l).includes(title), `"${title}" in ${MAIN}`);
    assert.equal(line.nick, nick, `sent by ${nick}`);
    assert.equal(wendy.since(mark).filter((l) => l.command === 'PRIVMSG' && text(l).includes(title)).length, 1, 'once');
    return line;
  }

  test('the nick taken at start: the bot registers as nick_, joins and delivers; when the holder quits, it takes its nick back', async () => {
    const alternate = `${BOT}_`;
    await wendy.waitFor(from(alternate, 'JOIN', MAIN), `the bot joining as ${alternate}`);
    assert.match((await ircAdapter(parley).health()).detail ?? '', new RegExp(`^${alternate} on `, 'u'));

    holder.mark();
    holder.say(MAIN, '!discourse watch c/support');
    assert.match(text(await holder.waitFor(from(alternate, 'NOTICE', MAIN), 'the answer')), /watch c\/support/);
    await deliveredBy(alternate, 900, 'While on the alternate nick');

    // The holder shares the channel with the bot: its QUIT frees the nick, and the bot asks for it at once
    // (not only at its 30-second retry).
    wendy.mark();
    const quitAt = Date.now();
    await holder.quit('freeing the nick');
    const renamed = await wendy.waitFor((l) => l.command === 'NICK' && l.nick === alternate, 'the bot taking its nick back');
    assert.equal(renamed.params[0], BOT);
    assert.ok(renamed.at - quitAt < 5000, `at once (${renamed.at - quitAt} ms after the QUIT)`);
    await deliveredBy(BOT, 901, 'Back on the own nick');
  });

  test('the server restarted: the bot is back in its channel under its nick, and a post after that is delivered', async () => {
    await server.restart();
    await wendy.closed;
    wendy = await connectPerson(server, 'wendy');
    await wendy.join(MAIN);
    await eventually(async () => ((await ircAdapter(parley).health()).ok ? true : undefined), 'the bot reconnected', 30_000);
    await eventually(async () => ((await namesOf(wendy, MAIN)).includes(BOT) ? true : undefined), `the bot back in ${MAIN}`, 30_000);
    await deliveredBy(BOT, 902, 'After the restart');
  });
});
