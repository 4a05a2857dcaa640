// Parley's own log of the messages it sees, for platforms with no history API (Telegram now, IRC later):
// every message in a registered channel is appended to store.messageLog as it arrives (an edit replaces it), and
// /topic reads it back (docs/vocabulary.md#message-log). One recorder per platform, handed to its adapter.
import type { Logger } from './log.js';
import type { MessageRecorder } from './seams/platform.js';
import type { PlatformName, Store } from './seams/store.js';
import type { ChatMessage } from './transcript/types.js';

/** How long "is this chat a registered channel?" is believed; every message asks, the answer rarely changes. */
export const REGISTERED_CACHE_MS = 30_000;
/** Chats remembered at once; the bot is in few, but nothing here may grow without end. */
const MAX_CACHED_CHATS = 10_000;

export class ChannelMessageLog implements MessageRecorder {
  private readonly registered = new Map<string, { answer: Promise<boolean>; until: number }>();

  constructor(
    private readonly platform: PlatformName,
    private readonly store: Pick<Store, 'channels' | 'messageLog'>,
    private readonly log: Logger,
    private readonly cacheMs = REGISTERED_CACHE_MS,
  ) {}

  async record(externalId: string, toMessage: () => ChatMessage | null): Promise<void> {
    try {
      if (!(await this.isRegistered(externalId))) return;
      const message = toMessage();
      if (message) await this.store.messageLog.append(this.platform, externalId, message);
    } catch (err) {
      // The text is the users' and stays out of the log.
      this.log.warn({ chat: externalId, err: err instanceof Error ? err.message : String(err) }, 'could not log a message for transcripts');
    }
  }

  forget(externalId: string): void {
    this.registered.delete(externalId);
  }

  private isRegistered(externalId: string): Promise<boolean> {
    const now = Date.now();
    const cached = this.registered.get(externalId);
    if (cached && cached.until > now) return cached.answer;
    if (this.registered.size >= MAX_CACHED_CHATS) this.registered.clear();
    // The promise is cached, so a burst of messages asks the store once.
    const answer = this.store.channels.find(this.platform, externalId).then((channel) => channel !== undefined);
    this.registered.set(externalId, { answer, until: now + this.cacheMs });
    // A failed lookup is not remembered.
    answer.catch(() => {
      if (this.registered.get(externalId)?.answer === answer) this.registered.delete(externalId);
    });
    return answer;
  }
}
