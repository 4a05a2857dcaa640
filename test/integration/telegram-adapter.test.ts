// The Telegram adapter through the real grammY, against telegram-test-api (a Bot API emulator), and against
// a small server answering with recorded real Bot API bodies where the emulator cannot (errors, getChatMember).
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { randomUUID } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import type { AdapterDeps, PlatformAdapter } from '../../lib/seams/platform.js';
import { telegram } from '../../bots/telegram/index.js';
import type { TelegramContext } from '../../bots/telegram/context.js';
import { formatNotification } from '../../bots/telegram/format.js';
import type { CommandInvocation, CommandReply, MembershipChange } from '../../lib/seams/invocation.js';
import { loadConfig } from '../../lib/config.js';
import { PlatformPermanentError, PlatformRateLimitedError, PlatformUnreachableError } from '../../lib/errors.js';
import { createHttpServer } from '../../lib/http/server.js';
import { silentLogger } from '../../lib/log.js';
import { ChannelMessageLog } from '../../lib/message-log.js';
import type { Notification } from '../../lib/notification.js';
import { openStore } from '../../lib/store/index.js';
import type { ChannelRecord, Store } from '../../lib/seams/store.js';
import { freePort, startTelegramServer, type TelegramEmulator } from '../helpers/telegram-server.js';

/** The emulator's getMe always answers with this bot. */
const EMULATOR_BOT = 'TestNameBot';
const GROUP = { chatId: -100200, chatTitle: 'Forum friends', type: 'group' as const, userId: 42, firstName: 'Alice', userName: 'alice' };

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

function newToken(): string {
  return `123456:${randomUUID()}`;
}

interface Harness {
  adapter: PlatformAdapter;
  token: string;
  invocations: CommandInvocation[];
  memberships: MembershipChange[];
}

async function makeAdapter(opts: {
  token?: string;
  apiRoot?: string;
  mode?: 'polling' | 'webhook';
  publicUrl?: string;
  secret?: string;
  handle?: (invocation: CommandInvocation) => Promise<CommandReply>;
}): Promise<Harness> {
  const token = opts.token ?? newToken();
  const config = loadConfig(
    {
      PARLEY_TELEGRAM_TOKEN: token,
      PARLEY_TELEGRAM_API_ROOT: opts.apiRoot ?? emulator.apiRoot,
      PARLEY_TELEGRAM_MODE: opts.mode ?? 'polling',
      PARLEY_PUBLIC_URL: opts.publicUrl ?? '',
      PARLEY_TELEGRAM_WEBHOOK_SECRET: opts.secret ?? '',
    },
    [telegram],
  );
  const invocations: CommandInvocation[] = [];
  const memberships: MembershipChange[] = [];
  const deps: AdapterDeps = {
    log: silentLogger,
    store,
    messageLog: new ChannelMessageLog('telegram', store, silentLogger),
    // Never throws, as the core's handleCommand (commands/dispatch.ts), which answers a failure itself.
    handleCommand: async (invocation) => {
      invocations.push(invocation);
      return opts.handle ? await opts.handle(invocation) : { text: `you said: ${invocation.args}`, visibility: 'ephemeral' };
    },
    handleMembership: async (change) => {
      memberships.push(change);
      return change.change === 'added' ? { text: 'hello, room', visibility: 'channel' } : null;
    },
  };
  return { adapter: await config.platforms[0]!.create(deps), token, invocations, memberships };
}

function channel(externalId: string): ChannelRecord {
  return { id: 1, platform: 'telegram', externalId, name: 'Forum friends', status: 'active', lastError: null, addedBy: null, settings: {}, createdAt: new Date() };
}

const NOTIFICATION: Notification = {
  kind: 'new_topic',
  title: 'Release <2.0> & more',
  url: 'https://forum.example.org/t/release-2-0/7/1',
  author: 'Carol (@carol)',
  category: { name: 'Announcements', path: 'announcements', color: 'BF1E2E' },
  tags: ['release', 'v2.0'],
  excerpt: 'It is out. Read the "notes" first.',
  thread: 'discourse:topic:7',
  subject: 'discourse:post:70',
};

describe('long polling against telegram-test-api', () => {
  test('group commands: /discourse and /discourse@OurBot reach the core and are answered in the chat; @OtherBot is ignored', async () => {
    const { adapter, token, invocations } = await makeAdapter({});
    await adapter.start();
    try {
      const client = emulator.server.getClient(token, GROUP);
      await client.sendCommand(client.makeCommand('/discourse status'));
      await emulator.waitForBotMessages(token, GROUP.chatId, 1);
      // Another bot's command comes first; updates are handled in order, so once the next reply is there
      // the ignored one has been seen.
      await client.sendCommand(client.makeCommand('/discourse@OtherBot status'));
      await client.sendCommand(client.makeCommand(`/discourse@${EMULATOR_BOT} watch c/meta`));
      const replies = await emulator.waitForBotMessages(token, GROUP.chatId, 2);
      const sent = await emulator.userMessages(token, GROUP.chatId);
      const commandIds = [sent[0]!.messageId, sent[2]!.messageId];

      assert.deepEqual(invocations, [
        {
          platform: 'telegram',
          command: 'discourse',
          args: 'status',
          channel: { externalId: String(GROUP.chatId), name: GROUP.chatTitle, isPrivate: false },
          user: { id: '42', username: 'alice', displayName: 'Alice' },
          // The command message, for a later answer (replyLater) to reply to.
          commandMessageId: String(commandIds[0]),
        },
        {
          platform: 'telegram',
          command: 'discourse',
          args: 'watch c/meta',
          channel: { externalId: String(GROUP.chatId), name: GROUP.chatTitle, isPrivate: false },
          user: { id: '42', username: 'alice', displayName: 'Alice' },
          commandMessageId: String(commandIds[1]),
        },
      ]);
      assert.deepEqual(
        replies.map((r) => r.text),
        ['you said: status', 'you said: watch c/meta'],
      );
      // Each reply answers its own command message.
      assert.deepEqual(
        replies.map((r) => (r.params.reply_parameters as { message_id: number }).message_id),
        commandIds,
      );
      assert.equal(replies.length, 2, 'nothing was sent for /discourse@OtherBot');
    } finally {
      await adapter.stop();
    }
  });

  test('!discourse as a plain message works too; other chat is not a command', async () => {
    const { adapter, token, invocations } = await makeAdapter({});
    await adapter.start();
    try {
      const client = emulator.server.getClient(token, GROUP);
      await client.sendMessage(client.makeMessage('just chatting about discourse'));
      await client.sendMessage(client.makeMessage('!discourse help'));
      const replies = await emulator.waitForBotMessages(token, GROUP.chatId, 1);
      assert.deepEqual(invocations.map((i) => i.args), ['help']);
      assert.equal(replies[0]!.text, 'you said: help');
    } finally {
      await adapter.stop();
    }
  });

  test('a private chat: the channel is the person, marked private; they are its moderator', async () => {
    const { adapter, token, invocations } = await makeAdapter({});
    await adapter.start();
    try {
      const client = emulator.server.getClient(token, { chatId: 7, userId: 7, type: 'private', firstName: 'Bob', userName: 'bob' });
      await client.sendCommand(client.makeCommand('/discourse help'));
      const replies = await emulator.waitForBotMessages(token, 7, 1);
      assert.equal(replies[0]!.text, 'you said: help');
      const invocation = invocations[0]!;
      assert.deepEqual(invocation.channel, { externalId: '7', name: '@bob', isPrivate: true });
      assert.deepEqual(await adapter.memberRole(invocation), { role: 'moderator' });
    } finally {
      await adapter.stop();
    }
  });

  // (A failing command is the core's to answer: handleCommand never throws, see test/integration/commands.test.ts.)
  test('a reply longer than one Telegram message is sent in parts', async () => {
    const longText = Array.from({ length: 400 }, (_, i) => `${i + 1}. watch c/category-number-${i + 1}`).join('\n');
    const { adapter, token } = await makeAdapter({ handle: async () => ({ text: longText, visibility: 'channel' }) });
    await adapter.start();
    try {
      const client = emulator.server.getClient(token, GROUP);
      await client.sendCommand(client.makeCommand('/discourse status'));
      // 400 lines of about 33 characters: 4 parts.
      const parts = await emulator.waitForBotMessages(token, GROUP.chatId, 4);
      assert.equal(parts.map((r) => r.text).join('\n'), longText);
      for (const r of parts) assert.ok(r.text.length <= 4096);
    } finally {
      await adapter.stop();
    }
  });

  test('stop() lets a command in flight finish and send its reply', async () => {
    let release!: () => void;
    const released = new Promise<void>((r) => (release = r));
    let entered!: () => void;
    const inHandler = new Promise<void>((r) => (entered = r));
    const { adapter, token } = await makeAdapter({
      handle: async () => {
        entered();
        await released;
        return { text: 'done', visibility: 'channel' };
      },
    });
    await adapter.start();
    const client = emulator.server.getClient(token, GROUP);
    await client.sendCommand(client.makeCommand('/discourse status'));
    await inHandler;
    let stopped = false;
    const stopping = adapter.stop().then(() => (stopped = true));
    await new Promise((r) => setImmediate(r));
    assert.equal(stopped, false, 'stop() waits for the command');
    release();
    await stopping;
    const replies = await emulator.botMessages(token, GROUP.chatId);
    assert.deepEqual(replies.map((r) => r.text), ['done']);
  });

  test('polling starts again after stop (the lease moved away and came back): commands are answered again', async () => {
    const { adapter, token, invocations } = await makeAdapter({});
    assert.equal(adapter.uniqueConnection, true, 'a long poll is a connection only one process may hold');
    await adapter.start();
    await adapter.stop();
    await adapter.start();
    try {
      const client = emulator.server.getClient(token, GROUP);
      await client.sendCommand(client.makeCommand('/discourse status'));
      const replies = await emulator.waitForBotMessages(token, GROUP.chatId, 1);
      assert.equal(replies[0]!.text, 'you said: status');
      assert.equal(invocations.length, 1);
    } finally {
      await adapter.stop();
    }
  });

  test('polling an emulator that answers getUpdates at once does not spin', async () => {
    const { adapter, token } = await makeAdapter({});
    const server = emulator.server as unknown as { getUpdates(token: string): unknown[] };
    const original = server.getUpdates.bind(server);
    let polls = 0;
    server.getUpdates = (t: string) => {
      if (t === token) polls++;
      return original(t);
    };
    try {
      await adapter.start();
      const startedAt = Date.now();
      const pollsAtStart = polls;
      await new Promise((r) => setTimeout(r, 1500));
      const elapsed = Date.now() - startedAt;
      await adapter.stop();
      // At most one empty poll per 300 ms (plus the one in flight and grammY's closing call); a spinning
      // loop makes hundreds. A slower machine only makes fewer.
      const bound = Math.ceil(elapsed / 300) + 2;
      assert.ok(polls - pollsAtStart <= bound, `${polls - pollsAtStart} getUpdates calls in ${elapsed} ms`);
    } finally {
      server.getUpdates = original;
    }
  });
});

describe('sending notifications to telegram-test-api', () => {
  test('the message arrives in the chat as HTML without link preview; a reply threads under the first announcement', async () => {
    const { adapter, token } = await makeAdapter({});
    const first = await adapter.sendNotification(channel(String(GROUP.chatId)), NOTIFICATION, { threadRoot: null, idempotencyKey: 'k1' });
    const reply: Notification = { ...NOTIFICATION, kind: 'reply', subject: 'discourse:post:71', excerpt: 'Thanks!' };
    const second = await adapter.sendNotification(channel(String(GROUP.chatId)), reply, { threadRoot: first.messageRef, idempotencyKey: 'k2' });

    const messages = await emulator.botMessages(token, GROUP.chatId);
    assert.equal(messages.length, 2);
    const [announcement, threaded] = messages as [(typeof messages)[0], (typeof messages)[0]];
    assert.equal(first.messageRef, String(announcement.messageId));
    assert.equal(second.messageRef, String(threaded.messageId));
    assert.equal(announcement.text, formatNotification(NOTIFICATION));
    assert.match(announcement.text, /^📝 New topic: <b><a href="https:\/\/forum\.example\.org\/t\/release-2-0\/7\/1">Release &lt;2\.0&gt; &amp; more<\/a><\/b>\n🔴 Announcements · #release #v2_0\nby Carol \(@\u200Bcarol\)\n<blockquote>It is out\. Read the &quot;notes&quot; first\.<\/blockquote>$/u);
    assert.equal(announcement.params.parse_mode, 'HTML');
    assert.deepEqual(announcement.params.link_preview_options, { is_disabled: true });
    assert.equal(announcement.params.reply_parameters, undefined);
    assert.match(threaded.text, /^💬 New reply in /u);
    assert.deepEqual(threaded.params.reply_parameters, { message_id: announcement.messageId, allow_sending_without_reply: true });
  });

  test('a sent notification is edited in place to the edited post, and deleted when the post is', async () => {
    const { adapter, token } = await makeAdapter({});
    const chatId = -100910;
    const { messageRef } = await adapter.sendNotification(channel(String(chatId)), NOTIFICATION, { threadRoot: null, idempotencyKey: 'k-edit' });
    assert.ok(messageRef);
    await adapter.editNotification!(channel(String(chatId)), messageRef, { ...NOTIFICATION, excerpt: 'Corrected: read the notes.' });
    let messages = await emulator.botMessages(token, chatId);
    assert.equal(messages.length, 1, 'edited, not sent again');
    assert.match(messages[0]!.text, /Corrected: read the notes\./u);
    assert.equal(messages[0]!.params.parse_mode, 'HTML');
    await adapter.deleteNotification!(channel(String(chatId)), messageRef);
    messages = await emulator.botMessages(token, chatId);
    assert.equal(messages.length, 0, 'the message is gone from the chat');
  });

  test('progress: the first call sends one message replying to the command, later calls edit that message', async () => {
    const { adapter, token } = await makeAdapter({});
    const chatId = -100909;
    const invocation: CommandInvocation = {
      platform: 'telegram',
      command: 'topic',
      args: '',
      channel: { externalId: String(chatId), name: 'Progress', isPrivate: false },
      user: { id: '1', username: 'u', displayName: 'U' },
      commandMessageId: '77',
    };
    const progress = adapter.progress?.bind(adapter);
    assert.ok(progress, 'Telegram can edit, so it shows progress');
    const ref = await progress(invocation, 'Reading: 100 so far…', null);
    assert.ok(ref);
    const again = await progress(invocation, 'Reading: 200 so far…', ref);
    assert.equal(again, ref);
    const messages = await emulator.botMessages(token, chatId);
    assert.equal(messages.length, 1, 'edited, not sent again');
    assert.equal(String(messages[0]!.messageId), ref);
    assert.match(messages[0]!.text, /200 so far/, 'the edit replaced the text');
    assert.deepEqual(messages[0]!.params.reply_parameters, { message_id: 77, allow_sending_without_reply: true });
  });

  test('in a group, the emulator has no getChatMember: the role is unknown, with the reason', async () => {
    const { adapter } = await makeAdapter({});
    const invocation: CommandInvocation = {
      platform: 'telegram',
      command: 'discourse',
      args: 'watch c/meta',
      channel: { externalId: String(GROUP.chatId), name: GROUP.chatTitle, isPrivate: false },
      user: { id: '42', username: 'alice', displayName: 'Alice' },
    };
    const role = await adapter.memberRole(invocation);
    assert.equal(role.role, 'unknown');
    assert.match(role.role === 'unknown' ? role.why : '', /getChatMember' is not supported/);
    // Only administrators can post as the group itself.
    assert.deepEqual(await adapter.memberRole({ ...invocation, platformContext: { anonymousAdmin: true } }), { role: 'moderator' });
  });

  test('health: ok with the bot name; a Bot API that does not answer is not ok, with a reason', async () => {
    const { adapter } = await makeAdapter({});
    // A standby bots process (another holds the long poll), or a workers process that only sends.
    assert.deepEqual(await adapter.health(), { ok: true, detail: `@${EMULATOR_BOT} (polling, not polling in this process)` });
    await adapter.start();
    try {
      assert.deepEqual(await adapter.health(), { ok: true, detail: `@${EMULATOR_BOT} (polling)` });
    } finally {
      await adapter.stop();
    }
    const token = newToken();
    const dead = await makeAdapter({ token, apiRoot: `http://127.0.0.1:${await freePort()}` });
    const health = await dead.adapter.health();
    assert.equal(health.ok, false);
    assert.match(health.detail ?? '', /getMe/);
    assert.ok(!(health.detail ?? '').includes(token.split(':')[1]!), 'the token is not in the detail');
  });
});

describe('webhook mode', () => {
  let app: FastifyInstance | undefined;
  after(async () => {
    await app?.close();
  });

  test('end to end: setWebhook, the emulator posts the update to /hooks/telegram, the reply reaches the chat', async () => {
    const port = await freePort();
    const { adapter, token, invocations } = await makeAdapter({ mode: 'webhook', publicUrl: `http://127.0.0.1:${port}` });
    app = createHttpServer({ log: silentLogger, checks: {} });
    adapter.registerRoutes?.(app);
    await app.listen({ port, host: '127.0.0.1' });
    await adapter.start();
    try {
      const client = emulator.server.getClient(token, GROUP);
      await client.sendCommand(client.makeCommand(`/discourse@${EMULATOR_BOT} status`));
      const replies = await emulator.waitForBotMessages(token, GROUP.chatId, 1);
      assert.equal(replies[0]!.text, 'you said: status');
      assert.equal(invocations[0]!.channel.externalId, String(GROUP.chatId));
      assert.deepEqual(await adapter.health(), { ok: true, detail: `@${EMULATOR_BOT} (webhook)` });
    } finally {
      await adapter.stop();
      await app.close();
      app = undefined;
    }
  });

  test('my_chat_member: the bot added to a group or removed reaches the core; its answer is said in the group', async () => {
    const secret = 'webhook-secret_456';
    const { adapter, token, memberships } = await makeAdapter({ mode: 'webhook', publicUrl: 'https://parley.example.org', secret });
    const server = createHttpServer({ log: silentLogger, checks: {} });
    adapter.registerRoutes?.(server);
    const membership = (update_id: number, oldStatus: string, newStatus: string) => ({
      update_id,
      my_chat_member: {
        chat: { id: GROUP.chatId, type: 'group', title: GROUP.chatTitle },
        from: { id: 42, is_bot: false, first_name: 'Alice', username: 'alice' },
        date: Math.floor(Date.now() / 1000),
        old_chat_member: { status: oldStatus, user: { id: 7, is_bot: true, first_name: 'Parley', username: EMULATOR_BOT } },
        new_chat_member: { status: newStatus, user: { id: 7, is_bot: true, first_name: 'Parley', username: EMULATOR_BOT } },
      },
    });
    const post = (update: object) => server.inject({ method: 'POST', url: '/hooks/telegram', payload: update, headers: { 'x-telegram-bot-api-secret-token': secret } });
    try {
      assert.equal((await post(membership(2001, 'left', 'member'))).statusCode, 200);
      assert.equal((await post(membership(2002, 'member', 'administrator'))).statusCode, 200); // promoted: still there
      assert.equal((await post(membership(2003, 'administrator', 'kicked'))).statusCode, 200);
      assert.deepEqual(memberships, [
        { platform: 'telegram', channel: { externalId: String(GROUP.chatId), name: GROUP.chatTitle, isPrivate: false }, by: { id: '42', username: 'alice', displayName: 'Alice' }, change: 'added' },
        { platform: 'telegram', channel: { externalId: String(GROUP.chatId), name: GROUP.chatTitle, isPrivate: false }, by: { id: '42', username: 'alice', displayName: 'Alice' }, change: 'removed' },
      ]);
      const said = await emulator.waitForBotMessages(token, GROUP.chatId, 1);
      assert.deepEqual(said.map((m) => m.text), ['hello, room']);
    } finally {
      await adapter.stop();
      await server.close();
    }
  });

  test('the secret token is checked (the emulator does not send one, so this posts the update itself)', async () => {
    const secret = 'webhook-secret_123';
    const { adapter, token, invocations } = await makeAdapter({ mode: 'webhook', publicUrl: 'https://parley.example.org', secret });
    const server = createHttpServer({ log: silentLogger, checks: {} });
    adapter.registerRoutes?.(server);
    try {
      const update = {
        update_id: 1001,
        message: {
          message_id: 5001,
          date: Math.floor(Date.now() / 1000),
          text: '/discourse status',
          entities: [{ type: 'bot_command', offset: 0, length: 10 }],
          chat: { id: GROUP.chatId, type: 'group', title: GROUP.chatTitle },
          from: { id: 42, is_bot: false, first_name: 'Alice', username: 'alice' },
        },
      };
      const missing = await server.inject({ method: 'POST', url: '/hooks/telegram', payload: update });
      assert.equal(missing.statusCode, 401);
      const wrong = await server.inject({ method: 'POST', url: '/hooks/telegram', payload: update, headers: { 'x-telegram-bot-api-secret-token': 'nope' } });
      assert.equal(wrong.statusCode, 401);
      assert.equal(invocations.length, 0);

      const garbage = await server.inject({ method: 'POST', url: '/hooks/telegram', payload: { hello: 'world' }, headers: { 'x-telegram-bot-api-secret-token': secret } });
      assert.equal(garbage.statusCode, 400);

      const right = await server.inject({ method: 'POST', url: '/hooks/telegram', payload: update, headers: { 'x-telegram-bot-api-secret-token': secret } });
      assert.equal(right.statusCode, 200);
      assert.equal(invocations.length, 1);
      const replies = await emulator.waitForBotMessages(token, GROUP.chatId, 1);
      assert.deepEqual(replies[0]!.params.reply_parameters, { message_id: 5001, allow_sending_without_reply: true });

      // After stop(), updates are refused so that Telegram delivers them again later.
      await adapter.stop();
      const late = await server.inject({ method: 'POST', url: '/hooks/telegram', payload: { ...update, update_id: 1002 }, headers: { 'x-telegram-bot-api-secret-token': secret } });
      assert.equal(late.statusCode, 503);
      assert.equal(invocations.length, 1);
    } finally {
      await server.close();
    }
  });

  test('polling mode registers no webhook route', async () => {
    const { adapter } = await makeAdapter({});
    const server = createHttpServer({ log: silentLogger, checks: {} });
    adapter.registerRoutes?.(server);
    const res = await server.inject({ method: 'POST', url: '/hooks/telegram', payload: { update_id: 1 } });
    assert.equal(res.statusCode, 404);
    await server.close();
  });
});

/**
 * A Bot API that answers each method with a recorded real response: HTTP status = error_code, as Telegram does.
 * Records what it was asked.
 */
async function recordedBotApi(answers: Record<string, (payload: Record<string, unknown>) => { status: number; body: unknown }>) {
  const calls: { method: string; payload: Record<string, unknown> }[] = [];
  const server: Server = createServer((req: IncomingMessage, res: ServerResponse) => {
    let raw = '';
    req.on('data', (c: Buffer) => (raw += c.toString()));
    req.on('end', () => {
      const method = (req.url ?? '').split('/').pop() ?? '';
      const payload = (raw ? JSON.parse(raw) : {}) as Record<string, unknown>;
      calls.push({ method, payload });
      const answer = answers[method]?.(payload) ?? { status: 404, body: { ok: false, error_code: 404, description: 'Not Found' } };
      res.writeHead(answer.status, { 'content-type': 'application/json' }).end(JSON.stringify(answer.body));
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  return { apiRoot: `http://127.0.0.1:${port}`, calls, close: () => new Promise<void>((r) => server.close(() => r())) };
}

const ok = (result: unknown) => ({ status: 200, body: { ok: true, result } });
const fail = (error_code: number, description: string, parameters?: object) => ({ status: error_code, body: { ok: false, error_code, description, ...(parameters ? { parameters } : {}) } });
const member = (status: string) => ok({ status, user: { id: 42, is_bot: false, first_name: 'Alice' }, ...(status === 'restricted' ? { is_member: true } : {}) });

describe('real Bot API error shapes through grammY', () => {
  test('sendNotification throws the error the delivery job acts on', async () => {
    const answers: Record<string, { status: number; body: unknown }> = {
      '-1': fail(403, 'Forbidden: bot was kicked from the supergroup chat'),
      '-2': fail(400, 'Bad Request: chat not found'),
      '-3': fail(429, 'Too Many Requests: retry after 12', { retry_after: 12 }),
      '-4': fail(401, 'Unauthorized'),
      '-5': fail(502, 'Bad Gateway'),
      '-6': fail(500, 'Internal Server Error'),
    };
    const api = await recordedBotApi({ sendMessage: (p) => answers[String(p.chat_id)]! });
    try {
      const { adapter } = await makeAdapter({ apiRoot: api.apiRoot });
      const send = (chat: string) => adapter.sendNotification(channel(chat), NOTIFICATION, { threadRoot: null, idempotencyKey: 'k' });
      await assert.rejects(send('-1'), (e) => e instanceof PlatformPermanentError && e.reason === 'bot_removed');
      await assert.rejects(send('-2'), (e) => e instanceof PlatformPermanentError && e.reason === 'channel_not_found');
      await assert.rejects(send('-3'), (e) => e instanceof PlatformRateLimitedError && e.retryAfterMs === 12_000);
      await assert.rejects(send('-4'), (e) => e instanceof PlatformPermanentError && e.reason === 'token_revoked');
      // 502: Telegram as a whole cannot be reached (its deliveries wait together); 500: this message failed.
      await assert.rejects(send('-5'), (e) => e instanceof PlatformUnreachableError);
      await assert.rejects(send('-6'), (e) => (e as Error).constructor.name === 'PlatformTransientError');
    } finally {
      await api.close();
    }
  });

  test('edit and delete: an unchanged edit is done; a message already gone is message_not_found (the core takes it as done); one too old to delete is bad_request', async () => {
    const api = await recordedBotApi({
      editMessageText: (p) => (p.message_id === 1 ? fail(400, 'Bad Request: message is not modified: specified new message content and reply markup are exactly the same') : fail(400, 'Bad Request: message to edit not found')),
      deleteMessage: (p) => (p.message_id === 1 ? fail(400, 'Bad Request: message to delete not found') : fail(400, "Bad Request: message can't be deleted for everyone")),
    });
    try {
      const { adapter } = await makeAdapter({ apiRoot: api.apiRoot });
      await adapter.editNotification!(channel('-5'), '1', NOTIFICATION);
      await assert.rejects(adapter.editNotification!(channel('-5'), '2', NOTIFICATION), (e) => e instanceof PlatformPermanentError && e.reason === 'message_not_found');
      await assert.rejects(adapter.deleteNotification!(channel('-5'), '1'), (e) => e instanceof PlatformPermanentError && e.reason === 'message_not_found');
      await assert.rejects(adapter.deleteNotification!(channel('-5'), '2'), (e) => e instanceof PlatformPermanentError && e.reason === 'bad_request');
      assert.deepEqual(api.calls.map((c) => c.method), ['editMessageText', 'editMessageText', 'deleteMessage', 'deleteMessage']);
    } finally {
      await api.close();
    }
  });

  test('a reply whose topic thread is gone is sent again without the reply', async () => {
    const api = await recordedBotApi({
      sendMessage: (p) => (p.reply_parameters ? fail(400, 'Bad Request: message thread not found') : ok({ message_id: 99, date: 0, chat: { id: -5, type: 'supergroup', title: 'x' }, text: 'x' })),
    });
    try {
      const { adapter } = await makeAdapter({ apiRoot: api.apiRoot });
      const sent = await adapter.sendNotification(channel('-5'), { ...NOTIFICATION, kind: 'reply' }, { threadRoot: '12', idempotencyKey: 'k' });
      assert.deepEqual(sent, { messageRef: '99' });
      assert.deepEqual(api.calls.map((c) => Boolean(c.payload.reply_parameters)), [true, false]);
    } finally {
      await api.close();
    }
  });

  test('replyLater throws the mapped error, and answers outside a forum topic that is gone', async () => {
    const sentOk = ok({ message_id: 100, date: 0, chat: { id: -6, type: 'supergroup', title: 'x' }, text: 'x' });
    const api = await recordedBotApi({
      sendMessage: (p) => {
        if (String(p.chat_id) === '-1') return fail(403, 'Forbidden: bot was kicked from the supergroup chat');
        if (String(p.chat_id) === '-3') return fail(429, 'Too Many Requests: retry after 4', { retry_after: 4 });
        return p.message_thread_id !== undefined ? fail(400, 'Bad Request: message thread not found') : sentOk;
      },
    });
    try {
      const { adapter } = await makeAdapter({ apiRoot: api.apiRoot });
      const invocation = (chat: string, commandMessageId: string, platformContext?: TelegramContext): CommandInvocation<TelegramContext> => ({
        platform: 'telegram',
        command: 'topic',
        args: 'last:5',
        channel: { externalId: chat, name: 'g', isPrivate: false },
        user: { id: '42', username: 'alice', displayName: 'Alice' },
        commandMessageId,
        ...(platformContext ? { platformContext } : {}),
      });
      const reply: CommandReply = { text: 'Posted: https://forum.example.org/t/x/1', visibility: 'channel' };
      await assert.rejects(adapter.replyLater(invocation('-1', '5'), reply), (e) => e instanceof PlatformPermanentError && e.reason === 'bot_removed');
      await assert.rejects(adapter.replyLater(invocation('-3', '5'), reply), (e) => e instanceof PlatformRateLimitedError && e.retryAfterMs === 4000);

      api.calls.length = 0;
      await adapter.replyLater(invocation('-6', '5', { threadId: 9 }), reply);
      assert.deepEqual(
        api.calls.map((c) => [c.payload.message_thread_id, c.payload.reply_parameters]),
        [
          [9, { message_id: 5, allow_sending_without_reply: true }],
          [undefined, { message_id: 5, allow_sending_without_reply: true }],
        ],
      );
    } finally {
      await api.close();
    }
  });

  test('memberRole reads getChatMember: creator and administrators moderate, members and restricted members do not', async () => {
    const statuses: Record<string, string> = { '1': 'creator', '2': 'administrator', '3': 'member', '4': 'restricted', '5': 'left' };
    const api = await recordedBotApi({
      getChatMember: (p) => (String(p.chat_id) === '-9' ? fail(400, 'Bad Request: chat not found') : member(statuses[String(p.user_id)]!)),
    });
    try {
      const { adapter } = await makeAdapter({ apiRoot: api.apiRoot });
      const role = (userId: string, chat = '-100300') =>
        adapter.memberRole({
          platform: 'telegram',
          command: 'discourse',
          args: '',
          channel: { externalId: chat, name: 'g', isPrivate: false },
          user: { id: userId, username: '', displayName: 'x' },
        });
      assert.deepEqual(await role('1'), { role: 'moderator' });
      assert.deepEqual(await role('2'), { role: 'moderator' });
      assert.deepEqual(await role('3'), { role: 'member' });
      assert.deepEqual(await role('4'), { role: 'member' });
      assert.equal((await role('5')).role, 'unknown');
      const failed = await role('3', '-9');
      assert.equal(failed.role, 'unknown');
      assert.match(failed.role === 'unknown' ? failed.why : '', /chat not found/);
      assert.deepEqual(api.calls[0]!.payload, { chat_id: '-100300', user_id: 1 });
    } finally {
      await api.close();
    }
  });

  test('start() with a revoked token fails at once with token_revoked', async () => {
    const api = await recordedBotApi({ getMe: () => fail(401, 'Unauthorized') });
    try {
      const { adapter } = await makeAdapter({ apiRoot: api.apiRoot });
      await assert.rejects(adapter.start(), (e) => e instanceof PlatformPermanentError && e.reason === 'token_revoked');
      const health = await adapter.health();
      assert.equal(health.ok, false);
      assert.match(health.detail ?? '', /Unauthorized/);
    } finally {
      await api.close();
    }
  });
});
