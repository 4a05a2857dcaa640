import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { WebAPIHTTPError, WebAPIPlatformError, WebAPIRateLimitedError, WebAPIRequestError } from '@slack/web-api';
import { ConfigError, PlatformPermanentError, PlatformRateLimitedError, PlatformTransientError, PlatformUnreachableError, type PermanentReason } from '../../lib/errors.js';
import { DEFAULT_RETRY_AFTER_MS, mapSlackError, redactToken } from '../../bots/slack/errors.js';

// Errors built with @slack/web-api's own classes, as WebClient throws them (dist/WebClient.js: apiCall
// throws WebAPIPlatformError(result) on `ok: false`; makeRequest throws WebAPIRateLimitedError(retrySec) on a
// 429 with rejectRateLimitedCalls, WebAPIHTTPError(status, statusText, headers, body) on other statuses and
// WebAPIRequestError(original) when fetch fails).
function platform(error: string, extra: Record<string, unknown> = {}): WebAPIPlatformError {
  return new WebAPIPlatformError({ ok: false, error, ...extra });
}

function permanent(err: unknown): PlatformPermanentError {
  const mapped = mapSlackError(err);
  assert.ok(mapped instanceof PlatformPermanentError, `${String(err)} → ${mapped.constructor.name}`);
  return mapped;
}

function reasonOf(code: string): PermanentReason {
  return permanent(platform(code)).reason;
}

describe('mapSlackError on rate limits', () => {
  test('WebAPIRateLimitedError waits retryAfter seconds', () => {
    const mapped = mapSlackError(new WebAPIRateLimitedError(12));
    assert.ok(mapped instanceof PlatformRateLimitedError);
    assert.equal(mapped.retryAfterMs, 12_000);
  });

  test('a `ratelimited` platform error waits the default', () => {
    for (const code of ['ratelimited', 'rate_limited']) {
      const mapped = mapSlackError(platform(code));
      assert.ok(mapped instanceof PlatformRateLimitedError, code);
      assert.equal(mapped.retryAfterMs, DEFAULT_RETRY_AFTER_MS);
    }
  });

  test('an HTTP 429 reads Retry-After, or waits the default without it', () => {
    const withHeader = mapSlackError(new WebAPIHTTPError(429, 'Too Many Requests', { 'retry-after': '7' }, ''));
    assert.ok(withHeader instanceof PlatformRateLimitedError);
    assert.equal(withHeader.retryAfterMs, 7000);
    const without = mapSlackError(new WebAPIHTTPError(429, 'Too Many Requests', {}, ''));
    assert.ok(without instanceof PlatformRateLimitedError);
    assert.equal(without.retryAfterMs, DEFAULT_RETRY_AFTER_MS);
  });

  test("the client's plain Error for a 429 with an unreadable Retry-After is a rate limit", () => {
    const err = new Error('Retry header did not contain a valid timeout (url: https://slack.com/api/chat.postMessage, retry-after header: soon)');
    const mapped = mapSlackError(err);
    assert.ok(mapped instanceof PlatformRateLimitedError);
    assert.equal(mapped.retryAfterMs, DEFAULT_RETRY_AFTER_MS);
  });
});

describe('mapSlackError on platform errors', () => {
  test('dead or missing tokens are token_revoked and say to set PARLEY_SLACK_BOT_TOKEN', () => {
    for (const code of ['invalid_auth', 'not_authed', 'account_inactive', 'token_revoked', 'token_expired']) {
      const err = permanent(platform(code));
      assert.equal(err.reason, 'token_revoked', code);
      assert.match(err.message, /PARLEY_SLACK_BOT_TOKEN/, code);
      assert.ok(err.message.includes(code), code);
    }
    assert.match(permanent(platform('invalid_auth')).message, /reinstall/);
  });

  test('channel_not_found and is_archived are channel_not_found, with what to do', () => {
    assert.equal(reasonOf('channel_not_found'), 'channel_not_found');
    const archived = permanent(platform('is_archived'));
    assert.equal(archived.reason, 'channel_not_found');
    assert.match(archived.message, /unarchive/);
    assert.match(archived.message, /parley channels remove/);
  });

  test('not_in_channel is bot_removed and says to invite the bot', () => {
    const err = permanent(platform('not_in_channel'));
    assert.equal(err.reason, 'bot_removed');
    assert.match(err.message, /\/invite @/);
  });

  test('message_not_found is a gone message; cant_update_message / cant_delete_message are forbidden', () => {
    assert.equal(reasonOf('message_not_found'), 'message_not_found');
    assert.equal(reasonOf('cant_update_message'), 'forbidden');
    assert.equal(reasonOf('cant_delete_message'), 'forbidden');
  });

  test('restricted_action (and its variants) is forbidden', () => {
    assert.equal(reasonOf('restricted_action'), 'forbidden');
    assert.equal(reasonOf('restricted_action_read_only_channel'), 'forbidden');
  });

  test('missing_scope is forbidden and names the scope needed', () => {
    const err = permanent(platform('missing_scope', { needed: 'chat:write', provided: 'channels:read' }));
    assert.equal(err.reason, 'forbidden');
    assert.match(err.message, /chat:write/);
    assert.match(err.message, /channels:read/);
    assert.match(err.message, /reinstall/);
  });

  test("Slack's own trouble is transient", () => {
    for (const code of ['internal_error', 'fatal_error', 'service_unavailable', 'request_timeout']) {
      const mapped = mapSlackError(platform(code));
      assert.ok(mapped instanceof PlatformTransientError, code);
      assert.ok(mapped.message.includes(code));
    }
  });

  test("anything else is bad_request naming Slack's code and its explanation", () => {
    const err = permanent(platform('invalid_blocks', { response_metadata: { messages: ['[ERROR] must be less than 3001 characters [json-pointer:/blocks/0/text]'] } }));
    assert.equal(err.reason, 'bad_request');
    assert.match(err.message, /invalid_blocks/);
    assert.match(err.message, /3001 characters/);
    const odd = permanent(platform('some_future_code'));
    assert.equal(odd.reason, 'bad_request');
    assert.match(odd.message, /some_future_code/);
  });
});

describe('mapSlackError on HTTP and network errors', () => {
  test('502, 503, 504 are Slack unreachable, with the Retry-After it gave; 500 and another 5xx are transient; another status is permanent', () => {
    for (const status of [502, 503, 504]) {
      const mapped = mapSlackError(new WebAPIHTTPError(status, 'Service Unavailable', {}, '<html>'));
      assert.ok(mapped instanceof PlatformUnreachableError, `${status} → ${mapped.constructor.name}`);
      assert.match(mapped.message, new RegExp(`HTTP ${status}`));
      assert.equal(mapped.retryAfterMs, undefined);
    }
    // The headers as the client hands them (a plain object); Retry-After, not X-RateLimit-Reset, says when.
    const later = mapSlackError(new WebAPIHTTPError(503, 'Service Unavailable', { 'retry-after': '120', 'x-ratelimit-reset': '5' }, ''));
    assert.ok(later instanceof PlatformUnreachableError);
    assert.equal(later.retryAfterMs, 120_000);
    for (const status of [500, 501, 505]) {
      const mapped = mapSlackError(new WebAPIHTTPError(status, 'Server Error', {}, '<html>'));
      assert.ok(mapped instanceof PlatformTransientError, String(status));
      assert.ok(!(mapped instanceof PlatformUnreachableError), `${status} is one request's failure, not Slack down`);
    }
    const err = permanent(new WebAPIHTTPError(404, 'Not Found', {}, ''));
    assert.equal(err.reason, 'bad_request');
    assert.match(err.message, /404/);
  });

  test('a request that got no answer is Slack unreachable and says why', () => {
    const refused = new TypeError('fetch failed', { cause: Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:443'), { code: 'ECONNREFUSED' }) });
    const mapped = mapSlackError(new WebAPIRequestError(refused));
    assert.ok(mapped instanceof PlatformUnreachableError);
    assert.match(mapped.message, /ECONNREFUSED/);

    const timeout = new DOMException('The operation was aborted due to timeout', 'TimeoutError');
    const timedOut = mapSlackError(new WebAPIRequestError(timeout));
    assert.ok(timedOut instanceof PlatformUnreachableError);
    assert.match(timedOut.message, /no answer in time/);
  });

  test('an unknown throw is transient, not Slack unreachable', () => {
    for (const err of [new Error('boom'), 'boom']) {
      const mapped = mapSlackError(err);
      assert.ok(mapped instanceof PlatformTransientError && !(mapped instanceof PlatformUnreachableError), String(err));
    }
  });
});

describe('mapSlackError keeps secrets and Parley errors', () => {
  test('a ParleyError passes through unchanged', () => {
    const errors = [new PlatformPermanentError('forbidden', 'x'), new PlatformTransientError('y'), new PlatformRateLimitedError(5), new ConfigError(['z'])];
    for (const err of errors) assert.equal(mapSlackError(err), err);
  });

  test('tokens never reach a message', () => {
    const bot = 'xoxb-123456789012-1234567890123-AbCdEfGhIjKlMnOpQrStUvWx';
    const app = 'xapp-1-A0123456789-1234567890123-abcdef0123456789';
    const rotated = 'xoxe.xoxp-1-Mi0yLTEyMzQ1';
    assert.equal(redactToken(`token ${bot} and ${app} and ${rotated}`), 'token [redacted token] and [redacted token] and [redacted token]');

    const inputs: unknown[] = [
      new Error(`Authorization: Bearer ${bot} failed`),
      new WebAPIRequestError(new Error(`socket hang up sending ${bot}`)),
      platform('invalid_blocks', { response_metadata: { messages: [`bad ${app}`] } }),
    ];
    for (const input of inputs) {
      const { message } = mapSlackError(input);
      assert.ok(!/xox[a-z]-|xapp-/u.test(message), message);
    }
    const raw = permanent(platform('invalid_blocks', { response_metadata: { messages: [`bad ${app}`] } })).raw ?? '';
    assert.ok(raw.includes('invalid_blocks') && !/xox[a-z]-|xapp-/u.test(raw), raw);
  });
});

describe("the raw answer admins see (PlatformPermanentError.raw)", () => {
  test("is Slack's own body: its error code and response_metadata", () => {
    const err = permanent(platform('invalid_blocks', { response_metadata: { messages: ['[ERROR] must be less than 3001 characters [json-pointer:/blocks/0/text]'] } }));
    assert.deepEqual(JSON.parse(err.raw ?? ''), { ok: false, error: 'invalid_blocks', response_metadata: { messages: ['[ERROR] must be less than 3001 characters [json-pointer:/blocks/0/text]'] } });
    const scope = JSON.parse(permanent(platform('missing_scope', { needed: 'chat:write', provided: 'channels:read' })).raw ?? '') as { needed?: string };
    assert.equal(scope.needed, 'chat:write');
  });

  test('an HTTP refusal keeps its body, or its status when it has none; a huge body is cut to 2 KB', () => {
    assert.equal(permanent(new WebAPIHTTPError(404, 'Not Found', {}, 'no such method')).raw, 'no such method');
    assert.equal(permanent(new WebAPIHTTPError(400, 'Bad Request', {}, '')).raw, 'HTTP 400');
    const huge = permanent(new WebAPIHTTPError(400, 'Bad Request', {}, `<html>${'x'.repeat(10_000)}</html>`)).raw ?? '';
    assert.equal(huge.length, 2048);
    assert.ok(huge.startsWith('<html>') && huge.endsWith('…'));
  });
});
