// Slack's slash commands as the core sees them: the fields of Slack's request (form-encoded over HTTP, the
// envelope's payload over Socket Mode) turned into a CommandInvocation. Pure functions; Bolt delivers the
// request (inbound.ts), response-url.ts answers it later.
import type { CommandInvocation, CommandWord } from '../../lib/seams/invocation.js';
import type { SlackContext } from './context.js';
import { isResponseUrl } from './response-url.js';

/** The fields of Slack's slash command request that Parley reads (api.slack.com/interactivity/slash-commands). */
export interface SlashCommandPayload {
  command: string;
  text: string;
  channel_id: string;
  channel_name: string;
  team_domain: string;
  user_id: string;
  user_name: string;
  response_url: string;
}

/** Slack's names for conversations that are not channels. */
const DIRECT = 'directmessage';

/**
 * The channel as the core sees it, stored by id (`C…`, `G…`, `D…`): names change, ids do not. A direct message
 * with the bot is the person's own (isPrivate); a private channel is a room like any other.
 */
export function describeChannel(p: Pick<SlashCommandPayload, 'channel_id' | 'channel_name' | 'team_domain' | 'user_name'>): CommandInvocation['channel'] {
  const team = p.team_domain ? `${p.team_domain}/` : '';
  if (p.channel_id.startsWith('D') || p.channel_name === DIRECT) return { externalId: p.channel_id, name: `${team}direct message with @${p.user_name}`, isPrivate: true };
  if (p.channel_name.startsWith('mpdm-')) return { externalId: p.channel_id, name: `${team}group message`, isPrivate: false };
  const name = p.channel_name && p.channel_name !== 'privategroup' ? `#${p.channel_name}` : p.channel_id;
  return { externalId: p.channel_id, name: `${team}${name}`, isPrivate: false };
}

/** The command word without its slash, lower case (`/Discourse` → `discourse`). */
export const commandWord = (command: string): string => command.replace(/^\//u, '').trim().toLowerCase();

/**
 * Slack's own `/topic` sets the channel topic, and no app may register a built-in command's name: transcripts are
 * `/discourse topic …` there (the profile's commandNames, so every message says so).
 */
export const SLACK_COMMAND_NAMES = { topic: 'discourse topic' } as const;

/** The slash commands the app registers: the command words Slack leaves to apps (a test checks none is missing). */
export const SLASH_COMMAND_WORDS = ['discourse', 'gitlab'] as const satisfies readonly CommandWord[];

const TOPIC_SUBCOMMAND = /^\s*topic(?:\s+|$)/iu;

/** The command word and its arguments: `/discourse topic last:50` is the topic command. */
export function commandOf(p: Pick<SlashCommandPayload, 'command' | 'text'>): { command: string; args: string } {
  const word = commandWord(p.command);
  if (word === 'discourse' && TOPIC_SUBCOMMAND.test(p.text)) return { command: 'topic', args: p.text.replace(TOPIC_SUBCOMMAND, '') };
  return { command: word, args: p.text };
}

export function toInvocation(p: SlashCommandPayload, receivedAt = Date.now()): CommandInvocation<SlackContext> {
  const invocation: CommandInvocation<SlackContext> = {
    platform: 'slack',
    ...commandOf(p),
    channel: describeChannel(p),
    // The request carries the handle only; a display name comes with users.info where it is needed.
    user: { id: p.user_id, username: p.user_name, displayName: p.user_name },
  };
  if (isResponseUrl(p.response_url)) invocation.platformContext = { responseUrl: p.response_url, receivedAt };
  return invocation;
}
