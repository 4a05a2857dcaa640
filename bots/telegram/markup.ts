// A Telegram message (plain `text` plus `entities`) as forum Markdown, for transcripts. Pure functions.
//
// Telegram text carries no markup of its own: what is not inside an entity shows literally, so it is
// escaped. Entity offsets and lengths count UTF-16 code units, which is exactly how JavaScript strings
// index, so slicing needs no conversion (an emoji is 2 units, a CJK character 1).
import type { MessageEntity, User } from 'grammy/types';
import { codeSpan, escapeName, fence, linkDestination, plainText, ZWSP } from '../../lib/transcript/markdown.js';

export interface TelegramMarkupOptions {
  /** Telegram username (without @, any case) → display name, for `@username` mentions. */
  names?: ReadonlyMap<string, string>;
}

interface Node {
  entity: MessageEntity | null;
  start: number;
  end: number;
  children: Node[];
}

// For entities over the same text, which encloses which: blocks outside, links next, styles inside.
const NESTING: Record<string, number> = {
  blockquote: 0,
  expandable_blockquote: 0,
  pre: 1,
  text_link: 2,
  url: 2,
  email: 2,
  mention: 2,
  text_mention: 2,
  code: 3,
  spoiler: 4,
  bold: 5,
  italic: 6,
  underline: 7,
  strikethrough: 8,
};
const nesting = (e: MessageEntity): number => NESTING[e.type] ?? 9;

/**
 * Arranges entities in a tree. The Bot API promises they nest without partial overlap, but messages
 * come from many clients: an entity that crosses its parent's end is split in two at that end.
 */
function buildTree(length: number, entities: readonly MessageEntity[]): Node {
  const root: Node = { entity: null, start: 0, end: length, children: [] };
  const queue = entities
    .map((entity) => ({ entity, start: Math.max(0, entity.offset), end: Math.min(length, entity.offset + entity.length) }))
    .filter((e) => e.start < e.end)
    .sort((a, b) => a.start - b.start || b.end - a.end || nesting(a.entity) - nesting(b.entity));
  const stack: Node[] = [root];
  for (let i = 0; i < queue.length; i++) {
    const item = queue[i]!;
    while (stack.length > 1 && stack[stack.length - 1]!.end <= item.start) stack.pop();
    const parent = stack[stack.length - 1]!;
    if (item.end > parent.end) {
      // Partial overlap: the rest goes back in the queue, in order, to be placed where it fits.
      const rest = { entity: item.entity, start: parent.end, end: item.end };
      let at = i + 1;
      while (at < queue.length && (queue[at]!.start < rest.start || (queue[at]!.start === rest.start && queue[at]!.end >= rest.end))) at++;
      queue.splice(at, 0, rest);
      item.end = parent.end;
    }
    const node: Node = { entity: item.entity, start: item.start, end: item.end, children: [] };
    parent.children.push(node);
    stack.push(node);
  }
  return root;
}

const PUNCTUATION = /[\p{P}\p{S}]/u;
const SPACE = /\s/u;

class Converter {
  constructor(
    private readonly text: string,
    private readonly options: TelegramMarkupOptions,
  ) {}

  private charBefore(pos: number): string {
    return pos > 0 ? this.text[pos - 1]! : '';
  }

  private charAt(pos: number): string {
    return pos < this.text.length ? this.text[pos]! : '';
  }

  private atLineStart(pos: number): boolean {
    return pos === 0 || this.text[pos - 1] === '\n';
  }

  private plain(start: number, end: number): string {
    return start < end ? plainText(this.text.slice(start, end), this.atLineStart(start)) : '';
  }

  children(node: Node): string {
    let out = '';
    let pos = node.start;
    for (const child of node.children) {
      out += this.plain(pos, child.start);
      out += this.render(child);
      pos = child.end;
    }
    return out + this.plain(pos, node.end);
  }

  private render(node: Node): string {
    const entity = node.entity!;
    const raw = this.text.slice(node.start, node.end);
    switch (entity.type) {
      case 'bold':
        return this.emphasis(node, '**', 'b');
      case 'italic':
        return this.emphasis(node, '*', 'i');
      case 'strikethrough':
        return this.emphasis(node, '~~', 's');
      // Markdown has no underline or spoiler; Discourse reads these BBCode tags (core and spoiler-alert).
      case 'underline':
        return this.wrap(node, '[u]', '[/u]');
      case 'spoiler':
        return this.wrap(node, '[spoiler]', '[/spoiler]');
      case 'code':
        // Code cannot hold other entities (Bot API); a span cannot hold a line break, a block can.
        return raw.includes('\n') ? this.block(node, fence(raw)) : codeSpan(raw);
      case 'pre':
        return this.block(node, fence(raw, entity.language ?? ''));
      case 'blockquote':
      case 'expandable_blockquote':
        return this.quote(node);
      case 'text_link':
        return this.textLink(node, entity.url);
      case 'url':
        // Autolinks take the URL literally (no escapes inside); without a scheme Telegram means http.
        if (/^[a-z][a-z0-9+.-]*:\/\//iu.test(raw) && !/[<>\s]/u.test(raw)) return `<${raw}>`;
        return `[${this.children(node)}](${linkDestination(`http://${raw}`)})`;
      case 'mention':
        return this.mention(raw);
      case 'text_mention':
        // A user without a username, linked by id: their name, which pings nobody on the forum.
        return escapeName(userName(entity.user)) || this.children(node);
      default:
        // hashtag, cashtag, bot_command, email, phone_number, custom_emoji (its text is the fallback
        // emoji), date_time, and types added later: the text as shown.
        return this.children(node);
    }
  }

  /** `@username` as the display name when known; never a forum ping either way. */
  private mention(raw: string): string {
    const username = raw.replace(/^@/u, '');
    const names = this.options.names;
    const name = names?.get(username) ?? names?.get(username.toLowerCase());
    return `@${ZWSP}${name !== undefined ? escapeName(name) : plainText(username, false)}`;
  }

  private textLink(node: Node, url: string): string {
    const inner = this.children(node);
    // tg://user?id=… is a mention of a user without a username; other non-web schemes do not work in a
    // browser and the forum would drop them anyway: keep the text.
    if (!/^(https?|ftp|mailto):/iu.test(url)) return inner;
    return inner.trim() === '' ? inner : `[${inner}](${linkDestination(url)})`;
  }

  /** Inline markers around a node, with the node's outer whitespace moved outside them. */
  private wrap(node: Node, open: string, close: string): string {
    const inner = this.children(node);
    const m = /^(\s*)([\s\S]*?)(\s*)$/u.exec(inner)!;
    return m[2] === '' ? inner : `${m[1]}${open}${m[2]}${close}${m[3]}`;
  }

  /**
   * Markdown emphasis where CommonMark will read it as such (the delimiter-run flanking rules: a marker
   * next to punctuation needs space or punctuation on its other side), else the BBCode Discourse also reads.
   */
  private emphasis(node: Node, marker: string, bbcode: string): string {
    const inner = this.children(node);
    const m = /^(\s*)([\s\S]*?)(\s*)$/u.exec(inner)!;
    const [, lead, core, trail] = m as unknown as [string, string, string, string];
    if (core === '') return inner;
    const before = lead !== '' ? ' ' : this.charBefore(node.start);
    const after = trail !== '' ? ' ' : this.charAt(node.end);
    const loose = (c: string): boolean => c === '' || SPACE.test(c) || PUNCTUATION.test(c);
    const opens = !PUNCTUATION.test(core[0]!) || loose(before);
    const closes = !PUNCTUATION.test(core[core.length - 1]!) || loose(after);
    // A marker touching the same marker character outside would merge into one longer run.
    const clash = before === marker[0] || after === marker[0];
    if (opens && closes && !clash) return `${lead}${marker}${core}${marker}${trail}`;
    return `${lead}[${bbcode}]${core}[/${bbcode}]${trail}`;
  }

  /** A block (fenced code) on lines of its own. */
  private block(node: Node, markdown: string): string {
    const before = this.atLineStart(node.start) ? '' : '\n';
    const next = this.charAt(node.end);
    const after = next === '' || next === '\n' ? '' : '\n';
    return `${before}${markdown}${after}`;
  }

  /** A quote on lines of its own, with a blank line after it so that the next line does not join it. */
  private quote(node: Node): string {
    const inner = this.children(node).replace(/\n+$/u, '');
    const quoted = inner
      .split('\n')
      .map((line) => (line === '' ? '>' : `> ${line}`))
      .join('\n');
    const before = this.atLineStart(node.start) ? '' : '\n';
    const next = this.charAt(node.end);
    const after = next === '' ? '' : next === '\n' ? '\n' : '\n\n';
    return `${before}${quoted}${after}`;
  }
}

function userName(user: User): string {
  return [user.first_name, user.last_name].filter((s) => s !== undefined && s.trim() !== '').join(' ') || (user.username ?? '');
}

/** Telegram `text` (or `caption`) with its `entities` (or `caption_entities`) as forum Markdown. */
export function telegramToMarkdown(text: string, entities: readonly MessageEntity[] = [], options: TelegramMarkupOptions = {}): string {
  const converter = new Converter(text, options);
  return converter.children(buildTree(text.length, entities));
}
