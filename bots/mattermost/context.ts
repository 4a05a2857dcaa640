// What the Mattermost adapter puts in a command's platformContext and reads again: the core carries it along
// (also inside a transcript job) and never looks inside.

export interface MattermostContext {
  /** The team the command was typed in: a team admin is a moderator (memberRole). */
  teamId?: string;
  /** The slash command's response_url: later answers go there while it lasts (replyLater). */
  responseUrl?: string;
  /** When Parley got the command (ms since the epoch); response_url takes answers for 30 minutes after it. */
  receivedAt?: number;
}
