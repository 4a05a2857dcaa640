// telegram-test-api on a free 127.0.0.1 port, plus the few user-side calls our tests make.
// The emulator's own client polls without end after its timeout, so bot messages are read here instead,
// from /getUpdatesHistory (which does not consume them).
import emulatorModule from 'telegram-test-api';
import type { TelegramServer } from 'telegram-test-api/lib/telegramServer.js';
import { freePort } from './free-port.js';

export { freePort };

// The package is CommonJS whose module.exports is the class; its typings describe `exports.default`.
const TelegramServerClass = emulatorModule as unknown as typeof TelegramServer;

export interface BotMessage {
  messageId: number;
  chatId: string;
  text: string;
  /** The sendMessage parameters as the bot sent them (parse_mode, reply_parameters, …). */
  params: Record<string, unknown>;
}

export interface UserMessage {
  messageId: number;
  chatId: string;
  text: string;
}

export interface TelegramEmulator {
  server: TelegramServer;
  /** For grammY's `client.apiRoot` (PARLEY_TELEGRAM_API_ROOT). */
  apiRoot: string;
  /** Everything the bot with this token has sent to a chat, oldest first. */
  botMessages(token: string, chatId: number | string): Promise<BotMessage[]>;
  /** What users have sent (through the emulator's client) to the bot with this token in a chat, oldest first. */
  userMessages(token: string, chatId: number | string): Promise<UserMessage[]>;
  /** Waits until the bot has sent at least `count` messages to the chat. */
  waitForBotMessages(token: string, chatId: number | string, count: number, timeoutMs?: number): Promise<BotMessage[]>;
  stop(): Promise<void>;
}


export async function startTelegramServer(): Promise<TelegramEmulator> {
  let server: TelegramServer | undefined;
  let port = 0;
  // Another process may take the probed port before the emulator binds it: try a few.
  for (let attempt = 0; attempt < 5 && !server; attempt++) {
    port = await freePort();
    const candidate = new TelegramServerClass({ port, host: '127.0.0.1' });
    try {
      await candidate.start();
      server = candidate;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EADDRINUSE') throw err;
    }
  }
  if (!server) throw new Error('telegram-test-api: no free port after 5 attempts');
  const apiRoot = `http://127.0.0.1:${port}`;

  async function history(token: string): Promise<{ messageId: number; message: Record<string, unknown> }[]> {
    const res = await fetch(`${apiRoot}/getUpdatesHistory`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ token }),
      signal: AbortSignal.timeout(5000),
    });
    const body = (await res.json()) as { result: { messageId: number; message?: Record<string, unknown> }[] };
    return body.result.flatMap((u) => (u.message ? [{ messageId: u.messageId, message: u.message }] : []));
  }

  async function userMessages(token: string, chatId: number | string): Promise<UserMessage[]> {
    return (await history(token))
      .filter((u) => {
        const chat = u.message.chat as { id?: unknown } | undefined;
        return chat !== undefined && String(chat.id) === String(chatId);
      })
      .map((u) => ({ messageId: u.messageId, chatId: String(chatId), text: String(u.message.text) }));
  }

  async function botMessages(token: string, chatId: number | string): Promise<BotMessage[]> {
    return (await history(token))
      .filter((u) => 'chat_id' in u.message && String(u.message.chat_id) === String(chatId))
      .map((u) => ({ messageId: u.messageId, chatId: String(u.message.chat_id), text: String(u.message.text), params: u.message }));
  }

  async function waitForBotMessages(token: string, chatId: number | string, count: number, timeoutMs = 10_000): Promise<BotMessage[]> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const messages = await botMessages(token, chatId);
      if (messages.length >= count) return messages;
      if (Date.now() > deadline) throw new Error(`the bot sent ${messages.length} of ${count} expected messages to chat ${chatId} within ${timeoutMs} ms`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  return {
    server,
    apiRoot,
    botMessages,
    userMessages,
    waitForBotMessages,
    stop: async () => {
      await server.stop();
    },
  };
}
