// A Discourse post webhook → Parley's PostEvent. Pure: the category and tags are looked up by the caller.
import type { CategoryInfo, PostEvent, PostEventKind } from '../events.js';
import type { PostPayload } from './payloads.js';

export interface NormalizeContext {
  eventId: string;
  kind: PostEventKind;
  /** The forum's base URL (PARLEY_DISCOURSE_URL), possibly with a subfolder. */
  baseUrl: string;
  /** The post's category, as resolved by the category cache; ignored for private messages. */
  category: CategoryInfo | null;
  /** The topic's tags (post webhooks carry none). */
  tags: string[];
  /** Used when the payload has no topic_title (it always has one today). */
  topicTitle?: string;
}

/** Why a post is not an event anyone should hear about. */
export interface Skip {
  skip: string;
}

export type NormalizeResult = PostEvent | Skip;

export function isSkip(r: NormalizeResult): r is Skip {
  return 'skip' in r;
}

// Discourse's Post.types.
const POST_TYPE_NAMES: Record<number, string> = { 1: 'regular', 2: 'moderator action', 3: 'small action', 4: 'whisper' };
const REGULAR = 1;

export function toPostEvent(post: PostPayload, ctx: NormalizeContext): NormalizeResult {
  if (post.post_type == null) return { skip: 'post_type missing: cannot tell a regular post from a whisper' };
  if (post.post_type !== REGULAR) {
    return { skip: `${POST_TYPE_NAMES[post.post_type] ?? `post_type ${post.post_type}`}, not a regular post` };
  }
  // A deletion must still get through so that announcements already sent can be withdrawn.
  if (ctx.kind !== 'post_destroyed') {
    if (post.hidden === true) return { skip: 'hidden post (flagged or awaiting review)' };
    if (post.deleted_at) return { skip: 'deleted post' };
    if (post.user_deleted === true) return { skip: 'post withdrawn by its author' };
  }

  const privateMessage = post.topic_archetype === 'private_message' || post.category_id == null;
  return {
    source: 'discourse',
    kind: ctx.kind,
    eventId: ctx.eventId,
    postId: post.id,
    topicId: post.topic_id,
    postNumber: post.post_number,
    isFirstPost: post.post_number === 1,
    category: privateMessage ? null : ctx.category,
    privateMessage,
    tags: [...ctx.tags],
    author: { username: post.username || 'unknown', name: post.name || post.display_username || null },
    title: post.topic_title ?? ctx.topicTitle ?? '',
    text: post.raw != null ? textFromRaw(post.raw) : post.cooked != null ? textFromCooked(post.cooked) : '',
    url: postUrl(post, ctx.baseUrl),
    createdAt: post.created_at ?? '',
  };
}

/** Absolute URL of the post: Discourse's own `post_url` when present, else built from the topic. */
export function postUrl(post: Pick<PostPayload, 'post_url' | 'topic_slug' | 'topic_id' | 'post_number'>, baseUrl: string): string {
  const given = post.post_url?.trim();
  if (given && /^https?:\/\//i.test(given)) return given;
  if (given && given.startsWith('/')) return onBase(baseUrl, given);
  const slug = post.topic_slug?.trim();
  const path = slug ? `/t/${encodeSlug(slug)}/${post.topic_id}/${post.post_number}` : `/t/${post.topic_id}/${post.post_number}`;
  return onBase(baseUrl, path);
}

/** Joins a root-relative path to the base, adding the base's subfolder unless the path already has it. */
function onBase(baseUrl: string, path: string): string {
  const base = baseUrl.replace(/\/+$/, '');
  let origin = base;
  let folder = '';
  try {
    const u = new URL(base);
    origin = u.origin;
    folder = u.pathname.replace(/\/+$/, '');
  } catch {
    // Not a URL we can take apart: plain concatenation is the best we can do.
  }
  const withFolder = folder && path !== folder && !path.startsWith(`${folder}/`) ? `${folder}${path}` : path;
  return `${origin}${withFolder}`;
}

function encodeSlug(slug: string): string {
  // Slugs are ASCII or already percent-encoded (Discourse's "encoded" slug mode); encode anything else.
  return /^[\w.~%-]+$/.test(slug) ? slug : encodeURIComponent(slug);
}

const MAX_NESTING = 32;

/** Removes innermost matches until none is left, so nested quotes go too (bounded). */
function removeNested(text: string, innermost: RegExp): string {
  let out = text;
  for (let i = 0; i < MAX_NESTING; i++) {
    const next = out.replace(innermost, '');
    if (next === out) break;
    out = next;
  }
  return out;
}

/** Plain text from a post's Markdown: without quotes, images, upload references or HTML. */
export function textFromRaw(raw: string): string {
  let t = removeNested(raw, /\[quote(?:=[^\]\n]*)?\](?:(?!\[quote[=\]])[\s\S])*?\[\/quote\]/gi);
  t = t.replace(/!\[[^\]\n]*\]\([^)\n]*\)/g, ''); // ![alt|100x100](upload://… or https://…)
  t = t.replace(/\[([^\]\n]*)\]\(upload:\/\/[^)\n]*\)/g, (_m, label: string) => label.replace(/\|[^|]*$/, '')); // [file.pdf|attachment](upload://…)
  t = t.replace(/upload:\/\/\S+/g, '');
  t = stripTags(t);
  return tidy(decodeEntities(t));
}

/** Plain text from a post's HTML (cooked): without quotes, lightbox captions, scripts or tags. */
export function textFromCooked(html: string): string {
  let t = removeNested(html, /<aside\b[^>]*\bclass="[^"]*\bquote\b[^"]*"[^>]*>(?:(?!<aside\b)[\s\S])*?<\/aside>/gi);
  t = t.replace(/<(script|style)\b[^>]*>[\s\S]*?<\/\1>/gi, '');
  t = t.replace(/<div class="meta">[\s\S]*?<\/div>/gi, ''); // image file name and size under a lightbox
  t = t.replace(/<br\s*\/?>/gi, '\n');
  t = t.replace(/<li\b[^>]*>/gi, '- ');
  t = t.replace(/<\/(p|li|h[1-6]|div|blockquote|pre|tr|ul|ol|aside|header|article)>/gi, '\n');
  t = stripTags(t);
  return tidy(decodeEntities(t));
}

function stripTags(text: string): string {
  return text.replace(/<!--[\s\S]*?-->/g, '').replace(/<\/?[a-zA-Z][^>]*>/g, '');
}

function tidy(text: string): string {
  return text
    .replace(/\r\n?/g, '\n')
    .replace(/[ \t]+\n/g, '\n')
    .replace(/\n{3,}/g, '\n\n')
    .trim();
}

const NAMED_ENTITIES: Record<string, string> = {
  amp: '&', lt: '<', gt: '>', quot: '"', apos: "'", nbsp: ' ', hellip: '…', mdash: '—', ndash: '–',
  lsquo: '‘', rsquo: '’', ldquo: '“', rdquo: '”', laquo: '«', raquo: '»', copy: '©', reg: '®', trade: '™', times: '×',
};

/** One pass, so `&amp;lt;` becomes `&lt;` and not `<`. Unknown entities stay as written. */
export function decodeEntities(text: string): string {
  return text.replace(/&(#\d{1,7}|#x[0-9a-f]{1,6}|[a-z]{2,8});/gi, (whole, body: string) => {
    if (body.startsWith('#')) {
      const code = body[1] === 'x' || body[1] === 'X' ? parseInt(body.slice(2), 16) : parseInt(body.slice(1), 10);
      return code > 0 && code <= 0x10ffff && !(code >= 0xd800 && code <= 0xdfff) ? String.fromCodePoint(code) : whole;
    }
    return NAMED_ENTITIES[body.toLowerCase()] ?? whole;
  });
}
