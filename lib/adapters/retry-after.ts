// How long a platform asked us to wait: HTTP's Retry-After (seconds or a date), a rate limiter's
// X-RateLimit-Reset, or a number of seconds in the body (Telegram's parameters.retry_after, Discord's retry_after).

/**
 * Milliseconds to wait from response headers: `Retry-After` (seconds or an HTTP date), else `X-RateLimit-Reset`
 * (seconds from now, or a Unix time when it looks like one). `fallbackMs` when neither says.
 */
export function retryAfterFromHeaders(headers: Headers, fallbackMs: number, now = Date.now()): number {
  const retryAfter = headers.get('retry-after')?.trim();
  if (retryAfter) {
    if (/^\d+(\.\d+)?$/u.test(retryAfter)) return Math.max(0, Math.ceil(Number(retryAfter) * 1000));
    const at = Date.parse(retryAfter);
    if (!Number.isNaN(at)) return Math.max(0, at - now);
  }
  const reset = headers.get('x-ratelimit-reset')?.trim();
  if (reset && /^\d+(\.\d+)?$/u.test(reset)) {
    const value = Number(reset);
    return value > 1e9 ? Math.max(0, value * 1000 - now) : Math.ceil(value * 1000);
  }
  return fallbackMs;
}

/** Milliseconds from a number of seconds a platform put in its answer; `fallbackMs` when it is missing or nonsense. */
export function retryAfterFromSeconds(seconds: unknown, fallbackMs: number): number {
  const n = typeof seconds === 'string' ? Number(seconds) : seconds;
  return typeof n === 'number' && Number.isFinite(n) && n >= 0 ? Math.ceil(n * 1000) : fallbackMs;
}
