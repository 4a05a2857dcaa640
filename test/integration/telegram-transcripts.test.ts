// What the Telegram adapter does for /topic transcripts, through the real grammY against telegram-test-api
// and a real SQLite store: the command words, later answers (replyLater), and the message log that stands in
// for the history API Telegram does not give bots.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import type { AdapterDeps, PlatformAdapter } from '../../lib/seams/platform.js';
import { telegram } from '../../bots/telegram/index.js';
import type { CommandInvocation, CommandReply } from '../../lib/seams/invocation.js';
import { loadConfig } from '../../lib/config.js';
import { createHttpServer } from '../../lib/http/server.js';
import { silentLogger } from '../../lib/log.js';
import { ChannelMessageLog } from '../../lib/message-log.js';
import { openStore } from '../../lib/store/index.js';
import type { Store } from '../../lib/seams/store.js';
import type { ChatMessage } from '../../lib/transcript/types.js';
import { startTelegramServer, type TelegramEmulator } from '../helpers/telegram-server.js';
import { htmlAttribute } from '../helpers/html-text.js';

/** The emulator's getMe always answers with this bot. */
const EMULATOR_BOT = 'TestNameBot';
const FAR_FUTURE = new Date('2100-01-01T00:00:00Z');

let emulator: TelegramEmulator;
let store: Store;

before(async () => {
  emulator = await startTelegramServer();
  store = await openStore({ kind: 'sqlite', path: ':memory:' });
});

after(async () => {
  await store.close();
  await emulator.stop();
});

/** A group chat id of its own per test, so tests share the emulator and the store without meeting. */
let nextChat = -100_700;
function newGroup(title = 'Ops room') {
  const chatId = nextChat--;
  return { chatId, chatTitle: title, type: 'group' as const };
}

async function register(chatId: number): Promise<void> {
  await store.channels.ensure({ platform: 'telegram', externalId: String(chatId), name: 'Ops room', status: 'active', addedBy: 'cli' });
}

async function makeAdapter(opts: { store?: Store; handle?: (invocation: CommandInvocation) => Promise<CommandReply>; mode?: 'polling' | 'webhook' } = {}) {
  const token = `123456:${randomUUID()}`;
  const invocations: CommandInvocation[] = [];
  const config = loadConfig(
    {
      PARLEY_TELEGRAM_TOKEN: token,
      PARLEY_TELEGRAM_API_ROOT: emulator.apiRoot,
      PARLEY_TELEGRAM_MODE: opts.mode ?? 'polling',
      PARLEY_PUBLIC_URL: opts.mode === 'webhook' ? 'https://parley.example.org' : '',
    },
    [telegram],
  );
  const deps: AdapterDeps = {
    log: silentLogger,
    store: opts.store ?? store,
    // The core's message log, as the composition root hands it to the adapter.
    messageLog: new ChannelMessageLog('telegram', opts.store ?? store, silentLogger),
    handleCommand: async (invocation) => {
      invocations.push(invocation);
      return opts.handle ? opts.handle(invocation) : { text: `ok: ${invocation.args}`, visibility: 'channel' };
    },
    handleMembership: async () => null,
  };
  return { adapter: await config.platforms[0]!.create(deps), token, invocations };
}

async function withPolling<T>(adapter: PlatformAdapter, fn: () => Promise<T>): Promise<T> {
  await adapter.start();
  try {
    return await fn();
  } finally {
    await adapter.stop();
  }
}

function logged(chatId: number): Promise<ChatMessage[]> {
  return store.messageLog.latest('telegram', String(chatId), 1000, FAR_FUTURE);
}

describe('/topic commands', () => {
  test('/topic, /topic@OurBot and !topic reach the core with the command message id; /topic@OtherBot does not', async () => {
    const group = newGroup();
    const { adapter, token, invocations } = await makeAdapter();
    await withPolling(adapter, async () => {
      const alice = emulator.server.getClient(token, { ...group, userId: 42, firstName: 'Alice', userName: 'alice' });
      await alice.sendCommand(alice.makeCommand('/topic last:5 category:staff ignore:bob title:"Outage review"'));
      await alice.sendCommand(alice.makeCommand('/topic@OtherBot last:5'));
      await alice.sendCommand(alice.makeCommand(`/topic@${EMULATOR_BOT} since:2h`));
      await alice.sendMessage(alice.makeMessage('!topic last:3 preview'));
      const replies = await emulator.waitForBotMessages(token, group.chatId, 3);

      const sent = await emulator.userMessages(token, group.chatId);
      const ours = [sent[0]!, sent[2]!, sent[3]!];
      assert.deepEqual(
        invocations.map((i) => [i.command, i.args, i.commandMessageId]),
        [
          ['topic', 'last:5 category:staff ignore:bob title:"Outage review"', String(ours[0]!.messageId)],
          ['topic', 'since:2h', String(ours[1]!.messageId)],
          ['topic', 'last:3 preview', String(ours[2]!.messageId)],
        ],
      );
      assert.deepEqual(invocations[0]!.channel, { externalId: String(group.chatId), name: group.chatTitle, isPrivate: false });
      assert.equal(replies.length, 3, 'nothing answered /topic@OtherBot');
    });
  });
});

describe('replyLater', () => {
  test('answers the command message, HTML-escaped, without link preview', async () => {
    const group = newGroup();
    const { adapter, token, invocations } = await makeAdapter();
    await withPolling(adapter, async () => {
      const alice = emulator.server.getClient(token, { ...group, userId: 42, firstName: 'Alice', userName: 'alice' });
      await alice.sendCommand(alice.makeCommand('/topic last:5'));
      await emulator.waitForBotMessages(token, group.chatId, 1);
    });
    const invocation = invocations[0]!;
    await adapter.replyLater(invocation, { text: 'Posted "Outage <review> & notes": https://forum.example.org/t/outage-review/42', visibility: 'channel' });

    const messages = await emulator.botMessages(token, group.chatId);
    const later = messages.at(-1)!;
    assert.equal(messages.length, 2);
    assert.equal(later.text, 'Posted &quot;Outage &lt;review&gt; &amp; notes&quot;: https://forum.example.org/t/outage-review/42');
    assert.equal(later.params.parse_mode, 'HTML');
    assert.deepEqual(later.params.reply_parameters, { message_id: Number(invocation.commandMessageId), allow_sending_without_reply: true });
    assert.deepEqual(later.params.link_preview_options, { is_disabled: true });
  });

  test('a text over 4096 characters goes out in parts, each a reply within the limit, nothing lost', async () => {
    const group = newGroup();
    const { adapter, token } = await makeAdapter();
    const text = Array.from({ length: 300 }, (_, i) => `${i + 1}. <message> & more from @alice`).join('\n');
    const invocation: CommandInvocation = {
      platform: 'telegram',
      command: 'topic',
      args: 'last:5',
      channel: { externalId: String(group.chatId), name: group.chatTitle, isPrivate: false },
      user: { id: '42', username: 'alice', displayName: 'Alice' },
      commandMessageId: '77',
    };
    await adapter.replyLater(invocation, { text, visibility: 'channel' });
    const parts = await emulator.botMessages(token, group.chatId);
    assert.ok(parts.length >= 3, `${parts.length} parts`);
    // Entities only: the text has no tags.
    const unescape = htmlAttribute;
    assert.equal(parts.map((p) => unescape(p.text)).join('\n'), text);
    for (const part of parts) {
      assert.ok(unescape(part.text).length <= 4096);
      assert.deepEqual(part.params.reply_parameters, { message_id: 77, allow_sending_without_reply: true });
    }
  });

  test('an empty reply sends nothing', async () => {
    const group = newGroup();
    const { adapter, token } = await makeAdapter();
    const invocation: CommandInvocation = {
      platform: 'telegram',
      command: 'topic',
      args: '',
      channel: { externalId: String(group.chatId), name: group.chatTitle, isPrivate: false },
      user: { id: '42', username: 'alice', displayName: 'Alice' },
    };
    await adapter.replyLater(invocation, { text: '  \n', visibility: 'channel' });
    assert.deepEqual(await emulator.botMessages(token, group.chatId), []);
  });
});

describe('the message log', () => {
  test('a registered group: people, other bots and our own commands are logged in forum Markdown; commands for other bots are not', async () => {
    const group = newGroup();
    await register(group.chatId);
    const { adapter, token } = await makeAdapter();
    await withPolling(adapter, async () => {
      const alice = emulator.server.getClient(token, { ...group, userId: 42, firstName: 'Alice', userName: 'alice' });
      const bob = emulator.server.getClient(token, { ...group, userId: 43, firstName: 'Bob', userName: 'bob' });
      await alice.sendMessage(alice.makeMessage('the deploy is *stuck*', { entities: [{ type: 'bold', offset: 4, length: 6 }] }));
      await bob.sendMessage(bob.makeMessage('looking at it', { date: 1_700_000_100 }));
      await bob.sendMessage(bob.makeMessage('/start@OtherBot'));
      await bob.sendMessage(bob.makeMessage('build #42 failed', { from: { id: 99, is_bot: true, first_name: 'CI', username: 'ci_bot' } }));
      await alice.sendCommand(alice.makeCommand('/topic last:5'));
      await emulator.waitForBotMessages(token, group.chatId, 1);
    });

    const sent = await emulator.userMessages(token, group.chatId);
    const messages = await logged(group.chatId);
    const byId = new Map(messages.map((m) => [m.id, m]));
    assert.equal(messages.length, 4, messages.map((m) => m.markdown).join(' | '));
    assert.equal(byId.has(String(sent[2]!.messageId)), false, '/start@OtherBot is not logged');

    const first = byId.get(String(sent[0]!.messageId))!;
    assert.deepEqual(first.author, { id: '42', username: 'alice', displayName: 'Alice', isBot: false });
    assert.equal(first.markdown, 'the **deploy** is \\*stuck\\*');
    assert.deepEqual(first.attachments, []);
    assert.equal(byId.get(String(sent[1]!.messageId))!.sentAt.toISOString(), new Date(1_700_000_100_000).toISOString());
    const ci = byId.get(String(sent[3]!.messageId))!;
    assert.deepEqual(ci.author, { id: '99', username: 'ci_bot', displayName: 'CI', isBot: true });
    // The command itself is logged: the transcript drops it by the id in commandMessageId.
    assert.equal(byId.get(String(sent[4]!.messageId))!.markdown, '/topic last:5');
  });

  test('files are logged by name only (a Bot API file link would carry the token); dates in milliseconds are read as such', async () => {
    const group = newGroup();
    await register(group.chatId);
    const { adapter, token } = await makeAdapter();
    await withPolling(adapter, async () => {
      const alice = emulator.server.getClient(token, { ...group, userId: 42, firstName: 'Alice', userName: 'alice' });
      // Media messages have no text; the emulator's makeMessage always sets one, so it is taken out again.
      const base = alice.makeMessage('') as Record<string, unknown>;
      await alice.sendMessage({ ...base, text: undefined, photo: [{ file_id: 'AgAD1', file_unique_id: 'u1', width: 90, height: 90 }], caption: 'see the graph', caption_entities: [{ type: 'italic', offset: 8, length: 5 }] });
      await alice.sendMessage({ ...base, text: undefined, date: 1_700_000_000_123, document: { file_id: 'BQAD2', file_unique_id: 'u2', file_name: 'incident-report.pdf' } });
      await alice.sendCommand(alice.makeCommand('/discourse status'));
      await emulator.waitForBotMessages(token, group.chatId, 1);
    });
    // Oldest first: the document's date (2023) comes before the photo's (now).
    const [doc, photo] = await logged(group.chatId);
    assert.equal(photo?.markdown, 'see the *graph*');
    assert.deepEqual(photo?.attachments, [{ name: 'photo', url: '' }]);
    assert.equal(doc?.markdown, '');
    assert.deepEqual(doc?.attachments, [{ name: 'incident-report.pdf', url: '' }]);
    assert.equal(doc?.sentAt.toISOString(), new Date(1_700_000_000_123).toISOString());
  });

  test('a chat that is not a registered channel is not logged', async () => {
    const group = newGroup();
    const { adapter, token } = await makeAdapter();
    await withPolling(adapter, async () => {
      const alice = emulator.server.getClient(token, { ...group, userId: 42, firstName: 'Alice', userName: 'alice' });
      await alice.sendMessage(alice.makeMessage('private talk'));
      await alice.sendCommand(alice.makeCommand('/discourse status'));
      await emulator.waitForBotMessages(token, group.chatId, 1);
    });
    assert.deepEqual(await logged(group.chatId), []);
  });

  test('a chat registered by a command is logged from the next message on (the cached "no" is dropped)', async () => {
    const group = newGroup();
    const { adapter, token } = await makeAdapter({
      handle: async (invocation) => {
        await register(Number(invocation.channel.externalId));
        return { text: 'Now watching', visibility: 'channel' };
      },
    });
    await withPolling(adapter, async () => {
      const alice = emulator.server.getClient(token, { ...group, userId: 42, firstName: 'Alice', userName: 'alice' });
      await alice.sendMessage(alice.makeMessage('before'));
      await alice.sendCommand(alice.makeCommand('/discourse watch all'));
      await alice.sendMessage(alice.makeMessage('after'));
      await alice.sendCommand(alice.makeCommand('/discourse status'));
      await emulator.waitForBotMessages(token, group.chatId, 2);
    });
    assert.deepEqual((await logged(group.chatId)).map((m) => m.markdown), ['after', '/discourse status']);
  });

  test('an edited message replaces its text in the log (edited_message through the webhook)', async () => {
    const group = newGroup();
    await register(group.chatId);
    const { adapter } = await makeAdapter({ mode: 'webhook' });
    const server = createHttpServer({ log: silentLogger, checks: {} });
    adapter.registerRoutes?.(server);
    try {
      const message = {
        message_id: 5001,
        date: 1_700_000_000,
        text: 'the outage started at 10:00',
        chat: { id: group.chatId, type: 'group', title: group.chatTitle },
        from: { id: 42, is_bot: false, first_name: 'Alice', username: 'alice' },
      };
      const post = (payload: object) => server.inject({ method: 'POST', url: '/hooks/telegram', payload });
      assert.equal((await post({ update_id: 1, message })).statusCode, 200);
      const edited = { ...message, text: 'the outage started at 09:40', edit_date: 1_700_000_060 };
      assert.equal((await post({ update_id: 2, edited_message: edited })).statusCode, 200);

      const messages = await logged(group.chatId);
      assert.equal(messages.length, 1);
      assert.equal(messages[0]!.markdown, 'the outage started at 09:40');
      assert.equal(messages[0]!.sentAt.toISOString(), new Date(1_700_000_000_000).toISOString(), 'an edit keeps its place in time');
    } finally {
      await adapter.stop();
      await server.close();
    }
  });

  test('anonymous admins and channel posts are logged under the chat that posted', async () => {
    const group = newGroup('Team chat');
    await register(group.chatId);
    const { adapter } = await makeAdapter({ mode: 'webhook' });
    const server = createHttpServer({ log: silentLogger, checks: {} });
    adapter.registerRoutes?.(server);
    try {
      const chat = { id: group.chatId, type: 'supergroup', title: group.chatTitle };
      await server.inject({
        method: 'POST',
        url: '/hooks/telegram',
        payload: {
          update_id: 3,
          message: { message_id: 7, date: 1_700_000_000, text: 'announcement', chat, sender_chat: chat, from: { id: 1087968824, is_bot: true, first_name: 'Group', username: 'GroupAnonymousBot' } },
        },
      });
      const [message] = await logged(group.chatId);
      assert.deepEqual(message?.author, { id: String(group.chatId), username: '', displayName: 'Team chat', isBot: false });
    } finally {
      await adapter.stop();
      await server.close();
    }
  });

  test('a store without a message log (or one that fails) changes nothing for commands', async () => {
    const { messageLog: _dropped, ...withoutLog } = store;
    const failing: Store = { ...store, messageLog: { ...store.messageLog, append: () => Promise.reject(new Error('disk full')) } };
    for (const variant of [withoutLog as unknown as Store, failing]) {
      const group = newGroup();
      await register(group.chatId);
      const { adapter, token } = await makeAdapter({ store: variant });
      await withPolling(adapter, async () => {
        const alice = emulator.server.getClient(token, { ...group, userId: 42, firstName: 'Alice', userName: 'alice' });
        await alice.sendMessage(alice.makeMessage('hello'));
        await alice.sendCommand(alice.makeCommand('/discourse status'));
        const replies = await emulator.waitForBotMessages(token, group.chatId, 1);
        assert.equal(replies[0]!.text, 'ok: status');
      });
      assert.deepEqual(await logged(group.chatId), []);
    }
  });
});
