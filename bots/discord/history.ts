// A Discord channel's history for transcripts: GET /channels/{id}/messages paged back from the newest message
// (or from the end of a between range, found from its snowflake), the threads started from messages in the
// range read from their own channels and carried by their parent, messages converted to forum Markdown with
// mentions of users, roles and channels named, handed out oldest first.
//
// Snowflakes. A message id holds its creation time: ms since Discord's epoch (2015-01-01) = id >> 22. The
// smallest id of a millisecond is that number << 22, so `before=<snowflake of to + 1 ms>` starts a between
// range at its end, and the read stops at the first message older than `from` without reading further.
//
// Rate limits. The REST client neither retries nor waits (rejectOnRateLimit): a 429, or a request its bucket
// holds back, throws a RateLimitError, which mapDiscordError makes a PlatformRateLimitedError. History reads
// wait it out here (announced through onSlowdown) a few times, as long as Discord asks for at most
// MAX_RATE_LIMIT_WAIT_MS; otherwise the error reaches the transcript job, which retries later.
import { Routes, type REST } from 'discord.js';
import { PlatformPermanentError, PlatformRateLimitedError } from '../../lib/errors.js';
import type { HistoryOptions } from '../../lib/seams/platform.js';
import type { ChatAuthor, ChatMessage, TranscriptRange } from '../../lib/transcript/types.js';
import { mapDiscordError } from './errors.js';
import { discordToMarkdown, type DiscordLookup } from './markup.js';

/** Discord's epoch (2015-01-01T00:00:00Z), in ms. */
export const DISCORD_EPOCH_MS = 1420070400000;
/** Discord's largest page of messages. */
export const PER_PAGE = 100;
/** Waits for one request before its rate limit reaches the caller. */
export const MAX_RATE_LIMIT_WAITS = 3;
/** Longer waits than this are the transcript job's to make: the error reaches it, and it retries later. */
export const MAX_RATE_LIMIT_WAIT_MS = 60_000;

// Message types that are people (or apps) talking (discord-api-types MessageType): DEFAULT, REPLY, and the
// answers of apps to slash commands and context menu commands (CHAT_INPUT_COMMAND, CONTEXT_MENU_COMMAND; their
// authors are bots). Every other type is Discord's record of something that happened: joins, pins, boosts,
// follows, "started a thread" (THREAD_CREATED), AutoMod actions, stage events, poll results, purchases… and
// THREAD_STARTER_MESSAGE, the copy of a thread's parent at the top of the thread (the parent is in the channel).
const CONVERSATION_TYPES = new Set([0, 19, 20, 23]);

export interface DiscordHistoryOptions extends HistoryOptions {
  /** The channel's guild, for role names (GET /guilds/{id}/roles); null or absent: role mentions show as unknown. */
  guildId?: string | null;
  /** How to wait (tests pass one that does not wait long). */
  sleep?: (ms: number) => Promise<void>;
}

/** A user as Discord writes it in `author` and `mentions` (mentions in a guild carry a partial `member`). */
interface DiscordUser {
  id?: string;
  username?: string;
  global_name?: string | null;
  bot?: boolean;
  member?: { nick?: string | null } | null;
}

/** The parts of a message that are read here. */
interface DiscordMessage {
  id?: string;
  type?: number;
  content?: string;
  author?: DiscordUser;
  member?: { nick?: string | null } | null;
  timestamp?: string;
  mentions?: DiscordUser[];
  mention_roles?: string[];
  mention_channels?: { id?: string; name?: string }[];
  attachments?: { filename?: string; title?: string }[];
  /** The thread started from this message (its id is the message's). */
  thread?: { id?: string; name?: string } | null;
  /** A forwarded message: the message as it was, content and files. */
  message_snapshots?: { message?: { content?: string; attachments?: { filename?: string }[]; mentions?: DiscordUser[] } }[];
}

interface DiscordRole {
  id?: string;
  name?: string;
}

/** When a snowflake was made, in ms since 1970; NaN for something that is no snowflake. */
export function snowflakeTime(id: string): number {
  if (!/^\d{1,20}$/u.test(id)) return NaN;
  return Number(BigInt(id) >> 22n) + DISCORD_EPOCH_MS;
}

/** The smallest snowflake of a millisecond (ms since 1970); null before Discord's epoch. */
export function snowflakeAt(ms: number): string | null {
  if (!Number.isFinite(ms) || ms < DISCORD_EPOCH_MS) return null;
  return (BigInt(Math.floor(ms) - DISCORD_EPOCH_MS) << 22n).toString();
}

const compareIds = (a: string, b: string): number => (a.length - b.length) || (a < b ? -1 : a > b ? 1 : 0);

const isConversation = (m: DiscordMessage): m is DiscordMessage & { id: string } =>
  typeof m.id === 'string' && /^\d{1,20}$/u.test(m.id) && CONVERSATION_TYPES.has(m.type ?? 0);

const CHANNEL_MENTION = /<#(\d+)>/gu;

const defaultSleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * The channel's messages in `range`, in pages of `opts.pageSize`, oldest first; a thread's replies under the
 * message it was started from. Rate limits are waited out (each wait announced through onSlowdown) at most
 * MAX_RATE_LIMIT_WAITS times per request and as long as Discord asks for at most MAX_RATE_LIMIT_WAIT_MS; other
 * errors are thrown as mapDiscordError makes them (50001 Missing Access: a PlatformPermanentError).
 */
export async function* discordHistory(rest: REST, channelId: string, range: TranscriptRange, opts: DiscordHistoryOptions): AsyncGenerator<ChatMessage[]> {
  const messages = await new HistoryReader(rest, channelId, range, opts).read();
  const pageSize = Math.max(1, opts.pageSize);
  for (let start = 0; start < messages.length; start += pageSize) yield messages.slice(start, start + pageSize);
}

/** One fetch: its caches of names live as long as the fetch. */
class HistoryReader {
  private readonly sleep: (ms: number) => Promise<void>;
  /** Messages read so far (replies included), for onSlowdown. */
  private readCount = 0;
  /** User id → the best name seen in this fetch's messages (a member's nickname wins). */
  private readonly userNames = new Map<string, string>();
  private readonly nicknames = new Map<string, string>();
  private roleNames: Map<string, string> | null = null;
  /** Channel id → name; null: looked up, not known. */
  private readonly channelNames = new Map<string, string | null>();

  constructor(
    private readonly rest: REST,
    private readonly channelId: string,
    private readonly range: TranscriptRange,
    private readonly opts: DiscordHistoryOptions,
  ) {
    this.sleep = opts.sleep ?? defaultSleep;
  }

  async read(): Promise<ChatMessage[]> {
    const kept = await this.collect();
    const replies = new Map<string, DiscordMessage[]>();
    for (const m of kept) {
      const threadId = m.thread?.id;
      if (typeof threadId === 'string' && /^\d{1,20}$/u.test(threadId)) replies.set(m.id!, await this.readThread(threadId));
    }
    const all = [...kept, ...[...replies.values()].flat()];
    this.learnNames(all);
    await this.lookUpRoles(all);
    await this.lookUpChannels(all);
    const lookup = this.lookup();
    return kept.map((m) => {
      const message = this.toChatMessage(m, lookup);
      const thread = replies.get(m.id!);
      return thread && thread.length > 0 ? { ...message, replies: thread.map((r) => this.toChatMessage(r, lookup)) } : message;
    });
  }

  /** The channel's conversation messages in range, oldest first. */
  private async collect(): Promise<DiscordMessage[]> {
    const wanted = this.range.kind === 'last' ? Math.max(0, Math.floor(this.range.count)) : Infinity;
    if (wanted === 0) return [];
    const from = this.range.kind === 'between' ? this.range.from.getTime() : -Infinity;
    const to = this.range.kind === 'between' ? this.range.to.getTime() : Infinity;
    if (from > to) return [];
    let before: string | undefined;
    if (this.range.kind === 'between') {
      const end = snowflakeAt(to + 1);
      if (end === null) return [];
      before = end;
    }
    const kept: DiscordMessage[] = [];
    const seen = new Set<string>();
    for (;;) {
      const page = await this.page(this.channelId, before);
      let reachedStart = false;
      for (const m of page) {
        if (typeof m.id !== 'string' || seen.has(m.id)) continue;
        seen.add(m.id);
        const at = snowflakeTime(m.id);
        if (at > to) continue;
        if (at < from) {
          reachedStart = true;
          break;
        }
        if (!isConversation(m)) continue;
        kept.push(m);
        this.readCount++;
        if (kept.length >= wanted) {
          reachedStart = true;
          break;
        }
      }
      const oldest = oldestId(page);
      if (reachedStart || page.length < PER_PAGE || oldest === undefined || oldest === before) break;
      before = oldest;
    }
    return kept.sort((a, b) => compareIds(a.id!, b.id!));
  }

  /**
   * A thread's replies, oldest first, without its system messages and the copy of its parent; within a between
   * range, none after its end. A thread deleted since its parent was read has none.
   */
  private async readThread(threadId: string): Promise<DiscordMessage[]> {
    const to = this.range.kind === 'between' ? this.range.to.getTime() : Infinity;
    let before = this.range.kind === 'between' ? (snowflakeAt(to + 1) ?? undefined) : undefined;
    const found: DiscordMessage[] = [];
    const seen = new Set<string>();
    for (;;) {
      let page: DiscordMessage[];
      try {
        page = await this.page(threadId, before);
      } catch (err) {
        if (err instanceof PlatformPermanentError && err.reason === 'channel_not_found') return [];
        throw err;
      }
      for (const m of page) {
        if (!isConversation(m) || seen.has(m.id) || snowflakeTime(m.id) > to) continue;
        seen.add(m.id);
        found.push(m);
        this.readCount++;
      }
      const oldest = oldestId(page);
      if (page.length < PER_PAGE || oldest === undefined || oldest === before) break;
      before = oldest;
    }
    return found.sort((a, b) => compareIds(a.id!, b.id!));
  }

  /** One page of a channel's messages before `before` (newest first, as Discord gives them). */
  private async page(channelId: string, before: string | undefined): Promise<DiscordMessage[]> {
    const query = new URLSearchParams({ limit: String(PER_PAGE), ...(before !== undefined ? { before } : {}) });
    const page = await this.request<unknown>(() => this.rest.get(Routes.channelMessages(channelId), { query }));
    return Array.isArray(page) ? (page.filter((m) => m !== null && typeof m === 'object') as DiscordMessage[]) : [];
  }

  /** Names of everyone the messages show: authors, and mentioned users with their nickname in the guild. */
  private learnNames(messages: readonly DiscordMessage[]): void {
    const learn = (u: DiscordUser | undefined): void => {
      if (!u || typeof u.id !== 'string') return;
      const nick = u.member?.nick?.trim();
      if (nick) this.nicknames.set(u.id, nick);
      const name = u.global_name?.trim() || u.username;
      if (name && !this.userNames.has(u.id)) this.userNames.set(u.id, name);
    };
    for (const m of messages) {
      learn(m.author);
      const nick = m.member?.nick?.trim();
      if (nick && typeof m.author?.id === 'string') this.nicknames.set(m.author.id, nick);
      for (const u of m.mentions ?? []) learn(u);
      for (const s of m.message_snapshots ?? []) for (const u of s.message?.mentions ?? []) learn(u);
    }
  }

  /** The guild's role names, read once, only when a message mentions a role; unknown when that fails. */
  private async lookUpRoles(messages: readonly DiscordMessage[]): Promise<void> {
    const guildId = this.opts.guildId;
    if (!guildId || !messages.some((m) => (m.mention_roles?.length ?? 0) > 0 || /<@&\d+>/u.test(textsOf(m).join('\n')))) return;
    this.roleNames = new Map();
    try {
      const roles = await this.request<unknown>(() => this.rest.get(Routes.guildRoles(guildId)));
      for (const r of Array.isArray(roles) ? (roles as DiscordRole[]) : []) {
        if (r && typeof r.id === 'string' && typeof r.name === 'string') this.roleNames.set(r.id, r.name.replace(/^@/u, ''));
      }
    } catch {
      // Role mentions then show as @unknown-role; the transcript is worth more than their names.
    }
  }

  /**
   * Names of the channels the messages mention: from `mention_channels` (crossposts), from the threads seen,
   * else GET /channels/{id}, each once per fetch; unknown when that fails.
   */
  private async lookUpChannels(messages: readonly DiscordMessage[]): Promise<void> {
    const wanted = new Set<string>();
    for (const m of messages) {
      for (const c of m.mention_channels ?? []) if (typeof c?.id === 'string' && typeof c.name === 'string') this.channelNames.set(c.id, c.name);
      if (typeof m.thread?.id === 'string' && typeof m.thread.name === 'string') this.channelNames.set(m.thread.id, m.thread.name);
      for (const text of textsOf(m)) for (const match of text.matchAll(CHANNEL_MENTION)) wanted.add(match[1]!);
    }
    for (const id of wanted) {
      if (this.channelNames.has(id)) continue;
      try {
        const channel = await this.request<{ name?: unknown } | null>(() => this.rest.get(Routes.channel(id)));
        this.channelNames.set(id, typeof channel?.name === 'string' && channel.name !== '' ? channel.name : null);
      } catch {
        this.channelNames.set(id, null);
      }
    }
  }

  private lookup(): DiscordLookup {
    return {
      user: (id) => this.nicknames.get(id) ?? this.userNames.get(id),
      role: (id) => this.roleNames?.get(id),
      channel: (id) => this.channelNames.get(id) ?? undefined,
    };
  }

  private toChatMessage(m: DiscordMessage, lookup: DiscordLookup): ChatMessage {
    let markdown = discordToMarkdown(m.content ?? '', lookup);
    const attachments = (m.attachments ?? []).map((a) => ({ name: a.filename || a.title || 'file', url: '' }));
    // A forwarded message has no content of its own: the message as it was, quoted.
    for (const snapshot of m.message_snapshots ?? []) {
      const forwarded = snapshot.message;
      if (!forwarded) continue;
      const text = discordToMarkdown(forwarded.content ?? '', lookup);
      if (text.trim() !== '') markdown = [markdown, text.split('\n').map((line) => (line === '' ? '>' : `> ${line}`)).join('\n')].filter((s) => s.trim() !== '').join('\n\n');
      for (const a of forwarded.attachments ?? []) attachments.push({ name: a.filename || 'file', url: '' });
    }
    const time = Date.parse(m.timestamp ?? '');
    return {
      id: m.id!,
      author: this.authorOf(m),
      sentAt: new Date(Number.isNaN(time) ? snowflakeTime(m.id!) : time),
      // Embeds (link previews, a bot's cards) are not shown: a message of embeds only is empty, and left out.
      markdown,
      // Discord's CDN links expire within a day: files are named, not linked.
      attachments,
    };
  }

  private authorOf(m: DiscordMessage): ChatAuthor {
    const a = m.author ?? {};
    const id = typeof a.id === 'string' ? a.id : '';
    const username = typeof a.username === 'string' ? a.username : '';
    const displayName = m.member?.nick?.trim() || this.nicknames.get(id) || a.global_name?.trim() || username || 'unknown user';
    return { id, username, displayName, isBot: a.bot === true };
  }

  /** One request; a rate limit is waited out and the request repeated, a few times and not for long. */
  private async request<T>(call: () => Promise<unknown>): Promise<T> {
    for (let waits = 0; ; waits++) {
      try {
        return (await call()) as T;
      } catch (raw) {
        const err = mapDiscordError(raw);
        if (!(err instanceof PlatformRateLimitedError) || waits >= MAX_RATE_LIMIT_WAITS || err.retryAfterMs > MAX_RATE_LIMIT_WAIT_MS) throw err;
        this.opts.onSlowdown?.({ read: this.readCount, waitMs: err.retryAfterMs, remainingMs: null });
        await this.sleep(err.retryAfterMs);
      }
    }
  }
}

/** The smallest id of a page (Discord sends newest first; not relied on). */
function oldestId(page: readonly DiscordMessage[]): string | undefined {
  let oldest: string | undefined;
  for (const m of page) if (typeof m.id === 'string' && /^\d{1,20}$/u.test(m.id) && (oldest === undefined || compareIds(m.id, oldest) < 0)) oldest = m.id;
  return oldest;
}

/** The texts of a message that markup is read from: its content and those of the messages it forwards. */
function textsOf(m: DiscordMessage): string[] {
  return [m.content ?? '', ...(m.message_snapshots ?? []).map((s) => s.message?.content ?? '')];
}
