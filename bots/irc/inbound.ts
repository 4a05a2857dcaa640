// What the IRC connection hears, to Parley: every channel message goes to the message log (IRC servers keep no
// history, so transcripts read what Parley saw); a message that is one of our commands goes to the core, and its
// answer back as a NOTICE; an INVITE from a channel operator registers the channel (the core's
// commands/membership.ts); a KICK of the bot marks its channel. Channel members and modes go to ./members.ts.
import type { Client, MessageEvent } from 'irc-framework';
import { globMatcher } from '../../lib/adapters/glob.js';
import type { Logger } from '../../lib/log.js';
import { parseTextCommand, type CommandInvocation } from '../../lib/seams/invocation.js';
import type { AdapterDeps } from '../../lib/seams/platform.js';
import type { ChatMessage } from '../../lib/transcript/types.js';
import type { IrcConnection } from './connection.js';
import type { IrcContext } from './context.js';
import { stripFormatting } from './format.js';
import { chatUserOf } from './members.js';
import type { IrcSender } from './sender.js';

/** How long an invitation waits for the channel's member list, to see whether the inviter is an operator there. */
const NAMES_WAIT_MS = 10_000;

/** Said to someone who types a command to the bot in a private message: subscriptions belong to channels. */
export const PRIVATE_COMMAND_TEXT = 'Parley\'s commands work in a channel the bot is in: type !discourse help there.';

/** A channel message as a transcript sees it: formatting stripped, an action as `_* nick waves_`. */
export function toChatMessage(e: Pick<MessageEvent, 'nick' | 'ident' | 'hostname' | 'message'>, kind: 'privmsg' | 'action', id: string, at: Date, account: string | null | undefined): ChatMessage | null {
  const text = stripFormatting(e.message).trim();
  if (!text) return null;
  const who = chatUserOf(e, account);
  // `ignore:bob` names a nick on IRC, where few people have an account.
  const author = { id: who.id, username: account ?? e.nick, displayName: e.nick, isBot: false };
  // Markdown's own characters in chat text are literal: escaped so that the forum shows them as typed.
  const escaped = text.replace(/([\\`*_[\]<>#|~])/gu, '\\$1');
  return { id, author, sentAt: at, markdown: kind === 'action' ? `_\\* ${e.nick} ${escaped}_` : escaped, attachments: [] };
}

export class IrcInbound {
  private readonly allowed: (who: string) => boolean;
  private sequence = 0;

  constructor(
    private readonly deps: Pick<AdapterDeps, 'handleCommand' | 'handleMembership' | 'messageLog' | 'store'>,
    private readonly connection: IrcConnection,
    private readonly sender: IrcSender,
    allowedInviters: readonly string[],
    private readonly log: Logger,
    private readonly track: <T>(work: Promise<T>) => Promise<T>,
  ) {
    // Globs with `!` or `@` are masks (nick!user@host); the others name services accounts.
    const masks = globMatcher(allowedInviters.filter((g) => /[!@]/u.test(g)));
    const accounts = globMatcher(allowedInviters.filter((g) => !/[!@]/u.test(g)));
    this.allowed = (who) => (who.includes('!') ? masks(who) : accounts(who));
  }

  /** Binds the handlers to a new connection's client. */
  attach(client: Client): void {
    const members = this.connection.members;
    const isChannel = (target: string) => /^[#&+!]/u.test(target);
    const handled = (work: () => Promise<void>) => {
      void this.track(work()).catch((err: Error) => this.log.warn({ err: err.message }, 'irc: could not handle a message'));
    };
    client.on('privmsg', (e) => {
      if (e.from_server) return;
      if (isChannel(e.target)) handled(() => this.onMessage(e, 'privmsg'));
      else if (parseTextCommand(stripFormatting(e.message))) handled(() => this.sender.notice(e.nick, PRIVATE_COMMAND_TEXT));
    });
    client.on('action', (e) => isChannel(e.target) && handled(() => this.onMessage(e, 'action')));
    client.on('userlist', (e) => members.names(e.channel, e.users));
    client.on('join', (e) => members.join(e.channel, e.nick, e.account));
    client.on('part', (e) => members.leave(e.channel, e.nick));
    client.on('quit', (e) => members.quit(e.nick));
    client.on('nick', (e) => members.rename(e.nick, e.new_nick));
    client.on('mode', (e) => isChannel(e.target) && members.mode(e.target, e.modes));
    client.on('account', (e) => members.account(e.nick, e.account));
    client.on('kick', (e) => {
      members.leave(e.channel, e.kicked);
      if (this.connection.fold(e.kicked) === this.connection.fold(client.user.nick)) handled(() => this.onKicked(e.channel, e));
    });
    client.on('invite', (e) => handled(() => this.onInvite(e.channel, e)));
  }

  private async onMessage(e: MessageEvent, kind: 'privmsg' | 'action'): Promise<void> {
    const members = this.connection.members;
    if (e.account) members.account(e.nick, e.account);
    const account = e.account ?? members.accountOf(e.nick);
    const channel = e.target;
    const at = new Date(e.time ?? Date.now());
    // IRC messages have no ids; a server with message-tags gives one (msgid), else Parley numbers them.
    const id = e.tags.msgid ?? `${at.getTime()}-${++this.sequence}`;
    await this.deps.messageLog.record(channel, () => toChatMessage(e, kind, id, at, account));
    if (kind !== 'privmsg') return;
    const parsed = parseTextCommand(stripFormatting(e.message));
    if (!parsed) return;
    const known = await this.deps.store.channels.find('irc', channel);
    const invocation: CommandInvocation<IrcContext> = {
      platform: 'irc',
      command: parsed.command,
      args: parsed.args,
      channel: { externalId: channel, name: known?.name ?? channel, isPrivate: false },
      user: chatUserOf(e, account),
      commandMessageId: id,
      platformContext: { nick: e.nick },
    };
    const reply = await this.deps.handleCommand(invocation);
    // The command may have registered this channel: its next messages belong in the log at once.
    this.deps.messageLog.forget(channel);
    await this.sender.replyLater(invocation, reply).catch((err: Error) => this.log.warn({ err: err.message, channel }, 'irc: could not answer a command'));
  }

  private async onKicked(channel: string, e: { nick: string; ident: string; hostname: string; message: string }): Promise<void> {
    const why = e.message && e.message !== e.nick ? ` ("${e.message}")` : '';
    await this.deps.handleMembership({
      platform: 'irc',
      channel: { externalId: channel, name: channel, isPrivate: false },
      by: chatUserOf(e, this.connection.members.accountOf(e.nick)),
      change: 'removed',
      reason: { code: 'bot_kicked', message: `The bot was kicked from ${channel} by ${e.nick}${why}: /invite it again (as a channel operator)` },
    });
  }

  /**
   * An INVITE: the bot joins and looks at the member list. From a channel operator there, the channel is
   * registered, active if PARLEY_IRC_ALLOWED_INVITERS names the inviter, else pending until an admin accepts it;
   * from anyone else, the bot leaves again.
   */
  private async onInvite(channel: string, e: { nick: string; ident: string; hostname: string }): Promise<void> {
    const members = this.connection.members;
    try {
      await this.connection.join(channel);
    } catch (err) {
      this.log.warn({ channel, inviter: e.nick, err: (err as Error).message }, 'irc: invited, but could not join');
      return;
    }
    const deadline = Date.now() + NAMES_WAIT_MS;
    while (!members.knows(channel) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    if (members.role(channel, e.nick) !== 'moderator') {
      this.log.info({ channel, inviter: e.nick }, 'irc: invited by someone who is not a channel operator there; leaving');
      await this.sender.notice(e.nick, `Only a channel operator of ${channel} may invite Parley there.`).catch(() => undefined);
      await this.connection.part(channel, 'Only channel operators may invite Parley').catch(() => undefined);
      return;
    }
    const account = members.accountOf(e.nick);
    const by = chatUserOf(e, account);
    const reply = await this.deps.handleMembership({
      platform: 'irc',
      channel: { externalId: channel, name: channel, isPrivate: false },
      by,
      change: 'added',
      inviterAllowed: this.allowed(account ?? by.id),
      onlyListedInviters: true,
    });
    const registered = await this.deps.store.channels.find('irc', channel);
    if (registered?.status === 'pending') {
      await this.sender.notice(channel, `Thanks, ${e.nick}. A Parley admin must accept this channel before it gets notifications (parley channels accept irc:${channel}).`).catch(() => undefined);
    } else if (reply?.text.trim()) {
      await this.sender.notice(channel, reply.text).catch(() => undefined);
    }
  }
}
