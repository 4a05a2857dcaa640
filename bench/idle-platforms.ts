// Every platform and source Parley speaks to, answering just enough for a Parley with all of them configured to
// start and then idle as it does in production: Telegram's getMe and a long-polled, empty getUpdates; Discord's
// REST (commands, gateway/bot) and a gateway that says HELLO, READY (no guilds) and acks heartbeats; Slack's
// auth.test; Matrix's whoami and an empty, long-polled /sync; Mattermost's users/me; Discourse's site.json;
// GitLab's user; an IRC server that registers the nick. For bench/startup.ts; nothing is ever sent to a channel.
// Anything else is answered 404 and counted, so that the benchmark can say whether the idle was a clean one.
import { createServer as createHttpServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { createServer as createTcpServer, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';
import { WebSocketServer, type WebSocket } from 'ws';

export interface IdlePlatforms {
  /** Parley's environment pointing every platform and source here (fake tokens, local URLs). */
  env: Record<string, string>;
  /** Requests nobody answers here (method and path), for the benchmark's details. */
  unanswered: string[];
  close(): Promise<void>;
}

const APPLICATION_ID = '123456789012345678';
const BOT_USER = { id: '223456789012345678', username: 'parley', discriminator: '0', bot: true, global_name: null, avatar: null };
/** How long an empty long poll (Telegram's getUpdates, Matrix's /sync) is held, at most, before it answers. */
const LONG_POLL_CAP_MS = 30_000;

function json(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
}

async function bodyOf(req: IncomingMessage): Promise<string> {
  let text = '';
  for await (const chunk of req) text += String(chunk);
  return text;
}

/** Answers after `ms` unless the client has gone (Parley stopping): a long poll with nothing to give. */
function holdThen(req: IncomingMessage, res: ServerResponse, ms: number, answer: () => void): void {
  const timer = setTimeout(answer, Math.min(ms, LONG_POLL_CAP_MS));
  res.on('close', () => clearTimeout(timer));
  req.on('error', () => clearTimeout(timer));
}

async function http(req: IncomingMessage, res: ServerResponse, unanswered: string[]): Promise<void> {
  const url = new URL(req.url ?? '/', 'http://stub');
  // Decoded: discord.js asks for /users/%40me.
  const p = decodeURIComponent(url.pathname);
  const body = await bodyOf(req);

  // Telegram Bot API: /bot<token>/<method>, parameters as JSON.
  const telegram = /^\/telegram\/bot[^/]+\/(\w+)$/u.exec(p);
  if (telegram) {
    const method = telegram[1];
    if (method === 'getMe') return json(res, 200, { ok: true, result: { id: 1, is_bot: true, first_name: 'Parley', username: 'parley_bot', can_join_groups: true, can_read_all_group_messages: false, supports_inline_queries: false } });
    if (method === 'getUpdates') {
      const timeout = Number((JSON.parse(body || '{}') as { timeout?: number }).timeout ?? 0);
      return holdThen(req, res, timeout * 1000, () => json(res, 200, { ok: true, result: [] }));
    }
    if (method === 'deleteWebhook' || method === 'setMyCommands' || method === 'close') return json(res, 200, { ok: true, result: true });
  }

  // Discord REST (v10).
  if (p.startsWith('/discord/api/v10/')) {
    const route = p.slice('/discord/api/v10'.length);
    if (route === '/gateway/bot' || route === '/gateway') {
      const port = (req.socket.localPort ?? 0).toString();
      return json(res, 200, { url: `ws://127.0.0.1:${port}/discord/gateway`, shards: 1, session_start_limit: { total: 1000, remaining: 1000, reset_after: 0, max_concurrency: 1 } });
    }
    if (route === `/applications/${APPLICATION_ID}/commands`) return json(res, 200, req.method === 'PUT' ? JSON.parse(body || '[]') : []);
    if (route === '/users/@me') return json(res, 200, BOT_USER);
  }

  // Slack Web API: POST /api/<method>.
  if (p === '/slack/api/auth.test') return json(res, 200, { ok: true, url: 'https://example.slack.com/', team: 'Example', user: 'parley', team_id: 'T0000001', user_id: 'U0000001', bot_id: 'B0000001' });

  // Matrix client-server API.
  if (p === '/_matrix/client/v3/account/whoami') return json(res, 200, { user_id: '@parley:localhost', device_id: 'BENCH' });
  if (p === '/_matrix/client/versions') return json(res, 200, { versions: ['v1.11'] });
  if (p === '/_matrix/client/v3/sync') {
    const since = url.searchParams.get('since');
    const answer = () => json(res, 200, { next_batch: `s${Date.now()}`, rooms: { join: {}, invite: {}, leave: {} } });
    return since ? holdThen(req, res, Number(url.searchParams.get('timeout') ?? 0), answer) : answer();
  }

  // Mattermost REST, Discourse, GitLab.
  if (p === '/mattermost/api/v4/users/me') return json(res, 200, { id: 'botuserid0000000000000000a', username: 'parley', is_bot: true });
  if (p === '/discourse/site.json') return json(res, 200, { categories: [] });
  if (p === '/gitlab/api/v4/user') return json(res, 200, { id: 1, username: 'parley' });

  unanswered.push(`${req.method ?? '?'} ${p}`);
  json(res, 404, { message: 'not in the idle stub' });
}

/** The gateway as discord.js needs it to become ready: HELLO, READY for an IDENTIFY, acks for heartbeats. */
function gateway(ws: WebSocket): void {
  let seq = 0;
  const send = (payload: { op: number; d: unknown; s?: number | null; t?: string | null }) => ws.send(JSON.stringify(payload));
  send({ op: 10, d: { heartbeat_interval: 41_250 }, s: null, t: null });
  ws.on('message', (data) => {
    // Text frames, as discord.js sends with encoding=json: ws hands them over as one Buffer.
    const { op } = JSON.parse((data as Buffer).toString('utf8')) as { op: number };
    if (op === 1) send({ op: 11, d: null });
    if (op === 2) {
      const port = (ws as unknown as { _socket?: Socket })._socket?.localPort ?? 0;
      send({
        op: 0,
        s: ++seq,
        t: 'READY',
        d: {
          v: 10,
          user: BOT_USER,
          guilds: [],
          session_id: 'bench-session',
          resume_gateway_url: `ws://127.0.0.1:${port}/discord/gateway`,
          application: { id: APPLICATION_ID, flags: 0 },
        },
      });
    }
  });
}

/** Registers whatever nick it is given (CAP LS answered with no capabilities), echoes JOINs, answers PINGs. */
function ircClient(socket: Socket): void {
  let nick = 'parley';
  let buffer = '';
  const say = (line: string) => socket.write(`${line}\r\n`);
  socket.setEncoding('utf8');
  socket.on('error', () => socket.destroy());
  socket.on('data', (chunk: string) => {
    buffer += chunk;
    let end: number;
    while ((end = buffer.indexOf('\n')) >= 0) {
      const line = buffer.slice(0, end).replace(/\r$/u, '');
      buffer = buffer.slice(end + 1);
      const [command = '', ...args] = line.split(' ');
      switch (command.toUpperCase()) {
        case 'CAP':
          if (args[0] === 'LS') say(':stub CAP * LS :');
          break;
        case 'NICK':
          nick = args[0] ?? nick;
          break;
        case 'USER':
          say(`:stub 001 ${nick} :Welcome`);
          say(`:stub 005 ${nick} CHANTYPES=# PREFIX=(ov)@+ NETWORK=Stub :are supported`);
          say(`:stub 376 ${nick} :End of MOTD`);
          break;
        case 'PING':
          say(`:stub PONG stub ${args.join(' ')}`);
          break;
        case 'JOIN':
          for (const channel of (args[0] ?? '').split(',')) if (channel) say(`:${nick}!bot@stub JOIN ${channel}`);
          break;
        case 'QUIT':
          socket.end();
          break;
      }
    }
  });
}

export async function startIdlePlatforms(): Promise<IdlePlatforms> {
  const unanswered: string[] = [];
  const server = createHttpServer((req, res) => void http(req, res, unanswered).catch(() => json(res, 500, {})));
  const wss = new WebSocketServer({ server, path: '/discord/gateway' });
  wss.on('connection', gateway);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const irc = createTcpServer(ircClient);
  await new Promise<void>((resolve) => irc.listen(0, '127.0.0.1', resolve));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const ircPort = (irc.address() as AddressInfo).port;
  const secret = 'bench-startup-secret-0123456789';
  const env = {
    PARLEY_DISCOURSE_URL: `${base}/discourse`,
    PARLEY_DISCOURSE_API_KEY: 'bench-api-key',
    PARLEY_DISCOURSE_WEBHOOK_SECRET: secret,
    PARLEY_GITLAB_URL: `${base}/gitlab`,
    PARLEY_GITLAB_TOKEN: 'glpat-bench',
    PARLEY_GITLAB_WEBHOOK_SECRET: secret,
    PARLEY_TELEGRAM_TOKEN: '123456:BENCH-token',
    PARLEY_TELEGRAM_API_ROOT: `${base}/telegram`,
    PARLEY_MATTERMOST_URL: `${base}/mattermost`,
    PARLEY_MATTERMOST_TOKEN: 'bench-mattermost-token',
    PARLEY_MATTERMOST_COMMAND_TOKEN: 'bench-command-token',
    PARLEY_SLACK_BOT_TOKEN: 'xoxb-bench',
    PARLEY_SLACK_SIGNING_SECRET: secret,
    PARLEY_SLACK_API_URL: `${base}/slack/api/`,
    PARLEY_DISCORD_TOKEN: 'bench.discord.token',
    PARLEY_DISCORD_APPLICATION_ID: APPLICATION_ID,
    PARLEY_DISCORD_API_URL: `${base}/discord/api`,
    PARLEY_MATRIX_HOMESERVER_URL: base,
    PARLEY_MATRIX_ACCESS_TOKEN: 'bench-matrix-token',
    PARLEY_IRC_SERVER: '127.0.0.1',
    PARLEY_IRC_PORT: String(ircPort),
    PARLEY_IRC_TLS: 'false',
    PARLEY_IRC_CHANNELS: '#bench',
  };
  return {
    env,
    unanswered,
    async close() {
      for (const ws of wss.clients) ws.terminate();
      wss.close();
      server.closeAllConnections();
      irc.close();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
