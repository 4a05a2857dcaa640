// Everything the Telegram adapter says: notifications (sent, edited, deleted), answers to commands (at once
// and later), progress, and the greeting in a chat the bot was added to. Errors leave as the delivery errors of
// lib/errors.ts, so the jobs that call these know whether to retry.
import { GrammyError, type Api } from 'grammy';
import type { Message } from 'grammy/types';
import type { CommandInvocation, CommandReply } from '../../lib/seams/invocation.js';
import type { SendOptions } from '../../lib/seams/platform.js';
import type { ChannelRecord } from '../../lib/seams/store.js';
import type { Logger } from '../../lib/log.js';
import type { Notification } from '../../lib/notification.js';
import { SEND_TIMEOUT_MS, timeoutSignal } from './api.js';
import type { TelegramContext } from './context.js';
import { mapTelegramError } from './errors.js';
import { escapeHtml, formatNotification, splitMessage } from './format.js';

type MessageOptions = NonNullable<Parameters<Api['sendMessage']>[2]>;

/** Where a message goes in its chat: as a reply to a message, in a forum topic of a supergroup. */
interface Target {
  replyTo?: number | null;
  threadId?: number | null;
}

/** What a send leaves out when Telegram says that part of its target is gone; null: nothing, the error stands. */
type WithoutOnLoss = 'reply' | 'thread' | null;

const NO_PREVIEW = { link_preview_options: { is_disabled: true } } satisfies MessageOptions;

/** Message ids are positive integers; a messageRef from elsewhere that is not one is ignored. */
function messageIdOf(ref: string | number | null | undefined): number | null {
  if (ref === null || ref === undefined || !/^\d{1,15}$/u.test(String(ref))) return null;
  const id = Number(ref);
  return id > 0 ? id : null;
}

/** An edit to the text the message already shows: Telegram refuses it, but there is nothing left to do. */
function isUnchanged(err: unknown): boolean {
  return err instanceof GrammyError && /message is not modified/iu.test(err.description);
}

/** The reply target is gone (the forum topic of a supergroup was deleted, or the message was). */
function isLostReplyTarget(err: unknown): boolean {
  return err instanceof GrammyError && /message thread not found|message to be replied not found|reply message not found/iu.test(err.description);
}

function placed(options: MessageOptions, target: Target): MessageOptions {
  return {
    ...options,
    ...(target.replyTo ? { reply_parameters: { message_id: target.replyTo, allow_sending_without_reply: true } } : {}),
    ...(target.threadId ? { message_thread_id: target.threadId } : {}),
  };
}

/** Where the answers to a command go: in reply to it, in its forum topic. */
function commandTarget(invocation: CommandInvocation<TelegramContext>): Target {
  return { replyTo: messageIdOf(invocation.commandMessageId), threadId: messageIdOf(invocation.platformContext?.threadId) };
}

export class TelegramSender {
  constructor(
    private readonly api: Api,
    private readonly log: Logger,
  ) {}

  async sendNotification(channel: ChannelRecord, notification: Notification, opts: SendOptions): Promise<{ messageRef: string | null }> {
    // Telegram has no duplicate guard for sendMessage, so opts.idempotencyKey has nowhere to go. The topic's
    // first announcement (or its forum thread) may be gone: then the notification goes out without the reply.
    const target = { replyTo: messageIdOf(opts.threadRoot) };
    const sent = await this.send(channel.externalId, formatNotification(notification), { parse_mode: 'HTML', ...NO_PREVIEW }, target, 'reply');
    return { messageRef: String(sent.message_id) };
  }

  async editNotification(channel: ChannelRecord, messageRef: string, notification: Notification): Promise<void> {
    const messageId = messageIdOf(messageRef);
    if (messageId === null) return;
    try {
      await this.api.editMessageText(channel.externalId, messageId, formatNotification(notification), { parse_mode: 'HTML', ...NO_PREVIEW }, timeoutSignal(SEND_TIMEOUT_MS));
    } catch (err) {
      if (isUnchanged(err)) return;
      throw mapTelegramError(err);
    }
  }

  async deleteNotification(channel: ChannelRecord, messageRef: string): Promise<void> {
    const messageId = messageIdOf(messageRef);
    if (messageId === null) return;
    try {
      await this.api.deleteMessage(channel.externalId, messageId, timeoutSignal(SEND_TIMEOUT_MS));
    } catch (err) {
      throw mapTelegramError(err);
    }
  }

  /**
   * The core's answer to a command, at once: plain text (Telegram has no ephemeral messages, so it goes to the
   * chat), as a reply to the command and, in a forum supergroup, in the command's topic even if the command was
   * deleted. In parts if long. Never throws: a reply that cannot be sent is logged.
   */
  async replyNow(invocation: CommandInvocation<TelegramContext>, text: string): Promise<void> {
    if (!text.trim()) return;
    const chatId = invocation.channel.externalId;
    for (const part of splitMessage(text)) {
      try {
        await this.send(chatId, part, NO_PREVIEW, commandTarget(invocation), null, null);
      } catch (err) {
        this.log.warn({ err, chat: chatId }, 'telegram: could not send a command reply');
        return;
      }
    }
  }

  /**
   * A later answer (a transcript's link or failure) as a reply to the command message, in parts if long.
   * Throws the delivery errors of lib/errors.ts, so the job that calls it can retry.
   */
  async replyLater(invocation: CommandInvocation<TelegramContext>, reply: CommandReply): Promise<void> {
    if (!reply.text.trim()) return;
    // Cut the plain text, then escape: the limit counts the text as shown, not its HTML. When the forum topic
    // the command was typed in is gone, the answer goes to the chat's general thread.
    for (const part of splitMessage(reply.text)) {
      await this.send(invocation.channel.externalId, escapeHtml(part), { parse_mode: 'HTML', ...NO_PREVIEW }, commandTarget(invocation), 'thread');
    }
  }

  async progress(invocation: CommandInvocation<TelegramContext>, text: string, ref: string | null): Promise<string | null> {
    const chatId = invocation.channel.externalId;
    const messageId = messageIdOf(ref);
    if (messageId !== null) {
      try {
        await this.api.editMessageText(chatId, messageId, escapeHtml(text), { parse_mode: 'HTML' }, timeoutSignal(SEND_TIMEOUT_MS));
      } catch (err) {
        throw mapTelegramError(err);
      }
      return ref;
    }
    const sent = await this.send(chatId, escapeHtml(text), { parse_mode: 'HTML' }, { replyTo: commandTarget(invocation).replyTo }, null);
    return String(sent.message_id);
  }

  /** What the core says in a chat the bot was just added to. Never throws: a greeting that fails is logged. */
  async greet(chatId: number, text: string): Promise<void> {
    try {
      await this.send(chatId, escapeHtml(text), { parse_mode: 'HTML', ...NO_PREVIEW }, {}, null);
    } catch (err) {
      this.log.warn({ chat: chatId, err }, 'could not greet the chat the bot was added to');
    }
  }

  /**
   * Sends one message to `target`; throws the mapped error. When Telegram answers that part of the target is gone
   * (the message replied to, or the forum topic), it is sent once more without the part `withoutOnLoss` names.
   * Each try has its own `timeoutMs` (null: only the client's own limit).
   */
  private async send(
    chatId: string | number,
    text: string,
    options: MessageOptions,
    target: Target,
    withoutOnLoss: WithoutOnLoss,
    timeoutMs: number | null = SEND_TIMEOUT_MS,
  ): Promise<Message.TextMessage> {
    const attempt = (to: Target) => this.api.sendMessage(chatId, text, placed(options, to), timeoutMs === null ? undefined : timeoutSignal(timeoutMs));
    let fallback: Target | null = null;
    try {
      return await attempt(target);
    } catch (err) {
      if (withoutOnLoss === 'reply' && target.replyTo && isLostReplyTarget(err)) fallback = { ...target, replyTo: null };
      else if (withoutOnLoss === 'thread' && target.threadId && isLostReplyTarget(err)) fallback = { ...target, threadId: null };
      else throw mapTelegramError(err);
    }
    try {
      return await attempt(fallback);
    } catch (err) {
      throw mapTelegramError(err);
    }
  }
}
