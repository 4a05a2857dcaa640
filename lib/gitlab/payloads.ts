// Lenient schemas for the GitLab webhook bodies Parley reads: issue (and work items of type Issue),
// merge_request, note, pipeline, release. GitLab adds fields in most releases and deprecates others
// (`assignee`, `repository`): only what Parley cannot do without is required, unknown fields pass through,
// and a wrong type in an optional field reads as absent. Every other `object_kind` is "ignored", not an error.
import { z } from 'zod';
import { describe, integer, isPlainObject, optBool, optInt, optStr, type ParseResult } from '../lenient-schema.js';

export { isPlainObject } from '../lenient-schema.js';
export type { ParseResult } from '../lenient-schema.js';

const text = z.string({ error: (issue) => `expected a string, got ${describe(issue.input)}` });


/** Label titles from a list of `{title}` objects (or plain names); undefined when the field is not a list. */
export function labelTitles(value: unknown): string[] | undefined {
  if (!Array.isArray(value)) return undefined;
  const titles: string[] = [];
  for (const label of value) {
    const title = typeof label === 'string' ? label : isPlainObject(label) ? label.title : undefined;
    if (typeof title === 'string' && title.trim() !== '') titles.push(title.trim());
  }
  return titles;
}
const labels = z.unknown().optional().transform(labelTitles);

/** `changes`: only which fields changed matters here; the values are kept as GitLab sent them. */
const changes = z.record(z.string(), z.unknown()).nullish().catch(undefined);

export const userSchema = z.looseObject({ id: optInt, username: optStr, name: optStr });
export type UserPayload = z.output<typeof userSchema>;
// A missing or broken `user` must not cost the event: the author then reads as unknown.
const user = userSchema.nullish().catch(undefined);

export const projectSchema = z.looseObject({
  id: integer,
  path_with_namespace: text,
  web_url: text,
  name: optStr,
  namespace: optStr,
  visibility_level: optInt,
});
export type ProjectPayload = z.output<typeof projectSchema>;

export const issueAttributesSchema = z.looseObject({
  id: integer,
  iid: integer,
  title: text,
  description: optStr,
  url: optStr,
  state: optStr,
  action: optStr,
  confidential: optBool,
  type: optStr,
  created_at: optStr,
  updated_at: optStr,
  labels,
});

export const issueHookSchema = z.looseObject({
  object_kind: text,
  event_type: optStr,
  user,
  project: projectSchema,
  object_attributes: issueAttributesSchema,
  labels,
  changes,
});
export type IssueHook = z.output<typeof issueHookSchema>;

// Every attribute is optional: GitLab documents partial merge request bodies (update events showing only
// `action`, `oldrev`, `system_action` or `changes.reviewers`), and those are sorted out by action before
// anything else is needed. normalize.ts asks for the project, iid and title of the ones it delivers.
export const mergeRequestAttributesSchema = z.looseObject({
  id: optInt,
  iid: optInt,
  title: optStr,
  description: optStr,
  url: optStr,
  state: optStr,
  action: optStr,
  system: optBool,
  system_action: optStr,
  oldrev: optStr,
  draft: optBool,
  source_branch: optStr,
  target_branch: optStr,
  created_at: optStr,
  updated_at: optStr,
  labels,
});

export const mergeRequestHookSchema = z.looseObject({
  object_kind: text,
  event_type: optStr,
  user,
  project: projectSchema.optional(),
  object_attributes: mergeRequestAttributesSchema,
  labels,
  changes,
});
export type MergeRequestHook = z.output<typeof mergeRequestHookSchema>;

/** The issue or merge request a note is on, as the note hook embeds it (no `url` in older GitLab). */
export const noteableSchema = z.looseObject({
  id: optInt,
  iid: integer,
  title: text,
  description: optStr,
  url: optStr,
  state: optStr,
  confidential: optBool,
  labels,
});
export type NoteablePayload = z.output<typeof noteableSchema>;

export const noteAttributesSchema = z.looseObject({
  id: integer,
  note: text,
  noteable_type: text,
  noteable_id: optInt,
  action: optStr,
  system: optBool,
  // `internal` is today's name of what GitLab called confidential notes; both are read.
  internal: optBool,
  confidential: optBool,
  url: optStr,
  created_at: optStr,
  updated_at: optStr,
});

export const noteHookSchema = z.looseObject({
  object_kind: text,
  event_type: optStr,
  user,
  project: projectSchema,
  object_attributes: noteAttributesSchema,
  issue: noteableSchema.nullish(),
  merge_request: noteableSchema.nullish(),
});
export type NoteHook = z.output<typeof noteHookSchema>;

export const pipelineJobSchema = z.looseObject({
  id: optInt,
  name: optStr,
  stage: optStr,
  status: optStr,
  failure_reason: optStr,
  allow_failure: optBool,
});

export const pipelineHookSchema = z.looseObject({
  object_kind: text,
  user,
  project: projectSchema,
  object_attributes: z.looseObject({
    id: integer,
    iid: optInt,
    name: optStr,
    ref: optStr,
    tag: optBool,
    sha: optStr,
    status: text,
    source: optStr,
    url: optStr,
    created_at: optStr,
    finished_at: optStr,
  }),
  merge_request: z.looseObject({ id: optInt, iid: optInt, title: optStr, url: optStr }).nullish().catch(undefined),
  // Older GitLab and big pipelines may send no jobs; a malformed job list costs the list, not the event.
  builds: z.array(pipelineJobSchema).nullish().catch(undefined),
});
export type PipelineHook = z.output<typeof pipelineHookSchema>;

// The release hook has no `object_attributes` and no `user`: the release's fields are at the top.
export const releaseHookSchema = z.looseObject({
  object_kind: text,
  id: integer,
  tag: text,
  name: optStr,
  description: optStr,
  url: optStr,
  action: optStr,
  created_at: optStr,
  released_at: optStr,
  updated_at: optStr,
  user,
  project: projectSchema,
});
export type ReleaseHook = z.output<typeof releaseHookSchema>;

/** A body sorted by kind: one of the five Parley reads, or ignored with the reason. */
export type GitLabPayload =
  | { kind: 'issue'; hook: IssueHook; confidentialHook: boolean }
  | { kind: 'merge_request'; hook: MergeRequestHook }
  | { kind: 'note'; hook: NoteHook; confidentialHook: boolean }
  | { kind: 'pipeline'; hook: PipelineHook }
  | { kind: 'release'; hook: ReleaseHook }
  | { kind: 'ignored'; reason: string };

/**
 * `X-Gitlab-Event` values (GitLab: `hook_name.to_s.singularize.titleize`) and the `object_kind` each carries.
 * Used only as a cross-check: a header not listed here (a newer hook) is not held against the body.
 */
export const HOOK_OBJECT_KINDS: Readonly<Record<string, readonly string[]>> = {
  'Issue Hook': ['issue', 'work_item'],
  'Confidential Issue Hook': ['issue', 'work_item'],
  'Note Hook': ['note'],
  'Confidential Note Hook': ['note'],
  'Merge Request Hook': ['merge_request'],
  'Pipeline Hook': ['pipeline'],
  'Release Hook': ['release'],
  'Push Hook': ['push'],
  'Tag Push Hook': ['tag_push'],
  'Job Hook': ['build'],
  'Deployment Hook': ['deployment'],
  'Wiki Page Hook': ['wiki_page'],
  'Feature Flag Hook': ['feature_flag'],
  'Milestone Hook': ['milestone'],
};

/**
 * Sorts and validates a webhook body. `eventHeader` is `X-Gitlab-Event` when there is one (a file replayed
 * by `parley route` has none). Errors are for bodies that claim a kind Parley reads and do not have its shape.
 */
export function parseGitLabWebhook(body: unknown, eventHeader?: string): ParseResult<GitLabPayload> {
  try {
    if (!isPlainObject(body)) return { ok: false, error: `expected a JSON object, got ${describe(body)}` };
    const header = eventHeader?.trim() || undefined;
    // System hooks are instance-wide and shaped differently; Parley takes project and group webhooks.
    if (header === 'System Hook') return ignored('a system hook: Parley takes project and group webhooks');
    const kind = body.object_kind;
    if (typeof kind !== 'string' || kind.trim() === '') {
      return { ok: false, error: `missing "object_kind"${header ? ` (X-Gitlab-Event: ${header})` : ''}` };
    }
    const expected = header ? HOOK_OBJECT_KINDS[header] : undefined;
    if (expected && !expected.includes(kind)) {
      return { ok: false, error: `X-Gitlab-Event "${header}" does not match object_kind "${kind}"` };
    }
    const confidentialHook = header?.startsWith('Confidential ') ?? false;
    switch (kind) {
      case 'issue':
        return shaped(body, issueHookSchema, (hook) => ({ kind: 'issue', hook, confidentialHook }));
      case 'work_item': {
        // Issues are also work items; other work item types (tasks, epics, objectives…) are not Parley's.
        const attrs = body.object_attributes;
        const type = isPlainObject(attrs) ? attrs.type : undefined;
        if (type !== 'Issue') return ignored(`a work item of type ${typeof type === 'string' ? `"${type}"` : 'unknown'}, not an issue`);
        return shaped(body, issueHookSchema, (hook) => ({ kind: 'issue', hook, confidentialHook }));
      }
      case 'merge_request':
        return shaped(body, mergeRequestHookSchema, (hook) => ({ kind: 'merge_request', hook }));
      case 'note':
        return shaped(body, noteHookSchema, (hook) => ({ kind: 'note', hook, confidentialHook }));
      case 'pipeline':
        return shaped(body, pipelineHookSchema, (hook) => ({ kind: 'pipeline', hook }));
      case 'release':
        return shaped(body, releaseHookSchema, (hook) => ({ kind: 'release', hook }));
      default:
        return ignored(`object_kind "${kind}" is not an event Parley delivers`);
    }
  } catch (err) {
    // Schemas do not throw on JSON, but a parse must never take the caller down.
    return { ok: false, error: `unreadable GitLab payload: ${(err as Error).message}` };
  }
}

function ignored(reason: string): ParseResult<GitLabPayload> {
  return { ok: true, value: { kind: 'ignored', reason } };
}

function shaped<S extends z.ZodType>(body: Record<string, unknown>, schema: S, wrap: (hook: z.output<S>) => GitLabPayload): ParseResult<GitLabPayload> {
  const parsed = schema.safeParse(body);
  if (parsed.success) return { ok: true, value: wrap(parsed.data) };
  const problems = parsed.error.issues.slice(0, 3).map((i) => `${i.path.map(String).join('.') || '(body)'}: ${i.message}`);
  return { ok: false, error: `${String(body.object_kind)}: ${problems.join('; ')}` };
}

