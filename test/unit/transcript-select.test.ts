import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { addDropCounts, compareIds, noDrops, normalizeName, selectMessages } from '../../lib/transcript/select.js';
import type { ChatAuthor, ChatMessage } from '../../lib/transcript/types.js';

const alice: ChatAuthor = { id: 'u1', username: 'alice', displayName: 'Alice Liddell', isBot: false };
const bob: ChatAuthor = { id: 'u2', username: 'Bob_B', displayName: 'Bob', isBot: false };
const sara: ChatAuthor = { id: 'u3', username: '', displayName: 'Sára Ñúñez', isBot: false };
const kanji: ChatAuthor = { id: 'u4', username: 'taro', displayName: '山田 太郎', isBot: false };
const parleyBot: ChatAuthor = { id: 'b1', username: 'parley_bot', displayName: 'Parley', isBot: true };

const T0 = Date.parse('2026-11-21T14:35:00Z');

function msg(id: string, author: ChatAuthor, seconds: number, markdown = `message ${id}`, attachments: ChatMessage['attachments'] = []): ChatMessage {
  return { id, author, sentAt: new Date(T0 + seconds * 1000), markdown, attachments };
}

const ids = (messages: ChatMessage[]): string[] => messages.map((m) => m.id);

describe('selectMessages: what is left out', () => {
  test('the command message is dropped by its id, and only that one', () => {
    const { kept, dropped } = selectMessages([msg('1', alice, 0), msg('2', alice, 10, '/topic last:5'), msg('3', bob, 20)], { commandMessageId: '2' });
    assert.deepEqual(ids(kept), ['1', '3']);
    assert.deepEqual(dropped, { command: 1, bots: 0, ignored: 0, empty: 0 });
  });

  test('bot messages are dropped, including the bot answering the command', () => {
    const { kept, dropped } = selectMessages([msg('1', alice, 0), msg('2', parleyBot, 1, 'Collecting 5 messages…'), msg('3', bob, 2)]);
    assert.deepEqual(ids(kept), ['1', '3']);
    assert.equal(dropped.bots, 1);
  });

  test('ignore: matches usernames in any case, with or without @', () => {
    const messages = [msg('1', alice, 0), msg('2', bob, 1), msg('3', kanji, 2)];
    for (const ignore of [['bob_b'], ['@BOB_B'], ['  @Bob_B ']]) {
      const { kept, dropped } = selectMessages(messages, { ignore });
      assert.deepEqual(ids(kept), ['1', '3'], `ignore:${ignore.join(',')}`);
      assert.equal(dropped.ignored, 1);
    }
  });

  test('ignore: matches display names too: case-insensitive, accents and CJK, spacing loose', () => {
    const messages = [msg('1', alice, 0), msg('2', sara, 1), msg('3', kanji, 2), msg('4', bob, 3)];
    const { kept, dropped } = selectMessages(messages, { ignore: ['alice liddell', 'SÁRA  ÑÚÑEZ', '@山田 太郎'] });
    assert.deepEqual(ids(kept), ['4']);
    assert.equal(dropped.ignored, 3);
  });

  test('ignore: matches composed and decomposed accents alike', () => {
    const decomposed = 'Sa\u0301ra N\u0303u\u0301n\u0303ez';
    assert.deepEqual(ids(selectMessages([msg('1', sara, 0), msg('2', bob, 1)], { ignore: [decomposed] }).kept), ['2']);
  });

  test('an empty ignore: entry does not drop users who have no username', () => {
    const { kept } = selectMessages([msg('1', sara, 0), msg('2', alice, 1)], { ignore: ['', '@', ' '] });
    assert.deepEqual(ids(kept), ['1', '2']);
  });

  test('ignore: does not match part of a name', () => {
    assert.deepEqual(ids(selectMessages([msg('1', alice, 0)], { ignore: ['alice l', 'lid'] }).kept), ['1']);
  });

  test('a message with no text and no files is dropped as empty; a file alone is kept', () => {
    const file = [{ name: 'photo.jpg', url: 'https://files.example.org/photo.jpg' }];
    const { kept, dropped } = selectMessages([msg('1', alice, 0, '  \n'), msg('2', alice, 1, '', file), msg('3', bob, 2)]);
    assert.deepEqual(ids(kept), ['2', '3']);
    assert.equal(dropped.empty, 1);
  });

  test('each message counts under one reason only', () => {
    const botCommand = msg('1', parleyBot, 0);
    const { dropped } = selectMessages([botCommand, msg('2', parleyBot, 1)], { commandMessageId: '1', ignore: ['parley_bot'] });
    assert.deepEqual(dropped, { command: 1, bots: 1, ignored: 0, empty: 0 });
  });

  test('counts of several pages add up', () => {
    const a = selectMessages([msg('1', parleyBot, 0), msg('2', bob, 1)], { ignore: ['bob'] }).dropped;
    const b = selectMessages([msg('3', parleyBot, 2), msg('4', alice, 3, '')]).dropped;
    assert.deepEqual(addDropCounts(addDropCounts(noDrops(), a), b), { command: 0, bots: 2, ignored: 1, empty: 1 });
  });
});

describe('selectMessages: order', () => {
  test('out-of-order input comes out oldest first', () => {
    const { kept } = selectMessages([msg('3', bob, 30), msg('1', alice, 0), msg('2', alice, 10)]);
    assert.deepEqual(ids(kept), ['1', '2', '3']);
  });

  test('messages of the same millisecond are ordered by id, numeric ids as numbers', () => {
    const { kept } = selectMessages([msg('10', bob, 5), msg('9', alice, 5), msg('100', alice, 5), msg('2', alice, 0)]);
    assert.deepEqual(ids(kept), ['2', '9', '10', '100']);
  });

  test('opaque ids (Mattermost) of the same time are ordered as strings', () => {
    const { kept } = selectMessages([msg('zq81', bob, 5), msg('a7k2', alice, 5)]);
    assert.deepEqual(ids(kept), ['a7k2', 'zq81']);
  });

  test('the input array is not changed', () => {
    const input = [msg('2', bob, 10), msg('1', alice, 0)];
    selectMessages(input);
    assert.deepEqual(ids(input), ['2', '1']);
  });

  test('compareIds: leading zeros do not change numeric order', () => {
    assert.ok(compareIds('009', '10') < 0);
    assert.ok(compareIds('10', '9') > 0);
    assert.equal(compareIds('42', '42'), 0);
  });
});

test('normalizeName: @, case, spacing, Unicode normalization', () => {
  assert.equal(normalizeName('  @@Bob   Smith '), 'bob smith');
  assert.equal(normalizeName('E\u0301MILE'), 'émile');
});

describe('selectMessages: thread replies', () => {
  test('replies are filtered like messages and sorted; a left-out first message takes its thread with it', () => {
    const thread = { ...msg('1', alice, 0), replies: [msg('3', bob, 90), msg('2', parleyBot, 30), msg('4', bob, 60, '')] };
    const ignoredThread = { ...msg('5', bob, 100), replies: [msg('6', alice, 110), msg('7', alice, 120)] };
    const { kept, dropped } = selectMessages([ignoredThread, thread], { ignore: ['bob_b'] });
    assert.deepEqual(ids(kept), ['1']);
    assert.deepEqual(ids(kept[0]!.replies ?? []), []);
    assert.deepEqual(dropped, { command: 0, bots: 1, ignored: 3 + 2, empty: 0 });
  });
});
