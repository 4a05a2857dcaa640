// How a notification looks in Mattermost: one message attachment (Slack-compatible), plus the Markdown
// escaping that keeps forum text from turning into links, headings or pings in chat. Pure functions.
import { outsideUrls } from '../../lib/adapters/urls.js';
import type { Notification } from '../../lib/notification.js';

export interface AttachmentField {
  title: string;
  value: string;
  short: boolean;
}

/** The subset of Mattermost's message attachment that Parley sends. */
export interface MessageAttachment {
  fallback: string;
  color?: string;
  author_name: string;
  title: string;
  title_link: string;
  text: string;
  fields: AttachmentField[];
}

/** Body of an incoming-webhook POST, and the `props` of a REST post: the same attachment either way. */
export interface AttachmentPayload {
  attachments: MessageAttachment[];
}

// Bare URLs are kept as they are: a backslash inside one would break the autolink, and a URL has no
// spaces, so it cannot carry `[text](target)` syntax on its own.
// Characters Mattermost's Markdown (a marked fork on the web, commonmark on mobile) both accept
// backslash escapes for, and that start formatting: emphasis, code, links, headings, quotes, tables.
const MARKUP = /[\\`*_[\]#>|~]/gu;
// A mention starts a word: `@name` but not `bob@example.org`. Attachment text and pretext do notify
// (developers.mattermost.com, message attachments: "Supports @mentions"), so every one is broken.
const MENTION = /(^|[^\p{L}\p{N}_.~@-])([@~])(?=[\p{L}\p{N}_])/gu;

/** Breaks @user and ~channel references with a zero-width space so they neither ping nor link. */
export function neutralizeMentions(text: string): string {
  return text.replace(MENTION, (_m, before: string, sigil: string) => `${before}${sigil}\u200B`);
}

function escapeRun(text: string): string {
  return neutralizeMentions(text).replace(MARKUP, (c) => `\\${c}`);
}

/**
 * Makes text show literally in Mattermost Markdown: formatting characters are backslash-escaped and
 * mentions broken, except inside bare URLs (left intact so they stay clickable and correct).
 */
export function escapeMarkdown(text: string): string {
  return outsideUrls(text, escapeRun);
}

/** Discourse gives `0088CC` (sometimes 3 digits); Mattermost wants `#0088CC`. Anything else: no colour. */
export function attachmentColor(hex: string | null | undefined): string | undefined {
  if (!hex) return undefined;
  const bare = hex.replace(/^#/, '');
  return /^([0-9a-f]{3}|[0-9a-f]{6})$/iu.test(bare) ? `#${bare}` : undefined;
}

export function buildAttachment(n: Notification): MessageAttachment {
  const fields: AttachmentField[] = [];
  if (n.category) fields.push({ title: 'Category', value: escapeMarkdown(n.category.name), short: true });
  if (n.tags.length > 0) fields.push({ title: 'Tags', value: n.tags.map(escapeMarkdown).join(', '), short: true });

  const kind = n.kind === 'new_topic' ? 'New topic' : 'New reply';
  const where = n.category ? ` in ${n.category.name}` : '';
  const attachment: MessageAttachment = {
    // Plain text for notifications and clients without attachments: no Markdown, but no pings either.
    fallback: neutralizeMentions(`${kind}${where}: ${n.title} by ${n.author} ${n.url}`),
    author_name: neutralizeMentions(n.author),
    // Title and author are shown as plain text, not Markdown: only mentions need breaking.
    title: neutralizeMentions(n.title),
    title_link: n.url,
    text: escapeMarkdown(n.excerpt),
    fields,
  };
  const color = attachmentColor(n.category?.color);
  if (color) attachment.color = color;
  return attachment;
}

export function buildAttachmentPayload(n: Notification): AttachmentPayload {
  return { attachments: [buildAttachment(n)] };
}
