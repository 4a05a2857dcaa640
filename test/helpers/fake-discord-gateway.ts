// Discord's gateway, faked on the fake REST API's server (fake-discord.ts with `gateway: true`): a WebSocket at
// /gateway, which GET /gateway/bot names.
//
// What discord.js 14.28 (@discordjs/ws 1.2.3, WebSocketShard) does, and so what the fake must do:
// - it reads GET /gateway/bot first (`url`, `shards`, `session_start_limit.{remaining,reset_after,max_concurrency}`),
//   then connects to `${url}?v=10&encoding=json` (no `compress`: zlib-sync is not installed);
// - it waits for HELLO (op 10, `heartbeat_interval`), heartbeats (op 1, `d`: the last sequence or null) after
//   interval × jitter and then every interval, and drops the connection (resuming) when an ack (op 11) is missing;
// - without a session it sends IDENTIFY (op 2: token, intents, properties {os, browser, device}, compress: false,
//   shard [0, 1]); with one from READY (`session_id`, `resume_gateway_url`) it reconnects to resume_gateway_url
//   and sends RESUME (op 6: token, session_id, seq), expecting the missed events and RESUMED;
// - READY (op 0, t READY) must carry `user`, `guilds` (unavailable ones, each then expected as GUILD_CREATE before
//   the client emits clientReady), `session_id`, `resume_gateway_url`, `application` {id, flags};
// - op 7 RECONNECT: it closes (4200) and resumes; op 9 INVALID_SESSION d=false: it identifies anew;
// - close codes 4004 (authentication failed), 4013/4014 (invalid/disallowed intents) are fatal.
// Discord itself: events the identified intents do not cover are not sent; without MESSAGE_CONTENT (a privileged
// intent) a guild message's content, embeds, attachments and components are empty unless it mentions the bot or
// is the bot's own (docs "Gateway": Message Content Intent).
import { randomBytes } from 'node:crypto';
import type { IncomingMessage, Server } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type RawData, type WebSocket } from 'ws';
import type { DiscordSpecViolation } from './discord-spec.js';

/** Gateway intents (Discord docs, "Gateway Intents"). */
export const INTENTS = {
  GUILDS: 1 << 0,
  GUILD_MEMBERS: 1 << 1,
  GUILD_PRESENCES: 1 << 8,
  GUILD_MESSAGES: 1 << 9,
  DIRECT_MESSAGES: 1 << 12,
  MESSAGE_CONTENT: 1 << 15,
} as const;
const PRIVILEGED = INTENTS.GUILD_MEMBERS | INTENTS.GUILD_PRESENCES | INTENTS.MESSAGE_CONTENT;

/** Which intent an event needs (guild events only: a DM's message needs DIRECT_MESSAGES). */
const EVENT_INTENTS: Readonly<Record<string, number>> = {
  GUILD_CREATE: INTENTS.GUILDS,
  GUILD_UPDATE: INTENTS.GUILDS,
  GUILD_DELETE: INTENTS.GUILDS,
  CHANNEL_CREATE: INTENTS.GUILDS,
  CHANNEL_UPDATE: INTENTS.GUILDS,
  CHANNEL_DELETE: INTENTS.GUILDS,
  THREAD_CREATE: INTENTS.GUILDS,
  THREAD_UPDATE: INTENTS.GUILDS,
  THREAD_DELETE: INTENTS.GUILDS,
  GUILD_MEMBER_ADD: INTENTS.GUILD_MEMBERS,
  GUILD_MEMBER_UPDATE: INTENTS.GUILD_MEMBERS,
  GUILD_MEMBER_REMOVE: INTENTS.GUILD_MEMBERS,
  MESSAGE_CREATE: INTENTS.GUILD_MESSAGES,
  MESSAGE_UPDATE: INTENTS.GUILD_MESSAGES,
  MESSAGE_DELETE: INTENTS.GUILD_MESSAGES,
  MESSAGE_DELETE_BULK: INTENTS.GUILD_MESSAGES,
};

export interface FakeGatewayOptions {
  /** HELLO's heartbeat_interval in ms (Discord: 41250). */
  heartbeatInterval?: number;
  /** Privileged intents enabled for the app (Developer Portal); asking for another closes with 4014. Default: all. */
  allowedPrivilegedIntents?: number;
}

interface GatewayContext extends FakeGatewayOptions {
  token: string;
  bot: Record<string, unknown> & { id: string };
  application: { id: string };
  guildIds: () => string[];
  guildPayload: (guildId: string) => Record<string, unknown>;
  violations: DiscordSpecViolation[];
}

export interface GatewayIdentify {
  token: string;
  intents: number;
  properties: Record<string, unknown>;
  shard?: [number, number];
  compress?: boolean;
  [field: string]: unknown;
}

export interface FakeDiscordGateway {
  /** What GET /gateway/bot answers: ws://127.0.0.1:PORT/gateway. */
  url: string;
  /** Connections opened so far. */
  connectionCount: number;
  /** The query of each connection (`v`, `encoding`, `compress`). */
  connectQueries: Record<string, string>[];
  /** Every payload the clients sent, parsed, in order. */
  received: { op: number; d: unknown }[];
  identifies: GatewayIdentify[];
  resumes: { token: string; session_id: string; seq: number }[];
  heartbeats: number;
  /** Resolves once a client has identified (or resumed) and been sent READY (or RESUMED). */
  ready(): Promise<void>;
  /** Sends a dispatch (op 0) with the next sequence number to every ready session whose intents cover it; returns how many got it. */
  dispatch(t: string, d: unknown): number;
  /** Asks the clients to reconnect and resume (op 7). */
  requestReconnect(): void;
  /** op 9; `resumable` false makes the client identify anew. */
  invalidateSession(resumable?: boolean): void;
  /** Closes every connection with a close code (4000 unknown error: the client resumes; 4004: fatal). */
  closeAll(code?: number, reason?: string): void;
  close(): Promise<void>;
}

const GATEWAY_PATH = '/gateway';

interface Session {
  id: string;
  intents: number;
  seq: number;
  /** Dispatches sent, for replay on RESUME. */
  log: { s: number; t: string; d: unknown }[];
  socket: WebSocket | null;
}

function text(data: RawData): string {
  if (Array.isArray(data)) return Buffer.concat(data).toString('utf8');
  if (Buffer.isBuffer(data)) return data.toString('utf8');
  return Buffer.from(new Uint8Array(data)).toString('utf8');
}

/** A MESSAGE_CREATE/UPDATE as a session without MESSAGE_CONTENT sees it. */
function withoutContent(d: unknown, botId: string): unknown {
  const message = d as { author?: { id?: string }; mentions?: { id?: string }[]; guild_id?: string } | null;
  if (!message || message.guild_id === undefined) return d;
  if (message.author?.id === botId || (message.mentions ?? []).some((m) => m.id === botId)) return d;
  return { ...message, content: '', embeds: [], attachments: [], components: [] };
}

export function attachFakeGateway(server: Server, wsBase: string, ctx: GatewayContext): FakeDiscordGateway {
  const wss = new WebSocketServer({ noServer: true });
  const heartbeatInterval = ctx.heartbeatInterval ?? 41_250;
  const allowedPrivileged = ctx.allowedPrivilegedIntents ?? PRIVILEGED;
  const sessions = new Map<string, Session>();
  const sockets = new Set<WebSocket>();
  let onReady: (() => void)[] = [];
  const url = `${wsBase}${GATEWAY_PATH}`;
  const violation = (message: string): void => void ctx.violations.push({ route: 'gateway', kind: 'gateway', message });

  server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    if (new URL(req.url ?? '/', 'http://fake').pathname !== GATEWAY_PATH) {
      socket.destroy();
      return;
    }
    wss.handleUpgrade(req, socket, head, (ws) => wss.emit('connection', ws, req));
  });

  const send = (ws: WebSocket, payload: { op: number; d: unknown; s?: number | null; t?: string | null }): void => {
    if (ws.readyState === ws.OPEN) ws.send(JSON.stringify({ s: null, t: null, ...payload }));
  };
  const dispatchTo = (session: Session, t: string, d: unknown): void => {
    session.seq++;
    const entry = { s: session.seq, t, d };
    session.log.push(entry);
    if (session.socket) send(session.socket, { op: 0, ...entry });
  };
  const markReady = (): void => {
    const resolvers = onReady;
    onReady = [];
    for (const resolve of resolvers) resolve();
  };
  let readySessions = 0;

  const gateway: FakeDiscordGateway = {
    url,
    connectionCount: 0,
    connectQueries: [],
    received: [],
    identifies: [],
    resumes: [],
    heartbeats: 0,
    ready: () => (readySessions > 0 ? Promise.resolve() : new Promise((resolve) => onReady.push(resolve))),
    dispatch: (t, d) => {
      let count = 0;
      for (const session of sessions.values()) {
        if (!session.socket) continue;
        const needed = (d as { guild_id?: unknown } | null)?.guild_id === undefined && t.startsWith('MESSAGE_') ? INTENTS.DIRECT_MESSAGES : (EVENT_INTENTS[t] ?? 0);
        if (needed !== 0 && (session.intents & needed) === 0) continue;
        const shown = (t === 'MESSAGE_CREATE' || t === 'MESSAGE_UPDATE') && (session.intents & INTENTS.MESSAGE_CONTENT) === 0 ? withoutContent(d, ctx.bot.id) : d;
        dispatchTo(session, t, shown);
        count++;
      }
      return count;
    },
    requestReconnect: () => {
      for (const ws of sockets) send(ws, { op: 7, d: null });
    },
    invalidateSession: (resumable = false) => {
      for (const ws of sockets) send(ws, { op: 9, d: resumable });
      if (!resumable) sessions.clear();
    },
    closeAll: (code = 4000, reason = 'Unknown error') => {
      for (const ws of sockets) ws.close(code, reason);
    },
    close: async () => {
      for (const ws of sockets) ws.terminate();
      await new Promise<void>((resolve) => wss.close(() => resolve()));
    },
  };

  wss.on('connection', (ws: WebSocket, req: IncomingMessage) => {
    sockets.add(ws);
    gateway.connectionCount++;
    const query = Object.fromEntries(new URL(req.url ?? '/', 'http://fake').searchParams);
    gateway.connectQueries.push(query);
    if (query.v !== '10') violation(`connected with v=${query.v ?? '(none)'}; Parley speaks gateway v10`);
    if (query.encoding !== undefined && query.encoding !== 'json') violation(`connected with encoding=${query.encoding}; the fake speaks json only`);
    if (query.compress !== undefined) violation(`connected with compress=${query.compress}; the fake does not compress`);
    let session: Session | null = null;
    ws.on('close', () => {
      sockets.delete(ws);
      if (session?.socket === ws) session.socket = null;
    });
    ws.on('message', (data, isBinary) => {
      if (isBinary) {
        violation('the client sent a binary frame (etf or compression?)');
        ws.close(4002, 'Decode error');
        return;
      }
      let payload: { op?: unknown; d?: unknown };
      try {
        payload = JSON.parse(text(data)) as { op?: unknown; d?: unknown };
      } catch {
        violation(`the client sent something that is not JSON: ${text(data).slice(0, 100)}`);
        ws.close(4002, 'Decode error');
        return;
      }
      const op = typeof payload.op === 'number' ? payload.op : -1;
      gateway.received.push({ op, d: payload.d });
      switch (op) {
        case 1:
          gateway.heartbeats++;
          if (payload.d !== null && typeof payload.d !== 'number') violation(`a heartbeat's d is the last sequence number or null, got ${JSON.stringify(payload.d)}`);
          send(ws, { op: 11, d: null });
          return;
        case 2: {
          const d = (payload.d ?? {}) as GatewayIdentify;
          gateway.identifies.push(d);
          if (session) {
            ws.close(4005, 'Already authenticated');
            return;
          }
          if (typeof d.intents !== 'number' || typeof d.properties !== 'object' || d.properties === null) violation(`IDENTIFY needs intents (a number) and properties, got ${JSON.stringify(d).slice(0, 200)}`);
          for (const key of ['os', 'browser', 'device']) if (typeof d.properties?.[key] !== 'string') violation(`IDENTIFY properties.${key} should be a string`);
          if (d.token !== ctx.token) {
            ws.close(4004, 'Authentication failed');
            return;
          }
          if ((d.intents & PRIVILEGED & ~allowedPrivileged) !== 0) {
            ws.close(4014, 'Disallowed intent(s)');
            return;
          }
          session = { id: randomBytes(16).toString('hex'), intents: d.intents, seq: 0, log: [], socket: ws };
          sessions.set(session.id, session);
          const guildIds = ctx.guildIds();
          dispatchTo(session, 'READY', {
            v: 10,
            user: { ...ctx.bot, verified: true, flags: 0, mfa_enabled: false },
            guilds: guildIds.map((id) => ({ id, unavailable: true })),
            session_id: session.id,
            resume_gateway_url: url,
            shard: d.shard ?? [0, 1],
            application: { id: ctx.application.id, flags: 0 },
            private_channels: [],
            user_settings: {},
            relationships: [],
            presences: [],
            guild_join_requests: [],
            geo_ordered_rtc_regions: [],
            auth: {},
          });
          if ((session.intents & INTENTS.GUILDS) !== 0) for (const id of guildIds) dispatchTo(session, 'GUILD_CREATE', ctx.guildPayload(id));
          readySessions++;
          markReady();
          return;
        }
        case 6: {
          const d = (payload.d ?? {}) as { token?: string; session_id?: string; seq?: number };
          gateway.resumes.push({ token: String(d.token), session_id: String(d.session_id), seq: Number(d.seq) });
          const known = d.session_id !== undefined ? sessions.get(d.session_id) : undefined;
          if (d.token !== ctx.token) {
            ws.close(4004, 'Authentication failed');
            return;
          }
          if (!known || typeof d.seq !== 'number' || d.seq > known.seq) {
            send(ws, { op: 9, d: false });
            return;
          }
          known.socket = ws;
          session = known;
          for (const entry of known.log.filter((e) => e.s > (d.seq as number))) send(ws, { op: 0, ...entry });
          dispatchTo(known, 'RESUMED', null);
          readySessions++;
          markReady();
          return;
        }
        case 3: // presence update
        case 4: // voice state
        case 8: // request guild members
          if (!session) ws.close(4003, 'Not authenticated');
          return;
        default:
          violation(`the client sent an unknown opcode ${String(payload.op)}`);
          ws.close(4001, 'Unknown opcode');
      }
    });
    send(ws, { op: 10, d: { heartbeat_interval: heartbeatInterval, _trace: ['["fake-gateway",{"micros":0}]'] } });
  });

  return gateway;
}
