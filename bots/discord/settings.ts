// Discord's settings, from its variables (index.ts reads them). Their own module, so the adapter reads them
// without importing index.ts, which imports the adapter; and index.ts reads them without loading discord.js,
// which every CLI command would then pay for.

/** The highest `last:` the command offers when PARLEY_TRANSCRIPT_MAX_MESSAGES is not set (DEFAULT_MAX_MESSAGES of the topic grammar). */
export const DEFAULT_LAST_MAX = 1000;

export interface DiscordSettings {
  /** The bot token: REST calls and the gateway. */
  token: string;
  /** The application id: commands are registered under it, interaction follow-ups go through it. */
  applicationId: string;
  /** The application's Ed25519 public key (hex): checks interactions posted over HTTP. */
  publicKey: string | null;
  /** `gateway`: a websocket (one per token, under the Redis lease); `interactions`: Discord posts to Parley. */
  mode: 'gateway' | 'interactions';
  /** The upper bound of `/topic last:` in the command's form (PARLEY_TRANSCRIPT_MAX_MESSAGES). */
  maxMessages: number;
  /** GitLab is configured: `/gitlab` is registered beside `/discourse`. */
  gitlab: boolean;
  /** The REST base (`https://discord.com/api` by default); the gateway URL comes from its GET /gateway/bot. */
  apiUrl: string | null;
}
