// Telegram's settings, read from its variables by ./index.ts and handed to the adapter. In a file of their own
// so the adapter can name them without importing index.ts, which imports the adapter.

export interface TelegramSettings {
  token: string;
  apiRoot: string;
  mode: 'polling' | 'webhook';
  publicUrl: string | null;
  webhookSecret: string | null;
}
