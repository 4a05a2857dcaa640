// What one forum post webhook means for the chat rooms: the single decision that the ingest job
// (jobs/ingest.ts) carries out and `parley route` (cli/route.ts) explains. Parse the body, resolve the
// category and the topic's tags, normalize, leave out what is never announced, match the rules and look up
// the matched channels. It only reads (the caches it asks may fill themselves from the forum): the caller
// performs the plan (delivery rows, jobs, follow-ups) or describes it.
import { ForumRateLimitedError, ForumUnavailableError } from './errors.js';
import type { CategoryInfo, MatchInput, PostEvent, PostEventKind } from './events.js';
import { matchInput } from './events.js';
import type { DeliveredFilter, MatchedChannel } from './matching.js';
import { buildNotification, topicThread, type Notification } from './notification.js';
import type { ChannelRecord, ChannelStore, PlatformName } from './seams/store.js';
import { isSkip, toPostEvent, type NormalizeResult } from './discourse/normalize.js';
import { parsePostWebhook, type PostPayload } from './discourse/payloads.js';

/** A post webhook as received: X-Discourse-Event, X-Discourse-Event-Id, X-Discourse-Instance and the body. */
export interface PostWebhook {
  event: string;
  eventId: string;
  instance: string | null;
  body: unknown;
}

export interface RoutingDeps {
  store: { channels: Pick<ChannelStore, 'get'> };
  rules: { match(input: MatchInput): Promise<MatchedChannel[]> };
  categories: {
    /** What Parley knows of a category without asking the forum. */
    resolveKnown(categoryId: number): Promise<CategoryInfo | null>;
    /** The same, asking the forum on a miss. */
    resolve(categoryId: number): Promise<CategoryInfo | null>;
  };
  topics: {
    known(topicId: number): Promise<{ tags: string[] } | undefined>;
    /** Asks the forum on a miss; throws when the forum is down or rate limited. */
    tagsFor(topicId: number): Promise<string[]>;
  };
  /** The forum's base URL for links (configured, else the webhook's X-Discourse-Instance). */
  baseUrl(instance: string | null): string;
  /** The forum's REST API is configured (categories and tags can be asked for). */
  forumApi: boolean;
  /** Platforms with a configured adapter: a channel of another platform gets no delivery. */
  platforms: ReadonlySet<PlatformName>;
  delivery: { excerptLength: number };
}

/**
 * `local`: use only what Parley knows, and throw NeedsForum when the forum would have to be asked (the
 * webhook's inline path, which then hands the event to the queue). `forum`: may ask the forum, and throws
 * when it cannot tell, so that the queued job is retried rather than matching blind. `explain`: as `forum`,
 * but forum trouble becomes a `retry` plan instead of an error, and the post is described even when the
 * event needs no lookups (`parley route`).
 */
export type PlanMode = 'local' | 'forum' | 'explain';

/** Thrown in `local` mode when the forum would have to be asked. */
export class NeedsForum extends Error {
  constructor() {
    super('the forum has to be asked');
  }
}

/** What was learned about the post on the way to the decision. */
export interface PostFacts {
  post: PostPayload;
  kind: PostEventKind;
  category: CategoryInfo | null;
  /**
   * The category is unknown to Parley and the forum cannot be asked (no API key): it stands in as the
   * payload's category_slug, read-restricted, so only a rule naming that slug delivers the post.
   */
  categoryStandIn: boolean;
  tags: string[];
  normalized: NormalizeResult;
}

/** A channel a rule matched, with what the ingest job does for it. */
export interface PlannedChannel {
  channel: ChannelRecord;
  ruleId: number;
  filter: DeliveredFilter;
  /** The thread a `thread` rule's reply goes under (Notification.thread); null for a top-level message. */
  thread: string | null;
  /** Why no delivery is queued for it after all (its platform is not configured here); null: one is. */
  skip: string | null;
}

export type PostPlan =
  /** The body is not a post webhook Parley can read. */
  | { action: 'invalid'; reason: string }
  /** Nothing to do: an event that is not announced, or a post that is not (whisper, hidden, …). */
  | { action: 'ignore'; reason: string; facts: PostFacts | null }
  /**
   * Announcements of the post are taken back: it was deleted (`deleted`: remembered, for a delivery not yet
   * queued), or an edit hid it or made it something never announced.
   */
  | { action: 'withdraw'; postId: number; deleted: boolean; reason: string; facts: PostFacts | null }
  /** An edit: announcements waiting go out with this text, ones sent are edited to it. */
  | { action: 'update'; postId: number; notification: Notification; facts: PostFacts }
  /** A new post: one delivery per channel not skipped. Empty for a private message or when nothing matches. */
  | { action: 'deliver'; event: PostEvent; notification: Notification; channels: PlannedChannel[]; facts: PostFacts }
  /** `explain` only: the forum could not tell what the decision needs, so the queued ingest job would retry. */
  | { action: 'retry'; reason: string; facts: PostFacts };

const POST_EVENT_KINDS: ReadonlySet<string> = new Set<PostEventKind>(['post_created', 'post_edited', 'post_destroyed', 'post_recovered']);

/** What the queued ingest job is retried for. */
const isForumTrouble = (err: unknown): err is Error => err instanceof ForumUnavailableError || err instanceof ForumRateLimitedError;

/**
 * The post's category. Unknown with the forum API configured: the forum is down or the list is stale, so the
 * event is retried rather than matched blind. Unknown without the API (webhooks only): the payload's slug
 * lets a rule naming that category deliver it, and it counts as restricted for everything else.
 */
async function resolveCategory(id: number, slug: string | null, deps: RoutingDeps, mode: PlanMode): Promise<{ category: CategoryInfo | null; standIn: boolean }> {
  const known = await deps.categories.resolveKnown(id);
  if (known) return { category: known, standIn: false };
  if (deps.forumApi) {
    if (mode === 'local') throw new NeedsForum();
    const fetched = await deps.categories.resolve(id);
    if (fetched) return { category: fetched, standIn: false };
    throw new ForumUnavailableError(`category ${id} is unknown to Parley and the forum did not tell: will retry`);
  }
  return slug ? { category: { id, slug, name: slug, parentSlug: null, color: null, restricted: true }, standIn: true } : { category: null, standIn: false };
}

async function topicTags(topicId: number, deps: RoutingDeps, mode: PlanMode): Promise<string[]> {
  const known = await deps.topics.known(topicId);
  if (known) return known.tags;
  if (!deps.forumApi) return [];
  if (mode === 'local') throw new NeedsForum();
  return deps.topics.tagsFor(topicId);
}

function factsOf(data: PostWebhook, post: PostPayload, kind: PostEventKind, deps: RoutingDeps, category: CategoryInfo | null, categoryStandIn: boolean, tags: string[]): PostFacts {
  const normalized = toPostEvent(post, { eventId: data.eventId, kind, baseUrl: deps.baseUrl(data.instance), category, tags });
  return { post, kind, category, categoryStandIn, tags, normalized };
}

async function lookUp(data: PostWebhook, post: PostPayload, kind: PostEventKind, deps: RoutingDeps, mode: PlanMode): Promise<PostFacts> {
  const resolved = post.category_id == null ? { category: null, standIn: false } : await resolveCategory(post.category_id, post.category_slug ?? null, deps, mode);
  const tags = await topicTags(post.topic_id, deps, mode);
  return factsOf(data, post, kind, deps, resolved.category, resolved.standIn, tags);
}

/** `explain` mode, for an event the decision needs no lookups for: the post as far as it can be told. */
async function describeOnly(data: PostWebhook, post: PostPayload, deps: RoutingDeps, mode: PlanMode): Promise<PostFacts | null> {
  if (mode !== 'explain' || !POST_EVENT_KINDS.has(data.event)) return null;
  const kind = data.event as PostEventKind;
  try {
    return await lookUp(data, post, kind, deps, mode);
  } catch (err) {
    if (!isForumTrouble(err)) throw err;
    return factsOf(data, post, kind, deps, null, false, []);
  }
}

/** The one decision for a post webhook; see PlanMode for how far it may go to make it. */
export async function planPost(data: PostWebhook, deps: RoutingDeps, mode: PlanMode): Promise<PostPlan> {
  const parsed = parsePostWebhook(data.body);
  if (!parsed.ok) return { action: 'invalid', reason: parsed.error };
  const post = parsed.value;

  if (data.event === 'post_destroyed') {
    return { action: 'withdraw', postId: post.id, deleted: true, reason: 'post deleted', facts: await describeOnly(data, post, deps, mode) };
  }
  if (data.event !== 'post_created' && data.event !== 'post_edited') {
    return { action: 'ignore', reason: `${data.event} is not announced`, facts: await describeOnly(data, post, deps, mode) };
  }

  let facts: PostFacts;
  try {
    facts = await lookUp(data, post, data.event, deps, mode);
  } catch (err) {
    if (mode !== 'explain' || !isForumTrouble(err)) throw err;
    return { action: 'retry', reason: err.message, facts: factsOf(data, post, data.event, deps, null, false, []) };
  }
  const event = facts.normalized;
  if (isSkip(event)) {
    // An edit that hid the post or made it a whisper withdraws its announcement.
    if (data.event === 'post_edited') return { action: 'withdraw', postId: post.id, deleted: false, reason: event.skip, facts };
    return { action: 'ignore', reason: event.skip, facts };
  }
  const notification = buildNotification(event, { excerptLength: deps.delivery.excerptLength });
  if (data.event === 'post_edited') return { action: 'update', postId: post.id, notification, facts };

  const channels = await planChannels(matchInput(event), topicThread(event.topicId), deps);
  return { action: 'deliver', event, notification, channels, facts };
}

/**
 * The channels the rules send an event to, from any source: a `thread` rule's event that does not open its
 * thread goes under `thread`'s opening announcement; a channel of a platform not configured here is skipped.
 */
export async function planChannels(input: MatchInput, thread: string, deps: Pick<RoutingDeps, 'store' | 'rules' | 'platforms'>): Promise<PlannedChannel[]> {
  const channels: PlannedChannel[] = [];
  const matched = await deps.rules.match(input);
  // Looked up together: a fan-out to thousands of channels waits for one round of reads, not one after another.
  const records = await Promise.all(matched.map((m) => deps.store.channels.get(m.channelId)));
  for (const [i, m] of matched.entries()) {
    const channel = records[i];
    if (!channel) continue;
    channels.push({
      channel,
      ruleId: m.ruleId,
      filter: m.filter,
      thread: m.filter === 'thread' && !input.opens ? thread : null,
      skip: !deps.platforms.has(channel.platform) ? `${channel.platform} is not configured here` : null,
    });
  }
  return channels;
}
