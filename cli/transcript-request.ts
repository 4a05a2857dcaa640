// An admin's transcript, from `parley transcript` (./transcript.ts) or POST /api/channels/:id/transcript
// (./admin/routes-tools.ts): the /topic options checked as /topic checks them (commands/topic/grammar.ts), the forum
// user and category looked up, then the transcript made in this process, at once, by the transcript job's own code
// (jobs/transcript.ts), its answers handed to the asker instead of the chat. The admin names the forum user the
// topic is created as (as `--as` does), so the chat's transcript policy (who may post from a chat) does not apply.
import { isTopicFailure, parseTopicCommand } from '../commands/topic/grammar.js';
import { transcriptJob } from '../commands/topic/handler.js';
import { resolveRange } from '../commands/topic/time-range.js';
import { makeTranscript, type TranscriptIO, type TranscriptJobDeps, type TranscriptOutcome } from '../jobs/transcript.js';
import type { Config } from '../lib/config.js';
import { CategoryCache } from '../lib/discourse/categories.js';
import { DiscourseClient } from '../lib/discourse/client.js';
import { ForumRequestError, PlatformPermanentError } from '../lib/errors.js';
import type { Logger } from '../lib/log.js';
import type { TranscriptJob } from '../lib/seams/jobs.js';
import { platformProfiles, type ConfiguredPlatform, type PlatformAdapter } from '../lib/seams/platform.js';
import type { ChannelRecord, Store } from '../lib/seams/store.js';
import { transcriptText } from '../lib/transcript/messages.js';

/**
 * Why no transcript was made; the message says why and what would help. `not_configured`: the forum is not set up.
 * `invalid_options`, `unknown_forum_user` and `unknown_category` are the request's; the others are Parley's state
 * (the channel's default category), the messages found, or the forum's or the platform's answer.
 */
export type TranscriptRefusalCode =
  | 'not_configured'
  | 'platform_not_configured'
  | 'invalid_options'
  | 'unknown_forum_user'
  | 'unknown_category'
  | 'unknown_default_category'
  | 'empty'
  | 'too_long'
  | 'refused'
  | 'forum_refused'
  | 'platform_refused';

export class TranscriptRefusal extends Error {
  constructor(
    readonly code: TranscriptRefusalCode,
    message: string,
  ) {
    super(message);
  }
}

export interface TranscriptRequest {
  channel: ChannelRecord;
  /** The /topic options as typed in chat: `last:20 category:staff title:"Disk incident"`. */
  options: string;
  /** The forum user the topic is created as. */
  as: string;
  /** A link to a prefilled composer (or a preview page) instead of a topic. */
  preview: boolean;
  /** Who asks, for the transcript's record (`telegram:cli`) and the topic's header: `cli`, `admin`. */
  requestedBy: string;
  /** How messages name the command (`parley transcript telegram:-42`, `/topic`) and the forum user's field (`--as`, `as`). */
  cmd: string;
  asField: string;
}

export interface TranscriptContext {
  config: Config;
  store: Store;
  log: Logger;
  /** The forum's client (the running service's, within its request budget, or ./ownForum's); null without the API key. */
  forum: DiscourseClient | null;
  categories: CategoryCache;
  /** The platform's adapter: the CLI makes one, the running service has its own. Only its history and sending are used. */
  adapter(platform: ConfiguredPlatform): Promise<PlatformAdapter>;
}

/** A checked request: the job as /topic would queue it, and what making it needs. */
export interface PreparedTranscript {
  job: TranscriptJob;
  deps: TranscriptJobDeps;
  adapter: PlatformAdapter;
}

/** A forum client and category cache of the caller's own, for a process that has none (the CLI). */
export function ownForum(config: Config, store: Store, log: Logger): Pick<TranscriptContext, 'forum' | 'categories'> {
  const d = config.discourse;
  // No shared budget: a transcript asks the forum two or three times.
  const forum = d?.apiKey ? new DiscourseClient({ baseUrl: d.url, apiKey: d.apiKey, apiUsername: d.apiUsername, budget: null, log }) : null;
  return { forum, categories: new CategoryCache({ store: store.categories, client: forum, log }) };
}

/** Checks the request as /topic does and looks up its forum user and category; a TranscriptRefusal says what is wrong. */
export async function prepareTranscript(ctx: TranscriptContext, req: TranscriptRequest): Promise<PreparedTranscript> {
  const { config, store, log, forum } = ctx;
  const { channel } = req;
  const d = config.discourse;
  if (!d || !forum) throw new TranscriptRefusal('not_configured', 'Transcripts need the forum: set PARLEY_DISCOURSE_URL and PARLEY_DISCOURSE_API_KEY.');
  const platform = config.platforms.find((p) => p.profile.name === channel.platform);
  if (!platform) {
    const how = config.notConfigured.find((p) => p.name === channel.platform)?.howToConfigure ?? `no adapter for ${channel.platform} exists`;
    throw new TranscriptRefusal('platform_not_configured', `${channel.platform} is not configured here: ${how}`);
  }

  const zone = channel.settings.timezone ?? config.timezone;
  const args = [req.options.trim(), ...(req.preview ? ['preview'] : [])].filter((w) => w !== '').join(' ');
  const parsed = parseTopicCommand(args, { cmd: req.cmd, maxMessages: config.transcripts.maxMessages, zone });
  if (isTopicFailure(parsed)) throw new TranscriptRefusal('invalid_options', parsed.message);
  const now = new Date();
  const range = resolveRange(parsed.range, { now, zone });
  if ('message' in range) throw new TranscriptRefusal('invalid_options', range.message);
  if (parsed.target.kind === 'gitlab') {
    throw new TranscriptRefusal('invalid_options', 'An admin\'s transcript makes forum topics only; a GitLab issue (to:gitlab) is made with /topic in the chat.');
  }

  const user = await forum.user(req.as).catch((err: unknown) => {
    if (err instanceof ForumRequestError && err.status === 404) {
      throw new TranscriptRefusal('unknown_forum_user', `There is no forum user "${req.as}" (${req.asField}): the topic is created as that user.`);
    }
    // The API key may not see users (a user key, hidden profiles): asking again will not help.
    if (err instanceof ForumRequestError) throw new TranscriptRefusal('forum_refused', `The forum would not say who "${req.as}" is: ${err.message}. Nothing was posted.`);
    throw err;
  });
  let categoryId: number | null = null;
  const categoryPath = parsed.category ?? channel.settings.defaultCategory ?? null;
  if (categoryPath) {
    const category = await ctx.categories.findByPath(categoryPath);
    if (!category) {
      if (parsed.category) throw new TranscriptRefusal('unknown_category', `The forum has no category "${categoryPath}".`);
      throw new TranscriptRefusal('unknown_default_category', `The forum has no category "${categoryPath}", the channel's default category: name one with category:SLUG, or change the default.`);
    }
    categoryId = category.id;
  }

  const adapter = await ctx.adapter(platform);
  const job = transcriptJob({
    invocation: {
      platform: channel.platform,
      command: 'topic',
      args,
      channel: { externalId: channel.externalId, name: channel.name, isPrivate: false },
      user: { id: req.requestedBy, username: user.username, displayName: user.username },
    },
    channelId: channel.id,
    target: { kind: 'forum', username: user.username, categoryId, tags: parsed.tags },
    command: parsed,
    range,
    zone,
    now,
  });
  const deps: TranscriptJobDeps = {
    store,
    adapters: new Map([[channel.platform, adapter]]),
    profiles: platformProfiles(config.platforms.map((p) => p.profile)),
    forum,
    forumUrl: d.url,
    publicUrl: config.publicUrl,
    settings: config.transcripts,
    log,
  };
  return { job, deps, adapter };
}

/** A made transcript: the topic's link (or the preview's), and what the chat would have been told. */
export interface MadeTranscript {
  transcriptId: string;
  status: 'posted' | 'previewed';
  url: string;
  message: string;
}

const REFUSED: Partial<Record<TranscriptOutcome, TranscriptRefusalCode>> = { empty: 'empty', 'too-long': 'too_long', refused: 'refused' };

/**
 * Makes the prepared transcript; `onPage` follows the reading. Refusals (nothing in the range, too long, the forum or
 * the platform saying no) are recorded on the transcript and thrown as a TranscriptRefusal with the answer the chat
 * would get; trouble worth trying again later (the forum down) is thrown as is, also recorded.
 */
export async function makeAdminTranscript(prepared: PreparedTranscript, io: Pick<TranscriptIO, 'onPage'> = {}): Promise<MadeTranscript> {
  const { job, deps, adapter } = prepared;
  const replies: string[] = [];
  let outcome: TranscriptOutcome;
  try {
    outcome = await makeTranscript(job, deps, adapter, { ...io, reply: async (r) => void replies.push(r.text) });
  } catch (err) {
    // As the transcript worker does: a 4xx of the forum's or the platform's will not change by asking again.
    const refusal =
      err instanceof ForumRequestError
        ? new TranscriptRefusal('forum_refused', transcriptText.forumRefused(err.message))
        : err instanceof PlatformPermanentError
          ? new TranscriptRefusal('platform_refused', transcriptText.failed(err.message))
          : null;
    const error = refusal?.message ?? transcriptText.failed(err instanceof Error ? err.message : String(err));
    await deps.store.transcripts.update(job.transcriptId, { status: 'failed', error });
    throw refusal ?? err;
  }
  const message = replies.join('\n');
  const refused = REFUSED[outcome];
  if (refused) throw new TranscriptRefusal(refused, message);
  if (outcome === 'previewed') {
    // The preview's link is only in its answer (a composer link is not kept): the answer ends with it.
    return { transcriptId: job.transcriptId, status: 'previewed', url: /(https?:\/\/\S+)\s*$/u.exec(message)?.[1] ?? '', message };
  }
  const record = await deps.store.transcripts.get(job.transcriptId);
  return { transcriptId: job.transcriptId, status: 'posted', url: record?.topicUrl ?? '', message };
}
