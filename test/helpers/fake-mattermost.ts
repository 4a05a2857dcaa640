// A small stateful Mattermost REST API for history tests: a channel's posts served newest first in the shape
// Mattermost returns (`order` + `posts` map, with page, per_page and the `before` cursor), users by id and
// by username, and a log of every request. `check` may hand each request to a spec validator first.
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { MattermostChannelPost, MattermostUserProfile } from '../../bots/mattermost/client.js';

export interface RecordedRequest {
  method: string;
  path: string;
  query: URLSearchParams;
  headers: IncomingMessage['headers'];
  body: string;
  /** Date.now() when the request arrived. */
  at: number;
}

export interface Answer {
  status: number;
  body: unknown;
  headers?: Record<string, string>;
}

export interface FakeMattermost {
  url: string;
  requests: RecordedRequest[];
  /** The next answers, before the normal ones (429s, errors). */
  queue: Answer[];
  stop(): Promise<void>;
}

export interface FakeMattermostOptions {
  channelId: string;
  /** Any order; served newest first by create_at. */
  posts: MattermostChannelPost[];
  users: MattermostUserProfile[];
  /** Looked at before the fake answers: a non-null answer is sent instead (a spec violation, say). */
  check?: (request: RecordedRequest) => Promise<Answer | null>;
}

function answerFor(opts: FakeMattermostOptions, req: RecordedRequest): Answer {
  const postsPath = `/api/v4/channels/${opts.channelId}/posts`;
  if (req.method === 'GET' && req.path === postsPath) {
    const newestFirst = [...opts.posts].sort((a, b) => b.create_at - a.create_at);
    const before = req.query.get('before');
    let start = 0;
    if (before) {
      const at = newestFirst.findIndex((p) => p.id === before);
      start = at === -1 ? newestFirst.length : at + 1;
    }
    const perPage = Number(req.query.get('per_page') ?? 60);
    const page = Number(req.query.get('page') ?? 0);
    const slice = newestFirst.slice(start + page * perPage, start + (page + 1) * perPage);
    const posts: Record<string, MattermostChannelPost> = Object.fromEntries(slice.map((p) => [p.id, p]));
    // Mattermost adds the roots of replies on the page to `posts`, not to `order`.
    for (const p of slice) {
      const root = p.root_id ? opts.posts.find((r) => r.id === p.root_id) : undefined;
      if (root) posts[root.id] = root;
    }
    return { status: 200, body: { order: slice.map((p) => p.id), posts, next_post_id: '', prev_post_id: '', has_next: false } };
  }
  if (req.method === 'POST' && req.path === '/api/v4/users/ids') {
    const ids = JSON.parse(req.body) as string[];
    return { status: 200, body: opts.users.filter((u) => ids.includes(u.id)) };
  }
  if (req.method === 'POST' && req.path === '/api/v4/users/usernames') {
    const names = JSON.parse(req.body) as string[];
    return { status: 200, body: opts.users.filter((u) => names.includes(u.username)) };
  }
  return { status: 404, body: { id: 'api.context.404.app_error', message: 'Sorry, we could not find the page.', status_code: 404 } };
}

export async function startFakeMattermost(opts: FakeMattermostOptions): Promise<FakeMattermost> {
  const requests: RecordedRequest[] = [];
  const queue: Answer[] = [];
  const server: Server = createServer((req, res) => {
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (chunk: string) => (body += chunk));
    req.on('end', () => {
      const url = new URL(req.url ?? '/', 'http://fake');
      const recorded: RecordedRequest = { method: req.method ?? '', path: url.pathname, query: url.searchParams, headers: req.headers, body, at: Date.now() };
      requests.push(recorded);
      void (async () => {
        let answer: Answer;
        try {
          answer = (await opts.check?.(recorded)) ?? queue.shift() ?? answerFor(opts, recorded);
        } catch (err) {
          answer = { status: 500, body: { message: (err as Error).message } };
        }
        res.writeHead(answer.status, { 'content-type': 'application/json', ...answer.headers });
        res.end(JSON.stringify(answer.body));
      })();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    requests,
    queue,
    stop: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
