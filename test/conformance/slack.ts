// Slack's double for the conformance suite: the stateful fake of test/helpers/fake-slack.ts (messages per
// channel with threads, users, response URLs; every request checked against Slack's Web API spec), the adapter
// configured from the registry entry's own variables (bot token, signing secret, the fake's API URL), and
// Slack's way in: slash commands and Events API callbacks POSTed to the adapter's routes on Parley's own
// Fastify server, signed with the signing secret. Failures are answered as Slack answers them: 429 with
// Retry-After, HTTP 500, `channel_not_found` and `not_in_channel` (HTTP 200, `ok: false`).
import type { AddressInfo } from 'node:net';
import { createHttpServer } from '../../lib/http/server.js';
import { silentLogger } from '../../lib/log.js';
import { slackTs, startFakeSlack, type FakeSlackFault, type FakeSlackMessage } from '../helpers/fake-slack.js';
import { eventCallback, sendCommand, sendEvent, SIGNING_SECRET } from '../helpers/slack-request.js';
import { type ConformanceHarness, type Failure, type Rig, type Shown } from './harness.js';

const BOT_TOKEN = 'xoxb-1234-5678-conformancebottoken';
const CHANNEL = 'C0CONFORM1';
const BOT = { userId: 'U0PARLEYBT', botId: 'B0PARLEYBT', name: 'parley' };
const ALICE = { id: 'U0ALICE001', name: 'alice', real_name: 'Alice Liddell', display_name: 'Alice' };

/** The requests that send, edit or delete: a failure of failNext answers the first of them. */
const SENDING = ['chat.postMessage', 'chat.update', 'chat.delete'];

function realAnswer(failure: Failure, retryAfterSeconds: number): FakeSlackFault {
  switch (failure) {
    case 'rate-limit':
      return { method: SENDING, status: 429, headers: { 'retry-after': String(retryAfterSeconds) }, body: { ok: false, error: 'ratelimited' } };
    case 'server-error':
      return { method: SENDING, status: 500, body: { ok: false, error: 'internal_error' } };
    case 'channel-gone':
      return { method: SENDING, body: { ok: false, error: 'channel_not_found' } };
    case 'bot-removed':
      return { method: SENDING, body: { ok: false, error: 'not_in_channel' } };
  }
}

const decode = (text: string) => text.replace(/&lt;/gu, '<').replace(/&gt;/gu, '>').replace(/&amp;/gu, '&');

/** Slack's mrkdwn as a person sees it: links by their label, bold and the like without their marks, entities decoded. */
function visible(mrkdwn: string, links: string[]): string {
  const text = mrkdwn
    .replace(/<((?:https?|mailto):[^|>]+)(?:\|([^>]*))?>/gu, (_m, url: string, label?: string) => {
      links.push(decode(url));
      return label ?? url;
    })
    .replace(/(^|\s)\*([^*\n]+)\*(?=\s|$|[.,:;!?])/gu, '$1$2');
  return decode(text);
}

/** Every mrkdwn and plain text of a message's blocks and attachments, as Slack reads them for display and pings. */
function textsOf(message: FakeSlackMessage): string[] {
  const out: string[] = [];
  const walk = (node: unknown): void => {
    if (Array.isArray(node)) return node.forEach(walk);
    if (!node || typeof node !== 'object') return;
    const o = node as Record<string, unknown>;
    if ((o.type === 'mrkdwn' || o.type === 'plain_text') && typeof o.text === 'string') out.push(o.text);
    for (const [key, value] of Object.entries(o)) if (key !== 'fallback' && typeof value === 'object') walk(value);
  };
  walk(message.blocks);
  walk(message.attachments);
  return out;
}

export const slackHarness: ConformanceHarness = {
  platform: 'slack',
  async setup({ factory, store, deps }): Promise<Rig> {
    const slack = await startFakeSlack({ users: [ALICE], channels: [{ id: CHANNEL, name: 'conformance' }], bot: BOT });
    const { platform, problems } = factory.configure(
      { PARLEY_SLACK_BOT_TOKEN: BOT_TOKEN, PARLEY_SLACK_SIGNING_SECRET: SIGNING_SECRET, PARLEY_SLACK_API_URL: slack.url },
      { publicUrl: null },
    );
    if (!platform) throw new Error(`slack did not configure against the fake: ${problems.join('; ')}`);
    const adapter = await platform.create(deps);
    const { channel } = await store.channels.ensure({ platform: 'slack', externalId: CHANNEL, name: '#conformance', status: 'active', addedBy: 'cli' });

    // Parley's own HTTP server, listening: Slack POSTs slash commands and events to it.
    const app = createHttpServer({ log: silentLogger, checks: {} });
    adapter.registerRoutes?.(app);
    await app.listen({ port: 0, host: '127.0.0.1' });
    await adapter.start();
    const parleyUrl = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
    const find = (ref: string) => slack.messages(CHANNEL).find((m) => m.ts === ref);
    let commands = 0;

    return {
      adapter,
      channel,
      user: { id: ALICE.id, username: ALICE.name, displayName: ALICE.display_name },
      secrets: [BOT_TOKEN, SIGNING_SECRET],

      async shown(ref): Promise<Shown | undefined> {
        const message = find(ref);
        if (!message) return undefined;
        const links: string[] = [];
        // With blocks, Slack shows the blocks; the top-level text is the fallback for notifications.
        const texts = textsOf(message);
        const text = (texts.length > 0 ? texts : [String(message.text ?? '')]).map((t) => visible(t, links)).join('\n');
        return { text, links };
      },
      async mentionable(ref) {
        const message = find(ref);
        return message ? [String(message.text ?? ''), ...textsOf(message)].join('\n') : '';
      },
      async replyTarget(ref) {
        const message = find(ref);
        return message?.thread_ts && message.thread_ts !== message.ts ? message.thread_ts : null;
      },
      async vanish(ref) {
        if (!slack.removeMessage(CHANNEL, ref)) throw new Error(`no message ${ref} to delete`);
      },
      failNext(failure, opts = {}) {
        slack.queue.push(realAnswer(failure, opts.retryAfterSeconds ?? 5));
      },

      async typeCommand(text) {
        const match = /^\/(\S+)\s*([\s\S]*)$/u.exec(text);
        if (!match) throw new Error(`"${text}" is not a slash command`);
        const answer = await sendCommand(parleyUrl, {
          command: `/${match[1]!}`,
          text: match[2]!,
          channel_id: CHANNEL,
          channel_name: 'conformance',
          user_id: ALICE.id,
          user_name: ALICE.name,
          response_url: slack.responseUrl(`conformance-${commands++}`),
        });
        if (answer.status !== 200) throw new Error(`the slash command was answered ${answer.status}: ${JSON.stringify(answer.body)}`);
        return decode(String((answer.body as { text?: string }).text ?? ''));
      },

      async postHistory(messages) {
        for (const m of messages) slack.addMessage(CHANNEL, { ts: slackTs(m.at.getTime()), user: ALICE.id, text: m.text });
      },

      async addBotToChannel() {
        const res = await sendEvent(parleyUrl, eventCallback({ type: 'member_joined_channel', user: BOT.userId, channel: CHANNEL, channel_type: 'C', team: 'T0001', inviter: ALICE.id }));
        if (res.status !== 200) throw new Error(`the event was answered ${res.status}`);
      },
      async removeBot() {
        const res = await sendEvent(parleyUrl, eventCallback({ type: 'channel_left', channel: CHANNEL, actor_id: ALICE.id }));
        if (res.status !== 200) throw new Error(`the event was answered ${res.status}`);
      },

      async teardown() {
        await adapter.stop();
        await app.close();
        await slack.stop();
        if (slack.violations.length > 0) throw new Error(`requests Slack's spec does not allow: ${JSON.stringify(slack.violations)}`);
      },
    };
  },
};
