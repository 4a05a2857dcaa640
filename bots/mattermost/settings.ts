// Mattermost's settings: from its variables (index.ts reads them) and per channel (`parley channels add`).
// Their own module, so the adapter reads them without importing index.ts, which imports the adapter.
import { z } from 'zod';

export interface MattermostSettings {
  url: string;
  /** A bot account token: REST posting, threads, edits, role checks, history. */
  token: string | null;
  /** The slash commands' tokens, comma-separated in the variable. */
  commandTokens: string[];
}

/** Per-channel settings: deliver through an incoming webhook instead of the REST API. */
export const MATTERMOST_CHANNEL_SETTINGS = {
  webhookUrl: z.url({
    protocol: /^https?$/,
    error: 'must be an http:// or https:// URL, as Mattermost shows it for the incoming webhook (https://chat.example.org/hooks/KEY)',
  }),
};
