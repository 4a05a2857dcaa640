// Who is in the bot's channels, with their channel modes and services accounts, as NAMES, JOIN, MODE, NICK, PART,
// KICK and QUIT tell it (docs/rules.md#who-may-change-rules): the channel operators (and half-operators) who may
// change rules there. Names compare under the network's CASEMAPPING, as the server compares them. Pure state.

/** RFC 1459 folding, most networks' default: `[]\~` are the upper case of `{}|^`. */
export function foldRfc1459(text: string): string {
  return text.toLowerCase().replace(/[[\]\\~]/gu, (c) => ({ '[': '{', ']': '}', '\\': '|', '~': '^' })[c]!);
}

/** The fold for the network's ISUPPORT CASEMAPPING. */
export function caseFolder(casemapping: string | undefined): (text: string) => string {
  if (casemapping === 'ascii') return (t) => t.replace(/[A-Z]/gu, (c) => c.toLowerCase());
  if (casemapping === 'strict-rfc1459') return (t) => t.toLowerCase().replace(/[[\]\\]/gu, (c) => ({ '[': '{', ']': '}', '\\': '|' })[c]!);
  return foldRfc1459;
}

/**
 * The channel modes that make a moderator, from ISUPPORT PREFIX (highest first, as `(qaohv)~&@%+`): half-operator
 * and everything above it where the network has half-operators, else operator and above. Voice is not one.
 */
export function moderatorModes(prefix: readonly { mode: string }[]): Set<string> {
  const modes = prefix.map((p) => p.mode);
  const lowest = modes.includes('h') ? modes.indexOf('h') : modes.indexOf('o');
  return new Set(lowest >= 0 ? modes.slice(0, lowest + 1) : ['o']);
}

export interface Member {
  /** As the server last spelled it. */
  nick: string;
  modes: Set<string>;
}

export class ChannelMembers {
  private readonly channels = new Map<string, Map<string, Member>>();
  /** Services accounts by folded nick: a string, null for "logged out", absent for "not known". */
  private readonly accounts = new Map<string, string | null>();
  fold: (text: string) => string = foldRfc1459;
  moderators: Set<string> = new Set(['o', 'h']);

  /** A NAMES reply: the channel's members as they are now. */
  names(channel: string, users: readonly { nick: string; modes: readonly string[] }[]): void {
    const members = new Map<string, Member>();
    for (const u of users) members.set(this.fold(u.nick), { nick: u.nick, modes: new Set(u.modes) });
    this.channels.set(this.fold(channel), members);
  }

  join(channel: string, nick: string, account?: string | false): void {
    const key = this.fold(channel);
    const members = this.channels.get(key) ?? new Map<string, Member>();
    this.channels.set(key, members);
    members.set(this.fold(nick), { nick, modes: new Set() });
    if (account !== undefined) this.account(nick, account);
  }

  /** Someone left a channel (PART or KICK). */
  leave(channel: string, nick: string): void {
    this.channels.get(this.fold(channel))?.delete(this.fold(nick));
  }

  /** The bot itself left the channel: nothing more is known of it. */
  forgetChannel(channel: string): void {
    this.channels.delete(this.fold(channel));
  }

  quit(nick: string): void {
    const key = this.fold(nick);
    for (const members of this.channels.values()) members.delete(key);
    this.accounts.delete(key);
  }

  rename(from: string, to: string): void {
    const [oldKey, newKey] = [this.fold(from), this.fold(to)];
    for (const members of this.channels.values()) {
      const member = members.get(oldKey);
      if (!member) continue;
      members.delete(oldKey);
      members.set(newKey, { ...member, nick: to });
    }
    const account = this.accounts.get(oldKey);
    this.accounts.delete(oldKey);
    if (account !== undefined) this.accounts.set(newKey, account);
  }

  /** MODE on a channel: `+o nick`, `-h nick`; modes that are not about a member are ignored. */
  mode(channel: string, changes: readonly { mode: string; param?: string }[]): void {
    const members = this.channels.get(this.fold(channel));
    if (!members) return;
    for (const { mode, param } of changes) {
      const member = param ? members.get(this.fold(param)) : undefined;
      if (!member || mode.length !== 2) continue;
      if (mode[0] === '+') member.modes.add(mode[1]!);
      else member.modes.delete(mode[1]!);
    }
  }

  /** account-notify, extended-join, account-tag: the nick's services account, or false when logged out. */
  account(nick: string, account: string | false): void {
    this.accounts.set(this.fold(nick), account === false || account === '*' ? null : account);
  }

  /** The nick's account: a name, null when known to be logged out, undefined when the network has not said. */
  accountOf(nick: string): string | null | undefined {
    return this.accounts.get(this.fold(nick));
  }

  /** A moderator of the channel, a member, or not in it (or the channel is not known). */
  role(channel: string, nick: string): 'moderator' | 'member' | 'absent' {
    const member = this.channels.get(this.fold(channel))?.get(this.fold(nick));
    if (!member) return 'absent';
    return [...member.modes].some((m) => this.moderators.has(m)) ? 'moderator' : 'member';
  }

  /** The nicks in a channel, for breaking them in forum text. */
  nicks(channel: string): string[] {
    return [...(this.channels.get(this.fold(channel))?.values() ?? [])].map((m) => m.nick);
  }

  knows(channel: string): boolean {
    return this.channels.has(this.fold(channel));
  }
}

/**
 * Who typed a message, as the command core and the message log see them: the services account where the network
 * says (never the nick alone: anyone may take a free nick), else the full nick!user@host, which no account name can
 * equal. The username (the forum's same-name link, `ignore:`) is the account, or empty for a nick without one.
 */
export function chatUserOf(who: { nick: string; ident: string; hostname: string }, account: string | null | undefined): { id: string; username: string; displayName: string } {
  if (account) return { id: account, username: account, displayName: who.nick };
  return { id: `${who.nick}!${who.ident}@${who.hostname}`, username: '', displayName: who.nick };
}
