// The web role's listening socket, opened before anything else loads (docs/architecture.md#roles-and-processes):
// while Parley loads and connects, GET /healthz says the process lives, /readyz that it is not ready yet, and any
// other request gets 503 with Retry-After, so that a forum or platform retries its webhook. Once the web role's
// fastify app is ready, every request goes to it as fastify's own server would hand it over (`routing`), except
// /readyz, which keeps answering "starting" until every role runs.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { FastifyInstance } from 'fastify';
import type { Logger } from '../../lib/log.js';

export interface Listener {
  /** Base URL of the server, as `listening on` logs it. */
  readonly url: string;
  /** Hands every request but /readyz to `app` from now on; resolves once the app is ready to take them. */
  serve(app: FastifyInstance): Promise<void>;
  /** Every role runs: /readyz is the app's own from now on. */
  ready(): void;
  /** Stops accepting connections; resolves when those open have finished their requests. Once: again, the same promise. */
  close(): Promise<void>;
}

type Handler = (req: IncomingMessage, res: ServerResponse) => void;

function answer(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store', ...headers }).end(JSON.stringify(body));
}

/** What answers before the app can. */
const whileStarting: Handler = (req, res) => {
  const path = (req.url ?? '/').split('?', 1)[0];
  if (path === '/healthz') return answer(res, 200, { ok: true, starting: true });
  if (path === '/readyz') return answer(res, 503, { ok: false, starting: true, checks: {} });
  answer(res, 503, { error: { code: 'parley_starting', message: 'Parley is starting: try again in a moment' } }, { 'retry-after': '1' });
};

function listen(server: Server, port: number, host: string): Promise<AddressInfo> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve(server.address() as AddressInfo);
    });
  });
}

/** Listens on `host` and `port` (0: any free port). `localhost` is both 127.0.0.1 and ::1, as fastify takes it. */
export async function openListener(opts: { port: number; host: string; log: Logger }): Promise<Listener> {
  let handler: Handler = whileStarting;
  let app: FastifyInstance | null = null;
  let allReady = false;
  let closed: Promise<void> | undefined;
  const route: Handler = (req, res) => {
    if (app && !allReady && (req.url ?? '/').split('?', 1)[0] === '/readyz') return whileStarting(req, res);
    handler(req, res);
  };
  const main = createServer(route);
  const servers = [main];
  const address = await listen(main, opts.port, opts.host === 'localhost' ? '127.0.0.1' : opts.host);
  if (opts.host === 'localhost') {
    // Like fastify: the second family is a bonus, a machine without IPv6 still serves 127.0.0.1.
    const v6 = createServer(route);
    try {
      await listen(v6, address.port, '::1');
      servers.push(v6);
    } catch (err) {
      opts.log.debug({ err }, 'localhost: not listening on ::1');
    }
  }
  const host = address.address === '0.0.0.0' ? '127.0.0.1' : address.address === '::' ? '::1' : address.address;
  const url = `http://${host.includes(':') ? `[${host}]` : host}:${address.port}`;
  opts.log.info(`listening on ${url}`);
  return {
    url,
    async serve(fastify) {
      await fastify.ready();
      // The timeouts fastify set on the server it made and never listens on (keep-alive 72 s, no request timeout).
      const own = fastify.server;
      for (const server of servers) {
        server.keepAliveTimeout = own.keepAliveTimeout;
        server.requestTimeout = own.requestTimeout;
        server.setTimeout(own.timeout);
        server.maxRequestsPerSocket = own.maxRequestsPerSocket;
      }
      app = fastify;
      handler = (req, res) => fastify.routing(req, res);
    },
    ready() {
      allReady = true;
    },
    close() {
      closed ??= Promise.all(servers.map((s) => new Promise<void>((resolve) => s.close(() => resolve())))).then(() => undefined);
      return closed;
    },
  };
}
