// The Telegram adapter: grammY over long polling or a webhook; commands in, notifications out.
import type { FastifyInstance } from 'fastify';
import { Bot, GrammyError, webhookCallback, type Context, type Transformer } from 'grammy';
import type { Chat, ChatMember, ChatMemberUpdated, Message, User } from 'grammy/types';
import type { AdapterDeps, Capabilities, MemberRole, PlatformAdapter, RateLimits, SendOptions } from '../adapter.js';
import type { CommandInvocation, CommandReply } from '../../commands/types.js';
import { ConfigError, PlatformPermanentError } from '../../lib/errors.js';
import type { Logger } from '../../lib/log.js';
import type { Notification } from '../../lib/notification.js';
import type { ChannelRecord } from '../../lib/store/types.js';
import { COMMAND_WORDS, parseCommand, type ParsedCommand } from './commands.js';
import { mapTelegramError, normalizeForeignErrors } from './errors.js';
import { escapeHtml, formatNotification, splitMessage } from './format.js';
import { TelegramMessageLog } from './message-log.js';

export const WEBHOOK_PATH = '/hooks/telegram';
/**
 * Update kinds Parley reads; the same list for polling and for the webhook. Edits keep the message log current;
 * my_chat_member says when the bot is added to a chat or removed from it.
 */
export const ALLOWED_UPDATES = ['message', 'edited_message', 'my_chat_member'] as const;

const LONG_POLL_SECONDS = 30;
/** An empty long poll answered sooner than this waits out the rest (see pollFloor). */
const MIN_EMPTY_POLL_MS = 300;
const START_TIMEOUT_MS = 30_000;
/** Under /readyz's own 3 s limit, so a slow Telegram reads as "not ready" with a reason. */
const HEALTH_TIMEOUT_MS = 2_500;
const SEND_TIMEOUT_MS = 20_000;
/** Telegram redelivers a webhook update it got no answer to; answering before that avoids a second run. */
const WEBHOOK_ANSWER_MS = 9_000;
const FAILED_COMMAND_REPLY = 'Sorry, Parley could not run that command. Please try again in a moment.';

type TelegramSettings = NonNullable<AdapterDeps['config']['telegram']>;

/**
 * A floor between empty long polls. Real Telegram holds an empty getUpdates for `timeout` seconds, so the
 * floor never delays it; telegram-test-api (and a broken proxy) answers at once, and grammY's loop would
 * spin at full CPU. Only long polls are held back (grammY's closing `getUpdates` on stop has no timeout).
 */
export function pollFloor(minMs: number): Transformer {
  return async (prev, method, payload, signal) => {
    const started = Date.now();
    const res = await prev(method, payload, signal);
    if (method !== 'getUpdates') return res;
    const askedSeconds = (payload as { timeout?: number } | undefined)?.timeout ?? 0;
    const empty = res.ok && Array.isArray(res.result) && res.result.length === 0;
    const wait = minMs - (Date.now() - started);
    if (askedSeconds > 0 && empty && wait > 0) await sleep(wait, signal);
    return res;
  };
}

/** grammY types its signals as the abort-controller polyfill's (and hands transformers one at runtime). */
type GrammySignal = NonNullable<Parameters<Bot['init']>[0]>;

/** grammY only listens for 'abort' on a signal, which a native one does the same way. */
function timeoutSignal(ms: number): GrammySignal {
  return AbortSignal.timeout(ms) as unknown as GrammySignal;
}

/** node:timers/promises refuses grammY's polyfilled signal, hence this small sleep. */
function sleep(ms: number, signal: GrammySignal | undefined): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(new Error('aborted'));
    const onAbort = () => {
      clearTimeout(timer);
      reject(new Error('aborted'));
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort);
  });
}

/** Creator and administrators may change rules; members and restricted members are members. */
export function roleFromChatMember(member: ChatMember): MemberRole {
  switch (member.status) {
    case 'creator':
    case 'administrator':
      return { role: 'moderator' };
    case 'member':
    case 'restricted':
      return { role: 'member' };
    default:
      return { role: 'unknown', why: `Telegram says this user is not in the chat (status: ${member.status})` };
  }
}

function fullName(user: Pick<User, 'first_name' | 'last_name'>): string {
  return [user.first_name, user.last_name].filter(Boolean).join(' ');
}

/** A group's title; for a private chat, @username or the person's name. */
export function chatName(chat: Chat): string {
  if (chat.type === 'private') return chat.username ? `@${chat.username}` : fullName(chat);
  return chat.title || (('username' in chat && chat.username) ? `@${chat.username}` : String(chat.id));
}

/** Message ids are positive integers; a messageRef from elsewhere that is not one is ignored. */
function messageIdOf(ref: string | null): number | null {
  if (ref === null || !/^\d{1,15}$/u.test(ref)) return null;
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

export class TelegramAdapter implements PlatformAdapter {
  readonly platform = 'telegram' as const;
  // threads: replies to a topic are sent as Telegram replies to its first announcement.
  readonly capabilities: Capabilities = { threads: true, edits: true, ephemeralReplies: false, history: false };
  // About 1 message a second per chat, 20 a minute in a group, 30 a second overall (core.telegram.org/bots/faq).
  readonly rateLimits: RateLimits = {
    perChannel: [
      { max: 1, durationMs: 1000 },
      { max: 20, durationMs: 60_000 },
    ],
    perPlatform: { max: 30, durationMs: 1000 },
  };

  readonly uniqueConnection: boolean;
  private readonly bot: Bot;
  private readonly settings: TelegramSettings;
  private readonly log: Logger;
  private readonly inFlight = new Set<Promise<unknown>>();
  private readonly messageLog: TelegramMessageLog;
  private polling: Promise<void> | null = null;
  private pollingFailure: string | null = null;
  private stopped = false;

  constructor(
    private readonly deps: AdapterDeps,
    opts: { minEmptyPollMs?: number } = {},
  ) {
    const settings = deps.config.telegram;
    if (!settings) throw new ConfigError(['PARLEY_TELEGRAM_TOKEN: not set, so the Telegram adapter cannot start']);
    this.settings = settings;
    // One getUpdates loop per token; webhook mode has no connection of its own.
    this.uniqueConnection = settings.mode === 'polling';
    this.log = deps.log.child({ platform: 'telegram' });
    this.messageLog = new TelegramMessageLog(deps.store, this.log);
    // The client timeout must outlast a long poll.
    this.bot = new Bot(settings.token, { client: { apiRoot: settings.apiRoot, timeoutSeconds: LONG_POLL_SECONDS + 30 } });
    this.bot.api.config.use(normalizeForeignErrors, pollFloor(opts.minEmptyPollMs ?? MIN_EMPTY_POLL_MS));

    this.bot.use(async (_ctx, next) => {
      const work = next();
      this.inFlight.add(work);
      try {
        await work;
      } finally {
        this.inFlight.delete(work);
      }
    });
    // Logged first, commands included: the transcript drops the command itself by its message id.
    this.bot.on(['message', 'edited_message'], async (ctx, next) => {
      await this.messageLog.record(ctx.msg, ctx.me.username);
      await next();
    });
    this.bot.on('message:text', (ctx) => this.onText(ctx, ctx.message));
    this.bot.on('my_chat_member', (ctx) => this.onMembership(ctx.myChatMember));
    // Long polling only: a failed update is logged and the loop goes on.
    this.bot.catch((err) => this.log.error({ error: mapTelegramError(err.error).message }, 'telegram update failed'));
  }

  registerRoutes(app: FastifyInstance): void {
    if (this.settings.mode !== 'webhook') return;
    if (!this.settings.webhookSecret) {
      this.log.warn('PARLEY_TELEGRAM_WEBHOOK_SECRET is not set: anyone who finds the webhook URL can send fake updates');
    }
    const handle = webhookCallback(this.bot, 'fastify', {
      secretToken: this.settings.webhookSecret ?? undefined,
      onTimeout: 'return',
      timeoutMilliseconds: WEBHOOK_ANSWER_MS,
    });
    app.post(WEBHOOK_PATH, async (request, reply) => {
      // Telegram keeps the update and tries again later, when another process (or this one, restarted) answers.
      if (this.stopped) return reply.code(503).send({ error: 'shutting down' });
      let body: unknown = request.body;
      // A raw-body parser elsewhere in the server may leave the JSON unparsed.
      if (typeof body === 'string' || Buffer.isBuffer(body)) {
        try {
          body = JSON.parse(body.toString());
        } catch {
          return reply.code(400).send({ error: 'the body is not JSON' });
        }
      }
      if (body === null || typeof body !== 'object' || typeof (body as { update_id?: unknown }).update_id !== 'number') {
        return reply.code(400).send({ error: 'not a Telegram update' });
      }
      request.body = body;
      await handle(request, reply);
      return reply;
    });
  }

  async start(): Promise<void> {
    this.stopped = false;
    this.pollingFailure = null;
    try {
      await this.bot.init(timeoutSignal(START_TIMEOUT_MS));
    } catch (err) {
      throw mapTelegramError(err);
    }
    if (this.settings.mode === 'webhook') return this.setWebhook();

    await new Promise<void>((resolve, reject) => {
      let started = false;
      this.polling = this.bot
        .start({
          drop_pending_updates: false,
          allowed_updates: [...ALLOWED_UPDATES],
          timeout: LONG_POLL_SECONDS,
          onStart: (me) => {
            started = true;
            this.log.info({ bot: me.username }, 'telegram long polling started');
            resolve();
          },
        })
        .catch((err: unknown) => {
          const mapped = mapTelegramError(err);
          if (!started) return reject(mapped);
          // 401 (token revoked) and 409 (another poller) end grammY's loop; /readyz says so.
          this.pollingFailure = mapped.message;
          this.log.error({ error: mapped.message }, 'telegram long polling stopped');
        });
    });
  }

  private async setWebhook(): Promise<void> {
    const { publicUrl, webhookSecret } = this.settings;
    if (!publicUrl) throw new PlatformPermanentError('not_configured', 'PARLEY_PUBLIC_URL: required with PARLEY_TELEGRAM_MODE=webhook');
    const url = `${publicUrl}${WEBHOOK_PATH}`;
    try {
      await this.bot.api.setWebhook(url, {
        allowed_updates: [...ALLOWED_UPDATES],
        drop_pending_updates: false,
        ...(webhookSecret ? { secret_token: webhookSecret } : {}),
      });
    } catch (err) {
      throw mapTelegramError(err);
    }
    this.log.info({ url }, 'telegram webhook set');
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.bot.isRunning()) {
      await this.bot.stop().catch((err: unknown) => this.log.warn({ error: mapTelegramError(err).message }, 'telegram: confirming the last update failed'));
    }
    // The polling loop ends after the batch it is handling; webhook updates are awaited one by one.
    await this.polling;
    this.polling = null;
    await Promise.allSettled([...this.inFlight]);
    // The webhook stays set on purpose: another process may be serving it, and Telegram keeps updates meanwhile.
  }

  async health(): Promise<{ ok: boolean; detail?: string }> {
    if (this.pollingFailure) return { ok: false, detail: `long polling stopped: ${this.pollingFailure}` };
    try {
      const me = await this.bot.api.getMe(timeoutSignal(HEALTH_TIMEOUT_MS));
      // Polling mode without a running poll: another process holds the lease, or this one only sends.
      const standby = this.settings.mode === 'polling' && !this.bot.isRunning() ? ', not polling in this process' : '';
      return { ok: true, detail: `@${me.username} (${this.settings.mode}${standby})` };
    } catch (err) {
      return { ok: false, detail: mapTelegramError(err).message };
    }
  }

  async sendNotification(channel: ChannelRecord, notification: Notification, opts: SendOptions): Promise<{ messageRef: string | null }> {
    const text = formatNotification(notification);
    const replyTo = messageIdOf(opts.threadRoot);
    // Telegram has no duplicate guard for sendMessage, so opts.idempotencyKey has nowhere to go.
    const send = (threaded: boolean) =>
      this.bot.api.sendMessage(
        channel.externalId,
        text,
        {
          parse_mode: 'HTML',
          link_preview_options: { is_disabled: true },
          ...(threaded && replyTo !== null ? { reply_parameters: { message_id: replyTo, allow_sending_without_reply: true } } : {}),
        },
        timeoutSignal(SEND_TIMEOUT_MS),
      );
    try {
      const sent = await send(true);
      return { messageRef: String(sent.message_id) };
    } catch (err) {
      if (replyTo === null || !isLostReplyTarget(err)) throw mapTelegramError(err);
    }
    // The topic's first announcement (or its forum thread) is gone: announce without the reply.
    try {
      const sent = await send(false);
      return { messageRef: String(sent.message_id) };
    } catch (err) {
      throw mapTelegramError(err);
    }
  }

  async editNotification(channel: ChannelRecord, messageRef: string, notification: Notification): Promise<void> {
    const messageId = messageIdOf(messageRef);
    if (messageId === null) return;
    try {
      await this.bot.api.editMessageText(
        channel.externalId,
        messageId,
        formatNotification(notification),
        { parse_mode: 'HTML', link_preview_options: { is_disabled: true } },
        timeoutSignal(SEND_TIMEOUT_MS),
      );
    } catch (err) {
      if (isUnchanged(err)) return;
      throw mapTelegramError(err);
    }
  }

  async deleteNotification(channel: ChannelRecord, messageRef: string): Promise<void> {
    const messageId = messageIdOf(messageRef);
    if (messageId === null) return;
    try {
      await this.bot.api.deleteMessage(channel.externalId, messageId, timeoutSignal(SEND_TIMEOUT_MS));
    } catch (err) {
      throw mapTelegramError(err);
    }
  }

  async memberRole(invocation: CommandInvocation): Promise<MemberRole> {
    // Their own chat with the bot.
    if (invocation.channel.isPrivate) return { role: 'moderator' };
    // Only a chat's administrators can post as the chat itself.
    if (invocation.platformContext?.anonymousAdmin === 'true') return { role: 'moderator' };
    const userId = Number(invocation.user.id);
    if (!Number.isSafeInteger(userId)) return { role: 'unknown', why: `"${invocation.user.id}" is not a Telegram user id` };
    try {
      const member = await this.bot.api.getChatMember(invocation.channel.externalId, userId, timeoutSignal(SEND_TIMEOUT_MS));
      return roleFromChatMember(member);
    } catch (err) {
      return { role: 'unknown', why: `could not ask Telegram for the user's role: ${mapTelegramError(err).message}` };
    }
  }

  /**
   * A later answer (a transcript's link or failure) as a reply to the command message, in parts if long.
   * Throws the delivery errors of lib/errors.ts, so the job that calls it can retry.
   */
  async replyLater(invocation: CommandInvocation, reply: CommandReply): Promise<void> {
    if (!reply.text.trim()) return;
    const chatId = invocation.channel.externalId;
    const replyTo = messageIdOf(invocation.platformContext?.messageId ?? null);
    const threadId = messageIdOf(invocation.platformContext?.threadId ?? null);
    // Cut the plain text, then escape: the limit counts the text as shown, not its HTML.
    for (const part of splitMessage(reply.text)) {
      const send = (inThread: boolean) =>
        this.bot.api.sendMessage(
          chatId,
          escapeHtml(part),
          {
            parse_mode: 'HTML',
            link_preview_options: { is_disabled: true },
            ...(replyTo !== null ? { reply_parameters: { message_id: replyTo, allow_sending_without_reply: true } } : {}),
            ...(inThread && threadId !== null ? { message_thread_id: threadId } : {}),
          },
          timeoutSignal(SEND_TIMEOUT_MS),
        );
      try {
        await send(true);
        continue;
      } catch (err) {
        if (threadId === null || !isLostReplyTarget(err)) throw mapTelegramError(err);
      }
      // The forum topic the command was typed in is gone: answer in the chat's general thread.
      try {
        await send(false);
      } catch (err) {
        throw mapTelegramError(err);
      }
    }
  }

  async progress(invocation: CommandInvocation, text: string, ref: string | null): Promise<string | null> {
    const chatId = invocation.channel.externalId;
    const messageId = messageIdOf(ref);
    try {
      if (messageId !== null) {
        await this.bot.api.editMessageText(chatId, messageId, escapeHtml(text), { parse_mode: 'HTML' }, timeoutSignal(SEND_TIMEOUT_MS));
        return ref;
      }
      const replyTo = messageIdOf(invocation.platformContext?.messageId ?? null);
      const sent = await this.bot.api.sendMessage(
        chatId,
        escapeHtml(text),
        { parse_mode: 'HTML', ...(replyTo !== null ? { reply_parameters: { message_id: replyTo, allow_sending_without_reply: true } } : {}) },
        timeoutSignal(SEND_TIMEOUT_MS),
      );
      return String(sent.message_id);
    } catch (err) {
      throw mapTelegramError(err);
    }
  }

  private async onText(ctx: Context, message: Message & { text: string }): Promise<void> {
    if (message.forward_origin || message.is_automatic_forward) return;
    const anonymousAdmin = message.sender_chat?.id === message.chat.id;
    // Other bots (and channels posting into a group) are not people issuing commands; loops start that way.
    if (!message.from || (message.from.is_bot && !anonymousAdmin)) return;
    const parsed = parseCommand(message.text, ctx.me.username, COMMAND_WORDS);
    if (!parsed) return;

    const invocation = this.invocationOf(message, message.from, parsed, anonymousAdmin);
    let reply: CommandReply;
    try {
      reply = await this.deps.handleCommand(invocation);
    } catch (err) {
      this.log.error({ error: err instanceof Error ? err.message : String(err), chat: invocation.channel.externalId }, 'telegram command failed');
      reply = { text: FAILED_COMMAND_REPLY, visibility: 'channel' };
    }
    // The command may have registered this chat: its next messages belong in the log at once.
    this.messageLog.forget(invocation.channel.externalId);
    await this.replyTo(ctx, message, reply.text);
  }

  /** The bot's own membership changed: added to a chat (register it, active or pending) or removed (mark it). */
  private async onMembership(update: ChatMemberUpdated): Promise<void> {
    const inChat = (m: ChatMember) => m.status === 'creator' || m.status === 'administrator' || m.status === 'member' || (m.status === 'restricted' && m.is_member);
    const was = inChat(update.old_chat_member);
    const is = inChat(update.new_chat_member);
    if (was === is) return; // promoted, restricted, …: still there
    const chat = update.chat;
    const from = update.from;
    const reply = await this.deps.handleMembership({
      platform: 'telegram',
      channel: { externalId: String(chat.id), name: chatName(chat), isPrivate: chat.type === 'private' },
      by: from.is_bot ? null : { id: String(from.id), username: from.username ?? '', displayName: fullName(from) },
      change: is ? 'added' : 'removed',
    });
    if (!reply || !is || !reply.text.trim()) return;
    try {
      await this.bot.api.sendMessage(chat.id, escapeHtml(reply.text), { parse_mode: 'HTML', link_preview_options: { is_disabled: true } }, timeoutSignal(SEND_TIMEOUT_MS));
    } catch (err) {
      this.log.warn({ chat: chat.id, error: mapTelegramError(err).message }, 'could not greet the chat the bot was added to');
    }
  }

  private invocationOf(message: Message, from: User, parsed: ParsedCommand, anonymousAdmin: boolean): CommandInvocation {
    const chat = message.chat;
    // What replyLater needs to answer the command where it was typed.
    const platformContext: Record<string, string> = { messageId: String(message.message_id) };
    if (message.is_topic_message && message.message_thread_id !== undefined) platformContext.threadId = String(message.message_thread_id);
    if (anonymousAdmin) platformContext.anonymousAdmin = 'true';
    return {
      platform: 'telegram',
      command: parsed.command,
      args: parsed.args,
      channel: { externalId: String(chat.id), name: chatName(chat), isPrivate: chat.type === 'private' },
      user: anonymousAdmin
        ? { id: String(from.id), username: from.username ?? '', displayName: `${chatName(chat)} (anonymous admin)` }
        : { id: String(from.id), username: from.username ?? '', displayName: fullName(from) },
      platformContext,
    };
  }

  /** Telegram has no ephemeral messages: every reply goes to the chat, as a reply to the command. */
  private async replyTo(ctx: Context, message: Message, text: string): Promise<void> {
    if (!text.trim()) return;
    for (const part of splitMessage(text)) {
      try {
        await ctx.api.sendMessage(message.chat.id, part, {
          reply_parameters: { message_id: message.message_id, allow_sending_without_reply: true },
          link_preview_options: { is_disabled: true },
          // In a forum supergroup the reply stays in the command's topic even if the command was deleted.
          ...(message.is_topic_message && message.message_thread_id !== undefined ? { message_thread_id: message.message_thread_id } : {}),
        });
      } catch (err) {
        this.log.warn({ error: mapTelegramError(err).message, chat: String(message.chat.id) }, 'telegram: could not send a command reply');
        return;
      }
    }
  }
}
