import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { mapOutsideCode, neutralizeMentions } from '../../lib/transcript/markdown.js';
import { matrixAttachments, matrixMessageToMarkdown, parseMatrixLink, stripReplyFallback, type MatrixMessageInput, type MatrixNames } from '../../bots/matrix/markup.js';

const ZWSP = '\u200B';
const names: MatrixNames = {
  user: (id) => ({ '@alice:example.org': 'Alice Liddell', '@odd:example.org': '*Star* [x](y)' })[id],
  room: (id) => ({ '!abc:example.org': 'General', '#help:example.org': 'Help desk' })[id],
};
const noNames: MatrixNames = { user: () => undefined };

/** A message with HTML (and a plain body that says it was used if it shows). */
const html = (formatted_body: string, extra: Partial<MatrixMessageInput> = {}): string =>
  matrixMessageToMarkdown({ msgtype: 'm.text', body: 'PLAIN BODY USED', format: 'org.matrix.custom.html', formatted_body, ...extra }, names);
const plain = (body: string, extra: Partial<MatrixMessageInput> = {}): string => matrixMessageToMarkdown({ msgtype: 'm.text', body, ...extra }, names);

describe('matrixMessageToMarkdown: formatting', () => {
  test('bold, italic, strikethrough, underline, inline code', () => {
    assert.equal(html('<b>bold</b> <strong>strong</strong> <i>it</i> <em>em</em> <del>gone</del> <s>s</s> <u>under</u> <code>x*y</code>'), '**bold** **strong** *it* *em* ~~gone~~ ~~s~~ [u]under[/u] `x*y`');
  });

  test('emphasis Markdown would not read falls back to BBCode', () => {
    assert.equal(html('a<b>"x"</b>b'), 'a[b]"x"[/b]b');
    assert.equal(html('<b>x</b><i>y</i>'), '[b]x[/b][i]y[/i]');
  });

  test('links: web links kept, the rest as text; a link whose text is its URL is an autolink', () => {
    assert.equal(html('<a href="https://example.org/a?b=1">the docs</a>'), '[the docs](https://example.org/a?b=1)');
    assert.equal(html('<a href="https://example.org/x_y">https://example.org/x_y</a>'), '<https://example.org/x_y>');
    assert.equal(html('<a href="https://example.org/a b">spaced</a>'), '[spaced](<https://example.org/a%20b>)');
    assert.equal(html('<a href="javascript:alert(1)">click</a>'), 'click');
    assert.equal(html('<a href="mxc://example.org/abc">file</a>'), 'file');
  });

  test('code blocks become fences with their language, code kept byte for byte', () => {
    assert.equal(html('<pre><code class="language-ts">const a = 1 &lt; 2 * 3;\n</code></pre>'), '```ts\nconst a = 1 < 2 * 3;\n```');
    assert.equal(html('<pre><code>has ```\nfence</code></pre>'), '````\nhas ```\nfence\n````');
    assert.equal(html('<pre>no code element</pre>'), '```\nno code element\n```');
    assert.equal(html('<p>before</p><pre><code class="language-bad lang`x">x</code></pre>'), 'before\n\n```bad\nx\n```');
  });

  test('quotes, lists, headings, rules, paragraphs and line breaks', () => {
    assert.equal(html('<blockquote><p>quoted</p><p>two</p></blockquote><p>after</p>'), '> quoted\n> \n> two\n\nafter');
    assert.equal(html('<ul><li>one</li><li>two<ul><li>nested</li></ul></li></ul>'), '- one\n- two\n  - nested');
    assert.equal(html('<ol start="3"><li>three</li><li>four</li></ol>'), '3. three\n4. four');
    assert.equal(html('<h2>Title</h2><p>a<br>b</p><hr><p>end</p>'), '## Title\n\na\nb\n\n---\n\nend');
  });

  test('text that looks like Markdown is escaped as it shows in Matrix', () => {
    assert.equal(html('1. not a list<br># not a heading<br>*a* _b_ ~~c~~ [d](e) |f| &amp;amp;'), '1\\. not a list\n\\# not a heading\n\\*a\\* \\_b\\_ \\~\\~c\\~\\~ \\[d\\](e) \\|f\\| \\&amp;');
  });

  test('spoilers, with their reason, as the spoiler-alert BBCode', () => {
    assert.equal(html('It was <span data-mx-spoiler="the ending">the butler</span>, and <span data-mx-spoiler>more</span>'), 'It was (the ending) [spoiler]the butler[/spoiler], and [spoiler]more[/spoiler]');
  });

  test('colours are dropped, text kept; sup/sub are plain text', () => {
    assert.equal(html('<font data-mx-color="#ff0000">red</font> <span data-mx-bg-color="#00ff00">green</span> x<sup>2</sup>'), 'red green x2');
  });

  test('images: mxc cannot be fetched by the forum, so their alt text; custom emoji keep their shortcode', () => {
    assert.equal(html('<img data-mx-emoticon src="mxc://example.org/p" alt=":partyparrot:" height="32"> party'), ':partyparrot: party');
    assert.equal(html('see <img src="mxc://example.org/p" alt="a *cat*">'), 'see a \\*cat\\*');
    assert.equal(html('<img src="mxc://example.org/p">'), '');
  });

  test('tables become GFM tables, details the details BBCode', () => {
    assert.equal(html('<table><thead><tr><th>a</th><th>b</th></tr></thead><tbody><tr><td>1</td><td>2|3</td></tr></tbody></table>'), '| a | b |\n| --- | --- |\n| 1 | 2\\|3 |');
    assert.equal(html('<details><summary>More "info"</summary>hidden <b>text</b></details>'), `[details="More 'info'"]\nhidden **text**\n[/details]`);
  });

  test('a body without HTML format is used even when formatted_body is there', () => {
    assert.equal(matrixMessageToMarkdown({ msgtype: 'm.text', body: 'plain *x*', formatted_body: '<b>x</b>' }, names), 'plain \\*x\\*');
  });
});

describe('matrixMessageToMarkdown: mentions and replies', () => {
  test('user pills become the display name, without pinging a forum user', () => {
    const md = html('Thanks <a href="https://matrix.to/#/@alice:example.org">Alice</a> and <a href="https://matrix.to/#/%40carol%3Aexample.org">Carol C.</a> and <a href="matrix:u/dave:example.org?action=chat"></a>!');
    assert.equal(md, `Thanks @${ZWSP}Alice Liddell and @${ZWSP}Carol C. and @${ZWSP}dave!`);
  });

  test("a display name is shown literally, and a pill's leading @ is not doubled", () => {
    assert.equal(html('<a href="https://matrix.to/#/@odd:example.org">odd</a>'), `@${ZWSP}\\*Star\\* \\[x\\](y)`);
    assert.equal(html('<a href="https://matrix.to/#/@bob:example.org">@bob</a>'), `@${ZWSP}bob`);
  });

  test('room pills become #name; event permalinks stay links', () => {
    assert.equal(html('<a href="https://matrix.to/#/!abc:example.org?via=example.org">room</a>'), '#General');
    assert.equal(html('<a href="https://matrix.to/#/#help:example.org">#help:example.org</a>'), '#Help desk');
    assert.equal(html('<a href="https://matrix.to/#/#other:example.org">#other:example.org</a>'), '#other:example.org');
    assert.equal(html('<a href="https://matrix.to/#/!abc:example.org/$ev?via=x">this message</a>'), '[this message](https://matrix.to/#/!abc:example.org/$ev?via=x)');
  });

  test('typed @names and @room do not ping on the forum; code keeps them', () => {
    assert.equal(html('@room ask @bob <code>@carl</code>'), `@${ZWSP}room ask @${ZWSP}bob \`@carl\``);
    assert.equal(plain('@room ask @bob'), `@${ZWSP}room ask @${ZWSP}bob`);
  });

  test('the mx-reply fallback of a rich reply is dropped', () => {
    const md = html(
      '<mx-reply><blockquote><a href="https://matrix.to/#/!r:x/$e">In reply to</a> <a href="https://matrix.to/#/@bob:x">@bob:x</a><br>the question</blockquote></mx-reply>The answer',
      { 'm.relates_to': { 'm.in_reply_to': { event_id: '$e' } } },
    );
    assert.equal(md, 'The answer');
  });

  test('the plain reply fallback is dropped from a reply, and only from a reply', () => {
    const body = '> <@bob:example.org> the question\n> second line\n\nThe *answer*';
    assert.equal(plain(body, { 'm.relates_to': { 'm.in_reply_to': { event_id: '$e' } } }), 'The \\*answer\\*');
    assert.equal(plain(body), `\\> \\<@${ZWSP}bob:example.org\\> the question\n\\> second line\n\nThe \\*answer\\*`);
    // A thread message's fallback relation quotes nothing: a quote it starts with is the user's.
    assert.match(plain(body, { 'm.relates_to': { rel_type: 'm.thread', event_id: '$r', is_falling_back: true, 'm.in_reply_to': { event_id: '$r' } } }), /the question/);
  });

  test('stripReplyFallback needs the blank line after the quote', () => {
    assert.equal(stripReplyFallback('> a\n> b\n\nc\nd'), 'c\nd');
    assert.equal(stripReplyFallback('> a\nno blank'), '> a\nno blank');
    assert.equal(stripReplyFallback('> only a quote'), '> only a quote');
  });

  test('parseMatrixLink', () => {
    assert.deepEqual(parseMatrixLink('https://matrix.to/#/@a:b.org'), { kind: 'user', id: '@a:b.org' });
    assert.deepEqual(parseMatrixLink('https://matrix.to/#/%23r%3Ab.org'), { kind: 'room', id: '#r:b.org' });
    assert.deepEqual(parseMatrixLink('https://matrix.to/#/!r:b.org/%24ev?via=b.org'), { kind: 'event', room: '!r:b.org', event: '$ev' });
    assert.deepEqual(parseMatrixLink('matrix:r/room:b.org/e/ev'), { kind: 'event', room: '#room:b.org', event: '$ev' });
    assert.deepEqual(parseMatrixLink('matrix:roomid/xyz:b.org?via=b.org'), { kind: 'room', id: '!xyz:b.org' });
    assert.equal(parseMatrixLink('https://matrix.to/#/%E0%A4%A'), null);
    assert.equal(parseMatrixLink('https://example.org/#/@a:b.org'), null);
  });
});

describe('matrixMessageToMarkdown: message types', () => {
  test('an emote is the action in italics', () => {
    assert.equal(matrixMessageToMarkdown({ msgtype: 'm.emote', body: 'waves' }, names), '*waves*');
    assert.equal(matrixMessageToMarkdown({ msgtype: 'm.emote', body: 'x', format: 'org.matrix.custom.html', formatted_body: 'is <b>very</b> happy' }, names), '*is **very** happy*');
    assert.equal(matrixMessageToMarkdown({ msgtype: 'm.emote', body: 'line one\nline two' }, names), '[i]line one\nline two[/i]');
  });

  test('a notice from a bot is kept like text', () => {
    assert.equal(matrixMessageToMarkdown({ msgtype: 'm.notice', body: 'Build #12 passed' }, names), 'Build #12 passed');
  });

  test('media: no Markdown but the caption; the file is an attachment by name, without link', () => {
    const image = { msgtype: 'm.image', body: 'cat.png', url: 'mxc://example.org/abc' } as MatrixMessageInput;
    assert.equal(matrixMessageToMarkdown(image, names), '');
    assert.deepEqual(matrixAttachments(image), [{ name: 'cat.png', url: '' }]);
    const captioned: MatrixMessageInput = { msgtype: 'm.file', body: 'The *report*', filename: 'report.pdf', format: 'org.matrix.custom.html', formatted_body: 'The <b>report</b>' };
    assert.equal(matrixMessageToMarkdown(captioned, names), 'The **report**');
    assert.deepEqual(matrixAttachments(captioned), [{ name: 'report.pdf', url: '' }]);
    assert.deepEqual(matrixAttachments({ msgtype: 'm.audio' }), [{ name: 'audio', url: '' }]);
    assert.deepEqual(matrixAttachments({ msgtype: 'm.text', body: 'x' }), []);
  });

  test('an empty or bodiless content gives nothing', () => {
    assert.equal(matrixMessageToMarkdown({}, noNames), '');
    assert.equal(matrixMessageToMarkdown({ msgtype: 'm.text', body: '' }, noNames), '');
  });
});

describe('matrixMessageToMarkdown: unsafe HTML', () => {
  test('scripts, frames, styles and handlers leave nothing; escaped tags stay text', () => {
    assert.equal(html('<script>alert(1)</script><style>p{}</style><iframe src="https://evil.example"></iframe><img src=x onerror=alert(1)><object data="x">o</object>ok'), 'ok');
    assert.equal(html('&lt;script&gt;alert(1)&lt;/script&gt;'), '\\<script\\>alert(1)\\</script\\>');
    assert.equal(html('<svg><script>alert(1)</script></svg><math><mi>x</mi></math>fine'), 'fine');
    assert.equal(html('<div onclick="alert(1)">text</div><marquee>moving</marquee>'), 'text\n\nmoving');
  });

  test('nesting deeper than the converter can go falls back to the plain body', () => {
    const deep = `${'<b>'.repeat(50_000)}x`;
    assert.equal(matrixMessageToMarkdown({ msgtype: 'm.text', body: 'the *body*', format: 'org.matrix.custom.html', formatted_body: deep }, names), 'the \\*body\\*');
  });

  const fragments = fc.constantFrom(
    '<script>',
    '</script>',
    '<img src=x onerror=alert(1)>',
    '<iframe src="https://x">',
    '<a href="javascript:alert(1)">',
    '<a href="https://matrix.to/#/@a:b">',
    '<a href="https://x.org/<script>">',
    '</a>',
    '<b>',
    '</b>',
    '<i>',
    '<code>',
    '</code>',
    '<pre>',
    '</pre>',
    '<mx-reply>',
    '</mx-reply>',
    '<blockquote>',
    '<li>',
    '<ul>',
    '<table><tr><td>',
    '<span data-mx-spoiler="<x>">',
    '<details><summary>',
    '&lt;script&gt;',
    '&lt;',
    '&amp;',
    '<br>',
    '<!--',
    '-->',
    '<![CDATA[',
    '<',
    '>',
    '"',
    '@room',
    '@bob',
    '](',
    '\\',
    '<a href="https://x.org/a b">',
    '<ol start="2">',
    '<h1>',
    '<del>',
    '<u>',
    '<img alt="@bob <x>" src="mxc://a/b">',
    '`',
    '\n',
    ' ',
    'a',
  );
  const htmlText = fc.array(fc.oneof(fragments, fc.string({ maxLength: 4 })), { maxLength: 30 }).map((parts) => parts.join(''));
  // Raw HTML as the forum would see it in prose: `<` starting a tag, a comment or a declaration. Escaped (`\<`),
  // autolinks and `<…>` link destinations are no HTML.
  // A live mention as Discourse sees one: `@` starting a word, in prose (not code, links, URLs).
  const LIVE = /(^|[^\p{L}\p{N}_])@[\p{L}\p{N}_]/u;
  const LINKS = /<[a-z][a-z0-9+.-]*:[^\s<>]*>|(?:https?|ftp):\/\/[^\s<>]*|www\.[^\s<>]*|(?<!\\)\]\([^)\s]*/giu;
  const RAW_HTML = /(^|[^\\])<(?!https?:\/\/[^\s<>]*>)[a-z/!?]/iu;

  test('property: no raw HTML outside code, no live mention, never a throw', () => {
    fc.assert(
      fc.property(htmlText, fc.boolean(), (formatted, known) => {
        const out = matrixMessageToMarkdown({ msgtype: 'm.text', body: formatted, format: 'org.matrix.custom.html', formatted_body: formatted }, known ? names : noNames);
        mapOutsideCode(out, (prose) => {
          assert.doesNotMatch(prose.replace(/\]\(<[^>]*>\)/gu, ']()'), RAW_HTML, `raw HTML in ${JSON.stringify(out)} from ${JSON.stringify(formatted)}`);
          assert.doesNotMatch(prose.replace(LINKS, ' '), LIVE, `live mention in ${JSON.stringify(out)} from ${JSON.stringify(formatted)}`);
          return prose;
        });
        assert.equal(neutralizeMentions(out), out);
        // The same text as a plain body.
        const flat = matrixMessageToMarkdown({ msgtype: 'm.text', body: formatted }, names);
        mapOutsideCode(flat, (prose) => {
          assert.doesNotMatch(prose, RAW_HTML);
          assert.doesNotMatch(prose.replace(LINKS, ' '), LIVE, `live mention in ${JSON.stringify(flat)} from ${JSON.stringify(formatted)}`);
          return prose;
        });
      }),
      { numRuns: Number(process.env.RUNS ?? 1000) },
    );
  });
});
