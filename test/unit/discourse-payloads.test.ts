import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import type { CategoryInfo } from '../../lib/events.js';
import { decodeEntities, isSkip, textFromCooked, textFromRaw, toPostEvent, type NormalizeContext, type NormalizeResult } from '../../lib/discourse/normalize.js';
import { categorySlugForUrl, parseCategoryWebhook, parsePostWebhook, parseTopicWebhook, type PostPayload } from '../../lib/discourse/payloads.js';

const FIXTURES = new URL('../../../shared/fixtures/discourse-webhooks/', import.meta.url);
const fixture = (name: string): Record<string, unknown> => JSON.parse(readFileSync(new URL(name, FIXTURES), 'utf8')) as Record<string, unknown>;

const POST_FIXTURES = [
  'post_created.discourse-2.9.0.beta4.body.json',
  'post_created.private_message.discourse-2.9.0.beta4.body.json',
  'discourse-2025.12/post_created.body.json',
  'discourse-2025.12/post_edited.body.json',
  'discourse-2025.12/post_recovered.body.json',
];
const TOPIC_FIXTURES = [
  'topic_created.2021.body.json',
  'discourse-2025.12/topic_created.body.json',
  'discourse-2025.12/topic_edited.body.json',
  'discourse-2025.12/topic_destroyed.body.json',
  'discourse-2025.12/topic_recovered.body.json',
];

function post(name: string): PostPayload {
  const r = parsePostWebhook(fixture(name));
  assert.ok(r.ok, r.ok ? '' : r.error);
  return r.value;
}

function withPost(name: string, patch: Record<string, unknown>): PostPayload {
  const body = fixture(name);
  const r = parsePostWebhook({ post: { ...(body.post as object), ...patch } });
  assert.ok(r.ok, r.ok ? '' : r.error);
  return r.value;
}

const meta: CategoryInfo = { id: 1, slug: 'uncategorized', name: 'Uncategorized', parentSlug: null, color: '0088CC', restricted: false };
const ctx = (over: Partial<NormalizeContext> = {}): NormalizeContext => ({
  eventId: '12',
  kind: 'post_created',
  baseUrl: 'https://forum.example.org',
  category: meta,
  tags: ['release'],
  ...over,
});

function event(r: NormalizeResult) {
  assert.ok(!isSkip(r), isSkip(r) ? r.skip : '');
  return r;
}

describe('post webhook payloads', () => {
  test('every real post body parses, from Discourse 2.9 to 2025.12', () => {
    for (const name of POST_FIXTURES) {
      const p = post(name);
      assert.equal(typeof p.id, 'number', name);
      assert.equal(typeof p.topic_id, 'number', name);
      assert.equal(p.post_type, 1, name);
    }
  });

  test('plugin fields pass through and nulls are accepted', () => {
    const p = post('discourse-2025.12/post_created.body.json');
    assert.equal(p.name, null);
    assert.equal(p.display_username, null);
    assert.equal((p as Record<string, unknown>).can_accept_answer, false);
  });

  test('numbers that come as strings are read as numbers', () => {
    const p = withPost('discourse-2025.12/post_created.body.json', { id: '12', topic_id: ' 10 ', post_number: '1', post_type: '1', category_id: '4' });
    assert.deepEqual([p.id, p.topic_id, p.post_number, p.post_type, p.category_id], [12, 10, 1, 1, 4]);
  });

  test('a wrong type in an optional field reads as absent; in a required one, it is a clear error', () => {
    const p = withPost('discourse-2025.12/post_created.body.json', { hidden: { weird: true }, topic_slug: 42 });
    assert.equal(p.hidden, undefined);
    assert.equal(p.topic_slug, undefined);

    const body = fixture('discourse-2025.12/post_created.body.json');
    const r = parsePostWebhook({ post: { ...(body.post as object), topic_id: 'ten' } });
    assert.equal(r.ok, false);
    assert.match(r.ok ? '' : r.error, /post\.topic_id: expected an integer, got the string "ten"/);
  });

  test('the wrong envelope is named in the error', () => {
    const topicBody = parsePostWebhook(fixture('topic_created.2021.body.json'));
    assert.equal(topicBody.ok, false);
    assert.match(topicBody.ok ? '' : topicBody.error, /missing the "post" field \(fields present: topic\)/);
    const r = parsePostWebhook({ post: [] });
    assert.match(r.ok ? '' : r.error, /"post" must be an object, got an array/);
    const missing = parsePostWebhook({ post: {} });
    assert.match(missing.ok ? '' : missing.error, /post\.id: expected an integer, got nothing/);
  });

  test('property: no JSON value makes a parser throw', () => {
    fc.assert(
      fc.property(fc.jsonValue(), fc.constantFrom('post', 'topic', 'category'), (value, key) => {
        for (const body of [value, { [key]: value }]) {
          for (const parse of [parsePostWebhook, parseTopicWebhook, parseCategoryWebhook]) {
            const r = parse(body);
            assert.ok(r.ok || (typeof r.error === 'string' && r.error.length > 0));
          }
        }
      }),
      { numRuns: 500 },
    );
  });
});

describe('topic webhook payloads', () => {
  test('every real topic body parses; tags come out as names', () => {
    for (const name of TOPIC_FIXTURES) {
      const r = parseTopicWebhook(fixture(name));
      assert.ok(r.ok, `${name}: ${r.ok ? '' : r.error}`);
    }
    const r = parseTopicWebhook(fixture('topic_created.2021.body.json'));
    assert.ok(r.ok);
    assert.deepEqual(r.value.tags, ['prüfung', 'obk']);
    assert.equal(r.value.category_id, 9);
    assert.equal(r.value.title, 'Erfahrung und Ablauf OBK');
  });

  test('tags as {id, name} objects (newer Discourse), mixed, or garbage', () => {
    const base = fixture('discourse-2025.12/topic_created.body.json').topic as object;
    const objects = parseTopicWebhook({ topic: { ...base, tags: [{ id: 3, name: 'release', slug: 'release' }, 'howto', { id: 4 }, 7, null] } });
    assert.ok(objects.ok);
    assert.deepEqual(objects.value.tags, ['release', 'howto']);
    const none = parseTopicWebhook({ topic: { ...base, tags: null } });
    assert.ok(none.ok);
    assert.deepEqual(none.value.tags, []);
    const absent = parseTopicWebhook({ topic: { id: '8' } });
    assert.ok(absent.ok);
    assert.deepEqual([absent.value.id, absent.value.tags], [8, []]);
  });
});

describe('category webhook payloads', () => {
  test('created and updated bodies parse with parent, colour and restriction', () => {
    const created = parseCategoryWebhook(fixture('discourse-2025.12/category_created.body.json'));
    assert.ok(created.ok);
    assert.deepEqual(
      [created.value.id, created.value.slug, created.value.parent_category_id, created.value.color, created.value.read_restricted],
      [28, 'seata', 10, '0088CC', false],
    );
    const updated = parseCategoryWebhook(fixture('discourse-2025.12/category_updated.body.json'));
    assert.ok(updated.ok);
    assert.equal(updated.value.parent_category_id, undefined);
    assert.equal(updated.value.name, 'Docker');
  });

  test('an empty slug becomes the <id>-category slug Discourse uses in URLs', () => {
    assert.equal(categorySlugForUrl(4, ''), '4-category');
    assert.equal(categorySlugForUrl(4, null), '4-category');
    assert.equal(categorySlugForUrl(4, 'meta'), 'meta');
  });
});

describe('toPostEvent', () => {
  test('a 2.9 post: URL built from slug and ids, text from raw, author, category and tags from context', () => {
    const e = event(toPostEvent(post('post_created.discourse-2.9.0.beta4.body.json'), ctx()));
    assert.equal(e.url, 'https://forum.example.org/t/welcome-to-discourse-thanks-for-starting-a-new-conversation/11/1');
    assert.equal(e.title, 'Welcome to Discourse — thanks for starting a new conversation!');
    assert.deepEqual(e.author, { username: 'Anillc', name: 'Anillc' });
    assert.deepEqual([e.postId, e.topicId, e.postNumber, e.isFirstPost, e.privateMessage], [14, 11, 1, true, false]);
    assert.deepEqual(e.category, meta);
    assert.deepEqual(e.tags, ['release']);
    assert.equal(e.eventId, '12');
    assert.equal(e.kind, 'post_created');
    assert.equal(e.createdAt, '2023-01-15T19:29:25.790Z');
    assert.match(e.text, /^\* Does the title sound interesting/);
    assert.match(e.text, /\[see our community guidelines\]\(https:\/\/forum\.a\/guidelines\)/);
  });

  test('a 2025.12 post: URL from post_url, on a forum in a subfolder, with no display name', () => {
    const p = post('discourse-2025.12/post_created.body.json');
    const e = event(toPostEvent(p, ctx({ baseUrl: 'https://example.org/forum/' })));
    assert.equal(e.url, 'https://example.org/forum/t/topic/10/1');
    assert.deepEqual(e.author, { username: 'user1', name: null });
    assert.equal(e.text, '*阿里云*——阿里巴巴集团旗下公司,是全球领先的云计算及人工智能科技公司之一。提供免费试用、云服务器、云数据库、云安全、云企业应用等云计算服务,以及大数据、人工智能服务、精准定制基于场景的行业');
    // A post_url that already includes the subfolder is not given it twice; an absolute one is kept.
    assert.equal(event(toPostEvent({ ...p, post_url: '/forum/t/topic/10/1' }, ctx({ baseUrl: 'https://example.org/forum' }))).url, 'https://example.org/forum/t/topic/10/1');
    assert.equal(event(toPostEvent({ ...p, post_url: 'https://other.example/t/x/1/2' }, ctx())).url, 'https://other.example/t/x/1/2');
    assert.equal(event(toPostEvent({ ...p, post_url: null, topic_slug: null }, ctx())).url, 'https://forum.example.org/t/10/1');
  });

  test('a private message is an event marked private, with no category even if one was given', () => {
    const e = event(toPostEvent(post('post_created.private_message.discourse-2.9.0.beta4.body.json'), ctx()));
    assert.equal(e.privateMessage, true);
    assert.equal(e.category, null);
    assert.equal(e.isFirstPost, false);
    assert.equal(e.text, '', 'a post holding only an image has no text');
    // No category id at all also means a private message.
    const regular = post('discourse-2025.12/post_created.body.json');
    assert.equal(event(toPostEvent({ ...regular, category_id: null }, ctx())).privateMessage, true);
  });

  test('whispers, small actions, moderator actions, unknown types and hidden posts are skipped with the reason', () => {
    const p = post('discourse-2025.12/post_created.body.json');
    const skip = (r: NormalizeResult) => (isSkip(r) ? r.skip : 'NOT SKIPPED');
    assert.match(skip(toPostEvent({ ...p, post_type: 4 }, ctx())), /whisper/);
    assert.match(skip(toPostEvent({ ...p, post_type: 3 }, ctx())), /small action/);
    assert.match(skip(toPostEvent({ ...p, post_type: 2 }, ctx())), /moderator action/);
    assert.match(skip(toPostEvent({ ...p, post_type: 9 }, ctx())), /post_type 9/);
    assert.match(skip(toPostEvent({ ...p, post_type: undefined }, ctx())), /post_type missing/);
    assert.match(skip(toPostEvent({ ...p, hidden: true }, ctx())), /hidden/);
    assert.match(skip(toPostEvent({ ...p, deleted_at: '2026-01-01T00:00:00Z' }, ctx({ kind: 'post_edited' }))), /deleted/);
    assert.match(skip(toPostEvent({ ...p, user_deleted: true }, ctx())), /withdrawn/);
    // A deletion still gets through, so that what was announced can be withdrawn; a deleted whisper does not.
    assert.equal(event(toPostEvent({ ...p, hidden: true, deleted_at: '2026-01-01T00:00:00Z' }, ctx({ kind: 'post_destroyed' }))).kind, 'post_destroyed');
    assert.ok(isSkip(toPostEvent({ ...p, post_type: 4 }, ctx({ kind: 'post_destroyed' }))));
  });

  test('text falls back to cooked HTML, stripped and decoded', () => {
    const p = post('post_created.discourse-2.9.0.beta4.body.json');
    const e = event(toPostEvent({ ...p, raw: undefined }, ctx()));
    assert.doesNotMatch(e.text, /[<>]/);
    assert.match(e.text, /^- Does the title sound interesting/);
    assert.match(e.text, /For more, see our community guidelines\. This panel/);
    const recovered = post('discourse-2025.12/post_recovered.body.json');
    assert.equal(event(toPostEvent({ ...recovered, raw: null }, ctx())).text, '', 'an image and its lightbox caption are not text');
  });
});

describe('post text', () => {
  test('raw: quotes (nested), images and upload references go; attachment names stay', () => {
    const raw = [
      '[quote="alice, post:1, topic:2"]',
      'outer [quote="bob"]inner[/quote] still outer',
      '[/quote]',
      'Thanks! ![screenshot|690x388](upload://abc123.png) see ![ext](https://x.example/a.png)',
      'The log: [server.log|attachment](upload://def456.log) (3.1 KB) and upload://ghi.png',
      '<div class="x">in a <b>div</b></div> &amp; 1 &lt; 2 &#x1F600; &unknown;',
    ].join('\n');
    assert.equal(textFromRaw(raw), 'Thanks!  see\nThe log: server.log (3.1 KB) and\nin a div & 1 < 2 😀 &unknown;');
  });

  test('cooked: quote asides and scripts go; paragraphs become lines', () => {
    const html = '<aside class="quote no-group" data-username="alice"><blockquote><p>quoted</p></blockquote></aside>\n<p>Reply&nbsp;here<br>second line</p><script>alert(1)</script><p>a &gt; b</p>';
    assert.equal(textFromCooked(html), 'Reply here\nsecond line\na > b');
  });

  test('entities are decoded in one pass', () => {
    assert.equal(decodeEntities('&amp;lt; &#38; &#0; &#xD800; &#99999999;'), '&lt; & &#0; &#xD800; &#99999999;');
  });

  test('property: never throws, never leaves a tag behind', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 300 }), (s) => {
        for (const out of [textFromRaw(s), textFromCooked(s)]) {
          assert.equal(typeof out, 'string');
          assert.doesNotMatch(out, /<\/?[a-zA-Z][^>]*>/);
        }
      }),
      { numRuns: 500 },
    );
  });
});
