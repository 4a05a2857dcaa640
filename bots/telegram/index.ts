// Telegram's line in bots/registry.ts.
import type { AdapterFactory } from '../adapter.js';
import { TelegramAdapter } from './adapter.js';

export const telegram: AdapterFactory = {
  platform: 'telegram',
  isConfigured: (config) => config.telegram !== null,
  howToConfigure:
    'Telegram: set PARLEY_TELEGRAM_TOKEN (from @BotFather). Long polling is the default; for a webhook set PARLEY_TELEGRAM_MODE=webhook, PARLEY_PUBLIC_URL and PARLEY_TELEGRAM_WEBHOOK_SECRET. In groups, turn the bot\'s privacy mode off (@BotFather, /setprivacy, Disable; then remove and re-add it to groups it is already in) or make it a group admin: the bot then sees every message, which /topic transcripts need (Telegram gives bots no history, so Parley logs what it sees in registered chats) and "!discourse" too; /discourse and /topic work either way.',
  create: (deps) => new TelegramAdapter(deps),
};
