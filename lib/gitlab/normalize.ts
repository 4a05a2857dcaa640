// A parsed GitLab webhook → one GitLab-faithful event. Pure. The decisions of what Parley does not deliver at
// all (kinds, actions, statuses) are made here, each with its reason; which channel hears what is for matching.
import { DateTime } from 'luxon';
import {
  isPlainObject,
  parseGitLabWebhook,
  type GitLabPayload,
  type IssueHook,
  type MergeRequestHook,
  type NoteHook,
  type NoteablePayload,
  type ParseResult,
  type PipelineHook,
  type ProjectPayload,
  type ReleaseHook,
  type UserPayload,
} from './payloads.js';

export type GitLabVisibility = 'public' | 'internal' | 'private';

/** `a/b/p` → the groups above it, outermost first: `['a', 'a/b']` (`g/a` covers its subgroups' projects). */
export function namespaceChain(namespacePath: string): string[] {
  const parts = namespacePath.split('/').filter(Boolean);
  return parts.map((_, i) => parts.slice(0, i + 1).join('/'));
}

export interface GitLabProject {
  id: number;
  /** `path_with_namespace`, what users type after `p/`: `group/subgroup/project`. */
  path: string;
  name: string | null;
  webUrl: string;
  /** From `visibility_level`; null when GitLab did not say (then treated as restricted). */
  visibility: GitLabVisibility | null;
  /** The groups above the project, outermost first (`['a', 'a/b']` for `a/b/p`), so `g/a` covers subgroups. */
  namespaces: string[];
}

export interface GitLabUser {
  username: string;
  name: string | null;
}

interface Common {
  source: 'gitlab';
  project: GitLabProject;
  /** Who did it (GitLab's `user`): the opener, closer, commenter… Null when the hook has no user (releases). */
  author: GitLabUser | null;
  labels: string[];
  /** ISO-8601 UTC; null when GitLab sent no time Parley could read. */
  updatedAt: string | null;
}

export type IssueAction = 'opened' | 'reopened' | 'closed' | 'updated';
export type ChangedField = 'title' | 'description';

export interface GitLabIssueEvent extends Common {
  kind: 'issue';
  action: IssueAction;
  /** For `updated`: which of title and description changed (never empty then); empty otherwise. */
  changed: ChangedField[];
  id: number;
  iid: number;
  title: string;
  /** The description, Markdown kept. */
  text: string;
  url: string;
  state: string | null;
  confidential: boolean;
}

export type MergeRequestAction = 'opened' | 'merged' | 'closed' | 'reopened' | 'updated' | 'other';

export interface GitLabMergeRequestEvent extends Common {
  kind: 'merge_request';
  action: MergeRequestAction;
  /** GitLab's own action (`approved`, `unapproval`…), for `other`. */
  gitlabAction: string;
  changed: ChangedField[];
  id: number | null;
  iid: number;
  title: string;
  text: string;
  url: string;
  state: string | null;
  draft: boolean;
  sourceBranch: string | null;
  targetBranch: string | null;
}

export interface GitLabNoteable {
  type: 'issue' | 'merge_request';
  id: number | null;
  iid: number;
  title: string;
  url: string;
  state: string | null;
  confidential: boolean;
}

export interface GitLabNoteEvent extends Common {
  kind: 'note';
  action: 'create' | 'update';
  id: number;
  /** The comment, Markdown kept. */
  text: string;
  url: string;
  /** An internal (formerly "confidential") note, or one sent through the confidential note hook. */
  confidential: boolean;
  noteable: GitLabNoteable;
}

export interface GitLabFailedJob {
  name: string;
  stage: string | null;
  failureReason: string | null;
}

export interface GitLabPipelineEvent extends Common {
  kind: 'pipeline';
  /** Only failed pipelines are delivered (issue 11). */
  status: 'failed';
  id: number;
  iid: number | null;
  ref: string | null;
  tag: boolean;
  sha: string | null;
  url: string;
  /** Failed jobs that fail the pipeline (allowed failures left out), in GitLab's order. */
  failedJobs: GitLabFailedJob[];
  mergeRequest: { iid: number; title: string | null; url: string | null } | null;
}

export interface GitLabReleaseEvent extends Common {
  kind: 'release';
  action: 'create' | 'update' | 'delete';
  id: number;
  tag: string;
  name: string;
  /** The release notes, Markdown kept. */
  text: string;
  url: string;
}

export interface GitLabIgnored {
  kind: 'ignored';
  reason: string;
}

export type GitLabEvent = GitLabIssueEvent | GitLabMergeRequestEvent | GitLabNoteEvent | GitLabPipelineEvent | GitLabReleaseEvent | GitLabIgnored;
export type GitLabDeliverable = Exclude<GitLabEvent, GitLabIgnored>;

/** Parse and normalize in one step: `X-Gitlab-Event` as the cross-check when the request had one. */
export function normalizeGitLabWebhook(body: unknown, eventHeader?: string): ParseResult<GitLabEvent> {
  const parsed = parseGitLabWebhook(body, eventHeader);
  return parsed.ok ? toGitLabEvent(parsed.value) : parsed;
}

export function toGitLabEvent(payload: GitLabPayload): ParseResult<GitLabEvent> {
  switch (payload.kind) {
    case 'issue':
      return issueEvent(payload.hook, payload.confidentialHook);
    case 'merge_request':
      return mergeRequestEvent(payload.hook);
    case 'note':
      return noteEvent(payload.hook, payload.confidentialHook);
    case 'pipeline':
      return pipelineEvent(payload.hook);
    case 'release':
      return releaseEvent(payload.hook);
    case 'ignored':
      return ok(payload);
  }
}

/**
 * True when a logged-out visitor could not read the event: a confidential issue or note, a note on a
 * confidential issue, or anything in a project that is not public (or whose visibility is unknown).
 * Such events reach a channel only through a rule that names the project.
 */
export function isRestricted(event: GitLabEvent): boolean {
  if (event.kind === 'ignored') return true;
  if (event.project.visibility !== 'public') return true;
  if (event.kind === 'issue') return event.confidential;
  if (event.kind === 'note') return event.confidential || event.noteable.confidential;
  return false;
}

const ISSUE_ACTIONS: Record<string, IssueAction> = { open: 'opened', reopen: 'reopened', close: 'closed', update: 'updated' };

function issueEvent(hook: IssueHook, confidentialHook: boolean): ParseResult<GitLabEvent> {
  const a = hook.object_attributes;
  const action = a.action ? ISSUE_ACTIONS[a.action] : undefined;
  if (!action) return ok(skip(`issue action ${a.action ? `"${a.action}"` : 'missing'}`));
  const changed = changedFields(hook.changes);
  if (action === 'updated' && changed.length === 0) return ok(skip(`issue update that changes neither title nor description${changeList(hook.changes)}`));
  return ok({
    kind: 'issue',
    ...common(hook.project, hook.user, hook.labels ?? a.labels, a.updated_at ?? a.created_at),
    action,
    changed: action === 'updated' ? changed : [],
    id: a.id,
    iid: a.iid,
    title: a.title,
    text: plainText(a.description),
    url: a.url || `${trimSlash(hook.project.web_url)}/-/issues/${a.iid}`,
    state: a.state ?? null,
    // The confidential hook and `event_type: confidential_issue` both say so, even if a field is missing.
    confidential: a.confidential === true || confidentialHook || hook.event_type === 'confidential_issue',
  });
}

const MR_ACTIONS: Record<string, MergeRequestAction> = { open: 'opened', reopen: 'reopened', close: 'closed', merge: 'merged', update: 'updated' };

function mergeRequestEvent(hook: MergeRequestHook): ParseResult<GitLabEvent> {
  const a = hook.object_attributes;
  if (!a.action) return ok(skip('merge request event without an action'));
  const action = MR_ACTIONS[a.action] ?? 'other';
  const changed = changedFields(hook.changes);
  if (action === 'updated') {
    // Approvals reset on push and the like: GitLab acting on its own, nothing a person did.
    if (a.system === true) return ok(skip(`system-initiated merge request update${a.system_action ? ` (${a.system_action})` : ''}`));
    if (changed.length === 0) {
      const what = a.oldrev ? ': new commits' : changeList(hook.changes);
      return ok(skip(`merge request update that changes neither title nor description${what}`));
    }
  }
  // Checked only now: the partial bodies GitLab documents for updates have no project.
  const project = hook.project;
  if (!project) return { ok: false, error: `merge_request ${a.action}: missing "project"` };
  if (a.iid == null || a.title == null) return { ok: false, error: `merge_request ${a.action}: missing "object_attributes.${a.iid == null ? 'iid' : 'title'}"` };
  return ok({
    kind: 'merge_request',
    ...common(project, hook.user, hook.labels ?? a.labels, a.updated_at ?? a.created_at),
    action,
    gitlabAction: a.action,
    changed: action === 'updated' ? changed : [],
    id: a.id ?? null,
    iid: a.iid,
    title: a.title,
    text: plainText(a.description),
    url: a.url || `${trimSlash(project.web_url)}/-/merge_requests/${a.iid}`,
    state: a.state ?? null,
    draft: a.draft === true,
    sourceBranch: a.source_branch ?? null,
    targetBranch: a.target_branch ?? null,
  });
}

const NOTEABLE_TYPES: Record<string, { type: GitLabNoteable['type']; field: 'issue' | 'merge_request'; path: string }> = {
  Issue: { type: 'issue', field: 'issue', path: 'issues' },
  MergeRequest: { type: 'merge_request', field: 'merge_request', path: 'merge_requests' },
};

function noteEvent(hook: NoteHook, confidentialHook: boolean): ParseResult<GitLabEvent> {
  const a = hook.object_attributes;
  const on = NOTEABLE_TYPES[a.noteable_type];
  if (!on) return ok(skip(`comment on a ${a.noteable_type}, not on an issue or merge request`));
  // "changed the description", "closed" and the like: the state change itself is the event, not this.
  if (a.system === true) return ok(skip('system note'));
  // Before GitLab 16.11 note hooks had no action and fired only on creation.
  const action = a.action ?? 'create';
  if (action !== 'create' && action !== 'update') return ok(skip(`note action "${action}"`));
  const n: NoteablePayload | null | undefined = hook[on.field];
  if (!n) return { ok: false, error: `note (noteable_type ${a.noteable_type}): missing "${on.field}"` };
  const web = trimSlash(hook.project.web_url);
  const noteableUrl = n.url || (a.url ? a.url.replace(/#.*$/, '') : `${web}/-/${on.path}/${n.iid}`);
  return ok({
    kind: 'note',
    ...common(hook.project, hook.user, n.labels, a.updated_at ?? a.created_at),
    action,
    id: a.id,
    text: plainText(a.note),
    url: a.url || `${noteableUrl}#note_${a.id}`,
    // GitLab: "The event_type is set to confidential_note for confidential issues": treat as confidential too.
    confidential: a.internal === true || a.confidential === true || confidentialHook || hook.event_type === 'confidential_note',
    noteable: {
      type: on.type,
      id: n.id ?? a.noteable_id ?? null,
      iid: n.iid,
      title: n.title,
      url: noteableUrl,
      state: n.state ?? null,
      confidential: n.confidential === true,
    },
  });
}

function pipelineEvent(hook: PipelineHook): ParseResult<GitLabEvent> {
  const a = hook.object_attributes;
  if (a.status !== 'failed') return ok(skip(`pipeline ${a.status}: only failed pipelines are delivered`));
  const mr = hook.merge_request;
  return ok({
    kind: 'pipeline',
    ...common(hook.project, hook.user, undefined, a.finished_at ?? a.created_at),
    status: 'failed',
    id: a.id,
    iid: a.iid ?? null,
    ref: a.ref ?? null,
    tag: a.tag === true,
    sha: a.sha ?? null,
    url: a.url || `${trimSlash(hook.project.web_url)}/-/pipelines/${a.id}`,
    failedJobs: (hook.builds ?? [])
      .filter((b) => b.status === 'failed' && b.allow_failure !== true)
      .map((b) => ({ name: b.name || (b.id != null ? `job ${b.id}` : 'job'), stage: b.stage ?? null, failureReason: b.failure_reason ?? null })),
    mergeRequest: mr && mr.iid != null ? { iid: mr.iid, title: mr.title ?? null, url: mr.url ?? null } : null,
  });
}

const RELEASE_ACTIONS = new Set(['create', 'update', 'delete']);

function releaseEvent(hook: ReleaseHook): ParseResult<GitLabEvent> {
  const action = hook.action;
  if (!action || !RELEASE_ACTIONS.has(action)) return ok(skip(`release action ${action ? `"${action}"` : 'missing'}`));
  return ok({
    kind: 'release',
    ...common(hook.project, hook.user, undefined, hook.updated_at ?? hook.released_at ?? hook.created_at),
    action: action as GitLabReleaseEvent['action'],
    id: hook.id,
    tag: hook.tag,
    name: hook.name || hook.tag,
    text: plainText(hook.description),
    url: hook.url || `${trimSlash(hook.project.web_url)}/-/releases/${encodeURIComponent(hook.tag)}`,
  });
}

function common(project: ProjectPayload, user: UserPayload | null | undefined, labels: string[] | undefined, time: string | null | undefined): Common {
  return {
    source: 'gitlab',
    project: toProject(project),
    author: user?.username ? { username: user.username, name: user.name || null } : null,
    labels: labels ?? [],
    updatedAt: time ? gitlabTime(time) : null,
  };
}

const VISIBILITY: Record<number, GitLabVisibility> = { 0: 'private', 10: 'internal', 20: 'public' };

export function toProject(p: ProjectPayload): GitLabProject {
  const path = p.path_with_namespace.trim().replace(/^\/+|\/+$/g, '');
  return {
    id: p.id,
    path,
    name: p.name ?? null,
    webUrl: trimSlash(p.web_url),
    visibility: p.visibility_level != null ? (VISIBILITY[p.visibility_level] ?? null) : null,
    namespaces: namespaceChain(path.split('/').slice(0, -1).join('/')),
  };
}

/** The fields named in `changes`, for messages: ` (changed: labels, updated_at)`. */
function changeList(changes: Record<string, unknown> | null | undefined): string {
  const keys = changes ? Object.keys(changes) : [];
  return keys.length ? ` (changed: ${keys.join(', ')})` : '';
}

function changedFields(changes: Record<string, unknown> | null | undefined): ChangedField[] {
  if (!changes) return [];
  return (['title', 'description'] as const).filter((f) => isPlainObject(changes[f]) || Array.isArray(changes[f]));
}

function skip(reason: string): GitLabIgnored {
  return { kind: 'ignored', reason };
}

function ok<T>(value: T): ParseResult<T> {
  return { ok: true, value };
}

function trimSlash(url: string): string {
  return url.trim().replace(/\/+$/, '');
}

/**
 * A description or note as text: Markdown kept, but HTML comments dropped (issue templates are full of them
 * and GitLab does not show them), line endings unified, runs of blank lines shortened.
 */
export function plainText(markdown: string | null | undefined): string {
  if (!markdown) return '';
  return markdown
    .replace(/\r\n?/g, '\n')
    .replace(/<!--[\s\S]*?-->/g, '')
    .replace(/[ \t]+\n/g, '\n')
    .replace(/\n{3,}/g, '\n\n')
    .trim();
}

// `2015-05-17 18:08:09 UTC`, `2021-04-28 21:50:00 +0200`: Ruby's Time#to_s, which GitLab still uses in places.
const RUBY_TIME = /^(\d{4}-\d{2}-\d{2})[ T](\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?)\s*(UTC|GMT|Z|[+-]\d{2}:?\d{2})?$/i;

/**
 * Any of GitLab's timestamp formats as ISO-8601 UTC (`2015-05-17T18:08:09.000Z`), or null. Also reads GitLab's
 * documented typo `2015-04-08T21: 00:25-07:00`. A time without a zone is taken as UTC, GitLab's default.
 */
export function gitlabTime(value: string): string | null {
  const s = value.trim().replace(/(\d):\s+(?=\d)/g, '$1:');
  if (s === '') return null;
  let dt = DateTime.fromISO(s, { setZone: true, zone: 'utc' });
  if (!dt.isValid) {
    const m = RUBY_TIME.exec(s);
    if (m) {
      const zone = !m[3] || /^(utc|gmt|z)$/i.test(m[3]) ? 'Z' : m[3].replace(/^([+-]\d{2})(\d{2})$/, '$1:$2');
      dt = DateTime.fromISO(`${m[1]}T${m[2]}${zone}`, { setZone: true });
    }
  }
  return dt.isValid ? dt.toUTC().toISO() : null;
}
