// /topic end to end on Mattermost: the slash command arrives, the history is read over Mattermost's API (a
// stateful fake), one topic is created in the fake forum (checked against Discourse's spec by Prism), and
// the link comes back through the command's response_url.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { startFakeForum, type FakeForum } from '../helpers/fake-forum.js';
import { startFakeMattermost, type FakeMattermost } from '../helpers/fake-mattermost.js';
import { startParley, type TestParley } from '../helpers/parley.js';
import { startPrism, type PrismServer } from '../helpers/prism.js';
import { startWebhookReceiver, type WebhookReceiver } from '../helpers/webhook-receiver.js';

const SPEC = new URL('../../../shared/specs/discourse-openapi.json', import.meta.url).pathname;
const CHANNEL = 'chan1234567890abcdefghijkl';
const TOKEN = 'mm-topic-token';
const now = Date.now();
const post = (id: string, user: string, message: string, minutesAgo: number, type = '') => ({ id, user_id: user, channel_id: CHANNEL, message, create_at: now - minutesAgo * 60_000, type });

describe('Mattermost /topic end to end', () => {
  let prism: PrismServer;
  let forum: FakeForum;
  let mm: FakeMattermost;
  let responses: WebhookReceiver;
  let parley: TestParley;

  before(async () => {
    prism = await startPrism(SPEC, { errors: true });
    forum = await startFakeForum({ validatorUrl: prism.url, users: [{ username: 'mod', admin: false, groups: ['staff'] }, { username: 'eve', admin: false }] });
    mm = await startFakeMattermost({
      channelId: CHANNEL,
      users: [
        { id: 'u-ann', username: 'ann', first_name: 'Ann', last_name: 'Lee', roles: 'system_user' },
        { id: 'u-ben', username: 'ben', first_name: 'Ben', last_name: 'Ko', roles: 'system_user' },
      ],
      posts: [
        post('p1', 'u-ann', 'Deploy failed on **node 3**', 6),
        post('p2', 'u-ann', 'Logs: ```\nOOMKilled\n```', 5.5),
        post('p3', 'u-ben', 'ben joined the channel', 5, 'system_join_channel'),
        post('p4', 'u-ben', 'Rolling back, @ann please watch', 4),
        post('p5', 'u-ann', 'Rollback done', 3),
      ],
    });
    responses = await startWebhookReceiver();
    parley = await startParley({
      env: {
        PARLEY_DISCOURSE_URL: forum.url,
        PARLEY_DISCOURSE_API_KEY: forum.apiKey,
        PARLEY_MATTERMOST_URL: mm.url,
        PARLEY_MATTERMOST_TOKEN: 'mm-bot-token',
        PARLEY_MATTERMOST_COMMAND_TOKEN: `mm-discourse-token,${TOKEN}`,
        PARLEY_TRANSCRIPT_GROUPS: 'staff',
        PARLEY_IDENTITY_SAME_USERNAME: 'true',
      },
    });
  });
  after(async () => {
    await parley?.stop();
    await responses?.stop();
    await mm?.stop();
    await forum?.stop();
    await prism?.stop();
  });

  const topic = async (user: string, text: string) => {
    const res = await fetch(`${parley.url}/hooks/mattermost/command`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ token: TOKEN, team_id: 'team1', team_domain: 'acme', channel_id: CHANNEL, channel_name: 'ops', user_id: `u-${user}`, user_name: user, command: '/topic', text, response_url: responses.url }),
    });
    return (await res.json()) as { response_type: string; text: string };
  };

  test('a member of a transcript group archives the history read over the API', async () => {
    const first = await topic('mod', 'last:3 tags:incident');
    assert.equal(first.response_type, 'ephemeral');
    assert.match(first.text, /Collecting the last 3 messages/);
    const [answer] = await responses.waitForAccepted(1, 30_000);
    assert.match(String(answer!.text), /Transcript of 3 messages posted: http/);

    const posts = forum.requests.filter((r) => r.method === 'POST' && r.path === '/posts.json');
    assert.equal(posts.length, 1);
    assert.equal(posts[0]!.headers['api-username'], 'mod');
    const raw = (posts[0]!.body as { raw: string }).raw;
    const order = ['Logs:', 'OOMKilled', 'Rolling back', 'Rollback done'].map((t) => raw.indexOf(t));
    assert.ok(order.every((i) => i >= 0), raw);
    assert.deepEqual([...order].sort((a, b) => a - b), order);
    assert.doesNotMatch(raw, /Deploy failed/, 'last:3 counts chat messages only: system messages are not messages');
    assert.doesNotMatch(raw, /joined the channel/);
    assert.match(raw, /```\s*\nOOMKilled\n```/, 'code blocks kept');
    assert.doesNotMatch(raw, /@ann\b/, 'no forum pings');
    assert.ok(mm.requests.some((r) => r.path === `/api/v4/channels/${CHANNEL}/posts`), 'history came from the Mattermost API');
    assert.deepEqual(forum.violations.filter((v) => !/tags/.test(v.reason)), []);
  });

  test('a user who is neither admin nor in a transcript group is refused, nothing is posted', async () => {
    const before = forum.requests.filter((r) => r.method === 'POST').length;
    const reply = await topic('eve', 'last:4');
    assert.match(reply.text, /may not post transcripts: that takes a forum admin or a member of staff/);
    assert.equal(forum.requests.filter((r) => r.method === 'POST').length, before);
  });
});
