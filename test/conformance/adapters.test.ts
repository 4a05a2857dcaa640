// The adapter conformance suite: the same tests for every entry of bots/registry.ts, each against its own test
// double (an emulator or a stateful fake that answers as the real platform does), as test/integration/store.test.ts
// runs one suite over three databases. A platform is done when it passes: its harness is one file here
// (./telegram.ts, ./mattermost.ts) and one line in ./harnesses.ts; ./harness.ts says what a harness provides.
import { after, before, describe, test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { PLATFORMS } from '../../bots/registry.js';
import type { PostEvent } from '../../lib/events.js';
import { PlatformPermanentError, PlatformRateLimitedError, PlatformTransientError, type PermanentReason } from '../../lib/errors.js';
import { silentLogger } from '../../lib/log.js';
import { ChannelMessageLog } from '../../lib/message-log.js';
import { buildNotification, type Notification } from '../../lib/notification.js';
import type { CommandInvocation, CommandReply, MembershipChange } from '../../lib/seams/invocation.js';
import type { AdapterDeps } from '../../lib/seams/platform.js';
import type { Store } from '../../lib/seams/store.js';
import { openStore } from '../../lib/store/index.js';
import type { ChatMessage } from '../../lib/transcript/types.js';
import { CHECKS, eventually, type Failure, type Rig } from './harness.js';
import { HARNESSES } from './harnesses.js';

const TEST_TIMEOUT_MS = 15_000;
const FAR_FUTURE = new Date('2100-01-01T00:00:00Z');

/** The core's answer to every command here: `_` and `#` are markup on some platforms, so escaping must round-trip. */
const REPLY: CommandReply = { text: 'Watching c/meta_team and #news for you: 2 rules', visibility: 'ephemeral' };

/** Reasons that tell an admin the channel itself cannot be reached (not one message, not the token). */
const CHANNEL_LEVEL: readonly PermanentReason[] = ['channel_not_found', 'bot_removed', 'forbidden'];
/** An admin-facing message says what to do: it names an action. */
const SAYS_WHAT_TO_DO = /\b(add|invite|give|grant|set|create|check|remove|run|unarchive|restore|register|re-?add)\b/iu;

/** A mass mention that could still ping: `@everyone` at a word start, or Slack's raw `<!channel>`. */
const LIVE_MASS_MENTION = /(^|[^\p{L}\p{N}_])@(everyone|here|channel|all)(?![\p{L}\p{N}_])/iu;
const LIVE_SLACK_SPECIAL = /<!(everyone|here|channel|all)(\|[^>]*)?>/iu;

let sequence = 0;
/** A notification of its own per call: titles, links and post ids never repeat across tests. */
function notification(over: Partial<Notification> = {}): Notification {
  const n = ++sequence;
  return {
    kind: 'new_topic',
    title: `Release <2.${n}> & "notes"`,
    url: `https://forum.example.org/t/release-2-${n}/${700 + n}/1`,
    author: 'Carol Example',
    category: { name: 'Announcements', path: 'announcements', color: 'BF1E2E' },
    tags: ['release'],
    excerpt: `It is out (${n}). Read the notes first.`,
    thread: `discourse:topic:${700 + n}`,
    subject: `discourse:post:${7000 + n}`,
    ...over,
  };
}

/** A forum post full of mass mentions, as Discourse would send it (the core's path goes through buildNotification). */
function mentioningEvent(): PostEvent {
  return {
    source: 'discourse',
    kind: 'post_created',
    eventId: `conformance-${++sequence}`,
    postId: 9000 + sequence,
    topicId: 900 + sequence,
    postNumber: 1,
    isFirstPost: true,
    category: { id: 5, slug: 'general', name: '@here general', parentSlug: null, color: '0088CC', restricted: false },
    privateMessage: false,
    tags: ['@all'],
    author: { username: 'mallory', name: 'Mallory <!channel>' },
    title: 'Ping @everyone and @here',
    text: 'Hey @channel and @all, also <!channel> <!here> <!everyone> and <!here|here>',
    url: `https://forum.example.org/t/ping/${900 + sequence}/1`,
    createdAt: new Date().toISOString(),
  };
}

test('every harness in test/conformance/harnesses.ts serves a platform of bots/registry.ts, once', () => {
  const names = PLATFORMS.map((p) => p.profile.name);
  for (const harness of HARNESSES) assert.ok(names.includes(harness.platform), `harness "${harness.platform}" names no platform of bots/registry.ts (${names.join(', ')})`);
  assert.equal(new Set(HARNESSES.map((h) => h.platform)).size, HARNESSES.length, 'one harness per platform');
});

// CONFORMANCE_PLATFORM=irc runs one platform's suite alone, while working on it.
const only = process.env.CONFORMANCE_PLATFORM;

for (const factory of PLATFORMS.filter((p) => !only || p.profile.name === only)) {
  const name = factory.profile.name;
  const harness = HARNESSES.find((h) => h.platform === name);

  describe(`${factory.profile.label} (${name}) conforms`, { timeout: 60_000 }, () => {
    if (!harness) {
      test('has a conformance harness', () => {
        assert.fail(`${name} is in bots/registry.ts but has no conformance harness: add test/conformance/${name}.ts and its line in test/conformance/harnesses.ts`);
      });
      return;
    }

    let store: Store;
    let rig: Rig;
    const invocations: CommandInvocation[] = [];
    const memberships: MembershipChange[] = [];

    before(async () => {
      store = await openStore({ kind: 'sqlite', path: ':memory:' });
      const deps: AdapterDeps = {
        log: silentLogger,
        store,
        messageLog: new ChannelMessageLog(name, store, silentLogger),
        handleCommand: async (invocation) => {
          invocations.push(invocation);
          return REPLY;
        },
        handleMembership: async (change) => {
          memberships.push(change);
          return null;
        },
      };
      rig = await harness.setup({ factory, store, deps });
    });

    after(async () => {
      await rig?.teardown();
      await store?.close();
    });

    /**
     * One conformance test. A test the harness lists in knownGaps still runs: its failure is reported as TODO
     * with the reason; once it passes, it fails until the line is removed.
     */
    function check(title: string, body: (t: TestContext) => Promise<void | 'skipped'>): void {
      test(title, { timeout: TEST_TIMEOUT_MS }, async (t) => {
        const gap = () => rig?.knownGaps?.[title];
        let outcome: void | 'skipped';
        try {
          outcome = await body(t);
        } catch (err) {
          const known = gap();
          if (known) t.todo(`known gap: ${known}`);
          throw err;
        }
        if (outcome !== 'skipped' && gap()) {
          assert.fail(`this known gap passes now: remove "${title}" from the knownGaps of test/conformance/${name}.ts`);
        }
      });
    }

    // Each send is its own delivery: a platform with a duplicate guard (Matrix's transaction ids) would take a
    // repeated key for a retry of the first and answer with the first message.
    let sends = 0;
    const send = (n: Notification, threadRoot: string | null = null) =>
      rig.adapter.sendNotification(rig.channel, n, { threadRoot, idempotencyKey: `conformance:${n.subject}:${++sends}` });

    /**
     * Sends a notification and gives its messageRef, which this configuration must return; a platform without
     * message ids returns none, and its harness names the message the chat showed.
     */
    async function sent(n = notification(), threadRoot: string | null = null): Promise<string> {
      const { messageRef } = await send(n, threadRoot);
      if (rig.withoutMessageRefs) {
        assert.equal(messageRef, null, `${name} has no message ids (${rig.withoutMessageRefs}), yet returned a messageRef`);
        assert.ok(rig.lastShownRef, 'a harness without message refs gives lastShownRef');
        return rig.lastShownRef();
      }
      assert.ok(typeof messageRef === 'string' && messageRef !== '', `sendNotification returned no messageRef (${String(messageRef)})`);
      return messageRef;
    }

    /** The error a call rejects with; fails when it resolves. */
    async function rejection(call: Promise<unknown>, what: string): Promise<Error> {
      try {
        await call;
      } catch (err) {
        assert.ok(err instanceof Error, `${what} threw a non-Error: ${String(err)}`);
        for (const secret of rig.secrets) assert.ok(!err.message.includes(secret), `${what}: the error message holds a credential: ${err.message}`);
        return err;
      }
      return assert.fail(`${what} should have failed`);
    }

    async function failedSend(failure: Failure, retryAfterSeconds?: number): Promise<Error> {
      rig.failNext(failure, retryAfterSeconds === undefined ? {} : { retryAfterSeconds });
      return rejection(send(notification()), `sendNotification answered "${failure}"`);
    }

    check(CHECKS.send, async () => {
      const n = notification();
      const ref = await sent(n);
      const shown = await rig.shown(ref);
      assert.ok(shown, `the chat shows nothing for ${ref}`);
      assert.ok(shown.text.includes(n.title), `the title "${n.title}" is shown as written:\n${shown.text}`);
      assert.ok(shown.text.includes(n.author), `the author is shown:\n${shown.text}`);
      assert.ok(shown.text.includes(n.excerpt), `the excerpt is shown:\n${shown.text}`);
      assert.ok(shown.links.includes(n.url), `the post's link is there (${shown.links.join(', ') || 'no links'})`);
    });

    check(CHECKS.thread, async (t) => {
      if (rig.withoutMessageRefs) {
        t.skip(`${name} has no threads: ${rig.withoutMessageRefs}`);
        return 'skipped';
      }
      const first = await sent();
      const reply = await sent(notification({ kind: 'reply', excerpt: 'Thanks!' }), first);
      assert.equal(await rig.replyTarget(first), null, 'the first notification starts a thread, it replies to nothing');
      assert.equal(await rig.replyTarget(reply), first, 'the reply is placed under the first notification');
    });

    check(CHECKS.edit, async (t) => {
      if (!rig.adapter.editNotification) {
        t.skip(`${name} has no editNotification`);
        return 'skipped';
      }
      const n = notification();
      const ref = await sent(n);
      const corrected = { ...n, title: `${n.title} (updated)`, excerpt: 'Corrected: read the release notes.' };
      await rig.adapter.editNotification(rig.channel, ref, corrected);
      const shown = await rig.shown(ref);
      assert.ok(shown, 'the edited message is still there');
      assert.ok(shown.text.includes(corrected.excerpt) && shown.text.includes(corrected.title), `the chat shows the edit:\n${shown.text}`);
      assert.ok(!shown.text.includes(n.excerpt), `the old text is gone:\n${shown.text}`);
    });

    check(CHECKS.delete, async (t) => {
      if (!rig.adapter.deleteNotification) {
        t.skip(`${name} has no deleteNotification`);
        return 'skipped';
      }
      const ref = await sent();
      assert.ok(await rig.shown(ref));
      await rig.adapter.deleteNotification(rig.channel, ref);
      assert.equal(await rig.shown(ref), undefined, 'the message is gone from the chat');
    });

    check(CHECKS.editGone, async (t) => {
      if (!rig.adapter.editNotification) {
        t.skip(`${name} has no editNotification`);
        return 'skipped';
      }
      const n = notification();
      const ref = await sent(n);
      await rig.vanish(ref);
      const err = await rejection(rig.adapter.editNotification(rig.channel, ref, { ...n, excerpt: 'too late' }), 'editing a message deleted in the chat');
      assert.ok(err instanceof PlatformPermanentError, `a PlatformPermanentError, not ${err.constructor.name}: ${err.message}`);
      assert.equal(err.reason, 'message_not_found', `the core takes message_not_found as done; got ${err.reason}: ${err.message}`);
    });

    check(CHECKS.deleteGone, async (t) => {
      if (!rig.adapter.deleteNotification) {
        t.skip(`${name} has no deleteNotification`);
        return 'skipped';
      }
      const ref = await sent();
      await rig.vanish(ref);
      const err = await rejection(rig.adapter.deleteNotification(rig.channel, ref), 'deleting a message deleted in the chat');
      assert.ok(err instanceof PlatformPermanentError, `a PlatformPermanentError, not ${err.constructor.name}: ${err.message}`);
      assert.equal(err.reason, 'message_not_found', `the core takes message_not_found as done; got ${err.reason}: ${err.message}`);
    });

    for (const [title, failure] of [
      [CHECKS.channelGone, 'channel-gone'],
      [CHECKS.botRemoved, 'bot-removed'],
    ] as const) {
      check(title, async () => {
        const err = await failedSend(failure);
        assert.ok(err instanceof PlatformPermanentError, `a PlatformPermanentError, not ${err.constructor.name}: ${err.message}`);
        assert.ok(CHANNEL_LEVEL.includes(err.reason), `a channel-level reason (${CHANNEL_LEVEL.join(', ')}), not ${err.reason}: ${err.message}`);
      });
    }

    check(CHECKS.whatToDo, async () => {
      const silent: string[] = [];
      for (const failure of ['channel-gone', 'bot-removed'] as const) {
        const err = await failedSend(failure);
        if (!SAYS_WHAT_TO_DO.test(err.message)) silent.push(`${failure}: "${err.message}"`);
      }
      assert.deepEqual(silent, [], 'an admin reads this as the channel\'s last error: it should say what to do');
    });

    check(CHECKS.transient, async () => {
      const err = await failedSend('server-error');
      assert.ok(err instanceof PlatformTransientError, `a PlatformTransientError, not ${err.constructor.name}: ${err.message}`);
    });

    check(CHECKS.rateLimit, async () => {
      for (const seconds of [7, 2]) {
        const err = await failedSend('rate-limit', seconds);
        assert.ok(err instanceof PlatformRateLimitedError, `a PlatformRateLimitedError, not ${err.constructor.name}: ${err.message}`);
        assert.equal(err.retryAfterMs, seconds * 1000, `the platform said ${seconds} s`);
      }
    });

    check(CHECKS.mentions, async () => {
      const event = mentioningEvent();
      const raw: Notification = {
        kind: 'new_topic',
        title: event.title,
        url: event.url,
        author: event.author.name ?? event.author.username,
        category: { name: event.category!.name, path: event.category!.slug, color: event.category!.color },
        tags: event.tags,
        excerpt: event.text,
        thread: `discourse:topic:${event.topicId}`,
        subject: `discourse:post:${event.postId}`,
      };
      // Through the core (buildNotification neutralizes), and as it is: the adapter must hold either way.
      for (const [how, n] of [
        ['built by the core', buildNotification(event, { excerptLength: 500 })],
        ['handed over raw', raw],
      ] as const) {
        const ref = await sent(n);
        const mentionable = await rig.mentionable(ref);
        assert.doesNotMatch(mentionable, LIVE_MASS_MENTION, `${how}: a mass mention can still ping in:\n${mentionable}`);
        assert.doesNotMatch(mentionable, LIVE_SLACK_SPECIAL, `${how}: a Slack announcement can still ping in:\n${mentionable}`);
        const shown = await rig.shown(ref);
        assert.ok(shown);
        for (const word of ['everyone', 'here', 'channel', 'all']) assert.ok(shown.text.includes(word), `${how}: "${word}" is still shown (broken, not dropped):\n${shown.text}`);
      }
    });

    check(CHECKS.command, async () => {
      const before = invocations.length;
      const answer = await rig.typeCommand(`${factory.profile.commandPrefix}discourse status`);
      const invocation = invocations.slice(before).find((i) => i.command === 'discourse');
      assert.ok(invocation, 'the command reached handleCommand');
      assert.equal(invocation.platform, name);
      assert.equal(invocation.command, 'discourse');
      assert.equal(invocation.args, 'status');
      assert.equal(invocation.channel.externalId, rig.channel.externalId, 'typed in the registered channel');
      assert.equal(invocation.user.id, rig.user.id);
      assert.equal(invocation.user.username, rig.user.username);
      assert.ok(invocation.user.displayName.trim() !== '', 'the user has a name to show');
      assert.equal(answer, REPLY.text, 'the user sees the core\'s answer as it was written');
    });

    check(CHECKS.history, async () => {
      const { adapter } = rig;
      if (adapter.fetchHistory) {
        assert.ok(rig.postHistory, `${name} has fetchHistory: its harness needs postHistory`);
        const t0 = Date.UTC(2024, 0, 10, 9, 0);
        const at = (minute: number) => new Date(t0 + minute * 60_000);
        // Given newest first, as a history API might hold them.
        await rig.postHistory([6, 5, 4, 3, 2, 1, 0].map((m) => ({ text: `history ${m}`, at: at(m) })));
        const pages: ChatMessage[][] = [];
        for await (const page of adapter.fetchHistory(rig.channel, { kind: 'between', from: at(1), to: at(5) }, { pageSize: 2 })) pages.push(page);
        for (const page of pages) assert.ok(page.length >= 1 && page.length <= 2, `pages of at most pageSize (2): ${page.length}`);
        const messages = pages.flat();
        assert.deepEqual(messages.map((m) => m.markdown), ['history 1', 'history 2', 'history 3', 'history 4', 'history 5'], 'oldest first, the range\'s ends included');
        assert.deepEqual(messages.map((m) => m.sentAt.toISOString()), [1, 2, 3, 4, 5].map((m) => at(m).toISOString()));
        for (const m of messages) assert.equal(m.author.username, rig.user.username);
        return;
      }
      assert.ok(rig.typeMessage, `${name} has no fetchHistory: its harness needs typeMessage, for the core's message log`);
      const started = new Date(Date.now() - 60_000);
      const first = await rig.typeMessage('the deploy is stuck', 'channel');
      const hidden = await rig.typeMessage('this chat is not registered', 'elsewhere');
      const second = await rig.typeMessage('looking at it', 'channel');
      // Handled in order: once the last is logged, the one in between has been seen too.
      const logged = await eventually(async () => {
        const all = await store.messageLog.latest(name, rig.channel.externalId, 100, FAR_FUTURE);
        return all.some((m) => m.id === second.messageId) ? all : undefined;
      }, 'the channel\'s messages in the message log');
      const ours = logged.filter((m) => m.id === first.messageId || m.id === second.messageId);
      assert.deepEqual(ours.map((m) => m.markdown), ['the deploy is stuck', 'looking at it'], 'oldest first, in forum Markdown');
      assert.equal(ours[0]!.author.id, rig.user.id);
      const between = await store.messageLog.between(name, rig.channel.externalId, started, FAR_FUTURE, { limit: 100 });
      assert.ok(between.some((m) => m.id === first.messageId) && between.some((m) => m.id === second.messageId), 'found by time range');
      assert.notEqual(hidden.externalId, rig.channel.externalId);
      assert.deepEqual(await store.messageLog.latest(name, hidden.externalId, 100, FAR_FUTURE), [], 'a chat that is not registered is not logged');
    });

    check(CHECKS.membership, async (t) => {
      const { addBotToChannel, removeBot } = rig;
      if (!addBotToChannel || !removeBot) {
        t.skip(rig.withoutMembership ?? `the ${name} harness gives no addBotToChannel/removeBot and no reason`);
        assert.ok(rig.withoutMembership, 'a harness without membership says why');
        return 'skipped';
      }
      const seen = memberships.length;
      await addBotToChannel.call(rig);
      const added = await eventually(() => memberships[seen], 'handleMembership(added)');
      await removeBot.call(rig);
      const removed = await eventually(() => memberships[seen + 1], 'handleMembership(removed)');
      for (const [change, expected] of [
        [added, 'added'],
        [removed, 'removed'],
      ] as const) {
        assert.equal(change.change, expected);
        assert.equal(change.platform, name);
        assert.equal(change.channel.externalId, rig.channel.externalId);
        assert.equal(change.by?.id, rig.user.id, 'who did it');
      }
    });
  });
}
