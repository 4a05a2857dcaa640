// Slack's Socket Mode, faked on the fake Web API's server (fake-slack.ts with `socket: true`): the WebSocket
// that apps.connections.open hands out, at /link.
//
// What @slack/socket-mode 3.1.0 (SocketModeClient.js, SlackWebSocket.js) expects of Slack:
// - a `{ type: 'hello' }` message after connecting: only then does start() resolve;
// - `{ type: 'disconnect', reason }`: the client closes and reconnects (a new apps.connections.open);
// - envelopes `{ envelope_id, type, payload, accepts_response_payload, retry_attempt?, retry_reason? }`:
//   `events_api` ones are emitted by `payload.event.type`, others (`slash_commands`, `interactive`) by type;
// - WebSocket pings: the client pings every clientPingTimeout/3 ms and drops the link without a pong in
//   clientPingTimeout (ws answers pings by itself); once Slack has pinged, it expects another within
//   serverPingTimeout (30 s), so a fake that never pings is never timed out.
// What it sends: the ack `{ envelope_id, payload: {...} }` (payload `{}` when ack() got nothing), nothing else.
import { randomUUID } from 'node:crypto';
import type { IncomingMessage, Server } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type WebSocket } from 'ws';
import type { SpecViolation } from './fake-slack.js';

export interface SocketEnvelope {
  envelope_id?: string;
  type: 'slash_commands' | 'events_api' | 'interactive' | (string & {});
  accepts_response_payload?: boolean;
  payload: unknown;
  retry_attempt?: number;
  retry_reason?: string;
}

export interface SocketAck {
  envelope_id: string;
  payload?: unknown;
  /** Milliseconds between sending the envelope and its ack (Slack wants one within 3 s). */
  afterMs: number;
}

export interface FakeSocketMode {
  /** What apps.connections.open answers: ws://127.0.0.1:PORT/link. */
  linkUrl: string;
  /** Connections opened so far (a reconnect adds one). */
  connectionCount: number;
  /** Every message the client sent, parsed. */
  received: unknown[];
  acks: SocketAck[];
  /** Resolves once a client is connected and has been sent hello. */
  connected(): Promise<void>;
  /** Sends an envelope to the newest connection; returns its envelope_id (made up when absent). */
  send(envelope: SocketEnvelope): string;
  /** The ack of an envelope, as soon as it arrives (or already has); rejects after `timeoutMs`. */
  ack(envelopeId: string, timeoutMs?: number): Promise<SocketAck>;
  /** Asks the client to reconnect, as Slack does before recycling a server. */
  disconnect(reason?: 'refresh_requested' | 'warning' | 'link_disabled'): void;
  /** Sends a WebSocket ping, as Slack does now and then. */
  ping(): void;
  close(): Promise<void>;
}

const LINK_PATH = '/link';

export function attachFakeSocketMode(server: Server, wsBase: string, violations: SpecViolation[]): FakeSocketMode {
  const wss = new WebSocketServer({ noServer: true });
  const open: WebSocket[] = [];
  const sentAt = new Map<string, number>();
  const waiting = new Map<string, (ack: SocketAck) => void>();
  let onConnected: (() => void)[] = [];

  server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    if (new URL(req.url ?? '/', 'http://fake').pathname !== LINK_PATH) {
      socket.destroy();
      return;
    }
    wss.handleUpgrade(req, socket, head, (ws) => wss.emit('connection', ws, req));
  });

  const fake: FakeSocketMode = {
    linkUrl: `${wsBase}${LINK_PATH}`,
    connectionCount: 0,
    received: [],
    acks: [],
    connected: () => (open.length > 0 ? Promise.resolve() : new Promise((resolve) => onConnected.push(resolve))),
    send: (envelope) => {
      const ws = open.at(-1);
      if (!ws) throw new Error('no Socket Mode client is connected');
      const envelope_id = envelope.envelope_id ?? randomUUID();
      sentAt.set(envelope_id, Date.now());
      ws.send(JSON.stringify({ ...envelope, envelope_id }));
      return envelope_id;
    },
    ack: (envelopeId, timeoutMs = 5000) => {
      const done = fake.acks.find((a) => a.envelope_id === envelopeId);
      if (done) return Promise.resolve(done);
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => {
          waiting.delete(envelopeId);
          reject(new Error(`no ack for envelope ${envelopeId} within ${timeoutMs} ms`));
        }, timeoutMs);
        waiting.set(envelopeId, (ack) => {
          clearTimeout(timer);
          resolve(ack);
        });
      });
    },
    disconnect: (reason = 'refresh_requested') => {
      open.at(-1)?.send(JSON.stringify({ type: 'disconnect', reason, debug_info: { host: 'applink-fake' } }));
    },
    ping: () => open.at(-1)?.ping(),
    close: async () => {
      for (const ws of open) ws.terminate();
      await new Promise<void>((resolve) => wss.close(() => resolve()));
    },
  };

  wss.on('connection', (ws: WebSocket) => {
    open.push(ws);
    fake.connectionCount++;
    ws.on('close', () => open.splice(open.indexOf(ws), 1));
    ws.on('message', (data, isBinary) => {
      const text = isBinary ? '' : (Array.isArray(data) ? Buffer.concat(data) : Buffer.isBuffer(data) ? data : Buffer.from(new Uint8Array(data))).toString('utf8');
      let message: unknown;
      try {
        message = JSON.parse(text);
      } catch {
        violations.push({ method: 'socket', kind: 'socket', message: `the client sent something that is not JSON: ${text.slice(0, 100)}` });
        return;
      }
      fake.received.push(message);
      const id = (message as { envelope_id?: unknown } | null)?.envelope_id;
      if (typeof id !== 'string' || !sentAt.has(id)) {
        violations.push({ method: 'socket', kind: 'socket', message: `an ack names no envelope that was sent: ${text.slice(0, 200)}` });
        return;
      }
      const ack: SocketAck = { envelope_id: id, afterMs: Date.now() - sentAt.get(id)!, ...('payload' in (message as object) ? { payload: (message as { payload: unknown }).payload } : {}) };
      fake.acks.push(ack);
      waiting.get(id)?.(ack);
      waiting.delete(id);
    });
    ws.send(
      JSON.stringify({
        type: 'hello',
        num_connections: open.length,
        debug_info: { host: 'applink-fake', build_number: 1, approximate_connection_time: 18060 },
        connection_info: { app_id: 'A1' },
      }),
    );
    const resolvers = onConnected;
    onConnected = [];
    for (const resolve of resolvers) resolve();
  });

  return fake;
}
