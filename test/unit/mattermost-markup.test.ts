import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mattermostToMarkdown } from '../../bots/mattermost/markup.js';
import { ZWSP } from '../../lib/transcript/markdown.js';

const users = new Map([
  ['alice.l', 'Alice Liddell'],
  ['bob', 'Bob *the* Builder'],
]);
const channels = new Map([['town-square', 'Town Square']]);

describe('what passes through unchanged', () => {
  test('CommonMark and GFM: emphasis, lists, quotes, tables, links, images, emoji, strikethrough', () => {
    const text = [
      '**bold** *italic* ~~gone~~ :tada:',
      '',
      '- one',
      '- two',
      '',
      '> quoted',
      '',
      '| a | b |',
      '| - | - |',
      '| 1 | 2 |',
      '',
      '[docs](https://example.org/docs) ![logo](https://example.org/logo.png) https://example.org/x_y',
    ].join('\n');
    assert.equal(mattermostToMarkdown(text), text);
  });

  test('unicode text', () => {
    const text = '👋🏽 مرحبا 漢字 e\u0301';
    assert.equal(mattermostToMarkdown(text), text);
  });

  test('code blocks and inline code stay exactly as typed: @, ~, <tags> and all', () => {
    const text = ['```html', '<b>@bob</b> ~town-square', '```', 'inline `@bob <i>` ok'].join('\n');
    assert.equal(mattermostToMarkdown(text, { users, channels }), ['```html', '<b>@bob</b> ~town-square', '```', 'inline `@bob <i>` ok'].join('\n'));
  });

  test('a code block containing ``` inside a longer fence stays whole', () => {
    const text = '````\n```\n@bob\n```\n````\n@bob';
    assert.equal(mattermostToMarkdown(text), `\`\`\`\`\n\`\`\`\n@bob\n\`\`\`\n\`\`\`\`\n@${ZWSP}bob`);
  });

  test('e-mail addresses are not mentions', () => {
    assert.equal(mattermostToMarkdown('write to bob@example.org'), 'write to bob@example.org');
  });

  test('URLs with @ and ~ in them stay intact', () => {
    const text = 'https://mastodon.social/@alice and https://example.org/~bob/page and [me](https://example.org/@me)';
    assert.equal(mattermostToMarkdown(text, { users, channels }), text);
  });
});

describe('mentions', () => {
  test('@username becomes the display name, shown literally, without pinging', () => {
    assert.equal(mattermostToMarkdown('ask @bob and @alice.l', { users }), `ask @${ZWSP}Bob \\*the\\* Builder and @${ZWSP}Alice Liddell`);
  });

  test('trailing punctuation is not part of the handle', () => {
    assert.equal(mattermostToMarkdown('thanks @alice.l. and @bob_', { users }), `thanks @${ZWSP}Alice Liddell. and @${ZWSP}Bob \\*the\\* Builder_`);
  });

  test('lookup ignores case', () => {
    assert.equal(mattermostToMarkdown('@Bob', { users }), `@${ZWSP}Bob \\*the\\* Builder`);
  });

  test('unknown users and @channel, @all, @here keep their text but cannot ping', () => {
    assert.equal(mattermostToMarkdown('@channel @all @here @stranger', { users }), `@${ZWSP}channel @${ZWSP}all @${ZWSP}here @${ZWSP}stranger`);
  });

  test('without a lookup map every mention is neutralised', () => {
    assert.equal(mattermostToMarkdown('(@bob) hi'), `(@${ZWSP}bob) hi`);
  });
});

describe('channels, HTML, images', () => {
  test('~channel becomes plain text: the display name when known', () => {
    assert.equal(mattermostToMarkdown('see ~town-square and ~off-topic', { channels }), 'see ~Town Square and ~off-topic');
  });

  test('~~strikethrough~~ is not a channel', () => {
    assert.equal(mattermostToMarkdown('~~town-square~~', { channels }), '~~town-square~~');
  });

  test('HTML, which Mattermost shows as text, is escaped so the forum shows it as text too', () => {
    assert.equal(mattermostToMarkdown('<script>x</script> <!-- c --> a < b'), '\\<script>x\\</script> \\<!-- c --> a < b');
  });

  test('autolinks stay autolinks', () => {
    assert.equal(mattermostToMarkdown('<https://example.org/a_b>'), '<https://example.org/a_b>');
  });

  test("Mattermost's image size suffix becomes Discourse's", () => {
    assert.equal(mattermostToMarkdown('![chart](https://example.org/c.png =640x480)'), '![chart|640x480](https://example.org/c.png)');
    // Width alone: Discourse needs both, so the size is dropped (the image keeps its own).
    assert.equal(mattermostToMarkdown('![chart](https://example.org/c.png =640)'), '![chart](https://example.org/c.png)');
  });
});
