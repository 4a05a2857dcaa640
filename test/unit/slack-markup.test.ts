import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { decodeSlackEntities, slackToMarkdown, type SlackLookup } from '../../bots/slack/markup.js';
import { mapOutsideCode, neutralizeMentions, ZWSP } from '../../lib/transcript/markdown.js';

const USERS: Record<string, string> = { U01: 'Alice Liddell', U02: 'Bob *the* Builder', U03: 'here' };
const CHANNELS: Record<string, string> = { C01: 'general' };
const lookup: SlackLookup = { user: (id) => USERS[id], channel: (id) => CHANNELS[id] };
const md = (text: string): string => slackToMarkdown(text, lookup);

describe('entities', () => {
  test('&amp; &lt; &gt; are decoded, and the decoded < > show literally', () => {
    assert.equal(md('a &amp; b &lt;tag&gt; c'), 'a & b \\<tag\\> c');
  });

  test('decoding is one pass: &amp;lt; is the text "&lt;", escaped so the forum shows it as typed', () => {
    assert.equal(decodeSlackEntities('&amp;lt; &amp;amp;'), '&lt; &amp;');
    assert.equal(md('&amp;lt;'), '\\&lt;');
  });

  test('a < that is no Slack token after decoding stays text, not a link', () => {
    assert.equal(md('&lt;https://example.org&gt;'), '\\<https://example.org\\>');
    assert.equal(md('&lt;@U01&gt;'), `\\<@${ZWSP}U01\\>`);
  });

  test('raw <…> that is no token Slack sends is shown literally', () => {
    assert.equal(md('<foo> <> <@>'), '\\<foo\\> \\<\\> \\<@\\>');
  });
});

describe('links', () => {
  test('<url|label> becomes a Markdown link, <url> an autolink', () => {
    assert.equal(md('see <https://example.org/a_b|the docs> or <https://example.org/a_b>'), 'see [the docs](https://example.org/a_b) or <https://example.org/a_b>');
  });

  test('entities in URLs and labels are decoded', () => {
    assert.equal(md('<https://example.org/?a=1&amp;b=2|Q&amp;A>'), '[Q&A](https://example.org/?a=1&b=2)');
  });

  test('a label that repeats the URL gives the autolink', () => {
    assert.equal(md('<https://example.org|https://example.org>'), '<https://example.org>');
  });

  test('mailto links, with and without label', () => {
    assert.equal(md('<mailto:bob@example.org|bob@example.org> <mailto:bob@example.org>'), '[bob@example.org](mailto:bob@example.org) <mailto:bob@example.org>');
  });

  test('URLs with parentheses keep their destination whole', () => {
    assert.equal(md('<https://en.wikipedia.org/wiki/Foo_(bar)|Foo>'), '[Foo](<https://en.wikipedia.org/wiki/Foo_(bar)>)');
  });

  test('formatting inside a label, and formatting around a link', () => {
    assert.equal(md('<https://example.org|the *docs*>'), '[the **docs**](https://example.org)');
    assert.equal(md('*read <https://example.org|the docs> now*'), '**read [the docs](https://example.org) now**');
  });

  test('a label cannot carry a live mention or Markdown of its own', () => {
    assert.equal(md('<https://example.org|@here [x](y)>'), `[@${ZWSP}here \\[x\\](y)](https://example.org)`);
  });

  test('non-web schemes keep their text only', () => {
    assert.equal(md('<slack://open|open Slack>'), 'open Slack');
  });
});

describe('mentions', () => {
  test('<@U…> becomes the display name, shown literally, never a ping', () => {
    assert.equal(md('ask <@U01> and <@U02>'), `ask @${ZWSP}Alice Liddell and @${ZWSP}Bob \\*the\\* Builder`);
  });

  test('the lookup wins over the legacy label; an unknown id shows its label, else the id', () => {
    assert.equal(md('<@U01|alice> <@U99|carl> <@U98>'), `@${ZWSP}Alice Liddell @${ZWSP}carl @${ZWSP}U98`);
  });

  test('without any lookup every mention still cannot ping', () => {
    assert.equal(slackToMarkdown('<@U01> <@U02|bob>'), `@${ZWSP}U01 @${ZWSP}bob`);
  });

  test('a user whose display name is a broadcast word does not ping either', () => {
    assert.equal(md('<@U03>'), `@${ZWSP}here`);
  });

  test('channels: #name from the lookup, else the label, else the id', () => {
    assert.equal(md('<#C01> <#C02|random> <#C03>'), '#general #random #C03');
  });

  test('@here, @channel, @everyone in every form ping nobody', () => {
    assert.equal(md('<!here> <!channel> <!everyone> <!here|here> <!channel|@channel> <!group>'), `@${ZWSP}here @${ZWSP}channel @${ZWSP}everyone @${ZWSP}here @${ZWSP}channel @${ZWSP}channel`);
  });

  test('user groups show their handle, neutralised', () => {
    assert.equal(md('<!subteam^S123|@design-team> <!subteam^S124>'), `@${ZWSP}design-team @${ZWSP}S124`);
  });

  test('@name typed as plain text (Slack did not make it a mention) does not ping', () => {
    assert.equal(md('@here @all @bob (@sara)'), `@${ZWSP}here @${ZWSP}all @${ZWSP}bob (@${ZWSP}sara)`);
  });

  test('e-mail addresses are not mentions', () => {
    assert.equal(md('bob@example.org'), 'bob@example.org');
  });
});

describe('dates', () => {
  test('<!date^…|fallback> shows the fallback text', () => {
    assert.equal(md('<!date^1392734382^{date} at {time}|Feb 18, 2014 at 6:39 AM PST>'), 'Feb 18, 2014 at 6:39 AM PST');
    assert.equal(md('<!date^1392734382^{date_short}^https://example.org|Feb 18>'), 'Feb 18');
  });

  test('without fallback the time in UTC', () => {
    assert.equal(md('<!date^1392734382^{date}>'), '2014-02-18 14:39 UTC');
  });
});

describe('styles', () => {
  test('bold, italic, strikethrough', () => {
    assert.equal(md('*bold* _italic_ ~gone~'), '**bold** *italic* ~~gone~~');
  });

  test('not inside words: snake_case, 2*3*4, file~1~', () => {
    assert.equal(md('snake_case_name 2*3*4 file~1~x'), 'snake\\_case\\_name 2\\*3\\*4 file\\~1\\~x');
  });

  test('after and before punctuation', () => {
    assert.equal(md('(*bold*), "_it_"!'), '(**bold**), "*it*"!');
  });

  test('a mark next to a space on its inner side is no formatting', () => {
    assert.equal(md('* not bold * and _ nor _'), '\\* not bold \\* and \\_ nor \\_');
  });

  test('unmatched marks are text', () => {
    assert.equal(md('*unclosed and _this too'), '\\*unclosed and \\_this too');
    assert.equal(md('5 * 3 = 15'), '5 \\* 3 = 15');
  });

  test('doubled marks are not formatting in Slack', () => {
    assert.equal(md('**x** __y__'), '\\*\\*x\\*\\* \\_\\_y\\_\\_');
  });

  test('nested: bold and italic together, and inside each other', () => {
    assert.equal(md('*_both_*'), '***both***');
    assert.equal(md('_*both*_'), '***both***');
    assert.equal(md('*very _important_ note*'), '**very *important* note**');
    assert.equal(md('~*old* news~'), '~~**old** news~~');
  });

  test('formatting does not cross lines', () => {
    assert.equal(md('*one\ntwo*'), '\\*one\ntwo\\*');
  });

  test('adjacent styles whose Markdown markers would merge fall back to BBCode', () => {
    assert.equal(md('*a*_b_'), '[b]a[/b]*b*');
  });

  test('inline code inside bold', () => {
    assert.equal(md('*run `make` now*'), '**run `make` now**');
  });
});

describe('code', () => {
  test('inline code verbatim: marks, mentions and tokens untouched, entities decoded', () => {
    assert.equal(md('run `*x* _y_ <@U01> @here a &lt; b &amp;&amp; c` ok'), 'run `*x* _y_ <@U01> @here a < b && c` ok');
  });

  test('inline code with a backslash and Markdown inside', () => {
    assert.equal(md('`[x](y) \\n`'), '`[x](y) \\n`');
  });

  test('code blocks: a fence on lines of its own, content verbatim with entities decoded', () => {
    assert.equal(md('```if a &lt; b:\n    print("@here *x*")```'), '```\nif a < b:\n    print("@here *x*")\n```');
  });

  test('the line breaks Slack shows nothing for, after and before the backticks, are dropped', () => {
    assert.equal(md('```\ncode\n```'), '```\ncode\n```');
  });

  test('a block within a line gets lines of its own, and the text after it is escaped as a line start', () => {
    assert.equal(md('see ```x``` # here'), 'see \n```\nx\n```\n \\# here');
  });

  test('a block containing ``` gets a longer fence', () => {
    assert.equal(md('```a ~~~ b```'), '```\na ~~~ b\n```');
    assert.equal(md('x ``````` y'), 'x \\`\\`\\`\\`\\`\\`\\` y');
  });

  test('unclosed backticks are text', () => {
    assert.equal(md('a ` b'), 'a \\` b');
    assert.equal(md('x ``` y'), 'x \\`\\`\\` y');
  });

  test('mentions inside code stay as typed (the final mention pass leaves code alone)', () => {
    const out = md('`@bob` and ```@here```');
    assert.equal(out, '`@bob` and \n```\n@here\n```');
    assert.equal(neutralizeMentions(out), out);
  });
});

describe('quotes and lines', () => {
  test('&gt; at a line start quotes the line; the next line does not join the quote', () => {
    assert.equal(md('he said:\n&gt; first *line*\n&gt; # second\nmy answer'), 'he said:\n> first **line**\n> \\# second\n\nmy answer');
  });

  test('&gt;&gt;&gt; quotes the rest of the message', () => {
    assert.equal(md('intro\n&gt;&gt;&gt; all\n\nof this'), 'intro\n> all\n>\n> of this');
  });

  test('a quoted code block keeps the quote on every line', () => {
    assert.equal(md('&gt; ```a\nb```'), '> ```\n> a\n> b\n> ```');
  });

  test('> in mid-line and a doubled > are text', () => {
    assert.equal(md('a &gt; b\n&gt;&gt; c'), 'a \\> b\n> \\> c');
  });

  test('accidental forum Markdown is escaped: headings, lists, links, tables, HTML', () => {
    assert.equal(md('# not a heading\n1. not a list\n- nor this\n[x](y) a|b &lt;b&gt;'), '\\# not a heading\n1\\. not a list\n\\- nor this\n\\[x\\](y) a\\|b \\<b\\>');
  });

  test('line breaks and blank lines are kept', () => {
    assert.equal(md('one\ntwo\n\nthree\n'), 'one\ntwo\n\nthree\n');
  });
});

describe('emoji and text', () => {
  test('shortcodes are kept as typed, underscores and all', () => {
    assert.equal(md(':smile: :white_check_mark: :+1: :skin-tone-2:'), ':smile: :white_check_mark: :+1: :skin-tone-2:');
  });

  test('a shortcode-like text whose underscore could start emphasis is escaped instead', () => {
    assert.equal(md(':_x_:'), ':*x*:');
    assert.equal(md('a:_b:'), 'a:\\_b:');
  });

  test('unicode text passes through', () => {
    assert.equal(md('👋🏽 مرحبا 漢字 e\u0301 *粗体*'), '👋🏽 مرحبا 漢字 e\u0301 **粗体**');
  });

  test('an empty string', () => {
    assert.equal(slackToMarkdown(''), '');
  });
});

describe('property: random Slack text', () => {
  const fragments = fc.constantFrom(
    '<@U01>',
    '<@U03>',
    '<@U99|here>',
    '<!here>',
    '<!channel|@channel>',
    '<!everyone>',
    '<!subteam^S1|@team>',
    '<!date^1^{date}|@all>',
    '<#C01>',
    '<https://example.org/@bob|@bob>',
    '<mailto:a@b.org>',
    '@here',
    '@all',
    '@bob',
    '@',
    '&lt;',
    '&gt;',
    '&amp;',
    '*',
    '_',
    '~',
    '`',
    '```',
    '\n',
    '&gt; ',
    ' ',
    ':smile:',
    '[x](y)',
    '#',
    '<',
    '>',
    '|',
    'a',
    'é',
    '\\',
  );
  const slackText = fc.array(fc.oneof(fragments, fc.string({ maxLength: 4 }), fc.string({ unit: 'grapheme', maxLength: 3 })), { maxLength: 30 }).map((parts) => parts.join(''));

  // A live mention as Discourse sees one: `@` starting a word, in prose (not code, links, URLs).
  const LIVE = /(^|[^\p{L}\p{N}_])@[\p{L}\p{N}_]/u;
  const LINKS = /<[a-z][a-z0-9+.-]*:[^\s<>]*>|(?:https?|ftp):\/\/[^\s<>]*|www\.[^\s<>]*|\]\([^)\s]*/giu;

  test('never throws, and nothing outside code pings anyone', () => {
    fc.assert(
      fc.property(slackText, fc.boolean(), (text, withLookup) => {
        const out = slackToMarkdown(text, withLookup ? lookup : {});
        assert.equal(typeof out, 'string');
        mapOutsideCode(out, (prose) => {
          const bare = prose.replace(LINKS, ' ');
          assert.doesNotMatch(bare, LIVE, `live mention in ${JSON.stringify(out)} from ${JSON.stringify(text)}`);
          // After a letter or digit `@` starts no mention (as in an e-mail address): the shared helper's rule.
          assert.doesNotMatch(bare, /(^|[^\p{L}\p{N}_])@(?:here|channel|everyone|all)/u, `broadcast in ${JSON.stringify(out)}`);
          return prose;
        });
        // The shared helper finds nothing left to break either.
        assert.equal(neutralizeMentions(out), out);
      }),
      { numRuns: 2000 },
    );
  });
});
