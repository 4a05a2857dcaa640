// A small typed client for the parts of Mattermost's REST API v4 that Parley uses, on plain fetch.
// The token lives in a private field and only ever goes into the Authorization header.
import { PlatformTransientError } from '../../lib/errors.js';
import { errorFromNetwork, errorFromResponse, type MattermostAction } from './errors.js';

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

export interface CreatePostInput {
  channel_id: string;
  message: string;
  root_id?: string;
  props?: Record<string, unknown>;
  /** The server's duplicate guard: a second post with the same id within its cache window returns the first. */
  pending_post_id?: string;
}

async function send(url: string, init: RequestInit & { timeoutMs: number }, action: MattermostAction, what: string): Promise<string> {
  let res: Response;
  try {
    res = await fetch(url, { ...init, signal: AbortSignal.timeout(init.timeoutMs) });
  } catch (err) {
    throw errorFromNetwork(err, what);
  }
  let body: string;
  try {
    body = await res.text();
  } catch (err) {
    throw errorFromNetwork(err, what);
  }
  if (!res.ok) throw errorFromResponse(action, res.status, res.headers, body);
  return body;
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

  async #request<T>(method: 'GET' | 'POST', path: string, action: MattermostAction, body?: unknown): Promise<T> {
    const headers: Record<string, string> = { authorization: `Bearer ${this.#token}`, accept: 'application/json' };
    if (body !== undefined) headers['content-type'] = 'application/json';
    const text = await send(
      `${this.baseUrl}/api/v4${path}`,
      { method, headers, body: body === undefined ? undefined : JSON.stringify(body), timeoutMs: this.#timeoutMs },
      action,
      `Mattermost ${method} ${path}`,
    );
    try {
      return JSON.parse(text) as T;
    } catch {
      throw new PlatformTransientError(`Mattermost ${method} ${path}: the answer was not JSON`);
    }
  }

  createPost(input: CreatePostInput): Promise<MattermostPost> {
    return this.#request<MattermostPost>('POST', '/posts', 'post', input);
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

  getTeamMember(teamId: string, userId: string): Promise<MattermostTeamMember> {
    return this.#request<MattermostTeamMember>('GET', `/teams/${encodeURIComponent(teamId)}/members/${encodeURIComponent(userId)}`, 'read');
  }
}
