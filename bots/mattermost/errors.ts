// Mattermost's answers, turned into the errors the delivery job understands (lib/errors.ts). Requests that got
// no answer at all are the core's errorFromNetwork (lib/adapters/network-error.ts).
import { isUnreachableStatus, retryAfterOf } from '../../lib/adapters/network-error.js';
import { retryAfterFromHeaders } from '../../lib/adapters/retry-after.js';
import { PlatformPermanentError, PlatformRateLimitedError, PlatformTransientError, PlatformUnreachableError, type ParleyError, type PermanentReason } from '../../lib/errors.js';

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

/**
 * Removes what is secret from text a server answered: an incoming webhook's key (the last part of its URL, which a
 * proxy's error page may quote) and an Authorization header's token.
 */
export function redactMattermostSecrets(text: string): string {
  return text.replace(/(\/hooks\/)[A-Za-z0-9_-]+/gu, '$1[redacted]').replace(/\b(Bearer|Token)\s+[A-Za-z0-9._-]+/giu, '$1 [redacted]');
}

/** Maps a non-2xx answer to the error the delivery job acts on. */
export function errorFromResponse(action: MattermostAction, status: number, headers: Headers, rawBody: string): ParleyError {
  const body = describeBody(rawBody);
  // A proxy's error page may quote the request's URL: a webhook's key.
  const what = redactMattermostSecrets(detail(status, body));
  // The answer as Mattermost sent it (an AppError's JSON, or a webhook's plain text), for admins.
  const raw = redactMattermostSecrets(rawBody.trim() || `HTTP ${status}`);
  const permanent = (reason: PermanentReason, message: string) => new PlatformPermanentError(reason, message, raw);

  if (status === 429) return new PlatformRateLimitedError(retryAfterFromHeaders(headers, DEFAULT_RETRY_AFTER_MS), `Mattermost rate limit (${what})`);

  if (action === 'webhook') {
    // Mattermost answers 501 when the admin has turned incoming webhooks off: retrying will not help.
    if (status === 501) {
      return permanent('forbidden', `Incoming webhooks are disabled on this Mattermost server (${what}): enable them in System Console > Integrations, or use PARLEY_MATTERMOST_TOKEN`);
    }
    if ((status === 400 || status === 404) && /not.?found|invalid.?webhook|incoming_webhook\.invalid|couldn.?t find/iu.test(`${body.id} ${body.message}`)) {
      return permanent('channel_not_found', `The incoming webhook no longer exists (${what}): create a new one and run parley channels add mattermost:ID --webhook-url URL`);
    }
    if (status === 404) {
      return permanent('channel_not_found', `The incoming webhook URL answers 404 (${what}): check it, or set a new one with parley channels add mattermost:ID --webhook-url URL`);
    }
  }

  // 502/503/504: the proxy in front of Mattermost answers for a server that is down or restarting.
  if (isUnreachableStatus(status)) return new PlatformUnreachableError(`Mattermost cannot be reached (${what})`, retryAfterOf(headers));
  if (status >= 500) return new PlatformTransientError(`Mattermost server error (${what})`);
  if (status === 401) {
    return permanent('token_revoked', `Mattermost refused the bot token (${what}): create a new bot access token and set PARLEY_MATTERMOST_TOKEN`);
  }
  if (status === 403) {
    if (action === 'post') return permanent('bot_removed', `The bot may not post in this channel (${what}): add the bot account to the channel`);
    if (action === 'history') return permanent('bot_removed', `The bot may not read this channel (${what}): add the bot account to the channel`);
    if (action === 'edit') return permanent('forbidden', `The bot may not change its post (${what}): it needs the edit_post and delete_post permissions`);
    return permanent('forbidden', `Mattermost denied the request (${what})`);
  }
  if (status === 404 && action === 'edit') return permanent('message_not_found', `The post is gone (${what})`);
  if (status === 404) return permanent('channel_not_found', `Mattermost does not know this channel or post (${what})`);
  // An archived channel answers 400 with an id that names it.
  if (/deleted|archived/iu.test(body.id)) return permanent('channel_not_found', `The channel is archived (${what}): unarchive it in Mattermost, or remove it from Parley with parley channels remove mattermost:ID`);
  return permanent('bad_request', `Mattermost rejected the request (${what})`);
}
