// Everything Parley says on IRC: notifications as one or two PRIVMSG lines (./format.ts), command answers as
// NOTICEs (to the channel, or to the user alone where the core answers only them), each line within the 512-byte
// limit and written through the connection's pacer. IRC messages have no ids: nothing can be edited, deleted or
// threaded afterwards, so sendNotification returns no messageRef.
import type { Notification } from '../../lib/notification.js';
import type { CommandInvocation, CommandReply } from '../../lib/seams/invocation.js';
import type { SendOptions } from '../../lib/seams/platform.js';
import type { ChannelRecord } from '../../lib/seams/store.js';
import type { IrcConnection } from './connection.js';
import type { IrcContext } from './context.js';
import { connectionElsewhere, notConnected } from './errors.js';
import { ircLines, messageBudget, splitToLines, stripFormatting } from './format.js';

/** A command answer's line made inert: no formatting codes, no control characters (a CTCP, a second line). */
function plainLine(line: string): string {
  // eslint-disable-next-line no-control-regex -- control characters are what must go
  return stripFormatting(line).replace(/[\x00-\x1F\x7F]/gu, ' ').trimEnd();
}

export class IrcSender {
  constructor(
    private readonly connection: IrcConnection,
    /** The channel's key where PARLEY_IRC_CHANNELS gives one. */
    private readonly keyOf: (channel: string) => string | null,
  ) {}

  async sendNotification(channel: ChannelRecord, notification: Notification, _opts: SendOptions): Promise<{ messageRef: string | null }> {
    const target = channel.externalId;
    if (!this.connection.running) throw connectionElsewhere();
    if (!this.connection.connected) throw notConnected(this.connection.failure ?? 'disconnected');
    await this.connection.join(target, this.keyOf(target));
    const lines = ircLines(notification, { maxBytes: messageBudget(target), nicks: this.connection.members.nicks(target) });
    await this.connection.sendConfirmed(target, lines.map((line) => `PRIVMSG ${target} :${line}`));
    return { messageRef: null };
  }

  /** A command's answer: to the channel, or (an answer for the user alone) to their nick. */
  async replyLater(invocation: CommandInvocation, reply: CommandReply): Promise<void> {
    const nick = (invocation.platformContext as IrcContext | undefined)?.nick ?? invocation.user.displayName;
    const to = reply.visibility === 'channel' ? invocation.channel.externalId : nick;
    await this.notice(to, reply.text);
  }

  /** NOTICE, never PRIVMSG, for anything that answers: bots do not answer notices, so two bots never loop. */
  async notice(to: string, text: string): Promise<void> {
    const budget = messageBudget(to);
    const lines = text.split('\n').map(plainLine).filter((l) => l.trim() !== '').flatMap((l) => splitToLines(l, budget));
    if (lines.length === 0) return;
    await this.connection.sendConfirmed(to, lines.map((line) => `NOTICE ${to} :${line}`));
  }
}
