// A Matrix `m.room.message` content as forum Markdown, for transcripts. Pure functions.
//
// Matrix sends a plain `body` and, when the message has formatting, `format: 'org.matrix.custom.html'` with
// a `formatted_body` in the HTML subset clients render. The HTML is converted with turndown (in Node it parses
// with its bundled DOM), with rules for what is Matrix's own: reply fallbacks (`<mx-reply>`), mention pills
// (links to matrix.to or `matrix:` URIs), spoilers (`data-mx-spoiler`), custom emoji and images (`mxc://`,
// which the forum cannot fetch). Without HTML the body shows literally in Matrix, so it is escaped.
//
// Safety: the HTML comes from chat users. No element is kept as HTML: scripts, frames, styles and the like are
// dropped with their content, every other unknown element leaves only its text, and every text node is escaped
// with the shared escaper (which, unlike turndown's own, also escapes `<`, `|`, `~` and entity-like `&`), so
// the forum never gets raw HTML, tables or strikethrough the chat did not show. Links keep web schemes only.
//
// As the other platforms do (bots/discord/markup.ts, bots/slack/markup.ts):
//  - mentions become the display name after `@` and a zero-width space (`@` + ZWSP + `Name`), rooms `#name`: nobody on the
//    forum is pinged, known or not;
//  - emphasis is Markdown where CommonMark reads it, else the BBCode Discourse also reads; underline `[u]`,
//    spoilers `[spoiler]` (the bundled spoiler-alert plugin), code in fences and spans (lib/transcript/markdown);
//  - an emote (`/me waves`) is the action in italics, as Discord's `/me` sends it;
//  - files are not in the Markdown: matrixAttachments names them, and the transcript shows `📎 name`, as for
//    Telegram and Slack files (an `mxc://` URL needs the homeserver's authenticated media API, so no link).
import { createRequire } from 'node:module';
import type TurndownService from 'turndown';
import { codeSpan, escapeMarkdown, escapeName, fence, linkDestination, neutralizeMentions, ZWSP } from '../../lib/transcript/markdown.js';

export const MATRIX_HTML_FORMAT = 'org.matrix.custom.html';

/** The parts of an `m.room.message` content that make its text (the rest is ignored). */
export interface MatrixMessageInput {
  msgtype?: string;
  body?: string;
  format?: string;
  formatted_body?: string;
  /** Media (Matrix 1.10): present and unlike `body` when `body` is a caption. */
  filename?: string;
  'm.relates_to'?: {
    rel_type?: string;
    event_id?: string;
    is_falling_back?: boolean;
    'm.in_reply_to'?: { event_id?: string };
  };
}

/** Names the adapter resolved (and cached) beforehand; synchronous so that conversion stays pure. */
export interface MatrixNames {
  /** `@user:server` → display name (in the room, where the adapter has it). */
  user(userId: string): string | undefined;
  /** `!room:server` or `#alias:server` → room name (without `#`). */
  room?(id: string): string | undefined;
}

/** What a matrix.to link or `matrix:` URI points at. */
export type MatrixLink = { kind: 'user'; id: string } | { kind: 'room'; id: string } | { kind: 'event'; room: string; event: string };

const MEDIA = new Set(['m.image', 'm.file', 'm.video', 'm.audio']);
const WEB = /^(?:https?|ftp|mailto):/iu;
// What CommonMark accepts as an autolink: scheme of 2–32 characters, no spaces or angle brackets.
const AUTOLINK = /^[a-z][a-z0-9+.-]{1,31}:[^\s<>]*$/iu;
const USER_ID = /^@[^\s:]+:\S+$/u;
const ROOM_ID = /^[#!][^\s:]+:\S+$/u;

/**
 * The target of a mention pill or permalink: `https://matrix.to/#/@alice:example.org`, `…/#/#room:example.org`,
 * `…/#/!id:example.org/$event?via=…` (parts may be percent-encoded), or the `matrix:` URI forms `matrix:u/alice:example.org`,
 * `matrix:r/room:example.org`, `matrix:roomid/id:example.org/e/event`. Null for anything else.
 */
export function parseMatrixLink(href: string): MatrixLink | null {
  const decode = (s: string): string | null => {
    try {
      return decodeURIComponent(s);
    } catch {
      return null;
    }
  };
  const to = /^https?:\/\/matrix\.to\/#\/([^?]*)/iu.exec(href.trim());
  if (to) {
    const [first, second] = to[1]!.split('/').map(decode);
    if (!first) return null;
    if (second) return ROOM_ID.test(first) && second.startsWith('$') ? { kind: 'event', room: first, event: second } : null;
    if (USER_ID.test(first)) return { kind: 'user', id: first };
    if (ROOM_ID.test(first)) return { kind: 'room', id: first };
    return null;
  }
  const uri = /^matrix:(u|r|roomid)\/([^/?#]+)(?:\/e\/([^/?#]+))?/iu.exec(href.trim());
  if (!uri) return null;
  const sigil = { u: '@', r: '#', roomid: '!' }[uri[1]!.toLowerCase() as 'u' | 'r' | 'roomid'];
  const id = decode(uri[2]!);
  if (!id) return null;
  if (uri[3] !== undefined) {
    const event = decode(uri[3]);
    return sigil !== '@' && event ? { kind: 'event', room: `${sigil}${id}`, event: `$${event}` } : null;
  }
  return sigil === '@' ? { kind: 'user', id: `@${id}` } : { kind: 'room', id: `${sigil}${id}` };
}

/** Whether the content is a rich reply (a thread's fallback relation is not: it quotes nothing). */
function isReply(content: MatrixMessageInput): boolean {
  const rel = content['m.relates_to'];
  return rel?.['m.in_reply_to']?.event_id !== undefined && !(rel.rel_type === 'm.thread' && rel.is_falling_back === true);
}

/**
 * A plain body without the reply fallback older clients put before it: the leading `> ` lines (`> <@alice:x> …`)
 * and the blank line after them. Only when the whole quote is followed by a blank line, as the fallback always is.
 */
export function stripReplyFallback(body: string): string {
  const lines = body.split('\n');
  let i = 0;
  while (i < lines.length && (lines[i]!.startsWith('> ') || lines[i] === '>')) i++;
  if (i === 0 || i >= lines.length || lines[i]!.trim() !== '') return body;
  return lines.slice(i + 1).join('\n');
}

/** Plain Matrix text as forum Markdown that shows it literally. */
function plain(body: string): string {
  return escapeMarkdown(body.replace(/\r\n?/gu, '\n'), true);
}

// ---- HTML ----------------------------------------------------------------------------------------------------

/** The little of the DOM these rules read (turndown's types need the DOM lib, which this project does not load). */
interface El {
  nodeName: string;
  nodeType: number;
  nodeValue: string | null;
  textContent: string | null;
  parentNode: El | null;
  previousSibling: El | null;
  nextSibling: El | null;
  firstChild: El | null;
  childNodes: ArrayLike<El>;
  getAttribute(name: string): string | null;
  hasAttribute(name: string): boolean;
}

const el = (node: unknown): El => node as El;
const text = (node: El): string => (node.textContent ?? '').replace(/\s+/gu, ' ').trim();

// Dropped with everything in them: what a browser would not show as text, or would run (compared in upper case:
// SVG and MathML names keep their own). `mx-reply` is the quoted fallback of a rich reply (the transcript shows
// the reply itself).
const DROPPED = new Set(['MX-REPLY', 'SCRIPT', 'STYLE', 'IFRAME', 'FRAME', 'FRAMESET', 'OBJECT', 'EMBED', 'NOSCRIPT', 'TEMPLATE', 'HEAD', 'TITLE', 'META', 'LINK', 'BASE', 'SVG', 'MATH', 'CANVAS', 'AUDIO', 'VIDEO', 'SELECT', 'TEXTAREA', 'BUTTON', 'INPUT', 'FORM', 'XMP', 'PLAINTEXT', 'NOEMBED', 'NOFRAMES']);

// Elements turndown writes as blocks (its own list, and the blocks Parley's rules add).
const BLOCKS = new Set(['ADDRESS', 'ARTICLE', 'ASIDE', 'BLOCKQUOTE', 'BODY', 'CENTER', 'DD', 'DIR', 'DIV', 'DL', 'DT', 'FIELDSET', 'FIGCAPTION', 'FIGURE', 'FOOTER', 'H1', 'H2', 'H3', 'H4', 'H5', 'H6', 'HEADER', 'HGROUP', 'HR', 'HTML', 'LI', 'MAIN', 'MENU', 'NAV', 'OL', 'OUTPUT', 'P', 'PRE', 'SECTION', 'TABLE', 'TBODY', 'TD', 'TFOOT', 'TH', 'THEAD', 'TR', 'UL', 'DETAILS', 'SUMMARY', 'CAPTION']);

/**
 * Whether a block sits inside `node`. Inline markers around a block would put it mid-line, where a code fence
 * is no fence and its code would be read as Markdown (raw HTML included): such an element keeps its content only.
 */
function holdsBlock(node: El): boolean {
  for (const child of Array.from(node.childNodes)) {
    if (child.nodeType !== 1) continue;
    if (BLOCKS.has(child.nodeName.toUpperCase()) || (child.nodeName.toUpperCase() === 'CODE' && (child.textContent ?? '').includes('\n'))) return true;
    if (!DROPPED.has(child.nodeName.toUpperCase()) && holdsBlock(child)) return true;
  }
  return false;
}

/** The text of code: line breaks for `<br>`, nothing from dropped elements (an unclosed `<script>` swallows the rest). */
function codeText(node: El): string {
  let out = '';
  for (const child of Array.from(node.childNodes)) {
    if (child.nodeType === 3) out += child.nodeValue ?? '';
    else if (child.nodeType !== 1) continue;
    else if (child.nodeName.toUpperCase() === 'BR') out += '\n';
    else if (!DROPPED.has(child.nodeName.toUpperCase())) out += codeText(child);
  }
  return out;
}

const PUNCTUATION = /[\p{P}\p{S}]/u;
const SPACE = /\s/u;
const firstChar = (s: string): string => (s === '' ? '' : String.fromCodePoint(s.codePointAt(0)!));
const lastChar = (s: string): string => Array.from(s.slice(-2)).pop() ?? '';
const loose = (c: string): boolean => c === '' || SPACE.test(c) || PUNCTUATION.test(c);

// Elements whose Markdown starts and ends with these marker characters.
const MARKER: Record<string, string> = { B: '*', STRONG: '*', I: '*', EM: '*', DEL: '~', S: '~', STRIKE: '~' };

/** The character just outside `node` on one side, or the marker an emphasis sibling puts there. */
function neighbour(node: El, side: 'before' | 'after'): { ch: string; marker: string | null } {
  const sib = side === 'before' ? node.previousSibling : node.nextSibling;
  // At the edge of its parent: a block edge or the parent's own marker, both loose for flanking.
  if (!sib) return { ch: '', marker: null };
  if (sib.nodeType === 1 && MARKER[sib.nodeName] !== undefined) return { ch: MARKER[sib.nodeName]!, marker: MARKER[sib.nodeName]! };
  const s = sib.nodeType === 3 ? (sib.nodeValue ?? '') : (sib.textContent ?? '');
  return { ch: side === 'before' ? lastChar(s) : firstChar(s), marker: null };
}

/**
 * Markdown emphasis where CommonMark reads it (a marker next to punctuation inside needs space or punctuation
 * outside; no like marker right beside it), else the BBCode Discourse also reads.
 */
function emphasis(content: string, node: El, mark: string, bbcode: string): string {
  const [, lead, core, trail] = /^(\s*)([\s\S]*?)(\s*)$/u.exec(content) as unknown as [string, string, string, string];
  if (core === '' || holdsBlock(node)) return content;
  const before = lead === '' ? neighbour(node, 'before') : { ch: ' ', marker: null };
  const after = trail === '' ? neighbour(node, 'after') : { ch: ' ', marker: null };
  const opens = !PUNCTUATION.test(firstChar(core)) || loose(before.ch);
  const closes = !PUNCTUATION.test(lastChar(core)) || loose(after.ch);
  const clash = before.marker === mark[0] || after.marker === mark[0];
  if (opens && closes && !clash) return `${lead}${mark}${core}${mark}${trail}`;
  return `${lead}[${bbcode}]${core}[/${bbcode}]${trail}`;
}

function wrap(content: string, node: El, open: string, close: string): string {
  const [, lead, core, trail] = /^(\s*)([\s\S]*?)(\s*)$/u.exec(content) as unknown as [string, string, string, string];
  return core === '' || holdsBlock(node) ? content : `${lead}${open}${core}${close}${trail}`;
}

/** A name after `@` or `#`: one line, literal, without the sigil it may already carry. */
function sigilName(sigil: '@' | '#', name: string): string {
  let bare = name.replace(/\s+/gu, ' ').trim();
  if (bare.startsWith(sigil)) bare = bare.slice(1).trim();
  const escaped = escapeName(bare);
  return sigil === '@' ? `@${ZWSP}${escaped}` : `#${escaped}`;
}

function mention(target: Extract<MatrixLink, { kind: 'user' | 'room' }>, label: string, names: MatrixNames): string {
  if (target.kind === 'user') {
    const name = names.user(target.id)?.trim() || label.replace(/^@/u, '').trim() || target.id.slice(1).split(':')[0]!;
    return sigilName('@', name);
  }
  const name = names.room?.(target.id)?.trim() || label.replace(/^#/u, '').trim() || (target.id.startsWith('#') ? target.id.slice(1) : 'unknown-room');
  return sigilName('#', name);
}

function link(content: string, node: El, names: MatrixNames): string {
  const href = (node.getAttribute('href') ?? '').trim();
  const target = parseMatrixLink(href);
  if (target && target.kind !== 'event') return mention(target, text(node), names);
  // Other schemes (javascript:, matrix: event links, mxc:) do not work from the forum: the text alone.
  if (!WEB.test(href)) return content;
  if (content.trim() === '' || text(node) === href) return AUTOLINK.test(href) ? `<${href}>` : `[${escapeMarkdown(href, false)}](${linkDestination(href)})`;
  // A link label is inline: with blocks inside (rare in Matrix HTML), their text alone.
  const label = holdsBlock(node) ? escapeMarkdown(text(node), false) : content.replace(/\s*\n\s*/gu, ' ').trim();
  return `[${label}](${linkDestination(href)})`;
}

// `:shortcode:` as custom emoji carry it in alt: kept as typed where no `_` could start emphasis.
const SHORTCODE = /^:[a-z0-9+_-]+:$/iu;
const UNSAFE_UNDERSCORE = /(?:^|[^a-z0-9])_|_(?:[^a-z0-9]|$)/iu;

/** An inline image: its alt text (custom emoji: their shortcode); `mxc://` is not fetchable by the forum. */
function image(node: El): string {
  const alt = (node.getAttribute('alt') ?? node.getAttribute('title') ?? '').replace(/\s+/gu, ' ').trim();
  if (SHORTCODE.test(alt) && !UNSAFE_UNDERSCORE.test(alt.slice(1, -1))) return alt;
  return escapeMarkdown(alt, true);
}

/** The info word of `<code class="language-x">`, kept to characters a fence info string shows as they are. */
function language(pre: El): string {
  const code = Array.from(pre.childNodes).find((c) => c.nodeName === 'CODE');
  const cls = code?.getAttribute('class') ?? '';
  return /(?:^|\s)language-([a-z0-9_+#.-]+)/iu.exec(cls)?.[1] ?? '';
}

const block = (md: string): string => `\n\n${md}\n\n`;

function tableRow(content: string, node: El): string {
  const row = `|${content.replace(/\n+/gu, ' ')}\n`;
  // The first row is the header GFM needs; the separator follows it.
  let table: El | null = node.parentNode;
  while (table && table.nodeName !== 'TABLE') table = table.parentNode;
  if (!table) return row;
  const first = firstRow(table);
  if (first !== node) return row;
  const cells = Array.from(node.childNodes).filter((c) => c.nodeName === 'TH' || c.nodeName === 'TD').length;
  return `${row}|${' --- |'.repeat(Math.max(cells, 1))}\n`;
}

function firstRow(table: El): El | null {
  for (const child of Array.from(table.childNodes)) {
    if (child.nodeName === 'TR') return child;
    if (['THEAD', 'TBODY', 'TFOOT'].includes(child.nodeName)) {
      const tr = Array.from(child.childNodes).find((c) => c.nodeName === 'TR');
      if (tr) return tr;
    }
  }
  return null;
}

/** `- item` or `3. item` (turndown pads markers to four columns), continuation lines indented under the text. */
function listItem(content: string, node: El): string {
  const parent = node.parentNode;
  let marker = '- ';
  if (parent?.nodeName === 'OL') {
    const start = Number.parseInt(parent.getAttribute('start') ?? '1', 10);
    let index = 0;
    for (let sib = node.previousSibling; sib; sib = sib.previousSibling) if (sib.nodeName === 'LI') index++;
    marker = `${Math.min(Math.max(Number.isFinite(start) ? start : 1, 0), 999_999_999 - 10_000) + index}. `;
  }
  const body = content.replace(/^\n+/u, '').replace(/\n+$/u, '\n').replace(/\n(?=.)/gu, `\n${' '.repeat(marker.length)}`);
  // An item outside a list still starts a line of its own (else its marker, and a fence in it, would be text).
  const own = parent?.nodeName === 'UL' || parent?.nodeName === 'OL' ? '' : '\n';
  return `${own}${marker}${body}${node.nextSibling && !body.endsWith('\n') ? '\n' : ''}`;
}

/**
 * turndown, required at the first conversion rather than imported: with its DOM it is over half a megabyte of
 * JavaScript that a Matrix process needs only for transcripts. Its Node entry is CommonJS, as `import` loads it.
 */
let Turndown: typeof TurndownService | undefined;

function converter(names: MatrixNames): TurndownService {
  Turndown ??= createRequire(import.meta.url)('turndown') as typeof TurndownService;
  const service = new Turndown({
    headingStyle: 'atx',
    hr: '---',
    bulletListMarker: '-',
    codeBlockStyle: 'fenced',
    emDelimiter: '*',
    strongDelimiter: '**',
    // Discourse reads a line break as a line break: no trailing spaces needed.
    br: '',
  });
  // Every text node as the shared escaper makes plain text literal. Turndown's own leaves `<`, `|`, `~` and `&`.
  // Where a text node starts is not known here: a `#`, `>`, `-`, `1.` in front is escaped anywhere (a
  // backslash before punctuation is invisible in Markdown).
  service.escape = (s: string): string => escapeMarkdown(s, true);
  service.remove((node) => DROPPED.has(el(node).nodeName.toUpperCase()));
  // addRule puts a rule before the earlier ones: these win over turndown's defaults for the same elements.
  service.addRule('strong', { filter: ['b', 'strong'], replacement: (c, n) => emphasis(c, el(n), '**', 'b') });
  service.addRule('emphasis', { filter: ['i', 'em'], replacement: (c, n) => emphasis(c, el(n), '*', 'i') });
  service.addRule('strike', { filter: ['del', 's', 'strike'], replacement: (c, n) => emphasis(c, el(n), '~~', 's') });
  service.addRule('underline', { filter: ['u', 'ins'], replacement: (c, n) => wrap(c, el(n), '[u]', '[/u]') });
  service.addRule('spoiler', {
    filter: (n) => el(n).hasAttribute('data-mx-spoiler'),
    replacement: (c, n) => {
      const reason = (el(n).getAttribute('data-mx-spoiler') ?? '').replace(/\s+/gu, ' ').trim();
      const label = reason === '' ? '' : `(${escapeMarkdown(reason, true)}) `;
      const core = c.trim();
      if (core === '') return c;
      return core.includes('\n') ? block(`${label}[spoiler]\n${core}\n[/spoiler]`) : `${label}[spoiler]${core}[/spoiler]`;
    },
  });
  service.addRule('link', { filter: 'a', replacement: (c, n) => link(c, el(n), names) });
  service.addRule('image', { filter: 'img', replacement: (_c, n) => image(el(n)) });
  service.addRule('codeBlock', {
    filter: 'pre',
    replacement: (_c, n) => {
      return block(fence(codeText(el(n)).replace(/\n$/u, ''), language(el(n))));
    },
  });
  service.addRule('code', {
    filter: (n) => el(n).nodeName === 'CODE' && el(n).parentNode?.nodeName !== 'PRE',
    replacement: (_c, n) => {
      const code = codeText(el(n));
      if (code.includes('\n')) return block(fence(code.replace(/\n$/u, '')));
      return codeSpan(code);
    },
  });
  service.addRule('details', {
    filter: 'details',
    replacement: (c, n) => {
      const summary = Array.from(el(n).childNodes).find((x) => x.nodeName === 'SUMMARY');
      // Inside the BBCode's quoted attribute: one line, no double quote.
      const title = (summary ? text(summary) : '').replace(/"/gu, "'") || 'Details';
      return block(`[details="${escapeMarkdown(title, false)}"]\n${c.trim()}\n[/details]`);
    },
  });
  service.addRule('summary', { filter: 'summary', replacement: () => '' });
  service.addRule('cell', { filter: ['th', 'td'], replacement: (c) => ` ${c.replace(/\s*\n\s*/gu, ' ').trim()} |` });
  service.addRule('row', { filter: 'tr', replacement: (c, n) => tableRow(c, el(n)) });
  service.addRule('listItem', { filter: 'li', replacement: (c, n) => listItem(c, el(n)) });
  service.addRule('section', { filter: ['thead', 'tbody', 'tfoot'], replacement: (c) => c });
  service.addRule('table', { filter: 'table', replacement: (c) => block(c.trim()) });
  service.addRule('caption', { filter: 'caption', replacement: (c) => `${c.trim()}\n\n` });
  return service;
}

/** `formatted_body` as forum Markdown; null when it cannot be converted (the caller falls back to `body`). */
function html(formatted: string, names: MatrixNames): string | null {
  try {
    return converter(names).turndown(formatted);
  } catch {
    // Nesting deep enough to exhaust the stack, or a parser failure: the plain body says the same.
    return null;
  }
}

/** The text of a content (HTML when it has it, else the body) as Markdown. */
function textOf(content: MatrixMessageInput, names: MatrixNames): string {
  if (content.format === MATRIX_HTML_FORMAT && typeof content.formatted_body === 'string') {
    const md = html(content.formatted_body, names);
    if (md !== null) return md;
  }
  const body = typeof content.body === 'string' ? content.body : '';
  return plain(isReply(content) ? stripReplyFallback(body) : body);
}

/** The action of an emote in italics, as Discord sends `/me`; BBCode where Markdown emphasis would not hold. */
function action(md: string): string {
  const core = md.trim();
  if (core === '') return '';
  if (!core.includes('\n') && !core.startsWith('*') && !core.endsWith('*')) return `*${core}*`;
  return `[i]${core}[/i]`;
}

/** A media message's caption (Matrix 1.10: `body` when `filename` is there and differs), else nothing. */
function caption(content: MatrixMessageInput): MatrixMessageInput | null {
  if (content.filename === undefined || content.filename === content.body) return null;
  return content;
}

/**
 * A Matrix `m.room.message` content as forum Markdown. `names` gives display names for mention pills; a pill
 * it does not know shows its own text, else the user's localpart. Nothing in the result pings a forum user.
 * Media (`m.image`, `m.file`, `m.video`, `m.audio`) give their caption only: matrixAttachments names the file.
 */
export function matrixMessageToMarkdown(content: MatrixMessageInput, names: MatrixNames): string {
  let md: string;
  if (content.msgtype !== undefined && MEDIA.has(content.msgtype)) {
    const withCaption = caption(content);
    md = withCaption ? textOf(withCaption, names) : '';
  } else {
    md = textOf(content, names);
    if (content.msgtype === 'm.emote') md = action(md);
  }
  // Every part neutralised its own names; text the chat user typed (`@bob`) is broken here, outside code.
  return neutralizeMentions(md.replace(/^\n+|\s+$/gu, ''));
}

/**
 * The file of a media message, by name, for ChatMessage.attachments: the transcript shows `📎 name`. The url
 * stays empty: an `mxc://` URL is not a web address, and the homeserver's media API asks for a token.
 */
export function matrixAttachments(content: MatrixMessageInput): { name: string; url: string }[] {
  if (content.msgtype === undefined || !MEDIA.has(content.msgtype)) return [];
  const fallback = { 'm.image': 'image', 'm.file': 'file', 'm.video': 'video', 'm.audio': 'audio' }[content.msgtype as 'm.image'];
  const name = (content.filename ?? content.body ?? '').replace(/\s+/gu, ' ').trim();
  return [{ name: name || fallback, url: '' }];
}
