// A forum event, normalized from what Discourse sent, and what matching reads of any source's event.
import { scopeKey, type SourceName } from './rules.js';

export interface CategoryInfo {
  id: number;
  slug: string;
  name: string;
  /** Slug of the parent category, if this is a subcategory. */
  parentSlug: string | null;
  /** Hex colour without '#', as Discourse gives it. */
  color: string | null;
  /** Read-restricted in the forum: only reaches channels whose rule names this category. */
  restricted: boolean;
}

/** The slug path users type after `c/`: `meta` or `parent/child`. */
export function categoryPath(c: Pick<CategoryInfo, 'slug' | 'parentSlug'>): string {
  return c.parentSlug ? `${c.parentSlug}/${c.slug}` : c.slug;
}

export type PostEventKind = 'post_created' | 'post_edited' | 'post_destroyed' | 'post_recovered';

export interface PostEvent {
  source: 'discourse';
  kind: PostEventKind;
  /** X-Discourse-Event-Id (unique per forum instance). */
  eventId: string;
  postId: number;
  topicId: number;
  postNumber: number;
  /** The first post of a topic (what `follow` delivers). */
  isFirstPost: boolean;
  /** Null for private messages and when the category could not be known. */
  category: CategoryInfo | null;
  privateMessage: boolean;
  tags: string[];
  author: { username: string; name: string | null };
  title: string;
  /** Plain text from the post, not yet shortened. */
  text: string;
  /** Absolute URL of the post. */
  url: string;
  createdAt: string;
}

/**
 * What matching needs to know of an event, from any source. Kept small so the matcher stays a pure function.
 * Keys are scopeKey()s (lib/rules.ts): what a rule naming that scope would be filed under.
 */
export interface MatchInput {
  source: SourceName;
  /** The scopes that name the event's own place (its category, its project): the only way in when restricted. */
  named: readonly string[];
  /** The broader scopes that cover it (parent category, groups, tags, labels): closed to restricted events but for mute. */
  covering: readonly string[];
  /** Read-restricted at the source (a restricted category, a private or internal project). */
  restricted: boolean;
  /** Never announced anywhere (a private message, a confidential issue). */
  hidden: boolean;
  /** Opens something (a topic's first post, an opened issue, a release): what `follow` delivers. */
  opens: boolean;
}

/** A Discourse post as matching sees it, before it is turned into keys. */
export interface PostMatchFacts {
  categoryPath: string | null;
  /** Slug path of the parent category, so that `c/parent` also covers its children. */
  parentPath: string | null;
  restricted: boolean;
  privateMessage: boolean;
  tags: readonly string[];
  isFirstPost: boolean;
}

export function postMatchInput(f: PostMatchFacts): MatchInput {
  const category = (path: string): string => scopeKey('discourse', { type: 'category', path: path.toLowerCase() });
  const parent = f.parentPath?.toLowerCase();
  return {
    source: 'discourse',
    named: f.categoryPath === null ? [] : [category(f.categoryPath)],
    covering: [
      ...(parent !== undefined && parent !== f.categoryPath?.toLowerCase() ? [category(parent)] : []),
      ...new Set(f.tags.map((t) => scopeKey('discourse', { type: 'tag', name: t.toLowerCase() }))),
    ],
    restricted: f.restricted,
    hidden: f.privateMessage,
    opens: f.isFirstPost,
  };
}

export function matchInput(e: PostEvent): MatchInput {
  return postMatchInput({
    categoryPath: e.category ? categoryPath(e.category) : null,
    parentPath: e.category?.parentSlug ?? null,
    // An event whose category we could not learn is treated as restricted: better silent than leaking.
    restricted: e.category ? e.category.restricted : true,
    privateMessage: e.privateMessage,
    tags: e.tags,
    isFirstPost: e.isFirstPost,
  });
}
