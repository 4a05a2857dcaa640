import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { discordToMarkdown, formatDiscordTimestamp, type DiscordLookup } from '../../bots/discord/markup.js';
import { codeSpan, fence, mapOutsideCode, neutralizeMentions, ZWSP } from '../../lib/transcript/markdown.js';

const USERS: Record<string, string> = { '111': 'Alice Liddell', '222': 'Bob *the* Builder', '333': 'here', '444': '  ' };
const CHANNELS: Record<string, string> = { '555': 'general' };
const ROLES: Record<string, string> = { '666': 'mods' };
const lookup: DiscordLookup = { user: (id) => USERS[id], channel: (id) => CHANNELS[id], role: (id) => ROLES[id] };
const md = (text: string): string => discordToMarkdown(text, lookup);

describe('mentions', () => {
  test('<@id> and the older <@!id> become the display name, shown literally, never a ping', () => {
    assert.equal(md('ask <@111> and <@!222>'), `ask @${ZWSP}Alice Liddell and @${ZWSP}Bob \\*the\\* Builder`);
  });

  test('an id the lookup does not know (or names blank) is @unknown-user, as Discord shows it', () => {
    assert.equal(md('<@999> <@444>'), `@${ZWSP}unknown-user @${ZWSP}unknown-user`);
    assert.equal(discordToMarkdown('<@111>'), `@${ZWSP}unknown-user`);
  });

  test('a user whose name is a broadcast word pings nobody either', () => {
    assert.equal(md('<@333>'), `@${ZWSP}here`);
  });

  test('channels: #name, else #unknown-channel', () => {
    assert.equal(md('see <#555> and <#9>'), 'see #general and #unknown-channel');
  });

  test('roles: @name, neutralised, else @unknown-role', () => {
    assert.equal(md('<@&666> <@&9>'), `@${ZWSP}mods @${ZWSP}unknown-role`);
  });

  test('@everyone, @here and typed @names stay text but ping nobody', () => {
    assert.equal(md('@everyone @here (@bob)'), `@${ZWSP}everyone @${ZWSP}here (@${ZWSP}bob)`);
  });

  test('an @name right after a URL in <…>, escaped or not, does not ping (the shared breaker skips it)', () => {
    assert.equal(md('<<https://x.org>>@bob'), `\\<https://x.org\\>@${ZWSP}bob`);
    assert.equal(md('<https://x.org>@<t:1700000000>'), `<https://x.org>@${ZWSP}2023-11-14 22:13 UTC`);
  });

  test('e-mail addresses are not mentions', () => {
    assert.equal(md('bob@example.org'), 'bob@example.org');
  });

  test('slash command mentions become /name, subcommands included', () => {
    assert.equal(md('try </airhorn:816437322781949972> or </tag show:123456789012345678>'), 'try /airhorn or /tag show');
    assert.equal(md('</snake_case:1>'), '/snake\\_case');
  });

  test('a malformed token is text', () => {
    assert.equal(md('<@abc> <#> <t:x>'), `\\<@${ZWSP}abc\\> \\<#\\> \\<t:x\\>`);
  });
});

describe('emoji and timestamps', () => {
  test('custom and animated emoji become :name:', () => {
    assert.equal(md('<:mmLol:216154654256398347> <a:b1nzy:392938283556143104>'), ':mmLol: :b1nzy:');
  });

  test("an emoji name whose underscore could start emphasis has it escaped; a safe one doesn't", () => {
    assert.equal(md('<:_x_:1> <:thumbs_up:2>'), ':\\_x\\_: :thumbs_up:');
  });

  test('typed shortcodes are kept as typed and are no formatting', () => {
    assert.equal(md(':smile: :white_check_mark: :_x_:'), ':smile: :white_check_mark: :\\_x\\_:');
  });

  test('timestamps of every style, relative ones too, are absolute UTC text to the minute', () => {
    for (const style of ['', ':t', ':d', ':D', ':f', ':F', ':R']) assert.equal(md(`<t:1700000000${style}>`), '2023-11-14 22:13 UTC');
  });

  test('the long-time style keeps its seconds', () => {
    assert.equal(md('<t:1700000000:T>'), '2023-11-14 22:13:20 UTC');
    assert.equal(formatDiscordTimestamp(0), '1970-01-01 00:00 UTC');
    assert.equal(formatDiscordTimestamp(-86400), '1969-12-31 00:00 UTC');
  });

  test('a timestamp out of range, or of an unknown style, is text', () => {
    assert.equal(md('<t:9999999999999>'), '\\<t:9999999999999\\>');
    assert.equal(md('<t:1700000000:X>'), '\\<t:1700000000:X\\>');
  });
});

describe('styles', () => {
  test('bold, italic both ways, strikethrough as Markdown; underline and spoiler as BBCode', () => {
    assert.equal(md('**bold** *it* _it_ ~~gone~~ __under__ ||secret||'), '**bold** *it* *it* ~~gone~~ [u]under[/u] [spoiler]secret[/spoiler]');
  });

  test('_ does not italicise inside words; * does, as in Discord', () => {
    assert.equal(md('snake_case_name 2*3*4'), 'snake\\_case\\_name 2*3*4');
  });

  test('combined styles', () => {
    assert.equal(md('***both***'), '***both***');
    assert.equal(md('__**underlined bold**__'), '[u]**underlined bold**[/u]');
    assert.equal(md('~~__***all***__~~'), '~~[u]***all***[/u]~~');
  });

  test('bold inside a spoiler, a spoiler inside bold', () => {
    assert.equal(md('||the **butler** did it||'), '[spoiler]the **butler** did it[/spoiler]');
    assert.equal(md('**it was ||him||**'), '**it was [spoiler]him[/spoiler]**');
  });

  test('formatting may span lines', () => {
    assert.equal(md('**one\ntwo**'), '**one\ntwo**');
    assert.equal(md('||one\n# two||'), '[spoiler]one\n\\# two[/spoiler]');
  });

  test('whitespace at the edges moves outside the markers', () => {
    assert.equal(md('a** b **c'), 'a **b** c');
  });

  test('where CommonMark would not read the markers, or they would merge, BBCode', () => {
    assert.equal(md('a**(b)**c'), 'a[b](b)[/b]c');
    assert.equal(md('*a*_b_'), '[i]a[/i]*b*');
    assert.equal(md('*_x_*'), '*[i]x[/i]*');
  });

  test('italic * must not start or end with a space; unmatched marks are text', () => {
    assert.equal(md('5 * 3 * 2'), '5 \\* 3 \\* 2');
    assert.equal(md('**unclosed and __this too'), '\\*\\*unclosed and \\_\\_this too');
    assert.equal(md('a ~ b || c'), 'a \\~ b \\|\\| c');
  });

  test('backslash escapes: the character shows literally; before a letter the backslash stays', () => {
    assert.equal(md('\\*not italic\\* \\_nor\\_ \\|\\|this\\|\\| \\<@111> \\h'), `\\*not italic\\* \\_nor\\_ \\|\\|this\\|\\| \\<@${ZWSP}111\\> \\\\h`);
    assert.equal(md('\\# not a header\n\\> nor a quote'), '\\# not a header\n\\> nor a quote');
  });

  test('the shrug keeps its arm', () => {
    assert.equal(md('¯\\_(ツ)_/¯'), '¯\\\\\\_(ツ)\\_/¯');
  });
});

describe('code', () => {
  test('inline code verbatim: marks, mentions, tokens and escapes untouched', () => {
    assert.equal(md('run `*x* _y_ <@111> @here <t:1> \\*` ok'), 'run `*x* _y_ <@111> @here <t:1> \\*` ok');
  });

  test('double backticks hold a backtick', () => {
    assert.equal(md('``a`b``'), '``a`b``');
    assert.equal(md('`` `tick` ``'), '`` `tick` ``');
  });

  test('a code block with a language, content untouched', () => {
    assert.equal(md('```js\nconst a = "<@111> **b** ||c||";\n```'), '```js\nconst a = "<@111> **b** ||c||";\n```');
  });

  test('without a line break after the backticks there is no language', () => {
    assert.equal(md('```print(1)```'), '```\nprint(1)\n```');
  });

  test('a block within a line gets lines of its own; the text after it is escaped as a line start', () => {
    assert.equal(md('see ```x``` # here'), 'see\n```\nx\n```\n \\# here');
  });

  test('a code span holding ``` gets longer delimiters', () => {
    assert.equal(md('`` ``` ``'), '```` ``` ````');
  });

  test('a code block ends at the first ``` (even inside a longer run), so it holds ~~~ and `` but never ```', () => {
    assert.equal(md('```md\n~~~\n``\n```'), '```md\n~~~\n``\n```');
    assert.equal(md('```a````'), '```\na\n```\n\\`');
  });

  test('a code span ending in a backslash is padded, so that the shared code finder still sees code', () => {
    const out = md('`C:\\@dir\\`');
    assert.equal(out, '` C:\\@dir\\ `');
    assert.equal(neutralizeMentions(out), out);
  });

  test('inline code with a line break becomes a block', () => {
    assert.equal(md('`a\nb`'), '```\na\nb\n```');
  });

  test('unclosed backticks are text', () => {
    assert.equal(md('a ` b'), 'a \\` b');
    assert.equal(md('x ``` y'), 'x \\`\\`\\` y');
  });

  test('mentions inside code stay as typed, and the shared mention pass leaves them', () => {
    const out = md('`@bob` and ```@here```');
    assert.equal(out, '`@bob` and\n```\n@here\n```');
    assert.equal(neutralizeMentions(out), out);
  });

  test('a code block inside bold drops the bold; inside a spoiler it makes a block spoiler', () => {
    assert.equal(md('**look: ```x```**'), 'look:\n```\nx\n```');
    assert.equal(md('||```\nsecret()\n```||'), '[spoiler]\n```\nsecret()\n```\n[/spoiler]');
  });
});

describe('links', () => {
  test('masked links for http(s)', () => {
    assert.equal(md('read [the docs](https://example.org/a_b) now'), 'read [the docs](https://example.org/a_b) now');
  });

  test('formatting inside the label, and a link inside formatting', () => {
    assert.equal(md('[**bold** docs](https://example.org)'), '[**bold** docs](https://example.org)');
    assert.equal(md('*see [docs](https://example.org)*'), '*see [docs](https://example.org)*');
  });

  test('a title is dropped, <…> around the URL too, and URLs with parentheses stay whole', () => {
    assert.equal(md('[Foo](<https://en.wikipedia.org/wiki/Foo_(bar)> "Foo")'), '[Foo](<https://en.wikipedia.org/wiki/Foo_(bar)>)');
  });

  test('links Discord refuses are literal text: other schemes, a URL or mention or emoji in the label, no label', () => {
    assert.equal(md('[x](ftp://example.org)'), '\\[x\\](ftp://example.org)');
    assert.equal(md('[https://bank.example](https://evil.example)'), '\\[https://bank.example\\](https://evil.example)');
    assert.equal(md('[<@111>](https://x.org)'), `\\[\\<@${ZWSP}111\\>\\](https://x.org)`);
    assert.equal(md('[hi 😀](https://x.org)'), '\\[hi 😀\\](https://x.org)');
    assert.equal(md('[ ](https://x.org)'), '\\[ \\](https://x.org)');
  });

  test('a discord:// link keeps its text only', () => {
    assert.equal(md('[open **app**](discord://-/channels/1/2)'), 'open **app**');
  });

  test('bare URLs become autolinks; trailing punctuation and an unopened ) stay outside', () => {
    assert.equal(md('see https://example.org/a_b*c, and (https://x.org/y).'), 'see <https://example.org/a_b*c>, and (<https://x.org/y>).');
    assert.equal(md('https://en.wikipedia.org/wiki/Foo_(bar)'), '<https://en.wikipedia.org/wiki/Foo_(bar)>');
  });

  test('<url> (embed suppressed) is the URL; a scheme Discord does not link shows without brackets', () => {
    assert.equal(md('<https://quiet.example/x_y>'), '<https://quiet.example/x_y>');
    assert.equal(md('<ftp://files.example/a>'), 'ftp://files.example/a');
  });

  test('a URL holding > is linked with a bracketed destination', () => {
    assert.equal(md('https://x.org/a>b'), '[https://x.org/a\\>b](<https://x.org/a%3Eb>)');
  });
});

describe('lines', () => {
  test('headers #, ##, ### at a line start; #### and #word are text', () => {
    assert.equal(md('# One\n## Two ##\n### Three\n#### Four\n#tag'), '# One\n## Two\n### Three\n\\#### Four\n\\#tag');
  });

  test('a header mid-line is text', () => {
    assert.equal(md('a # b'), 'a # b');
  });

  test('subtext is a plain line', () => {
    assert.equal(md('-# small *print*\nnext'), 'small *print*\nnext');
  });

  test('> quotes its line, consecutive ones join, the next line does not; a header inside stays one', () => {
    assert.equal(md('he said:\n> first **line**\n> # second\nmy answer'), 'he said:\n> first **line**\n> # second\n\nmy answer');
  });

  test('>>> quotes the rest of the message', () => {
    assert.equal(md('intro\n>>> all\n\nof this'), 'intro\n> all\n>\n> of this');
  });

  test('a link and a code block inside a quote (every quoted line starts with > )', () => {
    assert.equal(md('> see [docs](https://x.org) and ```a\n> b```'), '> see [docs](https://x.org) and\n> ```a\n> b\n> ```');
  });

  test('> without a space, in mid-line, or inside a quote is text', () => {
    assert.equal(md('>no\na > b\n> > c'), '\\>no\na \\> b\n> \\> c');
  });

  test('lists: - and * bullets, nesting by indentation, ordered from their first number', () => {
    assert.equal(md('- one\n* two\n  - nested *it*\n- three'), '- one\n- two\n  - nested *it*\n- three');
    assert.equal(md('1. a\n1. b\n1. c'), '1. a\n2. b\n3. c');
  });

  test('an ordered list not starting at 1 after text, and text after a list, get a blank line between', () => {
    assert.equal(md('text\n3. c\nmore'), 'text\n\n3. c\n\nmore');
  });

  test('no headers inside list items', () => {
    assert.equal(md('- # no'), '- \\# no');
  });

  test('accidental forum Markdown is escaped: + lists, tables, HTML, entities, rules, tilde fences', () => {
    assert.equal(md('+ a\na|b <b>x</b> &amp;\n---\n~~~'), '\\+ a\na\\|b \\<b\\>x\\</b\\> \\&amp;\n\\---\n\\~\\~\\~');
  });

  test('line breaks and blank lines are kept; spaces at line ends are dropped, as Discord does', () => {
    assert.equal(md('one  \ntwo\n\nthree\n'), 'one\ntwo\n\nthree\n');
  });

  test('unicode passes through', () => {
    assert.equal(md('👋🏽 مرحبا 漢字 e\u0301 **粗体**'), '👋🏽 مرحبا 漢字 e\u0301 **粗体**');
  });

  test('an empty string', () => {
    assert.equal(discordToMarkdown(''), '');
  });
});

describe('property: random Discord text', () => {
  const fragments = fc.constantFrom(
    '<@111>',
    '<@!333>',
    '<@999>',
    '<@&666>',
    '<#555>',
    '</cmd sub:1>',
    '<:em_oji:1>',
    '<t:1700000000:R>',
    '@everyone',
    '@here',
    '@bob',
    '@',
    '**',
    '*',
    '__',
    '_',
    '~~',
    '||',
    '`',
    '```',
    '```js\n',
    '\n',
    '> ',
    '>>> ',
    '- ',
    '1. ',
    '# ',
    '-# ',
    ' ',
    '[x](https://x.org/@bob)',
    '[',
    '](',
    ')',
    'https://example.org/@bob',
    '<https://x.org>',
    '<',
    '>',
    '\\',
    ':',
    'a',
    'é',
  );
  const discordText = fc.array(fc.oneof(fragments, fc.string({ maxLength: 4 }), fc.string({ unit: 'grapheme', maxLength: 3 })), { maxLength: 30 }).map((parts) => parts.join(''));

  // A live mention as Discourse sees one: `@` starting a word, in prose (not code, links, URLs).
  const LIVE = /(^|[^\p{L}\p{N}_])@[\p{L}\p{N}_]/u;
  // A link target `](…` that is an autolink `](<…>` (after escaped brackets) is left to the autolink alternative.
  const LINKS = /<[a-z][a-z0-9+.-]*:[^\s<>]*>|(?:https?|ftp):\/\/[^\s<>]*|www\.[^\s<>]*|\]\((?!<)[^)\s]*/giu;

  test('never throws, and nothing outside code pings anyone', () => {
    fc.assert(
      fc.property(discordText, fc.boolean(), (text, withLookup) => {
        const out = discordToMarkdown(text, withLookup ? lookup : {});
        assert.equal(typeof out, 'string');
        mapOutsideCode(out, (prose) => {
          assert.doesNotMatch(prose.replace(LINKS, ' '), LIVE, `live mention in ${JSON.stringify(out)} from ${JSON.stringify(text)}`);
          return prose;
        });
        assert.equal(neutralizeMentions(out), out);
      }),
      { numRuns: 2000 },
    );
  });

  test('plain text without markup characters comes through unchanged (spaces at line ends dropped)', () => {
    const plain = fc.string({ unit: fc.constantFrom(...'abcXYZ019 \n,!?\'"éß漢🙂'.split('')), maxLength: 60 });
    fc.assert(
      fc.property(plain, (text) => {
        assert.equal(discordToMarkdown(text), text.replace(/ +(?=\n)/gu, ''));
      }),
      { numRuns: 1000 },
    );
  });

  test('code block and code span contents come through byte for byte', () => {
    // Anything but the closing backticks: Discord drops the line breaks at the block's edges.
    const blockCode = fc.string({ maxLength: 40 }).filter((s) => !s.includes('```') && /[^\n]/u.test(s) && !s.endsWith('`'));
    fc.assert(
      fc.property(blockCode, (code) => {
        assert.equal(discordToMarkdown(`\`\`\`\n${code}\n\`\`\``), fence(code.replace(/^\n+|\n+$/gu, '')));
      }),
      { numRuns: 1000 },
    );
    const spanCode = fc.string({ minLength: 1, maxLength: 30 }).filter((s) => !/[`\n]/u.test(s));
    fc.assert(
      fc.property(spanCode, (code) => {
        const out = discordToMarkdown(`x \`${code}\` y`);
        // As codeSpan writes it, but for the padding a trailing backslash gets.
        assert.equal(out, code.endsWith('\\') ? `x \` ${code} \` y` : `x ${codeSpan(code)} y`);
        assert.equal(neutralizeMentions(out), out);
      }),
      { numRuns: 1000 },
    );
  });
});
