import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { continuesBlock, DEFAULT_MERGE_SECONDS, mergeMessages } from '../../lib/transcript/merge.js';
import type { ChatAuthor, ChatMessage } from '../../lib/transcript/types.js';

const alice: ChatAuthor = { id: 'u1', username: 'alice', displayName: 'Alice', isBot: false };
const bob: ChatAuthor = { id: 'u2', username: 'bob', displayName: 'Bob', isBot: false };
// Same display name, different person: blocks follow ids, not names.
const otherAlice: ChatAuthor = { id: 'u9', username: 'alice2', displayName: 'Alice', isBot: false };

const T0 = Date.parse('2026-11-21T14:35:00Z');
let nextId = 1;
function msg(author: ChatAuthor, seconds: number): ChatMessage {
  return { id: String(nextId++), author, sentAt: new Date(T0 + seconds * 1000), markdown: `at ${seconds}`, attachments: [] };
}

/** Block sizes, e.g. [2, 1]. */
const shape = (messages: ChatMessage[], gap?: number): number[] => mergeMessages(messages, gap).map((b) => b.messages.length);

describe('mergeMessages: the gap boundary (default 120 s)', () => {
  test('the default gap is 120 seconds', () => {
    assert.equal(DEFAULT_MERGE_SECONDS, 120);
  });

  test('119 s apart merges', () => {
    assert.deepEqual(shape([msg(alice, 0), msg(alice, 119)]), [2]);
  });

  test('exactly 120 s apart does not merge', () => {
    assert.deepEqual(shape([msg(alice, 0), msg(alice, 120)]), [1, 1]);
  });

  test('119.999 s merges, 120.001 s does not', () => {
    assert.deepEqual(shape([msg(alice, 0), msg(alice, 119.999)]), [2]);
    assert.deepEqual(shape([msg(alice, 0), msg(alice, 120.001)]), [1, 1]);
  });

  test('the gap is from the previous message of the block, not from its first', () => {
    // 0, 100, 200, 300: each 100 s after the one before, 300 s after the first: one block.
    assert.deepEqual(shape([msg(alice, 0), msg(alice, 100), msg(alice, 200), msg(alice, 300)]), [4]);
  });

  test('a configured gap moves the boundary', () => {
    assert.deepEqual(shape([msg(alice, 0), msg(alice, 29), msg(alice, 59)], 30), [2, 1]);
    assert.deepEqual(shape([msg(alice, 0), msg(alice, 299)], 300), [2]);
  });

  test('a gap of 0 never merges, not even the same second', () => {
    assert.deepEqual(shape([msg(alice, 0), msg(alice, 0)], 0), [1, 1]);
  });
});

describe('mergeMessages: authors', () => {
  test('a different author in between breaks a block', () => {
    const blocks = mergeMessages([msg(alice, 0), msg(bob, 5), msg(alice, 10)]);
    assert.deepEqual(
      blocks.map((b) => b.author.id),
      ['u1', 'u2', 'u1'],
    );
  });

  test('runs of each author become one block each', () => {
    const blocks = mergeMessages([msg(alice, 0), msg(alice, 1), msg(bob, 2), msg(bob, 3), msg(bob, 4), msg(alice, 5)]);
    assert.deepEqual(
      blocks.map((b) => [b.author.displayName, b.messages.length]),
      [
        ['Alice', 2],
        ['Bob', 3],
        ['Alice', 1],
      ],
    );
  });

  test('two people with the same display name are different authors', () => {
    assert.deepEqual(shape([msg(alice, 0), msg(otherAlice, 1)]), [1, 1]);
  });

  test('messages keep their order inside a block', () => {
    const input = [msg(alice, 0), msg(alice, 1), msg(alice, 2)];
    assert.deepEqual(mergeMessages(input)[0]!.messages, input);
  });
});

test('no messages, no blocks', () => {
  assert.deepEqual(mergeMessages([]), []);
});

test('continuesBlock: a message older than the previous one never continues it', () => {
  const later = msg(alice, 50);
  const earlier = msg(alice, 10);
  assert.equal(continuesBlock(later, earlier, 120_000), false);
  assert.equal(continuesBlock(earlier, later, 120_000), true);
});
