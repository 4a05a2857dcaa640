import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { attachmentColor, buildAttachment, buildAttachmentPayload, escapeMarkdown, neutralizeMentions } from '../../bots/mattermost/format.js';
import { neutralizeMassMentions } from '../../lib/notification.js';
import { notification } from '../helpers/notification.js';

const ZWSP = '\u200B';


describe('attachmentColor', () => {
  test("puts Discourse's bare hex behind a #", () => {
    assert.equal(attachmentColor('0088CC'), '#0088CC');
    assert.equal(attachmentColor('F1592A'), '#F1592A');
    assert.equal(attachmentColor('fff'), '#fff');
  });
  test('keeps a # that is already there, once', () => {
    assert.equal(attachmentColor('#0088CC'), '#0088CC');
  });
  test('drops anything that is not a colour (Mattermost would show it broken)', () => {
    assert.equal(attachmentColor(null), undefined);
    assert.equal(attachmentColor(''), undefined);
    assert.equal(attachmentColor('red'), undefined);
    assert.equal(attachmentColor('0088CC; background:url(x)'), undefined);
  });
});

describe('escapeMarkdown', () => {
  test('a disguised link shows as text, not as a link', () => {
    const out = escapeMarkdown('[click here](https://evil.example/login)');
    assert.ok(out.startsWith('\\[click here\\]('), out);
    assert.ok(!/(^|[^\\])\[/u.test(out), 'every [ is escaped');
  });

  test('emphasis, code, headings, quotes, tables and strike-through are escaped', () => {
    assert.equal(escapeMarkdown('*bold* _it_ `code` # h > q | t ~~s~~'), '\\*bold\\* \\_it\\_ \\`code\\` \\# h \\> q \\| t \\~\\~s\\~\\~');
  });

  test('a backslash in the text stays a backslash', () => {
    assert.equal(escapeMarkdown('C:\\temp'), 'C:\\\\temp');
  });

  test('bare URLs stay intact and clickable, underscores and all', () => {
    const url = 'https://forum.example.org/t/snake_case_topic/7?u=bob_1';
    assert.equal(escapeMarkdown(`see ${url} for *more*`), `see ${url} for \\*more\\*`);
  });

  test('@user mentions and ~channel links are broken so forum text neither pings nor links', () => {
    assert.equal(escapeMarkdown('thanks @bob and ~town-square'), `thanks @${ZWSP}bob and \\~${ZWSP}town-square`);
  });

  test('an e-mail address is left readable', () => {
    assert.equal(escapeMarkdown('mail bob@example.org'), 'mail bob@example.org');
  });

  test('mass mentions neutralized by the core stay neutral and are not broken twice', () => {
    const core = neutralizeMassMentions('@channel @here @all @everyone look');
    const out = escapeMarkdown(core);
    assert.equal(out, core);
    assert.ok(!/@(channel|here|all|everyone)\b/u.test(out));
    assert.ok(!out.includes(ZWSP + ZWSP));
  });

  test('unicode text, emoji and non-Latin mentions survive', () => {
    assert.equal(escapeMarkdown('Größe 👍🏽 日本語 — ok'), 'Größe 👍🏽 日本語 — ok');
    assert.equal(escapeMarkdown('merci @Zoë'), `merci @${ZWSP}Zoë`);
    assert.equal(escapeMarkdown('@ユーザー'), `@${ZWSP}ユーザー`);
  });
});

describe('buildAttachment', () => {
  test('a new topic becomes one coloured attachment linking the post', () => {
    const payload = buildAttachmentPayload(notification());
    assert.deepEqual(payload, {
      attachments: [
        {
          fallback: `New topic in Announcements: Release 2.0 is out by Sara Lee (@${ZWSP}sara) https://forum.example.org/t/release-2-0-is-out/42/1`,
          color: '#0088CC',
          author_name: `Sara Lee (@${ZWSP}sara)`,
          title: 'Release 2.0 is out',
          title_link: 'https://forum.example.org/t/release-2-0-is-out/42/1',
          text: 'We shipped it.',
          fields: [
            { title: 'Category', value: 'Announcements', short: true },
            { title: 'Tags', value: 'release, news', short: true },
          ],
        },
      ],
    });
  });

  test('without category or tags: no colour, no fields', () => {
    const a = buildAttachment(notification({ category: null, tags: [], kind: 'reply' }));
    assert.equal(a.color, undefined);
    assert.deepEqual(a.fields, []);
    assert.ok(a.fallback.startsWith('New reply: '), a.fallback);
  });

  test('the excerpt cannot inject formatting; tag and category values are escaped too', () => {
    const a = buildAttachment(notification({ excerpt: '# Big [x](https://e.vil) @sara', tags: ['c_plus_plus'], category: { name: 'Off_topic', path: 'off', color: null } }));
    assert.equal(a.text, `\\# Big \\[x\\](https://e.vil) @${ZWSP}sara`);
    assert.deepEqual(a.fields.map((f) => f.value), ['Off\\_topic', 'c\\_plus\\_plus']);
  });

  test('a title with a mention does not ping, and is otherwise left as the forum wrote it', () => {
    const a = buildAttachment(notification({ title: 'Ask @admin: 50% off *today*' }));
    assert.equal(a.title, `Ask @${ZWSP}admin: 50% off *today*`);
  });

  test('neutralizeMentions leaves text without mentions unchanged', () => {
    assert.equal(neutralizeMentions('no mentions here: a@b.c, 3 @ 4'), 'no mentions here: a@b.c, 3 @ 4');
  });
});
