// Turns one accepted forum webhook into deliveries: keeps the topic and category caches current, matches
// posts against the rules, and queues one delivery job per channel after the configured delay.
import type { Job } from 'bullmq';
import { ForumUnavailableError } from '../lib/errors.js';
import type { CategoryInfo, PostEventKind } from '../lib/events.js';
import { matchInput } from '../lib/events.js';
import type { LiveRules } from '../lib/live-rules.js';
import type { Logger } from '../lib/log.js';
import { buildNotification } from '../lib/notification.js';
import type { ChannelRecord, DeliveryRecord, PlatformName, Store } from '../lib/seams/store.js';
import { isSkip, toPostEvent } from '../lib/discourse/normalize.js';
import {
  parseCategoryWebhook,
  parsePostWebhook,
  parseTopicWebhook,
  type CategoryPayload,
  type TopicPayload,
} from '../lib/discourse/payloads.js';
import { deliverJobOptions, deliveryJobId, type FollowUpJob, type IngestJob, type Queues } from './queues.js';

/** A follow-up for a message being sent right now waits this long, so that the message exists when it looks. */
const SENDING_GRACE_MS = 1000;

export interface IngestDeps {
  store: Store;
  rules: LiveRules;
  queues: Queues;
  log: Logger;
  categories: {
    resolveKnown(categoryId: number): Promise<CategoryInfo | null>;
    resolve(categoryId: number): Promise<CategoryInfo | null>;
    applyWebhook(payload: CategoryPayload): Promise<void>;
    removeFromWebhook(categoryId: number): Promise<void>;
  };
  topics: {
    known(topicId: number): Promise<{ tags: string[] } | undefined>;
    applyWebhook(payload: TopicPayload): Promise<void>;
    tagsFor(topicId: number): Promise<string[]>;
    remove(topicId: number): Promise<void>;
  };
  /** The forum's base URL for links (configured, else the webhook's X-Discourse-Instance). */
  baseUrl(instance: string | null): string;
  /** The forum's REST API is configured (categories and tags can be asked for). */
  forumApi: boolean;
  /** Platforms with a configured adapter; channels of other platforms are skipped with a warning. */
  platforms: ReadonlySet<PlatformName>;
  delivery: { delayMs: number; attempts: number; excerptLength: number };
}

export type IngestOutcome =
  | { result: 'replay' }
  | { result: 'ignored'; reason: string }
  | { result: 'cache-updated' }
  | { result: 'queued'; deliveries: number }
  /** A deleted or hidden post: unsent deliveries cancelled, sent (or sending) ones to be deleted from the chat. */
  | { result: 'withdrawn'; cancelled: number; withdrawals: number }
  /** An edited post: unsent deliveries will send the new text, sent (or sending) ones are to be edited. */
  | { result: 'updated'; edits: number };

const POST_EVENTS: ReadonlySet<string> = new Set<PostEventKind>(['post_created', 'post_edited', 'post_destroyed', 'post_recovered']);

/** `local`: use only what Parley knows (webhook path); `forum`: may ask the forum's API (queued path). */
type Mode = 'local' | 'forum';

/** Thrown in `local` mode when the forum would have to be asked: the event goes to the queue instead. */
class NeedsForum extends Error {}

export type InlineResult = { done: true; outcome: IngestOutcome } | { done: false; recorded: boolean };

export type Ingest = ReturnType<typeof createIngest>;

export const postEventKey = (postId: number): string => `post-${postId}`;

export function createIngest(deps: IngestDeps) {
  const { store, log } = deps;

  /** A delivery's channel and, while the delivery is queued, its job and whether it is being sent right now. */
  async function deliveryState(d: DeliveryRecord) {
    const channel = await store.channels.get(d.channelId);
    const job = channel && d.status === 'queued' ? await deps.queues.deliverQueue(channel.platform).getJob(d.jobId) : undefined;
    return { channel, job, sending: (await job?.isActive()) ?? false };
  }

  /**
   * The post's category. Unknown with the forum API configured: the forum is down or the list is stale, so the
   * event is retried rather than matched blind. Unknown without the API (webhooks only): the payload's slug
   * lets a rule naming that category deliver it, and it counts as restricted for everything else.
   */
  async function resolveCategory(id: number, slug: string | null, mode: Mode): Promise<CategoryInfo | null> {
    const known = await deps.categories.resolveKnown(id);
    if (known) return known;
    if (deps.forumApi) {
      if (mode === 'local') throw new NeedsForum();
      const fetched = await deps.categories.resolve(id);
      if (fetched) return fetched;
      throw new ForumUnavailableError(`category ${id} is unknown to Parley and the forum did not tell: will retry`);
    }
    return slug ? { id, slug, name: slug, parentSlug: null, color: null, restricted: true } : null;
  }

  async function topicTags(topicId: number, mode: Mode): Promise<string[]> {
    const known = await deps.topics.known(topicId);
    if (known) return known.tags;
    if (!deps.forumApi) return [];
    if (mode === 'local') throw new NeedsForum();
    return deps.topics.tagsFor(topicId);
  }

  async function onPost(data: IngestJob, mode: Mode): Promise<IngestOutcome> {
    const parsed = parsePostWebhook(data.body);
    if (!parsed.ok) return { result: 'ignored', reason: parsed.error };
    const post = parsed.value;

    if (data.event === 'post_destroyed') {
      await deps.queues.markPostDeleted(post.id);
      return withdraw(post.id, data.eventId);
    }

    if (data.event !== 'post_created' && data.event !== 'post_edited') return { result: 'ignored', reason: `${data.event} is not announced` };
    const category = post.category_id == null ? null : await resolveCategory(post.category_id, post.category_slug ?? null, mode);
    const tags = await topicTags(post.topic_id, mode);
    const event = toPostEvent(post, {
      eventId: data.eventId,
      kind: data.event,
      baseUrl: deps.baseUrl(data.instance),
      category,
      tags,
    });
    if (isSkip(event)) {
      // An edit that hid the post or made it a whisper withdraws its announcement.
      if (data.event === 'post_edited') return withdraw(post.id, data.eventId);
      return { result: 'ignored', reason: event.skip };
    }
    const notification = buildNotification(event, { excerptLength: deps.delivery.excerptLength });

    if (data.event === 'post_edited') {
      // Not yet announced: the delivery announces the edited text (it reads this just before sending).
      // Announced (or being announced): a follow-up job edits the message to the latest text.
      await deps.queues.rememberEdit(post.id, notification);
      let edits = 0;
      for (const d of await store.deliveries.findByPost(post.id)) {
        if (d.status !== 'delivered' && d.status !== 'queued') continue;
        const { channel, sending } = await deliveryState(d);
        if (d.status === 'queued' && !sending) continue;
        if (await followUp(d, channel, 'edit', data.eventId, sending)) edits++;
      }
      return { result: 'updated', edits };
    }
    const matched = await deps.rules.match(matchInput(event));
    let queued = 0;
    for (const m of matched) {
      const channel = await store.channels.get(m.channelId);
      if (!channel) continue;
      if (!deps.platforms.has(channel.platform)) {
        log.warn({ channel: channel.id, platform: channel.platform }, 'channel matched but its platform is not configured: skipped');
        continue;
      }
      const eventKey = postEventKey(event.postId);
      const jobId = deliveryJobId(eventKey, channel.id);
      const { created } = await store.deliveries.create({
        jobId,
        eventKey,
        channelId: channel.id,
        postId: event.postId,
        topicId: event.topicId,
        postNumber: event.postNumber,
      });
      // A delivery row that exists already was queued by an earlier attempt or a repeated event: the
      // job id makes adding it again a no-op while the job lives, and the row guards it after.
      const existing = created ? null : await store.deliveries.getByJobId(jobId);
      if (!created && existing?.status !== 'queued') continue;
      await deps.queues.addDelivery(
        channel.platform,
        { deliveryId: jobId, channelId: channel.id, notification, threadTopicId: m.filter === 'thread' && !event.isFirstPost ? event.topicId : null },
        { ...deliverJobOptions({ delayMs: deps.delivery.delayMs, attempts: deps.delivery.attempts }), jobId },
      );
      if (created) queued++;
    }
    return { result: 'queued', deliveries: queued };
  }

  /**
   * A deleted (or hidden) post: an announcement still waiting is never sent; one sent, or being sent right now,
   * is deleted from the chat by a follow-up job.
   */
  async function withdraw(postId: number, eventId: string): Promise<IngestOutcome> {
    let cancelled = 0;
    let withdrawals = 0;
    for (const d of await store.deliveries.findByPost(postId)) {
      if (d.status !== 'delivered' && d.status !== 'queued') continue;
      const { channel, job, sending } = await deliveryState(d);
      if (d.status === 'queued' && !sending) {
        await job?.remove();
        await store.deliveries.update(d.jobId, { status: 'cancelled', lastError: 'post deleted before delivery' });
        cancelled++;
        continue;
      }
      if (await followUp(d, channel, 'withdraw', eventId, sending)) withdrawals++;
    }
    return { result: 'withdrawn', cancelled, withdrawals };
  }

  /** Queues an edit or deletion of a delivery's message; one being sent is looked at after a moment. */
  async function followUp(d: DeliveryRecord, channel: ChannelRecord | undefined, change: FollowUpJob['change'], eventId: string, sending: boolean): Promise<boolean> {
    if (!channel || !deps.platforms.has(channel.platform)) return false;
    await deps.queues.addFollowUp(
      channel.platform,
      { deliveryId: d.jobId, channelId: d.channelId, postId: d.postId, change },
      { eventId, attempts: deps.delivery.attempts, delayMs: sending ? SENDING_GRACE_MS : 0 },
    );
    return true;
  }

  async function onTopic(data: IngestJob): Promise<IngestOutcome> {
    const parsed = parseTopicWebhook(data.body);
    if (!parsed.ok) return { result: 'ignored', reason: parsed.error };
    if (data.event === 'topic_destroyed') await deps.topics.remove(parsed.value.id);
    else await deps.topics.applyWebhook(parsed.value);
    return { result: 'cache-updated' };
  }

  async function onCategory(data: IngestJob): Promise<IngestOutcome> {
    const parsed = parseCategoryWebhook(data.body);
    if (!parsed.ok) return { result: 'ignored', reason: parsed.error };
    if (data.event === 'category_destroyed') await deps.categories.removeFromWebhook(parsed.value.id);
    else await deps.categories.applyWebhook(parsed.value);
    return { result: 'cache-updated' };
  }

  async function handle(data: IngestJob, mode: Mode): Promise<IngestOutcome> {
    const outcome =
      data.eventType === 'post' && POST_EVENTS.has(data.event)
        ? await onPost(data, mode)
        : data.eventType === 'topic'
          ? await onTopic(data)
          : data.eventType === 'category'
            ? await onCategory(data)
            : ({ result: 'ignored', reason: `${data.eventType}/${data.event} events are not used` } as const);
    log.debug({ eventId: data.eventId, event: data.event, outcome }, 'forum event processed');
    return outcome;
  }

  const replay = (data: IngestJob): IngestOutcome => {
    log.info({ eventId: data.eventId, event: data.event }, 'repeated forum event dropped');
    return { result: 'replay' };
  };

  return {
    /** The BullMQ processor: may ask the forum, and is retried with backoff when the forum is down. */
    async processor(job: Job<IngestJob>): Promise<IngestOutcome> {
      const data = job.data;
      // A retry must not take its own first attempt for a replay, nor an event the webhook already recorded.
      if (job.attemptsMade === 0 && !data.recorded && !(await store.inboundEvents.record(data.source, data.eventId))) return replay(data);
      return handle(data, 'forum');
    },

    /**
     * Called by the webhook before queueing: handles the event at once when everything it needs is known
     * locally (the common case), so most events take one queue hop instead of two. Never throws.
     */
    async tryInline(data: IngestJob): Promise<InlineResult> {
      let recorded = false;
      try {
        if (!(await store.inboundEvents.record(data.source, data.eventId))) return { done: true, outcome: replay(data) };
        recorded = true;
        return { done: true, outcome: await handle(data, 'local') };
      } catch (err) {
        if (!(err instanceof NeedsForum)) log.warn({ eventId: data.eventId, err: (err as Error).message }, 'forum event handed to the queue after an error');
        return { done: false, recorded };
      }
    },
  };
}
