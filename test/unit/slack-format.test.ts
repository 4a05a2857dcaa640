import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { attachmentColor, clipEscaped, escapeSlack, linkTarget, MAX_MESSAGE_TEXT, MAX_SECTION_TEXT, slackMessage, type SlackMessage } from '../../bots/slack/format.js';
import { neutralizeMassMentions, type Notification } from '../../lib/notification.js';
import { notification } from '../helpers/notification.js';


// Block types Slack knows (docs.slack.dev/reference/block-kit/blocks), and text object types.
const BLOCK_TYPES = new Set(['actions', 'context', 'divider', 'file', 'header', 'image', 'input', 'markdown', 'rich_text', 'section', 'table', 'video']);

interface TextObject {
  type: string;
  text: string;
}

/** Every text object in the message's blocks and attachments' blocks, checking block shape on the way. */
function textObjects(msg: SlackMessage): TextObject[] {
  const out: TextObject[] = [];
  const blocks = [...msg.blocks, ...(msg.attachments ?? []).flatMap((a) => a.blocks ?? [])];
  assert.ok(blocks.length <= 50, 'at most 50 blocks');
  for (const raw of blocks) {
    const block = raw as { type: string; text?: TextObject; elements?: TextObject[] };
    assert.ok(BLOCK_TYPES.has(block.type), `unknown block type ${block.type}`);
    if (block.type === 'section') {
      assert.ok(block.text, 'section has text');
      assert.ok(['mrkdwn', 'plain_text'].includes(block.text.type));
      assert.ok(block.text.text.length >= 1 && block.text.text.length <= MAX_SECTION_TEXT, `section text ${block.text.text.length}`);
      out.push(block.text);
    }
    if (block.type === 'header') {
      assert.equal(block.text?.type, 'plain_text');
      assert.ok(block.text.text.length <= 150);
      out.push(block.text);
    }
    if (block.type === 'context') {
      assert.ok(Array.isArray(block.elements) && block.elements.length >= 1 && block.elements.length <= 10);
      for (const el of block.elements) {
        assert.ok(['mrkdwn', 'plain_text'].includes(el.type));
        assert.ok(el.text.length >= 1 && el.text.length <= 3000);
        out.push(el);
      }
    }
  }
  return out;
}

/** All the text of a message that Slack parses as mrkdwn, links removed (the `<url|label>` we put there). */
function allText(msg: SlackMessage): string[] {
  return [msg.text, ...(msg.attachments ?? []).map((a) => a.fallback ?? ''), ...textObjects(msg).map((t) => t.text)];
}

/** Text with our own `<https://…|…>` link syntax taken out: what is left must hold no `<` or `>`. */
function withoutOurLinks(text: string): string {
  return text.replace(/<https:\/\/[^<>|\s]+\|[^<>]*>/gu, 'LINK');
}

describe('escapeSlack', () => {
  test("escapes exactly &, < and > (Slack's Escaping text rule)", () => {
    assert.equal(escapeSlack('a & b < c > d'), 'a &amp; b &lt; c &gt; d');
    assert.equal(escapeSlack('<!channel> <@U123> <#C1|general>'), '&lt;!channel&gt; &lt;@U123&gt; &lt;#C1|general&gt;');
    assert.equal(escapeSlack('*bold* _it_ ~s~ `c` "q" \'a\''), '*bold* _it_ ~s~ `c` "q" \'a\'');
  });
});

describe('clipEscaped', () => {
  test('cuts within the limit with an ellipsis and never inside an entity', () => {
    const escaped = escapeSlack('&'.repeat(100));
    for (let max = 1; max < 60; max++) {
      const out = clipEscaped(escaped, max);
      assert.ok(out.length <= max, `${max}: ${out.length}`);
      assert.ok(out.endsWith('…'));
      assert.match(out.slice(0, -1), /^(&amp;)*$/u, `max ${max}: ${out}`);
    }
  });

  test('never splits a surrogate pair', () => {
    const out = clipEscaped('👍'.repeat(10), 6);
    assert.ok(out.length <= 6);
    assert.ok(!/[\uD800-\uDBFF]…/u.test(out), out);
  });

  test('text within the limit is unchanged', () => {
    assert.equal(clipEscaped('short &amp; sweet', 100), 'short &amp; sweet');
  });
});

describe('linkTarget and attachmentColor', () => {
  test('a URL keeps working inside <url|label>', () => {
    assert.equal(linkTarget('https://f.example/t/x?a=1&b=2'), 'https://f.example/t/x?a=1&amp;b=2');
    assert.equal(linkTarget('https://f.example/a|b>c d'), 'https://f.example/a%7Cb%3Ec%20d');
    assert.equal(linkTarget('javascript:alert(1)'), null);
  });

  test("Discourse colours become Slack's #RRGGBB; anything else none", () => {
    assert.equal(attachmentColor('0088CC'), '#0088CC');
    assert.equal(attachmentColor('#f1592a'), '#F1592A');
    assert.equal(attachmentColor('fff'), '#FFFFFF');
    assert.equal(attachmentColor(null), undefined);
    assert.equal(attachmentColor('red'), undefined);
    assert.equal(attachmentColor('0088CC; x'), undefined);
  });
});

describe('slackMessage', () => {
  test('the title links to the post; author, category, tags and excerpt are shown; unfurls are off', () => {
    const msg = slackMessage(notification());
    assert.equal(msg.unfurl_links, false);
    assert.equal(msg.unfurl_media, false);
    const texts = textObjects(msg).map((t) => t.text);
    assert.ok(texts.includes('📝 New topic: *<https://forum.example.org/t/release-2-0-is-out/42/1|Release 2.0 is out>*'), texts.join('\n'));
    const all = texts.join('\n');
    for (const fact of ['Sara Lee (@sara)', 'Announcements', 'release, news', 'We shipped it.']) assert.ok(all.includes(fact), fact);
    for (const fact of ['New topic', 'Release 2.0 is out', 'Sara Lee (@sara)', 'Announcements', 'release', 'news', 'https://forum.example.org/t/release-2-0-is-out/42/1', 'We shipped it.']) {
      assert.ok(msg.text.includes(fact), `text fallback lacks ${fact}`);
    }
  });

  test('a reply says so', () => {
    const msg = slackMessage(notification({ kind: 'reply' }));
    assert.match(msg.text, /^New reply/u);
    assert.ok(textObjects(msg)[0]?.text.startsWith('💬 New reply in *<https://'));
  });

  test("the category's colour is the attachment bar around the details; no colour, no attachment", () => {
    const coloured = slackMessage(notification());
    assert.equal(coloured.attachments?.length, 1);
    assert.equal(coloured.attachments?.[0]?.color, '#0088CC');
    assert.ok((coloured.attachments?.[0]?.blocks?.length ?? 0) >= 1);
    assert.equal(coloured.blocks.length, 1, 'the title line stays in the message');

    for (const category of [null, { name: 'Misc', path: 'misc', color: null }, { name: 'Odd', path: 'odd', color: 'blue' }]) {
      const plain = slackMessage(notification({ category }));
      assert.equal(plain.attachments, undefined);
      assert.ok(plain.blocks.length >= 2);
      textObjects(plain);
    }
  });

  test('forum text asks for verbatim mrkdwn so Slack does not auto-parse it', () => {
    for (const t of textObjects(slackMessage(notification()))) {
      assert.equal(t.type, 'mrkdwn');
      assert.equal((t as { verbatim?: boolean }).verbatim, true);
    }
  });

  test('pings and markup typed in the forum are harmless everywhere', () => {
    const evil = '<!channel> @here <@U1> & <b> <!subteam^S1> <#C1|x> <https://evil.example|click>';
    const raw = notification({ title: evil, excerpt: evil, author: evil, tags: [evil, 'ok'], category: { name: evil, path: 'x', color: 'F00' } });
    // With the core's neutralisation (as buildNotification gives it) and without (belt and braces).
    const cored: Notification = { ...raw, title: neutralizeMassMentions(evil), excerpt: neutralizeMassMentions(evil), author: neutralizeMassMentions(evil), tags: [neutralizeMassMentions(evil)] };
    for (const n of [raw, cored]) {
      const msg = slackMessage(n);
      for (const text of allText(msg)) {
        const rest = withoutOurLinks(text);
        assert.ok(!/[<>]/u.test(rest), `unescaped < or > in ${text}`);
        assert.ok(!/&(?!amp;|lt;|gt;)/u.test(text), `bare & in ${text}`);
        assert.ok(!/<[!@#]/u.test(text));
      }
      assert.ok(msg.text.includes('&lt;!channel&gt;') || msg.text.includes('@\u200Bchannel'));
      // Exactly one link in the whole message: ours, to the post.
      const links = allText(msg).join('\n').match(/<https?:[^>]*>/gu) ?? [];
      assert.equal(links.length, 1, links.join(' '));
      assert.ok(links[0]?.startsWith('<https://forum.example.org/t/'));
    }
  });

  test("the core's neutralised mass mentions are kept as they are", () => {
    const n = notification({ title: neutralizeMassMentions('@channel look'), excerpt: neutralizeMassMentions('@everyone @here') });
    const all = allText(slackMessage(n)).join('\n');
    assert.ok(!/@(channel|here|everyone)\b/u.test(all));
    assert.ok(all.includes('@\u200Bchannel look'));
  });

  test('a | or a line break in the title cannot end the link early', () => {
    const msg = slackMessage(notification({ title: 'A | B > C\nD' }));
    const title = textObjects(msg)[0]?.text ?? '';
    assert.equal(title, '📝 New topic: *<https://forum.example.org/t/release-2-0-is-out/42/1|A \u2223 B &gt; C D>*');
  });

  test('long excerpts, titles and tags are cut within Slack limits, never inside an entity', () => {
    const long = 'a&b<c>d '.repeat(2000);
    const msg = slackMessage(notification({ title: long, excerpt: long, author: long, tags: Array.from({ length: 300 }, (_, i) => `tag-${i}&<>`) }));
    textObjects(msg); // section ≤ 3000, context elements ≤ 3000
    assert.ok(msg.text.length <= MAX_MESSAGE_TEXT);
    for (const text of allText(msg)) {
      assert.ok(!/&[a-z]{0,3}(?![a-z;])/u.test(text.replace(/&(amp|lt|gt);/gu, '')), `broken entity in …${text.slice(-20)}`);
      assert.ok(!/&[a-z]*…/u.test(text), `cut inside an entity: …${text.slice(-20)}`);
    }
    const excerpt = textObjects(msg).at(-1)?.text ?? '';
    assert.ok(excerpt.endsWith('…'));
    assert.ok(excerpt.length > 2900, 'the excerpt uses the room it has');
    const title = textObjects(msg)[0]?.text ?? '';
    assert.ok(title.endsWith('…>*'), 'the title link stays a closed link');
  });

  test('a huge excerpt keeps the text fallback within 40,000 characters with the link intact', () => {
    const msg = slackMessage(notification({ excerpt: '& '.repeat(30_000) }));
    assert.ok(msg.text.length <= MAX_MESSAGE_TEXT);
    assert.ok(msg.text.includes('https://forum.example.org/t/release-2-0-is-out/42/1'));
    assert.ok(msg.text.endsWith('…'));
  });

  test('an empty excerpt adds no empty section', () => {
    const msg = slackMessage(notification({ excerpt: '  ' }));
    textObjects(msg);
    assert.ok(!msg.text.endsWith('\n'));
  });

  test('a non-http URL is not made into a link', () => {
    const msg = slackMessage(notification({ url: 'javascript:alert(1)' }));
    assert.ok(!allText(msg).some((t) => t.includes('<javascript')));
  });

  test('the message is plain JSON (what the client serialises)', () => {
    const msg = slackMessage(notification());
    assert.deepEqual(JSON.parse(JSON.stringify(msg)), msg);
  });
});
