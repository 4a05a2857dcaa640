// Mattermost's answers, turned into the three errors the delivery job understands (lib/errors.ts). Requests
// that got no answer at all are the core's errorFromNetwork (lib/adapters/network-error.ts).
import { retryAfterFromHeaders } from '../../lib/adapters/retry-after.js';
import { PlatformPermanentError, PlatformRateLimitedError, PlatformTransientError, type ParleyError } from '../../lib/errors.js';

/** What we were doing, so a 403 or 404 can say what it means for the admin. */
export type MattermostAction = 'post' | 'edit' | 'webhook' | 'read' | 'history' | 'command-response';

/**
 * When a 429 says nothing about when to come back. Mattermost's limiter (throttled) sends Retry-After and
 * X-RateLimit-Reset as whole seconds from now; retryAfterFromHeaders reads both.
 */
export const DEFAULT_RETRY_AFTER_MS = 1000;

/** Mattermost's error body (AppError): `{ id, message, status_code }`. Anything else is kept as text. */
export function describeBody(body: string): { id: string; message: string } {
  try {
    const parsed = JSON.parse(body) as unknown;
    if (parsed && typeof parsed === 'object') {
      const o = parsed as Record<string, unknown>;
      return { id: typeof o.id === 'string' ? o.id : '', message: typeof o.message === 'string' ? o.message : '' };
    }
  } catch {
    // not JSON: an incoming webhook or a proxy answers in plain text
  }
  return { id: '', message: body.trim().slice(0, 200) };
}

function detail(status: number, body: { id: string; message: string }): string {
  const text = [body.message, body.id && `(${body.id})`].filter(Boolean).join(' ');
  return text ? `HTTP ${status}: ${text}` : `HTTP ${status}`;
}

/** Maps a non-2xx answer to the error the delivery job acts on. */
export function errorFromResponse(action: MattermostAction, status: number, headers: Headers, rawBody: string): ParleyError {
  const body = describeBody(rawBody);
  const what = detail(status, body);

  if (status === 429) return new PlatformRateLimitedError(retryAfterFromHeaders(headers, DEFAULT_RETRY_AFTER_MS), `Mattermost rate limit (${what})`);

  if (action === 'webhook') {
    // Mattermost answers 501 when the admin has turned incoming webhooks off: retrying will not help.
    if (status === 501) {
      return new PlatformPermanentError('forbidden', `Incoming webhooks are disabled on this Mattermost server (${what}): enable them in System Console > Integrations, or use PARLEY_MATTERMOST_TOKEN`);
    }
    if ((status === 400 || status === 404) && /not.?found|invalid.?webhook|incoming_webhook\.invalid|couldn.?t find/iu.test(`${body.id} ${body.message}`)) {
      return new PlatformPermanentError('channel_not_found', `The incoming webhook no longer exists (${what}): create a new one and run parley channels add mattermost:ID --webhook-url URL`);
    }
    if (status === 404) {
      return new PlatformPermanentError('channel_not_found', `The incoming webhook URL answers 404 (${what}): check it, or set a new one with parley channels add mattermost:ID --webhook-url URL`);
    }
  }

  if (status >= 500) return new PlatformTransientError(`Mattermost server error (${what})`);
  if (status === 401) {
    return new PlatformPermanentError('token_revoked', `Mattermost refused the bot token (${what}): create a new bot access token and set PARLEY_MATTERMOST_TOKEN`);
  }
  if (status === 403) {
    if (action === 'post') return new PlatformPermanentError('bot_removed', `The bot may not post in this channel (${what}): add the bot account to the channel`);
    if (action === 'history') return new PlatformPermanentError('bot_removed', `The bot may not read this channel (${what}): add the bot account to the channel`);
    if (action === 'edit') return new PlatformPermanentError('forbidden', `The bot may not change its post (${what}): it needs the edit_post and delete_post permissions`);
    return new PlatformPermanentError('forbidden', `Mattermost denied the request (${what})`);
  }
  if (status === 404 && action === 'edit') return new PlatformPermanentError('message_not_found', `The post is gone (${what})`);
  if (status === 404) return new PlatformPermanentError('channel_not_found', `Mattermost does not know this channel or post (${what})`);
  // An archived channel answers 400 with an id that names it.
  if (/deleted|archived/iu.test(body.id)) return new PlatformPermanentError('channel_not_found', `The channel is archived (${what}): unarchive it in Mattermost, or remove it from Parley with parley channels remove mattermost:ID`);
  return new PlatformPermanentError('bad_request', `Mattermost rejected the request (${what})`);
}
