import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { DiscordAPIError, HTTPError, RateLimitError, RESTJSONErrorCodes, type RateLimitData } from 'discord.js';
import { ConfigError, PlatformPermanentError, PlatformRateLimitedError, PlatformTransientError, PlatformUnreachableError, type PermanentReason } from '../../lib/errors.js';
import { DEFAULT_RETRY_AFTER_MS, DiscordCode, discordErrorCode, EDIT_LIMIT_RETRY_AFTER_MS, mapDiscordError, redactDiscordToken } from '../../bots/discord/errors.js';

// Errors built with @discordjs/rest's own classes (re-exported by discord.js), as its REST client throws them
// with `retries: 0` and `rejectOnRateLimit: () => true` (dist/index.js): handleErrors throws
// DiscordAPIError(data, data.code, status, method, url, requestData) on a 4xx other than 429 and HTTPError(status,
// statusText, method, url, requestData) on a 5xx; onRateLimit throws RateLimitError(rateLimitData) on a 429 or
// when a bucket is empty before the request.
const URL_MESSAGES = 'https://discord.com/api/v10/channels/1100000000000000001/messages';
const BODY = { body: { embeds: [] }, files: undefined };

function apiError(code: number, message: string, status = 400, extra: Record<string, unknown> = {}, url = URL_MESSAGES): DiscordAPIError {
  return new DiscordAPIError({ code, message, ...extra }, code, status, 'POST', url, BODY);
}

function rateLimit(over: Partial<RateLimitData> = {}): RateLimitError {
  return new RateLimitError({
    timeToReset: 0,
    limit: 5,
    method: 'POST',
    hash: 'abc123',
    url: URL_MESSAGES,
    route: '/channels/:id/messages',
    majorParameter: '1100000000000000001',
    global: false,
    retryAfter: 0,
    sublimitTimeout: 0,
    scope: 'user',
    ...over,
  });
}

function permanent(err: unknown): PlatformPermanentError {
  const mapped = mapDiscordError(err);
  assert.ok(mapped instanceof PlatformPermanentError, `${String(err)} → ${mapped.constructor.name}: ${mapped.message}`);
  return mapped;
}

function reasonOf(code: number, status = 403): PermanentReason {
  return permanent(apiError(code, 'x', status)).reason;
}

const ALL_PERMISSIONS = ['View Channel', 'Send Messages', 'Embed Links', 'Read Message History', 'Create Public Threads', 'Send Messages in Threads'];

describe('the codes Parley names are the ones discord-api-types lists', () => {
  test('DiscordCode agrees with RESTJSONErrorCodes', () => {
    assert.equal(DiscordCode.UnknownChannel, RESTJSONErrorCodes.UnknownChannel);
    assert.equal(DiscordCode.MissingAccess, RESTJSONErrorCodes.MissingAccess);
    assert.equal(DiscordCode.MissingPermissions, RESTJSONErrorCodes.MissingPermissions);
    assert.equal(DiscordCode.UnknownMessage, RESTJSONErrorCodes.UnknownMessage);
    assert.equal(DiscordCode.Unauthorized, RESTJSONErrorCodes.Unauthorized);
    assert.equal(DiscordCode.InvalidFormBody, RESTJSONErrorCodes.InvalidFormBodyOrContentType);
    assert.equal(DiscordCode.ThreadLocked, RESTJSONErrorCodes.ThreadLocked);
    assert.equal(DiscordCode.ArchivedThread, RESTJSONErrorCodes.InvalidActionOnArchivedThread);
    assert.equal(DiscordCode.SlowmodeRateLimit, RESTJSONErrorCodes.ActionCannotBePerformedDueToSlowmodeRateLimit);
    assert.equal(DiscordCode.ChannelWriteRateLimit, RESTJSONErrorCodes.ChannelWriteRateLimit);
    assert.equal(DiscordCode.ThreadAlreadyCreated, RESTJSONErrorCodes.ThreadAlreadyCreatedForMessage);
    assert.equal(DiscordCode.CannotSendInForumChannel, RESTJSONErrorCodes.CannotSendAMessageInAForumChannel);
    assert.equal(DiscordCode.ApiOverloaded, RESTJSONErrorCodes.APIResourceOverloaded);
  });
});

describe('mapDiscordError on rate limits', () => {
  test('a RateLimitError waits retryAfter (milliseconds already) and names the route', () => {
    const mapped = mapDiscordError(rateLimit({ retryAfter: 1234, timeToReset: 1234 }));
    assert.ok(mapped instanceof PlatformRateLimitedError);
    assert.equal(mapped.retryAfterMs, 1234);
    assert.match(mapped.message, /route \/channels\/:id\/messages/);
    assert.match(mapped.message, /user scope/);
    assert.match(mapped.message, /POST \/channels\/1100000000000000001\/messages/);
  });

  test('the global limit says so, and is global: every message of the bot waits, not one route', () => {
    const mapped = mapDiscordError(rateLimit({ global: true, scope: 'global', retryAfter: 800 }));
    assert.ok(mapped instanceof PlatformRateLimitedError);
    assert.equal(mapped.retryAfterMs, 800);
    assert.match(mapped.message, /global limit/);
    assert.equal(mapped.global, true);
    const route = mapDiscordError(rateLimit({ retryAfter: 800 }));
    assert.ok(route instanceof PlatformRateLimitedError);
    assert.equal(route.global, false, "a route's bucket is not the whole bot's");
  });

  test('a 429 whose JSON body says global (RatelimitedResponse.global) is global too', () => {
    const global = mapDiscordError(apiError(0, 'You are being rate limited.', 429, { retry_after: 1.5, global: true }));
    assert.ok(global instanceof PlatformRateLimitedError);
    assert.equal(global.retryAfterMs, 1500);
    assert.equal(global.global, true);
    const route = mapDiscordError(apiError(0, 'You are being rate limited.', 429, { retry_after: 1.5, global: false }));
    assert.ok(route instanceof PlatformRateLimitedError);
    assert.equal(route.global, false);
  });

  test('without Retry-After the bucket reset or sublimit says how long; with neither, the default', () => {
    const reset = mapDiscordError(rateLimit({ retryAfter: 0, timeToReset: 2500 }));
    assert.ok(reset instanceof PlatformRateLimitedError);
    assert.equal(reset.retryAfterMs, 2500);
    const sublimit = mapDiscordError(rateLimit({ retryAfter: 300, sublimitTimeout: 60_000 }));
    assert.ok(sublimit instanceof PlatformRateLimitedError);
    assert.equal(sublimit.retryAfterMs, 60_000);
    const none = mapDiscordError(rateLimit({ retryAfter: 0, timeToReset: -5 }));
    assert.ok(none instanceof PlatformRateLimitedError);
    assert.equal(none.retryAfterMs, DEFAULT_RETRY_AFTER_MS);
  });

  test('slowmode and write limits Discord reports as JSON errors wait retry_after seconds', () => {
    const slow = mapDiscordError(apiError(20016, 'This action cannot be performed due to slowmode rate limit.', 429, { retry_after: 3.5 }));
    assert.ok(slow instanceof PlatformRateLimitedError);
    assert.equal(slow.retryAfterMs, 3500);
    assert.match(slow.message, /slowmode/);
    for (const code of [20028, 20029, 20022]) {
      const mapped = mapDiscordError(apiError(code, 'write rate limit', 400));
      assert.ok(mapped instanceof PlatformRateLimitedError, String(code));
      assert.equal(mapped.retryAfterMs, DEFAULT_RETRY_AFTER_MS);
    }
    const edits = mapDiscordError(apiError(30046, 'Maximum number of edits to messages older than 1 hour reached. Try again later', 400));
    assert.ok(edits instanceof PlatformRateLimitedError);
    assert.equal(edits.retryAfterMs, EDIT_LIMIT_RETRY_AFTER_MS);
  });
});

describe('mapDiscordError on JSON error codes', () => {
  test('10003 Unknown Channel is channel_not_found and says how to remove it', () => {
    const err = permanent(apiError(10003, 'Unknown Channel', 404));
    assert.equal(err.reason, 'channel_not_found');
    assert.match(err.message, /parley channels remove discord:/);
    assert.match(err.message, /10003/);
  });

  test('50001 Missing Access is bot_removed; 50013 Missing Permissions is forbidden; both say what to grant', () => {
    const access = permanent(apiError(50001, 'Missing Access', 403));
    assert.equal(access.reason, 'bot_removed');
    assert.match(access.message, /invite the bot/);
    const perms = permanent(apiError(50013, 'Missing Permissions', 403));
    assert.equal(perms.reason, 'forbidden');
    for (const err of [access, perms]) {
      for (const p of ALL_PERMISSIONS) assert.ok(err.message.includes(p), `${err.message} lacks ${p}`);
      assert.match(err.message, /POST \/channels\/1100000000000000001\/messages/);
    }
  });

  test('10008 Unknown Message is message_not_found; 10004 Unknown Guild bot_removed', () => {
    assert.equal(reasonOf(10008, 404), 'message_not_found');
    assert.equal(reasonOf(10004, 404), 'bot_removed');
  });

  test('40001 Unauthorized, 50014 and a bare 401 are token_revoked and say to reset PARLEY_DISCORD_TOKEN', () => {
    const inputs = [apiError(40001, 'Unauthorized', 401), apiError(50014, 'Invalid authentication token provided', 401), apiError(0, '401: Unauthorized', 401)];
    for (const input of inputs) {
      const err = permanent(input);
      assert.equal(err.reason, 'token_revoked', input.message);
      assert.match(err.message, /PARLEY_DISCORD_TOKEN/);
      assert.match(err.message, /Reset Token/);
    }
    // After a 401 the client forgets its token and throws this for the next call.
    const later = permanent(new Error('Expected token to be set for this request, but none was present'));
    assert.equal(later.reason, 'token_revoked');
    assert.match(later.message, /PARLEY_DISCORD_TOKEN/);
  });

  test("50035 Invalid Form Body is bad_request with Discord's field errors flattened into one line", () => {
    const errors = {
      embeds: { '0': { description: { _errors: [{ code: 'BASE_TYPE_MAX_LENGTH', message: 'Must be 4096 or fewer in length.' }] }, url: { _errors: [{ code: 'URL_TYPE_INVALID_URL', message: 'Not a well formed URL.' }] } } },
      nonce: { _errors: [{ code: 'BASE_TYPE_BAD_LENGTH', message: 'Must be between 1 and 25 in length.' }] },
    };
    const err = permanent(apiError(50035, 'Invalid Form Body', 400, { errors }));
    assert.equal(err.reason, 'bad_request');
    assert.ok(err.message.includes('embeds[0].description[BASE_TYPE_MAX_LENGTH]: Must be 4096 or fewer in length.'), err.message);
    assert.ok(err.message.includes('embeds[0].url[URL_TYPE_INVALID_URL]: Not a well formed URL.'), err.message);
    assert.ok(err.message.includes('nonce[BASE_TYPE_BAD_LENGTH]'), err.message);
    assert.ok(!err.message.includes('\n'));
  });

  test('a locked or archived thread is forbidden and says what to do', () => {
    const locked = permanent(apiError(160005, 'Thread is locked', 403));
    assert.equal(locked.reason, 'forbidden');
    assert.match(locked.message, /unlock/);
    const archived = permanent(apiError(50083, 'Operation cannot be performed on an archived thread', 400));
    assert.equal(archived.reason, 'forbidden');
    assert.match(archived.message, /unarchive/);
  });

  test('a channel that takes no messages (category, voice, forum) is channel_not_found', () => {
    assert.equal(reasonOf(50008, 400), 'channel_not_found');
    assert.equal(reasonOf(40058, 400), 'channel_not_found');
  });

  test("editing another's message and AutoMod are forbidden", () => {
    assert.equal(reasonOf(50005), 'forbidden');
    assert.equal(reasonOf(200000, 400), 'forbidden');
    assert.match(permanent(apiError(200000, 'Message was blocked by automatic moderation', 400)).message, /AutoMod/);
  });

  test('160004 (thread already created) is readable by code, for the adapter to take as done', () => {
    const err = apiError(160004, 'A thread has already been created for this message', 400);
    assert.equal(discordErrorCode(err), 160004);
    assert.equal(discordErrorCode(new Error('x')), undefined);
    assert.equal(discordErrorCode(rateLimit()), undefined);
    assert.equal(discordErrorCode(null), undefined);
  });

  test("Discord's own trouble is transient; answered 503, it is Discord as a whole that cannot be reached", () => {
    for (const [code, status] of [
      [130000, 500],
      [40004, 400],
      [40006, 400],
    ] as const) {
      const mapped = mapDiscordError(apiError(code, 'try later', status));
      assert.ok(mapped instanceof PlatformTransientError && !(mapped instanceof PlatformUnreachableError), String(code));
      assert.ok(mapped.message.includes(String(code)));
    }
    const overloaded = mapDiscordError(apiError(130000, 'API resource is currently overloaded. Try again a little later.', 503));
    assert.ok(overloaded instanceof PlatformUnreachableError, overloaded.constructor.name);
    assert.match(overloaded.message, /130000/);
  });

  test('an unknown code: 403 is forbidden, anything else bad_request naming the code and message', () => {
    assert.equal(reasonOf(99999, 403), 'forbidden');
    const odd = permanent(apiError(99998, 'Some future refusal', 400));
    assert.equal(odd.reason, 'bad_request');
    assert.match(odd.message, /99998/);
    assert.match(odd.message, /Some future refusal/);
  });
});

describe('mapDiscordError on HTTP and network errors', () => {
  test("502, 503, 504 (and Cloudflare's 520-524) are Discord unreachable; 500 and another 5xx are transient; another status is permanent", () => {
    for (const status of [502, 503, 504, 520, 522, 524]) {
      const mapped = mapDiscordError(new HTTPError(status, 'Bad Gateway', 'POST', URL_MESSAGES, BODY));
      assert.ok(mapped instanceof PlatformUnreachableError, `${status} → ${mapped.constructor.name}`);
      assert.match(mapped.message, new RegExp(`HTTP ${status}`));
      assert.equal(mapped.retryAfterMs, undefined, 'the client keeps no headers, so no Retry-After');
    }
    for (const status of [500, 501, 505]) {
      const mapped = mapDiscordError(new HTTPError(status, 'Server Error', 'POST', URL_MESSAGES, BODY));
      assert.ok(mapped instanceof PlatformTransientError, String(status));
      assert.ok(!(mapped instanceof PlatformUnreachableError), `${status} is one request's failure, not Discord down`);
      assert.match(mapped.message, new RegExp(String(status)));
    }
    assert.equal(permanent(new HTTPError(401, 'Unauthorized', 'GET', URL_MESSAGES, BODY)).reason, 'token_revoked');
    assert.equal(permanent(new HTTPError(404, 'Not Found', 'GET', URL_MESSAGES, BODY)).reason, 'bad_request');
  });

  test('a request that got no answer is Discord unreachable and says why', () => {
    const refused = new TypeError('fetch failed', { cause: Object.assign(new Error('connect ECONNREFUSED 162.159.128.233:443'), { code: 'ECONNREFUSED' }) });
    const mapped = mapDiscordError(refused);
    assert.ok(mapped instanceof PlatformUnreachableError);
    assert.match(mapped.message, /ECONNREFUSED/);

    // The client's own timeout aborts its AbortController.
    const aborted = mapDiscordError(new DOMException('This operation was aborted', 'AbortError'));
    assert.ok(aborted instanceof PlatformUnreachableError);
    assert.match(aborted.message, /no answer in time/);
    const reset = mapDiscordError(Object.assign(new Error('read ECONNRESET'), { code: 'ECONNRESET' }));
    assert.ok(reset instanceof PlatformUnreachableError);
  });

  test('an unknown throw is transient, not Discord unreachable', () => {
    for (const err of [new Error('boom'), new TypeError("Cannot read properties of undefined (reading 'id')"), 'boom', undefined]) {
      const mapped = mapDiscordError(err);
      assert.ok(mapped instanceof PlatformTransientError && !(mapped instanceof PlatformUnreachableError), `${String(err)} → ${mapped.constructor.name}`);
    }
  });
});

describe('mapDiscordError keeps secrets and Parley errors', () => {
  test('a ParleyError passes through unchanged', () => {
    const errors = [new PlatformPermanentError('forbidden', 'x'), new PlatformTransientError('y'), new PlatformRateLimitedError(5), new ConfigError(['z'])];
    for (const err of errors) assert.equal(mapDiscordError(err), err);
  });

  // Made up in the shape of a bot token: base64 of a snowflake, a timestamp part, an HMAC part.
  const TOKEN = 'MTEwMDAwMDAwMDAwMDAwMDAwMQ.GaBcDe.abcdefghijklmnopqrstuvwxyzABCDEFGHIJKL';
  const WEBHOOK_TOKEN = 'a'.repeat(30) + '_-' + 'B'.repeat(36);

  test('redactDiscordToken removes bot tokens, Authorization values and webhook tokens, and nothing else', () => {
    assert.equal(redactDiscordToken(`token ${TOKEN} end`), 'token [redacted token] end');
    assert.equal(redactDiscordToken(`Authorization: Bot ${TOKEN}`), 'Authorization: [redacted token]');
    assert.equal(redactDiscordToken('{"authorization":"Bot abc.def"}'), '{"authorization":"[redacted token]"}');
    assert.equal(redactDiscordToken(`sent Bot ${'x'.repeat(60)}`), 'sent Bot [redacted token]');
    assert.equal(redactDiscordToken(`POST /api/v10/webhooks/1100000000000000001/${WEBHOOK_TOKEN}?wait=true`), 'POST /api/v10/webhooks/1100000000000000001/[redacted token]?wait=true');
    const harmless = 'Bot permissions missing on POST /channels/1100000000000000001/messages (https://discord.com/api/v10)';
    assert.equal(redactDiscordToken(harmless), harmless);
  });

  test('tokens never reach a message', () => {
    const inputs: unknown[] = [
      new Error(`Authorization: Bot ${TOKEN} failed`),
      new TypeError('fetch failed', { cause: new Error(`socket hang up sending ${TOKEN}`) }),
      apiError(50035, `Invalid Form Body ${TOKEN}`, 400),
      apiError(10015, 'Unknown Webhook', 404, {}, `https://discord.com/api/v10/webhooks/1100000000000000001/${WEBHOOK_TOKEN}`),
      apiError(50013, `Missing Permissions ${TOKEN}`, 403),
      new HTTPError(502, `Bad Gateway ${TOKEN}`, 'POST', URL_MESSAGES, BODY),
      rateLimit({ url: `https://discord.com/api/v10/webhooks/1100000000000000001/${WEBHOOK_TOKEN}`, retryAfter: 10 }),
    ];
    for (const input of inputs) {
      const mapped = mapDiscordError(input);
      const raw = mapped instanceof PlatformPermanentError ? (mapped.raw ?? '') : '';
      for (const text of [mapped.message, raw]) {
        assert.ok(!text.includes(TOKEN) && !text.includes(WEBHOOK_TOKEN), text);
        assert.ok(!text.includes('GaBcDe'), text);
      }
    }
  });
});

describe("the raw answer admins see (PlatformPermanentError.raw)", () => {
  test("is Discord's JSON error body, field errors included", () => {
    const errors = { embeds: { 0: { description: { _errors: [{ code: 'BASE_TYPE_MAX_LENGTH', message: 'Must be 4096 or fewer in length.' }] } } } };
    const err = permanent(apiError(50035, 'Invalid Form Body\nembeds[0].description[BASE_TYPE_MAX_LENGTH]: Must be 4096 or fewer in length.', 400, { errors }));
    assert.deepEqual(JSON.parse(err.raw ?? ''), { code: 50035, message: 'Invalid Form Body\nembeds[0].description[BASE_TYPE_MAX_LENGTH]: Must be 4096 or fewer in length.', errors });
    assert.deepEqual(JSON.parse(permanent(apiError(50001, 'Missing Access', 403)).raw ?? ''), { code: 50001, message: 'Missing Access' });
  });

  test('an HTTP refusal without a JSON body keeps its status and text', () => {
    assert.equal(permanent(new HTTPError(404, 'Not Found', 'POST', URL_MESSAGES, BODY)).raw, 'HTTP 404 Not Found on POST /channels/1100000000000000001/messages');
  });
});
