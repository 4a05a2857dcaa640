// Turns one accepted webhook into deliveries: keeps the topic and category caches current, and carries
// out what lib/routing.ts decides for a post (the decision `parley route` explains): one delivery job per
// channel after the configured delay, or edits and withdrawals of announcements already made. GitLab's
// webhooks are decided in jobs/ingest-gitlab.ts and carried out by the same functions here.
import { AsyncLocalStorage } from 'node:async_hooks';
import { createHash } from 'node:crypto';
import type { Job } from 'bullmq';
import { ForumUnavailableError, isStoreUnreachable, StoreUnavailableError } from '../lib/errors.js';
import type { MatchInput, PostEventKind } from '../lib/events.js';
import type { LiveRules } from '../lib/live-rules.js';
import type { Logger } from '../lib/log.js';
import { postSubject, type Notification } from '../lib/notification.js';
import { NeedsForum, planPost, type PlanMode, type PlannedChannel, type RoutingDeps } from '../lib/routing.js';
import type { ChannelRecord, DeliveryRecord, PlatformName, Store } from '../lib/seams/store.js';
import {
  parseCategoryWebhook,
  parseTopicWebhook,
  type CategoryPayload,
  type TopicPayload,
} from '../lib/discourse/payloads.js';
import type { DiscourseIngestJob, FollowUpJob, IngestJob } from '../lib/seams/jobs.js';
import { createGitLabIngest, type GitLabIngestDeps } from './ingest-gitlab.js';
import { deliverJobOptions, deliveryJobId, ingestJobId, ingestJobOptions, type Queues } from './queues.js';

/** A follow-up for a message being sent right now waits this long, so that the message exists when it looks. */
const SENDING_GRACE_MS = 1000;
/**
 * A post for more channels than this is handed from the webhook to the ingest queue, so that the forum has its
 * answer at once however large the fan-out (docs/architecture.md#a-forum-event).
 */
export const INLINE_FAN_OUT_LIMIT = 100;
/**
 * A fan-out's delivery rows are written, and their jobs queued, this many at a time (shared commits, one addBulk);
 * the first chunk is smaller, so that the first deliveries can start while the rest are queued.
 */
const FAN_OUT_CHUNK = 100;
const FAN_OUT_FIRST_CHUNK = 20;

/** Thrown on the webhook's path for a fan-out above INLINE_FAN_OUT_LIMIT: the ingest queue carries it out. */
class LargeFanOut extends Error {
  constructor(channels: number) {
    super(`${channels} channels: handed to the ingest queue`);
  }
}

/** What the ingest job needs: what the decision needs (lib/routing.ts), and what carrying it out does. */
export interface IngestDeps extends RoutingDeps {
  store: Store;
  rules: LiveRules;
  queues: Queues;
  log: Logger;
  categories: RoutingDeps['categories'] & {
    applyWebhook(payload: CategoryPayload): Promise<void>;
    removeFromWebhook(categoryId: number): Promise<void>;
  };
  topics: RoutingDeps['topics'] & {
    applyWebhook(payload: TopicPayload): Promise<void>;
    remove(topicId: number): Promise<void>;
  };
  /** Platforms with a configured adapter; channels of other platforms are skipped with a warning. */
  platforms: ReadonlySet<PlatformName>;
  delivery: { delayMs: number; attempts: number; excerptLength: number };
  /** GitLab's project lookups, forgotten when a webhook shows a project changed (null: GitLab not configured). */
  gitlab?: GitLabIngestDeps['gitlab'];
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

/** `local`: use only what Parley knows (webhook path; NeedsForum sends the event to the queue); `forum`: may ask the forum's API (queued path). */
type Mode = Exclude<PlanMode, 'explain'>;

export type InlineResult = { done: true; outcome: IngestOutcome } | { done: false };

export type Ingest = ReturnType<typeof createIngest>;

export const postEventKey = (postId: number): string => `post-${postId}`;

/** An event key as a BullMQ job id part (no `:`); a hash keeps two keys that differ only there apart. */
function jobKey(eventKey: string): string {
  const safe = eventKey.replace(/[^\w.-]/g, '_');
  return safe === eventKey ? eventKey : `${safe}-${createHash('sha256').update(eventKey).digest('hex').slice(0, 10)}`;
}

/** How the decision of a source is carried out (jobs/ingest-gitlab.ts uses these for GitLab). */
export interface Carrier {
  /** One delivery per planned channel of an announcement keyed `eventKey`; returns how many are new. */
  queueDeliveries(eventKey: string, opens: boolean, notification: Notification, channels: readonly PlannedChannel[]): Promise<number>;
  update(subject: string, notification: Notification, eventId: string): Promise<IngestOutcome>;
  /** `deleted`: remembered too, for a delivery of the subject not yet queued. */
  withdraw(subject: string, eventId: string, deleted: boolean): Promise<IngestOutcome>;
}

/** The event being handled: its id and arrival go into its delivery jobs, its id into every log line of its path. */
interface EventScope {
  eventId: string;
  acceptedAt: number | undefined;
  log?: Logger;
}

const eventOf = (data: IngestJob): EventScope => ({ eventId: data.eventId, acceptedAt: data.acceptedAt });

export function createIngest(deps: IngestDeps) {
  const { store } = deps;
  /** The logger of an event, whose lines carry its id (docs/architecture.md#metrics); made on first use. */
  const eventLog = (event: EventScope | undefined): Logger => (event ? (event.log ??= deps.log.child({ eventId: event.eventId })) : deps.log);
  /**
   * The event that jobs/ingest-gitlab.ts is handling, which it does not pass on: found here by the carrier's functions
   * and its log lines. Forum events are passed along instead, since an AsyncLocalStorage in use slows every promise
   * of the process.
   */
  const gitlabEvent = new AsyncLocalStorage<EventScope>();
  // The decision reads matched channels through the rules' cache: it only needs their ids and platforms, which never
  // change, and adding or removing a channel changes the rules version (lib/live-rules.ts).
  const routing = { ...deps, store: { channels: { get: (id: number) => deps.rules.channel(id) } } };
  // On the webhook's path, a large fan-out goes to the queue as soon as the match shows it.
  const inlineRouting = {
    ...routing,
    rules: {
      async match(input: MatchInput) {
        const matched = await deps.rules.match(input);
        if (matched.length > INLINE_FAN_OUT_LIMIT) throw new LargeFanOut(matched.length);
        return matched;
      },
    },
  };

  /** A delivery's channel and, while the delivery is queued, its job and whether it is being sent right now. */
  async function deliveryState(d: DeliveryRecord) {
    const channel = await store.channels.get(d.channelId);
    const job = channel && d.status === 'queued' ? await deps.queues.deliverQueue(channel.platform).getJob(d.jobId) : undefined;
    return { channel, job, sending: (await job?.isActive()) ?? false };
  }

  /** A post event: the decision is lib/routing.ts's (the same `parley route` explains); here it is carried out. */
  async function onPost(data: DiscourseIngestJob, mode: Mode, event: EventScope): Promise<IngestOutcome> {
    const plan = await planPost(data, mode === 'local' ? inlineRouting : routing, mode);
    switch (plan.action) {
      case 'invalid':
      case 'ignore':
        return { result: 'ignored', reason: plan.reason };
      case 'retry':
        // Only `explain` plans retry; here the forum's trouble is thrown, but a retry is what it would mean.
        throw new ForumUnavailableError(plan.reason);
      case 'withdraw':
        return withdraw(postSubject(plan.postId), data.eventId, plan.deleted);
      case 'update':
        return update(postSubject(plan.postId), plan.notification, data.eventId);
      case 'deliver':
        return { result: 'queued', deliveries: await queueDeliveries(postEventKey(plan.event.postId), plan.event.isFirstPost, plan.notification, plan.channels, event) };
    }
  }

  /**
   * An edited post. Not yet announced: the delivery announces the edited text (it reads this just before
   * sending). Announced (or being announced): a follow-up job edits the message to the latest text.
   */
  async function update(subject: string, notification: Notification, eventId: string): Promise<IngestOutcome> {
    await deps.queues.rememberEdit(subject, notification);
    let edits = 0;
    for (const d of await store.deliveries.findBySubject(subject)) {
      if (d.status !== 'delivered' && d.status !== 'queued') continue;
      const { channel, sending } = await deliveryState(d);
      if (d.status === 'queued' && !sending) continue;
      if (await followUp(d, channel, 'edit', eventId, sending)) edits++;
    }
    return { result: 'updated', edits };
  }

  /**
   * One delivery row and job per planned channel; returns how many are new. The rows of a chunk of channels are
   * written together (one commit on SQLite) and their jobs queued together (Queues.addDelivery).
   */
  async function queueDeliveries(
    eventKey: string,
    opens: boolean,
    notification: Notification,
    channels: readonly PlannedChannel[],
    event: EventScope | undefined,
  ): Promise<number> {
    const planned: PlannedChannel[] = [];
    for (const c of channels) {
      if (c.skip) eventLog(event).warn({ channel: c.channel.id, platform: c.channel.platform }, 'channel matched but its platform is not configured: skipped');
      else planned.push(c);
    }
    const jobOptions = deliverJobOptions({ delayMs: deps.delivery.delayMs, attempts: deps.delivery.attempts });
    const key = jobKey(eventKey);
    let queued = 0;
    for (let i = 0; i < planned.length; ) {
      const size = i === 0 ? FAN_OUT_FIRST_CHUNK : FAN_OUT_CHUNK;
      const chunk = planned.slice(i, i + size).map((c) => ({ ...c, jobId: deliveryJobId(key, c.channel.id) }));
      i += size;
      const rows = await Promise.all(
        chunk.map(({ channel, jobId }) =>
          store.deliveries.create({ jobId, eventKey, channelId: channel.id, subject: notification.subject, thread: notification.thread, opens }),
        ),
      );
      const adds: Promise<void>[] = [];
      chunk.forEach(({ channel, thread, jobId }, k) => {
        const { delivery, created } = rows[k]!;
        // A delivery row that exists already was queued by an earlier attempt or a repeated event: the
        // job id makes adding it again a no-op while the job lives, and the row guards it after.
        if (!created && (delivery.jobId !== jobId || delivery.status !== 'queued')) return;
        adds.push(
          deps.queues.addDelivery(
            channel.platform,
            { deliveryId: jobId, channelId: channel.id, notification, thread, ...(event ? { eventId: event.eventId, acceptedAt: event.acceptedAt } : {}) },
            { ...jobOptions, jobId },
          ),
        );
        if (created) queued++;
      });
      await Promise.all(adds);
    }
    return queued;
  }

  /**
   * A deleted (or hidden) post: an announcement still waiting is never sent; one sent, or being sent right now,
   * is deleted from the chat by a follow-up job.
   */
  async function withdraw(subject: string, eventId: string, deleted: boolean): Promise<IngestOutcome> {
    if (deleted) await deps.queues.markDeleted(subject);
    let cancelled = 0;
    let withdrawals = 0;
    for (const d of await store.deliveries.findBySubject(subject)) {
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
      { deliveryId: d.jobId, channelId: d.channelId, subject: d.subject, change, eventId },
      { eventId, attempts: deps.delivery.attempts, delayMs: sending ? SENDING_GRACE_MS : 0 },
    );
    return true;
  }

  async function onTopic(data: DiscourseIngestJob): Promise<IngestOutcome> {
    const parsed = parseTopicWebhook(data.body);
    if (!parsed.ok) return { result: 'ignored', reason: parsed.error };
    if (data.event === 'topic_destroyed') await deps.topics.remove(parsed.value.id);
    else await deps.topics.applyWebhook(parsed.value);
    return { result: 'cache-updated' };
  }

  async function onCategory(data: DiscourseIngestJob): Promise<IngestOutcome> {
    const parsed = parseCategoryWebhook(data.body);
    if (!parsed.ok) return { result: 'ignored', reason: parsed.error };
    if (data.event === 'category_destroyed') await deps.categories.removeFromWebhook(parsed.value.id);
    else await deps.categories.applyWebhook(parsed.value);
    return { result: 'cache-updated' };
  }

  // Its log lines are the event's too: `log` is read when it logs, inside the event's scope.
  const onGitLab = createGitLabIngest(
    { ...routing, get log() { return eventLog(gitlabEvent.getStore()); } },
    { queueDeliveries: (key, opens, notification, channels) => queueDeliveries(key, opens, notification, channels, gitlabEvent.getStore()), update, withdraw },
  );

  async function handle(data: IngestJob, mode: Mode, event: EventScope): Promise<IngestOutcome> {
    const outcome =
      data.source === 'gitlab'
        ? await gitlabEvent.run(event, () => onGitLab(data))
        : data.eventType === 'post' && POST_EVENTS.has(data.event)
        ? await onPost(data, mode, event)
        : data.eventType === 'topic'
          ? await onTopic(data)
          : data.eventType === 'category'
            ? await onCategory(data)
            : ({ result: 'ignored', reason: `${data.eventType}/${data.event} events are not used` } as const);
    eventLog(event).debug({ source: data.source, event: data.event, outcome }, 'event processed');
    return outcome;
  }

  const replay = (data: IngestJob, event: EventScope): IngestOutcome => {
    eventLog(event).info({ source: data.source, event: data.event }, 'repeated event dropped');
    return { result: 'replay' };
  };

  /**
   * Handles an event not seen before, then records its id. Recorded last, so that a process killed while handling
   * it leaves it unrecorded: the forum's resend (or the queue's retry) handles it again, which queues nothing twice
   * (delivery rows are unique, job ids fixed: docs/architecture.md#several-instances). A repeat sent while the first
   * is still being handled is handled alongside it, to the same effect.
   */
  async function handleOnce(data: IngestJob, mode: Mode, event: EventScope): Promise<IngestOutcome> {
    if (await store.inboundEvents.seen(data.source, data.eventId)) return replay(data, event);
    const outcome = await handle(data, mode, event);
    await store.inboundEvents.record(data.source, data.eventId);
    return outcome;
  }

  /**
   * Called by the webhook before queueing: handles the event at once when everything it needs is known
   * locally (the common case), so most events take one queue hop instead of two. Throws when the database cannot be
   * reached (the webhook then answers 503 and the forum sends the event again); any other trouble hands the event
   * to the queue.
   */
  async function tryInline(data: IngestJob): Promise<InlineResult> {
    const event = eventOf(data);
    try {
      return { done: true, outcome: await handleOnce(data, 'local', event) };
    } catch (err) {
      if (isStoreUnreachable(err)) throw new StoreUnavailableError(`the database cannot be reached: ${(err as Error).message}`, { cause: err });
      if (err instanceof LargeFanOut) eventLog(event).debug({ reason: err.message }, 'large fan-out handed to the ingest queue');
      else if (!(err instanceof NeedsForum)) eventLog(event).warn({ err: (err as Error).message }, 'forum event handed to the queue after an error');
      return { done: false };
    }
  }

  return {
    tryInline,

    /**
     * What a source's webhook route hands on (SourceHookDeps.accept): a forum event is tried inline first; GitLab's
     * go straight to the queue, so that GitLab has its answer at once. Throws when the queue cannot take it (503).
     */
    async accept(received: IngestJob): Promise<void> {
      // Its arrival, carried to the deliveries for parley_event_to_delivered_seconds.
      const data = { ...received, acceptedAt: received.acceptedAt ?? Date.now() };
      const inline = data.source === 'discourse' ? await tryInline(data) : null;
      if (inline?.done) return;
      await deps.queues.ingest.add(data.event ?? data.source, data, { ...ingestJobOptions(), jobId: ingestJobId(data.source, data.eventId) });
    },

    /** The BullMQ processor: may ask the forum, and is retried with backoff when the forum is down. */
    async processor(job: Job<IngestJob>): Promise<IngestOutcome> {
      const data = job.data;
      const event = eventOf(data);
      // A job queued by a version that recorded the event before handling it: handled whatever the record says.
      if (data.recorded) return handle(data, 'forum', event);
      return handleOnce(data, 'forum', event);
    },
  };
}
