// /topic end to end on Slack: the signed slash command, the history read with conversations.history and
// conversations.replies from a stateful fake of the Web API (checked against Slack's spec), one topic created in
// the fake forum (checked against Discourse's spec by Prism) as the user, the link back through response_url.
// Then the same under Slack's slow history tier (15 messages a request, one request a window): it finishes,
// and the ephemeral "Collecting …" answer is replaced by progress with an estimate meanwhile.
import assert from 'node:assert/strict';
import { DateTime } from 'luxon';
import { after, before, describe, test } from 'node:test';
import { startFakeForum, type FakeForum } from '../helpers/fake-forum.js';
import { slackTs, startFakeSlack, type FakeSlack, type FakeSlackMessage, type HistoryLimit } from '../helpers/fake-slack.js';
import { eventually, startParley, type TestParley } from '../helpers/parley.js';
import { startPrism, type PrismServer } from '../helpers/prism.js';
import { sendCommand, SIGNING_SECRET } from '../helpers/slack-request.js';

const SPEC = new URL('../../../shared/specs/discourse-openapi.json', import.meta.url).pathname;
const CHANNEL = 'C0OPS00001';
const MOD = { id: 'U0MOD00001', name: 'mod', real_name: 'Mo Derator', display_name: 'Mo', is_admin: false, tz: 'Europe/Berlin' };
const ANN = { id: 'U0ANN00001', name: 'ann', real_name: 'Ann Lee', display_name: 'Ann' };
const BEN = { id: 'U0BEN00001', name: 'ben', real_name: 'Ben Ko', display_name: 'Ben' };

async function slackWith(messages: FakeSlackMessage[], historyLimit?: HistoryLimit): Promise<FakeSlack> {
  return startFakeSlack({
    users: [MOD, ANN, BEN],
    channels: [{ id: CHANNEL, name: 'ops' }],
    messages: { [CHANNEL]: messages },
    bot: { userId: 'U0BOT00001', botId: 'B0BOT00001', name: 'parley' },
    ...(historyLimit ? { historyLimit } : {}),
  });
}

describe('Slack /topic end to end', () => {
  let prism: PrismServer;
  let forum: FakeForum;

  before(async () => {
    prism = await startPrism(SPEC, { errors: true });
    forum = await startFakeForum({ validatorUrl: prism.url, users: [{ username: 'mod', admin: false, groups: ['staff'] }] });
  });
  after(async () => {
    await forum?.stop();
    await prism?.stop();
  });

  async function parleyFor(slack: FakeSlack): Promise<TestParley> {
    return startParley({
      env: {
        PARLEY_DISCOURSE_URL: forum.url,
        PARLEY_DISCOURSE_API_KEY: forum.apiKey,
        PARLEY_SLACK_BOT_TOKEN: 'xoxb-transcript-bot',
        PARLEY_SLACK_SIGNING_SECRET: SIGNING_SECRET,
        PARLEY_SLACK_API_URL: slack.url,
        PARLEY_TRANSCRIPT_GROUPS: 'staff',
        PARLEY_IDENTITY_SAME_USERNAME: 'true',
      },
    });
  }
  const topic = (parley: TestParley, slack: FakeSlack, text: string, responseId: string) =>
    // Slack keeps /topic for itself: transcripts are /discourse topic there.
    sendCommand(parley.url, { command: '/discourse', text: `topic ${text}`, channel_id: CHANNEL, channel_name: 'ops', user_id: MOD.id, user_name: MOD.name, response_url: slack.responseUrl(responseId) });
  const transcriptPosts = () => forum.requests.filter((r) => r.method === 'POST' && r.path === '/posts.json');

  test('last:N becomes one forum topic as the user: mrkdwn converted, names shown, thread replies under their parent', async () => {
    const now = Date.now();
    const at = (minutesAgo: number) => slackTs(now - minutesAgo * 60_000, 100);
    const parent = at(6);
    const slack = await slackWith([
      { ts: at(8), user: ANN.id, text: 'Deploy failed on *node 3*' },
      { ts: at(7), user: BEN.id, subtype: 'channel_join', text: '<@U0BEN00001> has joined the channel' },
      { ts: parent, user: ANN.id, text: 'Logs: ```OOMKilled```' },
      { ts: at(5.5), user: BEN.id, text: 'Which pod, <@U0ANN00001>?', thread_ts: parent },
      { ts: at(5), user: ANN.id, text: 'api-2 &amp; api-3', thread_ts: parent },
      { ts: at(4), user: BEN.id, text: 'Rolling back, see <https://status.example.org|status page>' },
      { ts: at(3), user: ANN.id, text: '_Rollback done_ <!here>' },
    ]);
    const parley = await parleyFor(slack);
    try {
      const first = await topic(parley, slack, 'last:4 tags:incident', 'topic-1');
      assert.equal(first.status, 200);
      assert.equal((first.body as { response_type?: string }).response_type, 'ephemeral');
      assert.match(String((first.body as { text?: string }).text), /Collecting the last 4 messages/);
      const answer = await eventually(() => slack.responses.find((r) => r.id === 'topic-1' && /Transcript of/.test(String(r.body.text))), 'the link', 60_000);
      assert.equal(answer.body.response_type, 'in_channel', 'the link is for everyone');

      const posts = transcriptPosts();
      assert.equal(posts.length, 1);
      assert.equal(posts[0]!.headers['api-username'], 'mod', 'posted as the user who asked');
      const raw = (posts[0]!.body as { raw: string }).raw;
      assert.match(answer.body.text as string, /Transcript of 6 messages/, 'four channel messages and the two thread replies');
      assert.doesNotMatch(raw, /joined the channel/, "Slack's own messages are not the conversation");
      assert.match(raw, /Deploy failed on \*\*node 3\*\*/, 'mrkdwn bold became Markdown bold');
      // The mention shows the display name, with the forum's own @mention broken (a zero-width space).
      assert.match(raw, /> ↳ \*\*Ben\*\* · .*\n> Which pod, @\u200BAnn\?/u, 'the reply quoted under its parent, the mention as the name');
      assert.match(raw, /> api-2 & api-3/, 'entities decoded');
      assert.match(raw, /\[status page\]\(https:\/\/status\.example\.org\)/);
      assert.match(raw, /_Rollback done_|\*Rollback done\*/);
      assert.doesNotMatch(raw, /<!here>|@here\b/, 'no pings in the forum');
      const order = ['Deploy failed', 'Logs:', 'Which pod', 'api-2', 'Rolling back', 'Rollback done'].map((t) => raw.indexOf(t));
      assert.deepEqual([...order].sort((a, b) => a - b), order, raw);
      assert.ok(slack.calls('conversations.replies').length >= 1, 'the thread was read');
      assert.deepEqual(slack.violations, []);
    } finally {
      await parley.stop();
      await slack.stop();
    }
  });

  test("from: is read in the user's own Slack time zone (users.info tz)", async () => {
    const slack = await slackWith([]);
    const parley = await parleyFor(slack);
    try {
      // A range ending now in Berlin: read in the server's zone (UTC, an hour behind) it would not have begun yet.
      const now = DateTime.now().setZone('Europe/Berlin');
      const first = await topic(parley, slack, `from:${now.minus({ minutes: 30 }).toFormat('HH:mm')}-${now.toFormat('HH:mm')} preview`, 'zone-1');
      assert.match(String((first.body as { text?: string }).text), /from .* to .* \(Europe\/Berlin\)/, 'the range in the user\'s zone, not the server\'s (UTC)');
      assert.ok(slack.calls('users.info').some((r) => r.args.user === MOD.id));
    } finally {
      await parley.stop();
      await slack.stop();
    }
  });

  test("Slack's slow history tier: the transcript still finishes, with progress and an estimate replacing the first answer", async () => {
    const now = Date.now();
    const messages: FakeSlackMessage[] = Array.from({ length: 40 }, (_, i) => ({ ts: slackTs(now - (60 - i) * 60_000, 100), user: i % 2 ? ANN.id : BEN.id, text: `step ${i}` }));
    // Slack's numbers (15 a page, one request a minute) with the minute shrunk to a second.
    const slack = await slackWith(messages, { perPage: 15, perWindow: 1, windowMs: 1_000 });
    const parley = await parleyFor(slack);
    try {
      const first = await topic(parley, slack, 'last:40', 'slow-1');
      assert.match(String((first.body as { text?: string }).text), /Collecting the last 40 messages/);
      const answer = await eventually(() => slack.responses.find((r) => r.id === 'slow-1' && /Transcript of/.test(String(r.body.text))), 'the link', 90_000);
      assert.match(String(answer.body.text), /Transcript of 40 messages posted/);
      const progress = slack.responses.filter((r) => r.id === 'slow-1' && r.body.replace_original === true && /so far/.test(String(r.body.text)));
      assert.ok(progress.length >= 1, 'progress was shown');
      assert.match(String(progress[0]!.body.text), /Slack lets Parley read history only slowly: about \d+ minutes? left/);
      assert.equal(progress[0]!.body.response_type, 'ephemeral');
      assert.ok(slack.responses.filter((r) => r.id === 'slow-1').length <= 5, "never more than a response_url's five answers");
      const raw = (transcriptPosts().at(-1)!.body as { raw: string }).raw;
      for (const i of [0, 14, 15, 39]) assert.match(raw, new RegExp(`step ${i}\\b`));
      assert.deepEqual(slack.violations, []);
    } finally {
      await parley.stop();
      await slack.stop();
    }
  });
});
