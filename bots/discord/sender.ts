// Everything Parley says in Discord: notifications (embeds, one enforced nonce per delivery, so a retried send
// does not post twice), threaded under the topic's announcement for `thread` rules (a thread started from a
// message has the message's id) or as one post per topic in a forum channel, edited and deleted by reference;
// and answers to commands: the interaction's own reply while its token lasts, else a message in the channel.
import { ChannelType, Routes, type APIChannel, type APIMessage, type REST } from 'discord.js';
import { PlatformPermanentError } from '../../lib/errors.js';
import type { Logger } from '../../lib/log.js';
import type { Notification } from '../../lib/notification.js';
import type { CommandInvocation, CommandReply } from '../../lib/seams/invocation.js';
import type { PlatformAdapter } from '../../lib/seams/platform.js';
import type { DiscordContext } from './context.js';
import { DiscordCode, discordErrorCode, mapDiscordError } from './errors.js';
import { breakMassMentions, clipText, discordEdit, discordMessage, escapeDiscordMarkdown, noMentions, threadName } from './format.js';
import type { ChannelTypes } from './channel-types.js';
import { discordCall } from './rest.js';

/** Discord's limit on a message's content for bots. */
export const MAX_CONTENT = 2000;
/** An interaction token works for 15 minutes; a minute is kept in hand. */
export const INTERACTION_TOKEN_LIFETIME_MS = 14 * 60_000;
/** Threads Parley opens archive after a week without messages (Discord's longest auto-archive). */
const AUTO_ARCHIVE_MINUTES = 10_080;

/** Plain text from the core as Discord content: markdown escaped, nobody pinged, within the limit. */
export function contentOf(text: string): string {
  return clipText(escapeDiscordMarkdown(breakMassMentions(text)), MAX_CONTENT);
}

/**
 * A sent message's reference: `MESSAGE` in the channel itself, `THREAD/MESSAGE` inside a thread or forum post,
 * so edits and deletes know where it is.
 */
export function parseRef(channelId: string, ref: string): { channelId: string; messageId: string } {
  const [first, second] = ref.split('/');
  return second ? { channelId: first!, messageId: second } : { channelId, messageId: first! };
}

export type DiscordSenderMethods = Pick<
  Required<PlatformAdapter<DiscordContext>>,
  'sendNotification' | 'editNotification' | 'deleteNotification' | 'replyLater' | 'progress'
>;

export class DiscordSender implements DiscordSenderMethods {
  constructor(
    private readonly rest: REST,
    private readonly applicationId: string,
    private readonly log: Logger,
    /** A forum channel takes posts, not messages. */
    private readonly types: ChannelTypes,
    /** The announcement of a topic's first post in a channel (the store's deliveries), for replies in a forum channel. */
    private readonly topicRoot: (channelId: number, thread: string) => Promise<string | null> = async () => null,
  ) {}

  async sendNotification(channel: { id: number; externalId: string }, n: Notification, opts: { threadRoot: string | null; idempotencyKey: string }): Promise<{ messageRef: string | null }> {
    const body = discordMessage(n, { idempotencyKey: opts.idempotencyKey });
    // In a forum channel every rule keeps one post per topic: a reply goes into its topic's post, whatever the rule.
    const root = opts.threadRoot ?? (n.kind === 'reply' && (await this.types.of(channel.externalId)) === ChannelType.GuildForum ? await this.topicRoot(channel.id, n.thread) : null);
    const thread = root ? await this.threadOf(channel.externalId, root, n) : null;
    if (thread !== null) {
      try {
        const sent = (await this.rest.post(Routes.channelMessages(thread), { body })) as APIMessage;
        return { messageRef: `${thread}/${sent.id}` };
      } catch (err) {
        // The thread was deleted (or the forum post, with its announcement): the reply goes where a first post would.
        if (discordErrorCode(err) !== DiscordCode.UnknownChannel) throw mapDiscordError(err);
        this.log.debug({ thread }, 'discord: the thread of the announcement is gone; posting in the channel');
      }
    }
    if ((await this.types.of(channel.externalId)) === ChannelType.GuildForum) {
      // A forum channel: one post (a thread) per topic; its first message has the thread's id. A post's message
      // takes no nonce (Discord's forum thread message has none), so only the embed and the mention guard.
      const message = { embeds: body.embeds, allowed_mentions: body.allowed_mentions };
      const post = await discordCall<APIChannel>(() =>
        this.rest.post(Routes.threads(channel.externalId), { body: { name: threadName(n.title), auto_archive_duration: AUTO_ARCHIVE_MINUTES, message } }),
      );
      return { messageRef: `${post.id}/${post.id}` };
    }
    const sent = await discordCall<APIMessage>(() => this.rest.post(Routes.channelMessages(channel.externalId), { body }));
    return { messageRef: sent.id };
  }

  async editNotification(channel: { externalId: string }, ref: string, n: Notification): Promise<void> {
    const at = parseRef(channel.externalId, ref);
    await this.inMessage(channel.externalId, at, () => this.rest.patch(Routes.channelMessage(at.channelId, at.messageId), { body: discordEdit(n) }));
  }

  async deleteNotification(channel: { externalId: string }, ref: string): Promise<void> {
    const at = parseRef(channel.externalId, ref);
    await this.inMessage(channel.externalId, at, () => this.rest.delete(Routes.channelMessage(at.channelId, at.messageId)));
  }

  /** A call on a sent message; in a thread (or forum post) that is gone, the message is gone with it. */
  private async inMessage(channelId: string, at: { channelId: string; messageId: string }, call: () => Promise<unknown>): Promise<void> {
    try {
      await call();
    } catch (err) {
      if (at.channelId !== channelId && discordErrorCode(err) === DiscordCode.UnknownChannel) {
        const mapped = mapDiscordError(err);
        throw new PlatformPermanentError('message_not_found', `The message is gone with its thread (deleted in Discord): ${mapped.message}`, mapped instanceof PlatformPermanentError ? mapped.raw : undefined);
      }
      throw mapDiscordError(err);
    }
  }

  /** Says something in a channel as the bot. */
  async say(channelId: string, text: string, replyTo?: string): Promise<string> {
    const sent = await discordCall<APIMessage>(() =>
      this.rest.post(Routes.channelMessages(channelId), {
        body: { content: contentOf(text), allowed_mentions: noMentions(), ...(replyTo ? { message_reference: { message_id: replyTo, fail_if_not_exists: false } } : {}) },
      }),
    );
    return sent.id;
  }

  async replyLater(invocation: CommandInvocation<DiscordContext>, reply: CommandReply): Promise<void> {
    if (!reply.text.trim()) return;
    const token = this.liveToken(invocation);
    const body = { content: contentOf(reply.text), allowed_mentions: noMentions() };
    if (token) {
      // For the user alone: the deferred (ephemeral) answer becomes it. For everyone: a follow-up message, or the
      // channel after a deferral (sayInsteadOfDeferred).
      if (reply.visibility === 'ephemeral') await discordCall(() => this.rest.patch(Routes.webhookMessage(this.applicationId, token, '@original'), { body, auth: false }));
      else if (invocation.platformContext?.deferred) await this.sayInsteadOfDeferred(invocation, reply.text, token, body);
      else await discordCall(() => this.rest.post(Routes.webhook(this.applicationId, token), { body, auth: false }));
      return;
    }
    // The token has expired (a long transcript) or this was a text command: the channel is the way left.
    await this.say(invocation.channel.externalId, reply.text, invocation.platformContext?.messageId);
  }

  /** Edits the command's deferred answer (or, for a text command, Parley's reply to it) to show `text`. */
  async progress(invocation: CommandInvocation<DiscordContext>, text: string, ref: string | null): Promise<string | null> {
    const token = this.liveToken(invocation);
    const body = { content: contentOf(text), allowed_mentions: noMentions() };
    if (token) {
      await discordCall(() => this.rest.patch(Routes.webhookMessage(this.applicationId, token, '@original'), { body, auth: false }));
      return '@original';
    }
    const channelId = invocation.channel.externalId;
    if (ref && ref !== '@original') {
      await discordCall(() => this.rest.patch(Routes.channelMessage(channelId, ref), { body }));
      return ref;
    }
    return this.say(channelId, text, invocation.platformContext?.messageId);
  }

  /**
   * An answer for everyone after an ephemeral deferral: Discord makes the first follow-up of a deferred response
   * as ephemeral as the deferral, so the answer is said in the channel and the "thinking…" answer deleted. Where
   * the bot may not post, the user at least sees it in place of the deferral.
   */
  private async sayInsteadOfDeferred(invocation: CommandInvocation<DiscordContext>, text: string, token: string, body: { content: string }): Promise<void> {
    try {
      await this.say(invocation.channel.externalId, text);
    } catch (err) {
      this.log.debug({ err: (err as Error).message }, 'discord: could not say a late answer in the channel; it replaces the deferral');
      await discordCall(() => this.rest.patch(Routes.webhookMessage(this.applicationId, token, '@original'), { body, auth: false }));
      return;
    }
    await this.rest.delete(Routes.webhookMessage(this.applicationId, token, '@original'), { auth: false }).catch(() => undefined);
  }

  private liveToken(invocation: CommandInvocation<DiscordContext>): string | null {
    const context = invocation.platformContext;
    if (!context?.interactionToken) return null;
    const age = Date.now() - Number(context.receivedAt ?? 0);
    return age < INTERACTION_TOKEN_LIFETIME_MS ? context.interactionToken : null;
  }

  /**
   * The thread for replies under an announcement: the forum post it is, or the thread started from it (opened now
   * if need be); null when the announcement was deleted in Discord (the reply then goes to the channel).
   */
  private async threadOf(channelId: string, root: string, n: Notification): Promise<string | null> {
    const at = parseRef(channelId, root);
    if (at.channelId !== channelId) return at.channelId;
    try {
      await this.rest.post(Routes.threads(channelId, at.messageId), { body: { name: threadName(n.title), auto_archive_duration: AUTO_ARCHIVE_MINUTES } });
    } catch (err) {
      const code = discordErrorCode(err);
      if (code === DiscordCode.UnknownMessage) {
        this.log.debug({ message: at.messageId }, 'discord: the announcement is gone; posting in the channel');
        return null;
      }
      // Opened already (by an earlier reply, or a person): its id is the message's.
      if (code !== DiscordCode.ThreadAlreadyCreated) throw mapDiscordError(err);
    }
    return at.messageId;
  }
}
