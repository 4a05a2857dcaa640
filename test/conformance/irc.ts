// IRC's double for the conformance suite is a real IRC server: ngircd (test/helpers/ngircd.ts), with Alice, the
// channel's operator, on a raw socket (test/helpers/irc-person.ts) and the adapter configured from the registry
// entry's own variables. Failures are made as a channel operator makes them: a ban and a kick (the bot's JOIN is
// refused with 474), invite-only and a kick (473), the server stopped (the connection lost). IRC has no answer
// that says "retry after": a flooding client is delayed or disconnected, so Parley paces itself instead
// (bots/irc/pacer.ts; the flood test of test/e2e/irc.test.ts) and the 429 check is a known gap. IRC messages have
// no ids: the harness names each notification by the lines Alice saw.
import type { PlatformAdapter } from '../../lib/seams/platform.js';
import { connectPerson, type ParsedLine } from '../helpers/irc-person.js';
import { startNgircd } from '../helpers/ngircd.js';
import { CHECKS, eventually, type ConformanceHarness, type Failure, type Rig, type Shown } from './harness.js';

const CHANNEL = '#conformance';
const ELSEWHERE = '#elsewhere';
const BOT = 'parleyconformance';
const OPER = { name: 'conformance', password: 'oper-secret-0123' };

/** What a client shows: formatting codes rendered (dropped) and zero-width spaces invisible. */
// eslint-disable-next-line no-control-regex -- IRC formatting codes are control characters
const visible = (text: string) => text.replace(/\x03(\d{1,2}(,\d{1,2})?)?|[\x02\x0F\x11\x16\x1D\x1E\x1F]/gu, '').replace(/\u200B/gu, '');

export const ircHarness: ConformanceHarness = {
  platform: 'irc',
  async setup({ factory, store, deps }): Promise<Rig> {
    const server = await startNgircd({ operators: [OPER] });
    const alice = await connectPerson(server, 'alice');
    await alice.join(CHANNEL); // the first to join is the channel's operator
    alice.send(`MODE ${CHANNEL} +nt`); // as networks make new channels: no messages from outside
    await alice.join(ELSEWHERE);
    alice.send(`OPER ${OPER.name} ${OPER.password}`);
    await alice.waitFor((l) => l.command === '381', 'alice is an IRC operator (for KILL)');
    const welcome = alice.lines.find((l) => l.command === '001')!;
    const aliceId = welcome.params.at(-1)!.split(' ').at(-1)!; // alice!~alice@127.0.0.1

    const { platform, problems } = factory.configure(
      { PARLEY_IRC_SERVER: server.host, PARLEY_IRC_PORT: String(server.port), PARLEY_IRC_TLS: 'false', PARLEY_IRC_NICK: BOT, PARLEY_IRC_CHANNELS: ELSEWHERE, PARLEY_IRC_SEND_INTERVAL_SECONDS: '0.2', PARLEY_IRC_SEND_BURST: '10' },
      { publicUrl: null },
    );
    if (!platform) throw new Error(`irc did not configure against ngircd: ${problems.join('; ')}`);
    // Kicks are waited for where the bot learns of them: in the core's membership handler.
    let kicked = 0;
    const adapter = await platform.create({
      ...deps,
      handleMembership: async (change) => {
        if (change.change === 'removed') kicked++;
        return deps.handleMembership(change);
      },
    });
    const { channel } = await store.channels.ensure({ platform: 'irc', externalId: CHANNEL, name: CHANNEL, status: 'active', addedBy: 'cli' });
    alice.mark();
    await adapter.start();
    await alice.waitFor((l) => l.command === 'JOIN' && l.nick === BOT && l.params[0] === CHANNEL, 'the bot joins the registered channel');

    // Notifications as Alice saw them, by the harness's own ref.
    const shownByRef = new Map<string, string[]>();
    let shownCursor = alice.lines.length;
    /** The link of the notification sent last: its last line ends with it. */
    let expectedUrl = '';
    const fromBot = (l: ParsedLine, command: string, target: string) => l.command === command && l.nick === BOT && l.params[0] === target;

    // A failure is made before the next send goes out, and undone after it: sends wait for both.
    let armed: Promise<void> = Promise.resolve();
    let undo: (() => Promise<void>) | null = null;
    /** Whether the bot is in the channel, as Alice last saw it (a failed send may have left it outside). */
    const botInChannel = () => {
      let inside = false;
      for (const l of alice.lines) {
        if (l.nick !== BOT && !(l.command === 'KICK' && l.params[1] === BOT)) continue;
        if (l.command === 'JOIN' && l.params[0] === CHANNEL) inside = true;
        if (l.command === 'QUIT' || (l.command === 'KICK' && l.params[0] === CHANNEL) || (l.command === 'PART' && l.params[0] === CHANNEL)) inside = false;
      }
      return inside;
    };
    const kickBot = async (modes: string) => {
      alice.mark();
      alice.send(`MODE ${CHANNEL} ${modes}`);
      await alice.waitFor((l) => l.command === 'MODE' && l.params[0] === CHANNEL, 'the mode set');
      if (!botInChannel()) return;
      const kicks = kicked;
      alice.send(`KICK ${CHANNEL} ${BOT} :conformance`);
      await eventually(() => (kicked > kicks ? true : undefined), 'the bot knowing it was kicked');
    };
    const killBot = async (reason: string) => {
      alice.mark();
      alice.send(`KILL ${BOT} :${reason}`);
      await alice.waitFor((l) => l.command === 'QUIT' && l.nick === BOT, 'the bot killed');
      await eventually(async () => ((await adapter.health()).ok ? undefined : true), 'the bot knowing it is disconnected');
    };
    const setMode = async (modes: string) => {
      alice.mark();
      alice.send(`MODE ${CHANNEL} ${modes}`);
      await alice.waitFor((l) => l.command === 'MODE' && l.params[0] === CHANNEL, `MODE ${modes}`);
    };
    const wrapped: PlatformAdapter = Object.create(adapter) as PlatformAdapter;
    wrapped.sendNotification = async (...args) => {
      await armed;
      // What Alice sees of this notification ends with its link; an earlier one may still be on its way to her.
      expectedUrl = args[1].url;
      try {
        return await adapter.sendNotification(...args);
      } finally {
        const restore = undo;
        undo = null;
        await restore?.();
      }
    };

    return {
      adapter: wrapped,
      channel,
      user: { id: aliceId, username: '', displayName: 'alice' },
      secrets: [OPER.password],
      withoutMessageRefs: 'an IRC message has no id to reply to, edit or delete',
      knownGaps: {
        [CHECKS.rateLimit]: 'IRC servers never answer "retry after": they delay a flooding client or disconnect it; Parley paces its lines below the limit instead',
      },

      async lastShownRef() {
        // A notification's last line ends with its link.
        const isLast = (l: ParsedLine) => fromBot(l, 'PRIVMSG', CHANNEL) && l.params.at(-1)!.endsWith(`<${expectedUrl}>`);
        const index = await eventually(() => {
          const found = alice.lines.findIndex((l, i) => i >= shownCursor && isLast(l));
          return found >= 0 ? found : undefined;
        }, 'a notification in the channel');
        // Its first line too, where it has two: the bot's lines before the last that end with no link of their own.
        const before = alice.lines.slice(shownCursor, index).filter((l) => fromBot(l, 'PRIVMSG', CHANNEL)).map((l) => l.params.at(-1)!);
        const firstLines: string[] = [];
        for (const line of before.reverse()) {
          if (/<https?:\/\/[^>\s]+>$/u.test(line)) break;
          firstLines.unshift(line);
        }
        const lines = [...firstLines, alice.lines[index]!.params.at(-1)!];
        shownCursor = index + 1;
        const ref = `shown-${shownByRef.size + 1}`;
        shownByRef.set(ref, lines);
        return ref;
      },
      async shown(ref): Promise<Shown | undefined> {
        const lines = shownByRef.get(ref);
        if (!lines) return undefined;
        const text = visible(lines.join(' '));
        return { text, links: [...text.matchAll(/<(https?:\/\/[^>]+)>/gu)].map((m) => m[1]!) };
      },
      async mentionable(ref) {
        return (shownByRef.get(ref) ?? []).join('\n');
      },
      async replyTarget() {
        return null;
      },
      async vanish() {
        throw new Error('IRC messages cannot be deleted');
      },
      failNext(failure: Failure) {
        switch (failure) {
          case 'rate-limit':
            return; // no such answer on IRC: the known gap above
          case 'server-error':
            // IRC's 5xx is the connection lost: an IRC operator kills it (restarting the server would drop Alice too).
            armed = killBot('conformance: connection lost');
            undo = async () => {
              await eventually(async () => ((await adapter.health()).ok ? true : undefined), 'the bot reconnected', 20_000);
            };
            return;
          case 'channel-gone':
            armed = kickBot('+i');
            undo = () => setMode('-i');
            return;
          case 'bot-removed':
            armed = kickBot(`+b ${BOT}!*@*`);
            undo = () => setMode(`-b ${BOT}!*@*`);
            return;
        }
      },
      async typeCommand(text) {
        alice.mark();
        alice.say(CHANNEL, text);
        const answer = await alice.waitFor((l) => l.command === 'NOTICE' && l.nick === BOT, 'the bot\'s NOTICE');
        return answer.params.at(-1)!;
      },
      async typeMessage(text, where) {
        if (where === 'elsewhere') {
          alice.say(ELSEWHERE, text);
          return { externalId: ELSEWHERE, messageId: '(not logged)' };
        }
        alice.say(CHANNEL, text);
        const logged = await eventually(async () => (await store.messageLog.latest('irc', CHANNEL, 100, new Date('2100-01-01'))).find((m) => m.markdown === text), `"${text}" in the message log`);
        return { externalId: CHANNEL, messageId: logged.id };
      },
      async addBotToChannel() {
        // The bot must be out of the channel without a kick (a kick is itself a membership change): an IRC
        // operator KILLs its connection, and it comes back to the channels of PARLEY_IRC_CHANNELS alone, as the
        // kill marked the others. Then Alice, the channel's operator, invites it.
        await killBot('conformance: out of the channel');
        await eventually(async () => ((await adapter.health()).ok ? true : undefined), 'the bot reconnected', 20_000);
        alice.send(`INVITE ${BOT} ${CHANNEL}`);
        await alice.waitFor((l) => l.command === 'JOIN' && l.nick === BOT && l.params[0] === CHANNEL, 'the invited bot joins');
      },
      async removeBot() {
        alice.send(`KICK ${CHANNEL} ${BOT} :conformance: removed`);
      },

      async teardown() {
        await adapter.stop();
        await alice.quit().catch(() => undefined);
        await server.stop();
      },
    };
  },
};
