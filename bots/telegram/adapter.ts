// The Telegram adapter: grammY over long polling or a webhook (./receiver-*.ts) brings updates in, ./inbound.ts
// says what they mean, ./sender.ts says everything Parley says. This file puts them together and answers for
// the platform as a whole: start, stop, health, and who moderates a chat.
import type { FastifyInstance } from 'fastify';
import { Bot } from 'grammy';
import type { ChatMember } from 'grammy/types';
import { InFlight } from '../../lib/adapters/in-flight.js';
import type { Logger } from '../../lib/log.js';
import type { Notification } from '../../lib/notification.js';
import type { CommandInvocation, CommandReply } from '../../lib/seams/invocation.js';
import type { AdapterDeps, MemberRole, PlatformAdapter, RateLimits, SendOptions } from '../../lib/seams/platform.js';
import type { ChannelRecord } from '../../lib/seams/store.js';
import { SEND_TIMEOUT_MS, timeoutSignal } from './api.js';
import type { TelegramContext } from './context.js';
import { mapTelegramError, normalizeForeignErrors } from './errors.js';
import { TelegramInbound } from './inbound.js';
import { LONG_POLL_SECONDS, PollingReceiver } from './receiver-polling.js';
import { WebhookReceiver } from './receiver-webhook.js';
import { TelegramSender } from './sender.js';
import type { TelegramSettings } from './settings.js';

/** Under /readyz's own 3 s limit, so a slow Telegram reads as "not ready" with a reason. */
const HEALTH_TIMEOUT_MS = 2_500;

export interface TelegramAdapterOptions {
  /** Polling: the least time between two empty long polls (default 300 ms; see pollFloor). */
  minEmptyPollMs?: number;
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

export class TelegramAdapter implements PlatformAdapter<TelegramContext> {
  readonly platform = 'telegram' as const;
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
  private readonly log: Logger;
  /** Updates being handled: stop() lets them finish. */
  private readonly inFlight = new InFlight();
  private readonly sender: TelegramSender;
  private readonly receiver: PollingReceiver | WebhookReceiver;

  constructor(deps: AdapterDeps, settings: TelegramSettings, opts: TelegramAdapterOptions = {}) {
    // One getUpdates loop per token; webhook mode has no connection of its own.
    this.uniqueConnection = settings.mode === 'polling';
    this.log = deps.log.child({ platform: 'telegram' });
    // The client timeout must outlast a long poll.
    this.bot = new Bot(settings.token, { client: { apiRoot: settings.apiRoot, timeoutSeconds: LONG_POLL_SECONDS + 30 } });
    this.bot.api.config.use(normalizeForeignErrors);
    this.sender = new TelegramSender(this.bot.api, this.log);
    this.receiver = settings.mode === 'webhook' ? new WebhookReceiver(this.bot, settings, this.log) : new PollingReceiver(this.bot, this.log, opts.minEmptyPollMs);

    this.bot.use((_ctx, next) => this.inFlight.track(next()));
    new TelegramInbound(deps, this.sender, this.log).install(this.bot);
    // Long polling only: a failed update is logged and the loop goes on.
    this.bot.catch((err) => this.log.error({ err: mapTelegramError(err.error) }, 'telegram update failed'));
  }

  registerRoutes(app: FastifyInstance): void {
    // Long polling has no route.
    if (this.receiver.mode === 'webhook') this.receiver.registerRoutes(app);
  }

  async start(): Promise<void> {
    await this.receiver.start();
  }

  async stop(): Promise<void> {
    await this.receiver.stop();
    await this.inFlight.drain();
  }

  async health(): Promise<{ ok: boolean; detail?: string }> {
    const receiver = this.receiver;
    if (receiver.mode === 'polling' && receiver.failure) return { ok: false, detail: `long polling stopped: ${receiver.failure}` };
    try {
      const me = await this.bot.api.getMe(timeoutSignal(HEALTH_TIMEOUT_MS));
      // Polling mode without a running poll: another process holds the lease, or this one only sends.
      const standby = receiver.mode === 'polling' && !receiver.running ? ', not polling in this process' : '';
      return { ok: true, detail: `@${me.username} (${receiver.mode}${standby})` };
    } catch (err) {
      return { ok: false, detail: mapTelegramError(err).message };
    }
  }

  sendNotification(channel: ChannelRecord, notification: Notification, opts: SendOptions): Promise<{ messageRef: string | null }> {
    return this.sender.sendNotification(channel, notification, opts);
  }

  editNotification(channel: ChannelRecord, messageRef: string, notification: Notification): Promise<void> {
    return this.sender.editNotification(channel, messageRef, notification);
  }

  deleteNotification(channel: ChannelRecord, messageRef: string): Promise<void> {
    return this.sender.deleteNotification(channel, messageRef);
  }

  replyLater(invocation: CommandInvocation<TelegramContext>, reply: CommandReply): Promise<void> {
    return this.sender.replyLater(invocation, reply);
  }

  progress(invocation: CommandInvocation<TelegramContext>, text: string, ref: string | null): Promise<string | null> {
    return this.sender.progress(invocation, text, ref);
  }

  async memberRole(invocation: CommandInvocation<TelegramContext>): Promise<MemberRole> {
    // Their own chat with the bot.
    if (invocation.channel.isPrivate) return { role: 'moderator' };
    // Only a chat's administrators can post as the chat itself.
    if (invocation.platformContext?.anonymousAdmin === true) return { role: 'moderator' };
    const userId = Number(invocation.user.id);
    if (!Number.isSafeInteger(userId)) return { role: 'unknown', why: `"${invocation.user.id}" is not a Telegram user id` };
    try {
      const member = await this.bot.api.getChatMember(invocation.channel.externalId, userId, timeoutSignal(SEND_TIMEOUT_MS));
      return roleFromChatMember(member);
    } catch (err) {
      return { role: 'unknown', why: `could not ask Telegram for the user's role: ${mapTelegramError(err).message}` };
    }
  }
}
