// `/topic …`: checks who asks and what they ask for, answers at once, and queues the transcript job
// (jobs/transcript.ts) that collects, renders and posts: a forum topic, or a GitLab issue (`to:gitlab`). Every
// refusal says why and what would allow it.
import { randomUUID } from 'node:crypto';
import { nearestPaths } from '../category-hints.js';
import { projectHints } from '../gitlab-hints.js';
import type { CommandContext, CommandDeps, TopicCommandDeps, TopicGitLabDeps } from '../context.js';
import { forumAdminOnce } from '../permissions.js';
import { ephemeral } from '../reply.js';
import type { CommandInvocation, CommandReply } from '../../lib/seams/invocation.js';
import type { ChannelRecord, Store } from '../../lib/seams/store.js';
import { discourseSource } from '../../lib/discourse/source.js';
import { DEFAULT_RANGE, isTopicFailure, parseTargetSetting, parseTopicCommand, type TopicCommand } from './grammar.js';
import type { TranscriptJob, TranscriptTarget } from '../../lib/seams/jobs.js';
import { ForumRateLimitedError, ForumRequestError, ForumUnavailableError } from '../../lib/errors.js';
import { resolveRange, type ResolvedRange } from './time-range.js';
import { transcriptText } from '../../lib/transcript/messages.js';
import { commandPrefix } from '../messages.js';


type Allowed = { ok: true; forumUsername: string } | { ok: false; message: string };

/** Which forum groups may post transcripts, and where that comes from: the admin API, else PARLEY_TRANSCRIPT_GROUPS. */
export interface TranscriptPolicy {
  groups: string[];
  from: 'admin' | 'environment';
}

/** The transcript policy now: what an admin set (store.settings), read at each /topic, else the environment's groups. */
export async function transcriptPolicy(store: Pick<Store, 'settings'>, environmentGroups: readonly string[]): Promise<TranscriptPolicy> {
  const set = await store.settings.get('transcriptGroups');
  return set ? { groups: set.value, from: 'admin' } : { groups: [...environmentGroups], from: 'environment' };
}

/**
 * docs/commands.md#who-may-post-transcripts: the chat user must map to a forum user who is a forum admin or a member of one of
 * the transcript groups (transcriptPolicy). The mapping is an identity set by admins, or the same username when allowed.
 */
export async function mayPostTranscripts(
  invocation: CommandInvocation,
  deps: CommandDeps,
  t: Pick<TopicCommandDeps, 'settings'> & { forumUser: NonNullable<TopicCommandDeps['forumUser']> },
): Promise<Allowed> {
  const identity = await deps.store.identities.get(invocation.platform, invocation.user.id, 'discourse');
  const username = identity?.username ?? (t.settings.sameUsername && invocation.user.username ? invocation.user.username : null);
  const chatUser = `${invocation.platform}:${invocation.user.id}`;
  if (!username) return { ok: false, message: transcriptText.notLinked(chatUser, t.settings.sameUsername) };
  const user = await t.forumUser(username);
  if (user === undefined) return { ok: false, message: transcriptText.forumUnknown(username) };
  if (user === null) return { ok: false, message: transcriptText.noForumUser(username, chatUser, identity !== undefined) };
  const policy = await transcriptPolicy(deps.store, t.settings.groups);
  const groups = new Set(policy.groups.map((g) => g.toLowerCase()));
  if (user.admin || user.groups.some((g) => groups.has(g.toLowerCase()))) return { ok: true, forumUsername: user.username };
  return { ok: false, message: transcriptText.notAllowed(user.username, policy.groups) };
}

/** The job for a checked /topic request (the chat handler and `parley transcript` make it alike). */
export function transcriptJob(r: {
  invocation: CommandInvocation;
  channelId: number;
  target: TranscriptTarget;
  command: TopicCommand;
  range: ResolvedRange;
  zone: string;
  now: Date;
}): TranscriptJob {
  return {
    transcriptId: `transcript-${randomUUID()}`,
    invocation: r.invocation,
    channelId: r.channelId,
    target: r.target,
    range: r.range.kind === 'between' ? { kind: 'between', from: r.range.from.toISOString(), to: r.range.to.toISOString() } : r.range,
    ignore: r.command.ignore,
    title: r.command.title,
    preview: r.command.preview,
    zone: r.zone,
    requestedAt: r.now.toISOString(),
  };
}

export async function topic(invocation: CommandInvocation, deps: CommandDeps, channel: ChannelRecord): Promise<CommandReply> {
  const cmd = commandPrefix(deps.platforms(invocation.platform), 'topic');
  const t = deps.transcripts;
  if (!t) return ephemeral(transcriptText.notSetUp(cmd));
  if (channel.status === 'pending') return ephemeral(transcriptText.pending(channel.platform, channel.externalId));

  const zone = invocation.timezone ?? channel.settings.timezone ?? t.timezone;
  // `parley channels add --transcript-target` checks the form; one that is not a target is ignored here.
  const defaultTarget = parseTargetSetting(channel.settings.transcriptTarget);
  const parsed = parseTopicCommand(invocation.args, { cmd, maxMessages: t.settings.maxMessages, zone, defaultTarget });
  if (isTopicFailure(parsed)) return ephemeral(parsed.message);
  const now = new Date();
  const range = resolveRange(parsed.range, { now, zone });
  if ('message' in range) return ephemeral(range.message);

  if (parsed.target.kind === 'gitlab') {
    if (!t.gitlab) return ephemeral(transcriptText.gitlabNotSetUp());
    const allowed = await mayFileIssues(invocation, deps, t.gitlab, parsed.target.project);
    if (!allowed.ok) return ephemeral(allowed.message);
    const target: TranscriptTarget = { kind: 'gitlab', project: allowed.project, labels: parsed.tags, username: allowed.username, sudo: t.gitlab.sudo };
    await t.enqueue(transcriptJob({ invocation, channelId: channel.id, target, command: parsed, range, zone, now }));
    return ephemeral(transcriptText.collecting(range, zone, false, DEFAULT_RANGE, allowed.project));
  }

  const forumUser = t.forumUser;
  if (!forumUser) return ephemeral(transcriptText.forumNotSetUp(cmd));
  const allowed = await mayPostTranscripts(invocation, deps, { settings: t.settings, forumUser });
  if (!allowed.ok) return ephemeral(allowed.message);

  const categoryPath = parsed.category ?? channel.settings.defaultCategory ?? null;
  let categoryId: number | null = null;
  if (categoryPath) {
    const category = await deps.categories.findByPath(categoryPath);
    if (!category) {
      const ctx: CommandContext = { source: discourseSource, invocation, deps, channel, cmd, profile: deps.platforms(invocation.platform), actor: `${invocation.platform}:${invocation.user.id}`, forumAdmin: forumAdminOnce(invocation, deps) };
      const known = await deps.categories.paths();
      return ephemeral(transcriptText.unknownCategory(categoryPath, await nearestPaths(ctx, categoryPath.toLowerCase(), known)));
    }
    categoryId = category.id;
  }

  const target: TranscriptTarget = { kind: 'forum', username: allowed.forumUsername, categoryId, tags: parsed.tags };
  await t.enqueue(transcriptJob({ invocation, channelId: channel.id, target, command: parsed, range, zone, now }));
  return ephemeral(transcriptText.collecting(range, zone, parsed.preview, DEFAULT_RANGE));
}

type IssueAllowed = { ok: true; username: string; project: string } | { ok: false; message: string };

/**
 * docs/commands.md#who-may-post-transcripts, for GitLab: the chat user maps to a GitLab user (an identity at the
 * source `gitlab`, set by admins; no same-username guess, since with Sudo the issue is created as that user) who has
 * at least PARLEY_GITLAB_TRANSCRIPT_MIN_ACCESS (default Developer) to a project that exists.
 */
export async function mayFileIssues(invocation: CommandInvocation, deps: CommandDeps, gitlab: TopicGitLabDeps, path: string): Promise<IssueAllowed> {
  const chatUser = `${invocation.platform}:${invocation.user.id}`;
  const identity = await deps.store.identities.get(invocation.platform, invocation.user.id, 'gitlab');
  if (!identity) return { ok: false, message: transcriptText.gitlabNotLinked(chatUser) };
  const username = identity.username;
  try {
    const project = await gitlab.client.project(path);
    if (!project) return { ok: false, message: transcriptText.gitlabUnknownProject(path, await projectHints(gitlab.client, path, username)) };
    const level = await gitlab.client.accessLevel(project.pathWithNamespace, username);
    if (level < gitlab.minAccess) return { ok: false, message: transcriptText.gitlabNoAccess(username, project.pathWithNamespace, level, gitlab.minAccess) };
    return { ok: true, username, project: project.pathWithNamespace };
  } catch (err) {
    if (err instanceof ForumUnavailableError || err instanceof ForumRateLimitedError || err instanceof ForumRequestError) {
      deps.log.warn({ err: err.message }, 'gitlab could not be asked about a transcript');
      return { ok: false, message: transcriptText.gitlabUnavailable(err.message) };
    }
    throw err;
  }
}

