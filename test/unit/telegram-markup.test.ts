import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { MessageEntity } from 'grammy/types';
import { telegramToMarkdown } from '../../bots/telegram/markup.js';
import { ZWSP } from '../../lib/transcript/markdown.js';

/** An entity without its position (distributed over the union, so each type keeps its own fields). */
type EntityBody = MessageEntity extends infer E ? (E extends MessageEntity ? Omit<E, 'offset' | 'length'> : never) : never;

/** An entity over the first occurrence of `part` in `text`, offsets in UTF-16 units as Telegram sends them. */
function over(text: string, part: string, entity: EntityBody, from = 0): MessageEntity {
  const offset = text.indexOf(part, from);
  assert.ok(offset >= 0, `"${part}" not in "${text}"`);
  return { ...entity, offset, length: part.length };
}

describe('plain text', () => {
  test('text without entities shows literally: Markdown characters are escaped', () => {
    assert.equal(telegramToMarkdown('*not bold* _nor italic_ <b>no html</b> [no](link)'), '\\*not bold\\* \\_nor italic\\_ \\<b\\>no html\\</b\\> \\[no\\](link)');
  });

  test('line starts that would be headings, lists or quotes are escaped', () => {
    assert.equal(telegramToMarkdown('# not a heading\n1. not a list\n> not a quote\nplain'), '\\# not a heading\n1\\. not a list\n\\> not a quote\nplain');
  });

  test('newlines are kept', () => {
    assert.equal(telegramToMarkdown('one\ntwo\n\nthree'), 'one\ntwo\n\nthree');
  });

  test('a short @name that Telegram did not make a mention still does not ping forum users', () => {
    assert.equal(telegramToMarkdown('ask @bob'), `ask @${ZWSP}bob`);
  });
});

describe('styles', () => {
  const text = 'bold italic under strike secret';
  test('bold, italic, strikethrough as Markdown; underline and spoiler as the BBCode Discourse reads', () => {
    const entities = [
      over(text, 'bold', { type: 'bold' }),
      over(text, 'italic', { type: 'italic' }),
      over(text, 'under', { type: 'underline' }),
      over(text, 'strike', { type: 'strikethrough' }),
      over(text, 'secret', { type: 'spoiler' }),
    ];
    assert.equal(telegramToMarkdown(text, entities), '**bold** *italic* [u]under[/u] ~~strike~~ [spoiler]secret[/spoiler]');
  });

  test('whitespace at the edges of a style moves outside the markers', () => {
    const t = 'say hello there';
    assert.equal(telegramToMarkdown(t, [{ type: 'bold', offset: 3, length: 7 }]), 'say **hello** there');
  });

  test('a style inside a word still works (asterisks are allowed inside words)', () => {
    assert.equal(telegramToMarkdown('unbelievable', [{ type: 'bold', offset: 2, length: 6 }]), 'un**believ**able');
  });

  test('where Markdown emphasis would not take (punctuation inside, a letter outside) BBCode is used', () => {
    const t = 'x(y)z';
    assert.equal(telegramToMarkdown(t, [{ type: 'bold', offset: 1, length: 3 }]), 'x[b](y)[/b]z');
  });

  test('nested styles: italic inside bold', () => {
    const t = 'very important note';
    assert.equal(telegramToMarkdown(t, [over(t, 'very important note', { type: 'bold' }), over(t, 'important', { type: 'italic' })]), '**very *important* note**');
  });

  test('bold and italic over the same text', () => {
    const t = 'both';
    assert.equal(telegramToMarkdown(t, [{ type: 'italic', offset: 0, length: 4 }, { type: 'bold', offset: 0, length: 4 }]), '***both***');
  });

  test('partially overlapping entities are split, nothing is lost or doubled', () => {
    // bold over "abcdef", italic over "defghi": Telegram forbids this, some clients send it anyway. The italic
    // part inside bold ends the bold with `*` against a letter, where `**` would not close: BBCode there.
    const t = 'abcdefghi';
    assert.equal(telegramToMarkdown(t, [{ type: 'bold', offset: 0, length: 6 }, { type: 'italic', offset: 3, length: 6 }]), '[b]abc*def*[/b]*ghi*');
  });

  test('entities past the end of the text are clamped, empty ones ignored', () => {
    assert.equal(telegramToMarkdown('hi', [{ type: 'bold', offset: 0, length: 50 }, { type: 'italic', offset: 1, length: 0 }]), '**hi**');
  });
});

describe('UTF-16 offsets: emoji and CJK', () => {
  test('an entity after an emoji (2 units, or more with modifiers) lands on the right text', () => {
    const t = '👋🏽 hello 👨‍👩‍👧 world';
    // 👋🏽 is 4 UTF-16 units, 👨‍👩‍👧 is 8.
    assert.equal(t.indexOf('hello'), 5);
    assert.equal(t.indexOf('world'), 20);
    assert.equal(telegramToMarkdown(t, [{ type: 'bold', offset: 5, length: 5 }, { type: 'italic', offset: 20, length: 5 }]), '👋🏽 **hello** 👨‍👩‍👧 *world*');
  });

  test('an entity over CJK text and over an emoji itself', () => {
    const t = '漢字のテスト 🎉 done';
    assert.equal(telegramToMarkdown(t, [{ type: 'bold', offset: 0, length: 2 }, { type: 'underline', offset: 7, length: 2 }]), '**漢字**のテスト [u]🎉[/u] done');
  });

  test('RTL text and combining marks pass through', () => {
    const t = 'مرحبا e\u0301';
    assert.equal(telegramToMarkdown(t, [{ type: 'italic', offset: 0, length: 5 }]), '*مرحبا* e\u0301');
  });
});

describe('code', () => {
  test('inline code keeps its text exactly, @ and Markdown characters included', () => {
    const t = 'run npm i @scope/*pkg* now';
    assert.equal(telegramToMarkdown(t, [over(t, 'npm i @scope/*pkg*', { type: 'code' })]), 'run `npm i @scope/*pkg*` now');
  });

  test('inline code containing backticks', () => {
    const t = 'use a`b here';
    assert.equal(telegramToMarkdown(t, [over(t, 'a`b', { type: 'code' })]), 'use ``a`b`` here');
  });

  test('pre with a language becomes a fenced block on its own lines', () => {
    const t = 'look:\nconst x = "@bob" * 2;\nthanks';
    assert.equal(
      telegramToMarkdown(t, [over(t, 'const x = "@bob" * 2;', { type: 'pre', language: 'javascript' })]),
      'look:\n```javascript\nconst x = "@bob" * 2;\n```\nthanks',
    );
  });

  test('pre in the middle of a line still gets lines of its own', () => {
    const t = 'see code here';
    assert.equal(telegramToMarkdown(t, [over(t, 'code', { type: 'pre' })]), 'see \n```\ncode\n```\n here');
  });

  test('pre containing ``` gets a longer fence', () => {
    const t = '```\nnested\n```';
    assert.equal(telegramToMarkdown(t, [{ type: 'pre', offset: 0, length: t.length }]), '````\n```\nnested\n```\n````');
  });
});

describe('links and mentions', () => {
  test('text_link: the text linked to its URL, URLs with parentheses kept whole', () => {
    const t = 'read the docs please';
    assert.equal(telegramToMarkdown(t, [over(t, 'the docs', { type: 'text_link', url: 'https://en.wikipedia.org/wiki/Foo_(bar)' })]), 'read [the docs](<https://en.wikipedia.org/wiki/Foo_(bar)>) please');
  });

  test('text_link with styled text inside', () => {
    const t = 'the docs';
    assert.equal(
      telegramToMarkdown(t, [{ type: 'text_link', offset: 0, length: 8, url: 'https://example.org/' }, { type: 'bold', offset: 4, length: 4 }]),
      '[the **docs**](https://example.org/)',
    );
  });

  test('url: an autolink, taken literally (underscores and @ unharmed)', () => {
    const t = 'see https://example.org/a_b_c/@alice?x=1 ok';
    assert.equal(telegramToMarkdown(t, [over(t, 'https://example.org/a_b_c/@alice?x=1', { type: 'url' })]), 'see <https://example.org/a_b_c/@alice?x=1> ok');
  });

  test('url without a scheme links to http, as Telegram does', () => {
    const t = 'visit example.org now';
    assert.equal(telegramToMarkdown(t, [over(t, 'example.org', { type: 'url' })]), 'visit [example.org](http://example.org) now');
  });

  test('mention: the display name when known, else the handle; never a forum ping', () => {
    const t = 'thanks @alice_l and @someone_else';
    const entities = [over(t, '@alice_l', { type: 'mention' }), over(t, '@someone_else', { type: 'mention' })];
    assert.equal(telegramToMarkdown(t, entities, { names: new Map([['alice_l', 'Alice Liddell']]) }), `thanks @${ZWSP}Alice Liddell and @${ZWSP}someone\\_else`);
    assert.equal(telegramToMarkdown(t, entities), `thanks @${ZWSP}alice\\_l and @${ZWSP}someone\\_else`);
  });

  test('mention lookup ignores case', () => {
    const t = '@Alice_L';
    assert.equal(telegramToMarkdown(t, [{ type: 'mention', offset: 0, length: 8 }], { names: new Map([['alice_l', 'Alice']]) }), `@${ZWSP}Alice`);
  });

  test('text_mention: the user’s name, not a link and not a ping', () => {
    const t = 'hi Jörg!';
    const user = { id: 42, is_bot: false, first_name: 'Jörg', last_name: 'Müller' };
    assert.equal(telegramToMarkdown(t, [over(t, 'Jörg', { type: 'text_mention', user })]), 'hi Jörg Müller!');
  });

  test('a tg:// text link (a mention by id) keeps only its text', () => {
    const t = 'hi Sam';
    assert.equal(telegramToMarkdown(t, [over(t, 'Sam', { type: 'text_link', url: 'tg://user?id=42' })]), 'hi Sam');
  });

  test('hashtags, cashtags, commands, e-mail and custom emoji keep their text', () => {
    const t = '#release $USD /start bob@example.org 🔥';
    const entities = [
      over(t, '#release', { type: 'hashtag' }),
      over(t, '$USD', { type: 'cashtag' }),
      over(t, '/start', { type: 'bot_command' }),
      over(t, 'bob@example.org', { type: 'email' }),
      over(t, '🔥', { type: 'custom_emoji', custom_emoji_id: '5368324170671202286' }),
    ];
    assert.equal(telegramToMarkdown(t, entities), '\\#release $USD /start bob@example.org 🔥');
  });
});

describe('quotes', () => {
  test('a blockquote on its own lines, then a blank line so the next line does not join it', () => {
    const t = 'he said:\nfirst line\nsecond *line*\nmy answer';
    assert.equal(
      telegramToMarkdown(t, [over(t, 'first line\nsecond *line*', { type: 'blockquote' })]),
      'he said:\n> first line\n> second \\*line\\*\n\nmy answer',
    );
  });

  test('expandable blockquote, with styles and code inside', () => {
    const t = 'quoted bold code';
    assert.equal(
      telegramToMarkdown(t, [{ type: 'expandable_blockquote', offset: 0, length: t.length }, over(t, 'bold', { type: 'bold' }), over(t, 'code', { type: 'pre', language: 'sh' })]),
      '> quoted **bold** \n> ```sh\n> code\n> ```',
    );
  });
});
