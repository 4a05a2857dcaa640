// A Mattermost channel's history for transcripts: GET /api/v4/channels/{id}/posts paged back from the newest
// post, posts mapped to ChatMessages (authors and @mentions looked up in batches), handed out oldest first.
import { PlatformRateLimitedError } from '../../lib/errors.js';
import type { ChatAuthor, ChatMessage, TranscriptRange } from '../../lib/transcript/types.js';
import type { MattermostChannelPost, MattermostClient, MattermostUserProfile } from './client.js';
import { mattermostToMarkdown } from './markup.js';

/** Mattermost's largest page. */
export const MAX_PER_PAGE = 200;
/** Mattermost's limiter allows 10 requests a second per client by default: one every 100 ms stays under it. */
export const MIN_REQUEST_INTERVAL_MS = 100;
/** Users per POST /users/ids or /users/usernames. */
const USER_BATCH = 100;
/** A 429 waits its Retry-After and tries again this often before the error reaches the job. */
const RATE_LIMIT_RETRIES = 3;
/** Longer waits than this are the job's to make (it retries without counting an attempt). */
const MAX_RATE_LIMIT_WAIT_MS = 30_000;

export interface HistoryOptions {
  pageSize: number;
  minRequestIntervalMs?: number;
  /** Posts per request; MAX_PER_PAGE unless a test wants smaller pages. */
  perPage?: number;
}

// @handle starting a word, as Mattermost reads it (letters, digits, . _ -).
const MENTION = /(^|[^\p{L}\p{N}_.@~-])@([a-z0-9][a-z0-9._-]*)/giu;
// Channel-wide mentions name no user.
const SPECIAL_MENTIONS = new Set(['all', 'channel', 'here']);

/** Joins, leaves, header changes…: Mattermost's own posts, not the conversation. */
export function isSystemPost(post: MattermostChannelPost): boolean {
  return (post.type ?? '').startsWith('system_');
}

/** Usernames a message @mentions, with trailing `.`, `_`, `-` also tried bare ("thanks @bob."). */
export function mentionedUsernames(message: string): string[] {
  const names = new Set<string>();
  for (const m of message.matchAll(MENTION)) {
    const handle = m[2]!.toLowerCase();
    if (SPECIAL_MENTIONS.has(handle)) continue;
    names.add(handle);
    const bare = handle.replace(/[._-]+$/u, '');
    if (bare !== '' && bare !== handle) names.add(bare);
  }
  return [...names];
}

export function displayName(user: MattermostUserProfile): string {
  const full = [user.first_name, user.last_name].filter((s) => s !== undefined && s.trim() !== '').join(' ');
  return full || user.nickname?.trim() || user.username;
}

function authorFromUser(user: MattermostUserProfile): ChatAuthor {
  return { id: user.id, username: user.username, displayName: displayName(user), isBot: user.is_bot === true };
}

/** Spaces requests at least `intervalMs` apart. */
class Pacer {
  private last = -Infinity;
  constructor(private readonly intervalMs: number) {}

  async wait(): Promise<void> {
    const wait = this.last + this.intervalMs - Date.now();
    if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
    this.last = Date.now();
  }
}

/**
 * Reads one channel's history. One instance per fetch: its user cache lives as long as the fetch.
 */
export class MattermostHistory {
  private readonly pacer: Pacer;
  private readonly authors = new Map<string, ChatAuthor>();
  /** username → display name, for @mentions; null when Mattermost knows no such user. */
  private readonly names = new Map<string, string | null>();

  constructor(
    private readonly client: MattermostClient,
    private readonly channelId: string,
    private readonly opts: HistoryOptions,
  ) {
    this.pacer = new Pacer(opts.minRequestIntervalMs ?? MIN_REQUEST_INTERVAL_MS);
  }

  async *pages(range: TranscriptRange): AsyncGenerator<ChatMessage[]> {
    const posts = await this.collect(range);
    const pageSize = Math.max(1, this.opts.pageSize);
    for (let start = 0; start < posts.length; start += pageSize) {
      const page = posts.slice(start, start + pageSize);
      await this.lookUpUsers(page);
      const names = this.knownNames();
      yield page.map((post) => this.toChatMessage(post, names));
    }
  }

  /**
   * Pages back from the newest post with the `before` cursor (stable while people keep talking, unlike page
   * numbers), until the range is covered. Returns the posts in range, oldest first.
   */
  private async collect(range: TranscriptRange): Promise<MattermostChannelPost[]> {
    const maxPerPage = Math.min(MAX_PER_PAGE, this.opts.perPage ?? MAX_PER_PAGE);
    const from = range.kind === 'between' ? range.from.getTime() : -Infinity;
    const to = range.kind === 'between' ? range.to.getTime() : Infinity;
    const wanted = range.kind === 'last' ? range.count : Infinity;
    const kept: MattermostChannelPost[] = [];
    const seen = new Set<string>();
    let before: string | undefined;
    for (;;) {
      // For last:N ask for about what is still missing; a few extra allow for system posts.
      const perPage = Math.max(1, Math.min(maxPerPage, wanted - kept.length + 10));
      const list = await this.request(() => this.client.getChannelPosts(this.channelId, { perPage, ...(before ? { before } : {}) }));
      const order = Array.isArray(list.order) ? list.order : [];
      let reachedStart = false;
      for (const id of order) {
        const post = list.posts?.[id];
        if (!post || seen.has(id)) continue;
        seen.add(id);
        if (post.create_at > to) continue;
        if (post.create_at < from) {
          reachedStart = true;
          break;
        }
        if (isSystemPost(post) || (post.delete_at ?? 0) > 0) continue;
        kept.push(post);
        if (kept.length >= wanted) {
          reachedStart = true;
          break;
        }
      }
      const oldest = order.at(-1);
      if (reachedStart || order.length < perPage || oldest === undefined || oldest === before) break;
      before = oldest;
    }
    // Newest first from Mattermost; ties on time keep a stable order by id.
    return kept.reverse().sort((a, b) => a.create_at - b.create_at || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  }

  /** Authors and mentioned users of a page, asked for in batches; each user once per fetch. */
  private async lookUpUsers(posts: readonly MattermostChannelPost[]): Promise<void> {
    const ids = [...new Set(posts.map((p) => p.user_id))].filter((id) => id && !this.authors.has(id));
    for (let i = 0; i < ids.length; i += USER_BATCH) {
      const batch = ids.slice(i, i + USER_BATCH);
      const users = await this.request(() => this.client.getUsersByIds(batch));
      for (const user of Array.isArray(users) ? users : []) this.learn(user);
    }
    const usernames = [...new Set(posts.flatMap((p) => mentionedUsernames(p.message ?? '')))].filter((name) => !this.names.has(name));
    for (let i = 0; i < usernames.length; i += USER_BATCH) {
      const batch = usernames.slice(i, i + USER_BATCH);
      const users = await this.request(() => this.client.getUsersByUsernames(batch));
      for (const user of Array.isArray(users) ? users : []) this.learn(user);
      for (const name of batch) if (!this.names.has(name)) this.names.set(name, null);
    }
  }

  private learn(user: MattermostUserProfile): void {
    if (!user || typeof user.id !== 'string' || typeof user.username !== 'string') return;
    const author = authorFromUser(user);
    this.authors.set(user.id, author);
    this.names.set(user.username.toLowerCase(), author.displayName);
  }

  private knownNames(): Map<string, string> {
    const known = new Map<string, string>();
    for (const [username, name] of this.names) if (name !== null) known.set(username, name);
    return known;
  }

  private toChatMessage(post: MattermostChannelPost, names: ReadonlyMap<string, string>): ChatMessage {
    return {
      id: post.id,
      author: this.authorOf(post),
      sentAt: new Date(post.create_at),
      markdown: mattermostToMarkdown(post.message ?? '', { users: names }),
      attachments: this.filesOf(post),
    };
  }

  private authorOf(post: MattermostChannelPost): ChatAuthor {
    const user = this.authors.get(post.user_id) ?? { id: post.user_id, username: '', displayName: 'unknown user', isBot: false };
    // An integration's post (incoming webhook, slash command answer) is a bot's, shown under its chosen name.
    if (post.props?.from_webhook === 'true' || post.props?.from_bot === 'true') {
      const override = post.props.override_username;
      return { ...user, displayName: typeof override === 'string' && override.trim() !== '' ? override : user.displayName, isBot: true };
    }
    return user;
  }

  /** Links that need a Mattermost login to open: fine in a forum post, they give nothing away. */
  private filesOf(post: MattermostChannelPost): { name: string; url: string }[] {
    const url = (id: string) => `${this.client.baseUrl}/api/v4/files/${encodeURIComponent(id)}`;
    const files = post.metadata?.files;
    if (Array.isArray(files) && files.length > 0) return files.map((f) => ({ name: f.name || 'file', url: url(f.id) }));
    return (post.file_ids ?? []).map((id) => ({ name: 'file', url: url(id) }));
  }

  /** One paced request; a 429 waits its Retry-After and tries again a few times. */
  private async request<T>(call: () => Promise<T>): Promise<T> {
    for (let attempt = 0; ; attempt++) {
      await this.pacer.wait();
      try {
        return await call();
      } catch (err) {
        if (!(err instanceof PlatformRateLimitedError) || attempt >= RATE_LIMIT_RETRIES || err.retryAfterMs > MAX_RATE_LIMIT_WAIT_MS) throw err;
        await new Promise((resolve) => setTimeout(resolve, err.retryAfterMs));
      }
    }
  }
}
