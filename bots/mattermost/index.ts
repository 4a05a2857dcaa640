// Mattermost, as bots/registry.ts lists it: every fact about the platform that the core needs, in one place.
import { z } from 'zod';
import { optional, url } from '../../lib/config.js';
import { definePlatform } from '../../lib/seams/platform.js';
import { MATTERMOST_CHANNEL_SETTINGS, type MattermostSettings } from './settings.js';
import { mattermostSetup } from './setup.js';

export const mattermost = definePlatform({
  profile: { name: 'mattermost', label: 'Mattermost', commandPrefix: '/', moderators: 'Mattermost channel, team and system admins' },
  variables: {
    PARLEY_MATTERMOST_URL: 'Mattermost server URL',
    PARLEY_MATTERMOST_TOKEN: 'bot access token (REST: posting, role checks)',
    PARLEY_MATTERMOST_COMMAND_TOKEN: "the slash commands' tokens, comma-separated (one per slash command; checked on every command)",
  },
  schema: {
    PARLEY_MATTERMOST_URL: optional(url),
    PARLEY_MATTERMOST_TOKEN: optional(z.string()),
    PARLEY_MATTERMOST_COMMAND_TOKEN: optional(z.string()),
  },
  howToConfigure:
    'Mattermost: set PARLEY_MATTERMOST_URL and PARLEY_MATTERMOST_COMMAND_TOKEN (the token of the /discourse slash command, request URL <parley>/hooks/mattermost/command; ' +
    'for transcripts add a /topic slash command with the same request URL and list both tokens, comma-separated), ' +
    'then PARLEY_MATTERMOST_TOKEN (a bot account token; transcripts need it to read history, and the bot must be in the channel) or an incoming webhook per channel (parley channels add mattermost:ID --webhook-url URL)',
  settings(vars): MattermostSettings | null | { problems: string[] } {
    if (!vars.PARLEY_MATTERMOST_URL) return null;
    // One variable, several commands: each Mattermost slash command has its own token.
    const commandTokens = (vars.PARLEY_MATTERMOST_COMMAND_TOKEN ?? '').split(',').map((t) => t.trim()).filter(Boolean);
    if (!vars.PARLEY_MATTERMOST_TOKEN && commandTokens.length === 0) {
      return { problems: ['PARLEY_MATTERMOST_COMMAND_TOKEN: set it (the slash command token) or PARLEY_MATTERMOST_TOKEN, else Mattermost has nothing to use'] };
    }
    return { url: vars.PARLEY_MATTERMOST_URL, token: vars.PARLEY_MATTERMOST_TOKEN ?? null, commandTokens };
  },
  channelSettings: {
    schema: MATTERMOST_CHANNEL_SETTINGS,
    options: [{ key: 'webhookUrl', flag: '--webhook-url <url>', description: 'deliver through this Mattermost incoming webhook instead of the bot account', secret: true }],
  },
  setup: mattermostSetup,
  create: async (deps, settings) => (await import('./adapter.js')).createMattermostAdapter(deps, settings),
});

export type { MattermostContext } from './context.js';
export { MATTERMOST_CHANNEL_SETTINGS, type MattermostSettings } from './settings.js';
