// The forum's REST API, as Parley uses it: categories, topics, users, and creating a topic as a user.
// Discourse allows a fixed number of admin API requests a minute for the whole forum, so every request
// first takes a token from a budget shared through Redis by all Parley processes.
import { setTimeout as sleep } from 'node:timers/promises';
import type { Redis } from 'ioredis';
import { RateLimiterMemory, RateLimiterRedis, RateLimiterRes } from 'rate-limiter-flexible';
import { z } from 'zod';
import { ForumRateLimitedError, ForumRequestError, ForumUnavailableError } from '../errors.js';
import type { Logger } from '../log.js';
import { silentLogger } from '../log.js';
import type { CreatedTopic, ForumUser, NewTopic, TopicRef } from '../seams/forum.js';
import { categorySchema, categorySlugForUrl, tagNames, topicSchema } from './payloads.js';

export interface SiteCategory {
  id: number;
  slug: string;
  name: string;
  parentCategoryId: number | null;
  /** Hex without '#'. */
  color: string | null;
  readRestricted: boolean;
}

export interface ForumTopic {
  id: number;
  title: string;
  tags: string[];
  categoryId: number | null;
}

/** A topic of the forum's latest list (/latest.json), as a picker shows it. */
export interface LatestTopic {
  id: number;
  title: string;
  /** The topic's absolute URL. */
  url: string;
  categoryId: number | null;
  /** ISO 8601, as the forum gave it; null when it gave none. */
  createdAt: string | null;
}

/** A tag of the forum (/tags.json) with how many topics carry it. */
export interface ForumTag {
  name: string;
  count: number;
}

/** A ForumRequestError that keeps Discourse's own messages (`errors: [...]`) for callers that tell them apart. */
export class ForumRefusalError extends ForumRequestError {
  constructor(
    status: number,
    message: string,
    readonly reasons: string[],
  ) {
    super(status, message);
  }
}

export interface ForumBudgetOptions {
  redis: Redis;
  /** Usually the queue prefix, so that two Parley installations on one Redis do not share a budget. */
  keyPrefix: string;
  /** Default 60, Discourse's default max_admin_api_reqs_per_minute. */
  requestsPerMinute?: number;
  /** How long a request may wait for the budget before ForumRateLimitedError. Default 10 s. */
  maxWaitMs?: number;
}

/**
 * The per-minute budget of forum API requests, shared by all processes through Redis. When Redis is
 * unreachable each process falls back to the same budget in memory rather than stopping or running free.
 */
export class ForumRequestBudget {
  private readonly limiter: RateLimiterRedis;
  private readonly maxWaitMs: number;

  constructor(opts: ForumBudgetOptions) {
    const points = opts.requestsPerMinute ?? 60;
    this.maxWaitMs = opts.maxWaitMs ?? 10_000;
    this.limiter = new RateLimiterRedis({
      storeClient: opts.redis,
      keyPrefix: `${opts.keyPrefix}:forum-api`,
      points,
      duration: 60,
      rejectIfRedisNotReady: true,
      insuranceLimiter: new RateLimiterMemory({ keyPrefix: `${opts.keyPrefix}:forum-api-local`, points, duration: 60 }),
    });
  }

  /** Takes one request from the budget, waiting while the wait fits in maxWaitMs; else throws ForumRateLimitedError. */
  async take(): Promise<void> {
    const deadline = Date.now() + this.maxWaitMs;
    for (;;) {
      try {
        await this.limiter.consume('admin', 1);
        return;
      } catch (rejection) {
        if (!(rejection instanceof RateLimiterRes)) {
          throw new ForumUnavailableError(`forum request budget unavailable: ${(rejection as Error)?.message ?? String(rejection)}`);
        }
        const wait = Math.max(rejection.msBeforeNext, 1);
        if (Date.now() + wait > deadline) throw new ForumRateLimitedError(wait);
        await sleep(wait + Math.floor(Math.random() * 50));
      }
    }
  }
}

export interface DiscourseClientOptions {
  /** The forum's base URL, e.g. https://forum.example.org (a subfolder is fine). */
  baseUrl: string;
  apiKey: string;
  /** The user the key acts as unless a call says otherwise (PARLEY_DISCOURSE_API_USERNAME). */
  apiUsername: string;
  /** Null: no shared budget (tests, tools). */
  budget: ForumRequestBudget | null;
  /** Per request, including reading the body. Default 10 s. */
  timeoutMs?: number;
  /** A 429 asking to wait at most this long is retried once after the wait. Default 10 s. */
  maxRetryAfterMs?: number;
  log?: Logger;
}

export interface RequestOptions {
  /** Act as this forum user (for example to create a topic as the moderator who asked for it). */
  apiUsername?: string;
  /** Sent as JSON. */
  body?: unknown;
}

// Without Retry-After or wait_seconds we cannot know; a minute is Discourse's own window.
const UNKNOWN_RETRY_MS = 60_000;

/** Discourse's own rule for Topic#external_id (Ruby's \w is ASCII). */
const EXTERNAL_ID = /^[A-Za-z0-9_-]{1,50}$/;

const siteResponse = z.looseObject({ categories: z.array(categorySchema) });
const createdPostResponse = z.looseObject({ id: z.number().int(), topic_id: z.number().int(), topic_slug: z.string().nullish().catch(undefined) });
const latestResponse = z.looseObject({
  topic_list: z.looseObject({
    topics: z.array(
      z.looseObject({
        id: z.number().int(),
        title: z.string().nullish().catch(undefined),
        slug: z.string().nullish().catch(undefined),
        category_id: z.number().int().nullish().catch(undefined),
        created_at: z.string().nullish().catch(undefined),
      }),
    ),
  }),
});
// Discourse 3.x names a tag by `id` (its name) and `text`; newer versions give a number `id` and a `name`.
const tagsResponse = z.looseObject({
  tags: z.array(
    z.looseObject({
      id: z.union([z.string(), z.number()]).nullish().catch(undefined),
      name: z.string().nullish().catch(undefined),
      text: z.string().nullish().catch(undefined),
      count: z.number().int().nullish().catch(undefined),
    }),
  ),
});
/** What Discourse answers (200) when the post waits in the review queue instead of being created. */
const enqueuedResponse = z.looseObject({ action: z.literal('enqueued') });
const topicWithPostsResponse = z.looseObject({
  id: z.number().int(),
  slug: z.string().nullish().catch(undefined),
  post_stream: z
    .looseObject({ posts: z.array(z.looseObject({ id: z.number().int(), post_number: z.number().int().nullish().catch(undefined) })) })
    .optional()
    .catch(undefined),
});
const userResponse = z.looseObject({
  user: z.looseObject({
    username: z.string(),
    admin: z.boolean().nullish().catch(undefined),
    moderator: z.boolean().nullish().catch(undefined),
    groups: z.unknown().optional().transform(tagNames),
  }),
});

export class DiscourseClient {
  private readonly baseUrl: string;
  private readonly timeoutMs: number;
  private readonly maxRetryAfterMs: number;
  private readonly log: Logger;

  constructor(private readonly opts: DiscourseClientOptions) {
    this.baseUrl = opts.baseUrl.replace(/\/+$/, '');
    this.timeoutMs = opts.timeoutMs ?? 10_000;
    this.maxRetryAfterMs = opts.maxRetryAfterMs ?? 10_000;
    this.log = opts.log ?? silentLogger;
  }

  /** All categories the API user can see (an admin sees the restricted ones too). */
  async site(opts: RequestOptions = {}): Promise<SiteCategory[]> {
    const data = this.check('GET /site.json', siteResponse, await this.request('GET', '/site.json', opts));
    return data.categories.map((c) => ({
      id: c.id,
      slug: categorySlugForUrl(c.id, c.slug),
      name: c.name || categorySlugForUrl(c.id, c.slug),
      parentCategoryId: c.parent_category_id ?? null,
      color: c.color || null,
      // Unknown means restricted: better silent than leaking.
      readRestricted: c.read_restricted !== false,
    }));
  }

  async topic(id: number, opts: RequestOptions = {}): Promise<ForumTopic> {
    const path = `/t/${encodeURIComponent(String(id))}.json`;
    const t = this.check(`GET ${path}`, topicSchema, await this.request('GET', path, opts));
    return { id: t.id, title: t.title ?? '', tags: t.tags, categoryId: t.category_id ?? null };
  }

  /** The forum's latest topics (`GET /latest.json`, in the forum's own order: most recently active first). */
  async latestTopics(opts: RequestOptions = {}): Promise<LatestTopic[]> {
    const { topic_list } = this.check('GET /latest.json', latestResponse, await this.request('GET', '/latest.json', opts));
    return topic_list.topics.map((t) => ({ id: t.id, title: t.title ?? '', url: this.topicUrl(t.id, t.slug), categoryId: t.category_id ?? null, createdAt: t.created_at ?? null }));
  }

  /** Every tag the API user can see (`GET /tags.json`), with its topic count. */
  async tags(opts: RequestOptions = {}): Promise<ForumTag[]> {
    const { tags } = this.check('GET /tags.json', tagsResponse, await this.request('GET', '/tags.json', opts));
    return tags.flatMap((t) => {
      const name = t.name ?? t.text ?? (typeof t.id === 'string' ? t.id : null);
      return name ? [{ name, count: t.count ?? 0 }] : [];
    });
  }

  async user(username: string, opts: RequestOptions = {}): Promise<ForumUser> {
    const path = `/u/${encodeURIComponent(username)}.json`;
    const { user } = this.check(`GET ${path}`, userResponse, await this.request('GET', path, opts));
    return { username: user.username, admin: user.admin === true, moderator: user.moderator === true, groups: user.groups };
  }

  /**
   * Creates a topic with its first post, as `apiUsername`, in ONE `POST /posts.json`. When the forum says the
   * external id is taken (a retried job whose first try got through), returns that topic with existed=true.
   * Other refusals (title too short, body too long, no permission…) are a ForumRefusalError carrying
   * Discourse's messages.
   */
  async createTopic(topic: NewTopic, opts: { apiUsername: string }): Promise<CreatedTopic> {
    if (!EXTERNAL_ID.test(topic.externalId)) {
      throw new RangeError(`external id ${JSON.stringify(topic.externalId)} is not one Discourse accepts: 1 to 50 letters, digits, _ or -`);
    }
    // Real Discourse takes `tags` here, though its OpenAPI document does not list it.
    const body = {
      title: topic.title,
      raw: topic.raw,
      ...(topic.categoryId != null ? { category: topic.categoryId } : {}),
      ...(topic.tags && topic.tags.length > 0 ? { tags: [...topic.tags] } : {}),
      external_id: topic.externalId,
    };
    let data: unknown;
    try {
      data = await this.request('POST', '/posts.json', { apiUsername: opts.apiUsername, body });
    } catch (err) {
      if (!(err instanceof ForumRefusalError && err.status === 422 && err.reasons.some(saysExternalIdTaken))) throw err;
      const existing = await this.topicByExternalId(topic.externalId, { apiUsername: opts.apiUsername });
      if (!existing) {
        throw new ForumRefusalError(422, `${err.message}; yet ${opts.apiUsername} can see no topic with external id ${topic.externalId}`, err.reasons);
      }
      this.log.info({ topicId: existing.topicId, externalId: topic.externalId }, 'topic already created by an earlier attempt');
      return { ...existing, existed: true };
    }
    if (enqueuedResponse.safeParse(data).success) {
      throw new ForumRequestError(
        202,
        `the forum put the post in its review queue instead of creating the topic: a moderator must approve it (or let ${opts.apiUsername} post in that category without approval)`,
      );
    }
    const post = this.check('POST /posts.json', createdPostResponse, data);
    return { topicId: post.topic_id, postId: post.id, url: this.topicUrl(post.topic_id, post.topic_slug), existed: false };
  }

  /** The topic created with this external id, or null when there is none (or the user may not see it). */
  async topicByExternalId(externalId: string, opts: RequestOptions = {}): Promise<TopicRef | null> {
    // Discourse answers with a redirect to /t/{slug}/{id}.json, which request() follows on the forum's origin.
    const path = `/t/external_id/${encodeURIComponent(externalId)}.json`;
    let data: unknown;
    try {
      data = await this.request('GET', path, opts);
    } catch (err) {
      if (err instanceof ForumRequestError && err.status === 404) return null;
      throw err;
    }
    const t = this.check(`GET ${path}`, topicWithPostsResponse, data);
    const first = t.post_stream?.posts.find((p) => p.post_number === 1);
    return { topicId: t.id, postId: first?.id ?? null, url: this.topicUrl(t.id, t.slug) };
  }

  private topicUrl(id: number, slug: string | null | undefined): string {
    // Discourse serves a topic under any slug; "topic" is its own stand-in for an empty one.
    return `${this.baseUrl}/t/${encodeURIComponent(decodeSlug(slug?.trim() || 'topic'))}/${id}`;
  }

  /**
   * One API call: takes from the shared budget, times out, obeys a short 429 once, and turns failures
   * into ForumRateLimitedError / ForumUnavailableError / ForumRequestError. Returns the parsed JSON.
   */
  async request(method: string, path: string, opts: RequestOptions = {}): Promise<unknown> {
    const first = await this.send(method, path, opts);
    if (first.status !== 429) return this.settle(method, path, first);
    const wait = await retryAfterMs(first);
    if (wait > this.maxRetryAfterMs) throw new ForumRateLimitedError(wait);
    this.log.info({ method, path, waitMs: wait }, 'forum asked to slow down; retrying once');
    await sleep(wait);
    const second = await this.send(method, path, opts);
    if (second.status === 429) throw new ForumRateLimitedError(await retryAfterMs(second));
    return this.settle(method, path, second);
  }

  private async send(method: string, path: string, opts: RequestOptions): Promise<Response> {
    const headers: Record<string, string> = {
      Accept: 'application/json',
      'Api-Key': this.opts.apiKey,
      'Api-Username': opts.apiUsername ?? this.opts.apiUsername,
    };
    if (opts.body !== undefined) headers['Content-Type'] = 'application/json';
    let url = `${this.baseUrl}${path}`;
    // Redirects are followed by hand and only on the forum's own origin: fetch would carry Api-Key
    // along to any other host a redirect names.
    for (let hop = 0; ; hop++) {
      await this.opts.budget?.take();
      let res: Response;
      try {
        res = await fetch(url, {
          method,
          headers,
          body: opts.body === undefined ? undefined : JSON.stringify(opts.body),
          signal: AbortSignal.timeout(this.timeoutMs),
          redirect: 'manual',
        });
      } catch (err) {
        throw new ForumUnavailableError(`forum unreachable (${method} ${path}): ${describeFetchError(err)}`);
      }
      this.log.debug({ method, path, status: res.status }, 'forum request');
      const location = res.status >= 300 && res.status < 400 ? res.headers.get('location') : null;
      if (!location) return res;
      await res.body?.cancel();
      const next = new URL(location, url);
      if (next.origin !== new URL(this.baseUrl).origin || hop >= 2) {
        throw new ForumRequestError(res.status, `forum redirected ${method} ${path} to ${next.origin}${next.pathname}: set PARLEY_DISCOURSE_URL to the forum's final address`);
      }
      url = next.toString();
    }
  }

  private async settle(method: string, path: string, res: Response): Promise<unknown> {
    let text: string;
    try {
      text = await res.text();
    } catch (err) {
      throw new ForumUnavailableError(`forum stopped answering (${method} ${path}): ${describeFetchError(err)}`);
    }
    if (res.status >= 500) throw new ForumUnavailableError(`forum answered ${res.status} to ${method} ${path}`);
    if (res.status >= 300) {
      const reasons = errorMessages(text);
      const reason = reasons.length > 0 ? reasons.join('; ') : res.statusText || 'no reason given';
      throw new ForumRefusalError(res.status, `forum refused ${method} ${path} (${res.status}): ${reason}`, reasons);
    }
    if (text.trim() === '') return null;
    try {
      return JSON.parse(text) as unknown;
    } catch {
      // An HTML page with a 200 is what a proxy or maintenance page looks like: not the forum itself.
      throw new ForumUnavailableError(`forum answered ${method} ${path} with something that is not JSON`);
    }
  }

  private check<S extends z.ZodType>(what: string, schema: S, data: unknown): z.output<S> {
    const parsed = schema.safeParse(data);
    if (parsed.success) return parsed.data;
    const issue = parsed.error.issues[0];
    throw new ForumRequestError(200, `unexpected answer to ${what}: ${issue ? `${issue.path.join('.')}: ${issue.message}` : 'wrong shape'}`);
  }
}

/** Retry-After (seconds or an HTTP date), else Discourse's `extras.wait_seconds`, in ms. */
async function retryAfterMs(res: Response): Promise<number> {
  const header = res.headers.get('retry-after')?.trim();
  let bodyText = '';
  try {
    bodyText = await res.text();
  } catch {
    // The header may still tell us.
  }
  if (header) {
    if (/^\d+(\.\d+)?$/.test(header)) return Math.ceil(Number(header) * 1000);
    const date = Date.parse(header);
    if (!Number.isNaN(date)) return Math.max(0, date - Date.now());
  }
  try {
    const wait = (JSON.parse(bodyText) as { extras?: { wait_seconds?: unknown } })?.extras?.wait_seconds;
    const seconds = typeof wait === 'string' ? Number(wait) : wait;
    if (typeof seconds === 'number' && Number.isFinite(seconds) && seconds >= 0) return Math.ceil(seconds * 1000);
  } catch {
    // Not JSON: fall through.
  }
  return UNKNOWN_RETRY_MS;
}

/** Discourse's error bodies: `{"errors": ["…"], "error_type": "…"}`. */
function errorMessages(text: string): string[] {
  try {
    const body = JSON.parse(text) as { errors?: unknown; error?: unknown; error_type?: unknown };
    if (Array.isArray(body.errors)) {
      const messages = body.errors.filter((e): e is string => typeof e === 'string');
      if (messages.length > 0) return messages;
    }
    if (typeof body.error === 'string') return [body.error];
    if (typeof body.error_type === 'string') return [body.error_type];
  } catch {
    // Not JSON.
  }
  return [];
}

/**
 * The uniqueness error on Topic#external_id. Rails names the attribute "External" (humanize drops `_id`),
 * a locale may say "External ID": match both, in any case, and not the format or length errors.
 */
function saysExternalIdTaken(message: string): boolean {
  return /\bexternal\b/i.test(message) && /already|taken/i.test(message);
}

/** Slugs of non-Latin titles come percent-encoded; decode first so that they are encoded exactly once. */
function decodeSlug(slug: string): string {
  try {
    return decodeURIComponent(slug);
  } catch {
    return slug;
  }
}

function describeFetchError(err: unknown): string {
  if (err instanceof Error) {
    if (err.name === 'TimeoutError') return 'timed out';
    const cause = (err as { cause?: { code?: unknown; message?: unknown } }).cause;
    if (cause && typeof cause.code === 'string') return cause.code;
    return err.message;
  }
  return String(err);
}
