// A small typed client for the parts of Mattermost's REST API v4 that Parley uses, on plain fetch.
// The token lives in a private field and only ever goes into the Authorization header.
import { fetchText } from '../../lib/adapters/fetch-text.js';
import { PlatformTransientError } from '../../lib/errors.js';
import { errorFromResponse, type MattermostAction } from './errors.js';

export const DEFAULT_TIMEOUT_MS = 10_000;

export interface MattermostUser {
  id: string;
  username: string;
  /** Space-separated role names, e.g. `system_user system_admin`. */
  roles: string;
}

export interface MattermostChannelMember {
  channel_id: string;
  user_id: string;
  roles: string;
  /** Set by the server when the member holds the channel scheme's admin role; absent in older answers. */
  scheme_admin?: boolean;
}

export interface MattermostTeamMember {
  team_id: string;
  user_id: string;
  roles: string;
  scheme_admin?: boolean;
}

export interface MattermostPost {
  id: string;
  channel_id: string;
  root_id?: string;
}

/** A user as GET /users/ids returns it: enough to name an author. */
export interface MattermostUserProfile extends MattermostUser {
  first_name?: string;
  last_name?: string;
  nickname?: string;
  is_bot?: boolean;
}

export interface MattermostFileInfo {
  id: string;
  name: string;
}

/** A post as the channel's history returns it. */
export interface MattermostChannelPost {
  id: string;
  create_at: number;
  delete_at?: number;
  user_id: string;
  channel_id: string;
  root_id?: string;
  message: string;
  /** Empty for a user's post; `system_…` for joins, header changes and the like. */
  type?: string;
  props?: Record<string, unknown>;
  file_ids?: string[];
  metadata?: { files?: MattermostFileInfo[] };
}

/** One page of a channel's posts: `order` newest first; `posts` may also hold other posts (threads' roots). */
export interface MattermostPostList {
  order: string[];
  posts: Record<string, MattermostChannelPost>;
}

export interface CreatePostInput {
  channel_id: string;
  message: string;
  root_id?: string;
  props?: Record<string, unknown>;
  /** The server's duplicate guard: a second post with the same id within its cache window returns the first. */
  pending_post_id?: string;
}

function send(url: string, init: RequestInit & { timeoutMs: number }, action: MattermostAction, what: string): Promise<string> {
  return fetchText(url, init, what, (status, headers, body) => errorFromResponse(action, status, headers, body));
}

/**
 * POSTs JSON to a URL that is its own credential (an incoming webhook, a slash command's response_url).
 * Returns the answer's text (`ok` for a webhook).
 */
export async function postJson(url: string, payload: unknown, opts: { action: MattermostAction; timeoutMs?: number }): Promise<string> {
  // Never name the URL in errors: its path is the secret.
  const what = opts.action === 'webhook' ? 'Mattermost incoming webhook' : 'Mattermost command response';
  return send(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(payload), timeoutMs: opts.timeoutMs ?? DEFAULT_TIMEOUT_MS }, opts.action, what);
}

export class MattermostClient {
  readonly baseUrl: string;
  readonly #token: string;
  readonly #timeoutMs: number;

  constructor(opts: { baseUrl: string; token: string; timeoutMs?: number }) {
    this.baseUrl = opts.baseUrl.replace(/\/+$/u, '');
    this.#token = opts.token;
    this.#timeoutMs = opts.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  }

  async #request<T>(method: 'GET' | 'POST' | 'PUT' | 'DELETE', path: string, action: MattermostAction, body?: unknown): Promise<T> {
    // Errors name the path without its query.
    const shown = path.split('?')[0] ?? path;
    const headers: Record<string, string> = { authorization: `Bearer ${this.#token}`, accept: 'application/json' };
    if (body !== undefined) headers['content-type'] = 'application/json';
    const text = await send(
      `${this.baseUrl}/api/v4${path}`,
      { method, headers, body: body === undefined ? undefined : JSON.stringify(body), timeoutMs: this.#timeoutMs },
      action,
      `Mattermost ${method} ${shown}`,
    );
    try {
      return JSON.parse(text) as T;
    } catch {
      throw new PlatformTransientError(`Mattermost ${method} ${shown}: the answer was not JSON`);
    }
  }

  createPost(input: CreatePostInput): Promise<MattermostPost> {
    return this.#request<MattermostPost>('POST', '/posts', 'post', input);
  }

  /** Replaces the given fields of a post (PUT /posts/{id}/patch); the bot may change its own posts. */
  patchPost(postId: string, patch: { message?: string; props?: Record<string, unknown> }): Promise<MattermostPost> {
    return this.#request<MattermostPost>('PUT', `/posts/${encodeURIComponent(postId)}/patch`, 'edit', patch);
  }

  /** A post; a deleted one answers 404 (message_not_found). */
  getPost(postId: string): Promise<MattermostPost> {
    return this.#request<MattermostPost>('GET', `/posts/${encodeURIComponent(postId)}`, 'edit');
  }

  async deletePost(postId: string): Promise<void> {
    await this.#request<unknown>('DELETE', `/posts/${encodeURIComponent(postId)}`, 'edit');
  }

  getUser(userId: string): Promise<MattermostUser> {
    return this.#request<MattermostUser>('GET', `/users/${encodeURIComponent(userId)}`, 'read');
  }

  /** The bot itself: the cheapest call that proves URL and token work. */
  getMe(): Promise<MattermostUser> {
    return this.getUser('me');
  }

  getChannelMember(channelId: string, userId: string): Promise<MattermostChannelMember> {
    return this.#request<MattermostChannelMember>('GET', `/channels/${encodeURIComponent(channelId)}/members/${encodeURIComponent(userId)}`, 'read');
  }

  /** Posts of a channel, newest first: `per_page` of them before the post `before` (or the newest). */
  getChannelPosts(channelId: string, opts: { perPage: number; before?: string }): Promise<MattermostPostList> {
    const query = new URLSearchParams({ page: '0', per_page: String(opts.perPage) });
    if (opts.before) query.set('before', opts.before);
    return this.#request<MattermostPostList>('GET', `/channels/${encodeURIComponent(channelId)}/posts?${query.toString()}`, 'history');
  }

  /** Users by id; unknown ids are left out of the answer. */
  getUsersByIds(ids: readonly string[]): Promise<MattermostUserProfile[]> {
    return this.#request<MattermostUserProfile[]>('POST', '/users/ids', 'read', ids);
  }

  /** Users by username; unknown names are left out of the answer. */
  getUsersByUsernames(usernames: readonly string[]): Promise<MattermostUserProfile[]> {
    return this.#request<MattermostUserProfile[]>('POST', '/users/usernames', 'read', usernames);
  }

  /** An ephemeral post, shown to one user only (needs the create_post_ephemeral permission). */
  createEphemeralPost(userId: string, post: { channel_id: string; message: string }): Promise<MattermostPost> {
    return this.#request<MattermostPost>('POST', '/posts/ephemeral', 'post', { user_id: userId, post });
  }

  getTeamMember(teamId: string, userId: string): Promise<MattermostTeamMember> {
    return this.#request<MattermostTeamMember>('GET', `/teams/${encodeURIComponent(teamId)}/members/${encodeURIComponent(userId)}`, 'read');
  }
}
