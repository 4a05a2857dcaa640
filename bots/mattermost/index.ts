// The Mattermost platform, as bots/registry.ts lists it.
import type { AdapterFactory } from '../adapter.js';
import { createMattermostAdapter } from './adapter.js';

export const mattermost: AdapterFactory = {
  platform: 'mattermost',
  isConfigured: (config) => config.mattermost !== null,
  howToConfigure:
    'Mattermost: set PARLEY_MATTERMOST_URL and PARLEY_MATTERMOST_COMMAND_TOKEN (the /discourse slash command token, request URL <parley>/hooks/mattermost/command), ' +
    'then PARLEY_MATTERMOST_TOKEN (a bot account token) or an incoming webhook per channel (parley channels add mattermost:ID --webhook-url URL)',
  create: (deps) => createMattermostAdapter(deps),
};

export { createMattermostAdapter, type MattermostAdapterOptions } from './adapter.js';
