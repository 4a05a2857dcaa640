// Which Telegram messages are Parley commands. Pure: the adapter hands it the text and the bot's name.
import { COMMAND_WORDS } from '../../lib/seams/invocation.js';


export interface ParsedCommand {
  /** The command word, lower case, without `/`, `!` or `@BotName`. */
  command: string;
  /** Everything after the command word, trimmed. */
  args: string;
}

// `/discourse args`, `/discourse@BotName args`, `!discourse args`. The word must end at a space or the end,
// so `/discourseX` is not `/discourse`.
const COMMAND = /^\s*[/!]([A-Za-z0-9_]+)(?:@([A-Za-z0-9_]+))?(?=\s|$)([\s\S]*)$/u;

/** The command in a message, or null when the message is none of ours (another bot's, or plain chat). */
export function parseCommand(text: string, botUsername: string, words: readonly string[] = COMMAND_WORDS): ParsedCommand | null {
  const match = COMMAND.exec(text);
  if (!match) return null;
  const [, word = '', addressee, rest = ''] = match;
  const command = word.toLowerCase();
  if (!words.includes(command)) return null;
  // In a group every bot sees `/discourse@OtherBot`: only the one named answers.
  if (addressee !== undefined && addressee.toLowerCase() !== botUsername.toLowerCase()) return null;
  return { command, args: rest.trim() };
}

// `/word@SomeBot`: the addressee is explicit.
const ADDRESSED = /^\s*\/[A-Za-z0-9_]+@([A-Za-z0-9_]+)(?=\s|$)/u;

/** `/anything@OtherBot …`: a command for another bot, which is not part of the conversation. */
export function isCommandForOtherBot(text: string, botUsername: string): boolean {
  const addressee = ADDRESSED.exec(text)?.[1];
  return addressee !== undefined && addressee.toLowerCase() !== botUsername.toLowerCase();
}
