// A Slack message's `text` (as conversations.history returns it) as forum Markdown, for transcripts.
// Pure functions.
//
// Slack's "mrkdwn" (Slack docs, "Formatting text for app surfaces") is not Markdown: `*bold*`, `_italic_`,
// `~strike~`, code in backticks, `>` quotes, and everything Slack links written as `<…>` tokens (links,
// @user, #channel, @here, dates). The only characters Slack escapes are `&`, `<` and `>` (as `&amp;`,
// `&lt;`, `&gt;`), so a raw `<` always starts a token and a decoded one is text. Text that is not
// formatting shows literally in Slack, so it is escaped for the forum (a leading `#`, `[x](y)`, `1.`…),
// and no @name, known or not, may ping a forum user.
import { codeSpan, escapeName, fence, linkDestination, neutralizeMentions, plainText, ZWSP } from '../../lib/transcript/markdown.js';

/** Names the adapter resolved (and cached) beforehand; synchronous so that conversion stays pure. */
export interface SlackLookup {
  /** Slack user id (`U…`, `W…`) → display name. */
  user?: (id: string) => string | undefined;
  /** Slack channel id (`C…`, `G…`) → channel name (without `#`). */
  channel?: (id: string) => string | undefined;
}

/** One character of decoded text, or something already rendered (a link, a mention, code, an emoji). */
type Unit = { kind: 'char'; ch: string } | { kind: 'atom'; md: string; block: boolean };

type Mark = '*' | '_' | '~';
type Node = { t: 'text'; s: string } | { t: 'atom'; md: string; block: boolean } | { t: 'em'; mark: Mark; children: Node[] };

const WORD = /[\p{L}\p{N}]/u;
const SPACE = /\s/u;
const PUNCTUATION = /[\p{P}\p{S}]/u;
const MARKS = new Set<string>(['*', '_', '~']);

/** Slack escapes exactly these three (mrkdwn, "Escaping text"); one pass, so `&amp;lt;` stays `&lt;`. */
export function decodeSlackEntities(text: string): string {
  return text.replace(/&(amp|lt|gt);/gu, (_m, name: string) => (name === 'amp' ? '&' : name === 'lt' ? '<' : '>'));
}

// An emoji shortcode (`:smile:`, `:+1:`, `:white_check_mark:`) is kept as typed: Discourse knows the same
// names. Only when every `_` in it sits between letters or digits, where CommonMark cannot read emphasis.
const EMOJI = /:([a-z0-9+_-]+):/iuy;
const UNSAFE_UNDERSCORE = /(?:^|[^a-z0-9])_|_(?:[^a-z0-9]|$)/iu;

// The forms Slack sends for @here and friends; `group` is the old name of `channel`.
const BROADCASTS: Record<string, string> = { here: 'here', channel: 'channel', everyone: 'everyone', group: 'channel' };

const WEB_SCHEME = /^(?:https?|ftp|mailto):/iu;
const ANY_SCHEME = /^[a-z][a-z0-9+.-]*:/iu;
// What CommonMark accepts as an autolink: scheme of 2–32 characters, no spaces or angle brackets.
const AUTOLINK = /^[a-z][a-z0-9+.-]{1,31}:[^\s<>]*$/iu;

/** `<!date^…>` without fallback text (Slack requires one, but): the time in UTC, to the minute. */
function formatDate(seconds: string | undefined): string | null {
  const n = Number(seconds);
  if (seconds === undefined || seconds === '' || !Number.isFinite(n)) return null;
  const date = new Date(n * 1000);
  if (Number.isNaN(date.getTime())) return null;
  return `${date.toISOString().slice(0, 16).replace('T', ' ')} UTC`;
}

/** Text of a token's label: decoded, without the `@`/`#` Slack sometimes repeats there; '' when absent. */
function labelText(label: string | undefined, strip = ''): string {
  if (label === undefined) return '';
  let text = decodeSlackEntities(label).trim();
  if (strip !== '' && text.startsWith(strip)) text = text.slice(strip.length);
  return text.trim();
}

/**
 * The Markdown for one `<…>` token's inside (between the brackets), or null when it is no token Slack
 * would send; the caller then shows it literally.
 */
function renderToken(body: string, lookup: SlackLookup): string | null {
  const bar = body.indexOf('|');
  const target = bar === -1 ? body : body.slice(0, bar);
  const label = bar === -1 ? undefined : body.slice(bar + 1);
  const sigil = target[0];
  const id = target.slice(1);
  if (sigil === '@') {
    // <@U123> or the older <@U123|name>: the display name the adapter knows, else Slack's label, else the id.
    if (id === '') return null;
    const name = lookup.user?.(id)?.trim() || labelText(label, '@') || id;
    return `@${ZWSP}${escapeName(name)}`;
  }
  if (sigil === '#') {
    if (id === '') return null;
    const name = lookup.channel?.(id)?.trim() || labelText(label, '#') || id;
    return `#${escapeName(name)}`;
  }
  if (sigil === '!') {
    const [command = '', ...args] = id.split('^');
    const broadcast = BROADCASTS[command];
    // The word only, never its label: `<!here|@here>` must not reach the forum as a live @here.
    if (broadcast !== undefined) return `@${ZWSP}${broadcast}`;
    if (command === 'subteam') {
      const name = labelText(label, '@') || args[0] || 'team';
      return `@${ZWSP}${escapeName(name)}`;
    }
    if (command === 'date') {
      // <!date^seconds^format^optional_link|fallback>: the fallback is the text Slack shows where it cannot
      // format; the forum cannot either.
      const text = labelText(label) || formatDate(args[0]);
      return text ? escapeName(text) : null;
    }
    const text = labelText(label) || command;
    return text ? escapeName(text) : null;
  }
  if (!ANY_SCHEME.test(target)) return null;
  const url = decodeSlackEntities(target);
  const text = label === undefined ? '' : decodeSlackEntities(label);
  // Non-web schemes (slack://, tel:…) do not work from the forum: their text only.
  if (!WEB_SCHEME.test(url)) return text.trim() !== '' ? convertInline(label!, lookup) : escapeName(url);
  if (text.trim() === '' || text === url) return AUTOLINK.test(url) ? `<${url}>` : `[${escapeName(url)}](${linkDestination(url)})`;
  // The label may carry formatting of its own (`<https://x|*docs*>`), converted like any text.
  return `[${convertInline(label!, lookup)}](${linkDestination(url)})`;
}

/**
 * Slack text as units: entities decoded, and code, `<…>` tokens and emoji rendered at once (they are
 * opaque to *bold* and friends). `blocks` is false inside a link label, where a fence cannot go.
 */
function tokenize(raw: string, lookup: SlackLookup, blocks: boolean): Unit[] {
  const units: Unit[] = [];
  let i = 0;
  while (i < raw.length) {
    const c = raw[i]!;
    if (c === '`') {
      // ```code block```, possibly within a line: Slack shows it as a block, content verbatim. Slack
      // escapes &, <, > there too, so entities are decoded; nothing else is converted.
      if (blocks && raw.startsWith('```', i)) {
        const end = raw.indexOf('```', i + 3);
        if (end > i + 3) {
          // Slack does not show the line break right after the opening or before the closing backticks.
          const code = decodeSlackEntities(raw.slice(i + 3, end).replace(/^\n/u, '').replace(/\n$/u, ''));
          if (code !== '') {
            units.push({ kind: 'atom', md: fence(code), block: true });
            i = end + 3;
            continue;
          }
        }
      }
      // `inline code`: within one line, no backtick inside.
      const end = raw.indexOf('`', i + 1);
      if (end > i + 1 && !raw.slice(i + 1, end).includes('\n')) {
        units.push({ kind: 'atom', md: codeSpan(decodeSlackEntities(raw.slice(i + 1, end))), block: false });
        i = end + 1;
        continue;
      }
    } else if (c === '<') {
      const m = /<([^<>\n]*)>/uy;
      m.lastIndex = i;
      const found = m.exec(raw);
      const md = found ? renderToken(found[1]!, lookup) : null;
      if (found && md !== null) {
        units.push({ kind: 'atom', md, block: false });
        i += found[0].length;
        continue;
      }
    } else if (c === '&') {
      const m = /&(amp|lt|gt);/uy;
      m.lastIndex = i;
      const found = m.exec(raw);
      if (found) {
        units.push({ kind: 'char', ch: decodeSlackEntities(found[0]) });
        i += found[0].length;
        continue;
      }
    } else if (c === ':') {
      EMOJI.lastIndex = i;
      const found = EMOJI.exec(raw);
      if (found && !UNSAFE_UNDERSCORE.test(found[1]!)) {
        units.push({ kind: 'atom', md: found[0], block: false });
        i += found[0].length;
        continue;
      }
    }
    const ch = String.fromCodePoint(raw.codePointAt(i)!);
    units.push({ kind: 'char', ch });
    i += ch.length;
  }
  return units;
}

const isChar = (u: Unit | undefined, ch: string): boolean => u?.kind === 'char' && u.ch === ch;
const isWord = (u: Unit | undefined): boolean => u?.kind === 'char' && WORD.test(u.ch);
// A code block ends formatting like a line break does.
const isSpace = (u: Unit | undefined): boolean => u === undefined || (u.kind === 'char' ? SPACE.test(u.ch) : u.block);

/**
 * Parses `*bold*`, `_italic_`, `~strike~` in one line, as Slack applies them: the opening mark at the
 * start, after a space or punctuation, and before a non-space; the closing mark after a non-space and
 * before the end, a space or punctuation. So `snake_case_name` and `2*3*4` stay as typed. A mark next to
 * the same mark (`**x**`) is not formatting in Slack either. The nearest closing mark wins; marks of
 * other kinds nest inside (`*_both_*`). Anything unmatched is text.
 */
class LineParser {
  // Per mark, the indexes that could close it (that depends on the neighbours only), ascending.
  private readonly closers = new Map<string, number[]>();
  private readonly blocks: number[] = [];

  constructor(
    private readonly units: Unit[],
    private readonly start: number,
    private readonly end: number,
  ) {
    for (const mark of MARKS) this.closers.set(mark, []);
    for (let j = start; j < end; j++) {
      const u = units[j]!;
      if (u.kind === 'atom') {
        if (u.block) this.blocks.push(j);
        continue;
      }
      if (!MARKS.has(u.ch) || j === start) continue;
      const prev = units[j - 1];
      const next = j + 1 < end ? units[j + 1] : undefined;
      if (!isSpace(prev) && !isChar(prev, u.ch) && !isWord(next) && !isChar(next, u.ch)) this.closers.get(u.ch)!.push(j);
    }
  }

  private canOpen(i: number, ch: string): boolean {
    const prev = i > this.start ? this.units[i - 1] : undefined;
    const next = i + 1 < this.end ? this.units[i + 1] : undefined;
    return !isWord(prev) && !isChar(prev, ch) && !isSpace(next) && !isChar(next, ch);
  }

  /** The first index after `i` in an ascending list, or -1. */
  private static firstAfter(list: number[], i: number): number {
    let lo = 0;
    let hi = list.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (list[mid]! <= i) lo = mid + 1;
      else hi = mid;
    }
    return lo < list.length ? list[lo]! : -1;
  }

  parse(from = this.start, to = this.end): Node[] {
    const nodes: Node[] = [];
    let text = '';
    const flush = (): void => {
      if (text !== '') nodes.push({ t: 'text', s: text });
      text = '';
    };
    let i = from;
    while (i < to) {
      const u = this.units[i]!;
      if (u.kind === 'atom') {
        flush();
        nodes.push({ t: 'atom', md: u.md, block: u.block });
        i++;
        continue;
      }
      if (MARKS.has(u.ch) && this.canOpen(i, u.ch)) {
        const close = LineParser.firstAfter(this.closers.get(u.ch)!, i);
        const barrier = LineParser.firstAfter(this.blocks, i);
        if (close !== -1 && close < to && (barrier === -1 || close < barrier)) {
          flush();
          nodes.push({ t: 'em', mark: u.ch as Mark, children: this.parse(i + 1, close) });
          i = close + 1;
          continue;
        }
      }
      text += u.ch;
      i++;
    }
    flush();
    return nodes;
  }
}

/** A neighbour of emphasis markers: its character, and whether it is another emphasis's marker. */
interface Side {
  ch: string;
  marker: boolean;
}

// Forum Markdown for Slack's marks: `_italic_` becomes `*italic*` (CommonMark `_` does not work inside
// words and the other converters use `*`); BBCode, which Discourse also reads, where Markdown would not take.
const STYLE: Record<Mark, { md: string; bbcode: string }> = {
  '*': { md: '**', bbcode: 'b' },
  _: { md: '*', bbcode: 'i' },
  '~': { md: '~~', bbcode: 's' },
};

const firstChar = (s: string): string => (s === '' ? '' : String.fromCodePoint(s.codePointAt(0)!));
const lastChar = (s: string): string => {
  const chars = Array.from(s.slice(-2));
  return chars[chars.length - 1] ?? '';
};
const loose = (c: string): boolean => c === '' || SPACE.test(c) || PUNCTUATION.test(c);

/** How a node begins, for the markers of emphasis just before it. */
function leading(node: Node): Side {
  if (node.t === 'em') return { ch: STYLE[node.mark].md[0]!, marker: true };
  if (node.t === 'atom') return { ch: node.block ? '\n' : firstChar(node.md), marker: false };
  return { ch: firstChar(plainText(node.s, false)), marker: false };
}

/**
 * Renders nodes; `lineStart` for the nodes of a whole line (a text there may need `#`, `>`, `1.`… escaped,
 * and code blocks get lines of their own).
 */
function renderNodes(nodes: Node[], before: Side, after: Side, lineStart: boolean): string {
  let out = '';
  let prev = before;
  nodes.forEach((node, k) => {
    const next = k + 1 < nodes.length ? leading(nodes[k + 1]!) : after;
    let md: string;
    let marker = false;
    if (node.t === 'text') {
      md = plainText(node.s, lineStart && (out === '' || out.endsWith('\n')));
    } else if (node.t === 'atom') {
      md = node.md;
      if (node.block) {
        // A fence on lines of its own, also when Slack had it within a line.
        md = `${out === '' || out.endsWith('\n') ? '' : '\n'}${md}${k + 1 < nodes.length ? '\n' : ''}`;
      }
    } else {
      ({ md, marker } = renderEmphasis(node, prev, next));
    }
    out += md;
    prev = { ch: lastChar(md), marker };
  });
  return out;
}

/**
 * Markdown emphasis where CommonMark reads it (the delimiter-run flanking rules: a marker next to
 * punctuation inside needs space or punctuation outside) and it does not run into a neighbour's marker;
 * else the BBCode Discourse also reads. Slack's own boundary rules make the fallback rare.
 */
function renderEmphasis(node: Extract<Node, { t: 'em' }>, before: Side, after: Side): { md: string; marker: boolean } {
  const { md: mark, bbcode } = STYLE[node.mark];
  // Inside, the enclosing marker is punctuation; nested runs like `***both***` are fine in CommonMark.
  const edge = { ch: mark[0]!, marker: false };
  const core = renderNodes(node.children, edge, edge, false);
  if (core === '') return { md: '', marker: false };
  const opens = !PUNCTUATION.test(firstChar(core)) || loose(before.ch);
  const closes = !PUNCTUATION.test(lastChar(core)) || loose(after.ch);
  const clash = (before.marker && before.ch === mark[0]) || (after.marker && after.ch === mark[0]);
  if (opens && closes && !clash) return { md: `${mark}${core}${mark}`, marker: true };
  return { md: `[${bbcode}]${core}[/${bbcode}]`, marker: false };
}

const NOTHING: Side = { ch: '', marker: false };

/** A link label: formatting converted, no blocks, inside `[…]`. */
function convertInline(raw: string, lookup: SlackLookup): string {
  const units = tokenize(raw, lookup, false);
  const bracket = { ch: '[', marker: false };
  return renderNodes(new LineParser(units, 0, units.length).parse(), bracket, { ch: ']', marker: false }, false);
}

/**
 * A Slack message's `text` (mrkdwn, as conversations.history returns it) as forum Markdown.
 * `lookup` gives display names for `<@U…>` and `<#C…>`; whatever it does not know shows as Slack's label
 * or the id. Nothing in the result pings a forum user.
 */
export function slackToMarkdown(text: string, lookup: SlackLookup = {}): string {
  if (text === '') return '';
  const units = tokenize(text, lookup, true);
  const lines: { quoted: boolean; md: string }[] = [];
  let quoteRest = false;
  let start = 0;
  while (start <= units.length) {
    let end = start;
    while (end < units.length && !isChar(units[end], '\n')) end++;
    // `>` (sent as `&gt;`) starting a line quotes that line; `>>>` quotes the rest of the message.
    let from = start;
    let quoted = quoteRest;
    if (!quoteRest && isChar(units[from], '>') && from < end) {
      quoted = true;
      if (isChar(units[from + 1], '>') && isChar(units[from + 2], '>') && from + 2 < end) {
        quoteRest = true;
        from += 3;
      } else {
        from += 1;
      }
      if (from < end && isChar(units[from], ' ')) from++;
    }
    const md = renderNodes(new LineParser(units, from, end).parse(), NOTHING, NOTHING, true);
    lines.push({ quoted, md: quoted ? md.split('\n').map((line) => (line === '' ? '>' : `> ${line}`)).join('\n') : md });
    start = end + 1;
  }
  let out = '';
  lines.forEach((line, k) => {
    if (k > 0) {
      const prev = lines[k - 1]!;
      // A line after a quote would otherwise continue it (CommonMark's lazy continuation): a blank line between.
      out += prev.quoted && !line.quoted && line.md !== '' ? '\n\n' : '\n';
    }
    out += line.md;
  });
  // Every part neutralised its own @names; pieces rendered apart could still meet as `@` + name.
  return neutralizeMentions(out);
}
