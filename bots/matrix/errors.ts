// The homeserver's answers, turned into the errors the delivery job understands (lib/errors.ts).
// Matrix errors are `{ errcode, error }` with an HTTP status; a rate limit is 429 M_LIMIT_EXCEEDED with
// `retry_after_ms` (or a Retry-After header), which matrix-js-sdk's MatrixError reads for us.
// The SDK's HTTP layer alone, not its index (see ./client.ts).
import { ConnectionError, HTTPError, MatrixError } from 'matrix-js-sdk/lib/http-api/index.js';
import { isUnreachableStatus, retryAfterOf } from '../../lib/adapters/network-error.js';
import { PlatformPermanentError, PlatformRateLimitedError, PlatformTransientError, PlatformUnreachableError, type ParleyError, type PermanentReason } from '../../lib/errors.js';

/** When a rate limit names no wait. */
export const DEFAULT_RETRY_AFTER_MS = 5000;

/** What the failed request was about: a 404 means the room is unknown, or the message is gone. */
export type MatrixTarget = 'room' | 'message';

function fromMatrixError(err: MatrixError, target: MatrixTarget): ParleyError {
  const status = err.httpStatus;
  const code = err.errcode ?? 'no errcode';
  const what = `Matrix ${status ?? '?'} ${code}: ${err.data.error ?? 'no description'}`;
  // The homeserver's answer ({ errcode, error, … }), for admins: it never holds the access token.
  const raw = JSON.stringify(err.data);
  const permanent = (reason: PermanentReason, message: string) => new PlatformPermanentError(reason, message, raw);
  if (err.isRateLimitError()) return new PlatformRateLimitedError(err.getRetryAfterMs() ?? DEFAULT_RETRY_AFTER_MS, `homeserver rate limit (${what})`);
  if (status !== undefined && isUnreachableStatus(status)) return new PlatformUnreachableError(`homeserver cannot be reached (${what})`, retryAfterOf(err.httpHeaders));
  if (status === undefined || status >= 500) return new PlatformTransientError(`homeserver error (${what})`);
  if (code === 'M_UNKNOWN_TOKEN' || code === 'M_MISSING_TOKEN' || status === 401) {
    return permanent('token_revoked', `The homeserver refused the access token (${what}): set PARLEY_MATRIX_ACCESS_TOKEN to a valid token of the bot's account`);
  }
  if (code === 'M_NOT_FOUND' || status === 404) {
    return target === 'message'
      ? permanent('message_not_found', `The message is gone (${what})`)
      : permanent('channel_not_found', `The homeserver does not know this room (${what}): invite the bot again, or remove the channel with parley channels remove matrix:ROOM_ID`);
  }
  if (code === 'M_FORBIDDEN' || status === 403) {
    // Synapse: "User @bot:x not in room !r:x" (kicked, or never joined); otherwise a power level too low.
    if (/not in (the )?room|not a member|banned/iu.test(err.data.error ?? '')) {
      return permanent('bot_removed', `The bot is not in this room (${what}): invite it again`);
    }
    return permanent('forbidden', `The bot may not do this in the room (${what}): give it a power level that may send messages`);
  }
  return permanent('bad_request', `The homeserver rejected the request (${what})`);
}

/** Maps anything a homeserver call threw to the error the delivery job acts on. Messages never hold the token. */
export function mapMatrixError(err: unknown, target: MatrixTarget = 'room'): ParleyError {
  if (err instanceof PlatformPermanentError || err instanceof PlatformTransientError || err instanceof PlatformRateLimitedError) return err;
  if (err instanceof MatrixError) return fromMatrixError(err, target);
  // An answer that is not a Matrix error (a reverse proxy's HTML page): only its status says anything.
  if (err instanceof HTTPError) {
    const what = `homeserver answered ${err.message}`;
    return isUnreachableStatus(err.httpStatus ?? 0) ? new PlatformUnreachableError(what, retryAfterOf(err.httpHeaders)) : new PlatformTransientError(what);
  }
  // The SDK's word for fetch failing (refused, reset, DNS, our deadline); it keeps only the cause's message.
  if (err instanceof ConnectionError) return new PlatformUnreachableError(`homeserver cannot be reached: ${err.message}`);
  // A caller's abort, a body that is not JSON, a bug of ours.
  return new PlatformTransientError(`homeserver request failed: ${err instanceof Error ? err.message : String(err)}`);
}

/** The errcode of a homeserver answer, if it was one. */
export function errcodeOf(err: unknown): string | undefined {
  return err instanceof MatrixError ? err.errcode : undefined;
}
