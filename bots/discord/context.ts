// What the Discord adapter puts in a command's platformContext and reads again: the core carries it along
// (also inside a transcript job) and never looks inside.

export interface DiscordContext {
  /** The interaction's token: its answer can be edited and followed up for 15 minutes after receivedAt. */
  interactionToken?: string;
  /** When Parley got the interaction or message (ms since the epoch). */
  receivedAt?: number;
  /** The member's permissions in the channel as Discord computed them (a bitfield, as a decimal string). */
  permissions?: string;
  /** The typed command's message (a text command over the gateway): answers reply to it. */
  messageId?: string;
  /**
   * The interaction's answer was deferred for the user alone: its first follow-up would be ephemeral too
   * (Discord ignores that follow-up's flags), so an answer for everyone goes to the channel instead.
   */
  deferred?: boolean;
}
