// Everything Parley says in Slack: notifications through chat.postMessage (threaded with thread_ts, edited
// with chat.update, removed with chat.delete), later answers and progress through the command's response_url
// while it lasts (ephemeral, replacing the "Collecting …" answer), else in the channel.
import type { WebClient } from '@slack/web-api';
import { PlatformPermanentError } from '../../lib/errors.js';
import type { Logger } from '../../lib/log.js';
import type { CommandInvocation } from '../../lib/seams/invocation.js';
import type { PlatformAdapter } from '../../lib/seams/platform.js';
import type { SlackContext } from './context.js';
import { mapSlackError } from './errors.js';
import { escapeSlack, slackMessage } from './format.js';
import { isResponseUrl, postResponse, RESPONSE_URL_LIFETIME_MS, ResponseUrlBudget, toResponse } from './response-url.js';

/** Answers kept at a response_url for the command's final answer (and one to spare): progress uses the rest. */
const KEPT_FOR_ANSWERS = 2;
/** Progress replaces the first answer at once, then after these pauses (a slow history read takes minutes). */
const PROGRESS_PAUSES_MS = [0, 30_000, 120_000];

/** Runs one Web API call; whatever it throws becomes the error the delivery job acts on. */
export async function slackCall<T>(call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (err) {
    throw mapSlackError(err);
  }
}

export type SlackSenderMethods = Pick<
  Required<PlatformAdapter<SlackContext>>,
  'sendNotification' | 'editNotification' | 'deleteNotification' | 'replyLater' | 'progress'
>;

export class SlackSender implements SlackSenderMethods {
  private readonly budget = new ResponseUrlBudget();
  /** Per response_url: how many progress answers were sent, and when the last one was. */
  private readonly progressShown = new Map<string, { count: number; at: number }>();

  constructor(
    private readonly client: WebClient,
    private readonly log: Logger,
  ) {}

  async sendNotification(channel: { externalId: string }, notification: Parameters<typeof slackMessage>[0], opts: { threadRoot: string | null }): Promise<{ messageRef: string | null }> {
    const message = slackMessage(notification);
    const sent = await slackCall(() =>
      this.client.chat.postMessage({ channel: channel.externalId, ...message, ...(opts.threadRoot ? { thread_ts: opts.threadRoot } : {}) }),
    );
    return { messageRef: sent.ts ?? null };
  }

  async editNotification(channel: { externalId: string }, messageRef: string, notification: Parameters<typeof slackMessage>[0]): Promise<void> {
    // chat.update takes no unfurl settings: the message keeps those it was posted with.
    const { unfurl_links: _links, unfurl_media: _media, ...message } = slackMessage(notification);
    await slackCall(() => this.client.chat.update({ channel: channel.externalId, ts: messageRef, ...message }));
  }

  async deleteNotification(channel: { externalId: string }, messageRef: string): Promise<void> {
    await slackCall(() => this.client.chat.delete({ channel: channel.externalId, ts: messageRef }));
  }

  /** Says something in a channel as the bot (the answer to being added). */
  async say(channelId: string, text: string): Promise<void> {
    await slackCall(() => this.client.chat.postMessage({ channel: channelId, text: escapeSlack(text), unfurl_links: false, unfurl_media: false }));
  }

  async replyLater(invocation: CommandInvocation<SlackContext>, reply: { text: string; visibility: 'ephemeral' | 'channel' }): Promise<void> {
    if (!reply.text.trim()) return;
    const response = toResponse(reply);
    const { responseUrl, receivedAt } = invocation.platformContext ?? {};
    if (isResponseUrl(responseUrl) && this.budget.left(responseUrl, receivedAt) > 0) {
      try {
        this.budget.spend(responseUrl, receivedAt);
        // An ephemeral answer replaces "Working on it…" / the progress; one for everyone is a message of its own.
        await postResponse(responseUrl, { ...response, replace_original: response.response_type === 'ephemeral' });
        return;
      } catch (err) {
        // Used up or expired: the channel is the way left. Anything else is the job's to retry.
        if (!(err instanceof PlatformPermanentError)) throw err;
        this.log.warn({ err: err.message }, 'slack: response_url refused a later answer; answering in the channel');
      }
    }
    const channel = invocation.channel.externalId;
    if (response.response_type === 'ephemeral') {
      await slackCall(() => this.client.chat.postEphemeral({ channel, user: invocation.user.id, text: response.text }));
    } else {
      await slackCall(() => this.client.chat.postMessage({ channel, text: response.text, unfurl_links: false, unfurl_media: false }));
    }
  }

  /**
   * Replaces the command's ephemeral answer with `text`. A response_url takes five answers: progress uses at
   * most three, spaced out, and is skipped (the ref comes back unchanged) when it may not use another.
   */
  async progress(invocation: CommandInvocation<SlackContext>, text: string, ref: string | null): Promise<string | null> {
    const { responseUrl, receivedAt } = invocation.platformContext ?? {};
    if (!isResponseUrl(responseUrl)) return ref;
    for (const [url, entry] of this.progressShown) if (Date.now() - entry.at > RESPONSE_URL_LIFETIME_MS) this.progressShown.delete(url);
    const shown = this.progressShown.get(responseUrl) ?? { count: 0, at: 0 };
    const pause = PROGRESS_PAUSES_MS[shown.count];
    if (pause === undefined || Date.now() - shown.at < pause || this.budget.left(responseUrl, receivedAt) <= KEPT_FOR_ANSWERS) return ref;
    this.progressShown.set(responseUrl, { count: shown.count + 1, at: Date.now() });
    this.budget.spend(responseUrl, receivedAt);
    await postResponse(responseUrl, { response_type: 'ephemeral', text: escapeSlack(text), replace_original: true });
    return 'response_url';
  }
}
