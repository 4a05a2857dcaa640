// The Matrix adapter's pure parts: what a homeserver's errors mean to the delivery job, who moderates a room,
// which inviters are allowed, and the transaction ids that make a retried send the same event.
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, test } from 'node:test';
import { ConnectionError, MatrixError } from 'matrix-js-sdk';
import { roleFromPowerLevels } from '../../bots/matrix/adapter.js';
import { MatrixApi } from '../../bots/matrix/client.js';
import { mapMatrixError } from '../../bots/matrix/errors.js';
import { txnIdFor } from '../../bots/matrix/sender.js';
import { globMatcher } from '../../lib/adapters/glob.js';
import { PlatformPermanentError, PlatformRateLimitedError, PlatformTransientError, PlatformUnreachableError } from '../../lib/errors.js';

const matrixError = (status: number, errcode: string, error: string, extra: Record<string, unknown> = {}, headers?: Headers) =>
  new MatrixError({ errcode, error, ...extra }, status, 'https://m.example.org/_matrix/client/v3/rooms/x/send', undefined, headers);

describe('mapMatrixError', () => {
  test('M_LIMIT_EXCEEDED waits what the server said, from retry_after_ms or Retry-After', () => {
    const a = mapMatrixError(matrixError(429, 'M_LIMIT_EXCEEDED', 'Too Many Requests', { retry_after_ms: 1234 }));
    assert.ok(a instanceof PlatformRateLimitedError);
    assert.equal(a.retryAfterMs, 1234);
    const b = mapMatrixError(matrixError(429, 'M_LIMIT_EXCEEDED', 'Too Many Requests', {}, new Headers({ 'retry-after': '7' })));
    assert.ok(b instanceof PlatformRateLimitedError);
    assert.equal(b.retryAfterMs, 7000);
  });

  test('a 500 and an unknown failure are transient, for this request only', () => {
    for (const err of [matrixError(500, 'M_UNKNOWN', 'Internal server error'), new Error('The operation was aborted due to timeout')]) {
      const mapped = mapMatrixError(err);
      assert.ok(mapped instanceof PlatformTransientError && !(mapped instanceof PlatformUnreachableError), `${err.message} → ${mapped.constructor.name}`);
    }
  });

  test('502, 503, 504 and a failed fetch are the homeserver unreachable, with its Retry-After', () => {
    for (const status of [502, 503, 504]) {
      const mapped = mapMatrixError(matrixError(status, 'M_UNKNOWN', 'Bad gateway'));
      assert.ok(mapped instanceof PlatformUnreachableError, `${status} → ${mapped.constructor.name}`);
      assert.equal(mapped.retryAfterMs, undefined);
    }
    const later = mapMatrixError(matrixError(503, 'M_UNKNOWN', 'Starting up', {}, new Headers({ 'retry-after': '30' })));
    assert.ok(later instanceof PlatformUnreachableError);
    assert.equal(later.retryAfterMs, 30_000);
    assert.ok(mapMatrixError(new ConnectionError('fetch failed')) instanceof PlatformUnreachableError);
  });

  test("through the SDK: a reverse proxy's HTML 502 and a refused connection are the homeserver unreachable; an HTML 500 is not", async () => {
    let status = 502;
    const server = createServer((_req, res) => res.writeHead(status, { 'content-type': 'text/html', 'retry-after': '5' }).end('<html><body>Bad Gateway</body></html>'));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    try {
      const api = new MatrixApi(url, 'syt_secret');
      const gateway = mapMatrixError(await api.whoami().then(() => undefined, (e: unknown) => e));
      assert.ok(gateway instanceof PlatformUnreachableError, `${gateway.constructor.name}: ${gateway.message}`);
      assert.equal(gateway.retryAfterMs, 5000);
      status = 500;
      const internal = mapMatrixError(await api.whoami().then(() => undefined, (e: unknown) => e));
      assert.ok(internal instanceof PlatformTransientError && !(internal instanceof PlatformUnreachableError), `${internal.constructor.name}: ${internal.message}`);
    } finally {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
    // The same port, closed: the connection is refused.
    const refused = mapMatrixError(await new MatrixApi(url, 'syt_secret').whoami().then(() => undefined, (e: unknown) => e));
    assert.ok(refused instanceof PlatformUnreachableError, `${refused.constructor.name}: ${refused.message}`);
  });

  test('permanent: a refused token, a room unknown, the bot not in the room, a message gone; each says what to do', () => {
    const cases: [MatrixError, string, string, RegExp][] = [
      [matrixError(401, 'M_UNKNOWN_TOKEN', 'Invalid access token'), 'room', 'token_revoked', /PARLEY_MATRIX_ACCESS_TOKEN/],
      [matrixError(404, 'M_NOT_FOUND', 'Unknown room'), 'room', 'channel_not_found', /invite the bot again|parley channels remove/],
      [matrixError(404, 'M_NOT_FOUND', 'Event not found'), 'message', 'message_not_found', /gone/],
      [matrixError(403, 'M_FORBIDDEN', 'User @parley:x not in room !r:x'), 'room', 'bot_removed', /invite it again/],
      [matrixError(403, 'M_FORBIDDEN', 'You do not have permission to send the event'), 'room', 'forbidden', /power level/],
      [matrixError(400, 'M_TOO_LARGE', 'event too large'), 'room', 'bad_request', /M_TOO_LARGE/],
    ];
    for (const [err, target, reason, advice] of cases) {
      const mapped = mapMatrixError(err, target as 'room' | 'message');
      assert.ok(mapped instanceof PlatformPermanentError, err.errcode);
      assert.equal(mapped.reason, reason, err.errcode);
      assert.match(mapped.message, advice);
    }
  });
});

describe('roleFromPowerLevels', () => {
  const levels = { users: { '@mod:x': 50, '@admin:x': 100, '@low:x': 10 }, users_default: 0, state_default: 50 };
  test("a moderator reaches the room's state_default; others are members", () => {
    assert.deepEqual(roleFromPowerLevels(levels, '@mod:x'), { role: 'moderator' });
    assert.deepEqual(roleFromPowerLevels(levels, '@admin:x'), { role: 'moderator' });
    assert.deepEqual(roleFromPowerLevels(levels, '@low:x'), { role: 'member' });
    assert.deepEqual(roleFromPowerLevels(levels, '@someone:x'), { role: 'member' });
  });
  test('a lower state_default, a higher users_default, and no power levels at all (everyone may change state)', () => {
    assert.deepEqual(roleFromPowerLevels({ ...levels, state_default: 10 }, '@low:x'), { role: 'moderator' });
    assert.deepEqual(roleFromPowerLevels({ users_default: 50 }, '@someone:x'), { role: 'moderator' }, 'state_default is 50 when unset');
    assert.deepEqual(roleFromPowerLevels(null, '@someone:x'), { role: 'moderator' });
  });
});

test('inviter globs: * is any run, ? one character, the rest literal, any case; none allows nobody', () => {
  const allowed = globMatcher(['@*:staff.example.org', '@ad?:example.org']);
  assert.equal(allowed('@alice:staff.example.org'), true);
  assert.equal(allowed('@ALICE:Staff.Example.org'), true);
  assert.equal(allowed('@alice:staffXexample.org'), false, 'a dot is a dot');
  assert.equal(allowed('@ada:example.org'), true);
  assert.equal(allowed('@adam:example.org'), false);
  assert.equal(allowed('@eve:evil-staff.example.org'), false, 'another server is not the staff server');
  assert.equal(globMatcher([])('@anyone:example.org'), false);
});

test('transaction ids: the same thing said is the same id; another thing another id; safe in a URL path', () => {
  assert.equal(txnIdFor('notify', 'post-1:channel-2'), txnIdFor('notify', 'post-1:channel-2'));
  assert.notEqual(txnIdFor('notify', 'post-1:channel-2'), txnIdFor('notify', 'post-1:channel-3'));
  assert.notEqual(txnIdFor('notify', 'x'), txnIdFor('reply', 'x'));
  assert.match(txnIdFor('edit', 'a/b?c#d'), /^parley\.edit\.[\w-]{32}$/u);
});
