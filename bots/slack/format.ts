// How a notification looks in Slack: Block Kit blocks plus a plain `text` fallback, and the escaping that
// keeps forum text from turning into pings, links or broken markup. Pure functions.
//
// Pings: Slack's Web API only notifies through its `<!channel>`, `<!here>`, `<!everyone>`, `<@U…>`,
// `<!subteam^…>` tokens. A plain `@channel` in API text stays text unless the call sets `link_names`
// (or `parse: 'full'`), which Parley never does, and forum text is put in mrkdwn objects with
// `verbatim: true` so Slack does not "automatically parse" it either. Escaping `&`, `<` and `>` turns every
// token typed in a forum post into harmless text. The core's neutralizeMassMentions (a zero-width space
// after the @) is applied here as well, so a notification that skipped the core still pings no one.
import type { ContextBlock, KnownBlock, MessageAttachment, MrkdwnElement, SectionBlock } from '@slack/web-api';
import { neutralizeMassMentions, type Notification } from '../../lib/notification.js';

/** Slack's limit on a text object in a section block. */
export const MAX_SECTION_TEXT = 3000;
/** Slack's limit on any mrkdwn text object (context elements included). */
export const MAX_TEXT_OBJECT = 3000;
/** Slack truncates a message's top-level `text` past this. */
export const MAX_MESSAGE_TEXT = 40_000;

/** The arguments of chat.postMessage / chat.update for one notification, without `channel` and `ts`. */
export interface SlackMessage {
  /** Fallback for notifications, screen readers and clients without Block Kit: the same facts. */
  text: string;
  blocks: KnownBlock[];
  /** Only when the category has a colour: the coloured bar around the details (see slackMessage). */
  attachments?: MessageAttachment[];
  unfurl_links: false;
  unfurl_media: false;
}

/**
 * Slack's "Escaping text" rule: `&`, `<` and `>` become entities, nothing else (Slack decodes only these
 * three). `<!channel>` or `<@U123>` from a forum post then shows as typed and pings no one.
 */
export function escapeSlack(text: string): string {
  return text.replace(/&/gu, '&amp;').replace(/</gu, '&lt;').replace(/>/gu, '&gt;');
}

/**
 * Cuts escaped text to at most `max` UTF-16 units, marking the cut with an ellipsis: never inside an entity
 * (`&amp;`, `&lt;`, `&gt;`) nor a surrogate pair, and at a word boundary when one is near.
 */
export function clipEscaped(escaped: string, max: number): string {
  if (escaped.length <= max) return escaped;
  if (max < 1) return '';
  let cut = max - 1;
  const code = escaped.charCodeAt(cut - 1);
  if (code >= 0xd800 && code <= 0xdbff) cut -= 1;
  // In escaped text every `&` starts an entity, so a trailing `&` without its `;` is a half entity.
  let head = escaped.slice(0, cut).replace(/&[a-z]*$/u, '');
  const space = head.lastIndexOf(' ');
  if (space > head.length * 0.8) head = head.slice(0, space);
  return `${head.trimEnd()}…`;
}

/**
 * Forum text as mrkdwn that shows literally (as far as pings and links go), within `max`. Mass mentions are
 * broken here too, whatever the core did: a notification handed over raw still pings no one.
 */
function safe(text: string, max = MAX_TEXT_OBJECT): string {
  return clipEscaped(escapeSlack(neutralizeMassMentions(text)), max);
}

/**
 * The label of a `<url|label>` link. Slack ends the label at the first `>` (escaped already) and splits
 * url from label at the first `|`: a `|` in the label becomes U+2223, which looks the same. Line breaks
 * would end the link, so they become spaces. Other mrkdwn (`*`, `_`, `~`, `` ` ``) cannot break a link
 * and is left alone.
 */
export function linkLabel(text: string, max: number): string {
  return safe(text.replace(/\s+/gu, ' ').replace(/\|/gu, '\u2223').trim(), max);
}

/**
 * The target of a `<url|label>` link: characters that would end the link or split it (`<`, `>`, `|`,
 * whitespace) are percent-encoded, and `&` is escaped as Slack requires. Null for anything but http(s).
 */
export function linkTarget(url: string): string | null {
  if (!/^https?:\/\//iu.test(url)) return null;
  const encoded = url.trim().replace(/[<>|\s]/gu, (c) => encodeURIComponent(c));
  return encoded.replace(/&/gu, '&amp;');
}

/** Discourse gives `0088CC` (sometimes 3 digits); Slack wants `#0088CC`. Anything else: no colour. */
export function attachmentColor(hex: string | null | undefined): string | undefined {
  if (!hex) return undefined;
  let bare = hex.trim().replace(/^#/u, '');
  if (/^[0-9a-f]{3}$/iu.test(bare)) bare = bare.replace(/./gu, (c) => c + c);
  return /^[0-9a-f]{6}$/iu.test(bare) ? `#${bare.toUpperCase()}` : undefined;
}

function mrkdwn(text: string): MrkdwnElement {
  return { type: 'mrkdwn', text, verbatim: true };
}

function titleLine(n: Notification): string {
  const kind = n.kind === 'new_topic' ? '📝 New topic:' : '💬 New reply in';
  const target = linkTarget(n.url);
  // Room for the kind, the `*<|>*` and the link target; the label takes what is left.
  const room = MAX_SECTION_TEXT - kind.length - (target?.length ?? 0) - 8;
  const title = target && room > 20 ? `*<${target}|${linkLabel(n.title, room)}>*` : `*${linkLabel(n.title, MAX_SECTION_TEXT - kind.length - 4)}*`;
  return `${kind} ${title}`;
}

function detailBlocks(n: Notification): KnownBlock[] {
  const context: ContextBlock = { type: 'context', elements: [mrkdwn(`by ${safe(n.author, MAX_TEXT_OBJECT - 3)}`)] };
  if (n.category) context.elements.push(mrkdwn(`in ${safe(n.category.name, MAX_TEXT_OBJECT - 3)}`));
  if (n.tags.length > 0) context.elements.push(mrkdwn(`tags: ${safe(n.tags.join(', '), MAX_TEXT_OBJECT - 6)}`));
  const blocks: KnownBlock[] = [context];
  const excerpt = n.excerpt.trim();
  if (excerpt) blocks.push({ type: 'section', text: mrkdwn(safe(excerpt, MAX_SECTION_TEXT)) });
  return blocks;
}

/** The one-line summary: kind, category, title, author, tags and link, escaped and plain. */
function summary(n: Notification): string {
  const kind = n.kind === 'new_topic' ? 'New topic' : 'New reply';
  const where = n.category ? ` in ${safe(n.category.name, 200)}` : '';
  const tags = n.tags.length > 0 ? ` [${safe(n.tags.join(', '), 500)}]` : '';
  return `${kind}${where}: ${safe(n.title, 1000)} by ${safe(n.author, 200)}${tags} ${escapeSlack(n.url)}`;
}

/**
 * One notification as Slack message arguments:
 *   📝 New topic: *<url|Title>*            (💬 New reply in … for a reply)
 *   ┃ by Author · in Category · tags: a, b   (context block)
 *   ┃ excerpt                               (section block)
 * Block Kit has no colour. The category's colour goes on a legacy attachment's `color`, the bar Slack
 * draws down the left of an attachment, and the details blocks sit inside that attachment; the title line
 * stays in the message's own blocks. Without a usable colour every block is in the message itself.
 */
export function slackMessage(n: Notification): SlackMessage {
  const title: SectionBlock = { type: 'section', text: { type: 'mrkdwn', text: titleLine(n), verbatim: true } };
  const details = detailBlocks(n);
  const head = summary(n);
  const excerpt = n.excerpt.trim();
  const text = clipEscaped(excerpt ? `${head}\n${escapeSlack(neutralizeMassMentions(excerpt))}` : head, MAX_MESSAGE_TEXT);
  const color = attachmentColor(n.category?.color);
  if (!color) return { text, blocks: [title, ...details], unfurl_links: false, unfurl_media: false };
  return { text, blocks: [title], attachments: [{ color, fallback: head, blocks: details }], unfurl_links: false, unfurl_media: false };
}
