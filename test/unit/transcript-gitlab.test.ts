// A transcript made GitLab-flavoured (lib/transcript/gitlab.ts): what differs from the forum's Markdown is adapted,
// the rest (and every byte of code) is the renderer's.
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { GITLAB_TITLE_MAX, issueDescription, issueTitle, toGitLabMarkdown } from '../../lib/transcript/gitlab.js';
import { renderTranscript } from '../../lib/transcript/render.js';
import { ZWSP } from '../../lib/transcript/markdown.js';
import type { ChatMessage } from '../../lib/transcript/types.js';

const T0 = Date.parse('2026-03-02T14:00:00Z');
const msg = (id: number, who: string, markdown: string, minutes = id): ChatMessage => ({
  id: String(id),
  author: { id: who, username: who, displayName: who[0]!.toUpperCase() + who.slice(1), isBot: false },
  sentAt: new Date(T0 + minutes * 60_000),
  markdown,
  attachments: [],
});

function rendered(messages: ChatMessage[]): string {
  const r = renderTranscript(messages, { platform: 'Telegram', channelName: 'Ops room', timeZone: 'UTC' });
  assert.equal(r.status, 'ok');
  return r.status === 'ok' ? r.markdown : '';
}

describe('toGitLabMarkdown', () => {
  test('lines stay lines: GitLab joins a paragraph\'s lines, so each continued line ends in a hard break', () => {
    const md = toGitLabMarkdown(rendered([msg(1, 'alice', 'The database is down\nFailover did not start')]));
    const [header] = md.split('\n\n');
    assert.equal(header, '**Chat transcript** · Telegram · Ops room  \n2026-03-02 14:01 (UTC) · 1 message  \nParticipants: Alice');
    assert.match(md, /^The database is down {2}\nFailover did not start$/m);
    assert.doesNotMatch(md, / {2}\n\n/, 'no break before a blank line');
    assert.doesNotMatch(md, /\n {2}\n/, 'blank lines stay blank');
  });

  test('code is left byte for byte; a hard break already there is kept', () => {
    const code = '```\nline one\n/close\n[b]x[/b]\n```';
    assert.equal(toGitLabMarkdown(`see:\n${code}\nafter`), `see:  \n${code}\nafter`);
    assert.equal(toGitLabMarkdown('a `x\ny` b\nc'), 'a `x\ny` b  \nc');
    assert.equal(toGitLabMarkdown('one  \ntwo\\\nthree'), 'one  \ntwo\\\nthree');
  });

  test('a line starting with / cannot run a GitLab quick action', () => {
    assert.equal(toGitLabMarkdown('/close\nfine\n/assign @x'), '\\/close  \nfine  \n\\/assign @x');
    assert.equal(toGitLabMarkdown('> /close'), '> /close', 'quotes are not quick actions');
    assert.equal(toGitLabMarkdown('`/close`'), '`/close`');
    const md = toGitLabMarkdown(rendered([msg(1, 'bob', '/confidential'), msg(2, 'bob', '/label ~security')]));
    assert.doesNotMatch(md, /^\//m);
    assert.match(md, /^\\\/confidential$/m);
    assert.match(md, /^\\\/label ~security/m);
  });

  test('the BBCode Discourse reads becomes the HTML GitLab keeps', () => {
    assert.equal(toGitLabMarkdown('[b]bold[/b] [i]it[/i] [s]gone[/s] [u]under[/u]'), '<strong>bold</strong> <em>it</em> <del>gone</del> <ins>under</ins>');
    assert.equal(toGitLabMarkdown('a [spoiler]secret[/spoiler]'), 'a <details><summary>Spoiler</summary>secret</details>');
    assert.equal(toGitLabMarkdown('[spoiler]\n```\ncode\n```\n[/spoiler]'), '<details><summary>Spoiler</summary>\n\n```\ncode\n```\n\n</details>');
    assert.equal(toGitLabMarkdown('\\[b\\] typed'), '\\[b\\] typed', 'escaped brackets are text');
  });

  test('mentions the renderer broke stay broken', () => {
    const md = toGitLabMarkdown(rendered([msg(1, 'carol', 'Restarting now @alice')]));
    assert.match(md, new RegExp(`@${ZWSP}alice`));
    assert.doesNotMatch(md, /@alice/);
  });
});

describe('issue title and description', () => {
  test('a title longer than GitLab allows is cut with an ellipsis', () => {
    assert.equal(issueTitle('Outage review'), 'Outage review');
    const long = issueTitle('x'.repeat(300));
    assert.equal(Array.from(long).length, GITLAB_TITLE_MAX);
    assert.ok(long.endsWith('…'));
  });

  test('as the token\'s user: "Posted by" names the GitLab user and the chat user; the marker is hidden at the end', () => {
    const d = issueDescription({ markdown: 'hello', marker: 'parleyabc123def456', postedBy: { username: 'carol', chatName: 'Carol @ops', platform: 'Telegram' } });
    assert.equal(d.text, `Posted by @carol (Carol @${ZWSP}ops on Telegram) through Parley.\n\nhello\n\n<!-- parleyabc123def456 -->\n`);
    assert.equal(d.length, Array.from(d.text).length);
  });

  test('as the user (Sudo): no "Posted by" line', () => {
    const d = issueDescription({ markdown: 'hello', marker: 'parleyabc123def456', postedBy: null });
    assert.equal(d.text, 'hello\n\n<!-- parleyabc123def456 -->\n');
  });
});
