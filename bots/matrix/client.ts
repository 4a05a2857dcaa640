// The client-server API as Parley uses it, over matrix-js-sdk's HTTP layer (docs/architecture.md#matrix).
// matrix-js-sdk is the Matrix.org client library; its MatrixClient also keeps a local model of rooms fed by its
// own sync engine, which Parley does not run (Parley's sync keeps its token in the store and reads only what
// it needs: ./receiver-sync.ts). So the requests that would touch that model (send, redact, join, leave, sync)
// go through the client's `http` (auth header, errors as MatrixError with errcode and retry-after, timeouts),
// and the plain reads through its typed methods.
// IRequestOpts picks `priority` from the DOM's RequestInit, which Node's types make required: hence a cast below.
import { createClient, Direction, Method, type IRequestOpts, type MatrixClient } from 'matrix-js-sdk';
import type { Logger } from '../../lib/log.js';

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

/** matrix-js-sdk's log lines (every request, at debug) go to Parley's log at trace. */
function sdkLogger(log: Logger): Parameters<typeof createClient>[0]['logger'] {
  const sink = {
    trace: (...msg: unknown[]) => log.trace({ sdk: 'matrix-js-sdk' }, msg.map(String).join(' ')),
    debug: (...msg: unknown[]) => log.trace({ sdk: 'matrix-js-sdk' }, msg.map(String).join(' ')),
    info: (...msg: unknown[]) => log.debug({ sdk: 'matrix-js-sdk' }, msg.map(String).join(' ')),
    warn: (...msg: unknown[]) => log.debug({ sdk: 'matrix-js-sdk' }, msg.map(String).join(' ')),
    error: (...msg: unknown[]) => log.debug({ sdk: 'matrix-js-sdk' }, msg.map(String).join(' ')),
    getChild: () => sink,
  };
  return sink;
}

const enc = encodeURIComponent;

export class MatrixApi {
  readonly client: MatrixClient;

  constructor(homeserverUrl: string, accessToken: string, log: Logger) {
    this.client = createClient({ baseUrl: homeserverUrl, accessToken, localTimeoutMs: REQUEST_TIMEOUT_MS, logger: sdkLogger(log) });
  }

  whoami(): Promise<{ user_id: string }> {
    return this.client.whoami();
  }

  /** One long poll; `timeoutMs` is how long the server may hold it, the local timeout a little longer. */
  sync(query: { filter: string; since: string | null; timeoutMs: number }, signal: AbortSignal): Promise<SyncResponse> {
    const params: Record<string, string> = { filter: query.filter, timeout: String(query.timeoutMs), set_presence: 'offline' };
    if (query.since) params.since = query.since;
    return this.client.http.authedRequest<SyncResponse>(Method.Get, '/sync', params, undefined, { abortSignal: signal, localTimeoutMs: query.timeoutMs + 30_000 } as IRequestOpts);
  }

  /** PUT /send with our transaction id: the same id again is the same event, never a second one. */
  async send(roomId: string, content: object, txnId: string, type = 'm.room.message'): Promise<string> {
    const res = await this.client.http.authedRequest<{ event_id: string }>(Method.Put, `/rooms/${enc(roomId)}/send/${enc(type)}/${enc(txnId)}`, undefined, content);
    return res.event_id;
  }

  async redact(roomId: string, eventId: string, txnId: string, reason?: string): Promise<void> {
    await this.client.http.authedRequest(Method.Put, `/rooms/${enc(roomId)}/redact/${enc(eventId)}/${enc(txnId)}`, undefined, reason ? { reason } : {});
  }

  async join(roomId: string): Promise<void> {
    await this.client.http.authedRequest(Method.Post, `/join/${enc(roomId)}`, undefined, {});
  }

  /** Leaves a room, or declines an invitation to it. */
  async leave(roomId: string, reason?: string): Promise<void> {
    await this.client.http.authedRequest(Method.Post, `/rooms/${enc(roomId)}/leave`, undefined, reason ? { reason } : {});
  }

  async joinedRooms(): Promise<string[]> {
    return (await this.client.getJoinedRooms()).joined_rooms;
  }

  /** A state event's content, or null when the room has none of that type. */
  async state(roomId: string, type: string, stateKey = ''): Promise<Record<string, unknown> | null> {
    try {
      return (await this.client.getStateEvent(roomId, type, stateKey)) as Record<string, unknown>;
    } catch (err) {
      if ((err as { errcode?: string }).errcode === 'M_NOT_FOUND') return null;
      throw err;
    }
  }

  /** Display names of the room's joined members, by user id. */
  async memberNames(roomId: string): Promise<Map<string, string>> {
    const res = await this.client.getJoinedRoomMembers(roomId);
    return new Map(Object.entries(res.joined).map(([id, m]) => [id, m.display_name || id]));
  }

  messages(roomId: string, query: { from: string | null; dir: 'b' | 'f'; limit: number; filter: string }): Promise<MessagesResponse> {
    const params: Record<string, string> = { dir: query.dir, limit: String(query.limit), filter: query.filter };
    if (query.from) params.from = query.from;
    return this.client.http.authedRequest<MessagesResponse>(Method.Get, `/rooms/${enc(roomId)}/messages`, params);
  }

  /** The event closest to `ts` before it (dir b) or after it (f); throws M_NOT_FOUND, or M_UNRECOGNIZED where the server lacks it. */
  timestampToEvent(roomId: string, ts: number, dir: 'b' | 'f'): Promise<{ event_id: string; origin_server_ts: number }> {
    return this.client.timestampToEvent(roomId, ts, dir === 'b' ? Direction.Backward : Direction.Forward);
  }

  /** An event with the events just before it, newest first, and the token to page further back from them. */
  context(roomId: string, eventId: string, query: { limit: number; filter: string }): Promise<{ event: RoomEvent; events_before?: RoomEvent[]; start?: string }> {
    return this.client.http.authedRequest(Method.Get, `/rooms/${enc(roomId)}/context/${enc(eventId)}`, { limit: String(query.limit), filter: query.filter });
  }

  /** One event as the server holds it (redacted ones emptied). */
  event(roomId: string, eventId: string): Promise<RoomEvent> {
    return this.client.http.authedRequest<RoomEvent>(Method.Get, `/rooms/${enc(roomId)}/event/${enc(eventId)}`);
  }
}
