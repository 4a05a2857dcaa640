// What admins see behind a channel's error (PlatformPermanentError.raw, shown as lastError.raw by the admin API) for
// the platforms whose error mapping has no unit test of its own: Matrix, Mattermost and IRC. Slack's, Discord's and
// Telegram's are in their *-errors tests.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { MatrixError } from 'matrix-js-sdk';
import { errorOfRefusal } from '../../bots/irc/errors.js';
import { mapMatrixError } from '../../bots/matrix/errors.js';
import { errorFromResponse } from '../../bots/mattermost/errors.js';
import { PlatformPermanentError, RAW_ANSWER_MAX } from '../../lib/errors.js';

function permanent(err: unknown): PlatformPermanentError {
  assert.ok(err instanceof PlatformPermanentError, String(err));
  return err;
}

describe('Matrix', () => {
  test("the homeserver's JSON answer: errcode and error", () => {
    const answer = { errcode: 'M_FORBIDDEN', error: 'User @parley:example.org not in room !abc:example.org' };
    const err = permanent(mapMatrixError(new MatrixError(answer, 403, 'https://m.example.org/_matrix/client/v3/rooms/!abc:example.org/send/m.room.message/1')));
    assert.equal(err.reason, 'bot_removed');
    assert.deepEqual(JSON.parse(err.raw ?? ''), answer);
  });
});

describe('Mattermost', () => {
  test("an AppError's JSON body, as the server sent it", () => {
    const body = '{"id":"api.context.permissions.app_error","message":"You do not have the appropriate permissions.","detailed_error":"","request_id":"r1","status_code":403}';
    const err = permanent(errorFromResponse('post', 403, new Headers(), body));
    assert.equal(err.raw, body);
  });

  test("an incoming webhook's plain-text answer, its key removed when a proxy quotes the URL; a huge page cut", () => {
    const err = permanent(errorFromResponse('webhook', 404, new Headers(), 'Cannot POST /hooks/s3cr3tk3yabcdef0123456789\n'));
    assert.equal(err.raw, 'Cannot POST /hooks/[redacted]');
    assert.equal(permanent(errorFromResponse('webhook', 404, new Headers(), '')).raw, 'HTTP 404');
    const page = permanent(errorFromResponse('post', 400, new Headers(), `<html>${'x'.repeat(5000)}</html>`)).raw ?? '';
    assert.equal(page.length, RAW_ANSWER_MAX);
  });
});

describe('IRC', () => {
  test("the numeric line: the numeric, the channel and the server's words", () => {
    const err = permanent(errorOfRefusal({ numeric: '474', target: '#parley', reason: 'Cannot join channel (+b) - you are banned' }, '#parley'));
    assert.equal(err.raw, '474 #parley :Cannot join channel (+b) - you are banned');
    assert.equal(permanent(errorOfRefusal({ numeric: '403', target: '#gone', reason: '' }, '#gone')).raw, '403 #gone');
  });
});
