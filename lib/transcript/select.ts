// Which chat messages a transcript keeps: not the /topic command itself, not bots, not the users named in
// `ignore:`, not messages with nothing to show; in time order. Pure functions.
import type { ChatAuthor, ChatMessage } from './types.js';

export interface SelectOptions {
  /** The platform id of the message that asked for the transcript (the `/topic …` command). */
  commandMessageId?: string | null;
  /** `ignore:` values: usernames or display names, with or without a leading @, any case. */
  ignore?: readonly string[];
}

/** How many messages were left out, by reason (each message counted once, under the first reason that applies). */
export interface DropCounts {
  command: number;
  bots: number;
  ignored: number;
  /** No text and no attachments (a deleted or unsupported message): nothing to show. */
  empty: number;
}

export interface Selection {
  /** Kept messages, oldest first (equal times by id). */
  kept: ChatMessage[];
  dropped: DropCounts;
}

export const noDrops = (): DropCounts => ({ command: 0, bots: 0, ignored: 0, empty: 0 });

/** Sums the counts of several pages. */
export function addDropCounts(a: DropCounts, b: DropCounts): DropCounts {
  return { command: a.command + b.command, bots: a.bots + b.bots, ignored: a.ignored + b.ignored, empty: a.empty + b.empty };
}

/** The form names are compared in: no leading @, whitespace collapsed, NFC, lower case. */
export function normalizeName(name: string): string {
  return name.trim().replace(/^@+/u, '').replace(/\s+/gu, ' ').normalize('NFC').toLowerCase();
}

// Platform ids: Telegram's are numbers (compare them as numbers, so 9 < 10), Mattermost's are opaque strings.
const DIGITS = /^\d+$/u;

export function compareIds(a: string, b: string): number {
  if (DIGITS.test(a) && DIGITS.test(b)) {
    const x = a.replace(/^0+(?=\d)/u, '');
    const y = b.replace(/^0+(?=\d)/u, '');
    if (x.length !== y.length) return x.length - y.length;
  }
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Oldest first; messages sent in the same millisecond by id. */
export function compareMessages(a: ChatMessage, b: ChatMessage): number {
  return a.sentAt.getTime() - b.sentAt.getTime() || compareIds(a.id, b.id);
}

/** Matches authors against `ignore:` values by username or display name. */
export function ignoreMatcher(ignore: readonly string[]): (author: ChatAuthor) => boolean {
  const names = new Set(ignore.map(normalizeName).filter((n) => n !== ''));
  if (names.size === 0) return () => false;
  return (author) =>
    (author.username !== '' && names.has(normalizeName(author.username))) || (author.displayName.trim() !== '' && names.has(normalizeName(author.displayName)));
}

function isEmpty(message: ChatMessage): boolean {
  return message.markdown.trim() === '' && message.attachments.length === 0;
}

/** The messages of one page (or a whole range) that the transcript keeps, sorted, and what was left out. */
export function selectMessages(messages: readonly ChatMessage[], options: SelectOptions = {}): Selection {
  const ignored = ignoreMatcher(options.ignore ?? []);
  const command = options.commandMessageId ?? null;
  const dropReason = (message: ChatMessage): keyof DropCounts | null => {
    if (command !== null && message.id === command) return 'command';
    if (message.author.isBot) return 'bots';
    if (ignored(message.author)) return 'ignored';
    if (isEmpty(message)) return 'empty';
    return null;
  };
  const dropped = noDrops();
  const keep = (message: ChatMessage): boolean => {
    const reason = dropReason(message);
    if (reason !== null) dropped[reason]++;
    return reason === null;
  };
  const kept: ChatMessage[] = [];
  for (const message of messages) {
    const reason = dropReason(message);
    if (reason !== null) {
      // A thread is shown under its first message, so it is left out with it, for the same reason.
      dropped[reason] += 1 + (message.replies?.length ?? 0);
      continue;
    }
    if (!message.replies) {
      kept.push(message);
      continue;
    }
    const { replies: all, ...bare } = message;
    const replies = all.filter(keep).sort(compareMessages);
    kept.push(replies.length > 0 ? { ...bare, replies } : bare);
  }
  kept.sort(compareMessages);
  return { kept, dropped };
}
