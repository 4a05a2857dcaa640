import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { isCommandForOtherBot, parseCommand } from '../../bots/telegram/commands.js';

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

  test('/topic, /topic@OurBot and !topic are ours too; the word list can narrow it', () => {
    assert.deepEqual(parseCommand('/topic last:50 title:"Outage"', BOT), { command: 'topic', args: 'last:50 title:"Outage"' });
    assert.deepEqual(parseCommand('/topic@ParleyBot last:50', BOT), { command: 'topic', args: 'last:50' });
    assert.deepEqual(parseCommand('!topic preview', BOT), { command: 'topic', args: 'preview' });
    assert.equal(parseCommand('/topic@OtherBot last:50', BOT), null);
    assert.equal(parseCommand('/topics', BOT), null);
    assert.equal(parseCommand('/topic last:50', BOT, ['discourse']), null);
  });
});

describe('isCommandForOtherBot', () => {
  test('a command addressed to another bot, whatever the word', () => {
    assert.equal(isCommandForOtherBot('/start@OtherBot', BOT), true);
    assert.equal(isCommandForOtherBot('  /topic@other_bot last:5', BOT), true);
  });

  test('ours, unaddressed commands and plain chat are not', () => {
    assert.equal(isCommandForOtherBot('/topic@parleybot last:5', BOT), false);
    assert.equal(isCommandForOtherBot('/start', BOT), false);
    assert.equal(isCommandForOtherBot('mail me at /x@example.org', BOT), false);
    assert.equal(isCommandForOtherBot('write to bob@OtherBot', BOT), false);
    assert.equal(isCommandForOtherBot('/cmd@OtherBotX', 'OtherBot'), true);
    assert.equal(isCommandForOtherBot('/cmd@OtherBot.', 'ParleyBot'), false);
  });
});
