// How a notification looks on IRC, and how text is cut into lines that fit the protocol's 512 bytes. Pure functions.
//
// A line is at most 512 bytes with its CRLF, and a server relaying it to others prepends `:nick!user@host `, which
// counts too: a line that fits when sent can still be cut off on the way. messageBudget keeps room for that prefix.
// Lines are cut by UTF-8 bytes, at spaces where possible, else between grapheme clusters, else between code points:
// never inside a character.

/* eslint-disable no-control-regex -- IRC's formatting codes are control characters: matching them is the point. */
import { outsideUrls } from '../../lib/adapters/urls.js';
import { neutralizeMassMentions, shorten, type Notification } from '../../lib/notification.js';

/**
 * Room for the prefix a server adds when it relays our line: `:` nick (30, a common NICKLEN) `!` user (10) `@`
 * host (63) and a space. Pass the real length once the bot knows its own hostmask.
 */
export const RELAY_PREFIX_BYTES = 107;

const MAX_LINE_BYTES = 512;
const BOLD = '\x02';
const ZWSP = '\u200B';

const utf8Bytes = (text: string): number => Buffer.byteLength(text, 'utf8');

/**
 * Bytes left for the text of `PRIVMSG <target> :<text>\r\n` once the server's relay prefix is counted. A NOTICE,
 * one byte shorter, fits in the same budget.
 */
export function messageBudget(target: string, prefixBytes = RELAY_PREFIX_BYTES): number {
  return MAX_LINE_BYTES - prefixBytes - utf8Bytes(`PRIVMSG ${target} :`) - 2;
}

const graphemes = new Intl.Segmenter(undefined, { granularity: 'grapheme' });

/** A word cut into pieces that can be packed into lines: grapheme clusters, or code points of an oversized one. */
function* units(word: string, maxBytes: number): Generator<string> {
  for (const { segment } of graphemes.segment(word)) {
    // A base letter with hundreds of combining marks is one cluster; then only code points are left to cut at.
    if (utf8Bytes(segment) <= maxBytes) yield segment;
    else yield* segment;
  }
}

/**
 * Text as IRC lines of at most `maxBytes` UTF-8 bytes each. Line breaks in the text start a new line (IRC has none
 * within a message) and blank lines are dropped; other runs of whitespace become one space. Words are kept whole
 * where they fit a line; a longer word starts a line of its own and is cut where it must.
 */
export function splitToLines(text: string, maxBytes: number): string[] {
  // A 4-byte character must fit, or nothing could be cut small enough.
  if (!Number.isInteger(maxBytes) || maxBytes < 4) throw new RangeError(`maxBytes must be an integer of at least 4, not ${maxBytes}`);
  const lines: string[] = [];
  for (const paragraph of text.replace(/\0/gu, '').split(/\r\n?|\n/u)) {
    let line = '';
    let used = 0;
    const flush = (): void => {
      if (line) lines.push(line);
      line = '';
      used = 0;
    };
    for (const word of paragraph.split(/\s+/u)) {
      if (!word) continue;
      const size = utf8Bytes(word);
      if (line && used + 1 + size <= maxBytes) {
        line += ` ${word}`;
        used += 1 + size;
        continue;
      }
      flush();
      if (size <= maxBytes) {
        line = word;
        used = size;
        continue;
      }
      for (const unit of units(word, maxBytes)) {
        const bytes = utf8Bytes(unit);
        if (used + bytes > maxBytes) flush();
        line += unit;
        used += bytes;
      }
    }
    flush();
  }
  return lines;
}

// Characters IRC allows in a nick besides letters and digits (RFC 2812), and that clients count as part of a word.
const NICK_CHAR = '\\p{L}\\p{N}_\\-\\[\\]\\\\`^{|}';
const NICK_WORD = new RegExp(`[${NICK_CHAR}]+`, 'gu');
// Under the rfc1459 casemapping most networks use, `[]\~` are the upper case of `{}|^`.
const RFC1459_PAIRS: Record<string, string> = { '[': '{', ']': '}', '\\': '|', '~': '^', '{': '[', '}': ']', '|': '\\', '^': '~' };

function nickPattern(nick: string): string {
  return Array.from(nick, (c) => {
    const twin = RFC1459_PAIRS[c];
    const escaped = (ch: string): string => ch.replace(/[\\^$.*+?()[\]{}|/]/gu, '\\$&');
    return twin ? `[${escaped(c)}${escaped(twin)}]` : escaped(c);
  }).join('');
}

/**
 * Breaks every whole-word occurrence of each nick (in any case) with a zero-width space after its first character,
 * so that no client highlights its owner. URLs are left whole. One-character nicks are left alone: a zero-width
 * space cannot split them, and breaking every `a` would only litter the text.
 */
export function breakNicks(text: string, nicks: Iterable<string>): string {
  const list = [...new Set(Array.from(nicks, (n) => n.trim()).filter((n) => Array.from(n).length >= 2))];
  if (list.length === 0) return text;
  // Longest first, so that `alice[m]` is matched before `alice`.
  list.sort((a, b) => b.length - a.length);
  const nick = new RegExp(`(?<![${NICK_CHAR}])(?:${list.map(nickPattern).join('|')})(?![${NICK_CHAR}])`, 'giu');
  const breakIn = (part: string): string =>
    part.replace(nick, (m) => {
      const first = String.fromCodePoint(m.codePointAt(0)!);
      return `${first}${ZWSP}${m.slice(first.length)}`;
    });
  return outsideUrls(text, breakIn);
}

const FORMATTING = /\x03(?:\d{1,2}(?:,\d{1,2})?)?|\x04(?:[0-9a-f]{6}(?:,[0-9a-f]{6})?)?|[\x02\x0F\x11\x16\x1D\x1E\x1F]/giu;

/** Text without mIRC colour and formatting codes, as a transcript shows it. */
export function stripFormatting(text: string): string {
  return text.replace(FORMATTING, '');
}

/**
 * Forum text made inert for IRC: no formatting codes, no control characters (`\x01` would start a CTCP), one line,
 * and no `@everyone`: IRC has no such word, but bridges relay the line on to platforms that do.
 */
function plain(text: string): string {
  return neutralizeMassMentions(stripFormatting(text))
    .replace(/[\x00-\x1F\x7F]/gu, ' ')
    .replace(/\s+/gu, ' ')
    .trim();
}

interface Fields {
  category: string;
  title: string;
  author: string;
  excerpt: string;
}

function render(f: Fields, urlToken: string): string {
  let text = [f.category && `[${f.category}]`, f.title && `${BOLD}${f.title}${BOLD}`].filter(Boolean).join(' ');
  const byline = [f.author, f.excerpt].filter(Boolean).join(': ');
  if (byline) text = text ? `${text} — ${byline}` : byline;
  return [text, urlToken].filter(Boolean).join(' ');
}

/** IRC ends formatting at each line's end: a bold title cut across two lines is closed and reopened. */
function balanceBold(lines: string[]): string[] {
  let open = false;
  return lines.map((line) => {
    let out = open ? `${BOLD}${line}` : line;
    open = (out.split(BOLD).length - 1) % 2 === 1;
    if (open) out += BOLD;
    return out;
  });
}

/** The longest shortening of `text` (at a word, with an ellipsis) for which `layout` succeeds. */
function longest(text: string, layout: (t: string) => string[] | null): string[] | null {
  const whole = layout(text);
  if (whole) return whole;
  let lo = 0;
  let hi = Array.from(text).length - 1;
  let best: string[] | null = null;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    const lines = layout(mid === 0 ? '' : shorten(text, mid));
    if (lines) {
      best = lines;
      lo = mid + 1;
    } else {
      hi = mid - 1;
    }
  }
  return best;
}

/**
 * A notification as one or two IRC lines, each within `maxBytes` (see messageBudget):
 *   [category] **title** — author: excerpt <url>
 * Only the title is formatted (bold). The excerpt is shortened so that the link ends the last line whole; if even
 * without an excerpt it does not fit, the title, then the author, then the category give way. `nicks` (the
 * channel's) are broken wherever forum text names them, and the author's own name always is. Only a link longer
 * than a line can break the two-line promise: it is then cut like any other long word.
 */
export function ircLines(n: Notification, opts: { maxBytes: number; nicks?: Iterable<string> }): string[] {
  const nicks = [...(opts.nicks ?? [])];
  const forum = (text: string): string => breakNicks(plain(text), nicks);
  const author = plain(n.author);
  const fields: Fields = {
    category: forum(n.category?.path ?? ''),
    title: forum(n.title),
    author: breakNicks(author, [...nicks, ...(author.match(NICK_WORD) ?? [])]),
    excerpt: forum(n.excerpt),
  };
  const url = n.url.trim().replace(/[\x00-\x1F\x7F]/gu, '').replace(/\s/gu, '%20');
  const urlToken = url ? `<${url}>` : '';
  // Two bytes kept for closing and reopening the bold title at a line break.
  const layout = (f: Fields): string[] | null => {
    const lines = balanceBold(splitToLines(render(f, urlToken), opts.maxBytes - 2));
    const last = lines.at(-1) ?? '';
    const linkWhole = !urlToken || last === urlToken || last.endsWith(` ${urlToken}`);
    return lines.length <= 2 && linkWhole ? lines : null;
  };
  for (const key of ['excerpt', 'title', 'author', 'category'] as const) {
    const lines = longest(fields[key], (text) => layout({ ...fields, [key]: text }));
    if (lines) return lines;
    fields[key] = '';
  }
  return splitToLines(urlToken, opts.maxBytes);
}
