// `platform:id` as the CLI reads it: the platform is everything before the first colon and must be one that
// bots/registry.ts knows; the id may hold colons itself (Matrix room and user ids do).
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { CliError, PLATFORM_NAMES, parseChannelName, parsePlatformId } from '../../cli/output.js';

const USER = { noun: 'chat user', placeholder: 'USER_ID', examples: 'telegram:123456789', idMeaning: "the platform's user id" };

describe('PLATFORM:ID names', () => {
  test('the platforms are the registry\'s', () => {
    assert.deepEqual(PLATFORM_NAMES, ['telegram', 'mattermost', 'slack', 'discord', 'matrix', 'irc']);
  });

  test('an id keeps every colon after the first', () => {
    assert.deepEqual(parsePlatformId('mattermost:team:abc:def', USER), { platform: 'mattermost', id: 'team:abc:def' });
    assert.deepEqual(parseChannelName('Telegram:-1001234'), { platform: 'telegram', externalId: '-1001234' });
  });

  test('a platform without an adapter is refused with the known ones', () => {
    assert.throws(() => parseChannelName('xmpp:parley@muc.example.org'), (err: unknown) => err instanceof CliError && /"xmpp" is not a platform\. The platforms are: telegram, mattermost, slack, discord, matrix, irc\./.test(err.message));
    assert.deepEqual(parseChannelName('irc:#parley'), { platform: 'irc', externalId: '#parley' });
    assert.deepEqual(parseChannelName('matrix:!room:example.org'), { platform: 'matrix', externalId: '!room:example.org' });
  });
});
