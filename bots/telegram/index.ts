// Telegram, as bots/registry.ts lists it: every fact about the platform that the core needs, in one place.
import { z } from 'zod';
import { optional, url } from '../../lib/config.js';
import { definePlatform } from '../../lib/seams/platform.js';
import type { TelegramSettings } from './settings.js';
import { telegramSetup } from './setup.js';

export type { TelegramSettings } from './settings.js';

export const telegram = definePlatform({
  profile: { name: 'telegram', label: 'Telegram', commandPrefix: '/', moderators: 'Telegram chat administrators' },
  variables: {
    PARLEY_TELEGRAM_TOKEN: 'bot token from @BotFather',
    PARLEY_TELEGRAM_API_ROOT: 'Bot API root (default https://api.telegram.org; a local Bot API server or emulator otherwise)',
    PARLEY_TELEGRAM_MODE: 'polling (default) or webhook',
    PARLEY_TELEGRAM_WEBHOOK_SECRET: 'secret_token Telegram sends with webhook updates (webhook mode)',
  },
  schema: {
    PARLEY_TELEGRAM_TOKEN: optional(z.string().regex(/^[\w:-]+$/, 'looks wrong: a bot token is like 123456:ABC-DEF…')),
    PARLEY_TELEGRAM_API_ROOT: optional(url).default('https://api.telegram.org'),
    PARLEY_TELEGRAM_MODE: optional(z.enum(['polling', 'webhook'])).default('polling'),
    PARLEY_TELEGRAM_WEBHOOK_SECRET: optional(z.string().regex(/^[\w-]{1,256}$/, '1-256 characters of A-Z, a-z, 0-9, _ and -')),
  },
  howToConfigure:
    'Telegram: set PARLEY_TELEGRAM_TOKEN (from @BotFather). Long polling is the default; for a webhook set PARLEY_TELEGRAM_MODE=webhook, PARLEY_PUBLIC_URL and PARLEY_TELEGRAM_WEBHOOK_SECRET. In groups, turn the bot\'s privacy mode off (@BotFather, /setprivacy, Disable; then remove and re-add it to groups it is already in) or make it a group admin: the bot then sees every message, which /topic transcripts need (Telegram gives bots no history, so Parley logs what it sees in registered chats) and "!discourse" too; /discourse and /topic work either way.',
  settings(vars, shared): TelegramSettings | null | { problems: string[] } {
    if (!vars.PARLEY_TELEGRAM_TOKEN) return null;
    if (vars.PARLEY_TELEGRAM_MODE === 'webhook' && !shared.publicUrl) {
      return { problems: ['PARLEY_PUBLIC_URL: required with PARLEY_TELEGRAM_MODE=webhook (the address Telegram posts updates to)'] };
    }
    return {
      token: vars.PARLEY_TELEGRAM_TOKEN,
      apiRoot: vars.PARLEY_TELEGRAM_API_ROOT,
      mode: vars.PARLEY_TELEGRAM_MODE,
      publicUrl: shared.publicUrl,
      webhookSecret: vars.PARLEY_TELEGRAM_WEBHOOK_SECRET ?? null,
    };
  },
  setup: telegramSetup,
  // grammY loads only where Telegram runs, not in every CLI command.
  create: async (deps, settings) => new (await import('./adapter.js')).TelegramAdapter(deps, settings),
});
