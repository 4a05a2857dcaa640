// The Slack adapter's Web API calls against Slack's own OpenAPI spec, served by Prism with --errors and -d
// (random answers from the spec's schemas): a request that breaks the spec gets a 422, which @slack/web-api
// throws, so every send below resolving means none broke it. The spec declares the read methods (auth.test,
// users.info, conversations.*) as GET, which Prism holds to while Slack takes POST for every method; for
// those, the arguments the adapter sent the stateful fake are replayed to Prism as the GET the spec describes.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { slack } from '../../bots/slack/index.js';
import { silentLogger } from '../../lib/log.js';
import type { AdapterDeps, PlatformAdapter } from '../../lib/seams/platform.js';
import type { ChannelRecord, Store } from '../../lib/seams/store.js';
import { openStore } from '../../lib/store/index.js';
import { notification } from '../helpers/notification.js';
import { slackTs, startFakeSlack, type FakeSlack } from '../helpers/fake-slack.js';
import { startPrism, type PrismServer } from '../helpers/prism.js';
import { SIGNING_SECRET } from '../helpers/slack-request.js';

const SPEC = new URL('../../../shared/specs/slack-web-openapi-v2.patched.json', import.meta.url);
const TOKEN = 'xoxb-contract-test-token';

async function adapterAt(apiUrl: string, store: Store): Promise<PlatformAdapter> {
  const { platform, problems } = slack.configure({ PARLEY_SLACK_BOT_TOKEN: TOKEN, PARLEY_SLACK_SIGNING_SECRET: SIGNING_SECRET, PARLEY_SLACK_API_URL: apiUrl }, { publicUrl: null });
  if (!platform) throw new Error(problems.join('; '));
  const deps: AdapterDeps = {
    log: silentLogger,
    store,
    handleCommand: async () => ({ text: 'ok', visibility: 'ephemeral' }),
    handleMembership: async () => null,
    messageLog: { record: async () => undefined, forget: () => undefined },
  };
  return platform.create(deps);
}

let prism: PrismServer;
let store: Store;
let channel: ChannelRecord;

before(async () => {
  prism = await startPrism(SPEC, { errors: true, dynamic: true });
  store = await openStore({ kind: 'sqlite', path: ':memory:' });
  ({ channel } = await store.channels.ensure({ platform: 'slack', externalId: 'C0CONTRACT', name: '#contract', status: 'active', addedBy: 'cli' }));
});
after(async () => {
  await store?.close();
  await prism?.stop();
});

/** Runs a call; a rejection fails the test with Prism's own words about the request. */
async function conforms<T>(call: Promise<T>): Promise<T> {
  const mark = prism.mark();
  try {
    return await call;
  } catch (err) {
    assert.fail(`the request broke Slack's spec: ${(err as Error).message}\n${prism.outputSince(mark).slice(-3000)}`);
  }
}

describe("Slack's Web API calls against Slack's spec", () => {
  test('Prism does reject a request that breaks the spec (so the checks below mean something)', async () => {
    const res = await fetch(`${prism.url}/chat.postMessage`, { method: 'POST', headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/x-www-form-urlencoded' }, body: 'text=no+channel' });
    assert.equal(res.status, 422);
  });

  test('notifications: posted (threaded, with a coloured attachment), updated, deleted; answers to commands', async () => {
    const adapter = await adapterAt(`${prism.url}/`, store);
    const withColour = notification({ category: { name: 'Support', path: 'support', color: 'F1592A' }, tags: ['printer', 'urgent'] });
    const sent = await conforms(adapter.sendNotification(channel, withColour, { threadRoot: '1700000000.000100', idempotencyKey: 'k1' }));
    assert.equal(typeof sent.messageRef, 'string', 'chat.postMessage answers a ts');
    await conforms(adapter.sendNotification(channel, notification({ category: null, tags: [] }), { threadRoot: null, idempotencyKey: 'k2' }));
    await conforms(adapter.editNotification!(channel, sent.messageRef!, withColour));
    await conforms(adapter.deleteNotification!(channel, sent.messageRef!));
    const invocation = { platform: 'slack', command: 'discourse', args: 'status', channel: { externalId: channel.externalId, name: '#contract', isPrivate: false }, user: { id: 'U0CONTRACT', username: 'ada', displayName: 'Ada' } };
    // Without a response_url (expired): chat.postEphemeral, and chat.postMessage for everyone.
    await conforms(adapter.replyLater(invocation, { text: 'Only you see this', visibility: 'ephemeral' }));
    await conforms(adapter.replyLater(invocation, { text: 'Everyone sees this', visibility: 'channel' }));
    await adapter.stop();
  });

  test('reads (auth.test, users.info, conversations.history, .replies): the arguments sent are the ones the spec describes', async () => {
    const fake: FakeSlack = await startFakeSlack({
      users: [{ id: 'U0ADA00001', name: 'ada', is_admin: true, tz: 'Europe/Berlin' }],
      channels: [{ id: channel.externalId, name: 'contract' }],
      messages: {
        [channel.externalId]: [
          { ts: slackTs(Date.UTC(2025, 0, 1, 9)), user: 'U0ADA00001', text: 'a thread' },
          { ts: slackTs(Date.UTC(2025, 0, 1, 9, 1)), user: 'U0ADA00001', text: 'a reply', thread_ts: slackTs(Date.UTC(2025, 0, 1, 9)) },
          { ts: slackTs(Date.UTC(2025, 0, 1, 9, 2)), user: 'U0ADA00001', text: 'later' },
        ],
      },
    });
    const adapter = await adapterAt(fake.url, store);
    try {
      assert.equal((await adapter.health()).ok, true);
      const invocation = { platform: 'slack', command: 'discourse', args: '', channel: { externalId: channel.externalId, name: '#contract', isPrivate: false }, user: { id: 'U0ADA00001', username: 'ada', displayName: 'Ada' } };
      assert.deepEqual(await adapter.memberRole(invocation), { role: 'moderator' });
      const read = [];
      for await (const page of adapter.fetchHistory!(channel, { kind: 'between', from: new Date(Date.UTC(2025, 0, 1, 8)), to: new Date(Date.UTC(2025, 0, 1, 10)) }, { pageSize: 50 })) read.push(...page);
      assert.equal(read.length, 2);
      assert.equal(read[0]!.replies?.length, 1);
      for (const method of ['auth.test', 'users.info', 'conversations.history', 'conversations.replies']) {
        const calls = fake.calls(method);
        assert.ok(calls.length > 0, `${method} was called`);
        for (const call of calls) {
          // The client sends the token as `Authorization: Bearer`; some operations of the spec want it in the query.
          const query = new URLSearchParams([['token', TOKEN], ...Object.entries(call.args).map(([k, v]): [string, string] => [k, String(v)])]);
          const mark0 = prism.mark();
          const res = await fetch(`${prism.url}/${method}?${query.toString()}`, { headers: { authorization: `Bearer ${TOKEN}` } });
          assert.equal(res.status, 200, `${method}?${query.toString()} broke the spec (HTTP ${res.status}: ${await res.text()}):\n${prism.outputSince(mark0)}`);
        }
      }
      assert.deepEqual(fake.violations, []);
    } finally {
      await adapter.stop();
      await fake.stop();
    }
  });
});
