// How Parley's messages look in Matrix: `m.room.message` contents for notifications and command replies, and
// the relations that make them replies, thread messages or edits. Pure functions; the sender sends what they return.
//
// Every content carries a plain `body` and the same in HTML (`format: 'org.matrix.custom.html'`,
// `formatted_body`): clients show the HTML, notifications and old clients the body.
//
// Pings: every content says `m.mentions: {}` (intentional mentions, Matrix 1.7): a homeserver and client that know
// it ping nobody, whatever the text says. Older ones match the body against `@room` and each user's display name
// and localpart; so `@room` is broken with a zero-width space after the `@` (in any case, even inside a word, as the
// push rule matches case-insensitively), as are the core's mass mentions and every `@name` that starts a word.
// A display name written without `@` cannot be told from any other word and is left alone. Matrix ids and room
// aliases in forum text (`@alice:example.org`, `#room:example.org`, `!id:example.org`, matrix.to links) are broken
// the same way, so that clients that linkify them do not turn them into pills.
//
// Size: an event may have 65536 bytes in all (signatures and ids included). A content is kept within
// MAX_CONTENT_BYTES as JSON, so that an edit, which carries it twice, stays far below too.
import { neutralizeMassMentions, shorten, type Notification } from '../../lib/notification.js';
import type { CommandReply } from '../../lib/seams/invocation.js';

export const MATRIX_HTML_FORMAT = 'org.matrix.custom.html';
/** A content as JSON, in UTF-8 bytes: a quarter of Matrix's limit on a whole event. */
export const MAX_CONTENT_BYTES = 16_000;

/** Who a message means to ping (intentional mentions). Parley's never ping: `{}`. */
export interface MatrixMentions {
  user_ids?: string[];
  room?: boolean;
}

/** A rich reply (Matrix 1.13: without a fallback in body or formatted_body). */
export interface ReplyRelation {
  'm.in_reply_to': { event_id: string };
}

/**
 * A message in a thread. `event_id` is the thread root; `m.in_reply_to` is the message answered, or, with
 * `is_falling_back`, the latest one (the root here), for clients that show replies but not threads.
 */
export interface ThreadRelation {
  rel_type: 'm.thread';
  event_id: string;
  is_falling_back: boolean;
  'm.in_reply_to': { event_id: string };
}

/** An edit of `event_id`. */
export interface ReplaceRelation {
  rel_type: 'm.replace';
  event_id: string;
}

export type MatrixRelation = ReplyRelation | ThreadRelation | ReplaceRelation;

/** A text-like `m.room.message` content as Parley sends it. */
export interface MatrixTextContent {
  msgtype: 'm.text' | 'm.notice' | 'm.emote';
  body: string;
  format?: typeof MATRIX_HTML_FORMAT;
  formatted_body?: string;
  'm.mentions'?: MatrixMentions;
  'm.relates_to'?: MatrixRelation;
}

/** A bot's message (clients show notices quieter, and bots do not answer them). */
export interface MatrixNoticeContent extends MatrixTextContent {
  msgtype: 'm.notice';
  format: typeof MATRIX_HTML_FORMAT;
  formatted_body: string;
  'm.mentions': MatrixMentions;
}

/** `content` with its relation set. */
export type Related<C, R extends MatrixRelation> = Omit<C, 'm.relates_to'> & { 'm.relates_to': R };

/** The content of an edit: the fallback for clients without edits, and the new content itself. */
export interface MatrixEditContent<C extends MatrixTextContent = MatrixNoticeContent> {
  msgtype: C['msgtype'];
  body: string;
  format?: typeof MATRIX_HTML_FORMAT;
  formatted_body?: string;
  'm.new_content': Omit<C, 'm.relates_to'>;
  'm.relates_to': ReplaceRelation;
  'm.mentions': MatrixMentions;
}

/** Makes text show literally in Matrix HTML; also safe inside a double-quoted attribute. */
export function escapeHtml(text: string): string {
  return text.replace(/&/gu, '&amp;').replace(/</gu, '&lt;').replace(/>/gu, '&gt;').replace(/"/gu, '&quot;').replace(/'/gu, '&#39;');
}

// One pass over text, first match wins:
//  1. a bare http(s) URL: left whole (a zero-width space would cut the link), except matrix.to permalinks,
//     which Element shows as pills: the sigil after `#/` is broken (the link then opens matrix.to's start page);
//  2. `@` starting a word: a user id, `@room`, a display-name mention;
//  3. `#` or `!` starting a word and followed by `something:server`: a room alias or id.
const TEXT_MENTION = /(https?:\/\/[^\s<>"]+)|(^|[^\p{L}\p{N}_])(@(?=[\p{L}\p{N}_.=/+-])|[#!](?=[^\s:\u200B]+:[\p{L}\p{N}[]))/giu;
const MATRIX_TO = /^https?:\/\/matrix\.to\//iu;

/**
 * Forum text that pings nobody and becomes no pill: the core's mass mentions, `@room` in any case and
 * anywhere, and `@`, `#`, `!` starting a Matrix id or a mention get a zero-width space after them.
 */
export function breakMentions(text: string): string {
  return neutralizeMassMentions(text)
    .replace(/@(?=room)/giu, '@\u200B')
    .replace(TEXT_MENTION, (m: string, url: string | undefined, before: string | undefined, sigil: string | undefined) => {
      if (url !== undefined) return MATRIX_TO.test(url) ? url.replace(/#\/([@#!])(?!\u200B)/u, '#/$1\u200B') : url;
      return `${before ?? ''}${sigil ?? ''}\u200B`;
    });
}

/** The size Matrix counts: the content as JSON, in UTF-8 bytes. */
export function contentBytes(content: object): number {
  return Buffer.byteLength(JSON.stringify(content), 'utf8');
}

/** Forum text for a notice: mentions broken, cut to `max` characters (whole code points, at a word if near). */
function forumText(text: string, max: number): string {
  return breakMentions(shorten(text, max));
}

/** `#RRGGBB` from Discourse's `0088CC` (3 digits, `#` allowed); null for anything else. */
export function htmlColor(hex: string | null | undefined): string | null {
  if (!hex) return null;
  let bare = hex.trim().replace(/^#/u, '');
  if (/^[0-9a-f]{3}$/iu.test(bare)) bare = bare.replace(/./gu, (c) => c + c);
  return /^[0-9a-f]{6}$/iu.test(bare) ? `#${bare.toUpperCase()}` : null;
}

/** The post's URL where a link can take it: http(s), of a sane length. */
function postUrl(url: string): string | null {
  const trimmed = url.trim();
  return /^https?:\/\/\S+$/iu.test(trimmed) && trimmed.length <= 2000 ? trimmed : null;
}

/** How much of each field a notice keeps, at most (in code points); the excerpt gets what is left of the size. */
const LIMITS = { title: 300, author: 150, category: 150, tags: 500 };
const TIGHT = { title: 100, author: 60, category: 60, tags: 100 };

function notice(n: Notification, excerpt: string, limits: typeof LIMITS): MatrixNoticeContent {
  const url = postUrl(n.url);
  const title = forumText(n.title, limits.title) || 'Untitled topic';
  const kind = n.kind === 'new_topic' ? '📝 New topic:' : '💬 New reply in';
  const category = n.category ? forumText(n.category.name, limits.category) : '';
  const tags = n.tags.map((t) => t.trim()).filter((t) => t !== '');
  const tagText = tags.length > 0 ? forumText(tags.join(', '), limits.tags) : '';
  const tagLabel = tags.length === 1 ? 'Tag' : 'Tags';
  const author = forumText(n.author, limits.author);

  const text: string[] = [`${kind} ${title}`];
  const html: string[] = [`${kind} <b>${url ? `<a href="${escapeHtml(url)}">${escapeHtml(title)}</a>` : escapeHtml(title)}</b>`];
  if (url) text.push(url);
  const meta: string[] = [];
  const metaHtml: string[] = [];
  if (category) {
    meta.push(category);
    // The category's colour as a dot, as the other platforms show it (Discord's bar, Telegram's circle).
    const color = htmlColor(n.category?.color);
    metaHtml.push(color ? `<font data-mx-color="${color}">●</font> ${escapeHtml(category)}` : escapeHtml(category));
  }
  if (tagText) {
    meta.push(`${tagLabel}: ${tagText}`);
    metaHtml.push(`${tagLabel}: ${escapeHtml(tagText)}`);
  }
  if (meta.length > 0) {
    text.push(meta.join(' · '));
    html.push(metaHtml.join(' · '));
  }
  if (author) {
    text.push(`by ${author}`);
    html.push(`by ${escapeHtml(author)}`);
  }
  const quoted = breakMentions(excerpt);
  return {
    msgtype: 'm.notice',
    // The excerpt after a blank line, not `> `-quoted: a body starting with quoted lines reads as a reply fallback.
    body: quoted ? `${text.join('\n')}\n\n${quoted}` : text.join('\n'),
    format: MATRIX_HTML_FORMAT,
    formatted_body: `${html.join('<br>')}${quoted ? `<blockquote>${escapeHtml(quoted)}</blockquote>` : ''}`,
    'm.mentions': {},
  };
}

/** The longest cut of `text` (by `cut(text, n)`, n code points) for which `fits` holds; '' when none does. */
function fitting(text: string, cut: (text: string, n: number) => string, fits: (candidate: string) => boolean): string {
  if (fits(text)) return text;
  let lo = 0;
  let hi = Array.from(text).length;
  let best = '';
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    const candidate = cut(text, mid);
    if (fits(candidate)) {
      best = candidate;
      lo = mid + 1;
    } else {
      hi = mid - 1;
    }
  }
  return best;
}

/**
 * One notification as an `m.notice`:
 *   📝 New topic: **Title** (linked to the post)      (💬 New reply in … for a reply)
 *   ● Category · Tags: a, b                            (the dot in the category's colour)
 *   by Author
 *   ┃ excerpt                                           (a quote)
 * The body says the same in plain text, with the post's URL under the title. Nothing pings; the excerpt is cut
 * (whole code points, at a word when one is near) so that the content stays within MAX_CONTENT_BYTES.
 */
export function notificationContent(n: Notification): MatrixNoticeContent {
  const excerpt = n.excerpt.replace(/\s+/gu, ' ').trim();
  const limits = contentBytes(notice(n, '', LIMITS)) <= MAX_CONTENT_BYTES ? LIMITS : TIGHT;
  const fits = (e: string): boolean => contentBytes(notice(n, e, limits)) <= MAX_CONTENT_BYTES;
  return notice(n, fitting(excerpt, (t, max) => (max === 0 ? '' : shorten(t, max)), fits), limits);
}

// A Markdown-ish code span in reply text: `parley channels add …`. Within one line.
const CODE_SPAN = /`([^`\n]+)`/gu;
// A bare http(s) URL in reply text, without the punctuation that ends a sentence after it.
const URL = /https?:\/\/[^\s<>"`]*[^\s<>"`.,;:!?'")\]]/giu;

/** Reply prose as HTML: escaped, mentions broken, bare URLs linked, line breaks kept. */
function replyProseHtml(prose: string): string {
  let out = '';
  let last = 0;
  for (const m of prose.matchAll(URL)) {
    out += escapeHtml(breakMentions(prose.slice(last, m.index)));
    const url = m[0];
    // A matrix.to link would be a pill: shown as broken text, like forum text.
    out += MATRIX_TO.test(url) ? escapeHtml(breakMentions(url)) : `<a href="${escapeHtml(url)}">${escapeHtml(url)}</a>`;
    last = m.index + url.length;
  }
  return (out + escapeHtml(breakMentions(prose.slice(last)))).replace(/\n/gu, '<br>');
}

function replyContent(text: string): MatrixNoticeContent {
  let body = '';
  let html = '';
  let last = 0;
  for (const m of text.matchAll(CODE_SPAN)) {
    const prose = text.slice(last, m.index);
    body += breakMentions(prose);
    html += replyProseHtml(prose);
    // Code is kept as typed, ids included (it is what the user copies: `parley identities add @bob:x …`); only
    // `@room` is broken, as old push rules match it anywhere in the body.
    const code = m[1]!.replace(/@(?=room)/giu, '@\u200B');
    body += `\`${code}\``;
    html += `<code>${escapeHtml(code)}</code>`;
    last = m.index + m[0].length;
  }
  body += breakMentions(text.slice(last));
  html += replyProseHtml(text.slice(last));
  return { msgtype: 'm.notice', body, format: MATRIX_HTML_FORMAT, formatted_body: html, 'm.mentions': {} };
}

/** Cuts reply text to `n` code points, at a line end when one is near, never inside a surrogate pair. */
function cutReply(text: string, n: number): string {
  const chars = Array.from(text);
  if (chars.length <= n) return text;
  if (n === 0) return '';
  const head = chars.slice(0, n).join('');
  const nl = head.lastIndexOf('\n');
  return `${(nl > head.length * 0.8 ? head.slice(0, nl) : head).trimEnd()}…`;
}

/**
 * A command's answer as an `m.notice`: the body is the reply text, the HTML shows it literally, except that
 * `code spans` become `<code>` (they hold commands to copy, kept exact) and bare URLs links. Pings nobody.
 * Cut within MAX_CONTENT_BYTES (a long rule list).
 */
export function commandReplyContent(reply: CommandReply): MatrixNoticeContent {
  const text = reply.text.replace(/\r\n?/gu, '\n');
  return replyContent(fitting(text, cutReply, (t) => contentBytes(replyContent(t)) <= MAX_CONTENT_BYTES));
}

/**
 * `content` as a rich reply to `eventId`, without a fallback (Matrix 1.13). Its `m.mentions` stay as they are:
 * the replied-to sender is not added, so nobody is pinged. In a thread (see inThread) it stays in the thread,
 * answering `eventId` there.
 */
export function asReplyTo<C extends MatrixTextContent>(content: C, eventId: string): Related<C, ReplyRelation | ThreadRelation> {
  const rel = content['m.relates_to'];
  if (rel && 'rel_type' in rel && rel.rel_type === 'm.replace') throw new Error('an edit cannot be a reply');
  if (rel && 'rel_type' in rel && rel.rel_type === 'm.thread') {
    return { ...content, 'm.relates_to': { ...rel, is_falling_back: false, 'm.in_reply_to': { event_id: eventId } } };
  }
  return { ...content, 'm.relates_to': { 'm.in_reply_to': { event_id: eventId } } };
}

/**
 * `content` in the thread of `rootEventId`. A content that already answers a message keeps answering it inside
 * the thread; else the reply relation is the fallback to the root, for clients without threads.
 */
export function inThread<C extends MatrixTextContent>(content: C, rootEventId: string): Related<C, ThreadRelation> {
  const rel = content['m.relates_to'];
  if (rel && 'rel_type' in rel && rel.rel_type === 'm.replace') throw new Error('an edit cannot be in a thread');
  const answered = rel && !('rel_type' in rel) ? rel['m.in_reply_to'].event_id : rel?.rel_type === 'm.thread' && !rel.is_falling_back ? rel['m.in_reply_to'].event_id : null;
  return {
    ...content,
    'm.relates_to': { rel_type: 'm.thread', event_id: rootEventId, is_falling_back: answered === null, 'm.in_reply_to': { event_id: answered ?? rootEventId } },
  };
}

/**
 * The edit that replaces `eventId` with `newContent`: `m.new_content` is the whole new content (without any
 * relation: an edit keeps the original's thread or reply), and body/formatted_body are the `* `-prefixed fallback
 * for clients that do not apply edits. `m.mentions` is empty: an edit pings nobody new.
 */
export function editOf<C extends MatrixTextContent>(eventId: string, newContent: C): MatrixEditContent<C> {
  const { 'm.relates_to': _relation, ...inner } = newContent;
  const edit: MatrixEditContent<C> = {
    msgtype: inner.msgtype,
    body: `* ${inner.body}`,
    'm.new_content': inner,
    'm.relates_to': { rel_type: 'm.replace', event_id: eventId },
    'm.mentions': {},
  };
  if (inner.formatted_body !== undefined) {
    edit.format = MATRIX_HTML_FORMAT;
    edit.formatted_body = `* ${inner.formatted_body}`;
  }
  return edit;
}
