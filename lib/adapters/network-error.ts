// A platform that cannot be reached as a whole, as opposed to one message refused (docs/architecture.md#faults):
// a request that got no answer (network trouble, DNS, a refused connection or our own timeout), or an answer of
// 502, 503 or 504 (a gateway in front of the platform answering for it). Each adapter's error mapping asks here,
// and throws a PlatformUnreachableError (its deliveries wait together, one probe at a time) whose message says which.
import { PlatformUnreachableError } from '../errors.js';
import { retryAfterFromHeaders } from './retry-after.js';

/** `what` names the request (`Mattermost post`); the message never holds the URL, which may carry a secret. */
export function errorFromNetwork(err: unknown, what: string): PlatformUnreachableError {
  const e = err as { name?: string; message?: string; cause?: { code?: string; message?: string } } | null;
  if (e?.name === 'TimeoutError' || e?.name === 'AbortError') return new PlatformUnreachableError(`${what}: no answer in time`);
  const reason = e?.cause?.code ?? e?.cause?.message ?? e?.message ?? String(err);
  return new PlatformUnreachableError(`${what}: ${reason}`);
}

/**
 * An HTTP status that says the platform as a whole cannot be reached: 502, 503, 504, and Cloudflare's 520-524 (the
 * origin down, refusing, timing out). Every other 5xx (500 first) is one request's failure: PlatformTransientError.
 */
export function isUnreachableStatus(status: number): boolean {
  return status === 502 || status === 503 || status === 504 || (status >= 520 && status <= 524);
}

/**
 * The Retry-After of an answer in milliseconds (seconds or an HTTP date), undefined when there is none. Only
 * Retry-After: a rate limiter's X-RateLimit-Reset (Mattermost sends it on every answer) says nothing about an outage.
 */
export function retryAfterOf(headers: Headers | undefined): number | undefined {
  const value = headers?.get('retry-after');
  if (!value) return undefined;
  const ms = retryAfterFromHeaders(new Headers({ 'retry-after': value }), -1);
  return ms < 0 ? undefined : ms;
}

// Node's and undici's codes for a connection that could not be made or was lost before the answer.
const NO_ANSWER_CODE = /^(E(CONNREFUSED|CONNRESET|CONNABORTED|TIMEDOUT|PIPE|HOSTUNREACH|NETUNREACH|NOTFOUND|AI_AGAIN)|UND_ERR_(SOCKET|CONNECT_TIMEOUT|HEADERS_TIMEOUT|BODY_TIMEOUT|CLOSED))$/u;

/**
 * Whether `err` (or one of its causes) is a request that got no answer: fetch's `TypeError('fetch failed')`, a
 * network code, a timeout or abort. For SDKs that let such errors through unwrapped among their others, so that a
 * bug of ours (any other throw) is not taken for the platform being down.
 */
export function isNoAnswer(err: unknown): boolean {
  for (let e = err, depth = 0; e && typeof e === 'object' && depth < 5; e = (e as { cause?: unknown }).cause, depth++) {
    const { name, code, message } = e as { name?: unknown; code?: unknown; message?: unknown };
    if (name === 'TimeoutError' || name === 'AbortError') return true;
    if (typeof code === 'string' && NO_ANSWER_CODE.test(code)) return true;
    if (e instanceof TypeError && message === 'fetch failed') return true;
  }
  return false;
}
