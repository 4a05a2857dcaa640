import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Notification } from '../../lib/notification.js';
import { htmlText } from '../helpers/html-text.js';
import { colorCircle, escapeHtml, formatNotification, hashtag, MAX_MESSAGE_LENGTH, splitMessage } from '../../bots/telegram/format.js';

function notification(overrides: Partial<Notification> = {}): Notification {
  return {
    kind: 'new_topic',
    title: 'Welcome to the forum',
    url: 'https://forum.example.org/t/welcome/12/1',
    author: 'Alice Liddell (@alice)',
    category: { name: 'Meta', path: 'meta', color: '0088CC' },
    tags: ['howto', 'release-notes'],
    excerpt: 'Please read this first.',
    thread: 'discourse:topic:12',
    subject: 'discourse:post:34',
    ...overrides,
  };
}

const visible = htmlText;

describe('formatNotification', () => {
  test('a new topic: bold linked title, category with its colour, hashtags, author, excerpt', () => {
    const html = formatNotification(notification());
    assert.equal(
      html,
      [
        '📝 New topic: <b><a href="https://forum.example.org/t/welcome/12/1">Welcome to the forum</a></b>',
        '🔵 Meta · #howto #release_notes',
        'by Alice Liddell (@\u200Balice)',
        '<blockquote>Please read this first.</blockquote>',
      ].join('\n'),
    );
  });

  test('a reply is worded differently from a new topic', () => {
    const reply = formatNotification(notification({ kind: 'reply' }));
    assert.match(reply, /^💬 New reply in <b><a href=/);
    assert.doesNotMatch(reply, /New topic/);
  });

  test('forum text cannot inject markup: &, <, > and quotes are escaped everywhere', () => {
    const html = formatNotification(
      notification({
        title: '<b>bold</b> & "quoted" \'single\'',
        url: 'https://forum.example.org/t/a"b/1?x=1&y=<2>',
        author: 'Eve <script>',
        category: { name: 'Q&A <staff>', path: 'qa', color: null },
        excerpt: 'x < y && y > z <a href="https://evil.example">click</a>',
      }),
    );
    // The only tags are the ones the format itself writes.
    const tags = html.match(/<[^>]*>/g) ?? [];
    assert.deepEqual(
      tags.map((t) => t.replace(/ href="[^"]*"/, '')),
      ['<b>', '<a>', '</a>', '</b>', '<blockquote>', '</blockquote>'],
    );
    assert.ok(html.includes('href="https://forum.example.org/t/a&quot;b/1?x=1&amp;y=&lt;2&gt;"'));
    assert.ok(visible(html).includes('<b>bold</b> & "quoted" \'single\''));
    assert.ok(visible(html).includes('x < y && y > z <a href="https://evil.example">click</a>'));
    assert.ok(visible(html).includes('Q&A <staff>'));
  });

  test('without category, tags or excerpt those lines are left out', () => {
    const html = formatNotification(notification({ category: null, tags: [], excerpt: '  ' }));
    assert.equal(html, '📝 New topic: <b><a href="https://forum.example.org/t/welcome/12/1">Welcome to the forum</a></b>\nby Alice Liddell (@\u200Balice)');
  });

  test('tags only, when there is no category', () => {
    const html = formatNotification(notification({ category: null, tags: ['a b', 'a-b', 'a.b'] }));
    // Three spellings that Telegram would show as one hashtag are shown once.
    assert.ok(html.split('\n')[1] === '#a_b');
  });

  test('a link that is not http(s) is not linked', () => {
    const html = formatNotification(notification({ url: 'javascript:alert(1)' }));
    assert.ok(!html.includes('<a '));
    assert.ok(html.includes('<b>Welcome to the forum</b>'));
  });

  test('forum @mentions do not become Telegram mentions; e-mail addresses are left alone', () => {
    const html = formatNotification(notification({ excerpt: 'ping @bob and @everyone, mail bob@example.org' }));
    assert.ok(html.includes('ping @\u200Bbob and @\u200Beveryone, mail bob@example.org'));
  });

  test('a huge excerpt is shortened so the message stays within Telegram\'s 4096 characters', () => {
    const html = formatNotification(notification({ excerpt: '<&> '.repeat(3000) + '😀'.repeat(1000) }));
    const shown = visible(html);
    assert.ok(shown.length <= MAX_MESSAGE_LENGTH, `visible length ${shown.length}`);
    assert.ok(shown.length > MAX_MESSAGE_LENGTH - 200, 'most of the room is used');
    assert.ok(shown.endsWith('…'));
  });
});

describe('hashtag', () => {
  test('keeps letters (any script), digits and _; other characters become _', () => {
    assert.equal(hashtag('howto'), '#howto');
    assert.equal(hashtag('release-notes'), '#release_notes');
    assert.equal(hashtag('c++'), '#c');
    assert.equal(hashtag('v1.2.3'), '#v1_2_3');
    assert.equal(hashtag('привет-мир'), '#привет_мир');
    assert.equal(hashtag('--'), null);
  });

  test('a tag of digits only gets a prefix, since Telegram would not link it', () => {
    assert.equal(hashtag('2024'), '#tag_2024');
  });
});

describe('colorCircle', () => {
  test("Discourse's default category colours map to the circle people would call them", () => {
    assert.equal(colorCircle('0088CC'), '🔵');
    assert.equal(colorCircle('25AAE2'), '🔵');
    assert.equal(colorCircle('BF1E2E'), '🔴');
    assert.equal(colorCircle('F7941D'), '🟠');
    assert.equal(colorCircle('3AB54A'), '🟢');
    assert.equal(colorCircle('652D90'), '🟣');
    assert.equal(colorCircle('8C6238'), '🟤');
    assert.equal(colorCircle('231F20'), '⚫');
    assert.equal(colorCircle('FFFFFF'), '⚪');
    assert.equal(colorCircle('FFD700'), '🟡');
  });

  test('3-digit colours work; anything else gives no circle', () => {
    assert.equal(colorCircle('F00'), '🔴');
    assert.equal(colorCircle(null), null);
    assert.equal(colorCircle('blue'), null);
    assert.equal(colorCircle('12345'), null);
  });
});

describe('escapeHtml', () => {
  test('escapes the characters Telegram HTML cares about, and nothing else', () => {
    assert.equal(escapeHtml(`a&b<c>d"e'f ü 😀`), 'a&amp;b&lt;c&gt;d&quot;e&#39;f ü 😀');
  });
});

describe('splitMessage', () => {
  test('short text is one message', () => {
    assert.deepEqual(splitMessage('hello'), ['hello']);
  });

  test('long text is cut at line ends, each part within the limit, nothing lost', () => {
    const lines = Array.from({ length: 300 }, (_, i) => `${i + 1}. rule number ${i + 1} watches c/category-${i + 1}`);
    const text = lines.join('\n');
    const parts = splitMessage(text);
    assert.ok(parts.length > 1);
    for (const part of parts) assert.ok(part.length <= MAX_MESSAGE_LENGTH);
    assert.equal(parts.join('\n'), text);
    for (const part of parts) assert.ok(!part.startsWith('\n') && lines.includes(part.split('\n')[0]!));
  });

  test('a line longer than the limit is cut without splitting a surrogate pair', () => {
    const text = 'a' + '😀'.repeat(10);
    const parts = splitMessage(text, 4);
    assert.equal(parts.join(''), text);
    for (const part of parts) {
      assert.ok(part.length <= 4);
      assert.ok(!/[\uD800-\uDBFF]$/.test(part), 'no lone high surrogate at the end');
    }
  });
});
