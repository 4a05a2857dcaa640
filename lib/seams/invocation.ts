// The command seam: what an adapter hands the command core, and what it gets back (docs/architecture.md#a-command).
import type { PlatformName } from './store.js';

/**
 * The command words Parley answers to, on every platform: `discourse` and `gitlab` (each source's rules, status,
 * help) and `topic` (transcripts). Adapters recognise these; commands/dispatch.ts has one handler for each.
 */
export const COMMAND_WORDS = ['discourse', 'gitlab', 'topic'] as const;
export type CommandWord = (typeof COMMAND_WORDS)[number];

// `!discourse args` or `/discourse args` typed as a message (clients that keep `/` for themselves, or send the
// slash line as text). The word ends at a space or the end: `!discourseX` is not a command.
const TEXT_COMMAND = new RegExp(`^\\s*[!/](${COMMAND_WORDS.join('|')})(?=\\s|$)([\\s\\S]*)$`, 'iu');

/** The command in a chat message where commands are typed as text (Discord, Matrix), or null. */
export function parseTextCommand(text: string): { command: CommandWord; args: string } | null {
  const match = TEXT_COMMAND.exec(text);
  if (!match) return null;
  return { command: match[1]!.toLowerCase() as CommandWord, args: match[2]!.trim() };
}

/**
 * One command typed in a chat. `Ctx` is the adapter's own context (bots/<platform>/context.ts): what it needs
 * again to check roles or answer later. The core carries it along (also inside a transcript job) and never reads it.
 */
export interface CommandInvocation<Ctx = unknown> {
  platform: PlatformName;
  /** `discourse` or `topic`, without slash, bang or @BotName. */
  command: string;
  /** Everything after the command word, as the user typed it. */
  args: string;
  channel: { externalId: string; name: string; isPrivate: boolean };
  user: { id: string; username: string; displayName: string };
  /** The user's IANA time zone where the platform tells it (Slack). */
  timezone?: string;
  /** The command's own message id where the platform has one: a transcript leaves that message out. */
  commandMessageId?: string;
  platformContext?: Ctx;
}

export interface CommandReply {
  /** Plain text; adapters escape it for their markup. Lines separated by \n. */
  text: string;
  /** Ephemeral replies are shown to the issuing user only, where the platform allows; elsewhere to the channel. */
  visibility: 'ephemeral' | 'channel';
}

/** The bot was added to a room or removed from it (commands/membership.ts decides what follows). */
export interface MembershipChange {
  platform: PlatformName;
  channel: CommandInvocation['channel'];
  /** Who added or removed the bot, when the platform says. */
  by: CommandInvocation['user'] | null;
  change: 'added' | 'removed';
  /**
   * Removed: why, as the channel's error will say it (the channel archived, the app uninstalled). Without it the
   * core says the bot was removed.
   */
  reason?: { code: string; message: string };
  /**
   * Added: the platform's own list of allowed inviters (PARLEY_MATRIX_ALLOWED_INVITERS) names the inviter, so the
   * channel is active whoever they are. Without it the core asks whether the inviter may change rules.
   */
  inviterAllowed?: boolean;
  /**
   * Added: only that list makes the channel active (IRC, where anyone may create a channel and be its operator):
   * an inviter it does not name leaves the channel pending, whatever else they may do there.
   */
  onlyListedInviters?: boolean;
}
