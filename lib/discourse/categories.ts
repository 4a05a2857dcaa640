// The forum's categories, as posts need them (slug path, parent, colour, restricted). Kept in the store,
// fed by category webhooks, and refreshed from /site.json on a miss, at most once per interval: the forum's
// API budget is small and a post in an unknown category must not turn into a request per post.
import type { CategoryInfo } from '../events.js';
import { categoryPath } from '../events.js';
import type { Logger } from '../log.js';
import { silentLogger } from '../log.js';
import type { CategoryRecord, CategoryStore } from '../seams/store.js';
import type { DiscourseClient, SiteCategory } from './client.js';
import { categorySlugForUrl, type CategoryPayload } from './payloads.js';

export interface CategoryCacheOptions {
  store: CategoryStore;
  /** Null: no API key configured, so categories come from webhooks alone. */
  client: DiscourseClient | null;
  /** A miss refreshes from the forum at most this often. Default 5 minutes. */
  refreshIntervalMs?: number;
  /** How long this process trusts its copy before reading the store again (other processes write it). Default 30 s. */
  reloadMs?: number;
  log?: Logger;
  now?: () => number;
}

type Snapshot = Map<number, CategoryRecord>;

export class CategoryCache {
  private snapshot: Snapshot | null = null;
  private loadedAt = 0;
  private lastRefreshAt = Number.NEGATIVE_INFINITY;
  private refreshing: Promise<boolean> | null = null;
  private readonly refreshIntervalMs: number;
  private readonly reloadMs: number;
  private readonly log: Logger;
  private readonly now: () => number;

  private readonly store: CategoryStore;
  private readonly client: DiscourseClient | null;

  constructor(opts: CategoryCacheOptions) {
    this.store = opts.store;
    this.client = opts.client;
    this.refreshIntervalMs = opts.refreshIntervalMs ?? 5 * 60_000;
    this.reloadMs = opts.reloadMs ?? 30_000;
    this.log = opts.log ?? silentLogger;
    this.now = opts.now ?? Date.now;
  }

  /** What Parley knows of a category without asking the forum; null when that is nothing. */
  async resolveKnown(categoryId: number): Promise<CategoryInfo | null> {
    const snap = await this.load();
    const c = snap.get(categoryId);
    return c !== undefined && (c.parentId == null || snap.has(c.parentId)) ? toInfo(c, snap) : null;
  }

  async resolve(categoryId: number): Promise<CategoryInfo | null> {
    let snap = await this.load();
    const known = (s: Snapshot) => {
      const c = s.get(categoryId);
      // A subcategory whose parent we do not know would get the wrong slug path: count it as a miss.
      return c !== undefined && (c.parentId == null || s.has(c.parentId));
    };
    if (!known(snap) && (await this.refreshOnMiss())) snap = await this.load();
    const record = snap.get(categoryId);
    return record ? toInfo(record, snap) : null;
  }

  /** Case-insensitive `slug` or `parent/child`, as users type after `c/`. */
  async findByPath(path: string): Promise<CategoryInfo | null> {
    const wanted = path.trim().replace(/^\/+|\/+$/g, '').toLowerCase();
    if (wanted === '') return null;
    const find = (s: Snapshot) => {
      for (const c of s.values()) if (categoryPath(toInfo(c, s)).toLowerCase() === wanted) return toInfo(c, s);
      return null;
    };
    const hit = find(await this.load());
    if (hit || !(await this.refreshOnMiss())) return hit;
    return find(await this.load());
  }

  /** Every slug path, sorted: for "did you mean" hints. */
  async paths(): Promise<string[]> {
    let snap = await this.load();
    if (snap.size === 0 && (await this.refreshOnMiss())) snap = await this.load();
    return [...snap.values()].map((c) => categoryPath(toInfo(c, snap))).sort();
  }

  async all(): Promise<CategoryInfo[]> {
    const snap = await this.load();
    return [...snap.values()].map((c) => toInfo(c, snap));
  }

  /** category_created / category_updated. */
  async applyWebhook(payload: CategoryPayload): Promise<void> {
    const snap = await this.load();
    const previous = snap.get(payload.id);
    const slug = categorySlugForUrl(payload.id, payload.slug);
    const record: CategoryRecord = {
      id: payload.id,
      slug,
      name: payload.name || previous?.name || slug,
      parentId: payload.parent_category_id ?? null,
      color: payload.color || null,
      // Unknown means restricted: better silent than leaking a private category through `all`.
      restricted: payload.read_restricted ?? previous?.restricted ?? true,
    };
    await this.store.upsert(record);
    snap.set(record.id, record);
  }

  /** category_destroyed. */
  async removeFromWebhook(categoryId: number): Promise<void> {
    await this.store.remove(categoryId);
    this.snapshot?.delete(categoryId);
  }

  /** Fetches the list now if the interval allows; true when it did. */
  refresh(): Promise<boolean> {
    return this.refreshOnMiss();
  }

  private async load(): Promise<Snapshot> {
    if (this.snapshot && this.now() - this.loadedAt < this.reloadMs) return this.snapshot;
    const list = await this.store.list();
    this.snapshot = new Map(list.map((c) => [c.id, c]));
    this.loadedAt = this.now();
    return this.snapshot;
  }

  private refreshOnMiss(): Promise<boolean> {
    if (!this.client) return Promise.resolve(false);
    if (this.refreshing) return this.refreshing;
    if (this.now() - this.lastRefreshAt < this.refreshIntervalMs) return Promise.resolve(false);
    // Counted from the attempt, so a forum that is down is not asked again on every post.
    this.lastRefreshAt = this.now();
    const client = this.client;
    this.refreshing = (async () => {
      try {
        const categories = await client.site();
        await this.store.replaceAll(categories.map(toRecord));
        this.snapshot = null;
        this.log.info({ categories: categories.length }, 'forum categories refreshed');
        return true;
      } catch (err) {
        this.log.warn({ err: (err as Error).message }, 'could not refresh forum categories; using what is known');
        return false;
      } finally {
        this.refreshing = null;
      }
    })();
    return this.refreshing;
  }
}

function toRecord(c: SiteCategory): CategoryRecord {
  return { id: c.id, slug: c.slug, name: c.name, parentId: c.parentCategoryId, color: c.color, restricted: c.readRestricted };
}

function toInfo(c: CategoryRecord, all: Snapshot): CategoryInfo {
  const parent = c.parentId == null ? undefined : all.get(c.parentId);
  return { id: c.id, slug: c.slug, name: c.name, parentSlug: parent?.slug ?? null, color: c.color, restricted: c.restricted };
}
