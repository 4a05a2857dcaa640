// A small stateful Matrix homeserver (client-server API) for tests, driven by a real client: give
// `fake.url` to matrix-js-sdk as `baseUrl` and `fake.accessToken` as `accessToken`.
//
// State: rooms with their timelines (every event, state events included, gets a global stream position), the
// bot's memberships, filters, transaction ids. /sync follows the stream: an initial sync gives joined rooms'
// state and latest timeline and pending invites; `since` gives only what came after (new events, new invites,
// rooms left in `rooms.leave`), long-polling up to `timeout`. /messages pages a room's timeline with tokens that
// are stream positions (`s<pos>`, the same tokens as next_batch and prev_batch). Errors are the spec's
// (`{ errcode, error }`: M_UNKNOWN_TOKEN, M_FORBIDDEN, M_NOT_FOUND, M_LIMIT_EXCEEDED with retry_after_ms…).
//
// Every request is checked against the Matrix spec (matrix-spec.ts): an unknown path or method, bad path or query
// parameters, a body or an event content that breaks its schema land in `violations`, which tests expect to stay
// empty. The fake's own answers are checked against the spec's response schemas too (`responseViolations`).
import type { AddressInfo } from 'node:net';
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import { checkMatrixRequest, checkMatrixResponse, preloadMatrixSpec, type MatrixSpecViolation } from './matrix-spec.js';

export type { MatrixSpecViolation } from './matrix-spec.js';

/** An event as the fake stores it; answers show it as the spec's ClientEvent. */
export interface MatrixEvent {
  event_id: string;
  room_id: string;
  type: string;
  sender: string;
  origin_server_ts: number;
  content: Record<string, unknown>;
  state_key?: string;
  /** On m.room.redaction (rooms before v11 have it only here; v11 in content too: the fake does both). */
  redacts?: string;
  unsigned?: Record<string, unknown>;
}

export interface RecordedMatrixRequest {
  method: string;
  /** Decoded, without the query: `/_matrix/client/v3/rooms/!1:example.org/send/m.room.message/t1`. */
  path: string;
  /** The spec's template: `PUT /_matrix/client/v3/rooms/{roomId}/send/{eventType}/{txnId}`. */
  route: string;
  query: Record<string, string>;
  body: unknown;
  at: number;
  /** The answer's status, once answered. */
  status?: number;
}

/** A canned answer given instead of the normal one to the next `times` matching requests. */
export interface MatrixFault {
  method?: string;
  /** The path as requested (decoded) or the spec's template, with or without `/_matrix/client/v3`; or a RegExp on the decoded path. Absent: any. */
  path?: string | RegExp;
  /** How many requests it answers (default 1). */
  times?: number;
  status: number;
  body?: unknown;
  headers?: Record<string, string>;
  /** Handle the request first (store the event…), then answer with the fault: a response lost on the way. */
  afterHandling?: boolean;
}

export interface BotMessage {
  type: string;
  content: Record<string, unknown>;
  event_id: string;
  txnId: string | undefined;
  state_key?: string;
}

export interface CreateRoomInput {
  creator: string;
  name?: string;
  /** `#name:example.org`: the room's canonical alias, joinable by it. */
  alias?: string;
  encrypted?: boolean;
  joinRule?: 'invite' | 'public';
  /** Joined right after the creator (the bot too, when listed). */
  members?: string[];
  /** Display names (also the users' profiles). */
  displayNames?: Record<string, string>;
  /** The creator gets 100 unless `users` says otherwise; state_default 50. */
  powerLevels?: { users?: Record<string, number>; users_default?: number; state_default?: number; events_default?: number; redact?: number; events?: Record<string, number> };
  /** origin_server_ts of the room's first events. */
  ts?: number;
}

export interface FakeMatrixOptions {
  /** Default `syt_test_token`. */
  accessToken?: string;
  /** Default `@parley:example.org`. */
  botUserId?: string;
  botDisplayName?: string;
  /** False: no /timestamp_to_event (404 M_UNRECOGNIZED, as a server before v1.6 answers). */
  timestampToEvent?: boolean;
  /** Check the fake's answers against the spec's response schemas (into `responseViolations`). Default true. */
  checkResponses?: boolean;
  /**
   * The longest the fake holds a /sync with nothing new, whatever its `timeout` asks (a homeserver may answer a
   * long poll early, with nothing new). Tests of what a client does after each sync shorten it. Default: no cap.
   */
  maxLongPollMs?: number;
}

export interface FakeMatrix {
  /** The homeserver's base URL (matrix-js-sdk's `baseUrl`). */
  url: string;
  botUserId: string;
  accessToken: string;
  serverName: string;
  violations: MatrixSpecViolation[];
  /** Where the fake's own answers break the spec: a bug of the fake. */
  responseViolations: string[];
  requests: RecordedMatrixRequest[];
  /** The `since` of every /sync, in order (null: an initial sync). */
  syncSinces: (string | null)[];
  /** The stream token a sync would return now (`s<pos>`). */
  currentToken(): string;

  createRoom(input: CreateRoomInput): string;
  join(roomId: string, userId: string): string;
  leave(roomId: string, userId: string): string;
  invite(roomId: string, inviter: string, invitee?: string): string;
  kick(roomId: string, by: string, userId?: string, reason?: string): string;
  ban(roomId: string, by: string, userId?: string, reason?: string): string;
  setPowerLevel(roomId: string, userId: string, level: number): string;
  enableEncryption(roomId: string): string;
  setDisplayName(userId: string, name: string): void;
  /** Any state event, sent by `sender`. */
  setState(roomId: string, sender: string, type: string, stateKey: string, content: Record<string, unknown>, opts?: { ts?: number }): string;
  /** An m.room.message (any content) from someone; returns its event id. */
  sendMessage(roomId: string, sender: string, content: Record<string, unknown>, opts?: { ts?: number }): string;
  /** Any message event. */
  sendEvent(roomId: string, sender: string, type: string, content: Record<string, unknown>, opts?: { ts?: number }): string;
  /** `sender` redacts an event; returns the redaction's event id. */
  redact(roomId: string, sender: string, eventId: string, reason?: string): string;

  /** The room's timeline as stored (oldest first; redacted events with their content emptied). */
  events(roomId: string): MatrixEvent[];
  /** What the bot sent to the room (through /send, /state, /redact), oldest first. */
  botMessages(roomId: string): BotMessage[];
  /** `join`, `invite`, `leave`, `ban` (`leave` for someone never in the room). */
  membership(roomId: string, userId?: string): string;
  /** Requests of one route (`GET /_matrix/client/v3/sync`). */
  calls(route: string): RecordedMatrixRequest[];

  fail(fault: MatrixFault): void;
  rateLimit(opts: { method?: string; path?: string | RegExp; retryAfterMs: number; times?: number }): void;
  /** The homeserver goes away (connections refused) keeping its state; `start()` brings it back on the same port. */
  stop(): Promise<void>;
  start(): Promise<void>;
  close(): Promise<void>;
}

interface Answer {
  status: number;
  body: unknown;
  headers?: Record<string, string>;
}

interface Stored {
  event: MatrixEvent;
  /** The global stream position (also the number in the event id). */
  pos: number;
  txnId?: string;
  /** Sent by the client through /send, /state or /redact. */
  fromClient?: boolean;
  redactedBy?: MatrixEvent;
}

interface RoomState {
  id: string;
  alias?: string;
  events: Stored[];
}

interface TimelineFilter {
  limit?: number;
  types?: string[];
  not_types?: string[];
  senders?: string[];
  not_senders?: string[];
}

interface SyncFilter {
  room?: { rooms?: string[]; not_rooms?: string[]; timeline?: TimelineFilter };
}

const err = (status: number, errcode: string, error: string, extra: Record<string, unknown> = {}): Answer => ({ status, body: { errcode, error, ...extra } });
const ok = (body: unknown): Answer => ({ status: 200, body });
const UNRECOGNIZED = err(404, 'M_UNRECOGNIZED', 'Unrecognized request');
const NOT_JOINED = err(403, 'M_FORBIDDEN', 'You are not joined to this room');
const UNKNOWN_ROOM = err(404, 'M_NOT_FOUND', 'Unknown room');

/** The content keys redaction keeps (room version 11's redaction algorithm). */
const KEPT_ON_REDACTION: Record<string, string[]> = {
  'm.room.member': ['membership', 'join_authorised_via_users_server'],
  'm.room.join_rules': ['join_rule', 'allow'],
  'm.room.power_levels': ['ban', 'events', 'events_default', 'invite', 'kick', 'redact', 'state_default', 'users', 'users_default'],
  'm.room.history_visibility': ['history_visibility'],
  'm.room.redaction': ['redacts'],
};

/** A glob of the filter grammar: `*` matches any run of characters. */
function typeMatches(pattern: string, type: string): boolean {
  if (!pattern.includes('*')) return pattern === type;
  const re = new RegExp(`^${pattern.split('*').map((p) => p.replace(/[.+?^${}()|[\]\\]/gu, '\\$&')).join('.*')}$`, 'u');
  return re.test(type);
}

function passes(filter: TimelineFilter | undefined, e: MatrixEvent): boolean {
  if (!filter) return true;
  if (filter.types && !filter.types.some((t) => typeMatches(t, e.type))) return false;
  if (filter.not_types?.some((t) => typeMatches(t, e.type))) return false;
  if (filter.senders && !filter.senders.includes(e.sender)) return false;
  if (filter.not_senders?.includes(e.sender)) return false;
  return true;
}

const token = (pos: number): string => `s${pos}`;
const parseToken = (t: string): number | null => (/^s(\d+)$/u.test(t) ? Number(t.slice(1)) : null);
const stateKeyOf = (type: string, stateKey: string): string => `${type}\u0000${stateKey}`;

export async function startFakeMatrix(opts: FakeMatrixOptions = {}): Promise<FakeMatrix> {
  await preloadMatrixSpec();
  const accessToken = opts.accessToken ?? 'syt_test_token';
  const botUserId = opts.botUserId ?? '@parley:example.org';
  const serverName = botUserId.slice(botUserId.indexOf(':') + 1);
  const checkResponses = opts.checkResponses ?? true;
  const violations: MatrixSpecViolation[] = [];
  const responseViolations: string[] = [];
  const requests: RecordedMatrixRequest[] = [];
  const syncSinces: (string | null)[] = [];
  const faults: (MatrixFault & { left: number })[] = [];
  const rooms = new Map<string, RoomState>();
  const aliases = new Map<string, string>();
  const displayNames = new Map<string, string>(opts.botDisplayName !== undefined ? [[botUserId, opts.botDisplayName]] : []);
  const filters = new Map<string, SyncFilter>();
  /** (access token, endpoint, txn id) → the event it made and what the request was. */
  const transactions = new Map<string, { eventId: string; request: string }>();
  const waiters = new Set<() => void>();
  let pos = 0;
  let roomCounter = 0;

  // ---------------------------------------------------------------------------------------------------------
  // The world.

  const roomOf = (roomId: string): RoomState => {
    const room = rooms.get(roomId);
    if (!room) throw new Error(`fake-matrix: no room ${roomId}`);
    return room;
  };

  /** The room's state after the events up to `upTo` (inclusive). */
  const stateAt = (room: RoomState, upTo = Infinity): Map<string, Stored> => {
    const state = new Map<string, Stored>();
    for (const s of room.events) {
      if (s.pos > upTo) break;
      if (s.event.state_key !== undefined) state.set(stateKeyOf(s.event.type, s.event.state_key), s);
    }
    return state;
  };
  const stateContent = (room: RoomState, type: string, stateKey = '', upTo = Infinity): Record<string, unknown> | undefined => stateAt(room, upTo).get(stateKeyOf(type, stateKey))?.event.content;
  const membershipAt = (room: RoomState, userId: string, upTo = Infinity): string => (stateContent(room, 'm.room.member', userId, upTo)?.membership as string | undefined) ?? 'leave';
  const powerOf = (room: RoomState, userId: string): number => {
    const pl = stateContent(room, 'm.room.power_levels') ?? {};
    return (pl.users as Record<string, number> | undefined)?.[userId] ?? (pl.users_default as number | undefined) ?? 0;
  };
  const levelFor = (room: RoomState, type: string, isState: boolean): number => {
    const pl = stateContent(room, 'm.room.power_levels') ?? {};
    const specific = (pl.events as Record<string, number> | undefined)?.[type];
    if (specific !== undefined) return specific;
    return isState ? ((pl.state_default as number | undefined) ?? 50) : ((pl.events_default as number | undefined) ?? 0);
  };
  const creatorOf = (room: RoomState): string => room.events[0]!.event.sender;

  const append = (roomId: string, fields: Omit<MatrixEvent, 'event_id' | 'room_id' | 'origin_server_ts'> & { origin_server_ts?: number }, client?: { txnId: string | undefined }): Stored => {
    const room = roomOf(roomId);
    pos++;
    const event: MatrixEvent = { ...fields, event_id: `$${pos}`, room_id: roomId, origin_server_ts: fields.origin_server_ts ?? Date.now() };
    const stored: Stored = { event, pos, ...(client ? { fromClient: true } : {}), ...(client?.txnId !== undefined ? { txnId: client.txnId } : {}) };
    room.events.push(stored);
    if (event.type === 'm.room.redaction' && event.redacts !== undefined) {
      const target = room.events.find((s) => s.event.event_id === event.redacts);
      if (target && !target.redactedBy) target.redactedBy = event;
    }
    for (const wake of [...waiters]) wake();
    return stored;
  };

  const memberEvent = (roomId: string, sender: string, userId: string, membership: string, extra: Record<string, unknown> = {}, ts?: number): string => {
    const displayname = displayNames.get(userId);
    const content = { membership, ...(membership === 'join' && displayname !== undefined ? { displayname } : {}), ...extra };
    return append(roomId, { type: 'm.room.member', sender, state_key: userId, content, ...(ts !== undefined ? { origin_server_ts: ts } : {}) }).event.event_id;
  };

  const createRoom = (input: CreateRoomInput): string => {
    const roomId = `!${++roomCounter}:${serverName}`;
    rooms.set(roomId, { id: roomId, events: [] });
    for (const [userId, name] of Object.entries(input.displayNames ?? {})) displayNames.set(userId, name);
    const ts = input.ts;
    const at = ts !== undefined ? { origin_server_ts: ts } : {};
    const state = (type: string, content: Record<string, unknown>, stateKey = ''): void => void append(roomId, { type, sender: input.creator, state_key: stateKey, content, ...at });
    state('m.room.create', { room_version: '11' });
    memberEvent(roomId, input.creator, input.creator, 'join', {}, ts);
    const pl = input.powerLevels ?? {};
    state('m.room.power_levels', {
      users: { [input.creator]: 100, ...pl.users },
      users_default: pl.users_default ?? 0,
      events: { 'm.room.name': 50, 'm.room.power_levels': 100, 'm.room.encryption': 100, ...pl.events },
      events_default: pl.events_default ?? 0,
      state_default: pl.state_default ?? 50,
      ban: 50,
      kick: 50,
      redact: pl.redact ?? 50,
      invite: 0,
    });
    state('m.room.join_rules', { join_rule: input.joinRule ?? 'invite' });
    state('m.room.history_visibility', { history_visibility: 'shared' });
    if (input.name !== undefined) state('m.room.name', { name: input.name });
    if (input.alias !== undefined) {
      state('m.room.canonical_alias', { alias: input.alias });
      aliases.set(input.alias, roomId);
      roomOf(roomId).alias = input.alias;
    }
    if (input.encrypted) state('m.room.encryption', { algorithm: 'm.megolm.v1.aes-sha2' });
    for (const member of input.members ?? []) if (member !== input.creator) memberEvent(roomId, member, member, 'join', {}, ts);
    return roomId;
  };

  const redactBy = (roomId: string, sender: string, eventId: string, reason: string | undefined, client?: { txnId: string | undefined }, ts?: number): Stored =>
    append(roomId, { type: 'm.room.redaction', sender, redacts: eventId, content: { redacts: eventId, ...(reason !== undefined ? { reason } : {}) }, ...(ts !== undefined ? { origin_server_ts: ts } : {}) }, client);

  // ---------------------------------------------------------------------------------------------------------
  // Events as answers show them.

  const view = (s: Stored, withRoomId: boolean): Record<string, unknown> => {
    const e = s.event;
    const unsigned: Record<string, unknown> = { ...e.unsigned };
    if (s.txnId !== undefined && e.sender === botUserId) unsigned.transaction_id = s.txnId;
    let content = e.content;
    if (s.redactedBy) {
      const kept = KEPT_ON_REDACTION[e.type] ?? (e.type === 'm.room.create' ? Object.keys(e.content) : []);
      content = Object.fromEntries(Object.entries(e.content).filter(([k]) => kept.includes(k)));
      const by = rooms.get(e.room_id)?.events.find((r) => r.event === s.redactedBy);
      unsigned.redacted_because = by ? view(by, withRoomId) : s.redactedBy;
    }
    const out: Record<string, unknown> = {
      event_id: e.event_id,
      type: e.type,
      sender: e.sender,
      origin_server_ts: e.origin_server_ts,
      content,
      ...(withRoomId ? { room_id: e.room_id } : {}),
      ...(e.state_key !== undefined ? { state_key: e.state_key } : {}),
      ...(e.redacts !== undefined ? { redacts: e.redacts } : {}),
    };
    // Server-side aggregation (spec: "Event replacements"): the latest edit of a message rides along with it.
    if (!s.redactedBy) {
      const edits = (rooms.get(e.room_id)?.events ?? []).filter(
        (r) => !r.redactedBy && r.event.sender === e.sender && (r.event.content['m.relates_to'] as { rel_type?: string; event_id?: string } | undefined)?.rel_type === 'm.replace' && (r.event.content['m.relates_to'] as { event_id?: string }).event_id === e.event_id,
      );
      const latest = edits.at(-1);
      if (latest) unsigned['m.relations'] = { 'm.replace': { event_id: latest.event.event_id, sender: latest.event.sender, origin_server_ts: latest.event.origin_server_ts, type: latest.event.type, content: latest.event.content } };
    }
    if (Object.keys(unsigned).length > 0) out.unsigned = unsigned;
    return out;
  };
  const stripped = (s: Stored): Record<string, unknown> => ({ type: s.event.type, state_key: s.event.state_key ?? '', content: s.event.content, sender: s.event.sender });

  // ---------------------------------------------------------------------------------------------------------
  // /sync.

  const resolveFilter = (raw: string | null): { filter: SyncFilter } | { error: Answer } => {
    if (raw === null || raw === '') return { filter: {} };
    if (raw.startsWith('{')) {
      try {
        return { filter: JSON.parse(raw) as SyncFilter };
      } catch {
        return { error: err(400, 'M_NOT_JSON', 'The filter is not JSON') };
      }
    }
    const stored = filters.get(raw);
    return stored ? { filter: stored } : { error: err(400, 'M_INVALID_PARAM', 'No such filter') };
  };

  /** A joined room's entry as an initial sync (or a sync right after joining) gives it. */
  const fullRoom = (room: RoomState, timeline: TimelineFilter | undefined, limit: number): Record<string, unknown> => {
    const visible = room.events.filter((s) => passes(timeline, s.event));
    const events = visible.slice(-limit);
    const first = events[0]?.pos ?? pos + 1;
    return {
      state: { events: [...stateAt(room, first - 1).values()].map((s) => view(s, false)) },
      timeline: { events: events.map((s) => view(s, false)), limited: visible.length > events.length, prev_batch: token(first - 1) },
      ephemeral: { events: [] },
      account_data: { events: [] },
      unread_notifications: { highlight_count: 0, notification_count: 0 },
      summary: {},
    };
  };

  const syncResponse = (since: number | null, filter: SyncFilter, fullState: boolean): { body: Record<string, unknown>; news: boolean } => {
    const timeline = filter.room?.timeline;
    const limit = Math.max(0, timeline?.limit ?? 10);
    const join: Record<string, unknown> = {};
    const invite: Record<string, unknown> = {};
    const leave: Record<string, unknown> = {};
    for (const room of rooms.values()) {
      if (filter.room?.rooms && !filter.room.rooms.includes(room.id)) continue;
      if (filter.room?.not_rooms?.includes(room.id)) continue;
      const now = membershipAt(room, botUserId);
      const before = since === null ? 'leave' : membershipAt(room, botUserId, since);
      const own = stateAt(room).get(stateKeyOf('m.room.member', botUserId));
      if (now === 'join') {
        if (before !== 'join' || fullState) {
          join[room.id] = fullRoom(room, timeline, limit);
          if (before === 'join' && since !== null) {
            // full_state on an incremental sync: every state event, but only the new timeline.
            const entry = join[room.id] as { timeline: { events: unknown[]; limited: boolean; prev_batch: string } };
            const fresh = room.events.filter((s) => s.pos > since && passes(timeline, s.event));
            const events = fresh.slice(-limit);
            entry.timeline = { events: events.map((s) => view(s, false)), limited: fresh.length > events.length, prev_batch: token((events[0]?.pos ?? pos + 1) - 1) };
          }
          continue;
        }
        const fresh = room.events.filter((s) => s.pos > since!);
        if (fresh.length === 0) continue;
        const visible = fresh.filter((s) => passes(timeline, s.event));
        const events = visible.slice(-limit);
        const first = events[0]?.pos ?? pos + 1;
        // State that changed in the gap a limited timeline skips.
        const gap = new Map<string, Stored>();
        for (const s of fresh) if (s.pos < first && s.event.state_key !== undefined) gap.set(stateKeyOf(s.event.type, s.event.state_key), s);
        join[room.id] = {
          state: { events: [...gap.values()].map((s) => view(s, false)) },
          timeline: { events: events.map((s) => view(s, false)), limited: visible.length > events.length, prev_batch: token(first - 1) },
          ephemeral: { events: [] },
          account_data: { events: [] },
          unread_notifications: { highlight_count: 0, notification_count: 0 },
        };
      } else if (now === 'invite') {
        if (!own || (since !== null && own.pos <= since)) continue;
        const current = stateAt(room);
        const strippedState = ['m.room.create', 'm.room.name', 'm.room.join_rules', 'm.room.canonical_alias', 'm.room.encryption']
          .map((type) => current.get(stateKeyOf(type, '')))
          .filter((s): s is Stored => s !== undefined)
          .map(stripped);
        invite[room.id] = { invite_state: { events: [...strippedState, stripped(own)] } };
      } else if (since !== null && own && own.pos > since && (before === 'join' || before === 'invite')) {
        // Left, kicked, banned, or an invite rejected: what happened up to the bot's leaving.
        const events = room.events.filter((s) => s.pos > since && s.pos <= own.pos && passes(timeline, s.event)).slice(-Math.max(limit, 1));
        leave[room.id] = {
          state: { events: [] },
          timeline: { events: events.map((s) => view(s, false)), limited: false, prev_batch: token((events[0]?.pos ?? own.pos) - 1) },
          account_data: { events: [] },
        };
      }
    }
    const news = Object.keys(join).length + Object.keys(invite).length + Object.keys(leave).length > 0;
    return {
      news,
      body: {
        next_batch: token(pos),
        rooms: { join, invite, leave, knock: {} },
        presence: { events: [] },
        account_data: { events: [] },
        to_device: { events: [] },
        device_one_time_keys_count: {},
      },
    };
  };

  const sync = async (query: URLSearchParams, isClosed: () => boolean): Promise<Answer> => {
    const sinceRaw = query.get('since');
    syncSinces.push(sinceRaw);
    const since = sinceRaw === null ? null : parseToken(sinceRaw);
    if (sinceRaw !== null && (since === null || since > pos)) return err(400, 'M_INVALID_PARAM', `Unknown since token ${sinceRaw}`);
    const resolved = resolveFilter(query.get('filter'));
    if ('error' in resolved) return resolved.error;
    const fullState = query.get('full_state') === 'true';
    const timeout = Math.min(Math.max(0, Number(query.get('timeout') ?? 0) || 0), opts.maxLongPollMs ?? Infinity);
    const deadline = Date.now() + timeout;
    for (;;) {
      const answer = syncResponse(since, resolved.filter, fullState);
      // An initial sync and full_state answer at once; an incremental one waits for news.
      if (answer.news || since === null || fullState || Date.now() >= deadline || isClosed()) return ok(answer.body);
      await new Promise<void>((resolve) => {
        const wake = (): void => {
          clearTimeout(timer);
          waiters.delete(wake);
          resolve();
        };
        const timer = setTimeout(wake, Math.max(0, deadline - Date.now()));
        waiters.add(wake);
      });
    }
  };

  // ---------------------------------------------------------------------------------------------------------
  // Routes, by the spec's template.

  type Handler = (p: Record<string, string>, body: unknown, query: URLSearchParams, ctx: { isClosed: () => boolean; now: number }) => Answer | Promise<Answer>;
  const V3 = '/_matrix/client/v3';
  const asObject = (body: unknown): Record<string, unknown> => (body !== null && typeof body === 'object' && !Array.isArray(body) ? (body as Record<string, unknown>) : {});

  /** The transaction a request repeats, if any (recording a violation when it is a different request). */
  const transaction = (route: string, txnId: string, request: unknown): { key: string; eventId?: string } => {
    const key = `${accessToken}\u0000${route}\u0000${txnId}`;
    const fingerprint = JSON.stringify(request);
    const seen = transactions.get(key);
    if (seen && seen.request !== fingerprint) violations.push({ route, kind: 'txn_reuse', message: `${route}: transaction id ${txnId} was used before for another request: ${seen.request.slice(0, 200)}` });
    return { key, ...(seen ? { eventId: seen.eventId } : {}) };
  };

  const joinedRoom = (roomId: string): RoomState | Answer => {
    const room = rooms.get(roomId);
    if (!room) return UNKNOWN_ROOM;
    return membershipAt(room, botUserId) === 'join' ? room : NOT_JOINED;
  };
  const isAnswer = (x: unknown): x is Answer => typeof x === 'object' && x !== null && 'status' in x && 'body' in x;

  const sendEvent = (route: string, p: Record<string, string>, body: unknown, isState: boolean, now: number): Answer => {
    const content = asObject(body);
    const txnId = p.txnId;
    const tx = txnId !== undefined ? transaction(route, txnId, { roomId: p.roomId, eventType: p.eventType, content }) : undefined;
    if (tx?.eventId !== undefined) return ok({ event_id: tx.eventId });
    const room = joinedRoom(p.roomId!);
    if (isAnswer(room)) return room;
    const type = p.eventType!;
    if (powerOf(room, botUserId) < levelFor(room, type, isState)) return err(403, 'M_FORBIDDEN', `You don't have permission to send ${type}`);
    let stored: Stored;
    if (type === 'm.room.redaction' && !isState && typeof content.redacts === 'string') {
      stored = redactBy(room.id, botUserId, content.redacts, content.reason as string | undefined, { txnId }, now);
    } else {
      stored = append(room.id, { type, sender: botUserId, content, origin_server_ts: now, ...(isState ? { state_key: p.stateKey ?? '' } : {}) }, { txnId });
    }
    if (tx) transactions.set(tx.key, { eventId: stored.event.event_id, request: JSON.stringify({ roomId: p.roomId, eventType: p.eventType, content }) });
    return ok({ event_id: stored.event.event_id });
  };

  const joinAs = (roomIdOrAlias: string): Answer => {
    const roomId = roomIdOrAlias.startsWith('#') ? aliases.get(roomIdOrAlias) : roomIdOrAlias;
    const room = roomId !== undefined ? rooms.get(roomId) : undefined;
    if (!room) return err(404, 'M_NOT_FOUND', `No known room ${roomIdOrAlias}`);
    const now = membershipAt(room, botUserId);
    if (now === 'join') return ok({ room_id: room.id });
    if (now === 'ban') return err(403, 'M_FORBIDDEN', 'You are banned from this room');
    if (now !== 'invite' && stateContent(room, 'm.room.join_rules')?.join_rule !== 'public') return err(403, 'M_FORBIDDEN', 'You are not invited to this room');
    memberEvent(room.id, botUserId, botUserId, 'join');
    return ok({ room_id: room.id });
  };

  const profile = (userId: string): Record<string, string> | null => {
    const known = userId === botUserId || displayNames.has(userId) || [...rooms.values()].some((r) => r.events.some((s) => s.event.sender === userId || s.event.state_key === userId));
    if (!known) return null;
    const name = displayNames.get(userId);
    return name !== undefined ? { displayname: name } : {};
  };

  const routes: Record<string, Handler> = {
    'GET /_matrix/client/versions': () => ok({ versions: ['r0.6.1', 'v1.1', 'v1.2', 'v1.3', 'v1.4', 'v1.5', 'v1.6', 'v1.7', 'v1.8', 'v1.9', 'v1.10', 'v1.11'], unstable_features: {} }),
    [`GET ${V3}/account/whoami`]: () => ok({ user_id: botUserId, device_id: 'PARLEYFAKE', is_guest: false }),
    [`POST ${V3}/user/{userId}/filter`]: (p, body) => {
      if (p.userId !== botUserId) return err(403, 'M_FORBIDDEN', 'Cannot create filters for other users');
      const filterId = String(filters.size + 1);
      filters.set(filterId, asObject(body));
      return ok({ filter_id: filterId });
    },
    [`GET ${V3}/user/{userId}/filter/{filterId}`]: (p) => {
      if (p.userId !== botUserId) return err(403, 'M_FORBIDDEN', 'Cannot get filters for other users');
      const filter = filters.get(p.filterId!);
      return filter ? ok(filter) : err(404, 'M_NOT_FOUND', 'No such filter');
    },
    [`GET ${V3}/sync`]: (_p, _body, query, ctx) => sync(query, ctx.isClosed),
    [`PUT ${V3}/rooms/{roomId}/send/{eventType}/{txnId}`]: (p, body, _q, ctx) => sendEvent(`PUT ${V3}/rooms/{roomId}/send/{eventType}/{txnId}`, p, body, false, ctx.now),
    [`PUT ${V3}/rooms/{roomId}/state/{eventType}/{stateKey}`]: (p, body, _q, ctx) => sendEvent(`PUT ${V3}/rooms/{roomId}/state/{eventType}/{stateKey}`, p, body, true, ctx.now),
    [`PUT ${V3}/rooms/{roomId}/redact/{eventId}/{txnId}`]: (p, body, _q, ctx) => {
      const route = `PUT ${V3}/rooms/{roomId}/redact/{eventId}/{txnId}`;
      const reason = asObject(body).reason as string | undefined;
      const tx = transaction(route, p.txnId!, { roomId: p.roomId, eventId: p.eventId, reason });
      if (tx.eventId !== undefined) return ok({ event_id: tx.eventId });
      const room = joinedRoom(p.roomId!);
      if (isAnswer(room)) return room;
      const target = room.events.find((s) => s.event.event_id === p.eventId);
      if (!target) return err(404, 'M_NOT_FOUND', 'Unknown event');
      const pl = stateContent(room, 'm.room.power_levels') ?? {};
      if (target.event.sender !== botUserId && powerOf(room, botUserId) < ((pl.redact as number | undefined) ?? 50)) return err(403, 'M_FORBIDDEN', "You don't have permission to redact events");
      const stored = redactBy(room.id, botUserId, p.eventId!, reason, { txnId: p.txnId }, ctx.now);
      transactions.set(tx.key, { eventId: stored.event.event_id, request: JSON.stringify({ roomId: p.roomId, eventId: p.eventId, reason }) });
      return ok({ event_id: stored.event.event_id });
    },
    [`GET ${V3}/rooms/{roomId}/messages`]: (p, _body, query) => {
      const room = joinedRoom(p.roomId!);
      if (isAnswer(room)) return room;
      const dir = query.get('dir') === 'f' ? 'f' : 'b';
      const fromRaw = query.get('from');
      const from = fromRaw === null ? (dir === 'b' ? pos : 0) : parseToken(fromRaw);
      const toRaw = query.get('to');
      const to = toRaw === null ? null : parseToken(toRaw);
      if (from === null || (toRaw !== null && to === null)) return err(400, 'M_INVALID_PARAM', 'Unknown pagination token');
      const limit = Math.min(1000, Math.max(1, Number(query.get('limit') ?? 10) || 10));
      let filter: TimelineFilter | undefined;
      const filterRaw = query.get('filter');
      if (filterRaw !== null) {
        try {
          filter = JSON.parse(filterRaw) as TimelineFilter;
        } catch {
          return err(400, 'M_NOT_JSON', 'The filter is not JSON');
        }
      }
      const candidates = (dir === 'b' ? room.events.filter((s) => s.pos <= from && (to === null || s.pos > to)).reverse() : room.events.filter((s) => s.pos > from && (to === null || s.pos <= to))).filter((s) =>
        passes(filter, s.event),
      );
      const chunk = candidates.slice(0, limit);
      const last = chunk[chunk.length - 1];
      const more = candidates.length > chunk.length && last !== undefined;
      return ok({
        chunk: chunk.map((s) => view(s, true)),
        start: fromRaw ?? token(from),
        // No `end` when there is nothing further.
        ...(more ? { end: token(dir === 'b' ? last.pos - 1 : last.pos) } : {}),
      });
    },
    'GET /_matrix/client/v1/rooms/{roomId}/timestamp_to_event': (p, _body, query) => {
      if (opts.timestampToEvent === false) return UNRECOGNIZED;
      const room = joinedRoom(p.roomId!);
      if (isAnswer(room)) return room;
      const ts = Number(query.get('ts'));
      const found = query.get('dir') === 'b' ? room.events.filter((s) => s.event.origin_server_ts <= ts).at(-1) : room.events.find((s) => s.event.origin_server_ts >= ts);
      return found ? ok({ event_id: found.event.event_id, origin_server_ts: found.event.origin_server_ts }) : err(404, 'M_NOT_FOUND', `Unable to find event from ${ts} in direction ${query.get('dir')}`);
    },
    [`GET ${V3}/rooms/{roomId}/state/{eventType}/{stateKey}`]: (p) => {
      const room = joinedRoom(p.roomId!);
      if (isAnswer(room)) return room;
      const s = stateAt(room).get(stateKeyOf(p.eventType!, p.stateKey ?? ''));
      return s ? ok(view(s, true).content) : err(404, 'M_NOT_FOUND', 'Event not found');
    },
    [`GET ${V3}/rooms/{roomId}/state`]: (p) => {
      const room = joinedRoom(p.roomId!);
      if (isAnswer(room)) return room;
      return ok([...stateAt(room).values()].map((s) => view(s, true)));
    },
    // The event with up to limit/2 events each side; `start` pages backwards from before events_before.
    [`GET ${V3}/rooms/{roomId}/context/{eventId}`]: (p, _body, query) => {
      const room = joinedRoom(p.roomId!);
      if (isAnswer(room)) return room;
      const at = room.events.findIndex((e) => e.event.event_id === p.eventId);
      if (at < 0) return err(404, 'M_NOT_FOUND', 'Event not found');
      const half = Math.floor(Math.min(100, Math.max(0, Number(query.get('limit') ?? 10) || 0)) / 2);
      let filter: TimelineFilter | undefined;
      const filterRaw = query.get('filter');
      if (filterRaw !== null) filter = JSON.parse(filterRaw) as TimelineFilter;
      const before = room.events.slice(0, at).filter((s) => passes(filter, s.event)).reverse().slice(0, half);
      const after = room.events.slice(at + 1).filter((s) => passes(filter, s.event)).slice(0, half);
      const target = room.events[at]!;
      return ok({
        event: view(target, true),
        events_before: before.map((s) => view(s, true)),
        events_after: after.map((s) => view(s, true)),
        start: token((before.at(-1) ?? target).pos - 1),
        end: token((after.at(-1) ?? target).pos),
        state: [],
      });
    },
    [`GET ${V3}/rooms/{roomId}/event/{eventId}`]: (p) => {
      const room = joinedRoom(p.roomId!);
      if (isAnswer(room)) return room;
      const s = room.events.find((e) => e.event.event_id === p.eventId);
      return s ? ok(view(s, true)) : err(404, 'M_NOT_FOUND', 'Event not found');
    },
    [`GET ${V3}/rooms/{roomId}/joined_members`]: (p) => {
      const room = joinedRoom(p.roomId!);
      if (isAnswer(room)) return room;
      const joined: Record<string, Record<string, string>> = {};
      for (const s of stateAt(room).values()) {
        if (s.event.type !== 'm.room.member' || s.event.content.membership !== 'join') continue;
        const { displayname, avatar_url } = s.event.content as { displayname?: string; avatar_url?: string };
        joined[s.event.state_key!] = { ...(displayname !== undefined ? { display_name: displayname } : {}), ...(avatar_url !== undefined ? { avatar_url } : {}) };
      }
      return ok({ joined });
    },
    [`GET ${V3}/profile/{userId}`]: (p) => {
      const found = profile(p.userId!);
      return found ? ok(found) : err(404, 'M_NOT_FOUND', 'Profile was not found');
    },
    [`GET ${V3}/profile/{userId}/{keyName}`]: (p) => {
      const value = profile(p.userId!)?.[p.keyName!];
      return value !== undefined ? ok({ [p.keyName!]: value }) : err(404, 'M_NOT_FOUND', 'Profile was not found');
    },
    [`POST ${V3}/join/{roomIdOrAlias}`]: (p) => joinAs(p.roomIdOrAlias!),
    [`POST ${V3}/rooms/{roomId}/join`]: (p) => joinAs(p.roomId!),
    [`POST ${V3}/rooms/{roomId}/leave`]: (p, body) => {
      const room = rooms.get(p.roomId!);
      if (!room) return UNKNOWN_ROOM;
      const now = membershipAt(room, botUserId);
      const reason = asObject(body).reason;
      if (now === 'join' || now === 'invite') memberEvent(room.id, botUserId, botUserId, 'leave', typeof reason === 'string' ? { reason } : {});
      return ok({});
    },
    [`GET ${V3}/joined_rooms`]: () => ok({ joined_rooms: [...rooms.values()].filter((r) => membershipAt(r, botUserId) === 'join').map((r) => r.id) }),
  };

  // ---------------------------------------------------------------------------------------------------------
  // The HTTP side.

  const strip = (path: string): string => (path.startsWith(V3) ? path.slice(V3.length) : path);
  const takeFault = (method: string, path: string, template: string | undefined): (MatrixFault & { left: number }) | null => {
    const at = faults.findIndex((f) => {
      if (f.method !== undefined && f.method.toUpperCase() !== method) return false;
      if (f.path === undefined) return true;
      if (f.path instanceof RegExp) return f.path.test(path);
      return strip(f.path) === strip(path) || (template !== undefined && strip(f.path) === strip(template));
    });
    if (at === -1) return null;
    const fault = faults[at]!;
    if (--fault.left <= 0) faults.splice(at, 1);
    return fault;
  };

  let app: FastifyInstance | undefined;
  let port = 0;
  let closed = false;

  const handle = async (req: FastifyRequest, reply: FastifyReply): Promise<FastifyReply | undefined> => {
    const now = Date.now();
    const method = req.method.toUpperCase();
    const url = new URL(req.url, 'http://fake');
    const raw = typeof req.body === 'string' ? req.body : '';
    let body: unknown;
    if (raw !== '') {
      try {
        body = JSON.parse(raw);
      } catch {
        body = raw;
      }
    }
    const authorization = req.headers.authorization;
    const checked = await checkMatrixRequest({ method, path: url.pathname, query: url.searchParams, body, authenticated: authorization !== undefined });
    violations.push(...checked.violations);
    if (raw !== '' && !(req.headers['content-type'] ?? '').startsWith('application/json')) {
      violations.push({ route: checked.route, kind: 'bad_body', message: `${checked.route}: a body sent as ${req.headers['content-type'] ?? 'no content type'}, not application/json` });
    }
    let decoded: string;
    try {
      decoded = decodeURIComponent(url.pathname);
    } catch {
      decoded = url.pathname;
    }
    const recorded: RecordedMatrixRequest = { method, path: decoded, route: checked.route, query: Object.fromEntries(url.searchParams), body, at: now };
    requests.push(recorded);
    const template = checked.route.slice(checked.route.indexOf(' ') + 1);
    const send = async (answer: Answer, check: boolean): Promise<FastifyReply | undefined> => {
      recorded.status = answer.status;
      if (check && checkResponses && answer.status < 500) {
        for (const m of await checkMatrixResponse(method, url.pathname, answer.status, answer.body)) responseViolations.push(m);
      }
      if (reply.raw.destroyed) return undefined;
      return reply.code(answer.status).headers({ 'content-type': 'application/json', ...answer.headers }).send(JSON.stringify(answer.body));
    };
    const fault = takeFault(method, decoded, checked.violations.some((v) => v.kind === 'unknown_path') ? undefined : template);
    const faultAnswer = fault ? { status: fault.status, body: fault.body ?? { errcode: 'M_UNKNOWN', error: 'Internal server error' }, ...(fault.headers ? { headers: fault.headers } : {}) } : null;
    if (faultAnswer && !fault!.afterHandling) return send(faultAnswer, false);
    const handler = routes[checked.route];
    let answer: Answer;
    if (!handler) answer = UNRECOGNIZED;
    else if (checked.route !== 'GET /_matrix/client/versions' && authorization === undefined) answer = err(401, 'M_MISSING_TOKEN', 'Missing access token');
    else if (checked.route !== 'GET /_matrix/client/versions' && authorization !== `Bearer ${accessToken}`) answer = err(401, 'M_UNKNOWN_TOKEN', 'Invalid access token passed.', { soft_logout: false });
    else if (typeof body === 'string') answer = err(400, 'M_NOT_JSON', 'Content not JSON.');
    else answer = await handler(checked.params, body, url.searchParams, { isClosed: () => closed || reply.raw.destroyed, now });
    return send(faultAnswer ?? answer, faultAnswer === null);
  };

  const start = async (): Promise<void> => {
    if (app) return;
    const server = Fastify({ logger: false, forceCloseConnections: true });
    // Every body as text: the fake parses JSON itself, so that a body which is not JSON reaches the checker.
    server.removeAllContentTypeParsers();
    server.addContentTypeParser('*', { parseAs: 'string' }, (_req, text, done) => done(null, text));
    server.route({ method: ['GET', 'PUT', 'POST', 'DELETE', 'PATCH', 'OPTIONS'], url: '/*', handler: handle });
    await server.listen({ host: '127.0.0.1', port });
    port = (server.server.address() as AddressInfo).port;
    app = server;
    closed = false;
  };
  const stop = async (): Promise<void> => {
    const server = app;
    if (!server) return;
    app = undefined;
    closed = true;
    // Long polls end now (their connections are gone with the server).
    for (const wake of [...waiters]) wake();
    await server.close();
  };
  await start();

  const fake: FakeMatrix = {
    url: `http://127.0.0.1:${port}`,
    botUserId,
    accessToken,
    serverName,
    violations,
    responseViolations,
    requests,
    syncSinces,
    currentToken: () => token(pos),
    createRoom,
    join: (roomId, userId) => memberEvent(roomId, userId, userId, 'join'),
    leave: (roomId, userId) => memberEvent(roomId, userId, userId, 'leave'),
    invite: (roomId, inviter, invitee = botUserId) => memberEvent(roomId, inviter, invitee, 'invite'),
    kick: (roomId, by, userId = botUserId, reason) => memberEvent(roomId, by, userId, 'leave', reason !== undefined ? { reason } : {}),
    ban: (roomId, by, userId = botUserId, reason) => memberEvent(roomId, by, userId, 'ban', reason !== undefined ? { reason } : {}),
    setPowerLevel: (roomId, userId, level) => {
      const room = roomOf(roomId);
      const current = stateContent(room, 'm.room.power_levels') ?? {};
      const content = { ...current, users: { ...(current.users as Record<string, number> | undefined), [userId]: level } };
      return append(roomId, { type: 'm.room.power_levels', sender: creatorOf(room), state_key: '', content }).event.event_id;
    },
    enableEncryption: (roomId) => append(roomId, { type: 'm.room.encryption', sender: creatorOf(roomOf(roomId)), state_key: '', content: { algorithm: 'm.megolm.v1.aes-sha2' } }).event.event_id,
    setDisplayName: (userId, name) => void displayNames.set(userId, name),
    setState: (roomId, sender, type, stateKey, content, o = {}) => append(roomId, { type, sender, state_key: stateKey, content, ...(o.ts !== undefined ? { origin_server_ts: o.ts } : {}) }).event.event_id,
    sendMessage: (roomId, sender, content, o = {}) => append(roomId, { type: 'm.room.message', sender, content, ...(o.ts !== undefined ? { origin_server_ts: o.ts } : {}) }).event.event_id,
    sendEvent: (roomId, sender, type, content, o = {}) => append(roomId, { type, sender, content, ...(o.ts !== undefined ? { origin_server_ts: o.ts } : {}) }).event.event_id,
    redact: (roomId, sender, eventId, reason) => redactBy(roomId, sender, eventId, reason).event.event_id,
    events: (roomId) => roomOf(roomId).events.map((s) => ({ ...(view(s, true) as unknown as MatrixEvent) })),
    botMessages: (roomId) =>
      roomOf(roomId)
        .events.filter((s) => s.fromClient)
        .map((s) => ({ type: s.event.type, content: view(s, true).content as Record<string, unknown>, event_id: s.event.event_id, txnId: s.txnId, ...(s.event.state_key !== undefined ? { state_key: s.event.state_key } : {}) })),
    membership: (roomId, userId = botUserId) => membershipAt(roomOf(roomId), userId),
    calls: (route) => requests.filter((r) => r.route === route),
    fail: (fault) => void faults.push({ ...fault, left: fault.times ?? 1 }),
    rateLimit: ({ method, path, retryAfterMs, times }) =>
      void faults.push({
        ...(method !== undefined ? { method } : {}),
        ...(path !== undefined ? { path } : {}),
        status: 429,
        body: { errcode: 'M_LIMIT_EXCEEDED', error: 'Too many requests', retry_after_ms: retryAfterMs },
        headers: { 'retry-after': String(Math.ceil(retryAfterMs / 1000)) },
        left: times ?? 1,
      }),
    stop,
    start,
    close: stop,
  };
  return fake;
}

