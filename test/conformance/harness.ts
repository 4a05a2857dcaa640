// What a platform's test double offers the adapter conformance suite (./adapters.test.ts). Every entry of
// bots/registry.ts has one harness: its own file here (./telegram.ts, ./mattermost.ts) and a line in
// ./harnesses.ts. The harness starts the platform's double (an emulator, a stateful fake), configures the
// registry entry against it through its own configure(), and answers for the platform: what the chat shows,
// what its server would answer to a failure, how a person types a command there.
import type { AdapterDeps, AdapterFactory, PlatformAdapter } from '../../lib/seams/platform.js';
import type { ChannelRecord, Store } from '../../lib/seams/store.js';

/** A person in the channel, as the platform names them (its own id and handle). */
export interface ChatUser {
  id: string;
  username: string;
  displayName: string;
}

/** What the chat shows for a message: its visible text (markup rendered, escapes undone) and its links. */
export interface Shown {
  text: string;
  links: string[];
}

/**
 * A failure the double answers the next sending request with (send, edit or delete; never a poll), exactly as
 * the real platform does: its status, its body, its headers.
 *   rate-limit    429 with the platform's retry-after (Telegram: parameters.retry_after; Mattermost: Retry-After)
 *   server-error  a 5xx
 *   channel-gone  the channel no longer exists (deleted, archived)
 *   bot-removed   the bot was removed from the channel, or may no longer post there
 */
export type Failure = 'rate-limit' | 'server-error' | 'channel-gone' | 'bot-removed';

/** What the suite hands a harness: the registry entry, and the core's side of the adapter. */
export interface RigContext {
  /** The entry of bots/registry.ts under test: the harness creates the adapter through its configure(). */
  factory: AdapterFactory;
  /** A real store (SQLite :memory:); the harness registers its channel there. */
  store: Store;
  /** The suite's recorders for handleCommand and handleMembership, and the core's message log. */
  deps: AdapterDeps;
}

/** A started double with an adapter talking to it. One per platform for the whole file. */
export interface Rig {
  /** Created from ctx.factory with ctx.deps, started (its receivers running, its routes served). */
  adapter: PlatformAdapter;
  /** A channel registered in ctx.store that the bot may post in. */
  channel: ChannelRecord;
  /** The person who types commands in the channel, and (where the platform says) adds the bot. */
  user: ChatUser;
  /** Credentials the double was configured with: no error message may contain one. */
  secrets: string[];

  /**
   * Why the platform's messages have no ids (IRC), so that sendNotification returns messageRef null and nothing can
   * be threaded, edited or deleted. The suite then names a sent message by lastShownRef instead.
   */
  withoutMessageRefs?: string;
  /** With withoutMessageRefs: the harness's own name for the last notification the channel showed. */
  lastShownRef?(): Promise<string>;

  /** What the channel shows for a message the adapter sent; undefined once it is gone. */
  shown(messageRef: string): Promise<Shown | undefined>;
  /**
   * The text of a sent message that the platform scans for mentions, as its server sees it after its own
   * processing (Mattermost turns `<!channel>` into `@channel` in webhook and attachment text, for one).
   */
  mentionable(messageRef: string): Promise<string>;
  /** The message a sent message replies to, or the root of its thread; null when it starts none. */
  replyTarget(messageRef: string): Promise<string | null>;
  /** Someone deletes the message in the chat: from now on the platform answers for it as for a message gone. */
  vanish(messageRef: string): Promise<void>;
  /** The next sending request is answered with this failure, as the real platform answers it. */
  failNext(failure: Failure, opts?: { retryAfterSeconds?: number }): void;
  /**
   * `user` types `text` in the channel (with the platform's command prefix) through the platform's real way in
   * (an emulator update, a slash command POST to the adapter's route); resolves to the answer the user sees.
   */
  typeCommand(text: string): Promise<string>;

  /**
   * For platforms without fetchHistory: `user` types a plain message in the registered channel or in a chat that
   * is not registered. Messages are handled in the order typed. Resolves to where it went and its message id.
   */
  typeMessage?(text: string, where: 'channel' | 'elsewhere'): Promise<{ externalId: string; messageId: string }>;
  /** For platforms with fetchHistory: these messages by `user` are in the channel's history, at these times. */
  postHistory?(messages: { text: string; at: Date }[]): Promise<void>;

  /** The bot is added to the channel by `user`, as the platform tells a bot. */
  addBotToChannel?(): Promise<void>;
  /** The bot is removed from the channel by `user`. */
  removeBot?(): Promise<void>;
  /** Why the platform has no membership events, when addBotToChannel is absent. */
  withoutMembership?: string;

  /**
   * Known non-conformance, by test name → what is wrong. Such a test still runs and is reported as TODO with
   * its failure; once it passes, the suite fails until the line is removed.
   */
  knownGaps?: Readonly<Record<string, string>>;

  /** Stops the adapter and the double. */
  teardown(): Promise<void>;
}

/** The suite's tests by name, so that knownGaps name them without typos. */
export const CHECKS = {
  send: 'send: the notification arrives with its title, link and author; a messageRef comes back where the platform has message ids',
  thread: 'thread: a notification with threadRoot is placed in the first one\'s thread',
  edit: 'edit: the chat shows the edited notification',
  delete: 'delete: the notification is gone from the chat',
  editGone: 'message already gone: edit throws PlatformPermanentError(message_not_found)',
  deleteGone: 'message already gone: delete throws PlatformPermanentError(message_not_found)',
  channelGone: 'permanent: a channel that is gone is a channel-level PlatformPermanentError',
  botRemoved: 'permanent: a bot removed from the channel is a channel-level PlatformPermanentError',
  whatToDo: 'permanent: the channel-level error says what to do',
  transient: 'transient: a 5xx is PlatformTransientError',
  rateLimit: '429: PlatformRateLimitedError waits what the platform said',
  mentions: 'mass mentions: @everyone, @here, @channel, @all and <!channel> are shown but cannot ping',
  command: 'command round trip: /discourse status reaches handleCommand and the user sees the answer',
  history: 'history: fetchHistory pages oldest first within the range, or the core message log keeps registered chats only',
  membership: 'membership: bot added and removed reach handleMembership with who did it',
} as const;

export interface ConformanceHarness {
  /** The registry name it serves (PlatformProfile.name). */
  platform: string;
  setup(ctx: RigContext): Promise<Rig>;
}

/** Polls until `check` gives a value; no sleeping for correctness, only between looks. */
export async function eventually<T>(check: () => T | undefined | Promise<T | undefined>, what: string, timeoutMs = 5_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
