// Carries out one /topic request: reads the range from the platform's history (or Parley's message log),
// renders it page by page, and creates one forum topic as the issuing user, or a preview, or one GitLab issue
// (`to:gitlab`). A retry never creates a second one: the topic's external_id is derived from the transcript id,
// and the issue carries a hidden marker derived from it, looked for before creating.
import { randomBytes } from 'node:crypto';
import { UnrecoverableError, type Job } from 'bullmq';
import { DateTime } from 'luxon';
import type { HistoryOptions, HistoryProgress, PlatformAdapter, PlatformProfiles } from '../lib/seams/platform.js';
import { transcriptText } from '../lib/transcript/messages.js';
import { DEFAULT_RANGE } from '../lib/transcript/types.js';
import type { CommandReply } from '../lib/seams/invocation.js';
import type { ForumTopics } from '../lib/seams/forum.js';
import { issueMarker, type GitLabClient } from '../lib/gitlab/client.js';
import { ForumRequestError, PlatformPermanentError } from '../lib/errors.js';
import type { Logger } from '../lib/log.js';
import { metrics as processMetrics, type Metrics } from '../lib/metrics.js';
import type { ChannelRecord, Store } from '../lib/seams/store.js';
import { TranscriptRenderer } from '../lib/transcript/render.js';
import { GITLAB_DESCRIPTION_MAX, GITLAB_DESCRIPTION_RESERVE, issueDescription, issueTitle } from '../lib/transcript/gitlab.js';
import { postLengthVerdict } from '../lib/transcript/size.js';
import { selectMessages } from '../lib/transcript/select.js';
import type { ChatMessage, TranscriptRange } from '../lib/transcript/types.js';
import type { TranscriptJob, TranscriptTarget } from '../lib/seams/jobs.js';

const PAGE_SIZE = 100;
/** Longer composer links are refused by some browsers and proxies: past this, a preview page holds the text. */
export const MAX_COMPOSER_URL = 6000;

export interface TranscriptJobDeps {
  store: Store;
  adapters: ReadonlyMap<string, PlatformAdapter>;
  /** For the transcript's header: the platform's label. */
  profiles: PlatformProfiles;
  /** Forum topics; null without the forum's API key (then only GitLab issues can be made). */
  forum: ForumTopics | null;
  forumUrl: string | null;
  /** GitLab issues (`to:gitlab`); absent or null when GitLab is not configured. */
  gitlab?: TranscriptGitLab | null;
  /** PARLEY_PUBLIC_URL, for preview pages; null: previews too long for a link cannot be offered. */
  publicUrl: string | null;
  settings: { mergeSeconds: number; maxPostLength: number; previewHours: number };
  log: Logger;
  /** Where outcomes are counted; the process's registry unless a test gives its own. */
  metrics?: Metrics;
}

/** What the job asks GitLab (lib/gitlab/client.ts). */
export type TranscriptGitLab = Pick<GitLabClient, 'createIssue' | 'findIssueByMarker'>;

export type TranscriptOutcome = 'posted' | 'already-posted' | 'previewed' | 'empty' | 'too-long' | 'refused';

/** Pages of messages, oldest first: from the platform's history API, else from the message log. */
export async function* readMessages(
  store: Store,
  adapter: PlatformAdapter,
  channel: ChannelRecord,
  range: TranscriptRange,
  before: Date,
  commandMessageId: string | null,
  onSlowdown?: HistoryOptions['onSlowdown'],
): AsyncIterable<ChatMessage[]> {
  if (adapter.fetchHistory) {
    yield* adapter.fetchHistory(channel, range, { pageSize: PAGE_SIZE, commandMessageId, ...(onSlowdown ? { onSlowdown } : {}) });
    return;
  }
  if (range.kind === 'last') {
    // The log holds the /topic message too: `last:5` means five messages besides it.
    const page = await store.messageLog.latest(channel.platform, channel.externalId, range.count + 1, before);
    const others = page.filter((m) => m.id !== commandMessageId);
    yield others.slice(Math.max(0, others.length - range.count));
    return;
  }
  let after: { sentAt: Date; id: string } | undefined;
  for (;;) {
    const page = await store.messageLog.between(channel.platform, channel.externalId, range.from, range.to, { limit: PAGE_SIZE, ...(after ? { after } : {}) });
    if (page.length > 0) yield page;
    if (page.length < PAGE_SIZE) return;
    const last = page[page.length - 1]!;
    after = { sentAt: last.sentAt, id: last.id };
  }
}

/** The default range: the newest messages back to the last pause of `pauseMinutes` (at most `max`). */
export function sinceLastPause(messages: readonly ChatMessage[], pauseMinutes: number): ChatMessage[] {
  for (let i = messages.length - 1; i > 0; i--) {
    if (messages[i]!.sentAt.getTime() - messages[i - 1]!.sentAt.getTime() >= pauseMinutes * 60_000) return messages.slice(i);
  }
  return [...messages];
}

export function composerUrl(forumUrl: string, post: { title: string; body: string; categoryId: number | null; tags: string[] }): string {
  const q = new URLSearchParams({ title: post.title, body: post.body });
  if (post.categoryId !== null) q.set('category_id', String(post.categoryId));
  if (post.tags.length > 0) q.set('tags', post.tags.join(','));
  return `${forumUrl}/new-topic?${q.toString()}`;
}

/** Where the job posts; jobs queued before targets existed (no `target`) are forum topics, as they were then. */
export function targetOf(data: TranscriptJob): TranscriptTarget {
  return data.target ?? { kind: 'forum', username: data.forumUsername ?? '', categoryId: data.categoryId ?? null, tags: data.tags ?? [] };
}

/** Discourse's external_id allows 50 characters. */
export const externalIdFor = (transcriptId: string): string => `parley-${transcriptId.replace(/^transcript-/, '').replace(/-/g, '')}`.slice(0, 50);

/** Where a transcript's answers go: the chat (replyLater) for /topic, the terminal for `parley transcript`. */
export interface TranscriptIO {
  reply(reply: CommandReply): Promise<void>;
  /** Called after each page of messages is read, with the running count. */
  onPage?(messagesRead: number): void;
  /** The platform makes the read wait (Slack's slow history tier): say why it takes long. */
  onSlowdown?: (progress: HistoryProgress) => void;
}

/**
 * Makes one transcript and posts it (or a preview). Refusals the user can act on (empty, too long, no page for a
 * long preview) are answered and returned; forum and platform errors are thrown for the caller to handle.
 */
export async function makeTranscript(data: TranscriptJob, deps: TranscriptJobDeps, adapter: PlatformAdapter, io: TranscriptIO): Promise<TranscriptOutcome> {
  const { store, log } = deps;
  const { invocation } = data;
  const target = targetOf(data);
  const fail = async (message: string, outcome: TranscriptOutcome): Promise<TranscriptOutcome> => {
    await store.transcripts.update(data.transcriptId, { status: 'failed', error: message });
    await io.reply({ text: message, visibility: 'ephemeral' });
    return outcome;
  };

  const { record } = await store.transcripts.create({ id: data.transcriptId, channelId: data.channelId, requestedBy: `${invocation.platform}:${invocation.user.id}`, forumUsername: target.username });
  if (record.status === 'posted' || record.status === 'previewed') return 'already-posted';
  const channel = await store.channels.get(data.channelId);
  if (!channel) return fail(transcriptText.failed('the channel was removed from Parley'), 'refused');
  // The command checked this, but the worker may run with other settings than the process that queued the job.
  const to =
    target.kind === 'gitlab'
      ? deps.gitlab
        ? { kind: 'gitlab' as const, target, gitlab: deps.gitlab }
        : null
      : deps.forum && deps.forumUrl !== null
        ? { kind: 'forum' as const, target, forum: deps.forum, forumUrl: deps.forumUrl }
        : null;
  if (!to) {
    const missing = target.kind === 'gitlab' ? 'GitLab is not set up in this Parley (PARLEY_GITLAB_URL, PARLEY_GITLAB_TOKEN)' : 'forum topics are not set up in this Parley (PARLEY_DISCOURSE_API_KEY)';
    return fail(transcriptText.failed(missing), 'refused');
  }

  const requestedAt = new Date(data.requestedAt);
  const range: TranscriptRange =
    data.range.kind === 'between'
      ? { kind: 'between', from: new Date(data.range.from), to: new Date(data.range.to) }
      : data.range.kind === 'last'
        ? data.range
        : { kind: 'last', count: DEFAULT_RANGE.maxMessages };
  const renderer = new TranscriptRenderer({
    platform: deps.profiles(channel.platform).label,
    channelName: channel.name || channel.externalId,
    timeZone: data.zone,
    mergeSeconds: deps.settings.mergeSeconds,
    ...(target.kind === 'gitlab'
      ? { maxLength: GITLAB_DESCRIPTION_MAX - GITLAB_DESCRIPTION_RESERVE, limitOf: 'a GitLab issue' }
      : { maxLength: deps.settings.maxPostLength }),
  });
  const select = { commandMessageId: invocation.commandMessageId ?? null, ignore: data.ignore };
  let read = 0;
  const held: ChatMessage[] = [];
  for await (const page of readMessages(store, adapter, channel, range, requestedAt, select.commandMessageId, io.onSlowdown)) {
    read += page.length;
    io.onPage?.(read);
    const kept = selectMessages(page, select).kept;
    // The default range (at most 100 messages) is held until the last pause is known; others stream.
    if (data.range.kind === 'default') held.push(...kept);
    else renderer.add(kept);
  }
  if (data.range.kind === 'default') renderer.add(sinceLastPause(held, DEFAULT_RANGE.pauseMinutes));
  const result = renderer.finish();
  if (result.status === 'empty') return fail(result.message, 'empty');
  if (result.status === 'too_long') return fail(result.message, 'too-long');

  const title = data.title ?? defaultTitle(channel, result.from, result.to, data.zone);
  if (to.kind === 'gitlab') {
    const postedBy = to.target.sudo ? null : { username: to.target.username, chatName: invocation.user.displayName || invocation.user.username || invocation.user.id, platform: deps.profiles(channel.platform).label };
    const description = issueDescription({ markdown: result.markdown, marker: issueMarker(data.transcriptId), postedBy });
    const fits = postLengthVerdict(description.length, GITLAB_DESCRIPTION_MAX, result.messageCount, 'a GitLab issue');
    if (!fits.ok) return fail(fits.message, 'too-long');
    return fileIssue(data, to.target, to.gitlab, { title, description: description.text, messageCount: result.messageCount }, deps, io);
  }
  const { forum, forumUrl } = to;
  if (data.preview) {
    const url = composerUrl(forumUrl, { title, body: result.markdown, categoryId: to.target.categoryId, tags: to.target.tags });
    if (url.length <= MAX_COMPOSER_URL) {
      await store.transcripts.update(data.transcriptId, { status: 'previewed', title });
      await io.reply({ text: transcriptText.preview(url, result.messageCount), visibility: 'ephemeral' });
      return 'previewed';
    }
    if (!deps.publicUrl) {
      return fail(transcriptText.failed('the preview is too long for a link, and PARLEY_PUBLIC_URL is not set for a preview page; post it without preview, or ask the admin to set PARLEY_PUBLIC_URL'), 'refused');
    }
    const secret = randomBytes(24).toString('base64url');
    const expiresAt = new Date(Date.now() + deps.settings.previewHours * 3600_000);
    await store.transcripts.update(data.transcriptId, { status: 'previewed', title, secret, markdown: result.markdown, expiresAt });
    await io.reply({ text: transcriptText.preview(`${deps.publicUrl}/transcripts/${secret}`, result.messageCount), visibility: 'ephemeral' });
    return 'previewed';
  }

  const topic = await forum.createTopic(
    { title, raw: result.markdown, categoryId: to.target.categoryId, tags: to.target.tags, externalId: externalIdFor(data.transcriptId) },
    { apiUsername: to.target.username },
  );
  await io.reply({ text: transcriptText.posted(topic.url, result.messageCount, topic.existed === true), visibility: 'channel' });
  await store.transcripts.update(data.transcriptId, { status: 'posted', title, topicUrl: topic.url });
  log.info({ transcript: data.transcriptId, topic: topic.url, messages: result.messageCount }, 'transcript posted');
  return topic.existed ? 'already-posted' : 'posted';
}

/**
 * Creates the issue, as the issuing user through Sudo or as the token's user. A retry after the issue was created
 * (the job died before recording it, or before answering) finds it by its marker and creates nothing.
 */
async function fileIssue(
  data: TranscriptJob,
  target: Extract<TranscriptTarget, { kind: 'gitlab' }>,
  gitlab: TranscriptGitLab,
  issue: { title: string; description: string; messageCount: number },
  deps: Pick<TranscriptJobDeps, 'store' | 'log'>,
  io: TranscriptIO,
): Promise<TranscriptOutcome> {
  const found = await gitlab.findIssueByMarker(target.project, issueMarker(data.transcriptId));
  const created =
    found ??
    (await gitlab.createIssue(target.project, { title: issueTitle(issue.title), description: issue.description, labels: target.labels }, target.sudo ? { sudo: target.username } : {}));
  await io.reply({ text: transcriptText.issuePosted(created.webUrl, issue.messageCount, found !== null), visibility: 'channel' });
  await deps.store.transcripts.update(data.transcriptId, { status: 'posted', title: issue.title, topicUrl: created.webUrl });
  deps.log.info({ transcript: data.transcriptId, issue: created.webUrl, messages: issue.messageCount }, 'transcript filed as a GitLab issue');
  return found ? 'already-posted' : 'posted';
}

export function createTranscriptProcessor(deps: TranscriptJobDeps) {
  const metrics = deps.metrics ?? processMetrics();
  return async function transcript(job: Job<TranscriptJob>): Promise<TranscriptOutcome> {
    try {
      const outcome = await attempt(job);
      metrics.transcript(outcome);
      return outcome;
    } catch (err) {
      const last = err instanceof UnrecoverableError || job.attemptsMade + 1 >= (job.opts.attempts ?? 1);
      metrics.transcript(last ? 'failed' : 'retried');
      throw err;
    }
  };

  async function attempt(job: Job<TranscriptJob>): Promise<TranscriptOutcome> {
    const data = job.data;
    const adapter = deps.adapters.get(data.invocation.platform);
    if (!adapter) throw new UnrecoverableError(`${data.invocation.platform} is not configured in this process`);
    const reply = (r: CommandReply) => adapter.replyLater(data.invocation, r);
    // Progress, where the platform can edit a message: one message, edited at most every 2 s.
    let progressRef: string | null = null;
    let lastProgress = Date.now(); // a job done within 2 s needs no progress message
    const show = (text: string): void => {
      if (!adapter.progress) return;
      lastProgress = Date.now();
      adapter
        .progress(data.invocation, text, progressRef)
        .then((ref) => void (progressRef = ref))
        .catch((err: Error) => deps.log.debug({ err: err.message }, 'progress message not shown'));
    };
    const onPage = (read: number): void => {
      if (Date.now() - lastProgress >= 2000) show(transcriptText.progress(read));
    };
    // A platform's wait is long (a minute on Slack's slow tier): always worth saying.
    const onSlowdown = (p: HistoryProgress): void => show(transcriptText.slowed(p.read, deps.profiles(data.invocation.platform).label, p.remainingMs));
    const giveUp = async (message: string) => {
      await deps.store.transcripts.update(data.transcriptId, { status: 'failed', error: message });
      await reply({ text: message, visibility: 'ephemeral' }).catch((err: Error) => deps.log.warn({ err: err.message }, 'could not tell the user'));
    };
    try {
      return await makeTranscript(data, deps, adapter, { reply, onPage, onSlowdown });
    } catch (err) {
      // 4xx: asking again will not help (GitLab's 429 and 5xx are other errors, retried by the queue).
      if (err instanceof ForumRequestError || err instanceof PlatformPermanentError) {
        const target = targetOf(data);
        await giveUp(
          err instanceof PlatformPermanentError
            ? transcriptText.failed(err.message)
            : target.kind === 'gitlab'
              ? transcriptText.gitlabRefused(target.project, err.status, err.message, target.sudo ? target.username : null)
              : transcriptText.forumRefused(err.message),
        );
        throw new UnrecoverableError(err.message);
      }
      if (job.attemptsMade + 1 >= (job.opts.attempts ?? 1)) await giveUp(transcriptText.failed(`${(err as Error).message} (tried ${job.attemptsMade + 1} times)`));
      throw err;
    }
  }
}

function defaultTitle(channel: ChannelRecord, from: Date, to: Date, zone: string): string {
  const a = DateTime.fromJSDate(from, { zone });
  const b = DateTime.fromJSDate(to, { zone });
  const range = a.hasSame(b, 'day') ? `${a.toFormat('yyyy-MM-dd HH:mm')}–${b.toFormat('HH:mm')}` : `${a.toFormat('yyyy-MM-dd HH:mm')} – ${b.toFormat('yyyy-MM-dd HH:mm')}`;
  return `Chat transcript: ${channel.name || channel.externalId}, ${range} (${zone})`;
}
