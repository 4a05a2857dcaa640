// A test message (POST /api/channels/:id/test, cli/admin/routes-test-message.ts) sent through real adapters to
// stand-ins for the platforms: Telegram's Bot API emulator (telegram-test-api) takes it and the message is seen
// arriving; a Mattermost incoming webhook that no longer exists refuses it, and the answer carries the platform's
// code, message and raw answer. The same refusal met by a real delivery (jobs/deliver.ts) puts the channel in error
// with that raw answer, which GET /api/channels shows as lastError.raw. A test never changes a channel's status.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, test } from 'node:test';
import type { Job } from 'bullmq';
import type { FastifyInstance, LightMyRequestResponse } from 'fastify';
import { createMattermostAdapter } from '../../bots/mattermost/adapter.js';
import { PLATFORMS } from '../../bots/registry.js';
import { telegram } from '../../bots/telegram/index.js';
import type { ChannelLimiter } from '../../jobs/channel-limiter.js';
import { createDeliverProcessor } from '../../jobs/deliver.js';
import { loadConfig } from '../../lib/config.js';
import { DiscourseClient } from '../../lib/discourse/client.js';
import { silentLogger } from '../../lib/log.js';
import { ChannelMessageLog } from '../../lib/message-log.js';
import type { AdapterDeps, PlatformAdapter } from '../../lib/seams/platform.js';
import type { DeliverJob } from '../../lib/seams/jobs.js';
import type { PlatformName, Store } from '../../lib/seams/store.js';
import { buildAdminApi, type AdminApiApp } from '../helpers/admin-api.js';
import { startFakeForum, type FakeForum } from '../helpers/fake-forum.js';
import { notification } from '../helpers/notification.js';
import { startTelegramServer, type TelegramEmulator } from '../helpers/telegram-server.js';

const TOKEN = 'tok-admin-api-test-message-0f3b';
const FORUM_ENV = { PARLEY_DISCOURSE_WEBHOOK_SECRET: 'webhook-secret-0123456789' };
const TELEGRAM_TOKEN = `123456:${randomUUID()}`;
const WEBHOOK_KEY = 'k3y0fth3w3bh00k0123456789';
/** What Mattermost answers a webhook it no longer has (an AppError). */
const GONE = '{"id":"web.incoming_webhook.invalid.app_error","message":"Invalid webhook.","detailed_error":"","request_id":"q1w2e3","status_code":400}';

type TestAnswer = { ok: true; messageRef: string | null } | { ok: false; error: { code: string; message: string; raw: string | null } };

let emulator: TelegramEmulator;
let forum: FakeForum;
let gone: { url: string; hits: number; server: Server };

before(async () => {
  emulator = await startTelegramServer();
  forum = await startFakeForum({
    categories: [
      { id: 1, slug: 'releases', name: 'Releases', color: 'BF1E2E' },
      { id: 2, slug: 'staff', name: 'Staff', read_restricted: true },
    ],
  });
  forum.topics.set(21, { id: 21, title: 'Parley 2.0 is out @everyone', tags: ['release'], category_id: 1 });
  forum.topics.set(22, { id: 22, title: 'Pay rises', tags: [], category_id: 2 });
  // An incoming webhook that Mattermost no longer has.
  const server = createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      gone.hits++;
      res.writeHead(400, { 'content-type': 'application/json' }).end(GONE);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  gone = { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hooks/${WEBHOOK_KEY}`, hits: 0, server };
});

after(async () => {
  gone?.server.closeAllConnections();
  await new Promise<void>((resolve) => (gone ? gone.server.close(() => resolve()) : resolve()));
  await forum?.stop();
  await emulator?.stop();
});

function adapterDeps(store: Store, platform: PlatformName): AdapterDeps {
  return {
    log: silentLogger,
    store,
    messageLog: new ChannelMessageLog(platform, store, silentLogger),
    handleCommand: async () => ({ text: '', visibility: 'ephemeral' }),
    handleMembership: async () => null,
  };
}

/** The admin API with the forum and two real adapters: Telegram on the emulator, Mattermost through webhooks. */
async function build(opts: { forumKey?: boolean } = {}): Promise<AdminApiApp & { adapters: Map<PlatformName, PlatformAdapter> }> {
  const adapters = new Map<PlatformName, PlatformAdapter>();
  const config = loadConfig({ ...FORUM_ENV, PARLEY_DISCOURSE_URL: forum.url, ...(opts.forumKey === false ? {} : { PARLEY_DISCOURSE_API_KEY: forum.apiKey }) }, PLATFORMS);
  const client = opts.forumKey === false ? null : new DiscourseClient({ baseUrl: forum.url, apiKey: forum.apiKey, apiUsername: 'system', budget: null });
  const built = await buildAdminApi({ token: TOKEN, config, adapters, forum: client });
  const tg = loadConfig({ PARLEY_TELEGRAM_TOKEN: TELEGRAM_TOKEN, PARLEY_TELEGRAM_API_ROOT: emulator.apiRoot }, [telegram]).platforms[0]!;
  adapters.set('telegram', await tg.create(adapterDeps(built.store, 'telegram')));
  adapters.set('mattermost', createMattermostAdapter(adapterDeps(built.store, 'mattermost'), { url: 'http://127.0.0.1:9', token: null, commandTokens: ['unused-command-token'] }));
  return { ...built, adapters };
}

async function send(app: FastifyInstance, channelId: number, payload: object, status = 200): Promise<LightMyRequestResponse> {
  const res = await app.inject({ method: 'POST', url: `/api/channels/${channelId}/test`, headers: { authorization: `Bearer ${TOKEN}` }, payload });
  assert.equal(res.statusCode, status, res.body);
  return res;
}

let nextChat = -100_900;

describe('admin API: a test message', () => {
  test('sent through the Telegram adapter now: it arrives, says it is a test, and the answer has its message id', async () => {
    const { app, store } = await build();
    const chatId = nextChat--;
    // A channel in error: a test may show that it works again, but leaves its status to real deliveries.
    const { channel } = await store.channels.ensure({ platform: 'telegram', externalId: String(chatId), name: 'Releases', status: 'active', addedBy: 'cli' });
    await store.channels.setError(channel.id, { code: 'bot_removed', message: 'kicked' });

    const answer = (await send(app, channel.id, { topicId: 21 })).json<TestAnswer>();
    assert.ok(answer.ok, JSON.stringify(answer));
    const [message] = await emulator.waitForBotMessages(TELEGRAM_TOKEN, chatId, 1);
    assert.equal(answer.messageRef, String(message!.messageId));
    assert.match(message!.text, /Parley 2\.0 is out/u);
    assert.match(message!.text, /This is a test message sent from Parley(&#39;|')s admin page/u);
    assert.match(message!.text, /Releases/u, 'with its category');
    assert.ok(!/@everyone/u.test(message!.text), 'a mass mention is neutralised');
    assert.ok(message!.text.includes(`${forum.url}/t/21`), `the link to the topic: ${message!.text}`);

    const after = await store.channels.get(channel.id);
    assert.deepEqual([after?.status, after?.lastError?.code], ['error', 'bot_removed'], 'the status is left as it was');
    assert.equal((await store.deliveries.search({}, { limit: 10, offset: 0 })).total, 0, 'nothing is recorded as a delivery');
  });

  test("refused by Mattermost: the platform's code, message and raw answer, with 200 (the test's result); the channel stays active", async () => {
    const { app, store } = await build();
    const { channel } = await store.channels.ensure({ platform: 'mattermost', externalId: 'town-square', name: 'Town Square', status: 'active', addedBy: 'cli', settings: { webhookUrl: gone.url } });
    const hits = gone.hits;
    const res = await send(app, channel.id, { topicId: '21' });
    const answer = res.json<TestAnswer>();
    assert.equal(gone.hits, hits + 1, 'the webhook was asked');
    assert.ok(!answer.ok);
    assert.equal(answer.error.code, 'channel_not_found');
    assert.match(answer.error.message, /The incoming webhook no longer exists/u);
    assert.equal(answer.error.raw, GONE, "Mattermost's own answer");
    assert.ok(!res.body.includes(WEBHOOK_KEY), "the webhook's key is nowhere in the answer");
    assert.equal((await store.channels.get(channel.id))?.status, 'active');
  });

  test("the same refusal met by a delivery puts the channel in error with the platform's raw answer, shown as lastError.raw", async () => {
    const { app, store, adapters } = await build();
    const { channel } = await store.channels.ensure({ platform: 'mattermost', externalId: 'ops', name: 'Ops', status: 'active', addedBy: 'cli', settings: { webhookUrl: gone.url } });
    const deliveryId = `post-77:${channel.id}`;
    await store.deliveries.create({ jobId: deliveryId, eventKey: 'post-77', channelId: channel.id, subject: 'discourse:post:77', thread: 'discourse:topic:7', opens: true });
    const deliver = createDeliverProcessor({
      store,
      adapter: adapters.get('mattermost')!,
      limiter: { prefix: 'test', reserve: async () => 0, reserveWatching: async () => ({ waitMs: 0, read: null }) } as unknown as ChannelLimiter,
      log: silentLogger,
      changesOf: async () => ({ deleted: false, edited: null }),
    });
    const job = { data: { deliveryId, channelId: channel.id, notification: notification(), thread: null }, attemptsMade: 0, opts: { attempts: 3 }, timestamp: Date.now() };
    await assert.rejects(deliver(job as unknown as Job<DeliverJob>), /incoming webhook no longer exists/u);

    const res = await app.inject({ method: 'GET', url: '/api/channels?status=error', headers: { authorization: `Bearer ${TOKEN}` } });
    const [errored] = res.json<{ id: number; lastError: { code: string; message: string; at: string; raw: string | null } }[]>();
    assert.equal(errored?.id, channel.id);
    assert.equal(errored?.lastError.code, 'channel_not_found');
    assert.match(errored?.lastError.message ?? '', /The incoming webhook no longer exists/u);
    assert.equal(errored?.lastError.raw, GONE);
    assert.ok(!res.body.includes(WEBHOOK_KEY), res.body);
  });

  test('refusals: no channel 404, a platform not configured or no forum key 409, an unknown topic 404, a restricted one 400, the forum down 502', async () => {
    const { app, store } = await build();
    const tg = (await store.channels.ensure({ platform: 'telegram', externalId: String(nextChat--), name: 'x', status: 'active', addedBy: 'cli' })).channel;
    const json = (res: LightMyRequestResponse) => res.json<{ error: string; message: string; issues?: { field: string }[] }>();

    assert.equal(json(await send(app, 9999, { topicId: 21 }, 404)).error, 'not_found');
    const slack = (await store.channels.ensure({ platform: 'slack', externalId: 'C0123', name: 'general', status: 'active', addedBy: 'cli' })).channel;
    const notConfigured = json(await send(app, slack.id, { topicId: 21 }, 409));
    assert.equal(notConfigured.error, 'not_configured');
    assert.match(notConfigured.message, /slack is not configured .*PARLEY_SLACK_BOT_TOKEN/u);

    assert.match(json(await send(app, tg.id, { topicId: 404 }, 404)).message, /forum topic 404/u);
    const restricted = json(await send(app, tg.id, { topicId: 22 }, 400));
    assert.deepEqual(restricted.issues?.map((i) => i.field), ['body.topicId']);
    assert.match(restricted.message, /restricted category/u);
    assert.deepEqual(json(await send(app, tg.id, {}, 400)).issues?.map((i) => i.field), ['body.topicId']);
    forum.failNext(1, 503);
    assert.equal(json(await send(app, tg.id, { topicId: 21 }, 502)).error, 'source_unavailable');

    const keyless = await build({ forumKey: false });
    const channel = (await keyless.store.channels.ensure({ platform: 'telegram', externalId: '-1', name: 'x', status: 'active', addedBy: 'cli' })).channel;
    assert.match(json(await send(keyless.app, channel.id, { topicId: 21 }, 409)).message, /PARLEY_DISCOURSE_API_KEY/u);
    assert.deepEqual(await emulator.botMessages(TELEGRAM_TOKEN, tg.externalId), [], 'nothing was sent by a refused test');
  });
});
