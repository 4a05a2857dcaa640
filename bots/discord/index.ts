// Discord, as bots/registry.ts lists it: every fact about the platform that the core needs, in one place.
import { z } from 'zod';
import { optional, url } from '../../lib/config.js';
import { definePlatform } from '../../lib/seams/platform.js';
import { DEFAULT_LAST_MAX, type DiscordSettings } from './settings.js';
import { discordSetup } from './setup.js';

export const discord = definePlatform({
  profile: { name: 'discord', label: 'Discord', commandPrefix: '/', moderators: 'Discord members with Manage Channels, Manage Server or Administrator' },
  variables: {
    PARLEY_DISCORD_TOKEN: 'bot token (Developer Portal → your application → Bot → Reset Token)',
    PARLEY_DISCORD_APPLICATION_ID: 'application id (Developer Portal → General Information): Parley registers its commands under it',
    PARLEY_DISCORD_PUBLIC_KEY: 'application public key (General Information): checks every interaction Discord posts (interactions mode)',
    PARLEY_DISCORD_MODE: '`gateway` (default: a websocket, one per token across processes) or `interactions` (Discord posts to /hooks/discord/interactions; no websocket)',
    PARLEY_DISCORD_API_URL: "Discord REST base URL (default Discord's own; set for a mock server, whose GET /gateway/bot then gives the gateway)",
  },
  schema: {
    PARLEY_DISCORD_TOKEN: optional(z.string()),
    PARLEY_DISCORD_APPLICATION_ID: optional(z.string().regex(/^\d{17,20}$/u, 'must be the application id, a number of 17 to 20 digits')),
    PARLEY_DISCORD_PUBLIC_KEY: optional(z.string().regex(/^[0-9a-f]{64}$/iu, 'must be the public key as the Developer Portal shows it: 64 hexadecimal characters')),
    PARLEY_DISCORD_MODE: optional(z.enum(['gateway', 'interactions'])).default('gateway'),
    PARLEY_DISCORD_API_URL: optional(url),
  },
  howToConfigure:
    'Discord: create an application at discord.com/developers, add a bot, then set PARLEY_DISCORD_TOKEN and PARLEY_DISCORD_APPLICATION_ID ' +
    '(and PARLEY_DISCORD_PUBLIC_KEY with PARLEY_DISCORD_MODE=interactions, whose Interactions Endpoint URL is <parley>/hooks/discord/interactions)',
  settings(vars, shared): DiscordSettings | null | { problems: string[] } {
    const token = vars.PARLEY_DISCORD_TOKEN;
    if (!token) return null;
    const problems: string[] = [];
    const applicationId = vars.PARLEY_DISCORD_APPLICATION_ID ?? '';
    if (!applicationId) problems.push('PARLEY_DISCORD_APPLICATION_ID: set it (Developer Portal → General Information → Application ID): commands are registered under it');
    const publicKey = vars.PARLEY_DISCORD_PUBLIC_KEY ?? null;
    const mode = vars.PARLEY_DISCORD_MODE;
    if (mode === 'interactions' && !publicKey) problems.push('PARLEY_DISCORD_PUBLIC_KEY: interactions mode checks every request with it (General Information → Public Key)');
    if (problems.length > 0) return { problems };
    const maxMessages = shared.transcriptMaxMessages ?? DEFAULT_LAST_MAX;
    return { token, applicationId, publicKey, mode, maxMessages, gitlab: shared.gitlab === true, apiUrl: vars.PARLEY_DISCORD_API_URL?.replace(/\/+$/u, '') ?? null };
  },
  setup: discordSetup,
  // discord.js loads only where Discord runs, not in every CLI command.
  create: async (deps, settings) => (await import('./adapter.js')).createDiscordAdapter(deps, settings),
});

export type { DiscordContext } from './context.js';
export type { DiscordSettings } from './settings.js';
