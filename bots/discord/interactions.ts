// Discord's interactions, whichever way they arrive (posted to Parley over HTTP, or INTERACTION_CREATE on the
// gateway): PING answered; a slash command turned into the shared command text (commands.ts) and answered within
// Discord's 3 seconds, or deferred and followed up; an autocomplete answered from the forum's categories and the
// tags Parley has seen in rules. The answer is an interaction response; the receiver delivers it.
import {
  ApplicationCommandOptionType,
  ApplicationCommandType,
  InteractionResponseType,
  InteractionType,
  type APIApplicationCommandInteractionDataOption,
  type APIInteraction,
  type APIInteractionResponse,
} from 'discord.js';
import { InFlight } from '../../lib/adapters/in-flight.js';
import { answerWithin } from '../../lib/adapters/within.js';
import type { Logger } from '../../lib/log.js';
import type { CommandInvocation } from '../../lib/seams/invocation.js';
import type { AdapterDeps } from '../../lib/seams/platform.js';
import { autocompleteChoices, toShared, type ForumVocabulary } from './commands.js';
import type { DiscordContext } from './context.js';
import { noMentions } from './format.js';
import type { ChannelTypes } from './channel-types.js';
import { contentOf, type DiscordSender } from './sender.js';

/** Discord gives up on an interaction after 3 s: a slower command is deferred before that, and followed up. */
export const DEFAULT_DEADLINE_MS = 2_500;
const STOP_TIMEOUT_MS = 10_000;
const EPHEMERAL = 1 << 6;

export interface InteractionHandlerOptions {
  deps: AdapterDeps;
  sender: DiscordSender;
  /** Where an interaction's channel type is kept for the deliveries (absent in tests of the handler alone). */
  types?: ChannelTypes;
  log: Logger;
  /** The forum's categories and known tags, for autocomplete. */
  vocabulary(): Promise<ForumVocabulary>;
  deadlineMs?: number;
}

/** The option being typed in an autocomplete interaction, however deep in subcommands. */
function focusedOption(options: readonly APIApplicationCommandInteractionDataOption[] | undefined): { name: string; value: string } | null {
  for (const option of options ?? []) {
    if (option.type === ApplicationCommandOptionType.Subcommand || option.type === ApplicationCommandOptionType.SubcommandGroup) {
      const inner = focusedOption(option.options);
      if (inner) return inner;
    } else if ('focused' in option && option.focused) {
      return { name: option.name, value: String(option.value) };
    }
  }
  return null;
}

/** The command as the core sees it, from a slash command interaction. */
export function toInvocation(interaction: APIInteraction, command: { command: string; args: string }, receivedAt = Date.now()): CommandInvocation<DiscordContext> {
  const user = interaction.member?.user ?? interaction.user;
  const channel = interaction.channel;
  const name = channel && 'name' in channel && channel.name ? `#${channel.name}` : (interaction.channel_id ?? '');
  const context: DiscordContext = { interactionToken: interaction.token, receivedAt };
  if (interaction.member?.permissions) context.permissions = interaction.member.permissions;
  return {
    platform: 'discord',
    command: command.command,
    args: command.args,
    // Outside a server (a direct message with the bot) the room is the person's own.
    channel: { externalId: interaction.channel_id ?? channel?.id ?? '', name, isPrivate: !interaction.guild_id },
    user: {
      id: user?.id ?? '',
      username: user?.username ?? '',
      displayName: interaction.member?.nick ?? user?.global_name ?? user?.username ?? '',
    },
    platformContext: context,
  };
}

export class InteractionHandler {
  private readonly lateAnswers = new InFlight();

  constructor(private readonly opts: InteractionHandlerOptions) {}

  /** The response to one interaction, within Discord's 3 s. Never throws. */
  async respond(interaction: APIInteraction): Promise<APIInteractionResponse> {
    try {
      switch (interaction.type) {
        case InteractionType.Ping:
          return { type: InteractionResponseType.Pong };
        case InteractionType.ApplicationCommandAutocomplete: {
          const focused = focusedOption(interaction.data.options);
          const choices = focused ? autocompleteChoices(focused, await this.opts.vocabulary()) : [];
          return { type: InteractionResponseType.ApplicationCommandAutocompleteResult, data: { choices } };
        }
        case InteractionType.ApplicationCommand:
          if (interaction.data.type === ApplicationCommandType.ChatInput) return await this.command(interaction, toShared(interaction.data));
          break;
        default:
          break;
      }
    } catch (err) {
      this.opts.log.warn({ err: (err as Error).message, type: interaction.type }, 'discord: an interaction could not be handled');
    }
    return this.message('Parley does not handle this interaction.', 'ephemeral');
  }

  /** Waits for late answers still on their way. */
  async stop(): Promise<void> {
    await this.lateAnswers.drain(STOP_TIMEOUT_MS);
  }

  private async command(interaction: APIInteraction, command: { command: string; args: string }): Promise<APIInteractionResponse> {
    const { deps, sender, log } = this.opts;
    // The channel's type, which its deliveries need (channel-types.ts): an interaction says it for free.
    await this.opts.types?.note(interaction.channel?.id ?? interaction.channel_id, interaction.channel?.type);
    const invocation = toInvocation(interaction, command);
    // Too slow: deferred, for the user alone ("Parley is thinking…"); the answer follows it (sender.replyLater).
    const deferred = { ...invocation, platformContext: { ...invocation.platformContext, deferred: true } };
    const first = await answerWithin(deps.handleCommand(invocation), this.opts.deadlineMs ?? DEFAULT_DEADLINE_MS, {
      send: (late) => sender.replyLater(deferred, late),
      inFlight: this.lateAnswers,
      log,
    });
    if (first) return this.message(first.text, first.visibility);
    return { type: InteractionResponseType.DeferredChannelMessageWithSource, data: { flags: EPHEMERAL } };
  }

  private message(text: string, visibility: 'ephemeral' | 'channel'): APIInteractionResponse {
    return {
      type: InteractionResponseType.ChannelMessageWithSource,
      data: { content: contentOf(text), allowed_mentions: noMentions(), ...(visibility === 'ephemeral' ? { flags: EPHEMERAL } : {}) },
    };
  }
}
