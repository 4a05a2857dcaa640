// What a Telegram update means to Parley, whichever receiver brought it: every message goes to the message log
// (Telegram gives bots no history, so transcripts read what Parley saw); a text that is one of our commands goes
// to the core, and its answer back to the chat; my_chat_member says the bot was added to a chat or removed.
import type { Bot } from 'grammy';
import type { Chat, ChatMember, ChatMemberUpdated, Message, User } from 'grammy/types';
import type { Logger } from '../../lib/log.js';
import type { CommandInvocation } from '../../lib/seams/invocation.js';
import type { AdapterDeps } from '../../lib/seams/platform.js';
import { toChatMessage } from './chat-message.js';
import { COMMAND_WORDS } from '../../lib/seams/invocation.js';
import { isCommandForOtherBot, parseCommand, type ParsedCommand } from './commands.js';
import type { TelegramContext } from './context.js';
import type { TelegramSender } from './sender.js';

/**
 * Update kinds Parley reads; the same list for polling and for the webhook. Edits keep the message log current;
 * my_chat_member says when the bot is added to a chat or removed from it.
 */
export const ALLOWED_UPDATES = ['message', 'edited_message', 'my_chat_member'] as const;

function fullName(user: Pick<User, 'first_name' | 'last_name'>): string {
  return [user.first_name, user.last_name].filter(Boolean).join(' ');
}

/** A group's title; for a private chat, @username or the person's name. */
export function chatName(chat: Chat): string {
  if (chat.type === 'private') return chat.username ? `@${chat.username}` : fullName(chat);
  return chat.title || (('username' in chat && chat.username) ? `@${chat.username}` : String(chat.id));
}

function channelOf(chat: Chat): CommandInvocation['channel'] {
  return { externalId: String(chat.id), name: chatName(chat), isPrivate: chat.type === 'private' };
}

/** The bot is in the chat as anything from a restricted member to its creator. */
function inChat(member: ChatMember): boolean {
  return member.status === 'creator' || member.status === 'administrator' || member.status === 'member' || (member.status === 'restricted' && member.is_member);
}

export class TelegramInbound {
  constructor(
    private readonly deps: Pick<AdapterDeps, 'handleCommand' | 'handleMembership' | 'messageLog'>,
    private readonly sender: TelegramSender,
    private readonly log: Logger,
  ) {}

  /** Adds Parley's handlers to the bot, after any middleware it has already. */
  install(bot: Bot): void {
    // Logged first, commands included: the transcript drops the command itself by its message id.
    bot.on(['message', 'edited_message'], async (ctx, next) => {
      await this.logMessage(ctx.msg, ctx.me.username);
      await next();
    });
    bot.on('message:text', (ctx) => this.onText(ctx.message, ctx.me.username));
    bot.on('my_chat_member', (ctx) => this.onMembership(ctx.myChatMember));
  }

  /** A new or edited message, for transcripts; the core keeps it if the chat is a registered channel. Never throws. */
  private async logMessage(message: Message, botUsername: string): Promise<void> {
    // Commands for other bots are not part of the conversation.
    if (isCommandForOtherBot(message.text ?? message.caption ?? '', botUsername)) return;
    await this.deps.messageLog.record(String(message.chat.id), () => toChatMessage(message));
  }

  private async onText(message: Message & { text: string }, botUsername: string): Promise<void> {
    if (message.forward_origin || message.is_automatic_forward) return;
    const anonymousAdmin = message.sender_chat?.id === message.chat.id;
    // Other bots (and channels posting into a group) are not people issuing commands; loops start that way.
    if (!message.from || (message.from.is_bot && !anonymousAdmin)) return;
    const parsed = parseCommand(message.text, botUsername, COMMAND_WORDS);
    if (!parsed) return;

    const invocation = this.invocationOf(message, message.from, parsed, anonymousAdmin);
    const reply = await this.deps.handleCommand(invocation);
    // The command may have registered this chat: its next messages belong in the log at once.
    this.deps.messageLog.forget(invocation.channel.externalId);
    await this.sender.replyNow(invocation, reply.text);
  }

  /** The bot's own membership changed: added to a chat (register it, active or pending) or removed (mark it). */
  private async onMembership(update: ChatMemberUpdated): Promise<void> {
    const was = inChat(update.old_chat_member);
    const is = inChat(update.new_chat_member);
    if (was === is) return; // promoted, restricted, …: still there
    const from = update.from;
    const reply = await this.deps.handleMembership({
      platform: 'telegram',
      channel: channelOf(update.chat),
      by: from.is_bot ? null : { id: String(from.id), username: from.username ?? '', displayName: fullName(from) },
      change: is ? 'added' : 'removed',
    });
    if (!reply || !is || !reply.text.trim()) return;
    await this.sender.greet(update.chat.id, reply.text);
  }

  private invocationOf(message: Message, from: User, parsed: ParsedCommand, anonymousAdmin: boolean): CommandInvocation<TelegramContext> {
    const chat = message.chat;
    // What memberRole and the answers need again: the forum topic to answer in, who may have sent it.
    const platformContext: TelegramContext = {};
    if (message.is_topic_message && message.message_thread_id !== undefined) platformContext.threadId = message.message_thread_id;
    if (anonymousAdmin) platformContext.anonymousAdmin = true;
    return {
      platform: 'telegram',
      command: parsed.command,
      args: parsed.args,
      channel: channelOf(chat),
      user: anonymousAdmin
        ? { id: String(from.id), username: from.username ?? '', displayName: `${chatName(chat)} (anonymous admin)` }
        : { id: String(from.id), username: from.username ?? '', displayName: fullName(from) },
      // The transcript leaves the command out; later answers reply to it.
      commandMessageId: String(message.message_id),
      ...(Object.keys(platformContext).length > 0 ? { platformContext } : {}),
    };
  }
}
