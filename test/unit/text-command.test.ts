// Commands typed as chat messages (Discord, Matrix): which lines are Parley's, and what the core gets.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseTextCommand } from '../../lib/seams/invocation.js';

void test('!word and /word lines are commands, with their arguments trimmed and the word in lower case', () => {
  assert.deepEqual(parseTextCommand('!discourse watch c/meta'), { command: 'discourse', args: 'watch c/meta' });
  assert.deepEqual(parseTextCommand('  /TOPIC   last:50 \n'), { command: 'topic', args: 'last:50' });
  assert.deepEqual(parseTextCommand('!discourse'), { command: 'discourse', args: '' });
  assert.deepEqual(parseTextCommand('!topic\nlast:5'), { command: 'topic', args: 'last:5' });
});

void test('other words, words run on, and commands mid-line are plain chat', () => {
  for (const text of ['!discourseX watch', '!help', 'please run !discourse status', 'discourse status', '!!discourse', '']) {
    assert.equal(parseTextCommand(text), null, text);
  }
});
