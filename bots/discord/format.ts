// How a notification looks in Discord: one rich embed, and the escaping that keeps forum text from turning
// into pings, links or markup. Pure functions; the adapter sends what these return.
//
// Pings: Discord parses mentions only from a message's `content` (and components), never from embeds, and
// `allowed_mentions: { parse: [] }` stops even those. Belt and braces all the same: the core's
// neutralizeMassMentions (a zero-width space after the @) is applied here again, and every `<` in forum text
// is escaped, so `<@123>`, `<@&456>`, `<#789>`, `<t:…>` or `<:emoji:1>` show as typed whatever Discord renders.
//
// Markdown: the embed's title, description and field values render Discord markdown (description and field
// values also masked links `[label](url)`); author.name, footer and thread names render none, so they get
// no backslashes (those would show), only the mention breaking.
//
// Lengths: Discord's limits (docs: Message resource, "Embed Limits") are counted here in UTF-16 units, which
// is never less than what Discord counts, so a cut text is always within them.
import { createHash } from 'node:crypto';
import type { APIAllowedMentions, APIEmbed, APIEmbedField, RESTPatchAPIChannelMessageJSONBody, RESTPostAPIChannelMessageJSONBody } from 'discord.js';
import { neutralizeMassMentions, type Notification } from '../../lib/notification.js';

/** An embed's title. */
export const MAX_EMBED_TITLE = 256;
/** An embed's description. */
export const MAX_EMBED_DESCRIPTION = 4096;
/** An embed author's name. */
export const MAX_EMBED_AUTHOR_NAME = 256;
/** A field's name. */
export const MAX_EMBED_FIELD_NAME = 256;
/** A field's value. */
export const MAX_EMBED_FIELD_VALUE = 1024;
/** Fields in one embed. */
export const MAX_EMBED_FIELDS = 25;
/** title + description + field names and values + footer + author name, over all embeds of a message. */
export const MAX_EMBED_TOTAL = 6000;
/** A message's `nonce` (string form). */
export const MAX_NONCE = 25;
/** A thread's (a channel's) name. */
export const MAX_THREAD_NAME = 100;

/** The body of `POST /channels/{channel.id}/messages` for one notification. */
export interface DiscordMessage extends RESTPostAPIChannelMessageJSONBody {
  embeds: [APIEmbed];
  allowed_mentions: APIAllowedMentions;
  /** Derived from the delivery's idempotency key (discordNonce). */
  nonce: string;
  /** Discord answers a repeat of the nonce (same author, within a few minutes) with the first message. */
  enforce_nonce: true;
}

/** The body of `PATCH /channels/{channel.id}/messages/{message.id}` that redraws a notification. */
export interface DiscordEdit extends RESTPatchAPIChannelMessageJSONBody {
  embeds: [APIEmbed];
  /** Required on an edit too: without it Discord parses the edited message with default allowances. */
  allowed_mentions: APIAllowedMentions;
}

/** Nothing pings: no @everyone/@here, no users, no roles (a fresh object each time: callers may add to it). */
export function noMentions(): APIAllowedMentions {
  return { parse: [] };
}

// In one pass, left to right:
//   1. a bare http(s) URL: Discord links it as it stands, so only the characters that could end it, hide
//      it or start markup are escaped (`_`, `~`, `-`, `#` … stay, or the link would change);
//   2. at a line's start (after blanks): `#` (headings, `-#` subtext), `-` and `+` (lists), `12.` (numbered
//      lists); `>` (quotes) and `*` are escaped everywhere anyway;
//   3. anywhere else: `\` `*` `_` `~` `` ` `` `|` `<` `>` `[` `]` — emphasis, code, spoilers, quotes, mentions
//      and masked links. Escaping `\` first-class keeps a forum backslash from un-escaping the next character.
const MARKDOWN = /(https?:\/\/[^\s<]+)|^([ \t]*)([-+#]|\d+\.)|([\\*_~`|<>[\]])/gimu;
const IN_URL = /[\\*[\]|`<>]/gu;

/**
 * Forum text as Discord markdown that shows literally: every markdown character is backslash-escaped
 * (Discord shows `\*` as `*`), bare URLs stay links. Mass mentions are not handled here (see safeMarkdown).
 */
export function escapeDiscordMarkdown(text: string): string {
  return text.replace(MARKDOWN, (_m, url: string | undefined, blanks: string | undefined, marker: string | undefined, char: string | undefined) => {
    if (url) return url.replace(IN_URL, (c) => `\\${c}`);
    if (marker) return /^\d/u.test(marker) ? `${blanks ?? ''}${marker.slice(0, -1)}\\.` : `${blanks ?? ''}\\${marker}`;
    return `\\${char ?? ''}`;
  });
}

/**
 * The core's neutralizeMassMentions, and then some: a zero-width space after any `@` that starts `everyone` or
 * `here`, even inside a longer word (`@everyone2`), as Discord's own matching is not documented.
 */
export function breakMassMentions(text: string): string {
  return neutralizeMassMentions(text).replace(/@(?=everyone|here)/giu, '@\u200B');
}

/**
 * Text for places that render no markdown (author name, thread name): mass mentions broken, and a zero-width
 * space after any `<` that could open a mention, channel, emoji, timestamp or command token.
 */
export function plainText(text: string): string {
  return breakMassMentions(text)
    .replace(/\s+/gu, ' ')
    .trim()
    .replace(/<(?=[@#:/!]|a:|t:)/gu, '<\u200B');
}

/**
 * Cuts text to at most `max` UTF-16 units, marking the cut with an ellipsis: never inside a surrogate pair,
 * never between a backslash and the character it escapes, and at a word boundary when one is near.
 */
export function clipText(text: string, max: number): string {
  if (text.length <= max) return text;
  if (max < 1) return '';
  let head = text.slice(0, max - 1);
  const last = head.charCodeAt(head.length - 1);
  if (last >= 0xd800 && last <= 0xdbff) head = head.slice(0, -1);
  const space = head.lastIndexOf(' ');
  if (space > head.length * 0.8) head = head.slice(0, space);
  head = head.trimEnd();
  // An odd run of trailing backslashes ends in a lone escape that would swallow the ellipsis' neighbour.
  const slashes = /\\*$/u.exec(head)?.[0].length ?? 0;
  if (slashes % 2 === 1) head = head.slice(0, -1).trimEnd();
  return `${head}…`;
}

/** Forum text for a markdown field: mass mentions broken, markdown escaped, cut to `max`; `oneLine` folds line breaks. */
function safeMarkdown(text: string, max: number, oneLine = false): string {
  const trimmed = (oneLine ? text.replace(/\s+/gu, ' ') : text).trim();
  return clipText(escapeDiscordMarkdown(breakMassMentions(trimmed)), max);
}

/** Discourse gives `0088CC` (sometimes 3 digits, sometimes with `#`); Discord wants the integer. Anything else: none. */
export function embedColor(hex: string | null | undefined): number | undefined {
  if (!hex) return undefined;
  let bare = hex.trim().replace(/^#/u, '');
  if (/^[0-9a-f]{3}$/iu.test(bare)) bare = bare.replace(/./gu, (c) => c + c);
  return /^[0-9a-f]{6}$/iu.test(bare) ? Number.parseInt(bare, 16) : undefined;
}

/** The post's URL for the embed's `url` (the title's link): http(s) only, else none (Discord refuses others). */
export function embedUrl(url: string): string | undefined {
  const trimmed = url.trim();
  if (!/^https?:\/\//iu.test(trimmed)) return undefined;
  try {
    return new URL(trimmed).href;
  } catch {
    return undefined;
  }
}

/**
 * Discord's `nonce` for a delivery: deterministic, so a retried send carries the same one and, with
 * `enforce_nonce`, gets the first message back instead of posting twice. 24 characters of base64url
 * (the first 18 bytes of a SHA-256 of the key), within Discord's 25.
 */
export function discordNonce(idempotencyKey: string): string {
  return createHash('sha256').update(idempotencyKey, 'utf8').digest().subarray(0, 18).toString('base64url');
}

/** A thread's name from a topic title: one line, no pings, at most 100 characters, never empty. */
export function threadName(title: string): string {
  return clipText(plainText(title), MAX_THREAD_NAME) || 'Forum topic';
}

/** Length as the embed total counts it. */
function counted(embed: APIEmbed): number {
  const fields = (embed.fields ?? []).reduce((sum, f) => sum + f.name.length + f.value.length, 0);
  return (embed.title?.length ?? 0) + (embed.description?.length ?? 0) + (embed.author?.name.length ?? 0) + (embed.footer?.text.length ?? 0) + fields;
}

/** Who did what, plain: `Sara Lee (@sara) started a new topic` / `… replied`. The name is cut, the verb kept. */
function authorLine(n: Notification): string | undefined {
  const verb = n.kind === 'new_topic' ? ' started a new topic' : ' replied';
  const name = clipText(plainText(n.author), MAX_EMBED_AUTHOR_NAME - verb.length);
  return name ? `${name}${verb}` : undefined;
}

function fields(n: Notification): APIEmbedField[] {
  const out: APIEmbedField[] = [];
  const category = n.category ? safeMarkdown(n.category.name, MAX_EMBED_FIELD_VALUE, true) : '';
  if (category) out.push({ name: 'Category', value: category, inline: true });
  const tags = n.tags.map((t) => t.trim()).filter((t) => t !== '');
  const tagText = tags.length > 0 ? safeMarkdown(tags.join(', '), MAX_EMBED_FIELD_VALUE, true) : '';
  if (tagText) out.push({ name: tags.length === 1 ? 'Tag' : 'Tags', value: tagText, inline: true });
  return out;
}

/**
 * The notification as one embed:
 *   ┃ Sara Lee (@sara) started a new topic     (author; "replied" for a reply)
 *   ┃ **Release 2.0 is out**                    (title, linked to the post)
 *   ┃ excerpt                                   (description)
 *   ┃ Category: Announcements   Tags: a, b      (inline fields)
 * The bar takes the category's colour. The Notification carries no time, so there is no `timestamp`.
 * Within every limit; the excerpt is what gives way to the 6000-character total.
 */
export function discordEmbed(n: Notification): APIEmbed {
  const embed: APIEmbed = {};
  const author = authorLine(n);
  if (author) embed.author = { name: author };
  embed.title = safeMarkdown(n.title, MAX_EMBED_TITLE, true) || 'Untitled topic';
  const url = embedUrl(n.url);
  if (url) embed.url = url;
  const color = embedColor(n.category?.color);
  if (color !== undefined) embed.color = color;
  const f = fields(n);
  if (f.length > 0) embed.fields = f;
  const room = Math.min(MAX_EMBED_DESCRIPTION, MAX_EMBED_TOTAL - counted(embed));
  const description = safeMarkdown(n.excerpt, room);
  if (description) embed.description = description;
  return embed;
}

/** The body of `POST /channels/{id}/messages` announcing `n`: embeds only, pinging no one, safe to retry. */
export function discordMessage(n: Notification, opts: { idempotencyKey: string }): DiscordMessage {
  return { embeds: [discordEmbed(n)], allowed_mentions: noMentions(), nonce: discordNonce(opts.idempotencyKey), enforce_nonce: true };
}

/** The body of `PATCH /channels/{id}/messages/{id}` that redraws the announcement of `n` (no nonce on edits). */
export function discordEdit(n: Notification): DiscordEdit {
  return { embeds: [discordEmbed(n)], allowed_mentions: noMentions() };
}
