// The client-server API as Parley uses it, over matrix-js-sdk's HTTP layer (docs/architecture.md#matrix): the
// access token in the Authorization header, errors as MatrixError with errcode and retry-after, JSON both ways.
// Parley does not run the SDK's MatrixClient (its sync engine keeps every room in memory and its token in its own
// store; Parley's sync is ./receiver-sync.ts), so every call here is one request. Each carries an AbortSignal of
// ours for its timeout: the SDK's own `localTimeoutMs` leaves a timer running after the request ends.
// The SDK's HTTP layer and event emitter, not its index: the index loads the whole client (crypto, widgets, OIDC,
// about 2.4 MB of JavaScript and a few MB of memory in every process that runs Matrix) where these need 0.1 MB.
import { MatrixHttpApi, Method, type HttpApiEvent, type HttpApiEventHandlerMap, type IRequestOpts } from 'matrix-js-sdk/lib/http-api/index.js';
import { TypedEventEmitter } from 'matrix-js-sdk/lib/models/typed-event-emitter.js';

/** A room event as the client-server API hands it out (sync timelines, /messages chunks). */
export interface RoomEvent {
  event_id: string;
  type: string;
  sender: string;
  origin_server_ts: number;
  state_key?: string;
  content: Record<string, unknown>;
  redacts?: string;
  unsigned?: { redacted_because?: unknown; [key: string]: unknown };
}

/** A stripped state event of an invitation (`invite_state`). */
export interface StrippedStateEvent {
  type: string;
  state_key: string;
  sender: string;
  content: Record<string, unknown>;
}

export interface SyncResponse {
  next_batch: string;
  rooms?: {
    join?: Record<string, { timeline?: { events?: RoomEvent[]; limited?: boolean }; state?: { events?: RoomEvent[] } }>;
    invite?: Record<string, { invite_state?: { events?: StrippedStateEvent[] } }>;
    leave?: Record<string, { timeline?: { events?: RoomEvent[] }; state?: { events?: RoomEvent[] } }>;
  };
}

export interface MessagesResponse {
  chunk: RoomEvent[];
  start: string;
  end?: string;
}

/** Every request but the long poll gives up after this long (the delivery job retries). */
export const REQUEST_TIMEOUT_MS = 20_000;

const enc = encodeURIComponent;

/** A timeout of ours, joined with the caller's signal where there is one. */
function deadline(ms: number, signal?: AbortSignal): AbortSignal {
  const timeout = AbortSignal.timeout(ms);
  return signal ? AbortSignal.any([signal, timeout]) : timeout;
}

// IRequestOpts picks `priority` from the DOM's RequestInit, which Node's types make required: hence the cast.
const opts = (signal: AbortSignal, prefix?: string) => ({ abortSignal: signal, ...(prefix ? { prefix } : {}) }) as IRequestOpts;

export class MatrixApi {
  private me: Promise<string> | null = null;
  private readonly http: MatrixHttpApi<{ baseUrl: string; prefix: string; accessToken: string; onlyData: true; useAuthorizationHeader: true }>;

  constructor(homeserverUrl: string, accessToken: string) {
    this.http = new MatrixHttpApi(new TypedEventEmitter<HttpApiEvent, HttpApiEventHandlerMap>(), {
      baseUrl: homeserverUrl,
      prefix: '/_matrix/client/v3',
      accessToken,
      onlyData: true,
      useAuthorizationHeader: true,
    });
  }

  private request<T>(method: Method, path: string, query?: Record<string, string>, body?: object, signal?: AbortSignal, prefix?: string): Promise<T> {
    return this.http.authedRequest<T>(method, path, query, body, opts(signal ?? deadline(REQUEST_TIMEOUT_MS), prefix));
  }

  /** Asks the server who the token is (every time: /readyz uses it to see the server answer). */
  whoami(): Promise<{ user_id: string }> {
    return this.request(Method.Get, '/account/whoami');
  }

  /** The bot's own user id, asked once (the sync, the command handler and history reads all need it). */
  userId(): Promise<string> {
    this.me ??= this.whoami().then(
      (res) => res.user_id,
      (err: unknown) => {
        this.me = null;
        throw err;
      },
    );
    return this.me;
  }

  /** One long poll; `timeoutMs` is how long the server may hold it, our deadline a little longer. */
  sync(query: { filter: string; since: string | null; timeoutMs: number }, signal: AbortSignal): Promise<SyncResponse> {
    const params: Record<string, string> = { filter: query.filter, timeout: String(query.timeoutMs), set_presence: 'offline' };
    if (query.since) params.since = query.since;
    return this.request(Method.Get, '/sync', params, undefined, deadline(query.timeoutMs + 30_000, signal));
  }

  /** PUT /send with our transaction id: the same id again is the same event, never a second one. */
  async send(roomId: string, content: object, txnId: string, type = 'm.room.message'): Promise<string> {
    return (await this.request<{ event_id: string }>(Method.Put, `/rooms/${enc(roomId)}/send/${enc(type)}/${enc(txnId)}`, undefined, content)).event_id;
  }

  async redact(roomId: string, eventId: string, txnId: string, reason?: string): Promise<void> {
    await this.request(Method.Put, `/rooms/${enc(roomId)}/redact/${enc(eventId)}/${enc(txnId)}`, undefined, reason ? { reason } : {});
  }

  async join(roomId: string): Promise<void> {
    await this.request(Method.Post, `/join/${enc(roomId)}`, undefined, {});
  }

  /** Leaves a room, or declines an invitation to it. */
  async leave(roomId: string, reason?: string): Promise<void> {
    await this.request(Method.Post, `/rooms/${enc(roomId)}/leave`, undefined, reason ? { reason } : {});
  }

  /** A state event's content, or null when the room has none of that type. */
  async state(roomId: string, type: string, stateKey = ''): Promise<Record<string, unknown> | null> {
    try {
      return await this.request<Record<string, unknown>>(Method.Get, `/rooms/${enc(roomId)}/state/${enc(type)}/${enc(stateKey)}`);
    } catch (err) {
      if ((err as { errcode?: string }).errcode === 'M_NOT_FOUND') return null;
      throw err;
    }
  }

  /** Display names of the room's joined members, by user id. */
  async memberNames(roomId: string): Promise<Map<string, string>> {
    const res = await this.request<{ joined: Record<string, { display_name?: string | null }> }>(Method.Get, `/rooms/${enc(roomId)}/joined_members`);
    return new Map(Object.entries(res.joined).map(([id, m]) => [id, m.display_name || id]));
  }

  messages(roomId: string, query: { from: string | null; dir: 'b' | 'f'; limit: number; filter: string }): Promise<MessagesResponse> {
    const params: Record<string, string> = { dir: query.dir, limit: String(query.limit), filter: query.filter };
    if (query.from) params.from = query.from;
    return this.request(Method.Get, `/rooms/${enc(roomId)}/messages`, params);
  }

  /** The event closest to `ts` before it (dir b) or after it (f); throws M_NOT_FOUND, or M_UNRECOGNIZED where the server lacks it (before v1.6). */
  timestampToEvent(roomId: string, ts: number, dir: 'b' | 'f'): Promise<{ event_id: string; origin_server_ts: number }> {
    return this.request(Method.Get, `/rooms/${enc(roomId)}/timestamp_to_event`, { ts: String(ts), dir }, undefined, undefined, '/_matrix/client/v1');
  }

  /** An event with the events just before it, newest first, and the token to page further back from them. */
  context(roomId: string, eventId: string, query: { limit: number; filter: string }): Promise<{ event: RoomEvent; events_before?: RoomEvent[]; start?: string }> {
    return this.request(Method.Get, `/rooms/${enc(roomId)}/context/${enc(eventId)}`, { limit: String(query.limit), filter: query.filter });
  }

  /** One event as the server holds it (redacted ones emptied). */
  event(roomId: string, eventId: string): Promise<RoomEvent> {
    return this.request(Method.Get, `/rooms/${enc(roomId)}/event/${enc(eventId)}`);
  }
}
