// What a chat channel is told about an event (a forum post, a GitLab issue, …), before any platform's own formatting.
import type { PostEvent } from './events.js';

export interface Notification {
  kind: 'new_topic' | 'reply';
  title: string;
  url: string;
  author: string;
  category: { name: string; path: string; color: string | null } | null;
  tags: string[];
  excerpt: string;
  /** What is announced, as its source keys it (`discourse:post:12`): edits and deletions follow it. */
  subject: string;
  /** What it belongs to (`discourse:topic:3`): replies thread under the announcement that opened it. */
  thread: string;
}

export const postSubject = (postId: number): string => `discourse:post:${postId}`;
export const topicThread = (topicId: number): string => `discourse:topic:${topicId}`;

// Words that notify a whole room on some platform: @everyone (Discord), @here/@channel/@all (Slack,
// Mattermost), <!channel> and kin (Slack's raw form).
const MASS_MENTION = /@(everyone|here|channel|all)\b/giu;
const SLACK_SPECIAL = /<!(everyone|here|channel)(\|[^>]*)?>/giu;

/** Breaks every mass mention with a zero-width space after the @ so no platform treats it as a ping. */
export function neutralizeMassMentions(text: string): string {
  return text.replace(SLACK_SPECIAL, (_m, word: string) => `@\u200B${word}`).replace(MASS_MENTION, (_m, word: string) => `@\u200B${word}`);
}

/** Shortens at a word boundary, never inside a surrogate pair, and marks the cut with an ellipsis. */
export function shorten(text: string, max: number): string {
  const chars = Array.from(text.replace(/\s+/gu, ' ').trim());
  if (chars.length <= max) return chars.join('');
  const cut = chars.slice(0, max).join('');
  const space = cut.lastIndexOf(' ');
  return `${(space > max * 0.6 ? cut.slice(0, space) : cut).trimEnd()}…`;
}

export function buildNotification(event: PostEvent, opts: { excerptLength: number }): Notification {
  const c = event.category;
  return {
    kind: event.isFirstPost ? 'new_topic' : 'reply',
    title: neutralizeMassMentions(event.title),
    url: event.url,
    author: neutralizeMassMentions(event.author.name ? `${event.author.name} (@${event.author.username})` : event.author.username),
    category: c ? { name: neutralizeMassMentions(c.name), path: c.parentSlug ? `${c.parentSlug}/${c.slug}` : c.slug, color: c.color } : null,
    tags: event.tags.map(neutralizeMassMentions),
    excerpt: neutralizeMassMentions(shorten(event.text, opts.excerptLength)),
    subject: postSubject(event.postId),
    thread: topicThread(event.topicId),
  };
}
