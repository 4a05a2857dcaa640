// A Slack channel's history for transcripts: conversations.history paged back from the newest message, the
// threads that start in the range read with conversations.replies and carried by their parent, messages
// converted to forum Markdown with authors and <@U…> mentions named, handed out oldest first.
//
// Rate limits. Since 2025 Slack gives commercially distributed apps that are not in its Marketplace
// conversations.history and conversations.replies at Tier 1: 1 request a minute, at most 15 messages a page
// (docs.slack.dev changelog 2025-05-29, "Rate limit changes for non-Marketplace apps"). A long transcript
// then takes minutes, so every wait is announced through onSlowdown (with an estimate for last:N), and once
// short pages and a 429 have shown the slow tier, requests are spaced one per observed window instead of
// being refused again and again.
import type { WebClient } from '@slack/web-api';
import { PlatformRateLimitedError } from '../../lib/errors.js';
import type { HistoryOptions } from '../../lib/seams/platform.js';
import type { ChatAuthor, ChatMessage, TranscriptRange } from '../../lib/transcript/types.js';
import { mapSlackError } from './errors.js';
import { slackToMarkdown } from './markup.js';
import type { SlackUser, SlackUsers } from './users.js';

/** Messages asked for per request: Slack's recommendation (its maximum is 999 for history, 1000 for replies). */
export const DEFAULT_PER_PAGE = 200;
/** The page size of Slack's slow tier; a shorter page than asked, with more to come, reveals it. */
export const SLOW_TIER_PAGE = 15;
/** Longer waits than this are the transcript job's to make: the error reaches it, and it retries later. */
export const MAX_RATE_LIMIT_WAIT_MS = 120_000;
/** Refusals of one request in a row before giving up (a wait each time; a guard against an endless loop). */
const MAX_REFUSALS_IN_A_ROW = 20;
/** users.info lookups at a time (Tier 4: 100+ a minute). */
const USER_LOOKUPS_AT_ONCE = 10;

const HISTORY = 'conversations.history';
const REPLIES = 'conversations.replies';
type PacedMethod = typeof HISTORY | typeof REPLIES;

// Subtypes that are conversation. Every other subtype is Slack's record of something that happened: joins and
// leaves, topic, purpose and name changes, archiving, pins, bots added, huddles, reminders, and `tombstone`
// (a deleted message kept in place for its thread). Slack docs, "message" event, "Message subtypes".
const CONVERSATION_SUBTYPES = new Set(['bot_message', 'me_message', 'file_share', 'thread_broadcast']);

export interface SlackHistoryOptions extends HistoryOptions {
  /** Messages asked for per request; DEFAULT_PER_PAGE unless a test wants smaller pages. */
  perPage?: number;
  /** How to wait (tests pass one that does not). */
  sleep?: (ms: number) => Promise<void>;
}

/** The parts of a message in conversations.history / .replies that are read here. */
interface SlackMessage {
  ts?: string;
  type?: string;
  subtype?: string;
  hidden?: boolean;
  user?: string;
  bot_id?: string;
  username?: string;
  bot_profile?: { name?: string };
  text?: string;
  thread_ts?: string;
  reply_count?: number;
  files?: { name?: string; title?: string }[];
  attachments?: { fallback?: string; text?: string }[];
}

interface SlackPage {
  messages?: SlackMessage[];
  has_more?: boolean;
  response_metadata?: { next_cursor?: string };
}

/** A ts as Slack wants it in oldest/latest: seconds with six decimals. */
function tsFromMs(ms: number, extraMicros = 0): string {
  const seconds = Math.floor(ms / 1000);
  return `${seconds}.${String((ms - seconds * 1000) * 1000 + extraMicros).padStart(6, '0')}`;
}

/** Milliseconds since the epoch from a ts ('1700000000.000100'). */
export function msFromTs(ts: string): number {
  const [seconds = '0', fraction = ''] = ts.split('.');
  return Number(seconds) * 1000 + Math.floor(Number(fraction.padEnd(6, '0').slice(0, 6)) / 1000);
}

function compareTs(a: string, b: string): number {
  const [as = '0', af = ''] = a.split('.');
  const [bs = '0', bf = ''] = b.split('.');
  return Number(as) - Number(bs) || Number(af.padEnd(6, '0')) - Number(bf.padEnd(6, '0'));
}

export function isConversation(m: SlackMessage): boolean {
  if (m.hidden === true || typeof m.ts !== 'string') return false;
  return m.subtype === undefined || CONVERSATION_SUBTYPES.has(m.subtype);
}

const startsThread = (m: SlackMessage): boolean => (m.reply_count ?? 0) > 0 && m.thread_ts === m.ts;

const MENTION = /<@([UW][A-Z0-9]+)(?:\|[^>]*)?>/gu;

const defaultSleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** Per method of the slow tier: when it last answered, and the window a 429 revealed. */
interface Pace {
  lastAnswerAt: number | null;
  windowMs: number | null;
}

/**
 * The channel's messages in `range`, in pages of `opts.pageSize`, oldest first; thread replies under their
 * parent. Rate limits are waited out (each wait announced through onSlowdown) as long as Slack asks for at most
 * MAX_RATE_LIMIT_WAIT_MS; other errors are thrown as mapSlackError makes them.
 */
export async function* slackHistory(
  client: WebClient,
  users: SlackUsers,
  channelId: string,
  range: TranscriptRange,
  opts: SlackHistoryOptions,
): AsyncGenerator<ChatMessage[]> {
  const reader = new HistoryReader(client, users, channelId, range, opts);
  const messages = await reader.read();
  const pageSize = Math.max(1, opts.pageSize);
  for (let start = 0; start < messages.length; start += pageSize) yield messages.slice(start, start + pageSize);
}

/** One fetch: its pacing and estimates live as long as the fetch. */
class HistoryReader {
  private readonly perPage: number;
  private readonly sleep: (ms: number) => Promise<void>;
  private readonly wanted: number;
  private readonly paces: Record<PacedMethod, Pace> = { [HISTORY]: { lastAnswerAt: null, windowMs: null }, [REPLIES]: { lastAnswerAt: null, windowMs: null } };
  /** Set when a page came back short with more to come: Slack's slow tier. */
  private slowPageSize: number | null = null;
  /** Messages read so far (replies included), and top-level ones kept. */
  private readCount = 0;
  private keptCount = 0;
  private historyDone = false;
  /** Threads found but not read yet: their reply counts, for the estimate. */
  private readonly pendingReplies = new Map<string, number>();

  constructor(
    private readonly client: WebClient,
    private readonly users: SlackUsers,
    private readonly channelId: string,
    private readonly range: TranscriptRange,
    private readonly opts: SlackHistoryOptions,
  ) {
    this.perPage = Math.max(1, Math.min(opts.perPage ?? DEFAULT_PER_PAGE, 999));
    this.sleep = opts.sleep ?? defaultSleep;
    this.wanted = range.kind === 'last' ? Math.max(0, range.count) : Infinity;
  }

  async read(): Promise<ChatMessage[]> {
    const { kept, replies } = await this.collect();
    const names = await this.lookUpUsers([...kept, ...[...replies.values()].flat()]);
    const oldestFirst = kept.sort((a, b) => compareTs(a.ts!, b.ts!));
    return oldestFirst.map((m) => {
      const message = this.toChatMessage(m, names);
      const thread = replies.get(m.ts!);
      return thread && thread.length > 0 ? { ...message, replies: thread.map((r) => this.toChatMessage(r, names)) } : message;
    });
  }

  /** Top-level messages in range, newest first as read, and the replies of the threads among them. */
  private async collect(): Promise<{ kept: SlackMessage[]; replies: Map<string, SlackMessage[]> }> {
    const kept: SlackMessage[] = [];
    const replies = new Map<string, SlackMessage[]>();
    if (this.wanted === 0) return { kept, replies };
    const bounds = this.bounds();
    let cursor: string | undefined;
    for (;;) {
      // For last:N ask for about what is still missing; a few extra allow for joins and the like.
      const limit = Math.max(1, Math.min(this.perPage, this.wanted - kept.length + 10));
      const args = { channel: this.channelId, limit, ...bounds, ...(cursor ? { cursor } : {}) };
      const page = await this.request(HISTORY, () => this.client.conversations.history(args) as Promise<SlackPage>);
      const messages = Array.isArray(page.messages) ? page.messages : [];
      this.notePageSize(messages.length, limit, page.has_more === true);
      const fresh: SlackMessage[] = [];
      for (const m of messages) {
        if (!isConversation(m) || !this.inRange(m.ts!)) continue;
        fresh.push(m);
        if (kept.length + fresh.length >= this.wanted) break;
      }
      kept.push(...fresh);
      this.keptCount = kept.length;
      this.readCount += fresh.length;
      const next = page.response_metadata?.next_cursor;
      const done = kept.length >= this.wanted || page.has_more !== true || !next || next === cursor;
      if (done) this.historyDone = true;
      // Threads right away: conversations.replies has a window of its own in the slow tier, so reading them
      // between history pages costs no extra time there.
      for (const m of fresh) if (startsThread(m)) this.pendingReplies.set(m.ts!, m.reply_count ?? 0);
      for (const m of fresh) {
        if (!startsThread(m)) continue;
        replies.set(m.ts!, await this.readThread(m.ts!, bounds));
        this.pendingReplies.delete(m.ts!);
      }
      if (done) return { kept, replies };
      cursor = next;
    }
  }

  /** A thread's replies, oldest first, without its parent and without broadcasts (those are in the channel). */
  private async readThread(parentTs: string, bounds: { latest?: string; inclusive?: boolean }): Promise<SlackMessage[]> {
    const found: SlackMessage[] = [];
    const seen = new Set<string>();
    let cursor: string | undefined;
    for (;;) {
      const args = {
        channel: this.channelId,
        ts: parentTs,
        limit: this.perPage,
        // Within a between range, replies after its end are not part of it either.
        ...(bounds.latest !== undefined ? { latest: bounds.latest, inclusive: true } : {}),
        ...(cursor ? { cursor } : {}),
      };
      const page = await this.request(REPLIES, () => this.client.conversations.replies(args) as Promise<SlackPage>);
      const messages = Array.isArray(page.messages) ? page.messages : [];
      this.notePageSize(messages.length, this.perPage, page.has_more === true);
      for (const m of messages) {
        // The parent comes first (on every page, in some answers); a broadcast reply is already in the channel.
        if (m.ts === parentTs || m.subtype === 'thread_broadcast' || !isConversation(m) || seen.has(m.ts!)) continue;
        seen.add(m.ts!);
        found.push(m);
        this.readCount++;
      }
      const next = page.response_metadata?.next_cursor;
      if (page.has_more !== true || !next || next === cursor) break;
      cursor = next;
    }
    return found.sort((a, b) => compareTs(a.ts!, b.ts!));
  }

  private bounds(): { oldest?: string; latest?: string; inclusive?: boolean } {
    if (this.range.kind !== 'between') return {};
    // The range is in milliseconds; its last millisecond holds 999 more microseconds.
    return { oldest: tsFromMs(this.range.from.getTime()), latest: tsFromMs(this.range.to.getTime(), 999), inclusive: true };
  }

  private inRange(ts: string): boolean {
    if (this.range.kind !== 'between') return true;
    const ms = msFromTs(ts);
    return ms >= this.range.from.getTime() && ms <= this.range.to.getTime();
  }

  /** A page shorter than asked for, with more to come, at the slow tier's size: Slack capped it. */
  private notePageSize(got: number, asked: number, hasMore: boolean): void {
    if (hasMore && got > 0 && got < asked && got <= SLOW_TIER_PAGE) this.slowPageSize = got;
  }

  /**
   * One request, paced in the slow tier; a rate limit is waited out and the request repeated. Waits longer
   * than MAX_RATE_LIMIT_WAIT_MS, and endless refusals, reach the caller.
   */
  private async request<T>(method: PacedMethod | 'users.info', call: () => Promise<T>): Promise<T> {
    const pace = method === 'users.info' ? null : this.paces[method];
    for (let refusals = 0; ; ) {
      if (pace) await this.keepPace(method as PacedMethod, pace);
      try {
        const result = await call();
        if (pace) pace.lastAnswerAt = Date.now();
        return result;
      } catch (raw) {
        const err = mapSlackError(raw);
        if (!(err instanceof PlatformRateLimitedError) || err.retryAfterMs > MAX_RATE_LIMIT_WAIT_MS || ++refusals > MAX_REFUSALS_IN_A_ROW) throw err;
        // The window Slack keeps: from its last answer to when it will answer again.
        if (pace) pace.windowMs = Math.max(pace.windowMs ?? 0, (pace.lastAnswerAt === null ? 0 : Date.now() - pace.lastAnswerAt) + err.retryAfterMs);
        this.announce(method, err.retryAfterMs);
        await this.sleep(err.retryAfterMs);
      }
    }
  }

  /** In the slow tier, once a 429 has shown its window: the next request no sooner than one window after the last. */
  private async keepPace(method: PacedMethod, pace: Pace): Promise<void> {
    if (this.slowPageSize === null || pace.windowMs === null || pace.lastAnswerAt === null) return;
    const waitMs = pace.lastAnswerAt + pace.windowMs - Date.now();
    if (waitMs <= 0) return;
    this.announce(method, waitMs);
    await this.sleep(waitMs);
  }

  private announce(method: string, waitMs: number): void {
    this.opts.onSlowdown?.({ read: this.readCount, waitMs, remainingMs: this.estimate(method, waitMs) });
  }

  /**
   * For last:N, the time still needed if Slack keeps its pace: the history pages still missing at the page
   * size it gives, and the requests for the threads known so far, one window each. Null for other ranges,
   * whose length is unknown until the read reaches their start.
   */
  private estimate(method: string, waitMs: number): number | null {
    if (this.range.kind !== 'last') return null;
    const pageSize = this.slowPageSize ?? this.perPage;
    const historyWindow = this.paces[HISTORY].windowMs ?? waitMs;
    const repliesWindow = this.paces[REPLIES].windowMs ?? historyWindow;
    const historyLeft = this.historyDone ? 0 : Math.ceil(Math.max(1, this.wanted - this.keptCount) / pageSize);
    let repliesLeft = 0;
    for (const count of this.pendingReplies.values()) repliesLeft += Math.ceil((count + 1) / pageSize);
    // The request waiting now is one of those counted; it costs `waitMs` instead of a window.
    const current = method === HISTORY ? historyWindow : method === REPLIES ? repliesWindow : 0;
    return Math.max(waitMs, waitMs + historyLeft * historyWindow + repliesLeft * repliesWindow - current);
  }

  /** Display names of every author and mentioned user, one users.info each (SlackUsers caches them). */
  private async lookUpUsers(messages: SlackMessage[]): Promise<Map<string, SlackUser>> {
    const ids = new Set<string>();
    for (const m of messages) {
      if (m.user) ids.add(m.user);
      for (const match of (m.text ?? '').matchAll(MENTION)) ids.add(match[1]!);
    }
    const known = new Map<string, SlackUser>();
    const list = [...ids];
    for (let i = 0; i < list.length; i += USER_LOOKUPS_AT_ONCE) {
      const batch = list.slice(i, i + USER_LOOKUPS_AT_ONCE);
      const found = await Promise.all(batch.map((id) => this.request('users.info', () => this.users.get(id))));
      found.forEach((user, k) => user && known.set(batch[k]!, user));
    }
    return known;
  }

  private toChatMessage(m: SlackMessage, users: ReadonlyMap<string, SlackUser>): ChatMessage {
    // A bot's message with nothing but legacy attachments (many integrations post so): their fallback text.
    const text = m.text?.trim() ? m.text : (m.attachments ?? []).map((a) => a.fallback ?? a.text ?? '').filter((s) => s.trim() !== '').join('\n');
    return {
      id: m.ts!,
      author: this.authorOf(m, users),
      sentAt: new Date(msFromTs(m.ts!)),
      markdown: slackToMarkdown(text, { user: (id) => users.get(id)?.displayName }),
      // Slack's file links need a Slack login (and may expire): named, not linked.
      attachments: (m.files ?? []).map((f) => ({ name: f.name || f.title || 'file', url: '' })),
    };
  }

  private authorOf(m: SlackMessage, users: ReadonlyMap<string, SlackUser>): ChatAuthor {
    const user = m.user ? users.get(m.user) : undefined;
    if (m.subtype === 'bot_message' || m.bot_id !== undefined) {
      // An integration's message shows under the name it chose (`username`), else its app's name.
      const name = m.username?.trim() || m.bot_profile?.name?.trim() || user?.displayName || 'bot';
      return { id: m.user ?? m.bot_id ?? '', username: user?.username ?? '', displayName: name, isBot: true };
    }
    if (user) return { id: user.id, username: user.username, displayName: user.displayName, isBot: user.isBot };
    return { id: m.user ?? '', username: '', displayName: m.user ?? 'unknown user', isBot: false };
  }
}
