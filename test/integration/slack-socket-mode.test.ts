// Slack over Socket Mode, no public URL: with PARLEY_SLACK_APP_TOKEN Parley opens apps.connections.open, then a
// WebSocket (a small fake here, speaking Slack's envelope protocol), takes slash commands and events from it
// and acks each envelope, its answer in the ack's payload. The same handlers as over HTTP.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { startFakeForum, type FakeForum } from '../helpers/fake-forum.js';
import { startFakeSlack, type FakeSlack } from '../helpers/fake-slack.js';
import { eventually, postBody, startParley, type TestParley } from '../helpers/parley.js';
import { eventCallback } from '../helpers/slack-request.js';

const ADMIN = { id: 'UADMIN', name: 'ada', real_name: 'Ada Admin', is_admin: true, tz: 'Europe/Berlin' };

describe('Slack over Socket Mode', () => {
  let forum: FakeForum;
  let slack: FakeSlack;
  let parley: TestParley;

  before(async () => {
    forum = await startFakeForum({ categories: [{ id: 4, slug: 'support', name: 'Support' }] });
    slack = await startFakeSlack({ users: [ADMIN], channels: [{ id: 'CSOCK', name: 'sock' }, { id: 'CJOINED', name: 'joined' }], bot: { userId: 'UBOT', botId: 'BBOT', name: 'parley' }, socket: true });
    parley = await startParley({
      env: {
        PARLEY_DISCOURSE_URL: forum.url,
        PARLEY_DISCOURSE_API_KEY: forum.apiKey,
        PARLEY_SLACK_BOT_TOKEN: 'xoxb-socket-mode-bot',
        PARLEY_SLACK_APP_TOKEN: 'xapp-1-A0001-socket-mode-app',
        PARLEY_SLACK_API_URL: slack.url,
      },
    });
    await slack.socket!.connected();
  });
  after(async () => {
    assert.deepEqual(slack?.violations ?? [], []);
    await parley?.stop();
    await slack?.stop();
    await forum?.stop();
  });

  const slash = (text: string) =>
    slack.socket!.send({
      type: 'slash_commands',
      accepts_response_payload: true,
      payload: { token: 't', team_id: 'T0001', team_domain: 'acme', channel_id: 'CSOCK', channel_name: 'sock', user_id: ADMIN.id, user_name: ADMIN.name, command: '/discourse', text, api_app_id: 'A0001', response_url: slack.responseUrl(`sock-${text}`), trigger_id: '1.2.3' },
    });

  test('the connection is opened with the app token; no HTTP route is served', async () => {
    const open = slack.calls('apps.connections.open');
    assert.ok(open.length >= 1);
    assert.equal(open[0]!.headers.authorization, 'Bearer xapp-1-A0001-socket-mode-app');
    const res = await fetch(`${parley.url}/hooks/slack/commands`, { method: 'POST', body: 'command=/discourse' });
    assert.equal(res.status, 404);
  });

  test('a slash command in an envelope is acked within 3 s with the answer as its payload', async () => {
    const id = slash('watch c/support');
    const ack = await slack.socket!.ack(id, 5_000);
    assert.ok(ack.afterMs < 3_000, `acked after ${ack.afterMs} ms`);
    const payload = ack.payload as { response_type?: string; text?: string };
    assert.equal(payload.response_type, 'in_channel');
    assert.match(payload.text ?? '', /watch c\/support/);
    const channel = await parley.app.store.channels.find('slack', 'CSOCK');
    assert.equal((await parley.app.store.rules.list(channel!.id)).length, 1);
  });

  test('an event in an envelope is acked and handled: the bot invited registers the channel', async () => {
    const id = slack.socket!.send({ type: 'events_api', payload: eventCallback({ type: 'member_joined_channel', user: 'UBOT', channel: 'CJOINED', channel_type: 'C', team: 'T0001', inviter: ADMIN.id }) });
    await slack.socket!.ack(id, 5_000);
    const channel = await eventually(() => parley.app.store.channels.find('slack', 'CJOINED'), 'the channel registered');
    assert.equal(channel.status, 'active');
    // The bot says how to subscribe: waited for, so that no later test's fault is taken by this message.
    await eventually(() => slack.calls('chat.postMessage').find((r) => r.args.channel === 'CJOINED'), 'the welcome');
  });

  test("Socket Mode's own retries stay out of the delivery client: a 5xx is one request, then the job's retry", async () => {
    slack.queue.push({ method: 'chat.postMessage', status: 500, body: { ok: false, error: 'internal_error' } });
    await parley.sendWebhook('post_created', postBody({ id: 77, topicId: 77, categoryId: 4, title: 'Once per attempt' }));
    const channel = await parley.app.store.channels.find('slack', 'CSOCK');
    // When the job records the failed attempt, the client has given up: with retries of its own there would be more calls.
    await eventually(async () => ((await parley.app.store.deliveries.getByJobId(`post-77-ch-${channel!.id}`))?.lastError ? true : undefined), 'the failed attempt recorded');
    const calls = slack.calls('chat.postMessage').filter((r) => JSON.stringify(r.args).includes('Once per attempt'));
    assert.equal(calls.length, 1);
    await eventually(async () => ((await parley.app.store.deliveries.getByJobId(`post-77-ch-${channel!.id}`))?.status === 'delivered' ? true : undefined), 'delivered by the retry', 60_000);
  });

  test('Slack asks for a reconnect (refresh_requested): Parley reconnects and keeps answering', async () => {
    const before = slack.socket!.connectionCount;
    slack.socket!.disconnect('refresh_requested');
    await eventually(() => (slack.socket!.connectionCount > before ? true : undefined), 'a new connection', 20_000);
    await slack.socket!.connected();
    const ack = await slack.socket!.ack(slash('status'), 5_000);
    assert.match(String((ack.payload as { text?: string }).text), /watch/);
  });
});
