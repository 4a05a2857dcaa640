// What the Slack adapter puts in a command's platformContext and reads again: the core carries it along
// (also inside a transcript job) and never looks inside.

export interface SlackContext {
  /** The slash command's response_url: later answers and progress go there while it lasts. */
  responseUrl?: string;
  /** When Parley got the command (ms since the epoch); Slack takes answers at response_url for 30 minutes. */
  receivedAt?: number;
}
