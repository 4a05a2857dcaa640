// The Mattermost platform, as bots/registry.ts lists it.
import type { AdapterFactory } from '../adapter.js';
import { createMattermostAdapter } from './adapter.js';

export const mattermost: AdapterFactory = {
  platform: 'mattermost',
  isConfigured: (config) => config.mattermost !== null,
  howToConfigure:
    'Mattermost: set PARLEY_MATTERMOST_URL and PARLEY_MATTERMOST_COMMAND_TOKEN (the token of the /discourse slash command, request URL <parley>/hooks/mattermost/command; ' +
    'for transcripts add a /topic slash command with the same request URL and list both tokens, comma-separated), ' +
    'then PARLEY_MATTERMOST_TOKEN (a bot account token; transcripts need it to read history, and the bot must be in the channel) or an incoming webhook per channel (parley channels add mattermost:ID --webhook-url URL)',
  create: (deps) => createMattermostAdapter(deps),
};

export { createMattermostAdapter, type MattermostAdapterOptions } from './adapter.js';
