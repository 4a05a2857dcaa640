// The forum seam: what commands and jobs ask of the forum, whichever forum it is (docs/architecture.md#seams).
// lib/discourse/client.ts is the implementation.

export interface ForumUser {
  username: string;
  admin: boolean;
  moderator: boolean;
  /** Names of the groups the user is in (as the API key's user can see them). */
  groups: string[];
}

export interface NewTopic {
  title: string;
  /** The first post, in forum Markdown. */
  raw: string;
  /** Omitted: the forum's default (uncategorized, where allowed). */
  categoryId?: number | null;
  tags?: readonly string[];
  /**
   * Makes creation idempotent: the forum refuses a second topic with the same id, and we then return the first.
   * Discourse takes letters, digits, `_` and `-`, at most 50, compared case-insensitively.
   */
  externalId: string;
}

export interface TopicRef {
  topicId: number;
  /** The first post; null when the forum's answer about an existing topic did not include it. */
  postId: number | null;
  /** Absolute: `${baseUrl}/t/{slug}/{id}`. */
  url: string;
}

export interface CreatedTopic extends TopicRef {
  /** True when a topic with this external id was already there (a retried job): nothing new was made. */
  existed: boolean;
}

/** Creates a transcript's topic as a forum user (jobs/transcript.ts). */
export interface ForumTopics {
  createTopic(topic: NewTopic, opts: { apiUsername: string }): Promise<CreatedTopic>;
}
