// How a notification looks in Telegram (HTML parse mode), and how long replies are cut. Pure functions.
import { shorten, type Notification } from '../../lib/notification.js';

/** Telegram's limit on a message's text, counted after entities are parsed. */
export const MAX_MESSAGE_LENGTH = 4096;

/** Makes text show literally in Telegram HTML; also safe inside a double-quoted attribute. */
export function escapeHtml(text: string): string {
  return text.replace(/&/gu, '&amp;').replace(/</gu, '&lt;').replace(/>/gu, '&gt;').replace(/"/gu, '&quot;').replace(/'/gu, '&#39;');
}

// A mention starts a word: `@name`, not `bob@example.org`. Forum users are not Telegram users, so a forum
// `@name` must not ping (or link to) whoever holds that name on Telegram.
const MENTION = /(^|[^\p{L}\p{N}_])@(?=[\p{L}\p{N}_])/gu;

export function neutralizeMentions(text: string): string {
  return text.replace(MENTION, (_m, before: string) => `${before}@\u200B`);
}

function safeText(text: string): string {
  return escapeHtml(neutralizeMentions(text));
}

/**
 * `#tag` that Telegram recognises as one hashtag: letters, digits and `_` only. Other characters
 * (Discourse allows `-`, `.`, `+` …) become `_`. Null when nothing is left.
 */
export function hashtag(tag: string): string | null {
  const body = tag.normalize('NFC').replace(/[^\p{L}\p{N}_]+/gu, '_').replace(/_+/gu, '_').replace(/^_|_$/gu, '');
  if (!body) return null;
  // Telegram does not link a hashtag made of digits only.
  return /^\p{N}+$/u.test(body) ? `#tag_${body}` : `#${body}`;
}

// Telegram has no colour; the nearest of its coloured circles stands in for the category's colour.
const CIRCLES = { red: '🔴', orange: '🟠', yellow: '🟡', green: '🟢', blue: '🔵', purple: '🟣', brown: '🟤', black: '⚫', white: '⚪' } as const;

/** The coloured circle nearest to a Discourse colour (`0088CC`, or 3 digits); null for anything else. */
export function colorCircle(hex: string | null): string | null {
  if (!hex) return null;
  let h = hex.trim().replace(/^#/u, '');
  if (/^[0-9a-f]{3}$/iu.test(h)) h = h.replace(/./gu, (c) => c + c);
  if (!/^[0-9a-f]{6}$/iu.test(h)) return null;
  const [r, g, b] = [0, 2, 4].map((i) => parseInt(h.slice(i, i + 2), 16) / 255) as [number, number, number];
  const max = Math.max(r, g, b);
  const min = Math.min(r, g, b);
  const lightness = (max + min) / 2;
  const chroma = max - min;
  // Greys read by lightness alone.
  if (chroma < 0.15) return lightness < 0.6 ? CIRCLES.black : CIRCLES.white;
  let hue: number;
  if (max === r) hue = (((g - b) / chroma) % 6) * 60;
  else if (max === g) hue = ((b - r) / chroma + 2) * 60;
  else hue = ((r - g) / chroma + 4) * 60;
  if (hue < 0) hue += 360;
  // Dark oranges and reds are what people call brown.
  if (hue >= 10 && hue < 50 && lightness < 0.4) return CIRCLES.brown;
  if (hue < 15 || hue >= 340) return CIRCLES.red;
  if (hue < 45) return CIRCLES.orange;
  if (hue < 70) return CIRCLES.yellow;
  if (hue < 170) return CIRCLES.green;
  if (hue < 260) return CIRCLES.blue;
  return CIRCLES.purple;
}

function link(url: string, innerHtml: string): string {
  // Telegram refuses a message whose link has an unsupported scheme; forum URLs are http(s) anyway.
  return /^https?:\/\//iu.test(url) ? `<a href="${escapeHtml(url)}">${innerHtml}</a>` : innerHtml;
}

/** Length of the text Telegram shows for HTML that this module produced. */
function visibleLength(html: string): number {
  return html.replace(/<[^>]*>/gu, '').replace(/&(?:lt|gt|amp|quot|#\d+);/gu, '_').length;
}

/**
 * One notification as Telegram HTML:
 *   📝 New topic: <b><a href="…">Title</a></b>          (💬 New reply in … for a reply)
 *   🔵 Category · #tag #other
 *   by Author
 *   <blockquote>excerpt</blockquote>
 * The excerpt is shortened further if the whole would pass Telegram's limit.
 */
export function formatNotification(n: Notification): string {
  const title = `<b>${link(n.url, safeText(n.title))}</b>`;
  const lines = [n.kind === 'new_topic' ? `📝 New topic: ${title}` : `💬 New reply in ${title}`];

  const meta: string[] = [];
  if (n.category) meta.push([colorCircle(n.category.color), safeText(n.category.name)].filter(Boolean).join(' '));
  const tags = [...new Set(n.tags.map(hashtag).filter((t): t is string => t !== null))];
  if (tags.length > 0) meta.push(escapeHtml(tags.join(' ')));
  if (meta.length > 0) lines.push(meta.join(' · '));
  lines.push(`by ${safeText(n.author)}`);

  const head = lines.join('\n');
  const excerpt = n.excerpt.trim();
  if (!excerpt) return head;
  const budget = MAX_MESSAGE_LENGTH - visibleLength(head) - 2;
  return `${head}\n<blockquote>${escapeHtml(fitUtf16(neutralizeMentions(excerpt), budget))}</blockquote>`;
}

/** Shortens so that the UTF-16 length (what Telegram counts) stays within max. */
function fitUtf16(text: string, max: number): string {
  if (text.length <= max) return text;
  let chars = Math.max(0, max - 1);
  let out = shorten(text, chars);
  while (out.length > max && chars > 0) {
    chars = Math.floor(chars * 0.9);
    out = shorten(text, chars);
  }
  return out.length <= max ? out : '';
}

/**
 * Cuts plain text into messages within Telegram's limit, at line ends where possible and never inside a
 * surrogate pair.
 */
export function splitMessage(text: string, max = MAX_MESSAGE_LENGTH): string[] {
  const parts: string[] = [];
  let rest = text;
  while (rest.length > max) {
    let cut = rest.lastIndexOf('\n', max);
    if (cut <= 0) {
      cut = max;
      const code = rest.charCodeAt(cut - 1);
      if (code >= 0xd800 && code <= 0xdbff) cut -= 1;
    }
    parts.push(rest.slice(0, cut));
    rest = rest.slice(cut).replace(/^\n/u, '');
  }
  if (rest.length > 0 || parts.length === 0) parts.push(rest);
  return parts;
}
