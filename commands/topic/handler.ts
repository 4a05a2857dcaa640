// `/topic …`: checks who asks and what they ask for, answers at once, and queues the transcript job
// (jobs/transcript.ts) that collects, renders and posts. Every refusal says why and what would allow it.
import { randomUUID } from 'node:crypto';
import { nearestPaths } from '../category-hints.js';
import type { CommandContext, CommandDeps, TopicCommandDeps } from '../context.js';
import { forumAdminOnce } from '../permissions.js';
import { ephemeral } from '../reply.js';
import type { CommandInvocation, CommandReply } from '../../lib/seams/invocation.js';
import type { ChannelRecord } from '../../lib/seams/store.js';
import { DEFAULT_RANGE, isTopicFailure, parseTopicCommand, type TopicCommand } from './grammar.js';
import type { TranscriptJob } from '../../lib/seams/jobs.js';
import { resolveRange, type ResolvedRange } from './time-range.js';
import { transcriptText } from '../../lib/transcript/messages.js';
import { commandPrefix } from '../messages.js';


type Allowed = { ok: true; forumUsername: string } | { ok: false; message: string };

/**
 * docs/commands.md#who-may-post-transcripts: the chat user must map to a forum user who is a forum admin or a member of one of
 * PARLEY_TRANSCRIPT_GROUPS. The mapping is an identity set by admins, or the same username when allowed.
 */
export async function mayPostTranscripts(invocation: CommandInvocation, deps: CommandDeps, t: TopicCommandDeps): Promise<Allowed> {
  const identity = await deps.store.identities.get(invocation.platform, invocation.user.id);
  const username = identity?.forumUsername ?? (t.settings.sameUsername && invocation.user.username ? invocation.user.username : null);
  const chatUser = `${invocation.platform}:${invocation.user.id}`;
  if (!username) return { ok: false, message: transcriptText.notLinked(chatUser, t.settings.sameUsername) };
  const user = await t.forumUser(username);
  if (user === undefined) return { ok: false, message: transcriptText.forumUnknown(username) };
  if (user === null) return { ok: false, message: transcriptText.noForumUser(username, chatUser, identity !== undefined) };
  const groups = new Set(t.settings.groups.map((g) => g.toLowerCase()));
  if (user.admin || user.groups.some((g) => groups.has(g.toLowerCase()))) return { ok: true, forumUsername: user.username };
  return { ok: false, message: transcriptText.notAllowed(user.username, t.settings.groups) };
}

/** The job for a checked /topic request (the chat handler and `parley transcript` make it alike). */
export function transcriptJob(r: {
  invocation: CommandInvocation;
  channelId: number;
  forumUsername: string;
  command: TopicCommand;
  range: ResolvedRange;
  categoryId: number | null;
  zone: string;
  now: Date;
}): TranscriptJob {
  return {
    transcriptId: `transcript-${randomUUID()}`,
    invocation: r.invocation,
    channelId: r.channelId,
    forumUsername: r.forumUsername,
    range: r.range.kind === 'between' ? { kind: 'between', from: r.range.from.toISOString(), to: r.range.to.toISOString() } : r.range,
    categoryId: r.categoryId,
    tags: r.command.tags,
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
  const parsed = parseTopicCommand(invocation.args, { cmd, maxMessages: t.settings.maxMessages, zone });
  if (isTopicFailure(parsed)) return ephemeral(parsed.message);
  const now = new Date();
  const range = resolveRange(parsed.range, { now, zone });
  if ('message' in range) return ephemeral(range.message);

  const allowed = await mayPostTranscripts(invocation, deps, t);
  if (!allowed.ok) return ephemeral(allowed.message);

  const categoryPath = parsed.category ?? channel.settings.defaultCategory ?? null;
  let categoryId: number | null = null;
  if (categoryPath) {
    const category = await deps.categories.findByPath(categoryPath);
    if (!category) {
      const ctx: CommandContext = { invocation, deps, channel, cmd, profile: deps.platforms(invocation.platform), actor: `${invocation.platform}:${invocation.user.id}`, forumAdmin: forumAdminOnce(invocation, deps) };
      const known = await deps.categories.paths();
      return ephemeral(transcriptText.unknownCategory(categoryPath, await nearestPaths(ctx, categoryPath.toLowerCase(), known)));
    }
    categoryId = category.id;
  }

  await t.enqueue(transcriptJob({ invocation, channelId: channel.id, forumUsername: allowed.forumUsername, command: parsed, range, categoryId, zone, now }));
  return ephemeral(transcriptText.collecting(range, zone, parsed.preview, DEFAULT_RANGE));
}
