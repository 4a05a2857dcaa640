import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import fc from 'fast-check';
import { parseGitLabWebhook, labelTitles } from '../../lib/gitlab/payloads.js';
import {
  gitlabTime,
  isRestricted,
  normalizeGitLabWebhook,
  plainText,
  type GitLabEvent,
  type GitLabIssueEvent,
  type GitLabMergeRequestEvent,
  type GitLabNoteEvent,
  type GitLabPipelineEvent,
  type GitLabReleaseEvent,
} from '../../lib/gitlab/normalize.js';

const FIXTURES = new URL('../../../shared/fixtures/gitlab-webhooks/', import.meta.url);
type Body = Record<string, unknown>;
const fixture = (name: string): Body => JSON.parse(readFileSync(new URL(name, FIXTURES), 'utf8')) as Body;
const clone = <T>(v: T): T => structuredClone(v);

function normalized(body: unknown, header?: string): GitLabEvent {
  const r = normalizeGitLabWebhook(body, header);
  assert.ok(r.ok, r.ok ? '' : r.error);
  return r.value;
}
function ofKind<K extends GitLabEvent['kind']>(e: GitLabEvent, kind: K): Extract<GitLabEvent, { kind: K }> {
  assert.equal(e.kind, kind, e.kind === 'ignored' ? `ignored: ${e.reason}` : '');
  return e as Extract<GitLabEvent, { kind: K }>;
}
const issue = (body: unknown, header?: string): GitLabIssueEvent => ofKind(normalized(body, header), 'issue');
const mr = (body: unknown, header?: string): GitLabMergeRequestEvent => ofKind(normalized(body, header), 'merge_request');
const note = (body: unknown, header?: string): GitLabNoteEvent => ofKind(normalized(body, header), 'note');
const pipeline = (body: unknown): GitLabPipelineEvent => ofKind(normalized(body), 'pipeline');
const release = (body: unknown): GitLabReleaseEvent => ofKind(normalized(body), 'release');
const ignoredReason = (body: unknown, header?: string): string => ofKind(normalized(body, header), 'ignored').reason;

/** A copy of a fixture with `object_attributes` patched: how the variants GitLab publishes no example of are derived. */
function withAttrs(name: string, patch: Body, top: Body = {}): Body {
  const body = clone(fixture(name));
  return { ...body, ...top, object_attributes: { ...(body.object_attributes as Body), ...patch } };
}

// What each published body must become. A fixture added later without an entry here fails the first test.
const EXPECTED: Record<string, GitLabEvent['kind']> = {
  'issue.open.body.json': 'issue',
  'note.issue.body.json': 'note',
  'note.merge_request.body.json': 'note',
  'merge_request.open.body.json': 'merge_request',
  'merge_request.update-oldrev.partial.body.json': 'ignored',
  'merge_request.update-system-approvals-reset.partial.body.json': 'ignored',
  'merge_request.update-reviewer-rerequested.partial.body.json': 'ignored',
  'pipeline.success.body.json': 'ignored',
  'release.create.body.json': 'release',
  'push.body.json': 'ignored',
  'tag_push.body.json': 'ignored',
  'job.created.body.json': 'ignored',
  'deployment.success.body.json': 'ignored',
  'third-party-captures/zulip.confidential_issue.close.2018.body.json': 'issue',
};
// The X-Gitlab-Event each was published with, so the cross-check runs on every body too.
const HEADERS: Record<string, string> = {
  issue: 'Issue Hook', note: 'Note Hook', merge_request: 'Merge Request Hook', pipeline: 'Pipeline Hook', release: 'Release Hook',
  push: 'Push Hook', tag_push: 'Tag Push Hook', build: 'Job Hook', deployment: 'Deployment Hook',
};

describe('every published GitLab body', () => {
  test('parses into the expected kind, with and without its X-Gitlab-Event header', () => {
    const names = [
      ...readdirSync(FIXTURES).filter((f) => f.endsWith('.body.json')),
      ...readdirSync(new URL('third-party-captures/', FIXTURES)).filter((f) => f.endsWith('.body.json')).map((f) => `third-party-captures/${f}`),
    ].sort();
    assert.deepEqual(names, Object.keys(EXPECTED).sort(), 'every fixture has an expected outcome');
    for (const name of names) {
      const body = fixture(name);
      const kind = body.object_kind as string;
      const header = body.event_type === 'confidential_issue' ? 'Confidential Issue Hook' : HEADERS[kind];
      assert.ok(header, `${name}: no header known for ${kind}`);
      assert.equal(normalized(body).kind, EXPECTED[name], name);
      assert.equal(normalized(body, header).kind, EXPECTED[name], `${name} with ${header}`);
    }
  });

  test('other kinds are ignored on purpose, naming the kind', () => {
    assert.match(ignoredReason(fixture('push.body.json'), 'Push Hook'), /object_kind "push" is not an event Parley delivers/);
    assert.match(ignoredReason(fixture('tag_push.body.json')), /"tag_push"/);
    assert.match(ignoredReason(fixture('job.created.body.json'), 'Job Hook'), /"build"/);
    assert.match(ignoredReason(fixture('deployment.success.body.json')), /"deployment"/);
    assert.match(ignoredReason({ object_kind: 'wiki_page', whatever: [1] }), /"wiki_page"/);
  });
});

describe('issues', () => {
  test('issue.open: what a user sees', () => {
    const e = issue(fixture('issue.open.body.json'), 'Issue Hook');
    assert.equal(e.source, 'gitlab');
    assert.equal(e.action, 'opened');
    assert.deepEqual(e.changed, [], 'changes on an open event are not edits');
    assert.deepEqual([e.id, e.iid], [301, 23]);
    assert.equal(e.title, 'New API: create/update/delete file');
    assert.equal(e.text, 'Create new API for manipulations with repository');
    assert.equal(e.url, 'http://example.com/diaspora/issues/23');
    assert.equal(e.state, 'opened');
    assert.deepEqual(e.author, { username: 'root', name: 'Administrator' });
    // Top-level labels (what the issue has now), not the `changes` block's.
    assert.deepEqual(e.labels, ['API']);
    assert.deepEqual(e.project, {
      id: 1,
      path: 'gitlabhq/gitlab-test',
      name: 'Gitlab Test',
      webUrl: 'http://example.com/gitlabhq/gitlab-test',
      visibility: 'public',
      namespaces: ['gitlabhq'],
    });
    assert.equal(e.updatedAt, '2013-12-03T17:15:43.000Z');
    assert.equal(e.confidential, false);
    assert.equal(isRestricted(e), false);
  });

  // GitLab publishes no close, reopen or update example: these are issue.open with the action (and state) changed.
  test('derived: close, reopen', () => {
    const closed = issue(withAttrs('issue.open.body.json', { action: 'close', state: 'closed', state_id: 2 }));
    assert.deepEqual([closed.action, closed.state], ['closed', 'closed']);
    assert.equal(issue(withAttrs('issue.open.body.json', { action: 'reopen' })).action, 'reopened');
  });

  test('derived: an update delivers only a title or description change, and says which', () => {
    const titled = issue(withAttrs('issue.open.body.json', { action: 'update', title: 'New API: files' }, {
      changes: { title: { previous: 'New API: create/update/delete file', current: 'New API: files' }, updated_at: { previous: 'a', current: 'b' } },
    }));
    assert.deepEqual([titled.action, titled.changed, titled.title], ['updated', ['title'], 'New API: files']);
    const both = issue(withAttrs('issue.open.body.json', { action: 'update' }, {
      changes: { description: { previous: '', current: 'x' }, title: { previous: 'a', current: 'b' } },
    }));
    assert.deepEqual(both.changed, ['title', 'description']);
    // The published `changes` (labels, updated_at) on an update: nothing a channel is told about.
    assert.match(ignoredReason(withAttrs('issue.open.body.json', { action: 'update' })), /neither title nor description \(changed: updated_by_id, updated_at, labels\)/);
    assert.match(ignoredReason(withAttrs('issue.open.body.json', { action: 'update' }, { changes: undefined })), /neither title nor description$/);
  });

  test('unknown and missing actions are ignored', () => {
    assert.match(ignoredReason(withAttrs('issue.open.body.json', { action: 'move' })), /issue action "move"/);
    assert.match(ignoredReason(withAttrs('issue.open.body.json', { action: undefined })), /issue action missing/);
  });

  // No confidential issue is published by GitLab; the zulip capture (GitLab 11) is one, and the rest is derived.
  test('a confidential issue (third-party capture, old shape): closed, confidential, restricted', () => {
    const e = issue(fixture('third-party-captures/zulip.confidential_issue.close.2018.body.json'), 'Confidential Issue Hook');
    assert.deepEqual([e.action, e.state, e.confidential], ['closed', 'closed', true]);
    assert.equal(e.title, 'Testing Test');
    assert.equal(e.url, 'https://gitlab.example.co.uk/joe.bloggs/testing/issues/1');
    assert.deepEqual(e.author, { username: 'joe.bloggs', name: 'Joe Bloggs' });
    assert.deepEqual(e.labels, []);
    assert.equal(e.project.path, 'joe.bloggs/testing');
    assert.equal(e.project.visibility, 'private');
    assert.equal(e.updatedAt, '2018-09-15T19:05:12.000Z');
    assert.equal(isRestricted(e), true);
  });

  test('derived: confidential in a public project is restricted, by the field, the event_type or the hook name', () => {
    assert.equal(isRestricted(issue(withAttrs('issue.open.body.json', { confidential: true }))), true);
    assert.equal(issue(withAttrs('issue.open.body.json', {}, { event_type: 'confidential_issue' })).confidential, true);
    const viaHook = issue(fixture('issue.open.body.json'), 'Confidential Issue Hook');
    assert.equal(viaHook.confidential, true);
    assert.equal(isRestricted(viaHook), true);
  });

  test('derived: internal and private projects are restricted; unknown visibility too', () => {
    const at = (level: unknown) => {
      const body = clone(fixture('issue.open.body.json'));
      (body.project as Body).visibility_level = level;
      return issue(body);
    };
    assert.deepEqual([at(10).project.visibility, isRestricted(at(10))], ['internal', true]);
    assert.deepEqual([at(0).project.visibility, isRestricted(at(0))], ['private', true]);
    assert.deepEqual([at(undefined).project.visibility, isRestricted(at(undefined))], [null, true]);
    assert.deepEqual([at(15).project.visibility, isRestricted(at(15))], [null, true]);
    assert.equal(isRestricted(at('20')), false, 'a numeric string is read as the number');
  });

  test('subgroups: the namespace chain lets g/group cover them', () => {
    const body = clone(fixture('issue.open.body.json'));
    (body.project as Body).path_with_namespace = 'org/team/sub/proj';
    assert.deepEqual(issue(body).project.namespaces, ['org', 'org/team', 'org/team/sub']);
  });

  test('work items: type Issue is an issue, other types are ignored', () => {
    const asWorkItem = (type: unknown) => withAttrs('issue.open.body.json', { type }, { object_kind: 'work_item' });
    assert.equal(issue(asWorkItem('Issue'), 'Issue Hook').title, 'New API: create/update/delete file');
    assert.match(ignoredReason(asWorkItem('Task')), /work item of type "Task", not an issue/);
    assert.match(ignoredReason(asWorkItem(undefined)), /type unknown/);
  });

  test('a missing project or title is a clear error, not an event', () => {
    const body = clone(fixture('issue.open.body.json'));
    delete body.project;
    const r = normalizeGitLabWebhook(body);
    assert.equal(r.ok, false);
    assert.match(r.ok ? '' : r.error, /^issue: project: /);
    const untitled = normalizeGitLabWebhook(withAttrs('issue.open.body.json', { title: 5 }));
    assert.match(untitled.ok ? '' : untitled.error, /object_attributes\.title: expected a string, got number 5/);
  });

  test('lenient: unknown fields, a broken user, odd labels', () => {
    const body = withAttrs('issue.open.body.json', { brand_new_field: { x: 1 } }, { user: 'nobody', labels: [{ title: ' API ' }, 'bare', { id: 3 }, null] });
    const e = issue(body);
    assert.equal(e.author, null);
    assert.deepEqual(e.labels, ['API', 'bare']);
    assert.deepEqual(labelTitles('nope'), undefined);
  });
});

describe('merge requests', () => {
  test('merge_request.open: what a user sees', () => {
    const e = mr(fixture('merge_request.open.body.json'), 'Merge Request Hook');
    assert.deepEqual([e.action, e.gitlabAction, e.state, e.draft], ['opened', 'open', 'opened', false]);
    assert.deepEqual([e.id, e.iid], [93, 16]);
    assert.equal(e.title, 'Add input validation to booking form');
    assert.equal(e.text, 'This merge request adds input validation to the booking form.');
    assert.equal(e.url, 'http://gitlab.example.com/flightjs/flight-management/-/merge_requests/16');
    assert.deepEqual(e.author, { username: 'agarcia', name: 'Alex Garcia' });
    assert.deepEqual(e.labels, ['enhancement']);
    assert.deepEqual([e.sourceBranch, e.targetBranch], ['feature/booking-validation', 'main']);
    assert.equal(e.project.path, 'flightjs/flight-management');
    assert.equal(e.project.visibility, 'private');
    assert.equal(e.updatedAt, '2026-01-16T05:56:25.000Z');
    assert.equal(isRestricted(e), true);
  });

  // GitLab publishes no merge or close example: merge_request.open with action and state changed.
  test('derived: merged, closed, reopened, approvals as other', () => {
    const merged = mr(withAttrs('merge_request.open.body.json', { action: 'merge', state: 'merged', state_id: 3, merged_at: '2026-01-17 09:00:00 UTC' }));
    assert.deepEqual([merged.action, merged.state], ['merged', 'merged']);
    assert.equal(mr(withAttrs('merge_request.open.body.json', { action: 'close', state: 'closed' })).action, 'closed');
    assert.equal(mr(withAttrs('merge_request.open.body.json', { action: 'reopen' })).action, 'reopened');
    const approved = mr(withAttrs('merge_request.open.body.json', { action: 'approved' }));
    assert.deepEqual([approved.action, approved.gitlabAction], ['other', 'approved']);
  });

  test('derived: a public project\'s merge request is not restricted', () => {
    const body = clone(fixture('merge_request.open.body.json'));
    (body.project as Body).visibility_level = 20;
    assert.equal(isRestricted(mr(body)), false);
  });

  test('the partial update bodies GitLab documents are ignored for what they are', () => {
    assert.match(ignoredReason(fixture('merge_request.update-system-approvals-reset.partial.body.json'), 'Merge Request Hook'), /system-initiated merge request update \(approvals_reset_on_push\)/);
    assert.match(ignoredReason(fixture('merge_request.update-oldrev.partial.body.json')), /neither title nor description: new commits/);
    assert.match(ignoredReason(fixture('merge_request.update-reviewer-rerequested.partial.body.json')), /neither title nor description \(changed: reviewers\)/);
  });

  // As GitLab really sends them: the documented partial fields on top of the complete example.
  test('derived: the partial fields merged into the complete body give the same answers; a title edit is delivered', () => {
    const full = fixture('merge_request.open.body.json');
    for (const name of ['merge_request.update-oldrev.partial.body.json', 'merge_request.update-system-approvals-reset.partial.body.json', 'merge_request.update-reviewer-rerequested.partial.body.json']) {
      const partial = fixture(name);
      const merged = { ...full, changes: partial.changes ?? {}, object_attributes: { ...(full.object_attributes as Body), ...(partial.object_attributes as Body) } };
      assert.equal(normalized(merged).kind, 'ignored', name);
    }
    const edited = mr(withAttrs('merge_request.open.body.json', { action: 'update', title: 'Validate bookings' }, { changes: { title: { previous: 'Add input validation to booking form', current: 'Validate bookings' } } }));
    assert.deepEqual([edited.action, edited.changed, edited.title], ['updated', ['title'], 'Validate bookings']);
  });

  test('an open event without a project or iid is an error; without an action, ignored', () => {
    const r = normalizeGitLabWebhook({ object_kind: 'merge_request', object_attributes: { action: 'open', iid: 1, title: 't' } });
    assert.match(r.ok ? '' : r.error, /merge_request open: missing "project"/);
    const noIid = clone(fixture('merge_request.open.body.json'));
    delete (noIid.object_attributes as Body).iid;
    const r2 = normalizeGitLabWebhook(noIid);
    assert.match(r2.ok ? '' : r2.error, /missing "object_attributes\.iid"/);
    assert.match(ignoredReason({ object_kind: 'merge_request', object_attributes: {} }), /without an action/);
  });
});

describe('comments', () => {
  test('note.issue: the comment, its issue, an internal project', () => {
    const e = note(fixture('note.issue.body.json'), 'Note Hook');
    assert.deepEqual([e.action, e.id, e.text], ['create', 1241, 'Hello world']);
    assert.equal(e.url, 'http://example.com/gitlab-org/gitlab-test/issues/17#note_1241');
    assert.deepEqual(e.noteable, {
      type: 'issue',
      id: 92,
      iid: 17,
      title: 'test',
      url: 'http://example.com/gitlab-org/gitlab-test/issues/17',
      state: 'closed',
      confidential: false,
    });
    assert.deepEqual(e.labels, ['Afterpod', 'Element']);
    assert.deepEqual(e.author, { username: 'root', name: 'Administrator' });
    // `project`, not the deprecated `repository`, which names another project in this example.
    assert.equal(e.project.path, 'gitlab-org/gitlab-test');
    assert.equal(e.project.visibility, 'internal');
    assert.equal(e.updatedAt, '2015-05-17T17:06:40.000Z');
    assert.equal(e.confidential, false);
    assert.equal(isRestricted(e), true);
  });

  test('note.merge_request: the comment and its merge request', () => {
    const e = note(fixture('note.merge_request.body.json'), 'Note Hook');
    assert.equal(e.text, 'This MR needs work.');
    assert.equal(e.url, 'http://example.com/gitlab-org/gitlab-test/merge_requests/1#note_1244');
    assert.deepEqual([e.noteable.type, e.noteable.iid, e.noteable.title, e.noteable.state], ['merge_request', 1, 'Tempora et eos debitis quae laborum et.', 'opened']);
    assert.equal(e.noteable.url, 'http://example.com/gitlab-org/gitlab-test/merge_requests/1');
    assert.equal(e.updatedAt, '2015-05-17T18:21:36.000Z');
  });

  // No confidential or edited comment is published: derived from note.issue.
  test('derived: internal notes, notes on confidential issues, and the confidential hook are confidential', () => {
    const publicNote = (patch: Body, top: Body = {}) => {
      const body = withAttrs('note.issue.body.json', patch, top);
      (body.project as Body).visibility_level = 20;
      return body;
    };
    const plain = note(publicNote({}));
    assert.equal(isRestricted(plain), false);
    assert.equal(note(publicNote({ internal: true })).confidential, true);
    assert.equal(note(publicNote({ confidential: true })).confidential, true);
    assert.equal(note(publicNote({}, { event_type: 'confidential_note' })).confidential, true);
    const viaHook = note(publicNote({}), 'Confidential Note Hook');
    assert.deepEqual([viaHook.confidential, isRestricted(viaHook)], [true, true]);
    const onConfidential = publicNote({});
    (onConfidential.issue as Body).confidential = true;
    const e = note(onConfidential);
    assert.deepEqual([e.confidential, e.noteable.confidential, isRestricted(e)], [false, true, true]);
  });

  test('derived: an edited comment; a comment without an action (before 16.11) is a creation', () => {
    assert.equal(note(withAttrs('note.issue.body.json', { action: 'update' })).action, 'update');
    assert.equal(note(withAttrs('note.issue.body.json', { action: undefined })).action, 'create');
    assert.match(ignoredReason(withAttrs('note.issue.body.json', { action: 'delete' })), /note action "delete"/);
  });

  test('system notes and comments on commits or snippets are ignored', () => {
    assert.match(ignoredReason(withAttrs('note.issue.body.json', { system: true })), /system note/);
    assert.match(ignoredReason(withAttrs('note.issue.body.json', { noteable_type: 'Commit' })), /comment on a Commit/);
    assert.match(ignoredReason(withAttrs('note.issue.body.json', { noteable_type: 'Snippet' })), /comment on a Snippet/);
  });

  test('a comment on an issue without the issue is an error', () => {
    const body = clone(fixture('note.issue.body.json'));
    delete body.issue;
    const r = normalizeGitLabWebhook(body);
    assert.match(r.ok ? '' : r.error, /note \(noteable_type Issue\): missing "issue"/);
  });
});

describe('pipelines', () => {
  test('pipeline.success is ignored: only failures are delivered', () => {
    assert.match(ignoredReason(fixture('pipeline.success.body.json'), 'Pipeline Hook'), /pipeline success: only failed pipelines/);
  });

  // GitLab publishes no failed pipeline: pipeline.success with its status set to failed (its test-build job
  // already failed in the published example).
  test('derived: a failed pipeline names its failed jobs and stages', () => {
    const e = pipeline(withAttrs('pipeline.success.body.json', { status: 'failed', detailed_status: 'failed' }));
    assert.equal(e.status, 'failed');
    assert.deepEqual([e.id, e.iid, e.ref, e.tag, e.sha], [31, 3, 'master', false, 'bcbb5ec396a2c0f828686f14fac9b80b780504f2']);
    assert.equal(e.url, 'http://example.com/gitlab-org/gitlab-test/-/pipelines/31');
    assert.deepEqual(e.failedJobs, [{ name: 'test-build', stage: 'test', failureReason: 'script_failure' }]);
    assert.deepEqual(e.mergeRequest, { iid: 1, title: 'Test', url: 'http://192.168.64.1:3005/gitlab-org/gitlab-test/merge_requests/1' });
    assert.deepEqual(e.author, { username: 'root', name: 'Administrator' });
    assert.deepEqual([e.project.path, e.project.visibility], ['gitlab-org/gitlab-test', 'public']);
    assert.equal(e.updatedAt, '2016-08-12T15:26:29.000Z');
    assert.deepEqual(e.labels, []);
    assert.equal(isRestricted(e), false);
  });

  test('derived: allowed failures are left out; a pipeline without jobs or url still reads', () => {
    const body = withAttrs('pipeline.success.body.json', { status: 'failed', url: undefined });
    for (const b of body.builds as Body[]) if (b.name === 'test-build') b.allow_failure = true;
    (body.builds as Body[]).push({ name: 'lint', stage: 'test', status: 'failed', failure_reason: null, allow_failure: false });
    const e = pipeline(body);
    assert.deepEqual(e.failedJobs, [{ name: 'lint', stage: 'test', failureReason: null }]);
    assert.equal(e.url, 'http://192.168.64.1:3005/gitlab-org/gitlab-test/-/pipelines/31');
    assert.deepEqual(pipeline({ ...body, builds: 'garbage', merge_request: null }).failedJobs, []);
  });
});

describe('releases', () => {
  test('release.create: tag, name, notes, url; the hook has no user', () => {
    const e = release(fixture('release.create.body.json'));
    assert.deepEqual([e.action, e.id, e.tag, e.name], ['create', 1, 'v1.1', 'v1.1']);
    assert.equal(e.text, 'v1.1 has been released');
    assert.equal(e.url, 'https://example.com/gitlab-org/release-webhook-example/-/releases/v1.1');
    assert.equal(e.author, null);
    assert.deepEqual([e.project.path, e.project.visibility], ['gitlab-org/release-webhook-example', 'private']);
    assert.equal(e.updatedAt, '2020-11-02T12:55:12.000Z');
    assert.equal(isRestricted(e), true);
  });

  // Only `create` is published: update and delete are derived by changing `action`.
  test('derived: update and delete; unknown actions ignored', () => {
    assert.equal(release({ ...fixture('release.create.body.json'), action: 'update' }).action, 'update');
    assert.equal(release({ ...fixture('release.create.body.json'), action: 'delete' }).action, 'delete');
    assert.match(ignoredReason({ ...fixture('release.create.body.json'), action: 'publish' }), /release action "publish"/);
  });
});

describe('X-Gitlab-Event cross-check', () => {
  test('a header for another kind is an error; system hooks are ignored; unknown headers are not held against the body', () => {
    const r = parseGitLabWebhook(fixture('issue.open.body.json'), 'Push Hook');
    assert.match(r.ok ? '' : r.error, /X-Gitlab-Event "Push Hook" does not match object_kind "issue"/);
    const r2 = parseGitLabWebhook(fixture('push.body.json'), 'Issue Hook');
    assert.equal(r2.ok, false);
    assert.match(ignoredReason(fixture('merge_request.open.body.json'), 'System Hook'), /system hook/);
    assert.equal(normalized(fixture('issue.open.body.json'), 'Work Item Hook').kind, 'issue');
    assert.equal(normalized(fixture('issue.open.body.json'), '  ').kind, 'issue');
  });

  test('not an object, or no object_kind: errors', () => {
    for (const body of [null, [], 'x', 3]) assert.equal(parseGitLabWebhook(body).ok, false);
    const r = parseGitLabWebhook({ object_attributes: {} }, 'Issue Hook');
    assert.match(r.ok ? '' : r.error, /missing "object_kind" \(X-Gitlab-Event: Issue Hook\)/);
  });

  test('property: no JSON value makes parsing or normalizing throw', () => {
    const kinds = fc.constantFrom('issue', 'work_item', 'merge_request', 'note', 'pipeline', 'release', 'push');
    fc.assert(
      fc.property(fc.jsonValue(), kinds, fc.jsonValue(), (value, kind, attrs) => {
        for (const body of [value, { object_kind: kind, object_attributes: attrs, project: value }]) {
          const r = normalizeGitLabWebhook(body);
          assert.ok(r.ok || (typeof r.error === 'string' && r.error.length > 0));
        }
      }),
      { numRuns: 300 },
    );
  });
});

describe('timestamps and text', () => {
  test('every format GitLab uses, to ISO-8601 UTC', () => {
    assert.equal(gitlabTime('2013-12-03T17:15:43Z'), '2013-12-03T17:15:43.000Z');
    assert.equal(gitlabTime('2015-05-17 18:08:09 UTC'), '2015-05-17T18:08:09.000Z');
    assert.equal(gitlabTime('2021-04-28 21:50:00 +0200'), '2021-04-28T19:50:00.000Z');
    assert.equal(gitlabTime('2019-06-05T14:32:20.211Z'), '2019-06-05T14:32:20.211Z');
    assert.equal(gitlabTime('2016-08-12T17:23:21+02:00'), '2016-08-12T15:23:21.000Z');
    // The typo in GitLab's own note example (merge_request.last_commit.timestamp).
    assert.equal(gitlabTime('2015-04-08T21: 00:25-07:00'), '2015-04-09T04:00:25.000Z');
    assert.equal(gitlabTime('2015-05-17 18:08:09'), '2015-05-17T18:08:09.000Z', 'no zone: UTC');
    for (const bad of ['', 'yesterday', '2015-13-40 25:00:00 UTC']) assert.equal(gitlabTime(bad), null, bad);
  });

  test('text keeps Markdown, drops template comments, tidies lines', () => {
    assert.equal(plainText('## Steps\r\n<!-- describe the bug -->\r\n\r\n\r\n\r\n1. **run** `x`  \n'), '## Steps\n\n1. **run** `x`');
    assert.equal(plainText(null), '');
    const body = withAttrs('issue.open.body.json', { description: null });
    assert.equal(issue(body).text, '');
  });
});
