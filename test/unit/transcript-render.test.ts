import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { closeOpenFence, codeSpan, escapeMarkdown, escapeName, fence, neutralizeMentions, ZWSP } from '../../lib/transcript/markdown.js';
import { EMPTY_TRANSCRIPT_MESSAGE, renderTranscript, TranscriptRenderer, type TranscriptOptions, type TranscriptResult } from '../../lib/transcript/render.js';
import { selectMessages } from '../../lib/transcript/select.js';
import { checkPostLength, countCharacters, DEFAULT_MAX_POST_LENGTH } from '../../lib/transcript/size.js';
import type { ChatAuthor, ChatMessage } from '../../lib/transcript/types.js';

const alice: ChatAuthor = { id: 'u1', username: 'alice', displayName: 'Alice Liddell', isBot: false };
const bob: ChatAuthor = { id: 'u2', username: 'bob', displayName: 'Bob', isBot: false };
const sara: ChatAuthor = { id: 'u3', username: 'sara', displayName: 'Sara', isBot: false };
const parleyBot: ChatAuthor = { id: 'b1', username: 'parley_bot', displayName: 'Parley', isBot: true };

const OPTIONS: TranscriptOptions = { platform: 'Telegram', channelName: 'Parley Dev', timeZone: 'Europe/Berlin' };

/** 2026-11-21 15:35 in Berlin (UTC+1 in November). */
const T0 = Date.parse('2026-11-21T14:35:00Z');
let nextId = 1;
function msg(author: ChatAuthor, seconds: number, markdown: string, attachments: ChatMessage['attachments'] = []): ChatMessage {
  return { id: String(nextId++), author, sentAt: new Date(T0 + seconds * 1000), markdown, attachments };
}

function ok(result: TranscriptResult): Extract<TranscriptResult, { status: 'ok' }> {
  if (result.status !== 'ok') assert.fail(`expected a post, got ${result.status}: ${result.message}`);
  return result;
}

const render = (messages: ChatMessage[], options: Partial<TranscriptOptions> = {}) => ok(renderTranscript(messages, { ...OPTIONS, ...options }));

/** The block headers (`**Name** · time`) of a transcript, in order. */
const blockHeads = (markdown: string): string[] => markdown.split('\n').filter((l) => /^\*\*(?!Chat transcript).*\*\* · /u.test(l));

describe('the header', () => {
  test('a small conversation, exactly', () => {
    const result = render([msg(alice, 0, 'Shall we release on Monday?'), msg(bob, 60, 'Yes, after the tests.'), msg(alice, 35 * 60, 'Done.')]);
    assert.equal(
      result.markdown,
      [
        '**Chat transcript** · Telegram · Parley Dev',
        '2026-11-21 15:35–16:10 (Europe/Berlin) · 3 messages',
        'Participants: Alice Liddell, Bob',
        '',
        '---',
        '',
        '**Alice Liddell** · 15:35',
        '',
        'Shall we release on Monday?',
        '',
        '**Bob** · 15:36',
        '',
        'Yes, after the tests.',
        '',
        '**Alice Liddell** · 16:10',
        '',
        'Done.',
        '',
      ].join('\n'),
    );
    assert.equal(result.messageCount, 3);
    assert.equal(result.blockCount, 3);
    assert.deepEqual(result.from, new Date(T0));
    assert.deepEqual(result.to, new Date(T0 + 35 * 60_000));
  });

  test('participants: most active first, ties in order of first message', () => {
    const result = render([msg(sara, 0, 'a'), msg(bob, 1, 'b'), msg(alice, 2, 'c'), msg(alice, 3, 'd'), msg(bob, 4, 'e'), msg(alice, 5, 'f')]);
    assert.deepEqual(result.participants, ['Alice Liddell', 'Bob', 'Sara']);
    assert.match(result.markdown, /^Participants: Alice Liddell, Bob, Sara$/mu);
  });

  test('times are shown in the zone asked for, with the zone named', () => {
    const result = render([msg(alice, 0, 'a'), msg(bob, 600, 'b')], { timeZone: 'America/New_York' });
    assert.match(result.markdown, /^2026-11-21 09:35–09:45 \(America\/New_York\) · 2 messages$/mu);
    assert.deepEqual(blockHeads(result.markdown), ['**Alice Liddell** · 09:35', '**Bob** · 09:45']);
  });

  test('one message: singular, a single time', () => {
    const result = render([msg(alice, 0, 'alone')], { platform: 'Mattermost', channelName: 'Town Square', timeZone: 'UTC' });
    assert.match(result.markdown, /^\*\*Chat transcript\*\* · Mattermost · Town Square\n2026-11-21 14:35 \(UTC\) · 1 message\n/u);
  });

  test('a range spanning days shows both dates, and each block its date', () => {
    // 23:50 on the 21st to 00:20 on the 22nd, Berlin time.
    const late = Date.parse('2026-11-21T22:50:00Z');
    const at = (author: ChatAuthor, minutes: number, text: string): ChatMessage => ({ id: String(nextId++), author, sentAt: new Date(late + minutes * 60_000), markdown: text, attachments: [] });
    const result = ok(renderTranscript([at(alice, 0, 'late'), at(bob, 15, 'later'), at(alice, 30, 'next day')], OPTIONS));
    assert.match(result.markdown, /^2026-11-21 23:50 – 2026-11-22 00:20 \(Europe\/Berlin\) · 3 messages$/mu);
    assert.deepEqual(blockHeads(result.markdown), ['**Alice Liddell** · 2026-11-21 23:50', '**Bob** · 2026-11-22 00:05', '**Alice Liddell** · 2026-11-22 00:20']);
    assert.equal(result.length, countCharacters(result.markdown));
  });

  test('a range spanning days in UTC but not in the zone shows no dates', () => {
    // 23:30 to 00:30 UTC is 00:30 to 01:30 in Berlin: one day there.
    const result = ok(
      renderTranscript(
        [
          { id: 'a', author: alice, sentAt: new Date('2026-11-21T23:30:00Z'), markdown: 'x', attachments: [] },
          { id: 'b', author: bob, sentAt: new Date('2026-11-22T00:30:00Z'), markdown: 'y', attachments: [] },
        ],
        OPTIONS,
      ),
    );
    assert.deepEqual(blockHeads(result.markdown), ['**Alice Liddell** · 00:30', '**Bob** · 01:30']);
  });

  test('names and the channel are shown literally and never ping', () => {
    const tricky: ChatAuthor = { id: 'u7', username: 'x', displayName: '*@staff* [admin](https://evil.example)', isBot: false };
    const result = render([msg(tricky, 0, 'hi')], { channelName: '#general <b>' });
    assert.ok(result.markdown.includes(`**\\*@${ZWSP}staff\\* \\[admin\\](https://evil.example)** · 15:35`), result.markdown);
    assert.ok(result.markdown.includes('· #general \\<b\\>\n'), result.markdown);
  });

  test('an unknown zone is refused at once', () => {
    assert.throws(() => new TranscriptRenderer({ ...OPTIONS, timeZone: 'Mars/Olympus' }), /IANA time zone/u);
  });
});

describe('empty ranges', () => {
  test('no messages gives a clear "empty" result, not an empty post', () => {
    const result = renderTranscript([], OPTIONS);
    assert.deepEqual(result, { status: 'empty', message: EMPTY_TRANSCRIPT_MESSAGE });
    assert.match(EMPTY_TRANSCRIPT_MESSAGE, /no messages/u);
  });

  test('a range with only the command, bots and ignored users is empty too', () => {
    const command = msg(alice, 0, '/topic last:3');
    const { kept } = selectMessages([command, msg(parleyBot, 1, 'Collecting…'), msg(bob, 2, 'psst')], { commandMessageId: command.id, ignore: ['bob'] });
    assert.equal(renderTranscript(kept, OPTIONS).status, 'empty');
  });

  test('empty pages fed to the renderer change nothing', () => {
    const renderer = new TranscriptRenderer(OPTIONS);
    renderer.add([]);
    renderer.add([]);
    assert.equal(renderer.finish().status, 'empty');
  });
});

describe('merging in the transcript', () => {
  test('119 s apart: one block; 120 s apart: two (default gap)', () => {
    assert.equal(render([msg(alice, 0, 'one'), msg(alice, 119, 'two')]).blockCount, 1);
    assert.equal(render([msg(alice, 0, 'one'), msg(alice, 120, 'two')]).blockCount, 2);
  });

  test('merged messages stay separate paragraphs under one name', () => {
    const { markdown } = render([msg(alice, 0, 'one'), msg(alice, 30, 'two')]);
    assert.ok(markdown.endsWith('**Alice Liddell** · 15:35\n\none\n\ntwo\n'), markdown);
  });

  test('a different author in between breaks the block', () => {
    const result = render([msg(alice, 0, 'one'), msg(bob, 10, 'two'), msg(alice, 20, 'three')]);
    assert.deepEqual(blockHeads(result.markdown), ['**Alice Liddell** · 15:35', '**Bob** · 15:35', '**Alice Liddell** · 15:35']);
  });

  test('mergeSeconds changes the gap', () => {
    assert.equal(render([msg(alice, 0, 'one'), msg(alice, 119, 'two')], { mergeSeconds: 60 }).blockCount, 2);
    assert.equal(render([msg(alice, 0, 'one'), msg(alice, 200, 'two')], { mergeSeconds: 300 }).blockCount, 1);
  });
});

describe('message text', () => {
  test('unicode: emoji, RTL, combining marks and CJK in names and text are kept', () => {
    const arabic: ChatAuthor = { id: 'u5', username: 'amal', displayName: 'أمل', isBot: false };
    const cjk: ChatAuthor = { id: 'u6', username: 'taro', displayName: '山田 太郎', isBot: false };
    const texts = ['👋🏽 مرحبا بالجميع', 'e\u0301 n\u0303 — 漢字とかな 👨‍👩‍👧', 'שלום 🇩🇪'];
    const result = render([msg(arabic, 0, texts[0]!), msg(cjk, 10, texts[1]!), msg(arabic, 20, texts[2]!)]);
    for (const t of texts) assert.ok(result.markdown.includes(t), t);
    assert.deepEqual(blockHeads(result.markdown), ['**أمل** · 15:35', '**山田 太郎** · 15:35', '**أمل** · 15:35']);
    assert.deepEqual(result.participants, ['أمل', '山田 太郎']);
    // The forum counts code points: the length is exact, and an emoji counts once.
    assert.equal(result.length, countCharacters(result.markdown));
    assert.ok(result.length < result.markdown.length);
    assert.equal(result.bytes, Buffer.byteLength(result.markdown));
  });

  test('a 100 KB message is rendered whole', () => {
    const line = 'Lorem ipsum dolor sit amet, ünïcödé 🙂, consectetur adipiscing elit.\n';
    const big = line.repeat(Math.ceil(100_000 / line.length));
    assert.ok(big.length >= 100_000);
    const result = render([msg(alice, 0, big), msg(bob, 5, 'tl;dr')]);
    assert.ok(result.markdown.includes(big));
    assert.ok(result.markdown.endsWith('tl;dr\n'));
    assert.equal(result.length, countCharacters(result.markdown));
  });

  test('@mentions outside code stop pinging; inside code blocks and spans they stay as typed', () => {
    const text = ['thanks @bob and (@sara), mail me at alice@example.org', '````md', '```', 'ping @bob here', '```', '````', 'inline `@bob` too'].join('\n');
    const { markdown } = render([msg(alice, 0, text)]);
    const expected = [`thanks @${ZWSP}bob and (@${ZWSP}sara), mail me at alice@example.org`, '````md', '```', 'ping @bob here', '```', '````', 'inline `@bob` too'].join('\n');
    assert.ok(markdown.includes(expected), markdown);
  });

  test('a code block left open in one message does not swallow the next', () => {
    const { markdown } = render([msg(alice, 0, '```js\nconst x = 1;'), msg(bob, 10, 'hello @alice')]);
    assert.ok(markdown.includes('```js\nconst x = 1;\n```\n\n**Bob** · 15:35\n\n'), markdown);
    assert.ok(markdown.includes(`hello @${ZWSP}alice`));
  });

  test('links are kept: Markdown links, bare URLs, URLs with @ in them', () => {
    const text = 'see [the docs](https://example.org/docs?a=1&b=2) and https://mastodon.social/@alice or <https://example.org/@bob>';
    const { markdown } = render([msg(alice, 0, text)]);
    assert.ok(markdown.includes(text), markdown);
  });

  test('attachments become links after the text', () => {
    const { markdown } = render([
      msg(alice, 0, 'the plan:', [
        { name: 'plan v2 (final).pdf', url: 'https://files.example.org/plan v2.pdf' },
        { name: 'photo.jpg', url: 'https://files.example.org/photo.jpg' },
      ]),
      msg(bob, 10, '', [{ name: '', url: 'https://files.example.org/x.png' }]),
    ]);
    assert.ok(markdown.includes('the plan:\n\n[plan v2 (final).pdf](<https://files.example.org/plan%20v2.pdf>)\n[photo.jpg](https://files.example.org/photo.jpg)'), markdown);
    assert.ok(markdown.includes('**Bob** · 15:35\n\n[https://files.example.org/x.png](https://files.example.org/x.png)\n'), markdown);
  });

  test('a message that looks like a setext underline cannot turn the name above into a heading', () => {
    const { markdown } = render([msg(alice, 0, '===\n---')]);
    // A blank line separates the name from the text.
    assert.ok(markdown.includes('**Alice Liddell** · 15:35\n\n===\n---'), markdown);
  });
});

describe('pages and order', () => {
  const conversation = (): ChatMessage[] => Array.from({ length: 250 }, (_, i) => msg([alice, bob, sara][i % 7 === 0 ? 1 : i % 3]!, i * 40, `message number ${i} @bob`));

  test('fed page by page, the post is the same as rendered at once', () => {
    const messages = conversation();
    const whole = render(messages).markdown;
    const renderer = new TranscriptRenderer(OPTIONS);
    for (let i = 0; i < messages.length; i += 100) renderer.add(messages.slice(i, i + 100));
    assert.equal(ok(renderer.finish()).markdown, whole);
  });

  test('a page in any order is sorted; equal times by id', () => {
    const a = { ...msg(alice, 0, 'first'), id: '9' };
    const b = { ...msg(bob, 0, 'second'), id: '10' };
    const c = msg(alice, 30, 'third');
    const { markdown } = render([c, b, a]);
    assert.ok(markdown.indexOf('first') < markdown.indexOf('second') && markdown.indexOf('second') < markdown.indexOf('third'));
  });

  test('a page older than what was already rendered is refused, not silently misordered', () => {
    const renderer = new TranscriptRenderer(OPTIONS);
    renderer.add([msg(alice, 100, 'newer')]);
    assert.throws(() => renderer.add([msg(bob, 50, 'older')]), /oldest first/u);
  });

  test('a finished renderer takes no more pages', () => {
    const renderer = new TranscriptRenderer(OPTIONS);
    renderer.add([msg(alice, 0, 'x')]);
    renderer.finish();
    assert.throws(() => renderer.add([msg(alice, 1, 'y')]), /already finished/u);
  });
});

describe('the forum limit', () => {
  test('over the limit: too_long with the size and a narrower range to try, never a cut post', () => {
    const messages = Array.from({ length: 200 }, (_, i) => msg(i % 2 ? alice : bob, i * 200, `message ${i} `.padEnd(300, 'x')));
    const result = renderTranscript(messages, { ...OPTIONS, maxLength: DEFAULT_MAX_POST_LENGTH });
    assert.equal(result.status, 'too_long');
    assert.ok(result.status === 'too_long');
    assert.ok(!('markdown' in result));
    // The same size the full post would have had.
    const full = render(messages);
    assert.equal(result.length, full.length);
    assert.equal(result.messageCount, 200);
    const last = Number(/last:(\d+)/u.exec(result.message)![1]);
    assert.ok(last > 0 && last < 200, result.message);
    assert.equal(result.message, `the transcript is ${full.length.toLocaleString('en-US')} characters; the forum allows 32,000: try last:${last} or a shorter from:`);
    // The advice works: that many fit.
    assert.equal(renderTranscript(messages.slice(-last), { ...OPTIONS, maxLength: DEFAULT_MAX_POST_LENGTH }).status, 'ok');
  });

  test('at exactly the limit it fits; one character more does not', () => {
    const messages = [msg(alice, 0, 'hello'), msg(bob, 10, 'world')];
    const { length } = render(messages);
    assert.equal(renderTranscript(messages, { ...OPTIONS, maxLength: length }).status, 'ok');
    assert.equal(renderTranscript(messages, { ...OPTIONS, maxLength: length - 1 }).status, 'too_long');
  });

  test('a day-spanning range counts its dates toward the limit', () => {
    const messages = [msg(alice, 0, 'a'), msg(bob, 24 * 3600, 'b')];
    const { length, markdown } = render(messages);
    assert.equal(length, countCharacters(markdown));
    assert.equal(renderTranscript(messages, { ...OPTIONS, maxLength: length }).status, 'ok');
    assert.equal(renderTranscript(messages, { ...OPTIONS, maxLength: length - 1 }).status, 'too_long');
  });

  test('checkPostLength counts characters, not UTF-16 units', () => {
    assert.deepEqual(checkPostLength('🙂'.repeat(10), 10), { ok: true, length: 10, max: 10 });
    const over = checkPostLength('x'.repeat(41_233), 32_000, 100);
    assert.ok(!over.ok);
    assert.equal(over.message, 'the transcript is 41,233 characters; the forum allows 32,000: try last:69 or a shorter from:');
    const single = checkPostLength('x'.repeat(40_000), 32_000, 1);
    assert.ok(!single.ok && /one message alone/u.test(single.message));
    const unknown = checkPostLength('x'.repeat(40_000), 32_000);
    assert.ok(!unknown.ok && /smaller last: or a shorter from:/u.test(unknown.message));
  });
});

describe('Markdown helpers', () => {
  test('fence holds code that contains fences', () => {
    assert.equal(fence('a\n```\nb\n```', 'md'), '````md\na\n```\nb\n```\n````');
    assert.equal(fence('plain'), '```\nplain\n```');
    assert.equal(fence('x', 'we`ird lang'), '~~~we`ird\nx\n~~~');
  });

  test('codeSpan holds backticks and edge spaces', () => {
    assert.equal(codeSpan('a`b'), '``a`b``');
    assert.equal(codeSpan('`x`'), '`` `x` ``');
    assert.equal(codeSpan(' x '), '`  x  `');
    assert.equal(codeSpan(''), '');
    assert.equal(codeSpan('C:\\'), '` C:\\ `', 'a closing backslash is padded');
    assert.equal(neutralizeMentions(`${codeSpan('C:\\')} @bob \`x\``), `\` C:\\ \` @${ZWSP}bob \`x\``, 'the span ends where it should');
  });

  test('neutralizeMentions is idempotent and leaves e-mail addresses alone', () => {
    const once = neutralizeMentions('@all hi @bob, bob@example.org');
    assert.equal(once, `@${ZWSP}all hi @${ZWSP}bob, bob@example.org`);
    assert.equal(neutralizeMentions(once), once);
  });

  test('neutralizeMentions: a combining mark before @ is no letter (it only case-folds to one), so the mention is broken', () => {
    // U+0345 (combining ypogegrammeni) folds to ι: a case-insensitive negated class took it for a letter.
    assert.equal(neutralizeMentions('\u03b1\u0313\u0345@here'), `\u03b1\u0313\u0345@${ZWSP}here`);
    assert.equal(neutralizeMentions('caf\u00e9@example.org'), 'caf\u00e9@example.org');
  });

  test('neutralizeMentions: a code span does not cross a blank line', () => {
    assert.equal(neutralizeMentions('`open\n\n@bob` x'), `\`open\n\n@${ZWSP}bob\` x`);
  });

  test('neutralizeMentions: an escaped ] starts no link destination', () => {
    assert.equal(neutralizeMentions('\\](@bob'), `\\](@${ZWSP}bob`);
    assert.equal(neutralizeMentions('[x](@bob)'), '[x](@bob)', 'a real link target is left alone');
    assert.equal(neutralizeMentions('\\\\](@bob)'), '\\\\](@bob)', 'an escaped backslash escapes nothing after it');
  });

  test('neutralizeMentions: an escaped backtick opens no code span', () => {
    assert.equal(neutralizeMentions('\\`@bob`'), `\\\`@${ZWSP}bob\``);
  });

  test('neutralizeMentions: tilde fences and quoted fences are code too', () => {
    assert.equal(neutralizeMentions('~~~\n@bob\n~~~\n@sara'), `~~~\n@bob\n~~~\n@${ZWSP}sara`);
    assert.equal(neutralizeMentions('> ```\n> @bob\n> ```'), '> ```\n> @bob\n> ```');
  });

  test('closeOpenFence closes with the same fence, and leaves closed ones alone', () => {
    assert.equal(closeOpenFence('````\ncode\n```'), '````\ncode\n```\n````');
    assert.equal(closeOpenFence('```\ncode\n```\n'), '```\ncode\n```\n');
    assert.equal(closeOpenFence('~~~py\nx\n'), '~~~py\nx\n~~~');
  });

  test('escapeMarkdown: formatting characters and line-start markers show literally', () => {
    assert.equal(escapeMarkdown('*a* _b_ `c` [d](e) <f> ~~g~~ a|b &amp;'), '\\*a\\* \\_b\\_ \\`c\\` \\[d\\](e) \\<f\\> \\~\\~g\\~\\~ a\\|b \\&amp;');
    assert.equal(escapeMarkdown('# h\n1. one\n- two\n+ three\n===\n> q'), '\\# h\n1\\. one\n\\- two\n\\+ three\n\\===\n\\> q');
    assert.equal(escapeMarkdown('- mid-line', false), '- mid-line');
    assert.equal(escapeMarkdown('AT&T'), 'AT&T');
  });

  test('escapeName: one line, literal, no ping', () => {
    assert.equal(escapeName('  Bob\n  **Boss** @here '), `Bob \\*\\*Boss\\*\\* @${ZWSP}here`);
  });
});

describe('property: every kept message shows, whole and in order', () => {
  const authors = [alice, bob, sara, { id: 'u8', username: 'émile', displayName: 'Émile 🎈', isBot: false }];
  const text = fc.oneof(
    fc.string({ unit: 'grapheme', minLength: 1, maxLength: 60 }),
    fc.constantFrom('```js\nconst a = "@bob";\n```', 'hi @sara and @bob', '`code @x` then @y', '> quoted\n\n- list', 'https://example.org/@z', '```\nnever closed @bob'),
  );
  const message = fc.record({ author: fc.constantFrom(...authors), offset: fc.integer({ min: 0, max: 4 * 3600 }), text });

  test('messages rendered page by page appear in time order, text intact but for mention breaks', () => {
    fc.assert(
      fc.property(fc.array(message, { minLength: 1, maxLength: 40 }), fc.integer({ min: 1, max: 10 }), (drafts, pageSize) => {
        const messages = drafts
          .map((d, i): ChatMessage => ({ id: String(i + 1), author: d.author, sentAt: new Date(T0 + d.offset * 1000), markdown: d.text, attachments: [] }))
          .filter((m) => m.markdown.trim() !== '');
        const kept = selectMessages(messages).kept;
        const renderer = new TranscriptRenderer(OPTIONS);
        for (let i = 0; i < kept.length; i += pageSize) renderer.add(kept.slice(i, i + pageSize));
        const result = renderer.finish();
        if (kept.length === 0) {
          assert.equal(result.status, 'empty');
          return;
        }
        const { markdown, length, messageCount } = ok(result);
        assert.equal(messageCount, kept.length);
        assert.equal(length, countCharacters(markdown));
        let from = markdown.indexOf('\n---\n');
        for (const m of kept) {
          const at = markdown.indexOf(neutralizeMentions(m.markdown), from);
          assert.ok(at >= from, `message ${m.id} missing or out of order: ${JSON.stringify(m.markdown)}`);
          from = at + neutralizeMentions(m.markdown).length;
        }
      }),
      { numRuns: 300 },
    );
  });
});

describe('thread replies (Slack)', () => {
  test('are quoted under their first message with their own name and time, counted and listed as participants', () => {
    const parent = { ...msg(alice, 0, 'Who reviews #42?'), replies: [msg(bob, 600, 'I will, @alice.'), msg(sara, 900, 'Me too')] };
    const result = render([parent, msg(alice, 60, 'Thanks all')]);
    const body = result.markdown.split('---\n\n')[1]!;
    assert.equal(
      body,
      [
        '**Alice Liddell** · 15:35',
        '',
        'Who reviews #42?',
        '',
        `> ↳ **Bob** · 2026-11-21 15:45`,
        `> I will, @${ZWSP}alice.`,
        '',
        '> ↳ **Sara** · 2026-11-21 15:50',
        '> Me too',
        '',
        'Thanks all',
        '',
      ].join('\n'),
    );
    assert.equal(result.messageCount, 4);
    assert.deepEqual(result.participants, ['Alice Liddell', 'Bob', 'Sara']);
  });

  test('a reply with a code block stays inside its quote', () => {
    const parent = { ...msg(alice, 0, 'Log?'), replies: [msg(bob, 30, '```\nline 1\n\nline 3\n```')] };
    const body = render([parent]).markdown.split('---\n\n')[1]!;
    assert.match(body, /> ```\n> line 1\n>\n> line 3\n> ```/u);
  });
});
