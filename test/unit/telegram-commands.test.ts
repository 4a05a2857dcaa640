import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { parseCommand } from '../../bots/telegram/commands.js';

const BOT = 'ParleyBot';

describe('parseCommand', () => {
  test('/discourse with arguments', () => {
    assert.deepEqual(parseCommand('/discourse watch c/meta', BOT), { command: 'discourse', args: 'watch c/meta' });
  });

  test('/discourse@OurBot, whatever the case of the name', () => {
    assert.deepEqual(parseCommand('/discourse@ParleyBot status', BOT), { command: 'discourse', args: 'status' });
    assert.deepEqual(parseCommand('/discourse@parleybot status', BOT), { command: 'discourse', args: 'status' });
  });

  test('!discourse as a plain message', () => {
    assert.deepEqual(parseCommand('!discourse help', BOT), { command: 'discourse', args: 'help' });
  });

  test('no arguments, and arguments over several lines', () => {
    assert.deepEqual(parseCommand('/discourse', BOT), { command: 'discourse', args: '' });
    assert.deepEqual(parseCommand('/discourse@ParleyBot', BOT), { command: 'discourse', args: '' });
    assert.deepEqual(parseCommand('/discourse\nwatch  c/meta  ', BOT), { command: 'discourse', args: 'watch  c/meta' });
  });

  test('a command addressed to another bot is not ours', () => {
    assert.equal(parseCommand('/discourse@OtherBot status', BOT), null);
  });

  test('other commands, longer words and plain chat are not ours', () => {
    assert.equal(parseCommand('/start', BOT), null);
    assert.equal(parseCommand('/discourses status', BOT), null);
    assert.equal(parseCommand('/discourse-x status', BOT), null);
    assert.equal(parseCommand('talking about /discourse here', BOT), null);
    assert.equal(parseCommand('discourse status', BOT), null);
    assert.equal(parseCommand('', BOT), null);
  });

  test('the list of command words is the seam for /topic', () => {
    assert.equal(parseCommand('/topic last:50', BOT), null);
    assert.deepEqual(parseCommand('/topic last:50', BOT, ['discourse', 'topic']), { command: 'topic', args: 'last:50' });
  });
});
