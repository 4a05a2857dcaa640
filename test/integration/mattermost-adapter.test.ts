// The Mattermost adapter against what it talks to: Fastify's inject for the slash command route, and
// local HTTP servers playing an incoming webhook, a slash command's response_url and the REST API.
import { test, describe, before, after, beforeEach } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import Fastify, { type FastifyInstance } from 'fastify';
import type { AdapterDeps, PlatformAdapter } from '../../lib/seams/platform.js';
import { mattermost } from '../../bots/mattermost/index.js';
import { createMattermostAdapter } from '../../bots/mattermost/adapter.js';
import type { MattermostContext } from '../../bots/mattermost/context.js';
import { pendingPostId } from '../../bots/mattermost/sender.js';
import type { MattermostSettings } from '../../bots/mattermost/settings.js';
import type { CommandInvocation, CommandReply } from '../../lib/seams/invocation.js';
import { PlatformPermanentError, PlatformRateLimitedError, PlatformTransientError, PlatformUnreachableError } from '../../lib/errors.js';
import { silentLogger } from '../../lib/log.js';
import type { Notification } from '../../lib/notification.js';
import { openStore } from '../../lib/store/index.js';
import type { ChannelRecord, Store } from '../../lib/seams/store.js';
import { rejection } from '../helpers/rejection.js';

const WAIT_MS = 5000;
const COMMAND_TOKEN = 'xkcd936correcthorsebattery';
const BOT_TOKEN = 'bot-token-9kg8nqrnxprd9jbykqeg4r51hw';

interface Recorded {
  method: string;
  url: string;
  headers: IncomingMessage['headers'];
  body: string;
}

/** A local HTTP server that records every request and answers with the current `respond`. */
class FakeServer {
  readonly requests: Recorded[] = [];
  respond: (req: Recorded, res: ServerResponse) => void = (_req, res) => res.end('ok');
  private waiters: (() => void)[] = [];
  private server: Server = createServer((req, res) => {
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (c: string) => (body += c));
    req.on('end', () => {
      const rec = { method: req.method ?? '', url: req.url ?? '', headers: req.headers, body };
      this.requests.push(rec);
      this.respond(rec, res);
      for (const w of this.waiters.splice(0)) w();
    });
  });
  url = '';

  async start(): Promise<this> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    return this;
  }

  async stop(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  reset(): void {
    this.requests.length = 0;
    this.respond = (_req, res) => res.end('ok');
  }

  /** Resolves once `count` requests have arrived, or fails after WAIT_MS. */
  async waitFor(count: number): Promise<Recorded[]> {
    const deadline = Date.now() + WAIT_MS;
    while (this.requests.length < count) {
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`expected ${count} request(s), got ${this.requests.length}`);
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, left);
        this.waiters.push(() => {
          clearTimeout(t);
          resolve();
        });
      });
    }
    return this.requests;
  }
}

function json(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  res.writeHead(status, { 'content-type': 'application/json', ...headers });
  res.end(JSON.stringify(body));
}

const notification: Notification = {
  kind: 'new_topic',
  title: 'Welcome to the forum',
  url: 'https://forum.example.org/t/welcome/1/1',
  author: 'Sam (@sam)',
  category: { name: 'Meta', path: 'meta', color: 'F1592A' },
  tags: ['intro'],
  excerpt: 'Hello *all*, read [this](https://x.example)',
  thread: 'discourse:topic:1',
  subject: 'discourse:post:10',
};

const expectedAttachment = {
  fallback: 'New topic in Meta: Welcome to the forum by Sam (@\u200Bsam) https://forum.example.org/t/welcome/1/1',
  color: '#F1592A',
  author_name: 'Sam (@\u200Bsam)',
  title: 'Welcome to the forum',
  title_link: 'https://forum.example.org/t/welcome/1/1',
  text: 'Hello \\*all\\*, read \\[this\\](https://x.example)',
  fields: [
    { title: 'Category', value: 'Meta', short: true },
    { title: 'Tags', value: 'intro', short: true },
  ],
};

let store: Store;
let mm: FakeServer;

before(async () => {
  store = await openStore({ kind: 'sqlite', path: ':memory:' });
  mm = await new FakeServer().start();
});

after(async () => {
  await mm.stop();
  await store.close();
});

beforeEach(() => mm.reset());

function deps(handleCommand: AdapterDeps['handleCommand'] = async () => ({ text: 'ok', visibility: 'ephemeral' })): AdapterDeps {
  return { log: silentLogger, store, handleCommand, handleMembership: async () => null, messageLog: { record: async () => undefined, forget: () => undefined } };
}

/** The adapter's settings against the fake server: a bot token, slash command tokens, or both. */
function settings(own: Partial<MattermostSettings>): MattermostSettings {
  return { url: mm.url, token: null, commandTokens: [], ...own };
}

async function channel(externalId: string, webhookUrl?: string): Promise<ChannelRecord> {
  const { channel } = await store.channels.ensure({ platform: 'mattermost', externalId, name: `team/${externalId}`, status: 'active', addedBy: 'cli', settings: webhookUrl ? { webhookUrl } : {} });
  return channel;
}


describe('the factory', () => {
  test('is configured by PARLEY_MATTERMOST_URL and says how to configure it otherwise', async () => {
    assert.equal(mattermost.configure({}, { publicUrl: null }).platform, null);
    const configured = mattermost.configure({ PARLEY_MATTERMOST_URL: mm.url, PARLEY_MATTERMOST_COMMAND_TOKEN: 't' }, { publicUrl: null }).platform;
    assert.notEqual(configured, null);
    assert.match(mattermost.howToConfigure, /PARLEY_MATTERMOST_URL/);
    const adapter = await configured!.create(deps());
    assert.equal(adapter.platform, 'mattermost');
    assert.deepEqual(adapter.rateLimits, { perChannel: [{ max: 1, durationMs: 1000 }], perPlatform: { max: 10, durationMs: 1000 } });
  });
});

describe('slash command route', () => {
  const apps: FastifyInstance[] = [];
  after(async () => {
    for (const app of apps) await app.close();
  });

  async function appWith(adapter: PlatformAdapter): Promise<FastifyInstance> {
    const app = Fastify({ logger: false });
    adapter.registerRoutes?.(app);
    await app.ready();
    apps.push(app);
    return app;
  }

  function recorder(reply: CommandReply | ((inv: CommandInvocation) => Promise<CommandReply>)) {
    const calls: CommandInvocation<MattermostContext>[] = [];
    const handle = async (inv: CommandInvocation<MattermostContext>) => {
      calls.push(inv);
      return typeof reply === 'function' ? reply(inv) : reply;
    };
    return { calls, handle };
  }

  const form = (fields: Record<string, string>) => new URLSearchParams(fields).toString();
  const fields = {
    channel_id: 'jux16pkewjrkfj3ehep1psxyxc',
    channel_name: 'town-square',
    command: '/discourse',
    response_url: 'http://127.0.0.1:9/hooks/commands/unused',
    team_domain: 'acme',
    team_id: 'carya1qs77bemjup96ff538snh',
    text: 'watch c/meta',
    token: COMMAND_TOKEN,
    user_id: 'aoa1agao6t8fmx3ikt1j9w5ybw',
    user_name: 'somename',
  };

  test('a form-encoded command reaches the core and its reply comes back ephemeral and escaped', async () => {
    const rec = recorder({ text: 'Now watching c/meta_team *for you*', visibility: 'ephemeral' });
    const app = await appWith(createMattermostAdapter(deps(rec.handle), settings({ commandTokens: [COMMAND_TOKEN] })));
    const res = await app.inject({ method: 'POST', url: '/hooks/mattermost/command', headers: { 'content-type': 'application/x-www-form-urlencoded' }, payload: form(fields) });
    assert.equal(res.statusCode, 200);
    assert.match(String(res.headers['content-type']), /application\/json/);
    assert.deepEqual(res.json(), { response_type: 'ephemeral', text: 'Now watching c/meta\\_team \\*for you\\*' });
    const receivedAt = rec.calls[0]?.platformContext?.receivedAt;
    assert.deepEqual(rec.calls, [
      {
        platform: 'mattermost',
        command: 'discourse',
        args: 'watch c/meta',
        channel: { externalId: 'jux16pkewjrkfj3ehep1psxyxc', name: 'acme/town-square', isPrivate: false },
        user: { id: 'aoa1agao6t8fmx3ikt1j9w5ybw', username: 'somename', displayName: 'somename' },
        // What replyLater needs: the response_url, and when it was handed over (it expires after 30 minutes).
        platformContext: { teamId: 'carya1qs77bemjup96ff538snh', responseUrl: fields.response_url, receivedAt },
      },
    ]);
    assert.ok(Math.abs(Number(receivedAt) - Date.now()) < 60_000, `receivedAt ${receivedAt} is the time of the request`);
  });

  test('a JSON command works too, and a channel reply is in_channel', async () => {
    const rec = recorder({ text: 'Rules:\n1. watch all', visibility: 'channel' });
    const app = await appWith(createMattermostAdapter(deps(rec.handle), settings({ commandTokens: [COMMAND_TOKEN] })));
    const res = await app.inject({ method: 'POST', url: '/hooks/mattermost/command', payload: { ...fields, text: 'status' } });
    assert.equal(res.statusCode, 200);
    assert.deepEqual(res.json(), { response_type: 'in_channel', text: 'Rules:\n1. watch all' });
    assert.equal(rec.calls[0]?.args, 'status');
  });

  test('the token may come in the Authorization header instead, as Mattermost also sends it', async () => {
    const rec = recorder({ text: 'ok', visibility: 'ephemeral' });
    const app = await appWith(createMattermostAdapter(deps(rec.handle), settings({ commandTokens: [COMMAND_TOKEN] })));
    const { token: _token, ...noToken } = fields;
    const res = await app.inject({ method: 'POST', url: '/hooks/mattermost/command', headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: `Token ${COMMAND_TOKEN}` }, payload: form(noToken) });
    assert.equal(res.statusCode, 200);
    assert.equal(rec.calls.length, 1);
  });

  test('a wrong or missing token is refused with 401 and never reaches the core', async () => {
    const rec = recorder({ text: 'ok', visibility: 'ephemeral' });
    const app = await appWith(createMattermostAdapter(deps(rec.handle), settings({ commandTokens: [COMMAND_TOKEN] })));
    const wrong = await app.inject({ method: 'POST', url: '/hooks/mattermost/command', headers: { 'content-type': 'application/x-www-form-urlencoded' }, payload: form({ ...fields, token: `${COMMAND_TOKEN}x` }) });
    assert.equal(wrong.statusCode, 401);
    assert.ok(typeof wrong.json<{ error: string }>().error === 'string');
    const { token: _token, ...noToken } = fields;
    const missing = await app.inject({ method: 'POST', url: '/hooks/mattermost/command', payload: noToken });
    assert.equal(missing.statusCode, 401);
    const badHeader = await app.inject({ method: 'POST', url: '/hooks/mattermost/command', headers: { authorization: 'Token nope' }, payload: noToken });
    assert.equal(badHeader.statusCode, 401);
    assert.equal(rec.calls.length, 0);
  });

  test('without a configured command token the route answers 503 naming the variable', async () => {
    const rec = recorder({ text: 'ok', visibility: 'ephemeral' });
    const app = await appWith(createMattermostAdapter(deps(rec.handle), settings({ token: BOT_TOKEN })));
    const res = await app.inject({ method: 'POST', url: '/hooks/mattermost/command', payload: fields });
    assert.equal(res.statusCode, 503);
    assert.match(res.json<{ error: string }>().error, /PARLEY_MATTERMOST_COMMAND_TOKEN must be set/);
    assert.equal(rec.calls.length, 0);
  });

  test('a direct message channel is private and named after the issuer', async () => {
    const rec = recorder({ text: 'ok', visibility: 'ephemeral' });
    const app = await appWith(createMattermostAdapter(deps(rec.handle), settings({ commandTokens: [COMMAND_TOKEN] })));
    await app.inject({ method: 'POST', url: '/hooks/mattermost/command', payload: { ...fields, channel_name: 'aoa1agao6t8fmx3ikt1j9w5ybw__k1x4aqdjy3813c84m771eoc9xo' } });
    assert.deepEqual(rec.calls[0]?.channel, { externalId: fields.channel_id, name: 'acme/direct message with @somename', isPrivate: true });
  });

  test('a command word Parley does not handle gets an ephemeral explanation, not the core', async () => {
    const rec = recorder({ text: 'ok', visibility: 'ephemeral' });
    const app = await appWith(createMattermostAdapter(deps(rec.handle), settings({ commandTokens: [COMMAND_TOKEN] })));
    const res = await app.inject({ method: 'POST', url: '/hooks/mattermost/command', payload: { ...fields, command: '/weather' } });
    assert.equal(res.statusCode, 200);
    const body = res.json<{ response_type: string; text: string }>();
    assert.equal(body.response_type, 'ephemeral');
    assert.match(body.text, /\/discourse/);
    assert.equal(rec.calls.length, 0);
  });

  test('a slow command is answered "working on it" at once, then for real through response_url', async () => {
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const rec = recorder(async () => {
      await gate;
      return { text: 'Collected 12 messages: @here see _this_', visibility: 'channel' };
    });
    // The handler cannot finish before the test releases it, so the deadline always passes first.
    const adapter = createMattermostAdapter(deps(rec.handle), settings({ commandTokens: [COMMAND_TOKEN] }), { commandDeadlineMs: 20 });
    const app = await appWith(adapter);
    const res = await app.inject({ method: 'POST', url: '/hooks/mattermost/command', payload: { ...fields, response_url: `${mm.url}/hooks/commands/zozc1xwxybdedeyz8djwjpngny` } });
    assert.equal(res.statusCode, 200);
    assert.deepEqual(res.json(), { response_type: 'ephemeral', text: 'Working on it…' });
    assert.equal(mm.requests.length, 0);

    release();
    const [late] = await mm.waitFor(1);
    assert.equal(late?.method, 'POST');
    assert.equal(late?.url, '/hooks/commands/zozc1xwxybdedeyz8djwjpngny');
    assert.match(String(late?.headers['content-type']), /application\/json/);
    assert.deepEqual(JSON.parse(late?.body ?? ''), { response_type: 'in_channel', text: 'Collected 12 messages: @\u200Bhere see \\_this\\_' });
    await adapter.stop();
  });
});

describe('notifications through an incoming webhook', () => {
  test('posts exactly the attachment payload and returns no message reference', async () => {
    const adapter = createMattermostAdapter(deps(), settings({ commandTokens: [COMMAND_TOKEN] }));
    const ch = await channel('wh-ok', `${mm.url}/hooks/xxx-generatedkey-xxx`);
    const result = await adapter.sendNotification(ch, notification, { threadRoot: 'some-root-post', idempotencyKey: 'job-1' });
    assert.deepEqual(result, { messageRef: null });
    const [req] = await mm.waitFor(1);
    assert.equal(req?.method, 'POST');
    assert.equal(req?.url, '/hooks/xxx-generatedkey-xxx');
    assert.match(String(req?.headers['content-type']), /application\/json/);
    assert.equal(req?.headers.authorization, undefined);
    // No root_id through a webhook: the reply goes out unthreaded.
    assert.deepEqual(JSON.parse(req?.body ?? ''), { attachments: [expectedAttachment] });
  });

  test('the webhook is used even when a bot token is set', async () => {
    const adapter = createMattermostAdapter(deps(), settings({ token: BOT_TOKEN }));
    const ch = await channel('wh-with-token', `${mm.url}/hooks/abc`);
    await adapter.sendNotification(ch, notification, { threadRoot: null, idempotencyKey: 'job-2' });
    assert.deepEqual(mm.requests.map((r) => r.url), ['/hooks/abc']);
  });

  test('429 with Retry-After is a rate limit with the right wait', async () => {
    mm.respond = (_req, res) => {
      res.writeHead(429, { 'retry-after': '7', 'x-ratelimit-reset': '7', 'content-type': 'text/plain' });
      res.end('limit exceeded');
    };
    const adapter = createMattermostAdapter(deps(), settings({ commandTokens: [COMMAND_TOKEN] }));
    const err = await rejection(adapter.sendNotification(await channel('wh-429', `${mm.url}/hooks/k`), notification, { threadRoot: null, idempotencyKey: 'job-3' }));
    assert.ok(err instanceof PlatformRateLimitedError, String(err));
    assert.equal(err.retryAfterMs, 7000);
  });

  test('429 with only X-Ratelimit-Reset waits that many seconds', async () => {
    mm.respond = (_req, res) => {
      res.writeHead(429, { 'x-ratelimit-reset': '3' });
      res.end('limit exceeded');
    };
    const adapter = createMattermostAdapter(deps(), settings({ commandTokens: [COMMAND_TOKEN] }));
    const err = await rejection(adapter.sendNotification(await channel('wh-429b', `${mm.url}/hooks/k`), notification, { threadRoot: null, idempotencyKey: 'job-4' }));
    assert.ok(err instanceof PlatformRateLimitedError);
    assert.equal(err.retryAfterMs, 3000);
  });

  test('500 is transient for this post only; a refused connection is Mattermost unreachable', async () => {
    mm.respond = (_req, res) => json(res, 500, { id: 'app.error', message: 'db down', status_code: 500 });
    const adapter = createMattermostAdapter(deps(), settings({ commandTokens: [COMMAND_TOKEN] }));
    const err = await rejection(adapter.sendNotification(await channel('wh-500', `${mm.url}/hooks/k`), notification, { threadRoot: null, idempotencyKey: 'job-5' }));
    assert.ok(err instanceof PlatformTransientError, String(err));
    assert.ok(!(err instanceof PlatformUnreachableError), "a 500 is one request's failure, not Mattermost down");

    const closed = new FakeServer();
    await closed.start();
    const deadUrl = `${closed.url}/hooks/k`;
    await closed.stop();
    const refused = await rejection(adapter.sendNotification(await channel('wh-refused', deadUrl), notification, { threadRoot: null, idempotencyKey: 'job-6' }));
    assert.ok(refused instanceof PlatformUnreachableError, String(refused));
    assert.ok(!refused.message.includes('/hooks/k'), 'the webhook URL (a secret) is not in the error');
  });

  test("502, 503 and 504 from the proxy in front are Mattermost unreachable, waiting its Retry-After (not the limiter's reset)", async () => {
    const adapter = createMattermostAdapter(deps(), settings({ commandTokens: [COMMAND_TOKEN] }));
    for (const [status, headers, wait] of [
      [502, {}, undefined],
      [503, { 'retry-after': '30', 'x-ratelimit-reset': '2' }, 30_000],
      [504, { 'x-ratelimit-reset': '2' }, undefined],
    ] as const) {
      mm.respond = (_req, res) => {
        res.writeHead(status, { 'content-type': 'text/html', ...headers });
        res.end(`<html><body><h1>${status}</h1>upstream for ${mm.url}/hooks/k is down</body></html>`);
      };
      const err = await rejection(adapter.sendNotification(await channel(`wh-${status}`, `${mm.url}/hooks/k`), notification, { threadRoot: null, idempotencyKey: `job-${status}` }));
      assert.ok(err instanceof PlatformUnreachableError, `${status}: ${String(err)}`);
      assert.equal(err.retryAfterMs, wait, String(status));
      assert.match(err.message, new RegExp(`HTTP ${status}`));
      assert.ok(!err.message.includes('/hooks/k'), 'the webhook key quoted by the proxy is not in the error');
    }
  });

  test('a webhook Mattermost no longer knows (400 or 404) is permanent: channel_not_found', async () => {
    const adapter = createMattermostAdapter(deps(), settings({ commandTokens: [COMMAND_TOKEN] }));
    mm.respond = (_req, res) => json(res, 400, { id: 'web.incoming_webhook.invalid.app_error', message: 'Invalid webhook.', status_code: 400 });
    const e400 = await rejection(adapter.sendNotification(await channel('wh-400', `${mm.url}/hooks/gone`), notification, { threadRoot: null, idempotencyKey: 'job-7' }));
    assert.ok(e400 instanceof PlatformPermanentError, String(e400));
    assert.equal(e400.reason, 'channel_not_found');
    assert.match(e400.message, /--webhook-url/);

    mm.respond = (_req, res) => {
      res.writeHead(404, { 'content-type': 'text/plain' });
      res.end('404 page not found');
    };
    const e404 = await rejection(adapter.sendNotification(await channel('wh-404', `${mm.url}/hooks/gone`), notification, { threadRoot: null, idempotencyKey: 'job-8' }));
    assert.ok(e404 instanceof PlatformPermanentError);
    assert.equal(e404.reason, 'channel_not_found');
  });

  test('any other 400 is a permanent bad_request', async () => {
    mm.respond = (_req, res) => json(res, 400, { id: 'web.incoming_webhook.text.app_error', message: 'No text specified', status_code: 400 });
    const adapter = createMattermostAdapter(deps(), settings({ commandTokens: [COMMAND_TOKEN] }));
    const err = await rejection(adapter.sendNotification(await channel('wh-400b', `${mm.url}/hooks/k`), notification, { threadRoot: null, idempotencyKey: 'job-9' }));
    assert.ok(err instanceof PlatformPermanentError);
    assert.equal(err.reason, 'bad_request');
  });
});

describe('notifications through the REST API', () => {
  test('posts the attachment with the bot token, threaded, with a stable pending_post_id', async () => {
    mm.respond = (req, res) => json(res, 201, { id: `post-${mm.requests.length}`, channel_id: (JSON.parse(req.body) as { channel_id: string }).channel_id });
    const adapter = createMattermostAdapter(deps(), settings({ token: BOT_TOKEN }));
    const ch = await channel('4xp9fdt77pncbef59f4k1qe83o');
    const first = await adapter.sendNotification(ch, notification, { threadRoot: 'rootpost00000000000000000a', idempotencyKey: 'deliver:post-10:7' });
    const again = await adapter.sendNotification(ch, notification, { threadRoot: 'rootpost00000000000000000a', idempotencyKey: 'deliver:post-10:7' });
    assert.deepEqual(first, { messageRef: 'post-1' });
    assert.deepEqual(again, { messageRef: 'post-2' });
    const [a, b] = mm.requests;
    assert.equal(a?.url, '/api/v4/posts');
    assert.equal(a?.headers.authorization, `Bearer ${BOT_TOKEN}`);
    const body = JSON.parse(a?.body ?? '') as Record<string, unknown>;
    assert.deepEqual(body, {
      channel_id: '4xp9fdt77pncbef59f4k1qe83o',
      message: '',
      props: { attachments: [expectedAttachment] },
      root_id: 'rootpost00000000000000000a',
      pending_post_id: pendingPostId('deliver:post-10:7'),
    });
    // Mattermost's own shape, `<user id>:<milliseconds>`, and the same on a retry so the server can dedupe.
    assert.match(String(body.pending_post_id), /^[a-z0-9]{26}:\d{13}$/);
    assert.equal((JSON.parse(b?.body ?? '') as Record<string, unknown>).pending_post_id, body.pending_post_id);
    assert.notEqual(pendingPostId('deliver:post-11:7'), body.pending_post_id);
  });

  test('a first post has no root_id', async () => {
    mm.respond = (_req, res) => json(res, 201, { id: 'p1', channel_id: 'c' });
    const adapter = createMattermostAdapter(deps(), settings({ token: BOT_TOKEN }));
    await adapter.sendNotification(await channel('rest-noroot'), notification, { threadRoot: null, idempotencyKey: 'k' });
    assert.equal('root_id' in (JSON.parse(mm.requests[0]?.body ?? '') as object), false);
  });

  test('401 means the token was revoked; 403 that the bot cannot post there; 404 that the channel is gone', async () => {
    const adapter = createMattermostAdapter(deps(), settings({ token: BOT_TOKEN }));
    const ch = await channel('rest-errors');
    const cases: [number, string][] = [
      [401, 'token_revoked'],
      [403, 'bot_removed'],
      [404, 'channel_not_found'],
    ];
    for (const [status, reason] of cases) {
      mm.respond = (_req, res) => json(res, status, { id: 'api.error', message: 'nope', status_code: status });
      const err = await rejection(adapter.sendNotification(ch, notification, { threadRoot: null, idempotencyKey: `k${status}` }));
      assert.ok(err instanceof PlatformPermanentError, `${status}: ${String(err)}`);
      assert.equal(err.reason, reason);
      assert.ok(!err.message.includes(BOT_TOKEN));
    }
  });

  test('edit: PATCH the post with the new attachment; delete: DELETE it; a post already gone is message_not_found; 403 is forbidden', async () => {
    const adapter = createMattermostAdapter(deps(), settings({ token: BOT_TOKEN }));
    assert.equal(typeof adapter.editNotification, 'function');
    assert.equal(typeof adapter.deleteNotification, 'function');
    const ch = await channel('rest-edit');
    mm.respond = (_req, res) => json(res, 200, { id: 'post-1', channel_id: 'c' });
    await adapter.editNotification!(ch, 'post-1', { ...notification, excerpt: 'Corrected' });
    await adapter.deleteNotification!(ch, 'post-1');
    const [edit, del] = mm.requests;
    assert.equal(edit?.method, 'PUT');
    assert.equal(edit?.url, '/api/v4/posts/post-1/patch');
    assert.equal(edit?.headers.authorization, `Bearer ${BOT_TOKEN}`);
    assert.deepEqual(JSON.parse(edit?.body ?? ''), { message: '', props: { attachments: [{ ...expectedAttachment, text: 'Corrected' }] } });
    assert.equal(del?.method, 'DELETE');
    assert.equal(del?.url, '/api/v4/posts/post-1');

    mm.respond = (_req, res) => json(res, 404, { id: 'app.post.get.app_error', message: 'Unable to get the post.', status_code: 404 });
    for (const call of [adapter.editNotification!(ch, 'gone', notification), adapter.deleteNotification!(ch, 'gone')]) {
      const gone = await rejection(call);
      assert.ok(gone instanceof PlatformPermanentError);
      assert.equal(gone.reason, 'message_not_found');
    }
    mm.respond = (_req, res) => json(res, 403, { id: 'api.context.permissions.app_error', message: 'no permission', status_code: 403 });
    const err = await rejection(adapter.deleteNotification!(ch, 'post-1'));
    assert.ok(err instanceof PlatformPermanentError);
    assert.equal(err.reason, 'forbidden');
  });

  test('without a bot token, posts sent through a webhook cannot be edited', () => {
    const adapter = createMattermostAdapter(deps(), settings({ commandTokens: [COMMAND_TOKEN] }));
    assert.equal(adapter.editNotification, undefined);
    assert.equal(adapter.deleteNotification, undefined);
  });

  test('with neither webhook nor token the error is permanent and says how to fix it', async () => {
    const adapter = createMattermostAdapter(deps(), settings({ commandTokens: [COMMAND_TOKEN] }));
    const err = await rejection(adapter.sendNotification(await channel('nowhere'), notification, { threadRoot: null, idempotencyKey: 'k' }));
    assert.ok(err instanceof PlatformPermanentError);
    assert.equal(err.reason, 'not_configured');
    assert.match(err.message, /parley channels add mattermost:nowhere --webhook-url URL/);
    assert.match(err.message, /PARLEY_MATTERMOST_TOKEN/);
    assert.equal(mm.requests.length, 0);
  });
});

describe('member roles and health', () => {
  const invocation: CommandInvocation<MattermostContext> = {
    platform: 'mattermost',
    command: 'discourse',
    args: 'watch all',
    channel: { externalId: 'chan00000000000000000000aa', name: 'acme/town-square', isPrivate: false },
    user: { id: 'user00000000000000000000aa', username: 'sam', displayName: 'sam' },
    platformContext: { teamId: 'team00000000000000000000aa' },
  };

  function mattermostWithRoles(roles: { user?: string; channel?: string; channelSchemeAdmin?: boolean; team?: string }) {
    mm.respond = (req, res) => {
      if (req.url === '/api/v4/users/user00000000000000000000aa') return json(res, 200, { id: 'user00000000000000000000aa', username: 'sam', roles: roles.user ?? 'system_user' });
      if (req.url === '/api/v4/channels/chan00000000000000000000aa/members/user00000000000000000000aa') {
        return json(res, 200, { channel_id: 'chan00000000000000000000aa', user_id: 'user00000000000000000000aa', roles: roles.channel ?? 'channel_user', scheme_admin: roles.channelSchemeAdmin ?? false });
      }
      if (req.url === '/api/v4/teams/team00000000000000000000aa/members/user00000000000000000000aa') {
        return json(res, 200, { team_id: 'team00000000000000000000aa', user_id: 'user00000000000000000000aa', roles: roles.team ?? 'team_user' });
      }
      json(res, 404, { id: 'api.not_found', message: 'not found', status_code: 404 });
    };
  }

  test('without a token the role is unknown, with the way out', async () => {
    const adapter = createMattermostAdapter(deps(), settings({ commandTokens: [COMMAND_TOKEN] }));
    assert.deepEqual(await adapter.memberRole(invocation), {
      role: 'unknown',
      why: 'Parley cannot read Mattermost roles: set PARLEY_MATTERMOST_TOKEN (a bot account token) or PARLEY_RULES_PERMISSION=anyone',
    });
  });

  test('system, channel and team admins are moderators; others are members', async () => {
    const adapter = createMattermostAdapter(deps(), settings({ token: BOT_TOKEN }));
    mattermostWithRoles({ user: 'system_user system_admin' });
    assert.deepEqual(await adapter.memberRole(invocation), { role: 'moderator' });
    assert.equal(mm.requests.length, 1, 'a system admin needs no further lookups');
    assert.equal(mm.requests[0]?.headers.authorization, `Bearer ${BOT_TOKEN}`);

    mattermostWithRoles({ channel: 'channel_user channel_admin' });
    assert.deepEqual(await adapter.memberRole(invocation), { role: 'moderator' });
    mattermostWithRoles({ channelSchemeAdmin: true });
    assert.deepEqual(await adapter.memberRole(invocation), { role: 'moderator' });
    mattermostWithRoles({ team: 'team_user team_admin' });
    assert.deepEqual(await adapter.memberRole(invocation), { role: 'moderator' });
    mattermostWithRoles({});
    assert.deepEqual(await adapter.memberRole(invocation), { role: 'member' });
  });

  test('a failed lookup is unknown with the reason', async () => {
    mm.respond = (_req, res) => json(res, 500, { id: 'app.error', message: 'db down', status_code: 500 });
    const adapter = createMattermostAdapter(deps(), settings({ token: BOT_TOKEN }));
    const role = await adapter.memberRole(invocation);
    assert.equal(role.role, 'unknown');
    assert.match(role.role === 'unknown' ? role.why : '', /db down/);
  });

  test('health: webhook-only without a token; users/me with one', async () => {
    assert.deepEqual(await createMattermostAdapter(deps(), settings({ commandTokens: [COMMAND_TOKEN] })).health(), { ok: true, detail: 'webhook-only' });
    assert.equal(mm.requests.length, 0);

    mm.respond = (_req, res) => json(res, 200, { id: 'bot00000000000000000000aaa', username: 'parley-bot', roles: 'system_user' });
    const adapter = createMattermostAdapter(deps(), settings({ token: BOT_TOKEN }));
    assert.deepEqual(await adapter.health(), { ok: true, detail: '@parley-bot' });
    assert.equal(mm.requests[0]?.url, '/api/v4/users/me');

    mm.respond = (_req, res) => json(res, 401, { id: 'api.context.session_expired.app_error', message: 'Invalid or expired session', status_code: 401 });
    const bad = await adapter.health();
    assert.equal(bad.ok, false);
    assert.match(bad.detail ?? '', /PARLEY_MATTERMOST_TOKEN/);
  });
});
