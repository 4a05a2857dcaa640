// Telegram's answers, turned into the errors the delivery job understands (lib/errors.ts).
// Real Bot API errors are `{ ok:false, error_code, description, parameters?: { retry_after, migrate_to_chat_id } }`;
// the description is the precise part, the code is coarse (most refusals are 400).
import { GrammyError, HttpError, type Transformer } from 'grammy';
import { isNoAnswer, isUnreachableStatus } from '../../lib/adapters/network-error.js';
import { retryAfterFromSeconds } from '../../lib/adapters/retry-after.js';
import { PlatformPermanentError, PlatformRateLimitedError, PlatformTransientError, PlatformUnreachableError, type ParleyError, type PermanentReason } from '../../lib/errors.js';

/** When a 429 names no wait (Telegram always does; a proxy may not). */
export const DEFAULT_RETRY_AFTER_MS = 5000;

// Ordered: the first pattern that matches the description decides. Strings as Telegram sends them
// (e.g. "Forbidden: bot was kicked from the supergroup chat", "Bad Request: chat not found").
const PERMANENT_BY_DESCRIPTION: [RegExp, PermanentReason, string][] = [
  [/message to (edit|delete) not found|MESSAGE_ID_INVALID/iu, 'message_not_found', 'The message is gone (deleted in the chat)'],
  [/group chat was upgraded to a supergroup/iu, 'channel_not_found', 'The group became a supergroup with a new chat id'],
  [/chat not found|PEER_ID_INVALID|CHANNEL_INVALID|chat_id is empty/iu, 'channel_not_found', 'Telegram does not know this chat (deleted, or the bot never joined it): add the bot to the chat again, or remove the channel from Parley with parley channels remove telegram:ID'],
  [/chat was deleted|chat was deactivated|chat is deactivated|user is deactivated|CHANNEL_PRIVATE/iu, 'channel_not_found', 'The chat no longer exists'],
  [/bot was kicked|bot is not a member|bot was blocked by the user/iu, 'bot_removed', 'The bot was removed from this chat (or blocked): add it again'],
  [/not enough rights|have no rights|need administrator rights|CHAT_WRITE_FORBIDDEN|CHAT_RESTRICTED|TOPIC_CLOSED|can't initiate conversation|can't send messages to bots/iu, 'forbidden', 'The bot may not post in this chat: give it the right to send messages'],
];

/** Removes the bot token from text that may quote a request URL (`/bot<token>/sendMessage`). */
export function redactToken(text: string): string {
  return text.replace(/\/bot[^/\s]+\//gu, '/bot[redacted]/');
}

/** Telegram says how long in parameters.retry_after; a description may only say "retry after N". */
function retryAfterMs(err: GrammyError): number {
  return retryAfterFromSeconds(err.parameters.retry_after ?? /retry after (\d+)/iu.exec(err.description ?? '')?.[1], DEFAULT_RETRY_AFTER_MS);
}

function fromApiError(err: GrammyError): ParleyError {
  const code = err.error_code as number | undefined;
  const description = err.description ?? '';
  const what = `Telegram ${code ?? '?'}: ${description || 'no description'}`;
  // The Bot API's answer as it sent it, for admins; a description quoting a request URL loses the token.
  const raw = redactToken(JSON.stringify({ ok: false, error_code: code, description, ...(Object.keys(err.parameters ?? {}).length > 0 ? { parameters: err.parameters } : {}) }));

  if (code === 429) return new PlatformRateLimitedError(retryAfterMs(err), `Telegram rate limit (${what})`);
  // A Bot API answer of 502/503/504 ("Bad Gateway"): Telegram's servers are down, not this message refused. The Bot
  // API's JSON carries no headers to read a Retry-After from.
  if (typeof code === 'number' && isUnreachableStatus(code)) return new PlatformUnreachableError(redactToken(`Telegram cannot be reached (${what})`));
  // No number at all is not a Bot API answer (telegram-test-api's plain HTTP 500 `{message}`, a proxy's
  // page): as good as a server error.
  if (typeof code !== 'number' || code >= 500) return new PlatformTransientError(`Telegram server error (${what})`);
  // 409 is another getUpdates or webhook in the way: it passes when the other one stops.
  if (code === 409) return new PlatformTransientError(`Telegram conflict (${what})`);
  if (code === 401) return new PlatformPermanentError('token_revoked', `Telegram refused the bot token (${what}): get a new one from @BotFather and set PARLEY_TELEGRAM_TOKEN`, raw);
  // The Bot API answers 404 when the token is malformed or the API root is not a Bot API server.
  if (code === 404) return new PlatformPermanentError('token_revoked', `Telegram answered 404 (${what}): check PARLEY_TELEGRAM_TOKEN and PARLEY_TELEGRAM_API_ROOT`, raw);

  for (const [pattern, reason, meaning] of PERMANENT_BY_DESCRIPTION) {
    if (pattern.test(description)) {
      const moved = err.parameters.migrate_to_chat_id;
      const extra = moved === undefined ? '' : `; its new chat id is ${moved}`;
      return new PlatformPermanentError(reason, `${meaning}${extra} (${what})`, raw);
    }
  }
  if (code === 403) return new PlatformPermanentError('forbidden', `Telegram forbids this (${what})`, raw);
  return new PlatformPermanentError('bad_request', `Telegram rejected the request (${what})`, raw);
}

/** node-fetch's (grammY's fetch on Node) error for a body that does not parse; a native fetch's SyntaxError. */
function notJson(err: unknown): boolean {
  return err instanceof SyntaxError || (err instanceof Error && (err as { type?: unknown }).type === 'invalid-json');
}

/** Maps anything a grammY call threw to the error the delivery job acts on. Messages never hold the token. */
export function mapTelegramError(err: unknown): ParleyError {
  if (err instanceof GrammyError) return fromApiError(err);
  if (err instanceof HttpError) {
    const cause = err.error instanceof Error ? `: ${err.error.message}` : '';
    const message = redactToken(`${err.message}${cause}`);
    // grammY's HttpError is no answer at all (fetch failed, our timeout), or an answer that was not JSON: a
    // gateway's error page (an HTML 502) whose status grammY does not keep. Both say Telegram cannot be reached.
    if (isNoAnswer(err.error) || notJson(err.error)) return new PlatformUnreachableError(message);
    return new PlatformTransientError(message);
  }
  if (err instanceof PlatformPermanentError || err instanceof PlatformTransientError || err instanceof PlatformRateLimitedError) return err;
  return new PlatformTransientError(redactToken(err instanceof Error ? err.message : String(err)));
}

/**
 * Turns a body that is not a Bot API answer (no boolean `ok`) into one, so grammY raises a GrammyError with
 * a description instead of "undefined: undefined". telegram-test-api answers every error this way.
 */
export const normalizeForeignErrors: Transformer = async (prev, method, payload, signal) => {
  const res = await prev(method, payload, signal);
  const raw = res as unknown;
  if (raw !== null && typeof raw === 'object' && typeof (raw as { ok?: unknown }).ok === 'boolean') return res;
  const message = raw !== null && typeof raw === 'object' && typeof (raw as { message?: unknown }).message === 'string' ? (raw as { message: string }).message : '';
  return { ok: false, error_code: 500, description: `Not a Bot API answer${message ? `: ${message}` : ''}` };
};
