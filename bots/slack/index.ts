// Slack, as bots/registry.ts lists it: every fact about the platform that the core needs, in one place.
import { z } from 'zod';
import { optional, url } from '../../lib/config.js';
import { definePlatform } from '../../lib/seams/platform.js';
import { slackManifestCommand } from './manifest.js';
import { SLACK_API_URL, type SlackSettings } from './settings.js';
import { SLACK_COMMAND_NAMES } from './slash-command.js';
import { slackSetup } from './setup.js';

export const slack = definePlatform({
  profile: { name: 'slack', label: 'Slack', commandPrefix: '/', moderators: 'Slack workspace admins and owners', commandNames: SLACK_COMMAND_NAMES },
  variables: {
    PARLEY_SLACK_BOT_TOKEN: "bot token (xoxb-…), from the app's OAuth & Permissions page",
    PARLEY_SLACK_SIGNING_SECRET: 'signing secret (Basic Information → App Credentials): checks every request Slack sends over HTTP',
    PARLEY_SLACK_APP_TOKEN: 'app-level token (xapp-…, scope connections:write): receive over Socket Mode instead of HTTP, no public URL needed',
    PARLEY_SLACK_API_URL: "Slack Web API base URL (default Slack's own; set for a mock server)",
  },
  schema: {
    PARLEY_SLACK_BOT_TOKEN: optional(z.string()),
    PARLEY_SLACK_SIGNING_SECRET: optional(z.string()),
    PARLEY_SLACK_APP_TOKEN: optional(z.string()),
    PARLEY_SLACK_API_URL: optional(url),
  },
  howToConfigure:
    'Slack: run `parley slack manifest` (or `parley slack manifest --socket-mode`), create the app from that manifest, install it, ' +
    'then set PARLEY_SLACK_BOT_TOKEN (xoxb-…) and PARLEY_SLACK_SIGNING_SECRET (or PARLEY_SLACK_APP_TOKEN, xapp-…, for Socket Mode)',
  settings(vars): SlackSettings | null | { problems: string[] } {
    const botToken = vars.PARLEY_SLACK_BOT_TOKEN;
    if (!botToken) return null;
    const problems: string[] = [];
    if (!botToken.startsWith('xoxb-')) problems.push('PARLEY_SLACK_BOT_TOKEN: must be the Bot User OAuth Token, starting xoxb- (OAuth & Permissions)');
    const appToken = vars.PARLEY_SLACK_APP_TOKEN ?? null;
    if (appToken !== null && !appToken.startsWith('xapp-')) problems.push('PARLEY_SLACK_APP_TOKEN: must be an app-level token, starting xapp- (Basic Information → App-Level Tokens)');
    const signingSecret = vars.PARLEY_SLACK_SIGNING_SECRET ?? null;
    if (appToken === null && signingSecret === null) {
      problems.push('PARLEY_SLACK_SIGNING_SECRET: set it (Basic Information → App Credentials) to receive Slack over HTTP, or set PARLEY_SLACK_APP_TOKEN for Socket Mode');
    }
    if (problems.length > 0) return { problems };
    const apiUrl = vars.PARLEY_SLACK_API_URL ?? SLACK_API_URL;
    return { botToken, signingSecret, appToken, apiUrl: apiUrl.endsWith('/') ? apiUrl : `${apiUrl}/` };
  },
  commands: [slackManifestCommand],
  setup: slackSetup,
  // Bolt and the Web API client load only where Slack runs, not in every CLI command.
  create: async (deps, settings) => (await import('./adapter.js')).createSlackAdapter(deps, settings),
});

export type { SlackContext } from './context.js';
export type { SlackSettings } from './settings.js';
