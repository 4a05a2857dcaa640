// The fake Slack itself (test/helpers/fake-slack.ts, fake-slack-socket.ts), driven by Slack's own clients
// (@slack/web-api's WebClient, @slack/socket-mode's SocketModeClient): what other tests rely on it for.
import { afterEach, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { SocketModeClient } from '@slack/socket-mode';
import { WebClient } from '@slack/web-api';
import { startFakeSlack, type FakeSlack } from '../helpers/fake-slack.js';
import { rejection } from '../helpers/rejection.js';

const CHANNEL = 'C0FAKE0001';
const fakes: FakeSlack[] = [];
afterEach(async () => {
  for (const fake of fakes.splice(0)) await fake.stop();
});

async function fakeSlack(socket = false): Promise<FakeSlack> {
  const fake = await startFakeSlack({ users: [{ id: 'U0ALICE001', name: 'alice' }], channels: [{ id: CHANNEL, name: 'general' }], socket });
  fakes.push(fake);
  return fake;
}

const clientFor = (fake: FakeSlack, token = 'xoxb-test-token'): WebClient =>
  new WebClient(token, { slackApiUrl: fake.url, retryConfig: { retries: 0 }, rejectRateLimitedCalls: true });

describe('Web API', () => {
  test('post, reply, update, delete, ephemeral and auth.test keep state and record requests', async () => {
    const fake = await fakeSlack();
    const client = clientFor(fake);
    const auth = await client.auth.test();
    assert.equal(auth.user_id, 'UBOT000001');
    const posted = await client.chat.postMessage({ channel: CHANNEL, text: 'hello', blocks: [{ type: 'section', text: { type: 'mrkdwn', text: 'hello' } }] });
    assert.match(posted.ts!, /^\d{10}\.\d{6}$/u);
    const reply = await client.chat.postMessage({ channel: CHANNEL, text: 'in thread', thread_ts: posted.ts! });
    await client.chat.update({ channel: CHANNEL, ts: posted.ts!, text: 'hello again' });
    assert.deepEqual(fake.messages(CHANNEL).map((m) => [m.text, m.thread_ts]), [['hello again', undefined], ['in thread', posted.ts]]);
    const history = await client.conversations.history({ channel: CHANNEL });
    assert.equal(history.messages?.[0]?.reply_count, 1);
    assert.equal(history.messages?.[0]?.latest_reply, reply.ts);
    await client.chat.delete({ channel: CHANNEL, ts: reply.ts! });
    await client.chat.postEphemeral({ channel: CHANNEL, user: 'U0ALICE001', text: 'just you' });
    assert.equal(fake.ephemerals[0]?.text, 'just you');
    const missing = await rejection(client.chat.update({ channel: CHANNEL, ts: '1.000000', text: 'x' }));
    assert.equal((missing as unknown as { data: { error: string } }).data.error, 'message_not_found');
    const call = fake.calls('chat.postMessage')[0]!;
    assert.equal(call.headers.authorization, 'Bearer xoxb-test-token');
    assert.deepEqual(call.args.blocks, [{ type: 'section', text: { type: 'mrkdwn', text: 'hello' } }]);
    assert.deepEqual(fake.violations, []);
  });

  test('the spec check names unknown methods, unknown and missing parameters', async () => {
    const fake = await fakeSlack();
    const client = clientFor(fake);
    await client.apiCall('chat.postMessage', { channel: CHANNEL, text: 'x', no_such_parameter: 1 });
    await rejection(client.apiCall('chat.update', { channel: CHANNEL, text: 'x' }));
    await rejection(client.apiCall('chat.noSuchMethod', {}));
    await client.apiCall('conversations.history', { channel: CHANNEL, limit: 'many' });
    assert.deepEqual(
      fake.violations.map((v) => [v.method, v.kind, v.parameter]),
      [
        ['chat.postMessage', 'unknown_parameter', 'no_such_parameter'],
        ['chat.update', 'missing_parameter', 'ts'],
        ['chat.noSuchMethod', 'unknown_method', undefined],
        ['conversations.history', 'bad_type', 'limit'],
      ],
    );
  });

  test('queued faults answer first, for their method only', async () => {
    const fake = await fakeSlack();
    const client = clientFor(fake);
    fake.queue.push({ method: 'chat.postMessage', status: 429, headers: { 'retry-after': '1' } }, { body: { ok: false, error: 'channel_not_found' } });
    const limited = await rejection(client.chat.postMessage({ channel: CHANNEL, text: 'x' }));
    assert.equal((limited as unknown as { code: string; retryAfter: number }).code, 'slack_webapi_rate_limited_error');
    assert.equal((limited as unknown as { retryAfter: number }).retryAfter, 1);
    const gone = await rejection(client.auth.test());
    assert.equal((gone as unknown as { data: { error: string } }).data.error, 'channel_not_found');
    await client.chat.postMessage({ channel: CHANNEL, text: 'x' });
    assert.equal(fake.queue.length, 0);
  });

  test('a response_url takes five posts, then answers used_url', async () => {
    const fake = await fakeSlack();
    const url = fake.responseUrl('cmd-1');
    const statuses: number[] = [];
    for (let k = 0; k < 6; k++) {
      const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ text: `answer ${k}`, response_type: 'ephemeral' }) });
      statuses.push(res.status);
      if (k === 5) assert.equal(await res.text(), 'used_url');
    }
    assert.deepEqual(statuses, [200, 200, 200, 200, 200, 404]);
    assert.deepEqual(fake.responses.map((r) => r.body.text), ['answer 0', 'answer 1', 'answer 2', 'answer 3', 'answer 4']);
  });
});

describe('Socket Mode', () => {
  test('SocketModeClient connects with the app token, gets an envelope and acks it; reconnects on disconnect', async () => {
    const fake = await fakeSlack(true);
    const client = new SocketModeClient({
      appToken: 'xapp-1-test',
      // Also the wait before reconnecting.
      clientPingTimeout: 600,
      clientOptions: { slackApiUrl: fake.url, retryConfig: { retries: 0 } },
      logLevel: undefined,
      logger: { debug: () => undefined, info: () => undefined, warn: () => undefined, error: () => undefined, setLevel: () => undefined, getLevel: () => 'error' as never, setName: () => undefined },
    });
    client.on('slash_commands', ({ ack, body }: { ack: (r?: unknown) => Promise<void>; body: { command: string } }) => {
      void ack({ text: `got ${body.command}` });
    });
    try {
      await client.start();
      assert.equal(fake.calls('apps.connections.open')[0]?.headers.authorization, 'Bearer xapp-1-test');
      const id = fake.socket!.send({ type: 'slash_commands', accepts_response_payload: true, payload: { command: '/topic', text: 'last:5' } });
      const ack = await fake.socket!.ack(id);
      assert.deepEqual(ack.payload, { text: 'got /topic' });

      const reconnected = new Promise<void>((resolve) => client.once('connected', () => resolve()));
      fake.socket!.disconnect();
      await reconnected;
      assert.equal(fake.socket!.connectionCount, 2);
      assert.equal(fake.calls('apps.connections.open').length, 2);
    } finally {
      await client.disconnect();
    }
    assert.deepEqual(fake.violations, []);
  });

  test('apps.connections.open refuses a bot token', async () => {
    const fake = await fakeSlack(true);
    const err = await rejection(clientFor(fake).apps.connections.open({}));
    assert.equal((err as unknown as { data: { error: string } }).data.error, 'not_allowed_token_type');
  });
});
