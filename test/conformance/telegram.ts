// Telegram's double for the conformance suite: telegram-test-api (test/helpers/telegram-server.ts) behind a thin
// HTTP layer of our own. The layer forwards every Bot API call to the emulator and answers, where the emulator
// cannot, as the real Bot API does (the recorded bodies of test/integration/telegram-adapter.test.ts):
//   - the failures of failNext: 429 with parameters.retry_after, 500, 400 "chat not found", 403 "bot was kicked";
//   - an edit or delete of a message that is no longer in the chat: 400 "message to edit/delete not found" (the
//     emulator answers ok to the edit and with a description of its own to the delete);
//   - my_chat_member updates, which the emulator cannot make: handed out with the next getUpdates, as Telegram
//     hands them to a polling bot.
// The adapter runs as configured by default: long polling, through the registry entry's own configure().
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { randomUUID } from 'node:crypto';
import { htmlAttribute, htmlText } from '../helpers/html-text.js';
import { readBody } from '../helpers/http.js';
import { startTelegramServer, type BotMessage } from '../helpers/telegram-server.js';
import { eventually, type ConformanceHarness, type Failure, type Rig, type Shown } from './harness.js';

const CHAT = { chatId: -100_123_456, chatTitle: 'Conformance room', type: 'group' as const };
/** A group the bot is in that is not a registered channel. */
const ELSEWHERE = { chatId: -100_654_321, chatTitle: 'Somewhere else', type: 'group' as const };
const ALICE = { userId: 42, firstName: 'Alice', userName: 'alice' };
/** Who telegram-test-api's getMe says the bot is. */
const EMULATOR_BOT = { id: 666, is_bot: true, first_name: 'Test First name', username: 'TestNameBot' };

interface Answer {
  status: number;
  body: unknown;
}

const fail = (error_code: number, description: string, parameters?: object): Answer => ({
  status: error_code,
  body: { ok: false, error_code, description, ...(parameters ? { parameters } : {}) },
});

/** The real Bot API's answers (core.telegram.org; bodies as recorded from api.telegram.org). */
function realAnswer(failure: Failure, retryAfterSeconds: number): Answer {
  switch (failure) {
    case 'rate-limit':
      return fail(429, `Too Many Requests: retry after ${retryAfterSeconds}`, { retry_after: retryAfterSeconds });
    case 'server-error':
      return fail(500, 'Internal Server Error');
    case 'channel-gone':
      return fail(400, 'Bad Request: chat not found');
    case 'bot-removed':
      return fail(403, 'Forbidden: bot was kicked from the supergroup chat');
  }
}

/** The calls that say something in a chat; a poll or getMe is never failed. */
const SENDING = new Set(['sendMessage', 'editMessageText', 'deleteMessage']);

/** What a Telegram client shows for a message the bot sent: HTML parse mode rendered, or the text as it is. */
function render(message: BotMessage): Shown {
  if (message.params.parse_mode !== 'HTML') return { text: message.text, links: [] };
  const links = [...message.text.matchAll(/<a href="([^"]*)">/gu)].map((m) => htmlAttribute(m[1]!));
  return { text: htmlText(message.text), links };
}

export const telegramHarness: ConformanceHarness = {
  platform: 'telegram',
  async setup({ factory, store, deps }): Promise<Rig> {
    const emulator = await startTelegramServer();
    const token = `123456:${randomUUID()}`;
    const failures: Answer[] = [];
    const updates: object[] = [];
    let nextUpdateId = 1_000_000;

    const messagesIn = (chatId: number | string) => emulator.botMessages(token, chatId);
    const sentMessage = async (ref: string): Promise<BotMessage | undefined> => (await messagesIn(CHAT.chatId)).find((m) => String(m.messageId) === ref);

    async function answer(method: string, path: string, raw: string, contentType: string | undefined): Promise<Answer> {
      if (SENDING.has(method) && failures.length > 0) return failures.shift()!;
      if (method === 'editMessageText' || method === 'deleteMessage') {
        const payload = JSON.parse(raw || '{}') as { chat_id?: string | number; message_id?: number };
        const there = (await messagesIn(payload.chat_id ?? '')).some((m) => m.messageId === Number(payload.message_id));
        if (!there) return fail(400, `Bad Request: message to ${method === 'editMessageText' ? 'edit' : 'delete'} not found`);
      }
      const res = await fetch(`${emulator.apiRoot}${path}`, {
        method: 'POST',
        headers: contentType ? { 'content-type': contentType } : {},
        ...(raw ? { body: raw } : {}),
      });
      const body: unknown = await res.json();
      if (method === 'getUpdates' && updates.length > 0 && typeof body === 'object' && body !== null && Array.isArray((body as { result?: unknown }).result)) {
        const result = (body as { result: unknown[] }).result;
        return { status: res.status, body: { ok: true, result: [...updates.splice(0), ...result] } };
      }
      return { status: res.status, body };
    }

    const server: Server = createServer((req: IncomingMessage, res: ServerResponse) => {
      void (async () => {
        let reply: Answer;
        try {
          const path = req.url ?? '/';
          const method = path.split('?')[0]!.split('/').pop() ?? '';
          reply = await answer(method, path, await readBody(req), req.headers['content-type']);
        } catch (err) {
          reply = { status: 502, body: { message: `conformance proxy: ${(err as Error).message}` } };
        }
        if (res.destroyed) return; // grammY gave up on a poll when the adapter stopped
        res.writeHead(reply.status, { 'content-type': 'application/json' }).end(JSON.stringify(reply.body));
      })();
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const apiRoot = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

    const { platform, problems } = factory.configure(
      { PARLEY_TELEGRAM_TOKEN: token, PARLEY_TELEGRAM_API_ROOT: apiRoot, PARLEY_TELEGRAM_MODE: 'polling' },
      { publicUrl: null },
    );
    if (!platform) throw new Error(`telegram did not configure against the emulator: ${problems.join('; ')}`);
    const adapter = await platform.create(deps);
    const { channel } = await store.channels.ensure({ platform: 'telegram', externalId: String(CHAT.chatId), name: CHAT.chatTitle, status: 'active', addedBy: 'cli' });
    await adapter.start();

    const inChannel = emulator.server.getClient(token, { ...CHAT, ...ALICE });
    const elsewhere = emulator.server.getClient(token, { ...ELSEWHERE, ...ALICE });

    /** The id the emulator gave the last message with this text that Alice sent to a chat. */
    async function typedId(chatId: number, text: string): Promise<number> {
      const mine = (await emulator.userMessages(token, chatId)).filter((m) => m.text === text);
      const last = mine.at(-1);
      if (!last) throw new Error(`the emulator has no message "${text}" in chat ${chatId}`);
      return last.messageId;
    }

    function membership(oldStatus: string, newStatus: string): void {
      updates.push({
        update_id: nextUpdateId++,
        my_chat_member: {
          chat: { id: CHAT.chatId, type: CHAT.type, title: CHAT.chatTitle },
          from: { id: ALICE.userId, is_bot: false, first_name: ALICE.firstName, username: ALICE.userName },
          date: Math.floor(Date.now() / 1000),
          old_chat_member: { status: oldStatus, user: EMULATOR_BOT },
          new_chat_member: { status: newStatus, user: EMULATOR_BOT },
        },
      });
    }

    return {
      adapter,
      channel,
      user: { id: String(ALICE.userId), username: ALICE.userName, displayName: ALICE.firstName },
      secrets: [token, token.split(':')[1]!],

      async shown(ref) {
        const message = await sentMessage(ref);
        return message ? render(message) : undefined;
      },
      async mentionable(ref) {
        // Telegram parses the HTML the bot sent; what it can turn into a mention is in that text.
        return (await sentMessage(ref))?.text ?? '';
      },
      async replyTarget(ref) {
        const message = await sentMessage(ref);
        const target = (message?.params.reply_parameters as { message_id?: number } | undefined)?.message_id;
        return target === undefined ? null : String(target);
      },
      async vanish(ref) {
        // A chat administrator deletes it; the emulator forgets the message.
        if (!emulator.server.deleteMessage(CHAT.chatId, Number(ref))) throw new Error(`no message ${ref} to delete`);
      },
      failNext(failure, opts = {}) {
        failures.push(realAnswer(failure, opts.retryAfterSeconds ?? 5));
      },

      async typeCommand(text) {
        await inChannel.sendCommand(inChannel.makeCommand(text));
        const commandId = await typedId(CHAT.chatId, text);
        const reply = await eventually(
          async () => (await messagesIn(CHAT.chatId)).find((m) => (m.params.reply_parameters as { message_id?: number } | undefined)?.message_id === commandId),
          `the bot's answer to "${text}"`,
        );
        return render(reply).text;
      },
      async typeMessage(text, where) {
        const [client, chat] = where === 'channel' ? [inChannel, CHAT] : [elsewhere, ELSEWHERE];
        await client.sendMessage(client.makeMessage(text));
        return { externalId: String(chat.chatId), messageId: String(await typedId(chat.chatId, text)) };
      },

      async addBotToChannel() {
        membership('left', 'member');
      },
      async removeBot() {
        membership('member', 'kicked');
      },


      async teardown() {
        await adapter.stop();
        server.closeAllConnections();
        await new Promise<void>((resolve) => server.close(() => resolve()));
        await emulator.stop();
      },
    };
  },
};
