// planGitLabEvent (lib/gitlab/routing.ts): what each GitLab webhook means for the chat rooms. Bodies are GitLab's
// published examples, read from ../shared/fixtures/gitlab-webhooks/ at run time; variants GitLab publishes no
// example of (a failed pipeline, a merged or closed merge request, issue updates, a confidential issue, a private
// project's issue…) are derived from them in the tests below, each saying what it changed.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { RuleIndex } from '../../lib/matching.js';
import { planGitLabEvent, type GitLabPlan } from '../../lib/gitlab/routing.js';
import { parseScope, type Filter, type Rule } from '../../lib/rules.js';
import type { ChannelRecord, PlatformName } from '../../lib/seams/store.js';

const FIXTURES = new URL('../../../shared/fixtures/gitlab-webhooks/', import.meta.url);
type Body = Record<string, unknown>;
const fixture = (name: string): Body => JSON.parse(readFileSync(new URL(name, FIXTURES), 'utf8')) as Body;

/** A fixture with `object_attributes` (and top-level fields) patched: how the unpublished variants are derived. */
function derived(name: string, attrs: Body, top: Body = {}): Body {
  const body = structuredClone(fixture(name));
  return { ...body, ...top, object_attributes: { ...(body.object_attributes as Body), ...attrs } };
}
/** A fixture whose project has another visibility_level (0 private, 10 internal, 20 public). */
function withVisibility(body: Body, level: number): Body {
  return { ...body, project: { ...(body.project as Body), visibility_level: level } };
}

let ruleId = 0;
const rule = (channelId: number, filter: Filter, scope: string): Rule => {
  const parsed = parseScope(scope, 'gitlab');
  assert.ok(parsed.ok, scope);
  return { id: ++ruleId, channelId, source: 'gitlab', filter, scope: parsed.scope };
};

function channel(id: number, platform: PlatformName = 'telegram'): ChannelRecord {
  return { id, platform, externalId: `-${id}`, name: `chat ${id}`, status: 'active', lastError: null, addedBy: 'cli', settings: {}, createdAt: new Date(0) };
}

function deps(rules: Rule[], opts: { platforms?: PlatformName[]; unconfigured?: number[] } = {}) {
  const index = new RuleIndex(rules);
  return {
    store: { channels: { get: async (id: number) => channel(id, opts.unconfigured?.includes(id) ? 'mattermost' : 'telegram') } },
    rules: { match: async (input: Parameters<RuleIndex['match']>[0]) => index.match(input) },
    platforms: new Set<PlatformName>(opts.platforms ?? ['telegram']),
    delivery: { excerptLength: 300 },
  };
}

const plan = (body: unknown, rules: Rule[] = [], event: string | null = null, opts: Parameters<typeof deps>[1] = {}): Promise<GitLabPlan> =>
  planGitLabEvent({ event, eventId: 'delivery:test-1', body }, deps(rules, opts));

function ofAction<A extends GitLabPlan['action']>(p: GitLabPlan, action: A): Extract<GitLabPlan, { action: A }> {
  assert.equal(p.action, action, JSON.stringify('reason' in p ? p.reason : p.action));
  return p as Extract<GitLabPlan, { action: A }>;
}
const channelIds = (p: GitLabPlan): number[] => ofAction(p, 'deliver').channels.map((c) => c.channel.id);

// The projects of the published bodies: gitlabhq/gitlab-test (issue.open, public), gitlab-org/gitlab-test
// (notes: internal; pipeline: public), flightjs/flight-management (merge request: private),
// gitlab-org/release-webhook-example (release: private).
const ALL = 1;
const NAMED = 2;
const everyProjectNamed = (): Rule[] => [
  rule(ALL, 'watch', 'all'),
  ...['gitlabhq/gitlab-test', 'gitlab-org/gitlab-test', 'flightjs/flight-management', 'gitlab-org/release-webhook-example'].map((p) => rule(NAMED, 'watch', `p/${p}`)),
];

// What each published body plans to, with rules naming every project and a `watch all`.
const EXPECTED: Record<string, { action: GitLabPlan['action']; subject?: string; thread?: string; channels?: number[]; reason?: RegExp }> = {
  'issue.open.body.json': { action: 'deliver', subject: 'gitlab:issue:1:23', thread: 'gitlab:issue:1:23', channels: [ALL, NAMED] },
  'note.issue.body.json': { action: 'deliver', subject: 'gitlab:note:1241', thread: 'gitlab:issue:5:17', channels: [NAMED] },
  'note.merge_request.body.json': { action: 'deliver', subject: 'gitlab:note:1244', thread: 'gitlab:merge_request:5:1', channels: [NAMED] },
  'merge_request.open.body.json': { action: 'deliver', subject: 'gitlab:merge_request:2:16', thread: 'gitlab:merge_request:2:16', channels: [NAMED] },
  'merge_request.update-oldrev.partial.body.json': { action: 'ignore', reason: /new commits/ },
  'merge_request.update-system-approvals-reset.partial.body.json': { action: 'ignore', reason: /system-initiated/ },
  'merge_request.update-reviewer-rerequested.partial.body.json': { action: 'ignore', reason: /neither title nor description/ },
  'pipeline.success.body.json': { action: 'ignore', reason: /only failed pipelines/ },
  'release.create.body.json': { action: 'deliver', subject: 'gitlab:release:2:v1.1', thread: 'gitlab:release:2:v1.1', channels: [NAMED] },
  'push.body.json': { action: 'ignore', reason: /"push" is not an event Parley delivers/ },
  'tag_push.body.json': { action: 'ignore', reason: /"tag_push"/ },
  'job.created.body.json': { action: 'ignore', reason: /"build"/ },
  'deployment.success.body.json': { action: 'ignore', reason: /"deployment"/ },
  'third-party-captures/zulip.confidential_issue.close.2018.body.json': { action: 'ignore', reason: /confidential issue is never announced/ },
};

describe('every published GitLab body', () => {
  test('plans to the expected action, subject, thread and channels', async () => {
    const names = [
      ...readdirSync(FIXTURES).filter((f) => f.endsWith('.body.json')),
      ...readdirSync(new URL('third-party-captures/', FIXTURES)).filter((f) => f.endsWith('.body.json')).map((f) => `third-party-captures/${f}`),
    ].sort();
    assert.deepEqual(names, Object.keys(EXPECTED).sort(), 'every fixture has an expected plan');
    const rules = everyProjectNamed();
    for (const name of names) {
      const want = EXPECTED[name]!;
      const p = await plan(fixture(name), rules);
      assert.equal(p.action, want.action, `${name}: ${'reason' in p ? p.reason : ''}`);
      if (p.action === 'deliver') {
        assert.equal(p.notification.subject, want.subject, name);
        assert.equal(p.notification.thread, want.thread, name);
        assert.deepEqual(p.channels.map((c) => c.channel.id), want.channels, name);
      }
      if (p.action === 'ignore') assert.match(p.reason, want.reason!, name);
    }
  });

  test('issue.open: the notification and what matching reads', async () => {
    const p = ofAction(await plan(fixture('issue.open.body.json'), [], 'Issue Hook'), 'deliver');
    assert.deepEqual(p.notification, {
      kind: 'new_topic',
      title: '#23 New API: create/update/delete file',
      url: 'http://example.com/diaspora/issues/23',
      author: 'Administrator (@root)',
      category: { name: 'gitlabhq/gitlab-test', path: 'gitlabhq/gitlab-test', color: null },
      tags: ['API'],
      excerpt: 'Create new API for manipulations with repository',
      subject: 'gitlab:issue:1:23',
      thread: 'gitlab:issue:1:23',
    });
    assert.equal(p.opens, true);
    assert.deepEqual(p.input, {
      source: 'gitlab',
      named: ['gitlab:project:gitlabhq/gitlab-test'],
      covering: ['gitlab:group:gitlabhq', 'gitlab:label:api'],
      restricted: false,
      hidden: false,
      opens: true,
    });
  });

  test('notes: a reply titled by its issue or merge request, the comment as excerpt', async () => {
    const p = ofAction(await plan(fixture('note.issue.body.json')), 'deliver');
    assert.equal(p.notification.kind, 'reply');
    assert.equal(p.notification.title, '#17 test');
    assert.equal(p.notification.url, 'http://example.com/gitlab-org/gitlab-test/issues/17#note_1241');
    assert.equal(p.opens, false);
    assert.equal(p.input.restricted, true, 'gitlab-org/gitlab-test is internal in this body');
    const mr = ofAction(await plan(fixture('note.merge_request.body.json')), 'deliver');
    assert.equal(mr.notification.title, '!1 Tempora et eos debitis quae laborum et.');
  });

  test('merge_request.open and release.create', async () => {
    const mr = ofAction(await plan(fixture('merge_request.open.body.json')), 'deliver');
    assert.equal(mr.notification.title, '!16 Add input validation to booking form');
    assert.deepEqual(mr.notification.tags, ['enhancement']);
    assert.equal(mr.opens, true);
    const release = ofAction(await plan(fixture('release.create.body.json')), 'deliver');
    assert.equal(release.notification.title, 'Release v1.1');
    assert.equal(release.notification.excerpt, 'v1.1 has been released');
    assert.equal(release.opens, true);
  });
});

describe('derived variants (GitLab publishes no example of these)', () => {
  test('a failed pipeline: pipeline.success with status "failed"; it opens, so follow gets it', async () => {
    const body = derived('pipeline.success.body.json', { status: 'failed' });
    const p = ofAction(await plan(body, [rule(3, 'follow', 'p/gitlab-org/gitlab-test')]), 'deliver');
    assert.equal(p.notification.title, 'Pipeline #31 failed on master');
    assert.equal(p.notification.subject, 'gitlab:pipeline:31');
    assert.match(p.notification.excerpt, /Merge request !1 Test/);
    assert.match(p.notification.excerpt, /test-build \(test\): script failure/);
    assert.equal(p.opens, true);
    assert.deepEqual(channelIds(p), [3]);
  });

  test('a merged and a closed merge request: merge_request.open with action merge/close; a state change in its thread', async () => {
    for (const [action, word] of [['merge', 'merged'], ['close', 'closed']] as const) {
      // Made public (visibility_level 20) so that `all` rules take part.
      const body = withVisibility(derived('merge_request.open.body.json', { action, state: word }), 20);
      const rules = [rule(10, 'follow', 'all'), rule(11, 'watch', 'all'), rule(12, 'thread', 'g/flightjs')];
      const p = ofAction(await plan(body, rules), 'deliver');
      assert.equal(p.notification.title, `Merge request !16 ${word}: Add input validation to booking form`);
      assert.equal(p.notification.kind, 'reply');
      assert.equal(p.notification.subject, `gitlab:merge_request:2:16:${word}:2026-01-16T05:56:25.000Z`);
      assert.equal(p.notification.thread, 'gitlab:merge_request:2:16');
      assert.equal(p.opens, false);
      assert.deepEqual(channelIds(p), [11, 12], 'follow takes only what opens something');
      assert.deepEqual(p.channels.map((c) => c.thread), [null, 'gitlab:merge_request:2:16'], 'the thread rule puts it under the merge request');
    }
  });

  test('other merge request actions are not announced; a new title edits the announcement', async () => {
    const approved = ofAction(await plan(derived('merge_request.open.body.json', { action: 'approved' })), 'ignore');
    assert.match(approved.reason, /merge request action "approved" is not announced/);
    const reopened = ofAction(await plan(derived('merge_request.open.body.json', { action: 'reopen' })), 'ignore');
    assert.match(reopened.reason, /"reopen"/);
    const retitled = derived('merge_request.open.body.json', { action: 'update', title: 'Validate bookings' }, { changes: { title: { previous: 'Add input validation to booking form', current: 'Validate bookings' } } });
    const u = ofAction(await plan(retitled), 'update');
    assert.equal(u.subject, 'gitlab:merge_request:2:16');
    assert.equal(u.notification.title, '!16 Validate bookings');
  });

  test('issue closed and reopened: issue.open with action close/reopen; their own subject, in the issue thread', async () => {
    for (const [action, word] of [['close', 'closed'], ['reopen', 'reopened']] as const) {
      const p = ofAction(await plan(derived('issue.open.body.json', { action }), [rule(20, 'watch', 'p/gitlabhq/gitlab-test'), rule(21, 'follow', 'all')]), 'deliver');
      assert.equal(p.notification.title, `Issue #23 ${word}: New API: create/update/delete file`);
      assert.equal(p.notification.subject, `gitlab:issue:1:23:${word}:2013-12-03T17:15:43.000Z`);
      assert.equal(p.notification.thread, 'gitlab:issue:1:23');
      assert.equal(p.notification.excerpt, '');
      assert.deepEqual(channelIds(p), [20]);
    }
    // Without a time in the body, the delivery key keeps two closings apart.
    const timeless = derived('issue.open.body.json', { action: 'close', updated_at: null, created_at: null });
    assert.equal(ofAction(await plan(timeless, [rule(20, 'watch', 'all')]), 'deliver').notification.subject, 'gitlab:issue:1:23:closed:delivery:test-1');
  });

  test('issue updated: a new title or description edits the announcement; other changes are ignored', async () => {
    const retitled = derived('issue.open.body.json', { action: 'update', title: 'New API: files' }, { changes: { title: { previous: 'New API: create/update/delete file', current: 'New API: files' } } });
    const u = ofAction(await plan(retitled, [rule(1, 'watch', 'all')]), 'update');
    assert.equal(u.subject, 'gitlab:issue:1:23');
    assert.equal(u.notification.title, '#23 New API: files');
    assert.equal(u.notification.kind, 'new_topic', 'the same shape as the announcement it replaces');
    // The published body's `changes` (labels, updated_at) with action update: nothing a chat would see changed.
    const relabelled = ofAction(await plan(derived('issue.open.body.json', { action: 'update' })), 'ignore');
    assert.match(relabelled.reason, /neither title nor description/);
  });

  test('a confidential issue: issue.open with confidential true, or sent by the confidential hook; never announced', async () => {
    const rules = [rule(1, 'watch', 'all'), rule(2, 'watch', 'p/gitlabhq/gitlab-test')];
    const flagged = ofAction(await plan(derived('issue.open.body.json', { confidential: true }), rules), 'ignore');
    assert.match(flagged.reason, /confidential issue is never announced/);
    const byHook = ofAction(await plan(fixture('issue.open.body.json'), rules, 'Confidential Issue Hook'), 'ignore');
    assert.match(byHook.reason, /confidential/);
    // Made confidential later: its announcement is taken back.
    const hidden = derived('issue.open.body.json', { action: 'update', confidential: true }, { changes: { confidential: { previous: false, current: true } } });
    const w = ofAction(await plan(hidden, rules, 'Confidential Issue Hook'), 'withdraw');
    assert.equal(w.subject, 'gitlab:issue:1:23');
    assert.equal(w.deleted, false);
  });

  test('confidential comments: internal notes and notes on confidential issues are never announced', async () => {
    const internal = derived('note.issue.body.json', { internal: true });
    assert.match(ofAction(await plan(internal, [rule(1, 'watch', 'p/gitlab-org/gitlab-test')]), 'ignore').reason, /internal \(confidential\) comment/);
    const onConfidential = structuredClone(fixture('note.issue.body.json'));
    onConfidential.issue = { ...(onConfidential.issue as Body), confidential: true };
    assert.match(ofAction(await plan(onConfidential), 'ignore').reason, /comment on a confidential issue/);
    assert.equal(ofAction(await plan(fixture('note.issue.body.json'), [], 'Confidential Note Hook'), 'ignore').action, 'ignore');
  });

  test("a private project's issue: issue.open with visibility_level 0; only a rule naming the project, but a broad mute still counts", async () => {
    const body = withVisibility(fixture('issue.open.body.json'), 0);
    const rules = [rule(30, 'watch', 'all'), rule(31, 'watch', 'p/GitLabHQ/gitlab-test'), rule(32, 'watch', 'g/gitlabhq'), rule(33, 'watch', 'l/api'), rule(34, 'watch', 'p/gitlabhq/gitlab-test'), rule(34, 'mute', 'g/gitlabhq')];
    const p = ofAction(await plan(body, rules), 'deliver');
    assert.equal(p.input.restricted, true);
    assert.deepEqual(channelIds(p), [31], 'not through all, a group or a label; the mute silences channel 34');
    // Internal (10) is restricted too; unknown visibility as well.
    assert.deepEqual(channelIds(await plan(withVisibility(fixture('issue.open.body.json'), 10), rules)), [31]);
    const unknown = structuredClone(fixture('issue.open.body.json'));
    delete (unknown.project as Body).visibility_level;
    assert.deepEqual(channelIds(await plan(unknown, rules)), [31]);
  });

  test('public: all, the project, a group above it and a label cover it; follow takes openings only; thread threads replies only', async () => {
    const body = fixture('issue.open.body.json');
    const rules = [rule(40, 'watch', 'all'), rule(41, 'watch', 'g/gitlabhq'), rule(42, 'follow', 'l/API'), rule(43, 'thread', 'p/gitlabhq/gitlab-test'), rule(44, 'watch', 'g/other')];
    const p = ofAction(await plan(body, rules), 'deliver');
    assert.deepEqual(channelIds(p), [40, 41, 42, 43]);
    assert.deepEqual(p.channels.map((c) => c.thread), [null, null, null, null], 'an opening is never threaded');

    // A comment on the same project (note.issue made public and moved into gitlabhq/gitlab-test).
    const note = withVisibility(structuredClone(fixture('note.issue.body.json')), 20);
    (note.project as Body).path_with_namespace = 'gitlabhq/gitlab-test';
    const n = ofAction(await plan(note, rules), 'deliver');
    assert.deepEqual(channelIds(n), [40, 41, 43], 'follow takes no comments');
    assert.deepEqual(n.channels.map((c) => c.thread), [null, null, 'gitlab:issue:5:17']);
  });

  test('a group rule covers the projects of its subgroups', async () => {
    const body = structuredClone(fixture('issue.open.body.json'));
    (body.project as Body).path_with_namespace = 'Acme/Platform/api';
    const p = ofAction(await plan(body, [rule(50, 'watch', 'g/acme'), rule(51, 'watch', 'g/acme/platform'), rule(52, 'watch', 'g/platform')]), 'deliver');
    assert.deepEqual(p.input.named, ['gitlab:project:acme/platform/api']);
    assert.deepEqual(channelIds(p), [50, 51]);
  });

  test('comment and release edits follow their announcement; a deleted release is withdrawn', async () => {
    const edited = ofAction(await plan(derived('note.issue.body.json', { action: 'update', note: 'edited text' })), 'update');
    assert.equal(edited.subject, 'gitlab:note:1241');
    assert.equal(edited.notification.excerpt, 'edited text');
    const release = (action: string): Body => ({ ...structuredClone(fixture('release.create.body.json')), action });
    assert.equal(ofAction(await plan(release('update')), 'update').subject, 'gitlab:release:2:v1.1');
    const deleted = ofAction(await plan(release('delete')), 'withdraw');
    assert.deepEqual([deleted.subject, deleted.deleted], ['gitlab:release:2:v1.1', true]);
  });

  test('mass mentions are neutralised; a channel of a platform not configured here is skipped', async () => {
    const body = derived('issue.open.body.json', { title: 'Ping @everyone', description: '@here look' });
    const p = ofAction(await plan(body, [rule(60, 'watch', 'all'), rule(61, 'watch', 'all')], null, { unconfigured: [61] }), 'deliver');
    assert.doesNotMatch(p.notification.title, /@everyone/);
    assert.doesNotMatch(p.notification.excerpt, /@here/);
    assert.deepEqual(p.channels.map((c) => [c.channel.id, c.skip]), [[60, null], [61, 'mattermost is not configured here']]);
  });

  test('a body that claims a kind it does not have the shape of is invalid; a header that contradicts it too', async () => {
    const broken = structuredClone(fixture('issue.open.body.json'));
    delete broken.project;
    assert.match(ofAction(await plan(broken), 'invalid').reason, /project/);
    assert.match(ofAction(await plan(fixture('issue.open.body.json'), [], 'Push Hook'), 'invalid').reason, /does not match/);
  });
});
