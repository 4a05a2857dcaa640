// Slack's settings, from its variables (index.ts reads them). Their own module, so the adapter reads them
// without importing index.ts, which imports the adapter.

/** Slack's Web API, as @slack/web-api calls it (method names are appended). */
export const SLACK_API_URL = 'https://slack.com/api/';

export interface SlackSettings {
  /** The bot token (`xoxb-…`): every Web API call. */
  botToken: string;
  /** Checks requests Slack sends over HTTP; null with Socket Mode only. */
  signingSecret: string | null;
  /** The app-level token (`xapp-…`): receive over Socket Mode instead of HTTP. */
  appToken: string | null;
  /** The Web API base, ending in `/`. */
  apiUrl: string;
}
