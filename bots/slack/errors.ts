// Slack's answers, turned into the errors the delivery job understands (lib/errors.ts). The client
// runs with its own retries off and `rejectRateLimitedCalls`, so what reaches us is one of @slack/web-api's
// coded errors: a platform error (HTTP 200, `{ ok: false, error: 'channel_not_found' }`: Slack's Web API
// puts nearly every refusal there), a rate limit (HTTP 429 with Retry-After), another HTTP status, or a
// request that got no answer. They are told apart by `code`, not `instanceof`, so a second copy of the
// package in node_modules changes nothing.
import { errorFromNetwork, isUnreachableStatus, retryAfterOf } from '../../lib/adapters/network-error.js';
import { retryAfterFromHeaders, retryAfterFromSeconds } from '../../lib/adapters/retry-after.js';
import { ParleyError, PlatformPermanentError, PlatformRateLimitedError, PlatformTransientError, PlatformUnreachableError, type PermanentReason } from '../../lib/errors.js';

/**
 * When Slack says "slow down" without saying how long: a `ratelimited` platform error, or a 429 whose
 * Retry-After is missing. Slack's method tiers count per minute, so a short wait would most likely be
 * refused again; rate-limit waits do not use up delivery attempts.
 */
export const DEFAULT_RETRY_AFTER_MS = 30_000;

// The `code` of @slack/web-api's errors (its ErrorCode enum).
const RATE_LIMITED = 'slack_webapi_rate_limited_error';
const PLATFORM = 'slack_webapi_platform_error';
const HTTP = 'slack_webapi_http_error';
const REQUEST = 'slack_webapi_request_error';

/** Replaces anything that looks like a Slack token (xoxb-, xoxp-, xoxe.xoxp-, xapp- …) in text. */
export function redactToken(text: string): string {
  return text.replace(/\bx(?:ox[a-z](?:\.xox[a-z])?|app)-[A-Za-z0-9-]+/gu, '[redacted token]');
}

/** `answer`: what Slack said (its error body), kept as the error's raw answer for admins. */
function permanent(reason: PermanentReason, message: string, answer?: unknown): PlatformPermanentError {
  return new PlatformPermanentError(reason, redactToken(message), answer === undefined ? undefined : redactToken(typeof answer === 'string' ? answer : JSON.stringify(answer)));
}

const TOKEN_HELP = 'reinstall the Slack app to the workspace (or create a new bot token) and set PARLEY_SLACK_BOT_TOKEN';

// Slack's error codes as its method docs list them (chat.postMessage, chat.update, chat.delete …), with
// what each means for the admin. Codes that carry extra data are handled in fromPlatformError.
const PERMANENT_BY_CODE: Record<string, [PermanentReason, string]> = {
  invalid_auth: ['token_revoked', `Slack refused the bot token: ${TOKEN_HELP}`],
  not_authed: ['token_revoked', `No Slack token was sent: set PARLEY_SLACK_BOT_TOKEN`],
  account_inactive: ['token_revoked', `The Slack bot user or its workspace was deactivated: ${TOKEN_HELP}`],
  token_revoked: ['token_revoked', `The Slack token was revoked (the app was uninstalled?): ${TOKEN_HELP}`],
  token_expired: ['token_revoked', `The Slack token expired (token rotation is on and it was not refreshed): ${TOKEN_HELP}`],
  not_allowed_token_type: ['token_revoked', 'Slack does not accept this kind of token here: PARLEY_SLACK_BOT_TOKEN must be the bot token (xoxb-…)'],
  channel_not_found: ['channel_not_found', 'Slack does not know this channel, or the bot cannot see it (a private channel it was never invited to): invite the bot with /invite @app, or remove the channel from Parley with parley channels remove slack:ID'],
  not_in_channel: ['bot_removed', 'The bot is not a member of this channel: invite it with /invite @app'],
  is_archived: ['channel_not_found', 'The channel is archived: unarchive it in Slack, or remove it from Parley with parley channels remove slack:ID'],
  channel_is_archived: ['channel_not_found', 'The channel is archived: unarchive it in Slack, or remove it from Parley with parley channels remove slack:ID'],
  // message_not_found: the ts names no message in the channel (deleted). cant_update_message and
  // cant_delete_message: the message exists but is not the bot's to change.
  message_not_found: ['message_not_found', 'The message is gone (deleted in Slack)'],
  cant_update_message: ['forbidden', 'The bot may not edit this message (it is not the bot\'s own)'],
  cant_delete_message: ['forbidden', 'The bot may not delete this message (it is not the bot\'s own)'],
  edit_window_closed: ['forbidden', 'The message can no longer be edited (the workspace limits editing time)'],
  ekm_access_denied: ['forbidden', 'The workspace\'s Enterprise Key Management revoked access to this content'],
};

// Slack's own trouble: retrying later can succeed. team_added_to_org: the workspace is migrating into an
// Enterprise Grid organisation, during which the API is intermittently unavailable.
const TRANSIENT_CODES = new Set(['internal_error', 'fatal_error', 'service_unavailable', 'request_timeout', 'team_added_to_org']);

interface PlatformData {
  error?: unknown;
  needed?: unknown;
  provided?: unknown;
  response_metadata?: { messages?: unknown };
}

/** Slack's explanations (e.g. `[ERROR] must be less than 3001 characters [json-pointer:/blocks/0/text]`). */
function metadataMessages(data: PlatformData): string {
  const messages = data.response_metadata?.messages;
  return Array.isArray(messages) && messages.length > 0 ? `; ${messages.filter((m) => typeof m === 'string').join('; ')}` : '';
}

function fromPlatformError(data: PlatformData): ParleyError {
  const code = typeof data.error === 'string' && data.error ? data.error : 'unknown_error';
  const what = `Slack error ${code}${metadataMessages(data)}`;

  if (code === 'ratelimited' || code === 'rate_limited') return new PlatformRateLimitedError(DEFAULT_RETRY_AFTER_MS, `Slack rate limit (${what})`);
  if (TRANSIENT_CODES.has(code)) return new PlatformTransientError(redactToken(`Slack server trouble (${what})`));
  if (code === 'missing_scope') {
    const needed = typeof data.needed === 'string' && data.needed ? data.needed : 'a scope it did not name';
    const provided = typeof data.provided === 'string' && data.provided ? ` (the token has ${data.provided})` : '';
    return permanent('forbidden', `The Slack app lacks the scope ${needed}${provided}: add it under OAuth & Permissions and reinstall the app (${what})`, data);
  }
  // restricted_action, restricted_action_read_only_channel, restricted_action_thread_only_channel …
  if (code.startsWith('restricted_action')) {
    return permanent('forbidden', `A workspace setting forbids the bot to post here (read-only or restricted channel): let the bot post, or remove the channel from Parley (${what})`, data);
  }
  const known = PERMANENT_BY_CODE[code];
  if (known) return permanent(known[0], `${known[1]} (${what})`, data);
  return permanent('bad_request', `Slack rejected the request (${what})`, data);
}

function headersOf(raw: unknown): Headers {
  const headers = new Headers();
  if (raw && typeof raw === 'object') {
    for (const [name, value] of Object.entries(raw as Record<string, unknown>)) {
      if (typeof value === 'string') headers.set(name, value);
      else if (Array.isArray(value)) headers.set(name, value.join(', '));
    }
  }
  return headers;
}

function fromHttpError(status: number, headers: unknown, body: unknown): ParleyError {
  const what = `HTTP ${status}`;
  if (status === 429) return new PlatformRateLimitedError(retryAfterFromHeaders(headersOf(headers), DEFAULT_RETRY_AFTER_MS), `Slack rate limit (${what})`);
  if (isUnreachableStatus(status)) return new PlatformUnreachableError(`Slack cannot be reached (${what})`, retryAfterOf(headersOf(headers)));
  if (status >= 500 || status === 408) return new PlatformTransientError(`Slack server error (${what})`);
  return permanent('bad_request', `Slack answered ${what}: check the API address and the request`, body === undefined || body === null || body === '' ? what : body);
}

/** Maps anything a @slack/web-api call threw to the error the delivery job acts on. Messages never hold a token. */
export function mapSlackError(err: unknown): ParleyError {
  if (err instanceof ParleyError) return err;
  const e = (err !== null && typeof err === 'object' ? err : {}) as {
    code?: unknown;
    message?: unknown;
    retryAfter?: unknown;
    data?: unknown;
    statusCode?: unknown;
    headers?: unknown;
    body?: unknown;
    original?: unknown;
  };
  const message = typeof e.message === 'string' ? e.message : String(err);

  switch (e.code) {
    case RATE_LIMITED:
      return new PlatformRateLimitedError(retryAfterFromSeconds(e.retryAfter, DEFAULT_RETRY_AFTER_MS), `Slack rate limit (${redactToken(message)})`);
    case PLATFORM:
      return fromPlatformError(e.data && typeof e.data === 'object' ? e.data : {});
    case HTTP:
      return typeof e.statusCode === 'number' ? fromHttpError(e.statusCode, e.headers, e.body) : new PlatformTransientError(redactToken(message));
    case REQUEST:
      // The client's request got no answer (refused, reset, DNS, timeout): Slack cannot be reached.
      return new PlatformUnreachableError(redactToken(errorFromNetwork(e.original ?? err, 'Slack request').message));
    default:
      break;
  }
  // A 429 whose Retry-After the client could not read arrives as a plain Error ("Retry header did not contain
  // a valid timeout (url: …)"); with the client's retries on, "A rate limit was exceeded (url: …)".
  if (/retry header did not contain a valid timeout|a rate limit was exceeded/iu.test(message)) {
    return new PlatformRateLimitedError(DEFAULT_RETRY_AFTER_MS, `Slack rate limit (${redactToken(message)})`);
  }
  // The package's other coded errors (file upload arguments …) are our request being wrong.
  if (typeof e.code === 'string' && e.code.startsWith('slack_webapi_')) return permanent('bad_request', `Slack client refused the request (${e.code}: ${message})`);
  return new PlatformTransientError(redactToken(message));
}
