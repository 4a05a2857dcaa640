// Discord's answers, turned into the errors the delivery job understands (lib/errors.ts). The REST
// client (@discordjs/rest, re-exported by discord.js) is made with `retries: 0` and
// `rejectOnRateLimit: () => true`, so what reaches us is one of:
//   - RateLimitError: a 429, or a request the client held back because its bucket was empty. `retryAfter`
//     and `timeToReset` are milliseconds (Retry-After × 1000 plus the client's offset; 0 when unknown),
//     `global` says whether the bot's global limit was hit, `scope` is user/global/shared, `route` the bucket.
//   - DiscordAPIError: any other 4xx, with Discord's JSON error `code` (10003 Unknown Channel …), the HTTP
//     `status`, `rawError` (`{ code, message, errors? }`; the message already flattens `errors`), `method`, `url`.
//     A 401 also makes the client forget its token: later calls throw "Expected token to be set …".
//   - HTTPError: a 5xx (the client's own retries being off), with `status`.
//   - an AbortError (the client's request timeout) or fetch's TypeError for network trouble.
// They are told apart by shape (the `name` each class sets), not `instanceof`, so a second copy of the
// package in node_modules changes nothing. Codes: discord-api-types' RESTJSONErrorCodes, which follows
// Discord's "JSON Error Codes" table.
import { errorFromNetwork, isNoAnswer, isUnreachableStatus } from '../../lib/adapters/network-error.js';
import { retryAfterFromSeconds } from '../../lib/adapters/retry-after.js';
import { ParleyError, PlatformPermanentError, PlatformRateLimitedError, PlatformTransientError, PlatformUnreachableError, type PermanentReason } from '../../lib/errors.js';

/** When Discord says "slow down" without saying how long. Its per-route buckets reset within seconds. */
export const DEFAULT_RETRY_AFTER_MS = 5_000;
/** "Maximum number of edits to messages older than 1 hour reached. Try again later": no time given, and not soon. */
export const EDIT_LIMIT_RETRY_AFTER_MS = 60_000;

/** The JSON error codes Parley acts on (values as in RESTJSONErrorCodes). */
export const DiscordCode = {
  UnknownChannel: 10003,
  UnknownGuild: 10004,
  UnknownMessage: 10008,
  SlowmodeRateLimit: 20016,
  AnnouncementEditLimit: 20022,
  ChannelWriteRateLimit: 20028,
  ServerWriteRateLimit: 20029,
  EditsToOldMessagesLimit: 30046,
  Unauthorized: 40001,
  SendMessagesTemporarilyDisabled: 40004,
  FeatureTemporarilyDisabled: 40006,
  CannotSendInForumChannel: 40058,
  CloudflareBlocking: 40333,
  MissingAccess: 50001,
  CannotEditOthersMessage: 50005,
  CannotSendEmptyMessage: 50006,
  CannotSendInNonTextChannel: 50008,
  MissingPermissions: 50013,
  InvalidToken: 50014,
  CannotExecuteOnSystemMessage: 50021,
  InvalidFormBody: 50035,
  ArchivedThread: 50083,
  ApiOverloaded: 130000,
  ThreadAlreadyCreated: 160004,
  ThreadLocked: 160005,
  MaximumActiveThreads: 160006,
  MaximumActiveAnnouncementThreads: 160007,
  AutoModBlockedMessage: 200000,
  AutoModBlockedTitle: 200001,
  HarmfulLinksFilter: 240000,
} as const;

/**
 * Replaces anything that looks like a Discord secret in text: bot tokens (three base64url parts joined by
 * dots: the bot's id, a timestamp, an HMAC), an `Authorization: Bot …`/`Bearer …` value, and the token part
 * of a webhook or interaction URL (`/webhooks/{id}/{token}`).
 */
export function redactDiscordToken(text: string): string {
  return text
    .replace(/\b(authorization["']?\s*[:=]\s*["']?)(?:Bot|Bearer)\s+[^\s"',;]+/giu, '$1[redacted token]')
    .replace(/\b(Bot|Bearer)\s+[A-Za-z0-9._-]{50,}/gu, '$1 [redacted token]')
    .replace(/[A-Za-z0-9_-]{18,}\.[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]{20,}/gu, '[redacted token]')
    .replace(/(\/(?:webhooks|interactions)\/\d+\/)[A-Za-z0-9._-]{20,}/giu, '$1[redacted token]');
}

/** `answer`: what Discord said (its JSON error body, or the HTTP status), kept as the error's raw answer for admins. */
function permanent(reason: PermanentReason, message: string, answer?: string): PlatformPermanentError {
  return new PlatformPermanentError(reason, redactDiscordToken(message), answer === undefined ? undefined : redactDiscordToken(answer));
}

const TOKEN_HELP = 'reset the token in the Discord Developer Portal (your application → Bot → Reset Token) and set PARLEY_DISCORD_TOKEN';
const PERMISSIONS = 'View Channel, Send Messages, Embed Links and Read Message History (for thread rules also Create Public Threads and Send Messages in Threads)';
const REMOVE = 'or remove the channel from Parley with parley channels remove discord:ID';

// What each code means for the admin. Codes that wait (rate limits) or are Discord's own trouble are
// handled in fromApiError.
const PERMANENT_BY_CODE: Record<number, [PermanentReason, string]> = {
  [DiscordCode.UnknownChannel]: ['channel_not_found', `Discord does not know this channel (deleted, or a wrong id): check the id, ${REMOVE}`],
  [DiscordCode.UnknownGuild]: ['bot_removed', `The bot is not in this Discord server (kicked, or the server was deleted): invite the bot again, ${REMOVE}`],
  [DiscordCode.UnknownMessage]: ['message_not_found', 'The message is gone (deleted in Discord)'],
  [DiscordCode.Unauthorized]: ['token_revoked', `Discord refused the bot token: ${TOKEN_HELP}`],
  [DiscordCode.InvalidToken]: ['token_revoked', `Discord says the bot token is invalid: ${TOKEN_HELP}`],
  // 50001: the bot cannot see the channel at all: not (or no longer) in the server, or denied View Channel.
  [DiscordCode.MissingAccess]: ['bot_removed', `The bot cannot reach this channel (it was removed from the server, or may not view the channel): invite the bot to the server again and grant it ${PERMISSIONS} in the channel, ${REMOVE}`],
  // 50013: it sees the channel but lacks a permission for what it tried.
  [DiscordCode.MissingPermissions]: ['forbidden', `The bot lacks a permission in this channel: grant its role ${PERMISSIONS}`],
  [DiscordCode.CannotSendInNonTextChannel]: ['channel_not_found', `This is not a text channel (a category, voice or forum channel): register a text channel instead, ${REMOVE}`],
  [DiscordCode.CannotSendInForumChannel]: ['channel_not_found', `This is a forum channel, where messages go into posts: register a text channel instead, ${REMOVE}`],
  [DiscordCode.CannotEditOthersMessage]: ['forbidden', 'The bot may not edit this message (it is not the bot\'s own)'],
  [DiscordCode.CannotExecuteOnSystemMessage]: ['forbidden', 'The bot may not act on a system message'],
  [DiscordCode.ThreadLocked]: ['forbidden', 'The thread is locked: a moderator can unlock it (or give the bot Manage Threads)'],
  [DiscordCode.ArchivedThread]: ['forbidden', 'The thread is archived: unarchive it in Discord (or give the bot Send Messages in Threads, so that posting reopens it)'],
  [DiscordCode.ThreadAlreadyCreated]: ['bad_request', 'A thread was already created from this message (its id is the message\'s id)'],
  [DiscordCode.MaximumActiveThreads]: ['forbidden', 'The server has reached its maximum of active threads: archive some threads'],
  [DiscordCode.MaximumActiveAnnouncementThreads]: ['forbidden', 'The server has reached its maximum of active announcement threads: archive some threads'],
  [DiscordCode.AutoModBlockedMessage]: ['forbidden', 'The server\'s AutoMod blocked the message: exempt the bot\'s role from the AutoMod rule'],
  [DiscordCode.AutoModBlockedTitle]: ['forbidden', 'The server\'s AutoMod blocked the thread title: exempt the bot\'s role from the AutoMod rule'],
  [DiscordCode.HarmfulLinksFilter]: ['forbidden', 'Discord\'s harmful links filter blocked the message'],
  [DiscordCode.CannotSendEmptyMessage]: ['bad_request', 'Discord refused an empty message'],
};

// Rate limits Discord reports as a JSON error (usually with a 429 the client turns into a RateLimitError first).
const RATE_LIMIT_CODES = new Set<number>([DiscordCode.SlowmodeRateLimit, DiscordCode.AnnouncementEditLimit, DiscordCode.ChannelWriteRateLimit, DiscordCode.ServerWriteRateLimit]);

// Discord's own trouble: retrying later can succeed.
const TRANSIENT_CODES = new Set<number>([DiscordCode.ApiOverloaded, DiscordCode.SendMessagesTemporarilyDisabled, DiscordCode.FeatureTemporarilyDisabled, DiscordCode.CloudflareBlocking]);

/** The object's `name` (a getter on the class for DiscordAPIError and RateLimitError) without a route/code suffix. */
function kindOf(e: Record<string, unknown>): string {
  const name = typeof e.name === 'string' ? e.name : '';
  return name.replace(/\[.*$/su, '');
}

/** `METHOD /channels/123/messages` from the client's full URL; never a query string. */
function requestOf(method: unknown, url: unknown): string {
  const m = typeof method === 'string' && method ? method.toUpperCase() : '?';
  if (typeof url !== 'string' || !url) return m;
  let path = url;
  try {
    path = new URL(url).pathname;
  } catch {
    path = url.split('?')[0] ?? '';
  }
  return `${m} ${path.replace(/^\/api(\/v\d+)?/u, '')}`;
}

function one(text: string): string {
  return text.replace(/\s*\n\s*/gu, '; ').trim();
}

interface RateLimitShape {
  retryAfter?: unknown;
  timeToReset?: unknown;
  sublimitTimeout?: unknown;
  global?: unknown;
  scope?: unknown;
  route?: unknown;
  method?: unknown;
  url?: unknown;
}

function ms(value: unknown): number {
  return typeof value === 'number' && Number.isFinite(value) && value > 0 ? Math.ceil(value) : 0;
}

function fromRateLimit(e: RateLimitShape): PlatformRateLimitedError {
  // A 429 without Retry-After leaves retryAfter 0; the bucket's reset (or the sublimit's) then says.
  const wait = Math.max(ms(e.retryAfter) || ms(e.timeToReset), ms(e.sublimitTimeout)) || DEFAULT_RETRY_AFTER_MS;
  const which = e.global === true ? 'global limit' : `route ${typeof e.route === 'string' ? e.route : '?'}`;
  const scope = typeof e.scope === 'string' ? `, ${e.scope} scope` : '';
  // The global limit holds every request of the bot, whatever its channel: the limiter pauses the platform.
  return new PlatformRateLimitedError(wait, redactDiscordToken(`Discord rate limit (${which}${scope}, ${requestOf(e.method, e.url)}): retry after ${wait} ms`), { global: e.global === true });
}

interface ApiErrorShape {
  code?: unknown;
  status?: unknown;
  message?: unknown;
  rawError?: unknown;
  method?: unknown;
  url?: unknown;
}

function fromApiError(e: ApiErrorShape): ParleyError {
  const code = typeof e.code === 'number' ? e.code : Number.isInteger(Number(e.code)) ? Number(e.code) : NaN;
  const status = typeof e.status === 'number' ? e.status : 0;
  const message = typeof e.message === 'string' && e.message ? one(e.message) : 'no message';
  const what = `Discord ${Number.isNaN(code) ? String(e.code) : code}: ${message}; HTTP ${status} on ${requestOf(e.method, e.url)}`;
  const raw = (e.rawError && typeof e.rawError === 'object' ? e.rawError : {}) as { retry_after?: unknown; global?: unknown };
  // The JSON error body as Discord sent it ({ code, message, errors }), else what the client made of it.
  const answer = JSON.stringify(e.rawError && typeof e.rawError === 'object' ? e.rawError : { code: e.code, message: e.message, status });

  if (status === 429 || RATE_LIMIT_CODES.has(code)) {
    const wait = retryAfterFromSeconds(raw.retry_after, DEFAULT_RETRY_AFTER_MS);
    const slowmode = code === DiscordCode.SlowmodeRateLimit ? ' (the channel\'s slowmode: give the bot Manage Messages to be exempt, or lower slowmode)' : '';
    return new PlatformRateLimitedError(wait, redactDiscordToken(`Discord rate limit${slowmode} (${what})`), { global: raw.global === true });
  }
  if (code === DiscordCode.EditsToOldMessagesLimit) {
    return new PlatformRateLimitedError(retryAfterFromSeconds(raw.retry_after, EDIT_LIMIT_RETRY_AFTER_MS), redactDiscordToken(`Discord limits edits of messages older than an hour (${what})`));
  }
  // A 503 with a JSON error (130000 API overloaded) is still Discord as a whole, not this message.
  if (isUnreachableStatus(status)) return new PlatformUnreachableError(redactDiscordToken(`Discord cannot be reached (${what})`));
  if (TRANSIENT_CODES.has(code) || status >= 500 || status === 408) return new PlatformTransientError(redactDiscordToken(`Discord server trouble (${what})`));
  if (code === DiscordCode.InvalidFormBody) return permanent('bad_request', `Discord rejected the request's fields (${what})`, answer);

  const known = PERMANENT_BY_CODE[code];
  if (known) return permanent(known[0], `${known[1]} (${what})`, answer);
  if (status === 401) return permanent('token_revoked', `Discord refused the bot token: ${TOKEN_HELP} (${what})`, answer);
  if (status === 403) return permanent('forbidden', `Discord refused the request: check the bot's permissions in the channel: ${PERMISSIONS} (${what})`, answer);
  return permanent('bad_request', `Discord rejected the request (${what})`, answer);
}

function fromHttpError(e: { status?: unknown; message?: unknown; method?: unknown; url?: unknown }): ParleyError {
  const status = typeof e.status === 'number' ? e.status : 0;
  const text = typeof e.message === 'string' && e.message ? ` ${e.message}` : '';
  const what = `HTTP ${status}${text} on ${requestOf(e.method, e.url)}`;
  if (status === 429) return new PlatformRateLimitedError(DEFAULT_RETRY_AFTER_MS, redactDiscordToken(`Discord rate limit (${what})`));
  // The client's HTTPError keeps no headers: no Retry-After to pass on.
  if (isUnreachableStatus(status)) return new PlatformUnreachableError(redactDiscordToken(`Discord cannot be reached (${what})`));
  if (status >= 500 || status === 408 || status === 0) return new PlatformTransientError(redactDiscordToken(`Discord server error (${what})`));
  if (status === 401) return permanent('token_revoked', `Discord refused the bot token: ${TOKEN_HELP} (${what})`, what);
  if (status === 403) return permanent('forbidden', `Discord refused the request (${what})`, what);
  return permanent('bad_request', `Discord answered ${what}`, what);
}

/** Discord's JSON error code of a DiscordAPIError (e.g. 160004, to take "thread already created" as done), else undefined. */
export function discordErrorCode(err: unknown): number | undefined {
  if (err === null || typeof err !== 'object') return undefined;
  const e = err as Record<string, unknown>;
  return kindOf(e) === 'DiscordAPIError' && typeof e.code === 'number' ? e.code : undefined;
}

/** Maps anything a @discordjs/rest call threw to the error the delivery job acts on. Messages never hold a token. */
export function mapDiscordError(err: unknown): ParleyError {
  if (err instanceof ParleyError) return err;
  const e = (err !== null && typeof err === 'object' ? err : {}) as Record<string, unknown>;
  const message = typeof e.message === 'string' ? e.message : String(err);

  switch (kindOf(e)) {
    case 'RateLimitError':
      return fromRateLimit(e);
    case 'DiscordAPIError':
      return fromApiError(e);
    case 'HTTPError':
      return fromHttpError(e);
    case 'AbortError':
    case 'TimeoutError':
      return errorFromNetwork(err, 'Discord request');
    default:
      break;
  }
  // After a 401 the client drops its token; so does a client that never got one.
  if (/expected token to be set for this request/iu.test(message)) return permanent('token_revoked', `No valid Discord bot token: ${TOKEN_HELP}`);
  // fetch's own failures: TypeError('fetch failed', { cause: ECONNREFUSED … }), undici's socket errors. Any other
  // throw (a bug of ours) is not Discord being down.
  const network = redactDiscordToken(errorFromNetwork(err, 'Discord request').message);
  return isNoAnswer(err) ? new PlatformUnreachableError(network) : new PlatformTransientError(network);
}
