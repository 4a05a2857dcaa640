// Small forum-Markdown helpers shared by the transcript renderer and the platforms' markup converters:
// finding code (where text is inert and must stay byte for byte), breaking @mentions everywhere else,
// escaping plain text and names, and fencing code that itself contains fences. Pure functions.

/** Zero-width space: put after `@` it keeps the text readable but Discourse no longer sees a mention. */
export const ZWSP = '\u200B';

// A fence line: optional blockquote / list-item prefixes, then ``` or ~~~ (3 or more). Loose on purpose:
// treating a little too much as code only means leaving an inert `@` alone there.
const FENCE_OPEN = /^((?:[ \t]*(?:>|[-*+](?=[ \t])|\d{1,9}[.)](?=[ \t])))*[ \t]*)(`{3,}|~{3,})(.*)$/u;

interface Piece {
  code: boolean;
  text: string;
}

/** Splits Markdown into fenced code blocks and the rest; `open` is the fence left unclosed at the end, if any. */
function splitFences(markdown: string): { pieces: Piece[]; open: string | null } {
  const pieces: Piece[] = [];
  let prose = '';
  let code = '';
  let fence: string | null = null;
  let start = 0;
  while (start < markdown.length) {
    const nl = markdown.indexOf('\n', start);
    const end = nl === -1 ? markdown.length : nl + 1;
    const line = markdown.slice(start, end);
    const bare = line.endsWith('\n') ? line.slice(0, line.endsWith('\r\n') ? -2 : -1) : line;
    start = end;
    if (fence === null) {
      const m = FENCE_OPEN.exec(bare);
      // A backtick fence's info string cannot contain a backtick (CommonMark 4.5); then it is inline code.
      if (m && !(m[2]!.startsWith('`') && m[3]!.includes('`'))) {
        if (prose) pieces.push({ code: false, text: prose });
        prose = '';
        fence = m[2]!;
        code = line;
      } else {
        prose += line;
      }
    } else {
      code += line;
      if (closesFence(bare, fence)) {
        pieces.push({ code: true, text: code });
        code = '';
        fence = null;
      }
    }
  }
  if (fence !== null) pieces.push({ code: true, text: code });
  else if (prose) pieces.push({ code: false, text: prose });
  return { pieces, open: fence };
}

function closesFence(line: string, fence: string): boolean {
  const m = /^(?:[ \t]*>)*[ \t]*(`{3,}|~{3,})[ \t]*$/u.exec(line);
  return m !== null && m[1]![0] === fence[0] && m[1]!.length >= fence.length;
}

const BACKTICK_RUN = /`+/gu;
const BLANK_LINE = /\n[ \t]*(?:\r?\n)/gu;

/** Splits prose (no fences) into inline code spans and the rest, by CommonMark's backtick-run rule. */
function splitCodeSpans(prose: string, out: Piece[]): void {
  if (!prose.includes('`')) {
    out.push({ code: false, text: prose });
    return;
  }
  const runs: { at: number; len: number }[] = [];
  for (const m of prose.matchAll(BACKTICK_RUN)) {
    let at = m.index;
    let len = m[0].length;
    // An odd number of backslashes before the run escapes its first backtick (only for an opener,
    // but a closer never follows a backslash in practice that matters here).
    let slashes = 0;
    while (at - slashes - 1 >= 0 && prose[at - slashes - 1] === '\\') slashes++;
    if (slashes % 2 === 1) {
      at += 1;
      len -= 1;
      if (len === 0) continue;
    }
    runs.push({ at, len });
  }
  // Code spans end at a blank line (the paragraph ends there).
  const breaks = Array.from(prose.matchAll(BLANK_LINE), (m) => m.index);
  const nextBreakAfter = (pos: number): number => {
    let lo = 0;
    let hi = breaks.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (breaks[mid]! < pos) lo = mid + 1;
      else hi = mid;
    }
    return lo < breaks.length ? breaks[lo]! : Infinity;
  };
  // For each run, the next run of the same length: the only possible closer. Linear, however many runs.
  const nextSame = new Array<number>(runs.length).fill(-1);
  const lastSeen = new Map<number, number>();
  for (let i = runs.length - 1; i >= 0; i--) {
    const len = runs[i]!.len;
    nextSame[i] = lastSeen.get(len) ?? -1;
    lastSeen.set(len, i);
  }
  let pos = 0;
  let i = 0;
  while (i < runs.length) {
    const open = runs[i]!;
    const j = nextSame[i]!;
    if (open.at < pos || j === -1 || runs[j]!.at >= nextBreakAfter(open.at)) {
      i++;
      continue;
    }
    const close = runs[j]!;
    if (open.at > pos) out.push({ code: false, text: prose.slice(pos, open.at) });
    out.push({ code: true, text: prose.slice(open.at, close.at + close.len) });
    pos = close.at + close.len;
    i = j + 1;
  }
  if (pos < prose.length) out.push({ code: false, text: prose.slice(pos) });
}

/**
 * Applies `fn` to every part of `markdown` that is not code (fenced blocks, inline code spans), leaving
 * code exactly as it is. Indented code blocks count as prose: they cannot be told from list continuations
 * without a full parser, and breaking an inert `@` there is harmless while missing a live one pings someone.
 */
export function mapOutsideCode(markdown: string, fn: (prose: string) => string): string {
  // Fast path: no backtick and no tilde, so no code at all.
  if (!markdown.includes('`') && !markdown.includes('~')) return fn(markdown);
  const { pieces } = splitFences(markdown);
  let out = '';
  for (const piece of pieces) {
    if (piece.code) {
      out += piece.text;
      continue;
    }
    const spans: Piece[] = [];
    splitCodeSpans(piece.text, spans);
    for (const span of spans) out += span.code ? span.text : fn(span.text);
  }
  return out;
}

// Things a mention must not be looked for in (autolinks, bare URLs, link destinations), then the mention
// itself: `@` starting a word, as Discourse reads it (`(@bob)` pings, `bob@example.org` does not).
// A link destination follows an unescaped `]` only: `\](@bob` is text (an even run of backslashes escapes nothing).
const PROSE_MENTION = /<[a-z][a-z0-9+.-]*:[^\s<>]*>|(?:https?|ftp):\/\/[^\s<>]*|www\.[^\s<>]*|(?<=(?:^|[^\\])(?:\\\\)*)\]\([^)\s]*|(^|[\s\S])@(?=[\p{L}\p{N}_])/giu;
/**
 * What may stand before an `@` that starts no mention. Tested apart, without the `i` flag: under it a negated
 * class also refuses characters whose case folding is a letter (U+0345, a combining mark, folds to ι).
 */
const WORD_CHAR = /[\p{L}\p{N}_]/u;

/** Breaks `@word` in prose (no code in it) with a zero-width space; URLs and link targets are left intact. */
export function neutralizeProseMentions(prose: string): string {
  if (!prose.includes('@')) return prose;
  return prose.replace(PROSE_MENTION, (m: string, before: string | undefined) => {
    if (before === undefined || WORD_CHAR.test(before)) return m;
    return `${before}@${ZWSP}`;
  });
}

/**
 * Makes `@name` in chat text stop pinging forum users (`@\u200Bname`), except inside code, where Discourse
 * sees no mention and the text must stay exactly as typed. Idempotent.
 */
export function neutralizeMentions(markdown: string): string {
  if (!markdown.includes('@')) return markdown;
  return mapOutsideCode(markdown, neutralizeProseMentions);
}

/**
 * Closes a fenced code block left open at the end of a message, so that it cannot swallow the rest of the
 * transcript. The message's own text is kept; only the closing fence line is added.
 */
export function closeOpenFence(markdown: string): string {
  if (!markdown.includes('```') && !markdown.includes('~~~')) return markdown;
  const { open } = splitFences(markdown);
  if (open === null) return markdown;
  return `${markdown}${markdown.endsWith('\n') ? '' : '\n'}${open}`;
}

function longestRun(text: string, char: '`' | '~'): number {
  let longest = 0;
  let current = 0;
  for (let i = 0; i < text.length; i++) {
    if (text[i] === char) {
      current++;
      if (current > longest) longest = current;
    } else {
      current = 0;
    }
  }
  return longest;
}

/** A fenced code block holding `code` exactly, even when `code` contains fences itself. */
export function fence(code: string, language = ''): string {
  // The info string is one word; a backtick in it would end a backtick fence, so use tildes then.
  const info = language.trim().split(/\s+/u)[0] ?? '';
  const char = info.includes('`') ? '~' : '`';
  const marks = char.repeat(Math.max(3, longestRun(code, char) + 1));
  return `${marks}${info}\n${code}${code.endsWith('\n') || code === '' ? '' : '\n'}${marks}`;
}

/** An inline code span holding `code` exactly (backticks inside included). Empty code gives ''. */
export function codeSpan(code: string): string {
  if (code === '') return '';
  const marks = '`'.repeat(longestRun(code, '`') + 1);
  // CommonMark strips one space from each side when both are there, and a backtick next to the
  // delimiters would join them: pad with a space in those cases.
  // A closing backslash is literal in a code span, but a reader that takes it for an escape (mapOutsideCode
  // finds spans as Discourse's mention finder does) would pair the opener with a later backtick: pad it too.
  const pad = code.startsWith('`') || code.endsWith('`') || code.endsWith('\\') || (code.startsWith(' ') && code.endsWith(' ') && code.trim() !== '') ? ' ' : '';
  return `${marks}${pad}${code}${pad}${marks}`;
}

// Characters that start formatting anywhere in a line: emphasis, code, links, HTML, tables, strikethrough,
// and `&` when it would read as an HTML entity.
const INLINE_SPECIAL = /[\\`*_[\]<>|~]|&(?=#?[a-z0-9]+;)/giu;
// What makes a line a heading, quote, list item, setext underline or thematic break.
const LINE_START_SPECIAL = /^([ \t]{0,3})([#>+=-]|\d{1,9}(?=[.)]))/gmu;

/**
 * Makes plain text show literally in forum Markdown (a Telegram message's unformatted text, say).
 * `lineStart` says whether the text begins a line (so a leading `#` or `1.` would start a heading or a list).
 */
export function escapeMarkdown(text: string, lineStart = true): string {
  let out = text.replace(INLINE_SPECIAL, (c) => `\\${c}`);
  out = out.replace(LINE_START_SPECIAL, (m: string, indent: string, mark: string, offset: number) => {
    if (offset === 0 && !lineStart) return m;
    // A number only lists when `.` or `)` follows: escape that, not the digits.
    if (/\d/u.test(mark)) return `${indent}${mark}\\`;
    return `${indent}\\${mark}`;
  });
  return out;
}

/** Plain chat text as forum Markdown: shown literally, and `@name` does not ping. */
export function plainText(text: string, lineStart = true): string {
  return neutralizeProseMentions(escapeMarkdown(text, lineStart));
}

/** A person's or channel's name for inline use: one line, shown literally, never a mention. */
export function escapeName(name: string): string {
  return plainText(name.replace(/\s+/gu, ' ').trim(), false);
}

/** A link destination that survives spaces, parentheses and angle brackets in the URL. */
export function linkDestination(url: string): string {
  if (!/[\s()<>\\]/u.test(url)) return url;
  return `<${url.replace(/[\s<>\\]/gu, (c) => encodeURIComponent(c))}>`;
}

/** `[text](url)` with the text shown literally. */
export function link(text: string, url: string): string {
  return `[${escapeName(text)}](${linkDestination(url)})`;
}
