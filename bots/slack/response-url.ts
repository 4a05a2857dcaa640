// A slash command's response_url: Slack takes up to five answers there within 30 minutes of the command
// (api.slack.com/interactivity/handling#message_responses), ephemeral or for the channel, replacing the
// command's first answer or not. The URL is a credential: errors never name it.
import { fetchText } from '../../lib/adapters/fetch-text.js';
import { retryAfterFromHeaders } from '../../lib/adapters/retry-after.js';
import { PlatformPermanentError, PlatformRateLimitedError, PlatformTransientError } from '../../lib/errors.js';
import type { CommandReply } from '../../lib/seams/invocation.js';
import { DEFAULT_RETRY_AFTER_MS, redactToken } from './errors.js';
import { escapeSlack } from './format.js';

/** Answers a response_url takes. */
export const RESPONSE_URL_USES = 5;
/** How long it takes them, less a minute kept in hand for clocks and queues. */
export const RESPONSE_URL_LIFETIME_MS = 29 * 60_000;
const TIMEOUT_MS = 10_000;

/** What Slack shows for a slash command answer. */
export interface CommandResponse {
  response_type: 'ephemeral' | 'in_channel';
  text: string;
  /** Replace the command's earlier ephemeral answer ("Collecting …") instead of adding one. */
  replace_original?: boolean;
}

/** A core reply as Slack shows it: the text escaped for mrkdwn, ephemeral unless it is for everyone. */
export function toResponse(reply: CommandReply): CommandResponse {
  return { response_type: reply.visibility === 'channel' ? 'in_channel' : 'ephemeral', text: escapeSlack(reply.text) };
}

export function isResponseUrl(s: string | undefined): s is string {
  if (!s) return false;
  try {
    const u = new URL(s);
    return u.protocol === 'https:' || u.protocol === 'http:';
  } catch {
    return false;
  }
}

/**
 * Counts the answers sent to each response_url from this process, so progress never uses up the ones a
 * command's final answer needs. Forgets a URL once it has expired.
 */
export class ResponseUrlBudget {
  private readonly used = new Map<string, { count: number; expires: number }>();

  /** Answers left at `url` (as far as this process knows). */
  left(url: string, receivedAt: number | undefined): number {
    this.prune();
    if (receivedAt !== undefined && Date.now() - receivedAt >= RESPONSE_URL_LIFETIME_MS) return 0;
    return RESPONSE_URL_USES - (this.used.get(url)?.count ?? 0);
  }

  spend(url: string, receivedAt: number | undefined): void {
    const entry = this.used.get(url) ?? { count: 0, expires: (receivedAt ?? Date.now()) + RESPONSE_URL_LIFETIME_MS };
    entry.count++;
    this.used.set(url, entry);
  }

  private prune(): void {
    const now = Date.now();
    for (const [url, entry] of this.used) if (entry.expires <= now) this.used.delete(url);
  }
}

/** Slack answers a spent or expired URL with 404 and `used_url` / `expired_url`: the channel is the way left. */
function refused(status: number, headers: Headers, body: string) {
  if (status === 429) return new PlatformRateLimitedError(retryAfterFromHeaders(headers, DEFAULT_RETRY_AFTER_MS), 'Slack command response: rate limited');
  if (status >= 500) return new PlatformTransientError(`Slack command response: HTTP ${status}`);
  const why = body.trim().slice(0, 60).replace(/[^\w ]/gu, '') || `HTTP ${status}`;
  return new PlatformPermanentError('message_not_found', `Slack no longer takes answers to this command (${why})`, redactToken(body.trim() || `HTTP ${status}`));
}

export async function postResponse(url: string, response: CommandResponse): Promise<void> {
  await fetchText(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(response), timeoutMs: TIMEOUT_MS }, 'Slack command response', refused);
}
