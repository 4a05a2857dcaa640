import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { breakNicks, ircLines, messageBudget, RELAY_PREFIX_BYTES, splitToLines, stripFormatting } from '../../bots/irc/format.js';
import type { Notification } from '../../lib/notification.js';
import { notification as baseNotification } from '../helpers/notification.js';

const bytes = (s: string): number => Buffer.byteLength(s, 'utf8');
const LONE_SURROGATE = /\p{Cs}/u;
const words = (s: string): string[] => s.split(/\s+/u).filter(Boolean);

/** The shared test notification, with an author whose name is also a nick and a subcategory. */
const notification = (overrides: Partial<Notification> = {}): Notification =>
  baseNotification({
    url: 'https://forum.example.org/t/release-2-0-is-out/123',
    author: 'Alice Smith (@alice)',
    category: { name: 'Announcements', path: 'meta/announcements', color: '0088CC' },
    tags: [],
    excerpt: 'We are happy to announce the release.',
    ...overrides,
  });

// Text that stresses byte counting: ASCII, accents, combining marks, CJK, emoji (with ZWJ and skin tones), spaces.
const unicodeWord = fc
  .array(fc.constantFrom('a', 'Z', '9', 'é', 'e\u0301', 'n\u0303\u0323', '漢', '字', '😀', '👩‍👩‍👧', '👍🏽', '🇫🇷', 'ß', 'Ω', '\u200B'), { minLength: 1, maxLength: 30 })
  .map((cs) => cs.join(''));
const unicodeText = fc.oneof(
  fc.array(unicodeWord, { maxLength: 80 }).map((ws) => ws.join(' ')),
  fc.string({ unit: 'grapheme', maxLength: 400 }),
  fc.string({ unit: 'grapheme-composite', maxLength: 400 }),
);

describe('messageBudget', () => {
  test('leaves room for the command, the target, CRLF and the relay prefix', () => {
    assert.equal(messageBudget('#parley', 0), 512 - 'PRIVMSG #parley :'.length - 2);
    assert.equal(messageBudget('#parley'), 512 - RELAY_PREFIX_BYTES - 'PRIVMSG #parley :'.length - 2);
    assert.equal(messageBudget('#café', 0), 512 - bytes('PRIVMSG #café :') - 2);
  });
});

describe('splitToLines', () => {
  test('keeps words whole and packs them up to the byte limit', () => {
    assert.deepEqual(splitToLines('one two three four', 9), ['one two', 'three', 'four']);
    assert.deepEqual(splitToLines('  spaced \t out  ', 20), ['spaced out']);
    assert.deepEqual(splitToLines('', 20), []);
  });

  test('line breaks start new lines; blank lines and NUL are dropped', () => {
    assert.deepEqual(splitToLines('first\r\n\r\nsecond\nthird\rfourth\0', 50), ['first', 'second', 'third', 'fourth']);
  });

  test('a word longer than a line is cut between characters, never inside one', () => {
    assert.deepEqual(splitToLines('abcdefghij', 4), ['abcd', 'efgh', 'ij']);
    assert.deepEqual(splitToLines('😀😀😀', 5), ['😀', '😀', '😀']);
    assert.deepEqual(splitToLines('漢字漢字', 7), ['漢字', '漢字']);
    // A combining mark stays with its letter while the cluster fits.
    assert.deepEqual(splitToLines('e\u0301e\u0301e\u0301', 7), ['e\u0301e\u0301', 'e\u0301']);
    // A cluster larger than a line is cut between its code points.
    assert.deepEqual(splitToLines(`a${'\u0301'.repeat(4)}`, 4), ['a\u0301', '\u0301\u0301', '\u0301']);
  });

  test('refuses a limit too small for a 4-byte character', () => {
    assert.throws(() => splitToLines('x', 3), RangeError);
  });

  test('property: every line fits, no surrogate is split, and the words come back', () => {
    fc.assert(
      fc.property(unicodeText, fc.integer({ min: 4, max: 120 }), (text, maxBytes) => {
        const lines = splitToLines(text, maxBytes);
        for (const line of lines) {
          assert.ok(bytes(line) <= maxBytes, `${bytes(line)} > ${maxBytes}: ${JSON.stringify(line)}`);
          assert.ok(line.length > 0);
          assert.doesNotMatch(line, LONE_SURROGATE);
          assert.equal(line, line.trim());
        }
        // Cut words come back when the pieces are glued; whole words when the lines are joined with spaces.
        assert.equal(lines.join('').replace(/\s+/gu, ''), text.replace(/\s+/gu, ''));
        if (words(text).every((w) => bytes(w) <= maxBytes)) assert.deepEqual(words(lines.join(' ')), words(text));
      }),
      { numRuns: 500 },
    );
  });
});

describe('ircLines', () => {
  test('a short notification is one line with a bold title and nothing else formatted', () => {
    const lines = ircLines(notification(), { maxBytes: messageBudget('#parley') });
    assert.deepEqual(lines, [
      '[meta/announcements] \x02Release 2.0 is out\x02 — A\u200Blice S\u200Bmith (@a\u200Blice): We are happy to announce the release. <https://forum.example.org/t/release-2-0-is-out/123>',
    ]);
  });

  test('no category, no excerpt: the parts that are there', () => {
    assert.deepEqual(ircLines(notification({ category: null, excerpt: '', author: 'bob' }), { maxBytes: 400 }), [
      '\x02Release 2.0 is out\x02 — b\u200Bob <https://forum.example.org/t/release-2-0-is-out/123>',
    ]);
  });

  test('forum text cannot format, colour or CTCP', () => {
    const [line] = ircLines(notification({ title: '\x01ACTION \x0304red\x03 \x1Fsneaky\x1F', excerpt: 'x\x02y\x0Fz' }), { maxBytes: 400 });
    assert.ok(line);
    assert.ok(![...line].some((c) => c < ' ' && c !== '\x02'), JSON.stringify(line));
    assert.equal(line.split('\x02').length - 1, 2);
    assert.ok(line.includes('\x02ACTION red sneaky\x02'));
    assert.match(line, /: xyz </u);
  });

  test('a long excerpt is shortened with an ellipsis so that the link ends the second line whole', () => {
    const n = notification({ excerpt: 'lorem ipsum dolor sit amet '.repeat(100) });
    const lines = ircLines(n, { maxBytes: 300 });
    assert.equal(lines.length, 2);
    for (const line of lines) assert.ok(bytes(line) <= 300);
    assert.ok(lines[1]!.endsWith(' <https://forum.example.org/t/release-2-0-is-out/123>'));
    assert.match(lines[1]!, /… <https:/u);
    // The cut uses the room: the second line is nearly full.
    assert.ok(bytes(lines[1]!) > 250, `${bytes(lines[1]!)}`);
  });

  test('a title cut across the lines is bold on both, closed on each', () => {
    const n = notification({ title: 'word '.repeat(60).trim(), excerpt: '' });
    const lines = ircLines(n, { maxBytes: 200 });
    assert.equal(lines.length, 2);
    for (const line of lines) {
      assert.ok(bytes(line) <= 200);
      assert.equal((line.split('\x02').length - 1) % 2, 0, JSON.stringify(line));
    }
    assert.ok(lines[1]!.startsWith('\x02'));
  });

  test('when the title alone overflows two lines, the excerpt goes and the title is shortened', () => {
    const n = notification({ title: 'long '.repeat(200).trim(), excerpt: 'never shown' });
    const lines = ircLines(n, { maxBytes: 120 });
    assert.equal(lines.length, 2);
    assert.ok(!lines.join(' ').includes('never shown'));
    assert.ok(lines[1]!.includes('…\x02 — A\u200Blice S\u200Bmith (@a\u200Blice) <https:'), JSON.stringify(lines));
    for (const line of lines) assert.ok(bytes(line) <= 120);
  });

  test('nicks in forum text are broken, the link is not', () => {
    const n = notification({ title: 'Ask Bob', excerpt: 'bob, see bobcat and https://x.example/bob', url: 'https://forum.example.org/t/bob/1' });
    const [line] = ircLines(n, { maxBytes: 400, nicks: ['bob'] });
    assert.ok(line);
    assert.match(line, /Ask B\u200Bob/u);
    assert.match(line, /: b\u200Bob, see bobcat and https:\/\/x\.example\/bob </u);
    assert.ok(line.endsWith('<https://forum.example.org/t/bob/1>'));
  });

  test('property: at most two lines, each within the budget, the link whole at the end', () => {
    const slug = fc.stringMatching(/^[a-z0-9-]{1,40}$/u);
    fc.assert(
      fc.property(
        unicodeText,
        unicodeText,
        unicodeText,
        fc.option(unicodeText, { nil: null }),
        slug,
        fc.array(unicodeWord, { maxLength: 5 }),
        fc.integer({ min: 100, max: 450 }),
        (title, author, excerpt, category, topicSlug, nicks, maxBytes) => {
          const url = `https://forum.example.org/t/${topicSlug}/42`;
          const n = notification({ title, author, excerpt, url, category: category === null ? null : { name: category, path: category, color: null } });
          const lines = ircLines(n, { maxBytes, nicks });
          assert.ok(lines.length >= 1 && lines.length <= 2, `${lines.length} lines`);
          for (const line of lines) {
            assert.ok(bytes(line) <= maxBytes, `${bytes(line)} > ${maxBytes}: ${JSON.stringify(line)}`);
            assert.doesNotMatch(line, LONE_SURROGATE);
            assert.ok(!/[\r\n]/u.test(line) && !line.includes('\0'));
            assert.equal((line.split('\x02').length - 1) % 2, 0);
          }
          const last = lines.at(-1)!;
          assert.ok(last === `<${url}>` || last.endsWith(` <${url}>`), JSON.stringify(lines));
        },
      ),
      { numRuns: 300 },
    );
  });
});

describe('breakNicks', () => {
  const ZW = '\u200B';

  test('breaks whole-word occurrences in any case', () => {
    assert.equal(breakNicks('alice: Alice ALICE said hi', ['alice']), `a${ZW}lice: A${ZW}lice A${ZW}LICE said hi`);
  });

  test('leaves a nick inside a longer word alone', () => {
    assert.equal(breakNicks('alicex malice alice_ alice2 alice', ['alice']), `alicex malice alice_ alice2 a${ZW}lice`);
    assert.equal(breakNicks('bobcat and bob', ['bob', 'cat']), `bobcat and b${ZW}ob`);
  });

  test('punctuation around a nick still counts as a word boundary', () => {
    assert.equal(breakNicks('(bob) bob. @bob "bob"', ['bob']), `(b${ZW}ob) b${ZW}ob. @b${ZW}ob "b${ZW}ob"`);
  });

  test('nicks with IRC special characters, longest first, rfc1459 case', () => {
    assert.equal(breakNicks('alice[m] and alice', ['alice', 'alice[m]']), `a${ZW}lice[m] and a${ZW}lice`);
    assert.equal(breakNicks('{bob} and [bob]', ['[bob]']), `{${ZW}bob} and [${ZW}bob]`);
    assert.equal(breakNicks('a.b+c? a.b+c', ['a.b+c?']), `a${ZW}.b+c? a.b+c`);
  });

  test('URLs are left whole, one-character and empty nicks ignored, breaking twice changes nothing', () => {
    assert.equal(breakNicks('see https://example.org/bob bob', ['bob']), `see https://example.org/bob b${ZW}ob`);
    assert.equal(breakNicks('a b c', ['a', '', ' ']), 'a b c');
    const once = breakNicks('carol Carol', ['carol']);
    assert.equal(breakNicks(once, ['carol']), once);
  });

  test('no nicks, no change', () => {
    assert.equal(breakNicks('hello', []), 'hello');
  });
});

describe('stripFormatting', () => {
  const cases: Array<[string, string, string]> = [
    ['bold', '\x02bold\x02 text', 'bold text'],
    ['colour with foreground', '\x034red\x03 text', 'red text'],
    ['colour with two-digit foreground and background', '\x0304,12red on blue\x03', 'red on blue'],
    ['colour followed by a digit it does not own', '\x031234', '34'],
    ['a comma not followed by a digit is text', '\x034,text', ',text'],
    ['bare colour reset', 'a\x03b', 'ab'],
    ['reset', '\x02\x1Dx\x0Fy', 'xy'],
    ['monospace', '\x11code\x11', 'code'],
    ['reverse', '\x16rev\x16', 'rev'],
    ['italic', '\x1Ditalic\x1D', 'italic'],
    ['strikethrough', '\x1Egone\x1E', 'gone'],
    ['underline', '\x1Funder\x1F', 'under'],
    ['hex colour', '\x04FF0000red\x04', 'red'],
    ['hex colour with background', '\x04ff0000,00FF00x', 'x'],
    ['bare hex colour', 'a\x04b', 'ab'],
  ];
  for (const [name, input, expected] of cases) {
    test(name, () => assert.equal(stripFormatting(input), expected));
  }

  test('plain text, CTCP markers and Unicode are kept', () => {
    assert.equal(stripFormatting('\x01ACTION waves 👋\x01'), '\x01ACTION waves 👋\x01');
  });
});
