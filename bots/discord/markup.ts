// A Discord message's `content` as forum Markdown, for transcripts. Pure functions.
//
// Discord's markup looks like Markdown but is its own dialect (a simple-markdown grammar; the rules below follow
// what the desktop client renders): `**bold**`, `*italic*` / `_italic_`, `__underline__`, `~~strike~~`,
// `||spoiler||`, code spans and ```lang fences, `#`–`###` headers, `-# subtext`, `> ` / `>>> ` quotes, `- ` /
// `1. ` lists, `[text](url)` masked links, bare and `<suppressed>` URLs, backslash escapes, and `<…>` tokens
// for mentions, custom emoji and timestamps. Formatting may span lines. The text is scanned left to right;
// at each position the first rule that matches wins, as in Discord's parser. Whatever is not formatting
// shows literally in Discord, so it is escaped for the forum, and no @name, known or not, may ping a forum user.
//
// Where the two differ:
//  - `__underline__` and `||spoiler||` have no Markdown: the BBCode Discourse reads, `[u]…[/u]` (core) and
//    `[spoiler]…[/spoiler]` (the bundled spoiler-alert plugin); a spoiler holding a code block is a block spoiler.
//  - Bold, italic, strikethrough are Markdown where CommonMark will read them, else `[b]`, `[i]`, `[s]`.
//  - Mentions show the name from the lookup: `@Name`, `@role`, `#channel` (`@` followed by a zero-width space,
//    so nobody is pinged). Ids the lookup does not know show as Discord shows them, without the id:
//    `@unknown-user`, `@unknown-role`, `#unknown-channel`. `</cmd sub:id>` is `/cmd sub`.
//  - Custom emoji `<:name:id>` / `<a:name:id>` become `:name:` (Discourse shows it as text unless it has an
//    emoji of that name). Timestamps `<t:…>` of every style, relative ones included, become the absolute time
//    in UTC, `2023-11-14 22:13 UTC` (`:T`, the style with seconds, `2023-11-14 22:13:20 UTC`).
//  - `-# subtext` is a plain line (the forum has no small text in Markdown).
//  - Masked links only for http(s), as Discord renders them; `discord://` keeps its text only. A masked link
//    Discord refuses (a label holding a URL, a mention or an emoji, an empty label) is literal text.
//  - Bare and `<https://…>` URLs become autolinks.
//  - Inside emphasis, header, subtext or link text only inline rules apply (Discord lets `*# x*` be a header).
import { codeSpan, escapeMarkdown, escapeName, fence, linkDestination, mapOutsideCode, neutralizeMentions, plainText, ZWSP } from '../../lib/transcript/markdown.js';

/** Names the adapter resolved (and cached) beforehand; synchronous so that conversion stays pure. */
export interface DiscordLookup {
  /** User id (snowflake) → display name (the member's nickname where the adapter has it). */
  user?(id: string): string | undefined;
  /** Channel or thread id → channel name (without `#`). */
  channel?(id: string): string | undefined;
  /** Role id → role name (without `@`). */
  role?(id: string): string | undefined;
}

type Style = 'bold' | 'italic' | 'underline' | 'strike' | 'spoiler';
/** What an atom is, for deciding whether a masked link's label is one Discord accepts. */
type AtomKind = 'code' | 'time' | 'link' | 'mention' | 'emoji';

type Node =
  /** Text as Discord shows it (escapes resolved), to be escaped for the forum. */
  | { t: 'text'; s: string }
  /** Inline forum Markdown, already rendered. */
  | { t: 'atom'; md: string; kind: AtomKind }
  /** A fenced code block (or block spoiler): lines of its own. */
  | { t: 'block'; md: string }
  /**
   * Lines that start a line in the source and the output (header, subtext, quote, list); `md` ends with the
   * line break the source had. `loose`: a text line right after it would join it (CommonMark's lazy
   * continuation). `breakBefore`: it cannot interrupt a paragraph (an ordered list not starting at 1).
   */
  | { t: 'lines'; md: string; loose: boolean; breakBefore: boolean }
  | { t: 'style'; style: Style; children: Node[] };

interface Context {
  /** Line rules (headers, subtext, quotes, lists) apply; false inside emphasis and link text. */
  blocks: boolean;
  /** Quotes apply; false inside a quote (Discord does not nest them). */
  quotes: boolean;
  /** Lists nested so far; Discord stops at 11, and has no headers inside lists. */
  listDepth: number;
}

const TOP: Context = { blocks: true, quotes: true, listDepth: 0 };
const INLINE: Context = { blocks: false, quotes: false, listDepth: 0 };
const MAX_LIST_DEPTH = 11;
const MAX_STYLE_DEPTH = 16;

// Emphasis as Discord's grammar has it (lazy: the nearest closing mark wins). An escaped character never
// closes; `*italic*` may hold `**` pairs and `_italic_` `__` pairs; `*italic*` cannot start or end with
// whitespace (but up to two spaces may come before the closing `*`), and `_italic_` must not be followed by
// a word character, so `snake_case_name` stays as typed.
const ITALIC_STAR = /\*(?!\s)((?:\\[\s\S]|\*\*|[^*\\])+?)(?<!\s) {0,2}\*(?!\*)/uy;
const ITALIC_UNDERSCORE = /_((?:\\[\s\S]|__|[^_\\])+?)_(?![a-zA-Z0-9_])/uy;
const BOLD = /\*\*((?:\\[\s\S]|[^\\])+?)\*\*(?!\*)/uy;
const UNDERLINE = /__((?:\\[\s\S]|[^\\])+?)__(?!_)/uy;
const STRIKE = /~~([\s\S]+?)~~(?!_)/uy;
const SPOILER = /\|\|([\s\S]+?)\|\|/uy;

const CODE_LANGUAGE = /```([a-zA-Z0-9_+.-]*)\n/uy;

// `<…>` tokens (Discord API reference, "Message Formatting").
const USER = /<@!?(\d+)>/uy;
const CHANNEL = /<#(\d+)>/uy;
const ROLE = /<@&(\d+)>/uy;
const COMMAND = /<\/([-_\p{L}\p{N}]{1,32}(?: [-_\p{L}\p{N}]{1,32}){0,2}):\d+>/uy;
const CUSTOM_EMOJI = /<a?:(\w+):\d+>/uy;
const TIMESTAMP = /<t:(-?\d{1,13})(?::([tTdDfFRsS]))?>/uy;
const SUPPRESSED_LINK = /<([^: >]+:\/[^ >]+)>/uy;
// A bare URL ends before `<` or whitespace and not on trailing punctuation.
const BARE_URL = /https?:\/\/[^\s<]+[^<.,:;"'\]\s]/uy;
// `[text](url "title")`: text with brackets one level deep, the URL optionally in `<…>`.
const MASKED_LINK = /\[((?:\[[^[\]]*\]|[^[\]])*)\]\(\s*<?((?:\([^()\s]*\)|[^()\s<>])*)>?(?:\s+(?:"[^"]*"|'[^']*'))?\s*\)/uy;
// A shortcode typed as text: Discord shows it as typed unless it names an emoji; either way it is no
// formatting (`:_x_:` is not italic).
const SHORTCODE = /:(\w+):/uy;

const HEADER = /(#{1,3})[ \t]+(?!#)([^\n]*)(\n?)/uy;
const SUBTEXT = /-#[ \t]+(?!-#)([^\n]+)(\n?)/uy;
const LIST_ITEM = /([*-]|(\d{1,12})\.)( +)([^\n]+(?:\n [^\n]*)*)(\n?)/uy;
const SHRUG = '¯\\_(ツ)_/¯';

const AFTER_ANGLE = />@(?=[\p{L}\p{N}_])/gu;
const WEB = /^https?:$/u;
const AUTOLINK = /^[a-z][a-z0-9+.-]{1,31}:[^\s<>\p{Cc}]*$/iu;
const UNSAFE_UNDERSCORE = /(?:^|[^a-z0-9])_|_(?:[^a-z0-9]|$)/iu;
// Unicode emoji make Discord refuse a masked link's label; these three it lets through.
const PICTOGRAPH = /(?![©®™])\p{Extended_Pictographic}/u;

function exec(re: RegExp, src: string, at: number): RegExpExecArray | null {
  re.lastIndex = at;
  return re.exec(src);
}

function webUrl(url: string): URL | null {
  if (!URL.canParse(url)) return null;
  const parsed = new URL(url);
  return WEB.test(parsed.protocol) || parsed.protocol === 'discord:' ? parsed : null;
}

/** A URL as the forum links it: an autolink where CommonMark takes one, else `[url](<url>)`. */
function autolink(url: string): string {
  return AUTOLINK.test(url) ? `<${url}>` : `[${escapeName(url)}](${linkDestination(url)})`;
}

/** `:name:` kept as typed when no `_` in it could start emphasis; Discourse knows many of the same names. */
function shortcode(name: string): string {
  return UNSAFE_UNDERSCORE.test(name) ? `:${escapeMarkdown(name, false)}:` : `:${name}:`;
}

/**
 * A code span. One ending in a backslash is padded with spaces (CommonMark drops one from each side): the
 * shared code finder takes `\` before backticks for an escape, and would see prose where the span is.
 */
function inlineCode(code: string): string {
  if (!code.endsWith('\\')) return codeSpan(code);
  const marks = '`'.repeat(Math.max(0, ...Array.from(code.matchAll(/`+/gu), (m) => m[0].length)) + 1);
  return `${marks} ${code} ${marks}`;
}

/** A timestamp as absolute UTC text, to the minute (`T` to the second); null when out of Date's range. */
export function formatDiscordTimestamp(seconds: number, style = 'f'): string | null {
  const date = new Date(seconds * 1000);
  if (!Number.isFinite(seconds) || Number.isNaN(date.getTime())) return null;
  const iso = date.toISOString();
  const at = iso.indexOf('T');
  return `${iso.slice(0, at)} ${iso.slice(at + 1, style === 'T' ? at + 9 : at + 6)} UTC`;
}

const mention = (sigil: string, name: string | undefined, unknown: string): string => {
  const known = name?.trim();
  return `${sigil}${sigil === '@' ? ZWSP : ''}${known ? escapeName(known) : unknown}`;
};

/** Collects text and nodes, joining adjacent text. */
class Nodes {
  readonly list: Node[] = [];
  private text = '';

  add(text: string): void {
    this.text += text;
  }

  push(...nodes: Node[]): void {
    this.flush();
    this.list.push(...nodes);
  }

  done(): Node[] {
    this.flush();
    return this.list;
  }

  private flush(): void {
    // Discord drops spaces at the end of a line; CommonMark would read two of them as a hard break.
    if (this.text !== '') this.list.push({ t: 'text', s: this.text.replace(/ +(?=\n)/gu, '') });
    this.text = '';
  }
}

interface Match {
  nodes: Node[];
  end: number;
}

class Parser {
  /** Styles open around the text being parsed. */
  private depth = 0;

  constructor(private readonly lookup: DiscordLookup) {}

  parse(src: string, ctx: Context): Node[] {
    const out = new Nodes();
    let i = 0;
    while (i < src.length) {
      if (ctx.blocks && (i === 0 || src[i - 1] === '\n')) {
        const line = this.lineAt(src, i, ctx);
        if (line) {
          out.push(...line.nodes);
          i = line.end;
          continue;
        }
      }
      const c = src[i]!;
      if (c === '\\' && i + 1 < src.length) {
        // A backslash before anything but a letter, digit or space shows that character, which then formats
        // nothing; before those it is text, and the character after it starts nothing either.
        const next = String.fromCodePoint(src.codePointAt(i + 1)!);
        out.add(/[0-9A-Za-z\s]/u.test(next) ? `\\${next}` : next);
        i += 1 + next.length;
        continue;
      } else if (c === '¯' && src.startsWith(SHRUG, i)) {
        // Discord keeps the shrug's arm, backslash and all.
        out.add(SHRUG);
        i += SHRUG.length;
        continue;
      }
      const m = this.inlineAt(src, i);
      if (m) {
        for (const node of m.nodes) {
          if (node.t === 'text') out.add(node.s);
          else out.push(node);
        }
        i = m.end;
        continue;
      }
      const ch = String.fromCodePoint(src.codePointAt(i)!);
      out.add(ch);
      i += ch.length;
    }
    return out.done();
  }

  /** A rule that starts at `i`, by its first character; null when none does. */
  private inlineAt(src: string, i: number): Match | null {
    switch (src[i]) {
      case '`':
        return this.code(src, i);
      case '*':
        return this.emphasis(src, i, ITALIC_STAR, 'italic', BOLD, 'bold');
      case '_':
        return this.emphasis(src, i, ITALIC_UNDERSCORE, 'italic', UNDERLINE, 'underline');
      case '~':
        return this.styled(exec(STRIKE, src, i), 'strike');
      case '|':
        return this.styled(exec(SPOILER, src, i), 'spoiler');
      case '<':
        return this.token(src, i);
      case '[':
        return this.maskedLink(src, i);
      case ':': {
        const m = exec(SHORTCODE, src, i);
        return m ? { nodes: [{ t: 'atom', md: shortcode(m[1]!), kind: 'emoji' }], end: i + m[0].length } : null;
      }
      case 'h':
        return this.bareUrl(src, i);
      default:
        return null;
    }
  }

  /** A code block, else a code span, else the run of backticks as text (no shorter run can match either). */
  private code(src: string, i: number): Match {
    if (src.startsWith('```', i)) {
      const lang = exec(CODE_LANGUAGE, src, i);
      const block = (lang && this.blockEnd(src, i + lang[0].length)) ?? this.blockEnd(src, i + 3);
      if (block) {
        const language = lang && block.start === i + lang[0].length ? lang[1]! : '';
        const code = src.slice(block.start, block.close).replace(/^\n+|\n+$/gu, '');
        return { nodes: [{ t: 'block', md: fence(code, language) }], end: block.close + 3 };
      }
    }
    let run = 0;
    while (src[i + run] === '`') run++;
    // An opening run of n backticks (or fewer, the rest then being content) closes at the next run of exactly n.
    for (let n = run; n >= 1; n--) {
      const close = nextRunOf(src, i + run, n);
      if (close === -1) continue;
      let code = src.slice(i + n, close);
      const trimmed = code.replace(/^ +| +$/gu, '');
      if (trimmed.startsWith('`')) code = code.replace(/^ /u, '');
      if (trimmed.endsWith('`')) code = code.replace(/ $/u, '');
      const node: Node = code.includes('\n') ? { t: 'block', md: fence(code) } : { t: 'atom', md: inlineCode(code), kind: 'code' };
      return { nodes: [node], end: close + n };
    }
    return { nodes: [{ t: 'text', s: '`'.repeat(run) }], end: i + run };
  }

  /** The first ``` after some non-newline content from `start`. */
  private blockEnd(src: string, start: number): { start: number; close: number } | null {
    let content = start;
    while (content < src.length && src[content] === '\n') content++;
    const close = src.indexOf('```', content + 1);
    return content < src.length && close !== -1 ? { start, close } : null;
  }

  /** Single-mark italic or the double-mark style at `i`; the longer wins, italic on a tie. */
  private emphasis(src: string, i: number, single: RegExp, singleStyle: Style, double: RegExp, doubleStyle: Style): Match | null {
    const one = exec(single, src, i);
    const two = exec(double, src, i);
    if (two && (!one || two[0].length > one[0].length)) return this.styled(two, doubleStyle);
    return this.styled(one, singleStyle);
  }

  private styled(m: RegExpExecArray | null, style: Style): Match | null {
    // Marks nested deeper than anyone writes them (`****…`) are text: the recursion stays shallow.
    if (!m || this.depth >= MAX_STYLE_DEPTH) return null;
    const end = m.index + m[0].length;
    this.depth++;
    const children = this.parse(m[1]!, INLINE);
    this.depth--;
    if (!children.some((n) => n.t === 'block')) return { nodes: [{ t: 'style', style, children }], end };
    // A code block cannot sit inside emphasis in Markdown: the emphasis goes, the block stays. A spoiler
    // becomes a block spoiler around it.
    if (style !== 'spoiler') return { nodes: children, end };
    return { nodes: [{ t: 'block', md: `[spoiler]\n${renderNodes(children, true, NOTHING, NOTHING)}\n[/spoiler]` }], end };
  }

  /** `<…>`: mentions, slash commands, custom emoji, timestamps, suppressed-embed links. */
  private token(src: string, i: number): Match | null {
    const atom = (md: string, kind: AtomKind, m: RegExpExecArray): Match => ({ nodes: [{ t: 'atom', md, kind }], end: i + m[0].length });
    let m: RegExpExecArray | null;
    if ((m = exec(USER, src, i))) return atom(mention('@', this.lookup.user?.(m[1]!), 'unknown-user'), 'mention', m);
    if ((m = exec(ROLE, src, i))) return atom(mention('@', this.lookup.role?.(m[1]!), 'unknown-role'), 'mention', m);
    if ((m = exec(CHANNEL, src, i))) return atom(mention('#', this.lookup.channel?.(m[1]!), 'unknown-channel'), 'mention', m);
    if ((m = exec(COMMAND, src, i))) return atom(`/${escapeName(m[1]!)}`, 'mention', m);
    if ((m = exec(CUSTOM_EMOJI, src, i))) return atom(shortcode(m[1]!), 'emoji', m);
    if ((m = exec(TIMESTAMP, src, i))) {
      const text = formatDiscordTimestamp(Number(m[1]), m[2]);
      return text === null ? null : atom(text, 'time', m);
    }
    if ((m = exec(SUPPRESSED_LINK, src, i))) {
      const url = m[1]!;
      const parsed = webUrl(url);
      // Discord shows a URL it will not link without the brackets.
      if (!parsed || !WEB.test(parsed.protocol)) return { nodes: [{ t: 'text', s: url }], end: i + m[0].length };
      return atom(autolink(url), 'link', m);
    }
    return null;
  }

  private bareUrl(src: string, i: number): Match | null {
    const m = exec(BARE_URL, src, i);
    if (!m) return null;
    let url = m[0];
    // A closing parenthesis the URL did not open belongs to the text: `(see https://x.org)`.
    const closing = url.length - url.replace(/\)+$/u, '').length;
    if (closing > (url.match(/\(/gu)?.length ?? 0)) url = url.slice(0, -1);
    const end = i + url.length;
    if (!webUrl(url)) return { nodes: [{ t: 'text', s: url }], end };
    return { nodes: [{ t: 'atom', md: autolink(url), kind: 'link' }], end };
  }

  private maskedLink(src: string, i: number): Match | null {
    const m = exec(MASKED_LINK, src, i);
    if (!m) return null;
    const end = i + m[0].length;
    const url = m[2]!.replace(/\\([^a-zA-Z0-9\s])/gu, '$1');
    const parsed = webUrl(url);
    const label = this.parse(m[1]!, INLINE);
    // What Discord will not link it shows as typed, formatting and all.
    if (!parsed || !admissible(label)) return { nodes: [{ t: 'text', s: m[0] }], end };
    // discord:// opens the app; from the forum only its text is left.
    if (!WEB.test(parsed.protocol)) return { nodes: label, end };
    const text = renderNodes(label, false, { ch: '[', mark: null, inside: false }, { ch: ']', mark: null, inside: false });
    return { nodes: [{ t: 'atom', md: `[${text}](${linkDestination(url)})`, kind: 'link' }], end };
  }

  /** Rules that need the start of a line: subtext, headers, quotes, lists. */
  private lineAt(src: string, i: number, ctx: Context): Match | null {
    let m: RegExpExecArray | null;
    if ((m = exec(SUBTEXT, src, i))) {
      const md = renderNodes(this.parse(m[1]!, INLINE), true, NOTHING, NOTHING);
      return this.lines(`${md}${m[2]}`, m, false);
    }
    if (ctx.listDepth === 0 && (m = exec(HEADER, src, i))) {
      // Discord drops a closing run of `#`, spaced or not.
      const title = m[2]!.trimEnd().replace(/#+$/u, '').trimEnd();
      const md = renderNodes(this.parse(title, INLINE), false, NOTHING, NOTHING);
      return this.lines(`${m[1]}${md === '' ? '' : ' '}${md}${m[3]}`, m, false);
    }
    let j = i;
    while (src[j] === ' ') j++;
    if (ctx.quotes && src[j] === '>') return this.quote(src, j, ctx);
    if (ctx.listDepth < MAX_LIST_DEPTH && /[-*\d]/u.test(src[j] ?? '')) return this.list(src, j, ctx);
    return null;
  }

  private lines(md: string, m: RegExpExecArray, loose: boolean, breakBefore = false): Match {
    return { nodes: [{ t: 'lines', md, loose, breakBefore }], end: m.index + m[0].length };
  }

  /** `> ` quotes its line (consecutive ones join), `>>> ` the rest. Quoted text is parsed again, as a whole. */
  private quote(src: string, j: number, ctx: Context): Match | null {
    let body: string;
    let end: number;
    let newline = '';
    if (src.startsWith('>>> ', j)) {
      body = src.slice(j + 4);
      end = src.length;
    } else {
      const quoted: string[] = [];
      end = j;
      while (src.startsWith('> ', end)) {
        const nl = src.indexOf('\n', end);
        quoted.push(src.slice(end + 2, nl === -1 ? src.length : nl));
        end = nl === -1 ? src.length : nl + 1;
        newline = nl === -1 ? '' : '\n';
      }
      if (quoted.length === 0) return null;
      body = quoted.join('\n');
    }
    const md = renderNodes(this.parse(body, { ...ctx, quotes: false }), true, NOTHING, NOTHING);
    const lines = md.split('\n').map((line) => (line === '' ? '>' : `> ${line}`));
    return { nodes: [{ t: 'lines', md: `${lines.join('\n')}${newline}`, loose: true, breakBefore: false }], end };
  }

  /** Consecutive `- `, `* `, `1. ` items; lines starting with a space continue an item (nested lists). */
  private list(src: string, j: number, ctx: Context): Match | null {
    const items: string[] = [];
    let end = j;
    let newline = '';
    let start: number | null = null;
    let m: RegExpExecArray | null;
    while ((m = exec(LIST_ITEM, src, end))) {
      if (items.length === 0 && m[2] !== undefined) start = Math.min(Math.max(Number(m[2]), 1), 999_999_999);
      const bullet = m[1]!.length + m[3]!.length;
      // Continuation lines lose up to the bullet's width of indentation.
      const content = m[4]!.replace(new RegExp(`\\n {1,${bullet}}`, 'gu'), '\n');
      const md = renderNodes(this.parse(content, { ...ctx, listDepth: ctx.listDepth + 1 }), true, NOTHING, NOTHING);
      const marker = start === null ? '- ' : `${start + items.length}. `;
      const indent = ' '.repeat(marker.length);
      items.push(
        md
          .split('\n')
          .map((line, k) => (k === 0 ? `${marker}${line}` : line === '' ? '' : `${indent}${line}`))
          .join('\n'),
      );
      end = m.index + m[0].length;
      newline = m[5]!;
      if (newline === '') break;
    }
    if (items.length === 0) return null;
    return { nodes: [{ t: 'lines', md: `${items.join('\n')}${newline}`, loose: true, breakBefore: start !== null && start !== 1 }], end };
  }
}

/** The start of the next run of exactly `n` backticks at or after `from`, or -1. */
function nextRunOf(src: string, from: number, n: number): number {
  let at = src.indexOf('`', from);
  while (at !== -1) {
    let len = 0;
    while (src[at + len] === '`') len++;
    if (len === n) return at;
    at = src.indexOf('`', at + len);
  }
  return -1;
}

/**
 * Whether Discord links a masked link with this label: it refuses labels holding links, mentions, emoji or
 * code blocks (against links that pretend to go elsewhere), and labels with nothing to show.
 */
function admissible(label: Node[]): boolean {
  let visible = false;
  const walk = (nodes: Node[]): boolean =>
    nodes.every((node) => {
      if (node.t === 'text') {
        if (/@(?:everyone|here)/u.test(node.s) || PICTOGRAPH.test(node.s)) return false;
        visible ||= node.s.trim() !== '';
        return true;
      }
      if (node.t === 'atom') {
        visible = true;
        return node.kind === 'code' || node.kind === 'time';
      }
      if (node.t === 'style') return walk(node.children);
      return false;
    });
  return walk(label) && visible;
}

/** A neighbour of emphasis markers: its character, and the Markdown marker it is, if any. */
interface Side {
  ch: string;
  mark: string | null;
  /** The enclosing emphasis' own marker (seen from inside), rather than a sibling's. */
  inside: boolean;
}

const NOTHING: Side = { ch: '', mark: null, inside: false };
const BLANK: Side = { ch: ' ', mark: null, inside: false };

// Markdown where CommonMark takes it, else BBCode; Markdown has no underline or spoiler.
const STYLES: Record<Style, { md: string | null; bbcode: string }> = {
  bold: { md: '**', bbcode: 'b' },
  italic: { md: '*', bbcode: 'i' },
  strike: { md: '~~', bbcode: 's' },
  underline: { md: null, bbcode: 'u' },
  spoiler: { md: null, bbcode: 'spoiler' },
};

const PUNCTUATION = /[\p{P}\p{S}]/u;
const SPACE = /\s/u;
const firstChar = (s: string): string => (s === '' ? '' : String.fromCodePoint(s.codePointAt(0)!));
const lastChar = (s: string): string => Array.from(s.slice(-2)).pop() ?? '';
const loose = (c: string): boolean => c === '' || SPACE.test(c) || PUNCTUATION.test(c);

/** How a node begins, for the markers of emphasis just before it. */
function leading(node: Node): Side {
  switch (node.t) {
    case 'text':
      return { ch: firstChar(plainText(node.s, false)), mark: null, inside: false };
    case 'atom':
      return { ch: firstChar(node.md), mark: null, inside: false };
    case 'style': {
      const md = STYLES[node.style].md;
      return md ? { ch: md[0]!, mark: md, inside: false } : { ch: '[', mark: null, inside: false };
    }
    default:
      return { ch: '\n', mark: null, inside: false };
  }
}

const startsLine = (node: Node | undefined): boolean => node !== undefined && (node.t === 'text' ? node.s.startsWith('\n') : node.t === 'lines');

/** Renders nodes; `lineStart` when they begin a line (a leading `#`, `>`, `1.`… is then escaped). */
function renderNodes(nodes: Node[], lineStart: boolean, before: Side, after: Side): string {
  let out = '';
  let prev = before;
  nodes.forEach((node, k) => {
    const following = nodes[k + 1];
    const atStart = out === '' ? lineStart : out.endsWith('\n');
    let md: string;
    let side: Side | null = null;
    switch (node.t) {
      case 'text':
        md = plainText(node.s, atStart);
        break;
      case 'atom':
        md = node.md;
        break;
      case 'block':
        // Spaces left before a block that had to move to a line of its own would end that line.
        if (!atStart) out = out.replace(/[ \t]+$/u, '');
        md = `${atStart ? '' : '\n'}${node.md}${following === undefined || startsLine(following) ? '' : '\n'}`;
        break;
      case 'lines': {
        let pre = atStart ? '' : '\n';
        if (node.breakBefore && out !== '' && !`${out}${pre}`.endsWith('\n\n')) pre += '\n';
        md = `${pre}${node.md}`;
        // A text line right after a quote or a list would continue it: a blank line between.
        if (node.loose && following !== undefined && !(following.t === 'text' && following.s.startsWith('\n'))) md += '\n';
        break;
      }
      case 'style':
        ({ md, side } = renderStyle(node, prev, following ? leading(following) : after));
        break;
    }
    out += md;
    prev = side ?? { ch: lastChar(md), mark: null, inside: false };
  });
  return out;
}

const clashes = (side: Side, mark: string): boolean => side.mark !== null && (side.inside ? side.mark === mark : side.mark[0] === mark[0]);

/**
 * Markdown emphasis where CommonMark reads it (the delimiter-run flanking rules: a marker next to punctuation
 * inside needs space or punctuation outside) and it does not run into a like marker; else BBCode. Whitespace
 * at the edges moves outside the markers.
 */
function renderStyle(node: Extract<Node, { t: 'style' }>, before: Side, after: Side): { md: string; side: Side | null } {
  const { md: mark, bbcode } = STYLES[node.style];
  const edge: Side = mark ? { ch: mark[0]!, mark, inside: true } : { ch: ']', mark: null, inside: false };
  const inner = renderNodes(node.children, false, edge, edge);
  const [, lead, core, trail] = /^(\s*)([\s\S]*?)(\s*)$/u.exec(inner) as unknown as [string, string, string, string];
  if (core === '') return { md: inner, side: null };
  const b = lead === '' ? before : BLANK;
  const a = trail === '' ? after : BLANK;
  if (mark) {
    const opens = !PUNCTUATION.test(firstChar(core)) || loose(b.ch);
    const closes = !PUNCTUATION.test(lastChar(core)) || loose(a.ch);
    if (opens && closes && !clashes(b, mark) && !clashes(a, mark)) {
      return { md: `${lead}${mark}${core}${mark}${trail}`, side: trail === '' ? { ch: mark[0]!, mark, inside: false } : null };
    }
  }
  return { md: `${lead}[${bbcode}]${core}[/${bbcode}]${trail}`, side: null };
}

/**
 * A Discord message's `content` as forum Markdown. `lookup` gives names for `<@id>`, `<#id>`, `<@&id>`;
 * what it does not know shows as `@unknown-user`, `#unknown-channel`, `@unknown-role`. Nothing in the
 * result pings a forum user.
 */
export function discordToMarkdown(content: string, lookup: DiscordLookup = {}): string {
  if (content === '') return '';
  const out = renderNodes(new Parser(lookup).parse(content, TOP), true, NOTHING, NOTHING);
  // Every part neutralised its own @names; pieces rendered apart could still meet as `@` + name. The shared
  // breaker skips an `@` right after what it takes for an autolink (`<https://x.org>@name`, and the escaped
  // `\<https://x.org\>@name` too): broken here, outside code (`>` ends no URL or link destination it keeps).
  return mapOutsideCode(neutralizeMentions(out), (prose) => prose.replace(AFTER_ANGLE, `>@${ZWSP}`));
}
