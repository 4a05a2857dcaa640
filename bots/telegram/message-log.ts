// Telegram has no history API for bots, so transcripts read Parley's own log of what the bot saw: every
// message in a registered channel is appended to store.messageLog as it arrives (edits replace it).
import type { Message } from 'grammy/types';
import type { Logger } from '../../lib/log.js';
import type { MessageLogStore, Store } from '../../lib/store/types.js';
import { toChatMessage } from './chat-message.js';
import { isCommandForOtherBot } from './commands.js';

/** How long "is this chat a registered channel?" is believed; every message asks, the answer rarely changes. */
export const REGISTERED_CACHE_MS = 30_000;
/** Chats remembered at once; the bot is in few, but nothing here may grow without end. */
const MAX_CACHED_CHATS = 10_000;

export class TelegramMessageLog {
  private readonly registered = new Map<string, { answer: Promise<boolean>; until: number }>();

  constructor(
    private readonly store: Store,
    private readonly log: Logger,
    private readonly cacheMs = REGISTERED_CACHE_MS,
  ) {}

  /** Records a new or edited message if its chat is a registered channel. Never throws: logging must not stop commands. */
  async record(message: Message, botUsername: string): Promise<void> {
    // A store from before the message log existed has no messageLog: nothing to do.
    const messageLog = (this.store as { messageLog?: MessageLogStore }).messageLog;
    if (!messageLog) return;
    const chatId = String(message.chat.id);
    try {
      if (isCommandForOtherBot(message.text ?? message.caption ?? '', botUsername)) return;
      if (!(await this.isRegistered(chatId))) return;
      const chatMessage = toChatMessage(message);
      if (!chatMessage) return;
      await messageLog.append('telegram', chatId, chatMessage);
    } catch (err) {
      // The text is the users' and stays out of the log.
      this.log.warn({ chat: chatId, message: message.message_id, error: err instanceof Error ? err.message : String(err) }, 'telegram: could not log a message for transcripts');
    }
  }

  /** Drops what is known about a chat: a command there may just have registered (or removed) it. */
  forget(chatId: string): void {
    this.registered.delete(chatId);
  }

  private isRegistered(chatId: string): Promise<boolean> {
    const now = Date.now();
    const cached = this.registered.get(chatId);
    if (cached && cached.until > now) return cached.answer;
    if (this.registered.size >= MAX_CACHED_CHATS) this.registered.clear();
    // The promise is cached, so a burst of messages asks the store once.
    const answer = this.store.channels.find('telegram', chatId).then((channel) => channel !== undefined);
    this.registered.set(chatId, { answer, until: now + this.cacheMs });
    // A failed lookup is not remembered.
    answer.catch(() => {
      if (this.registered.get(chatId)?.answer === answer) this.registered.delete(chatId);
    });
    return answer;
  }
}
