// Errors are a code (stable, for lookups and logs) plus one small class per code, as in bolt-js.

export enum ErrorCode {
  ConfigInvalid = 'parley_config_invalid',
  SignatureInvalid = 'parley_signature_invalid',
  PlatformRateLimited = 'parley_platform_rate_limited',
  PlatformTransient = 'parley_platform_transient',
  PlatformUnreachable = 'parley_platform_unreachable',
  PlatformPermanent = 'parley_platform_permanent',
  ForumRateLimited = 'parley_forum_rate_limited',
  ForumUnavailable = 'parley_forum_unavailable',
  ForumRequestFailed = 'parley_forum_request_failed',
  RedisUnavailable = 'parley_redis_unavailable',
  StoreUnavailable = 'parley_store_unavailable',
}

export abstract class ParleyError extends Error {
  abstract readonly code: ErrorCode;
}

export class ConfigError extends ParleyError {
  readonly code = ErrorCode.ConfigInvalid;
  /** One line per problem, each naming the variable. */
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n  - ${problems.join('\n  - ')}`);
  }
}

/**
 * A platform asked us to slow down; retry after `retryAfterMs` without counting an attempt. `global`: the limit is the
 * whole bot's (Discord's `global: true`), not one channel's or route's, so every message to the platform waits.
 */
export class PlatformRateLimitedError extends ParleyError {
  readonly code = ErrorCode.PlatformRateLimited;
  readonly global: boolean;
  constructor(readonly retryAfterMs: number, message = `rate limited, retry after ${retryAfterMs} ms`, opts: { global?: boolean } = {}) {
    super(message);
    this.global = opts.global ?? false;
  }
}

/** Network trouble or a 5xx: worth retrying with backoff. */
export class PlatformTransientError extends ParleyError {
  readonly code: ErrorCode = ErrorCode.PlatformTransient;
}

/**
 * The platform as a whole cannot be reached, not one message refused: a connection refused, reset or timed out, an
 * answer of 502, 503 or 504. Its deliveries pause together and wait without spending attempts
 * (docs/architecture.md#faults). `retryAfterMs`, when known: when the next try may go.
 */
export class PlatformUnreachableError extends PlatformTransientError {
  override readonly code = ErrorCode.PlatformUnreachable;
  constructor(
    message: string,
    readonly retryAfterMs?: number,
    opts?: ErrorOptions,
  ) {
    super(message, opts);
  }
}

/** Why a channel cannot be reached until someone acts. Shown to admins. */
/** `message_not_found`: a sent message to edit or delete is gone (not an error for a follow-up). */
/** `encrypted_room`: the room is end-to-end encrypted (Matrix), which Parley cannot read or write. */
export type PermanentReason = 'channel_not_found' | 'message_not_found' | 'bot_removed' | 'token_revoked' | 'forbidden' | 'bad_request' | 'not_configured' | 'encrypted_room';

/** How much of a platform's answer a PlatformPermanentError keeps: enough to read, not a whole HTML page. */
export const RAW_ANSWER_MAX = 2048;

/**
 * The channel is gone, the bot was removed, the token revoked: retrying will not help. `raw` is what the platform
 * answered (its error body, code or numeric line), shown to admins beside the message; whoever builds the error
 * removes any token from it first. It is cut to RAW_ANSWER_MAX characters.
 */
export class PlatformPermanentError extends ParleyError {
  readonly code = ErrorCode.PlatformPermanent;
  readonly raw: string | undefined;
  constructor(readonly reason: PermanentReason, message: string, raw?: string) {
    super(message);
    this.raw = raw === undefined || raw === '' ? undefined : capRaw(raw);
  }
}

/** Cut to RAW_ANSWER_MAX characters, never inside a surrogate pair, the cut marked with an ellipsis. */
function capRaw(raw: string): string {
  if (raw.length <= RAW_ANSWER_MAX) return raw;
  let end = RAW_ANSWER_MAX - 1;
  const last = raw.charCodeAt(end - 1);
  if (last >= 0xd800 && last <= 0xdbff) end--;
  return `${raw.slice(0, end)}…`;
}

export class ForumRateLimitedError extends ParleyError {
  readonly code = ErrorCode.ForumRateLimited;
  constructor(readonly retryAfterMs: number) {
    super(`forum rate limit reached, retry after ${retryAfterMs} ms`);
  }
}

export class ForumUnavailableError extends ParleyError {
  readonly code = ErrorCode.ForumUnavailable;
}

/** The forum answered 4xx (other than 429): the request itself is wrong or not allowed. */
export class ForumRequestError extends ParleyError {
  readonly code = ErrorCode.ForumRequestFailed;
  constructor(readonly status: number, message: string) {
    super(message);
  }
}

export class RedisUnavailableError extends ParleyError {
  readonly code = ErrorCode.RedisUnavailable;
}

/** Error codes of a database that cannot be reached (Node's network codes, and pg-pool's own). */
const UNREACHABLE_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'EHOSTUNREACH', 'ENETUNREACH', 'ENOTFOUND', 'EAI_AGAIN', 'SQLITE_BUSY']);
/**
 * PostgreSQL's SQLSTATEs of a server going away or not taking connections: class 08 (connection exception),
 * 57P01-57P03 (shutting down, crashed, starting up), 53300 (too many connections).
 */
const UNREACHABLE_SQLSTATE = /^(08...|57P0[123]|53300)$/u;
/** What pg says when the connection drops under a query or cannot be made in time (it sets no code on these). */
const UNREACHABLE_MESSAGE = /^(Connection terminated|timeout exceeded when trying to connect|Client has encountered a connection error|Connection refused)/u;

/**
 * The database did not answer at all (down, restarting, unreachable, every connection taken), as opposed to
 * answering a query with an error: trying again later will help, and nothing was decided.
 */
export function isStoreUnreachable(err: unknown): boolean {
  for (let e = err, depth = 0; e && typeof e === 'object' && depth < 5; e = (e as { cause?: unknown }).cause, depth++) {
    const { code, message } = e as { code?: unknown; message?: unknown };
    if (typeof code === 'string' && (UNREACHABLE_CODES.has(code) || UNREACHABLE_SQLSTATE.test(code))) return true;
    if (typeof message === 'string' && UNREACHABLE_MESSAGE.test(message)) return true;
    // AggregateError: pg tried every address a name resolves to (IPv4 and IPv6) and each was refused.
    if (e instanceof AggregateError && e.errors.some(isStoreUnreachable)) return true;
  }
  return false;
}

/** The database could not be reached: the webhook is answered 503, so that its sender tries again. */
export class StoreUnavailableError extends ParleyError {
  readonly code = ErrorCode.StoreUnavailable;
}
