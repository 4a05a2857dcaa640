// Topics (title, tags, category), because post webhooks carry no tags. Fed by topic webhooks; a topic we
// have never seen is fetched from the forum, but at most once per topic per interval, since the forum's
// API budget is shared by everything Parley does.
import type { Logger } from '../log.js';
import { silentLogger } from '../log.js';
import type { TopicRecord, TopicStore } from '../seams/store.js';
import { ForumRequestError } from '../errors.js';
import type { DiscourseClient } from './client.js';
import type { TopicPayload } from './payloads.js';

export interface TopicCacheOptions {
  store: TopicStore;
  /** Null: no API key configured, so tags come from topic webhooks alone. */
  client: DiscourseClient | null;
  /** A topic missing from the store is fetched at most this often. Default 10 minutes. */
  refetchIntervalMs?: number;
  /** Fetch attempts remembered, to bound memory. Default 10,000. */
  maxTracked?: number;
  log?: Logger;
  now?: () => number;
}

export class TopicCache {
  private readonly attempts = new Map<number, number>();
  private readonly inFlight = new Map<number, Promise<TopicRecord | null>>();
  private readonly refetchIntervalMs: number;
  private readonly maxTracked: number;
  private readonly log: Logger;
  private readonly now: () => number;

  private readonly store: TopicStore;
  private readonly client: DiscourseClient | null;

  constructor(opts: TopicCacheOptions) {
    this.store = opts.store;
    this.client = opts.client;
    this.refetchIntervalMs = opts.refetchIntervalMs ?? 10 * 60_000;
    this.maxTracked = opts.maxTracked ?? 10_000;
    this.log = opts.log ?? silentLogger;
    this.now = opts.now ?? Date.now;
  }

  /** topic_created / topic_edited / topic_recovered…: the payload is the truth about the topic now. */
  async applyWebhook(topic: TopicPayload): Promise<void> {
    const title = topic.title ?? (await this.store.get(topic.id))?.title ?? '';
    await this.store.upsert({ topicId: topic.id, title, tags: topic.tags, categoryId: topic.category_id ?? null });
  }

  async remove(topicId: number): Promise<void> {
    await this.store.remove(topicId);
  }

  /**
   * The topic's tags; [] when neither the cache nor (sparingly) the forum knows them. Throws the forum's
   * error when it is down or rate limited, so an event is retried rather than matched without its tags.
   */
  async tagsFor(topicId: number): Promise<string[]> {
    return (await this.get(topicId))?.tags ?? [];
  }

  /** The cached topic, without asking the forum; undefined when it is not cached. */
  async known(topicId: number): Promise<TopicRecord | undefined> {
    return this.store.get(topicId);
  }

  /** From the store, else from the forum (at most once per topic per interval), else null. */
  async get(topicId: number): Promise<TopicRecord | null> {
    const cached = await this.store.get(topicId);
    if (cached) return cached;
    if (!this.client) return null;
    const pending = this.inFlight.get(topicId);
    if (pending) return pending;
    const last = this.attempts.get(topicId);
    if (last !== undefined && this.now() - last < this.refetchIntervalMs) return null;
    this.remember(topicId);
    const fetching = this.fetch(this.client, topicId).finally(() => this.inFlight.delete(topicId));
    this.inFlight.set(topicId, fetching);
    return fetching;
  }

  private async fetch(client: DiscourseClient, topicId: number): Promise<TopicRecord | null> {
    let topic;
    try {
      topic = await client.topic(topicId);
    } catch (err) {
      if (err instanceof ForumRequestError) {
        this.log.warn({ topicId, err: err.message }, 'the forum does not show this topic; going on without its tags');
        return null;
      }
      // Down or rate limited: the caller retries later, and this topic may be asked for again then.
      this.attempts.delete(topicId);
      throw err;
    }
    const record = { topicId, title: topic.title, tags: topic.tags, categoryId: topic.categoryId };
    await this.store.upsert(record);
    return { ...record, updatedAt: new Date(this.now()) };
  }

  private remember(topicId: number): void {
    this.attempts.delete(topicId); // re-inserted last, so the map stays ordered oldest first
    this.attempts.set(topicId, this.now());
    if (this.attempts.size <= this.maxTracked) return;
    for (const [id, at] of this.attempts) {
      if (this.attempts.size <= this.maxTracked && this.now() - at < this.refetchIntervalMs) break;
      this.attempts.delete(id);
    }
  }
}
