// The chat platforms of the soak (bench/soak.ts): every platform configured against local stand-ins, as
// bench/idle-platforms.ts answers them (logins, Telegram's long poll, Discord's gateway, Matrix's sync, IRC), and in
// front of that stub the calls that deliver a notification, answered as each platform answers them and recorded:
// Discord's channel look-up and message create, Telegram's sendMessage, Matrix's room send, Slack's
// chat.postMessage, and Mattermost incoming webhooks. Every other request is passed on to the idle stub.
// Each event of the soak is a new topic, so the topic id in the announcement's link says which event it was.
import { Agent, createServer, request, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { startIdlePlatforms } from './idle-platforms.js';

/** The platforms a soak delivers to: each has a send route below. */
export type SoakPlatform = 'discord' | 'telegram' | 'matrix' | 'mattermost' | 'slack';

export interface SoakPlatforms {
  /** Parley's environment: every platform and GitLab configured; Discourse with its webhook secret only (no API key:
   *  the soak's categories are Parley's own, and the stub's empty category list must not replace them). */
  env: Record<string, string>;
  /** Mattermost's incoming webhook for a channel, to put in its settings. */
  mattermostHook(key: string): string;
  /** Requests the stub did not answer (method and path), for the soak's report. */
  unanswered: string[];
  close(): Promise<void>;
}

/** A delivered announcement: its platform, the topic id in its link (null: none found) and when it arrived. */
export type OnDelivered = (platform: SoakPlatform, topicId: number | null, at: number) => void;

/** The topic id in a post's link, /t/SLUG/TOPIC_ID/POST_NUMBER, wherever the platform's payload puts it. */
const TOPIC_LINK = /\/t\/[^/\s"'<>\\|]+\/(\d+)\/\d+/u;

function topicIdIn(req: IncomingMessage, body: string): number | null {
  // Slack's client posts forms, with its blocks as JSON text in a field.
  const text = (req.headers['content-type'] ?? '').includes('x-www-form-urlencoded') ? [...new URLSearchParams(body).values()].join('\n') : body;
  const match = TOPIC_LINK.exec(text);
  return match ? Number(match[1]) : null;
}

function json(res: ServerResponse, body: unknown): void {
  res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(body));
}

export async function startSoakPlatforms(onDelivered: OnDelivered): Promise<SoakPlatforms> {
  const idle = await startIdlePlatforms();
  const idleBase = new URL(idle.env.PARLEY_MATRIX_HOMESERVER_URL!);
  const toIdle = new Agent({ keepAlive: true });
  let nextId = 1;
  const now = () => performance.timeOrigin + performance.now();

  /** Answers a send route, or returns false for the stub to answer. */
  function send(req: IncomingMessage, res: ServerResponse, body: string): boolean {
    const path = new URL(req.url ?? '/', 'http://soak').pathname;
    const delivered = (platform: SoakPlatform) => onDelivered(platform, topicIdIn(req, body), now());
    const id = nextId++;
    if (req.method === 'POST' && /^\/discord\/api\/v10\/channels\/\d+\/messages$/u.test(path)) {
      delivered('discord');
      json(res, { id: String(1_300_000_000_000_000_000n + BigInt(id)), channel_id: path.split('/')[5], type: 0, content: '', embeds: [], timestamp: new Date().toISOString() });
      return true;
    }
    const discordChannel = /^\/discord\/api\/v10\/channels\/(\d+)$/u.exec(path);
    if (req.method === 'GET' && discordChannel) {
      // A guild's text channel (type 0), not a forum channel: announcements are plain messages.
      json(res, { id: discordChannel[1], type: 0, guild_id: '1', name: 'soak' });
      return true;
    }
    if (req.method === 'POST' && /^\/telegram\/bot[^/]+\/sendMessage$/u.test(path)) {
      delivered('telegram');
      const chatId = Number((JSON.parse(body || '{}') as { chat_id?: number | string }).chat_id);
      json(res, { ok: true, result: { message_id: id, date: Math.floor(Date.now() / 1000), chat: { id: chatId, type: 'supergroup', title: 'soak' }, text: '' } });
      return true;
    }
    if (req.method === 'PUT' && /^\/_matrix\/client\/v3\/rooms\/[^/]+\/send\/m\.room\.message\/[^/]+$/u.test(path)) {
      delivered('matrix');
      json(res, { event_id: `$soak${id}` });
      return true;
    }
    if (req.method === 'POST' && path === '/slack/api/chat.postMessage') {
      delivered('slack');
      json(res, { ok: true, channel: new URLSearchParams(body).get('channel'), ts: `${Math.floor(Date.now() / 1000)}.${String(id).padStart(6, '0')}` });
      return true;
    }
    if (req.method === 'POST' && path.startsWith('/mattermost-hooks/')) {
      delivered('mattermost');
      res.writeHead(200, { 'content-type': 'text/plain' }).end('ok');
      return true;
    }
    return false;
  }

  function pass(req: IncomingMessage, res: ServerResponse, body: string): void {
    const onward = request({ host: idleBase.hostname, port: idleBase.port, method: req.method, path: req.url, headers: req.headers, agent: toIdle }, (answer) => {
      res.writeHead(answer.statusCode ?? 502, answer.headers);
      answer.pipe(res);
    });
    onward.on('error', () => res.destroy());
    // A long poll ended by Parley (it stops) ends the stub's side too.
    res.on('close', () => onward.destroy());
    onward.end(body);
  }

  const server = createServer((req, res) => {
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (chunk: string) => (body += chunk));
    req.on('end', () => {
      if (!send(req, res, body)) pass(req, res, body);
    });
  });
  // Kept-alive connections last as long as Parley keeps them (a real platform's API does not drop them after Node's
  // default 5 s, which would reset a request now and then on a reused connection).
  server.keepAliveTimeout = 120_000;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const env: Record<string, string> = {};
  for (const [key, value] of Object.entries(idle.env)) env[key] = value.replace(idleBase.origin, base);
  delete env.PARLEY_DISCOURSE_API_KEY;

  return {
    env,
    mattermostHook: (key) => `${base}/mattermost-hooks/${key}`,
    unanswered: idle.unanswered,
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      toIdle.destroy();
      await idle.close();
    },
  };
}
