import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { htmlText } from '../helpers/html-text.js';
import { notification } from '../helpers/notification.js';
import {
  asReplyTo,
  breakMentions,
  commandReplyContent,
  contentBytes,
  editOf,
  escapeHtml,
  htmlColor,
  inThread,
  MAX_CONTENT_BYTES,
  notificationContent,
} from '../../bots/matrix/format.js';

const ZWSP = '\u200B';

const visible = htmlText;

describe('notificationContent', () => {
  test('a new topic: an m.notice with linked bold title, coloured category, tags, author and quoted excerpt', () => {
    const c = notificationContent(notification());
    assert.deepEqual(c, {
      msgtype: 'm.notice',
      body: [
        '📝 New topic: Release 2.0 is out',
        'https://forum.example.org/t/release-2-0-is-out/42/1',
        'Announcements · Tags: release, news',
        `by Sara Lee (@${ZWSP}sara)`,
        '',
        'We shipped it.',
      ].join('\n'),
      format: 'org.matrix.custom.html',
      formatted_body: [
        '📝 New topic: <b><a href="https://forum.example.org/t/release-2-0-is-out/42/1">Release 2.0 is out</a></b>',
        '<font data-mx-color="#0088CC">●</font> Announcements · Tags: release, news',
        `by Sara Lee (@${ZWSP}sara)<blockquote>We shipped it.</blockquote>`,
      ].join('<br>'),
      'm.mentions': {},
    });
  });

  test('a reply is worded differently; one tag is "Tag"; no category, no tags, no excerpt: their lines go', () => {
    const c = notificationContent(notification({ kind: 'reply', category: null, tags: ['solo'], excerpt: '   ' }));
    assert.match(c.body, /^💬 New reply in Release 2.0 is out\n/);
    assert.match(c.body, /\nTag: solo\n/);
    assert.doesNotMatch(c.formatted_body, /blockquote|data-mx-color/);
    const bare = notificationContent(notification({ category: null, tags: [] }));
    assert.equal(bare.body.split('\n')[2], `by Sara Lee (@${ZWSP}sara)`);
  });

  test('forum text cannot inject markup: <b> in a title stays literal, & < > and quotes are escaped', () => {
    const c = notificationContent(
      notification({
        title: '<b>bold</b> & "quoted"',
        url: 'https://forum.example.org/t/a"b/1?x=1&y=<2>',
        author: 'Eve <script>',
        category: { name: 'Q&A <staff>', path: 'qa', color: 'red" onclick="x' },
        tags: ['<i>'],
        excerpt: 'x < y <a href="https://evil.example">click</a>',
      }),
    );
    assert.doesNotMatch(c.formatted_body, /<(?!\/?(?:b|a|br|blockquote)[ >])/u, 'only the tags Parley writes');
    assert.match(c.formatted_body, /&lt;b&gt;bold&lt;\/b&gt; &amp; &quot;quoted&quot;/);
    assert.match(c.formatted_body, /href="https:\/\/forum\.example\.org\/t\/a&quot;b\/1\?x=1&amp;y=&lt;2&gt;"/);
    // The plain body is plain text: shown as typed.
    assert.match(c.body, /^📝 New topic: <b>bold<\/b> & "quoted"$/mu);
    assert.equal(visible(c.formatted_body).split('\n')[0], '📝 New topic: <b>bold</b> & "quoted"');
  });

  test('@room, in any case, pings nobody: broken in body and formatted_body, and m.mentions is empty', () => {
    const c = notificationContent(notification({ title: 'Hey @room', excerpt: '@ROOM and @Room, also x@room and @everyone' }));
    for (const text of [c.body, visible(c.formatted_body)]) {
      assert.doesNotMatch(text, /@room/iu);
      assert.doesNotMatch(text, /@everyone/u);
    }
    assert.match(c.body, new RegExp(`@${ZWSP}ROOM and @${ZWSP}Room`, 'u'));
    assert.deepEqual(c['m.mentions'], {});
  });

  test('Matrix ids, aliases and matrix.to links in forum text become no pills; e-mail and other URLs are kept', () => {
    const c = notificationContent(
      notification({
        excerpt: 'Ask @bob:example.org in #help:example.org or !abc:example.org, see https://matrix.to/#/@carol:example.org. Mail bob@example.org, read https://medium.com/@author/post',
      }),
    );
    const seen = visible(c.formatted_body);
    for (const text of [c.body, seen]) {
      assert.doesNotMatch(text, /(^|[^\p{L}\p{N}_])[@#!][a-z]+:example\.org/u);
      assert.match(text, /bob@example\.org/u);
      assert.match(text, /https:\/\/medium\.com\/@author\/post/u);
    }
    assert.match(seen, new RegExp(`@${ZWSP}bob:example\\.org in #${ZWSP}help:example\\.org or !${ZWSP}abc:example\\.org`, 'u'));
    assert.doesNotMatch(c.formatted_body, /href="https:\/\/matrix\.to/u);
  });

  test('a non-web URL is not linked', () => {
    const c = notificationContent(notification({ url: 'javascript:alert(1)' }));
    assert.doesNotMatch(c.formatted_body, /href/);
    assert.doesNotMatch(c.body, /javascript/);
  });

  test('a long excerpt is cut so the content stays within the limit, on whole code points, with an ellipsis', () => {
    const excerpt = '😀 <&> "ü" '.repeat(10_000);
    const c = notificationContent(notification({ excerpt }));
    assert.ok(contentBytes(c) <= MAX_CONTENT_BYTES, `${contentBytes(c)} bytes`);
    assert.ok(contentBytes(c) > MAX_CONTENT_BYTES * 0.9, 'the excerpt uses the room there is');
    assert.match(c.body, /…$/u);
    // No lone surrogate anywhere: every cut fell between code points.
    const lone = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;
    assert.doesNotMatch(c.body, lone);
    assert.doesNotMatch(c.formatted_body, lone);
    assert.equal(Buffer.from(c.body, 'utf8').toString('utf8'), c.body);
    assert.match(c.formatted_body, /…<\/blockquote>$/u);
  });

  test('huge titles, names and tags are cut too, and the whole still fits', () => {
    const long = '"&<'.repeat(5000);
    const c = notificationContent(notification({ title: long, author: long, category: { name: long, path: 'x', color: null }, tags: [long, long], excerpt: long }));
    assert.ok(contentBytes(c) <= MAX_CONTENT_BYTES);
    assert.match(c.body, /^📝 New topic: /u);
  });

  test('property: any notification stays within the limit and pings nobody', () => {
    const text = fc.string({ unit: 'binary', maxLength: 300 });
    fc.assert(
      fc.property(text, text, text, fc.array(text, { maxLength: 3 }), fc.string({ unit: 'grapheme', maxLength: 20000 }), (title, author, category, tags, excerpt) => {
        const c = notificationContent(notification({ title, author, category: { name: category, path: 'x', color: null }, tags, excerpt }));
        assert.ok(contentBytes(c) <= MAX_CONTENT_BYTES);
        assert.doesNotMatch(c.body, /@room/iu);
        assert.doesNotMatch(visible(c.formatted_body), /@room/iu);
        assert.deepEqual(c['m.mentions'], {});
      }),
      { numRuns: 200 },
    );
  });
});

describe('commandReplyContent', () => {
  test('an m.notice whose body is the reply text; the HTML shows it with code, links and line breaks', () => {
    const c = commandReplyContent({ text: 'Not linked: run `parley identities add @bob:example.org alice`.\nSee https://forum.example.org/t/1.', visibility: 'channel' });
    assert.equal(c.msgtype, 'm.notice');
    assert.equal(c.body, 'Not linked: run `parley identities add @bob:example.org alice`.\nSee https://forum.example.org/t/1.');
    assert.equal(
      c.formatted_body,
      'Not linked: run <code>parley identities add @bob:example.org alice</code>.<br>See <a href="https://forum.example.org/t/1">https://forum.example.org/t/1</a>.',
    );
    assert.equal(c.format, 'org.matrix.custom.html');
    assert.deepEqual(c['m.mentions'], {});
  });

  test('HTML in the text stays literal; @room and ids outside code ping nobody', () => {
    const c = commandReplyContent({ text: 'No category "<b>x</b>" for @room (asked by @bob:example.org) `@room`', visibility: 'ephemeral' });
    assert.match(c.formatted_body, /&quot;&lt;b&gt;x&lt;\/b&gt;&quot;/u);
    assert.doesNotMatch(c.body, /@room/iu);
    assert.match(c.body, new RegExp(`@${ZWSP}bob:example\\.org`, 'u'));
    assert.match(c.formatted_body, new RegExp(`<code>@${ZWSP}room</code>`, 'u'));
  });

  test('a very long reply is cut within the limit, at a line end', () => {
    const text = Array.from({ length: 2000 }, (_, i) => `rule ${i}: category:"Q&A" → #général`).join('\n');
    const c = commandReplyContent({ text, visibility: 'channel' });
    assert.ok(contentBytes(c) <= MAX_CONTENT_BYTES);
    assert.match(c.body, /^rule 0: /u);
    assert.match(c.body, /#général…$/u);
  });
});

describe('relations', () => {
  const base = commandReplyContent({ text: 'hello', visibility: 'channel' });

  test('asReplyTo: a rich reply without fallback; the content is not changed otherwise', () => {
    const r = asReplyTo(base, '$ev');
    assert.deepEqual(r['m.relates_to'], { 'm.in_reply_to': { event_id: '$ev' } });
    assert.equal(r.body, 'hello');
    assert.equal(r.formatted_body, 'hello');
    assert.deepEqual(r['m.mentions'], {});
    assert.equal(base['m.relates_to'], undefined, 'the argument is left alone');
  });

  test('inThread: the thread relation with the reply fallback to the root', () => {
    assert.deepEqual(inThread(base, '$root')['m.relates_to'], { rel_type: 'm.thread', event_id: '$root', is_falling_back: true, 'm.in_reply_to': { event_id: '$root' } });
  });

  test('a reply inside a thread, built in either order, answers its message in the thread', () => {
    const want = { rel_type: 'm.thread', event_id: '$root', is_falling_back: false, 'm.in_reply_to': { event_id: '$ev' } };
    assert.deepEqual(inThread(asReplyTo(base, '$ev'), '$root')['m.relates_to'], want);
    assert.deepEqual(asReplyTo(inThread(base, '$root'), '$ev')['m.relates_to'], want);
  });

  test('editOf: the m.replace shape, `* ` fallbacks, the new content without any relation', () => {
    const next = inThread(notificationContent(notification({ title: 'Renamed' })), '$root');
    const e = editOf('$orig', next);
    assert.equal(e.msgtype, 'm.notice');
    assert.equal(e.body, `* ${next.body}`);
    assert.equal(e.format, 'org.matrix.custom.html');
    assert.equal(e.formatted_body, `* ${next.formatted_body}`);
    assert.deepEqual(e['m.relates_to'], { rel_type: 'm.replace', event_id: '$orig' });
    assert.deepEqual(e['m.mentions'], {});
    assert.equal('m.relates_to' in e['m.new_content'], false);
    const { 'm.relates_to': _r, ...rest } = next;
    assert.deepEqual(e['m.new_content'], rest);
    assert.ok(contentBytes(e) < 65_536 / 1.5, 'an edit of the largest notice is still far below the event limit');
  });

  test('an edit is neither a reply nor in a thread', () => {
    const e = editOf('$orig', base);
    assert.throws(() => asReplyTo(e as never, '$x'));
    assert.throws(() => inThread(e as never, '$x'));
  });
});

describe('helpers', () => {
  test('escapeHtml escapes the five characters', () => {
    assert.equal(escapeHtml(`<a href="x">'&'</a>`), '&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;');
  });

  test('htmlColor takes Discourse colours, refuses the rest', () => {
    assert.equal(htmlColor('0088cc'), '#0088CC');
    assert.equal(htmlColor('#08c'), '#0088CC');
    assert.equal(htmlColor('red'), null);
    assert.equal(htmlColor(null), null);
  });

  test('breakMentions is idempotent', () => {
    const once = breakMentions('@room @bob:x #a:b !c:d https://matrix.to/#/@e:f @everyone');
    assert.equal(breakMentions(once), once);
  });
});
