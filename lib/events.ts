// A forum event, normalized from whatever the forum sent (Discourse today, GitLab next).

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

/** What matching needs to know of an event. Kept small so the matcher stays a pure function. */
export interface MatchInput {
  categoryPath: string | null;
  /** Slug path of the parent category, so that `c/parent` also covers its children. */
  parentPath: string | null;
  restricted: boolean;
  privateMessage: boolean;
  tags: readonly string[];
  isFirstPost: boolean;
}

export function matchInput(e: PostEvent): MatchInput {
  return {
    categoryPath: e.category ? categoryPath(e.category) : null,
    parentPath: e.category?.parentSlug ?? null,
    // An event whose category we could not learn is treated as restricted: better silent than leaking.
    restricted: e.category ? e.category.restricted : true,
    privateMessage: e.privateMessage,
    tags: e.tags,
    isFirstPost: e.isFirstPost,
  };
}
