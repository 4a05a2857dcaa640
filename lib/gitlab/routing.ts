// What one GitLab webhook means for the chat rooms: the single decision that the ingest job
// (jobs/ingest-gitlab.ts) carries out and `parley route --source gitlab` explains, as planPost (lib/routing.ts) is
// for forum posts. Everything it needs is in the body (project path, visibility, labels), so it reads only the
// rules and the channels; the caller performs the plan or describes it.
import type { MatchInput } from '../events.js';
import { neutralizeMassMentions, shorten, type Notification } from '../notification.js';
import { planChannels, type PlannedChannel, type RoutingDeps } from '../routing.js';
import { scopeKey, type Scope } from '../rules.js';
import { isRestricted, toGitLabEvent, type GitLabDeliverable, type GitLabIssueEvent, type GitLabMergeRequestEvent, type GitLabNoteEvent } from './normalize.js';
import { isPlainObject, parseGitLabWebhook, type GitLabPayload } from './payloads.js';

/** A GitLab webhook as received. */
export interface GitLabWebhook {
  /** X-Gitlab-Event; null when unknown (a body saved to a file). */
  event: string | null;
  /** The delivery key (deliveryKey in signature.ts): keys a state change whose body carries no time. */
  eventId: string;
  body: unknown;
}

export type GitLabRoutingDeps = Pick<RoutingDeps, 'store' | 'rules' | 'platforms' | 'delivery'>;

export type GitLabPlan =
  /** The body claims a kind Parley reads but does not have its shape. */
  | { action: 'invalid'; reason: string }
  /** Nothing to do: a kind or action that is not announced, or something never announced (confidential). */
  | { action: 'ignore'; reason: string; event: GitLabDeliverable | null }
  /** The announcement of `subject` is taken back: a release deleted (`deleted`), an issue made confidential. */
  | { action: 'withdraw'; subject: string; deleted: boolean; reason: string; event: GitLabDeliverable | null }
  /** An edit (title or description, a comment, a release): announcements waiting go out with it, sent ones are edited. */
  | { action: 'update'; subject: string; notification: Notification; event: GitLabDeliverable }
  /** One delivery per channel not skipped; empty when nothing matches. */
  | { action: 'deliver'; event: GitLabDeliverable; notification: Notification; opens: boolean; input: MatchInput; channels: PlannedChannel[] };

export const issueSubject = (projectId: number, iid: number): string => `gitlab:issue:${projectId}:${iid}`;
export const mergeRequestSubject = (projectId: number, iid: number): string => `gitlab:merge_request:${projectId}:${iid}`;
export const noteSubject = (noteId: number): string => `gitlab:note:${noteId}`;
export const pipelineSubject = (pipelineId: number): string => `gitlab:pipeline:${pipelineId}`;
export const releaseSubject = (projectId: number, tag: string): string => `gitlab:release:${projectId}:${tag}`;

/** Why an event is never announced anywhere, or null. Confidential content stays in GitLab (issue 11). */
export function hiddenReason(event: GitLabDeliverable): string | null {
  if (event.kind === 'issue' && event.confidential) return 'a confidential issue is never announced';
  if (event.kind === 'note' && event.confidential) return 'an internal (confidential) comment is never announced';
  if (event.kind === 'note' && event.noteable.confidential) return 'a comment on a confidential issue is never announced';
  return null;
}

/**
 * What matching reads of a GitLab event: the project names it; the groups above it and its labels cover it.
 * Not public (or visibility unknown) is restricted: only a rule naming the project delivers it.
 */
export function gitlabMatchInput(event: GitLabDeliverable, opens: boolean): MatchInput {
  const key = (scope: Scope) => scopeKey('gitlab', scope);
  return {
    source: 'gitlab',
    named: [key({ type: 'project', path: event.project.path.toLowerCase() })],
    covering: [
      ...new Set([
        ...event.project.namespaces.map((g) => key({ type: 'group', path: g.toLowerCase() })),
        ...event.labels.map((l) => key({ type: 'label', name: l.toLowerCase() })),
      ]),
    ],
    restricted: isRestricted(event),
    hidden: hiddenReason(event) !== null,
    opens,
  };
}

/** What a notification says, before the parts every GitLab notification shares. */
interface Said {
  kind: Notification['kind'];
  title: string;
  url: string;
  text: string;
  subject: string;
  thread: string;
}

function notification(event: GitLabDeliverable, said: Said, deps: GitLabRoutingDeps): Notification {
  const a = event.author;
  return {
    kind: said.kind,
    title: neutralizeMassMentions(said.title),
    url: said.url,
    author: neutralizeMassMentions(a ? (a.name ? `${a.name} (@${a.username})` : a.username) : 'GitLab'),
    category: { name: neutralizeMassMentions(event.project.path), path: event.project.path, color: null },
    tags: event.labels.map(neutralizeMassMentions),
    excerpt: neutralizeMassMentions(shorten(said.text, deps.delivery.excerptLength)),
    subject: said.subject,
    thread: said.thread,
  };
}

/** `#12` for an issue, `!3` for a merge request, as GitLab writes references. */
const ref = (type: 'issue' | 'merge_request', iid: number): string => `${type === 'issue' ? '#' : '!'}${iid}`;

function threadOf(event: GitLabIssueEvent | GitLabMergeRequestEvent): string {
  return event.kind === 'issue' ? issueSubject(event.project.id, event.iid) : mergeRequestSubject(event.project.id, event.iid);
}

/** The announcement of an issue or merge request (and what its title or description edits become). */
function opening(event: GitLabIssueEvent | GitLabMergeRequestEvent, deps: GitLabRoutingDeps): Notification {
  const subject = threadOf(event);
  return notification(event, { kind: 'new_topic', title: `${ref(event.kind, event.iid)} ${event.title}`, url: event.url, text: event.text, subject, thread: subject }, deps);
}

/**
 * Closed, reopened, merged: its own message in the thread of the issue or merge request. Keyed by the time of the
 * change (else the delivery), so that closing twice is told twice but one change sent by two hooks is told once.
 */
function stateChange(event: GitLabIssueEvent | GitLabMergeRequestEvent, data: GitLabWebhook, deps: GitLabRoutingDeps): Notification {
  const thread = threadOf(event);
  const what = event.kind === 'issue' ? 'Issue' : 'Merge request';
  return notification(
    event,
    {
      kind: 'reply',
      title: `${what} ${ref(event.kind, event.iid)} ${event.action}: ${event.title}`,
      url: event.url,
      text: '',
      subject: `${thread}:${event.action}:${event.updatedAt ?? data.eventId}`,
      thread,
    },
    deps,
  );
}

function comment(event: GitLabNoteEvent, deps: GitLabRoutingDeps): Notification {
  const n = event.noteable;
  const thread = n.type === 'issue' ? issueSubject(event.project.id, n.iid) : mergeRequestSubject(event.project.id, n.iid);
  return notification(event, { kind: 'reply', title: `${ref(n.type, n.iid)} ${n.title}`, url: event.url, text: event.text, subject: noteSubject(event.id), thread }, deps);
}

/** An issue update whose `changes` make it confidential: its announcement is taken back. */
function madeConfidential(payload: GitLabPayload): { subject: string } | null {
  if (payload.kind !== 'issue') return null;
  const change = payload.hook.changes?.confidential;
  if (!isPlainObject(change) || change.current !== true) return null;
  return { subject: issueSubject(payload.hook.project.id, payload.hook.object_attributes.iid) };
}

/** The one decision for a GitLab webhook. */
export async function planGitLabEvent(data: GitLabWebhook, deps: GitLabRoutingDeps): Promise<GitLabPlan> {
  const parsed = parseGitLabWebhook(data.body, data.event ?? undefined);
  if (!parsed.ok) return { action: 'invalid', reason: parsed.error };
  const normalized = toGitLabEvent(parsed.value);
  if (!normalized.ok) return { action: 'invalid', reason: normalized.error };
  const event = normalized.value;
  const hidden = madeConfidential(parsed.value);
  if (hidden) {
    return { action: 'withdraw', subject: hidden.subject, deleted: false, reason: 'the issue was made confidential', event: event.kind === 'ignored' ? null : event };
  }
  if (event.kind === 'ignored') return { action: 'ignore', reason: event.reason, event: null };
  const never = hiddenReason(event);
  if (never) return { action: 'ignore', reason: never, event };

  const deliver = async (n: Notification, opens: boolean): Promise<GitLabPlan> => {
    const input = gitlabMatchInput(event, opens);
    return { action: 'deliver', event, notification: n, opens, input, channels: await planChannels(input, n.thread, deps) };
  };
  const update = (n: Notification): GitLabPlan => ({ action: 'update', subject: n.subject, notification: n, event });

  switch (event.kind) {
    case 'issue':
      if (event.action === 'updated') return update(opening(event, deps));
      return event.action === 'opened' ? deliver(opening(event, deps), true) : deliver(stateChange(event, data, deps), false);
    case 'merge_request':
      switch (event.action) {
        case 'opened':
          return deliver(opening(event, deps), true);
        case 'merged':
        case 'closed':
          return deliver(stateChange(event, data, deps), false);
        case 'updated':
          // A new title or description edits the announcement, as for issues; nothing new is announced.
          return update(opening(event, deps));
        default:
          return { action: 'ignore', reason: `merge request action "${event.gitlabAction}" is not announced`, event };
      }
    case 'note':
      return event.action === 'update' ? update(comment(event, deps)) : deliver(comment(event, deps), false);
    case 'pipeline': {
      const subject = pipelineSubject(event.id);
      const jobs = event.failedJobs.map((j) => `${j.name}${j.stage ? ` (${j.stage})` : ''}${j.failureReason ? `: ${j.failureReason.replace(/_/g, ' ')}` : ''}`);
      const mr = event.mergeRequest ? `Merge request !${event.mergeRequest.iid}${event.mergeRequest.title ? ` ${event.mergeRequest.title}` : ''}. ` : '';
      const text = `${mr}${jobs.length > 0 ? `Failed: ${jobs.join(', ')}` : ''}`;
      const title = `Pipeline #${event.id} failed${event.ref ? ` on ${event.ref}` : ''}`;
      return deliver(notification(event, { kind: 'new_topic', title, url: event.url, text, subject, thread: subject }, deps), true);
    }
    case 'release': {
      const subject = releaseSubject(event.project.id, event.tag);
      if (event.action === 'delete') return { action: 'withdraw', subject, deleted: true, reason: 'release deleted', event };
      const n = notification(event, { kind: 'new_topic', title: `Release ${event.name}`, url: event.url, text: event.text, subject, thread: subject }, deps);
      return event.action === 'update' ? update(n) : deliver(n, true);
    }
  }
}
