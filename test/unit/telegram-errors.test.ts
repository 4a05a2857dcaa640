import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Bot, GrammyError, HttpError } from 'grammy';
import { PlatformPermanentError, PlatformRateLimitedError, PlatformTransientError, PlatformUnreachableError } from '../../lib/errors.js';
import { mapTelegramError, normalizeForeignErrors, redactToken } from '../../bots/telegram/errors.js';

// Bodies as the real Bot API sends them (descriptions as catalogued by Telegram client libraries, e.g.
// tucnak/telebot errors.go, aiogram's exceptions; shape per core.telegram.org/bots/api#making-requests).
const RECORDED = {
  chatNotFound: '{"ok":false,"error_code":400,"description":"Bad Request: chat not found"}',
  kickedGroup: '{"ok":false,"error_code":403,"description":"Forbidden: bot was kicked from the group chat"}',
  kickedSupergroup: '{"ok":false,"error_code":403,"description":"Forbidden: bot was kicked from the supergroup chat"}',
  blocked: '{"ok":false,"error_code":403,"description":"Forbidden: bot was blocked by the user"}',
  notMember: '{"ok":false,"error_code":403,"description":"Forbidden: bot is not a member of the channel chat"}',
  userDeactivated: '{"ok":false,"error_code":403,"description":"Forbidden: user is deactivated"}',
  groupDeleted: '{"ok":false,"error_code":403,"description":"Forbidden: the group chat was deleted"}',
  cantInitiate: '{"ok":false,"error_code":403,"description":"Forbidden: bot can\'t initiate conversation with a user"}',
  noRights: '{"ok":false,"error_code":400,"description":"Bad Request: not enough rights to send text messages to the chat"}',
  migrated: '{"ok":false,"error_code":400,"description":"Bad Request: group chat was upgraded to a supergroup chat","parameters":{"migrate_to_chat_id":-1001234567890}}',
  unauthorized: '{"ok":false,"error_code":401,"description":"Unauthorized"}',
  notFound: '{"ok":false,"error_code":404,"description":"Not Found"}',
  tooMany: '{"ok":false,"error_code":429,"description":"Too Many Requests: retry after 35","parameters":{"retry_after":35}}',
  threadNotFound: '{"ok":false,"error_code":400,"description":"Bad Request: message thread not found"}',
  cantParse: '{"ok":false,"error_code":400,"description":"Bad Request: can\'t parse entities: Unsupported start tag \\"foo\\" at byte offset 0"}',
  internal: '{"ok":false,"error_code":500,"description":"Internal Server Error"}',
  badGateway: '{"ok":false,"error_code":502,"description":"Bad Gateway"}',
  unavailable: '{"ok":false,"error_code":503,"description":"Service Unavailable"}',
  gatewayTimeout: '{"ok":false,"error_code":504,"description":"Gateway Timeout"}',
  conflict: '{"ok":false,"error_code":409,"description":"Conflict: terminated by other getUpdates request; make sure that only one bot instance is running"}',
};

function grammyError(body: string, method = 'sendMessage'): GrammyError {
  const parsed = JSON.parse(body) as ConstructorParameters<typeof GrammyError>[1];
  return new GrammyError(`Call to '${method}' failed!`, parsed, method, {});
}

function permanent(body: string): PlatformPermanentError {
  const mapped = mapTelegramError(grammyError(body));
  assert.ok(mapped instanceof PlatformPermanentError, `${body} → ${mapped.constructor.name}`);
  return mapped;
}

describe('mapTelegramError on recorded Bot API errors', () => {
  test('a chat that does not exist (any more) is channel_not_found', () => {
    for (const body of [RECORDED.chatNotFound, RECORDED.userDeactivated, RECORDED.groupDeleted]) {
      assert.equal(permanent(body).reason, 'channel_not_found', body);
    }
  });

  test('kicked, blocked or not a member is bot_removed, and the message says what to do', () => {
    for (const body of [RECORDED.kickedGroup, RECORDED.kickedSupergroup, RECORDED.blocked, RECORDED.notMember]) {
      const err = permanent(body);
      assert.equal(err.reason, 'bot_removed', body);
      assert.match(err.message, /add it again/);
      assert.match(err.message, /Telegram 403: Forbidden: /);
    }
  });

  test('a group upgraded to a supergroup names the new chat id', () => {
    const err = permanent(RECORDED.migrated);
    assert.equal(err.reason, 'channel_not_found');
    assert.match(err.message, /-1001234567890/);
  });

  test('missing rights are forbidden', () => {
    assert.equal(permanent(RECORDED.noRights).reason, 'forbidden');
    assert.equal(permanent(RECORDED.cantInitiate).reason, 'forbidden');
  });

  test('401 Unauthorized (and 404 for a malformed token) is token_revoked, pointing at the setting', () => {
    const err = permanent(RECORDED.unauthorized);
    assert.equal(err.reason, 'token_revoked');
    assert.match(err.message, /PARLEY_TELEGRAM_TOKEN/);
    assert.equal(permanent(RECORDED.notFound).reason, 'token_revoked');
  });

  test('other 400s are bad_request', () => {
    assert.equal(permanent(RECORDED.threadNotFound).reason, 'bad_request');
    assert.equal(permanent(RECORDED.cantParse).reason, 'bad_request');
  });

  test('429 waits retry_after seconds, in milliseconds', () => {
    const err = mapTelegramError(grammyError(RECORDED.tooMany));
    assert.ok(err instanceof PlatformRateLimitedError);
    assert.equal(err.retryAfterMs, 35_000);
  });

  test('429 without parameters falls back to the number in the description', () => {
    const err = mapTelegramError(grammyError('{"ok":false,"error_code":429,"description":"Too Many Requests: retry after 7"}'));
    assert.ok(err instanceof PlatformRateLimitedError);
    assert.equal(err.retryAfterMs, 7000);
  });

  test('500 and 409 are transient, for this request only', () => {
    for (const body of [RECORDED.internal, RECORDED.conflict]) {
      const mapped = mapTelegramError(grammyError(body));
      assert.ok(mapped instanceof PlatformTransientError && !(mapped instanceof PlatformUnreachableError), `${body} → ${mapped.constructor.name}`);
    }
  });

  test('502, 503 and 504 are Telegram unreachable', () => {
    for (const body of [RECORDED.badGateway, RECORDED.unavailable, RECORDED.gatewayTimeout]) {
      const mapped = mapTelegramError(grammyError(body));
      assert.ok(mapped instanceof PlatformUnreachableError, `${body} → ${mapped.constructor.name}`);
      assert.match(mapped.message, /Telegram 50[234]/);
    }
  });

  test("telegram-test-api's plain HTTP 500 {message} (no error_code) is transient", () => {
    const err = mapTelegramError(grammyError('{"message":"Something went wrong."}'));
    assert.ok(err instanceof PlatformTransientError);
  });

  test('network failures are Telegram unreachable and never show the token', () => {
    // node-fetch's FetchError (grammY's fetch on Node) carries the system error's code.
    const cause = Object.assign(new Error('request to https://api.telegram.org/bot123456:SECRET-token_x/sendMessage failed, reason: connect ECONNREFUSED'), { type: 'system', code: 'ECONNREFUSED' });
    const err = mapTelegramError(new HttpError("Network request for 'sendMessage' failed!", cause));
    assert.ok(err instanceof PlatformUnreachableError, err.constructor.name);
    assert.match(err.message, /ECONNREFUSED/);
    assert.ok(!err.message.includes('SECRET'), err.message);
  });

  test('another HttpError (a transformer that threw) is transient, not Telegram unreachable', () => {
    const err = mapTelegramError(new HttpError("Network request for 'sendMessage' failed!", new Error('boom')));
    assert.ok(err instanceof PlatformTransientError && !(err instanceof PlatformUnreachableError), err.constructor.name);
  });
});

describe('what grammY really throws when the Bot API cannot be reached', () => {
  /** A Bot API root answering every call with `status`, `body` and `type`; the error grammY's sendMessage throws. */
  async function thrownFor(status: number, body: string, type: string): Promise<unknown> {
    const server = createServer((_req, res) => res.writeHead(status, { 'content-type': type }).end(body));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const bot = new Bot('123456:SECRET-token', { client: { apiRoot: `http://127.0.0.1:${(server.address() as AddressInfo).port}` } });
    try {
      await bot.api.sendMessage(1, 'hi');
      assert.fail('sendMessage should have failed');
    } catch (err) {
      return err;
    } finally {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  }

  test("a gateway's HTML 502 page (not JSON: grammY keeps no status) is Telegram unreachable, without the token", async () => {
    const err = mapTelegramError(await thrownFor(502, '<html><head><title>502 Bad Gateway</title></head><body>nginx</body></html>', 'text/html'));
    assert.ok(err instanceof PlatformUnreachableError, `${err.constructor.name}: ${err.message}`);
    assert.ok(!err.message.includes('SECRET'), err.message);
  });

  test('a JSON 503 is Telegram unreachable; a JSON 500 is not', async () => {
    assert.ok(mapTelegramError(await thrownFor(503, RECORDED.unavailable, 'application/json')) instanceof PlatformUnreachableError);
    const internal = mapTelegramError(await thrownFor(500, RECORDED.internal, 'application/json'));
    assert.ok(internal instanceof PlatformTransientError && !(internal instanceof PlatformUnreachableError), internal.constructor.name);
  });

  test('a refused connection is Telegram unreachable', async () => {
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    await new Promise<void>((resolve) => server.close(() => resolve()));
    const bot = new Bot('123456:SECRET-token', { client: { apiRoot: `http://127.0.0.1:${port}` } });
    const err = mapTelegramError(await bot.api.sendMessage(1, 'hi').then(() => undefined, (e: unknown) => e));
    assert.ok(err instanceof PlatformUnreachableError, `${err.constructor.name}: ${err.message}`);
    assert.match(err.message, /ECONNREFUSED/);
    assert.ok(!err.message.includes('SECRET'), err.message);
  });
});

describe("the raw answer admins see (PlatformPermanentError.raw)", () => {
  test("is the Bot API's answer: error_code, description and parameters, as Telegram sent them", () => {
    for (const body of [RECORDED.chatNotFound, RECORDED.kickedGroup, RECORDED.migrated, RECORDED.unauthorized, RECORDED.cantParse]) {
      assert.deepEqual(JSON.parse(permanent(body).raw ?? ''), JSON.parse(body), body);
    }
  });

  test('a description quoting the request URL does not carry the token', () => {
    const raw = permanent('{"ok":false,"error_code":400,"description":"Bad Request: wrong file identifier/HTTP URL specified https://api.telegram.org/bot123456:SECRET-token/getFile"}').raw ?? '';
    assert.match(raw, /wrong file identifier/);
    assert.ok(!raw.includes('SECRET'), raw);
  });
});

describe('redactToken', () => {
  test('replaces the token in a Bot API URL', () => {
    assert.equal(redactToken('GET http://127.0.0.1:9/botanything-goes:here/getMe'), 'GET http://127.0.0.1:9/bot[redacted]/getMe');
  });
});

describe('normalizeForeignErrors', () => {
  test('a body without `ok` becomes a Bot API error that carries its message', async () => {
    const prev = (async () => ({ message: "API method 'getChatMember' is not supported." })) as never;
    const res = (await normalizeForeignErrors(prev, 'getChatMember', {} as never)) as { ok: boolean; error_code: number; description: string };
    assert.equal(res.ok, false);
    assert.equal(res.error_code, 500);
    assert.match(res.description, /getChatMember' is not supported/);
  });

  test('real Bot API answers pass through untouched', async () => {
    const body = JSON.parse(RECORDED.chatNotFound) as object;
    const prev = (async () => body) as never;
    assert.equal(await normalizeForeignErrors(prev, 'sendMessage', {} as never), body);
  });
});
