// End to end on Slack: signed slash commands and Events API callbacks into Parley's own HTTP server, a signed
// Discourse webhook in, Block Kit messages out through @slack/web-api to a stateful fake of the Web API (each
// request checked against Slack's OpenAPI spec): threads, edits, deletes, errors, 429s, membership.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { startFakeForum, type FakeForum } from '../helpers/fake-forum.js';
import { startFakeSlack, type FakeSlack } from '../helpers/fake-slack.js';
import { eventually, postBody, startParley, type TestParley } from '../helpers/parley.js';
import { eventCallback, sendCommand, sendEvent, SIGNING_SECRET, type SlashCommand } from '../helpers/slack-request.js';

const BOT_TOKEN = 'xoxb-1111-2222-e2etoken';
const ADMIN = { id: 'UADMIN', name: 'ada', real_name: 'Ada Admin', is_admin: true, tz: 'Europe/Berlin' };
const MEMBER = { id: 'UMEMBER', name: 'mel', real_name: 'Mel Member', is_admin: false, tz: 'UTC' };

describe('Slack end to end', () => {
  let forum: FakeForum;
  let slack: FakeSlack;
  let parley: TestParley;
  let postId = 20_000;
  let responseCount = 0;

  before(async () => {
    forum = await startFakeForum({ categories: [{ id: 4, slug: 'support', name: 'Support', color: 'F1592A' }, { id: 6, slug: 'dev', name: 'Dev' }, { id: 7, slug: 'busy', name: 'Busy' }, { id: 8, slug: 'void', name: 'Void' }] });
    slack = await startFakeSlack({
      users: [ADMIN, MEMBER],
      channels: ['CSUPPORT', 'CTHREAD', 'CEDIT', 'CGONE', 'CSLOW', 'CJOIN', 'CJOIN2', 'CREFUSE', 'CPINGS'].map((id) => ({ id, name: id.toLowerCase() })),
      bot: { userId: 'UBOT', botId: 'BBOT', name: 'parley' },
    });
    parley = await startParley({
      env: {
        PARLEY_DISCOURSE_URL: forum.url,
        PARLEY_DISCOURSE_API_KEY: forum.apiKey,
        PARLEY_SLACK_BOT_TOKEN: BOT_TOKEN,
        PARLEY_SLACK_SIGNING_SECRET: SIGNING_SECRET,
        PARLEY_SLACK_API_URL: slack.url,
      },
    });
  });
  after(async () => {
    assert.deepEqual(slack?.violations ?? [], [], 'every request Parley sent Slack is one the spec allows');
    await parley?.stop();
    await slack?.stop();
    await forum?.stop();
  });

  const command = (channel: string, text: string, user = ADMIN, word = '/discourse') => {
    const c: SlashCommand = { command: word, text, channel_id: channel, channel_name: channel.toLowerCase(), user_id: user.id, user_name: user.name, response_url: slack.responseUrl(`r${++responseCount}`) };
    return sendCommand(parley.url, c);
  };
  const answerText = (body: unknown) => String((body as { text?: string }).text ?? '');
  const posted = (channel: string) => slack.calls('chat.postMessage').filter((r) => r.args.channel === channel);
  async function forumPost(p: Parameters<typeof postBody>[0]) {
    const sent = await parley.sendWebhook('post_created', postBody(p));
    assert.equal(sent.status, 202);
    await parley.waitForIngest(sent.eventId);
  }
  async function delivered(channel: string, id: number) {
    const record = await parley.app.store.channels.find('slack', channel);
    return eventually(async () => {
      const d = await parley.app.store.deliveries.getByJobId(`post-${id}-ch-${record!.id}`);
      return d?.status === 'delivered' ? d : undefined;
    }, `post ${id} delivered to ${channel}`);
  }

  test('a workspace admin subscribes with /discourse; a forum post arrives as Block Kit with a text fallback, no unfurling', async () => {
    const reply = await command('CSUPPORT', 'watch c/support');
    assert.equal(reply.status, 200);
    assert.equal((reply.body as { response_type?: string }).response_type, 'in_channel');
    assert.match(answerText(reply.body), /watch c\/support/);
    assert.equal((await parley.app.store.channels.find('slack', 'CSUPPORT'))?.status, 'active', 'stored by id');

    await forumPost({ id: ++postId, topicId: 800, categoryId: 4, title: 'Printer <on> fire & smoke', raw: 'Everything is fine' });
    const [message] = await eventually(() => (posted('CSUPPORT').length > 0 ? posted('CSUPPORT') : undefined), 'the notification');
    const args = message!.args;
    assert.match(String(args.text), /Printer &lt;on&gt; fire &amp; smoke/);
    // Form-encoded by the client, so the booleans arrive as text.
    assert.equal(String(args.unfurl_links), 'false');
    assert.equal(String(args.unfurl_media), 'false');
    const blocks = JSON.stringify(args.blocks);
    assert.match(blocks, /<http:\/\/[^|]*\/t\/a-topic\/800\/1\|Printer &lt;on&gt; fire &amp; smoke>/, 'title linked, escaped');
    assert.match(JSON.stringify(args), /Support/);
  });

  test('a member who is not a workspace admin is refused with the reason; nothing is stored', async () => {
    const reply = await command('CREFUSE', 'watch c/support', MEMBER);
    assert.equal(reply.status, 200);
    assert.equal((reply.body as { response_type?: string }).response_type, 'ephemeral');
    assert.match(answerText(reply.body), /Slack workspace admins and owners/);
    const channel = await parley.app.store.channels.find('slack', 'CREFUSE');
    assert.equal(channel ? (await parley.app.store.rules.list(channel.id)).length : 0, 0);
  });

  test('<!channel>, <!here>, <!everyone> and @channel in forum content are delivered harmless', async () => {
    await command('CPINGS', 'watch c/support');
    await forumPost({ id: ++postId, topicId: 801, categoryId: 4, title: 'Hey <!channel>', raw: '<!here> <!everyone> @channel <@UADMIN> read this' });
    const [message] = await eventually(() => (posted('CPINGS').length > 0 ? posted('CPINGS') : undefined), 'the notification');
    const all = JSON.stringify(message!.args);
    for (const ping of ['<!channel>', '<!here>', '<!everyone>', '<@UADMIN>']) assert.ok(!all.includes(ping), `${ping} must not reach Slack as a token`);
    assert.equal(message!.args.link_names, undefined, 'never link_names: @channel stays text');
  });

  test('thread: replies go under the announcement (thread_ts); an edit updates it, a deletion deletes it', async () => {
    await command('CTHREAD', 'thread c/dev');
    await forumPost({ id: ++postId, topicId: 900, categoryId: 6, postNumber: 1, title: 'RFC' });
    const first = await delivered('CTHREAD', postId);
    await forumPost({ id: ++postId, topicId: 900, categoryId: 6, postNumber: 2, title: 'RFC', raw: 'I agree' });
    const reply = await delivered('CTHREAD', postId);
    const replyCall = posted('CTHREAD').find((r) => JSON.stringify(r.args).includes('I agree'));
    assert.equal(replyCall?.args.thread_ts, first.messageRef, 'the reply is in the thread of the first');

    await parley.sendWebhook('post_edited', postBody({ id: postId, topicId: 900, categoryId: 6, postNumber: 2, title: 'RFC', raw: 'I agree, with one change' }));
    const update = await eventually(() => slack.calls('chat.update').find((r) => r.args.ts === reply.messageRef), 'chat.update');
    assert.equal(update.args.channel, 'CTHREAD');
    assert.match(JSON.stringify(update.args), /with one change/);
    assert.ok(slack.messages('CTHREAD').some((m) => String(m.text).includes('with one change')), 'the channel shows the edit');

    await parley.sendWebhook('post_destroyed', postBody({ id: postId, topicId: 900, categoryId: 6, postNumber: 2 }));
    await eventually(() => slack.calls('chat.delete').find((r) => r.args.ts === reply.messageRef), 'chat.delete');
    assert.ok(!slack.messages('CTHREAD').some((m) => m.ts === reply.messageRef), 'gone from the channel');
  });

  test('a 429 waits its Retry-After in the queue and is delivered once', async () => {
    await command('CEDIT', 'watch c/busy');
    slack.queue.push({ method: 'chat.postMessage', status: 429, headers: { 'retry-after': '1' }, body: { ok: false, error: 'ratelimited' } });
    await forumPost({ id: ++postId, topicId: 901, categoryId: 7, title: 'Slow down' });
    await delivered('CEDIT', postId);
    const attempts = posted('CEDIT').filter((r) => JSON.stringify(r.args).includes('Slow down'));
    assert.equal(attempts.length, 2, 'one refused, one accepted: no retry by the client itself');
    assert.ok(attempts[1]!.at - attempts[0]!.at >= 900, 'waited the Retry-After');
    assert.equal(slack.messages('CEDIT').filter((m) => String(m.text).includes('Slow down')).length, 1, 'delivered once');
  });

  test('channel_not_found marks the channel error with what to do', async () => {
    await command('CGONE', 'watch c/void');
    slack.queue.push({ method: 'chat.postMessage', body: { ok: false, error: 'channel_not_found' } });
    await forumPost({ id: ++postId, topicId: 902, categoryId: 8, title: 'Into the void' });
    const channel = await eventually(async () => {
      const c = await parley.app.store.channels.find('slack', 'CGONE');
      return c?.status === 'error' ? c : undefined;
    }, 'the channel in error');
    assert.match(channel.lastError?.message ?? '', /invite the bot|remove the channel/);
  });

  describe('signed requests', () => {
    const form = (channel: string) => ({ command: '/discourse', text: 'watch c/support', channel_id: channel, user_id: ADMIN.id, user_name: ADMIN.name, response_url: slack.responseUrl('signed') });

    test('a wrong signature is refused with 401 and nothing is stored', async () => {
      const res = await sendCommand(parley.url, form('CSIGNED1'), { secret: 'not-the-secret' });
      assert.equal(res.status, 401);
      assert.equal(await parley.app.store.channels.find('slack', 'CSIGNED1'), undefined);
    });

    test('a stale timestamp (over five minutes old) is refused', async () => {
      const res = await sendCommand(parley.url, form('CSIGNED2'), { timestamp: Math.floor(Date.now() / 1000) - 6 * 60 });
      assert.equal(res.status, 401);
      assert.equal(await parley.app.store.channels.find('slack', 'CSIGNED2'), undefined);
    });

    test('a replayed command (same signature, within the window) is refused', async () => {
      const timestamp = Math.floor(Date.now() / 1000);
      const first = await sendCommand(parley.url, { ...form('CSIGNED3'), text: 'status' }, { timestamp });
      assert.equal(first.status, 200);
      const again = await sendCommand(parley.url, { ...form('CSIGNED3'), text: 'status' }, { timestamp });
      assert.equal(again.status, 401);
      assert.match(JSON.stringify(again.body), /already received/);
    });

    test('url_verification is answered with its challenge; a malformed body is a 400', async () => {
      const res = await sendEvent(parley.url, { token: 't', challenge: 'c-3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P', type: 'url_verification' });
      assert.equal(res.status, 200);
      assert.deepEqual(res.body, { challenge: 'c-3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P' });
      const { postSigned } = await import('../helpers/slack-request.js');
      const bad = await postSigned(parley.url, '/hooks/slack/events', '{not json', 'application/json');
      assert.equal(bad.status, 400);
    });

    test('a command Parley does not answer is told so', async () => {
      const res = await command('CSUPPORT', 'hello', ADMIN, '/weather');
      assert.match(answerText(res.body), /does not answer \/weather/);
    });
  });

  describe('membership', () => {
    test('the bot invited by an admin registers the channel active and says so; by a member, pending', async () => {
      const joined = await sendEvent(parley.url, eventCallback({ type: 'member_joined_channel', user: 'UBOT', channel: 'CJOIN', channel_type: 'C', team: 'T0001', inviter: ADMIN.id }));
      assert.equal(joined.status, 200);
      const channel = await eventually(() => parley.app.store.channels.find('slack', 'CJOIN'), 'the channel registered');
      assert.equal(channel.status, 'active');
      assert.equal(channel.name, '#cjoin', 'named from conversations.info');
      await eventually(() => posted('CJOIN').find((r) => /\/discourse/.test(String(r.args.text))), 'the bot says how to subscribe');

      await sendEvent(parley.url, eventCallback({ type: 'member_joined_channel', user: 'UBOT', channel: 'CJOIN2', channel_type: 'C', team: 'T0001', inviter: MEMBER.id }));
      const pending = await eventually(() => parley.app.store.channels.find('slack', 'CJOIN2'), 'the channel registered');
      assert.equal(pending.status, 'pending');
    });

    test('someone else joining is not the bot; Slack repeating an event is handled once', async () => {
      const before = (await parley.app.store.channels.list({ platform: 'slack' })).length;
      await sendEvent(parley.url, eventCallback({ type: 'member_joined_channel', user: MEMBER.id, channel: 'CJOIN3', channel_type: 'C', team: 'T0001' }));
      const repeated = eventCallback({ type: 'member_joined_channel', user: 'UBOT', channel: 'CJOIN4', channel_type: 'C', team: 'T0001', inviter: ADMIN.id });
      await sendEvent(parley.url, repeated);
      await sendEvent(parley.url, repeated, { headers: { 'x-slack-retry-num': '1', 'x-slack-retry-reason': 'http_timeout' } });
      await eventually(() => parley.app.store.channels.find('slack', 'CJOIN4'), 'CJOIN4 registered');
      await new Promise((r) => setTimeout(r, 300));
      assert.equal(await parley.app.store.channels.find('slack', 'CJOIN3'), undefined);
      assert.equal((await parley.app.store.channels.list({ platform: 'slack' })).length, before + 1);
      assert.equal(posted('CJOIN4').length, 1, 'one welcome, not two');
    });

    test('removed, archived: the channel is marked error with that reason', async () => {
      await sendEvent(parley.url, eventCallback({ type: 'channel_left', channel: 'CJOIN', actor_id: ADMIN.id }));
      const left = await eventually(async () => {
        const c = await parley.app.store.channels.find('slack', 'CJOIN');
        return c?.status === 'error' ? c : undefined;
      }, 'CJOIN in error');
      assert.match(left.lastError?.message ?? '', /removed from this Slack channel by @ada/);

      await sendEvent(parley.url, eventCallback({ type: 'channel_archive', channel: 'CJOIN4', user: ADMIN.id }));
      const archived = await eventually(async () => {
        const c = await parley.app.store.channels.find('slack', 'CJOIN4');
        return c?.status === 'error' ? c : undefined;
      }, 'CJOIN4 in error');
      assert.match(archived.lastError?.message ?? '', /archived/);
    });

    test('the app uninstalled: every Slack channel is marked error', async () => {
      await sendEvent(parley.url, eventCallback({ type: 'app_uninstalled' }));
      await eventually(async () => {
        const all = await parley.app.store.channels.list({ platform: 'slack' });
        return all.every((c) => c.status === 'error' || c.status === 'pending') && all.some((c) => /uninstalled/.test(c.lastError?.message ?? '')) ? true : undefined;
      }, 'every channel in error');
    });
  });
});
