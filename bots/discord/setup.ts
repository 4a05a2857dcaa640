// Discord's section of the admin page: the application, its bot, the invitation and, without a gateway, the
// Interactions Endpoint URL.
import { parleyUrl, type SetupContext, type SetupGuide } from '../../lib/seams/platform.js';
import { INTERACTIONS_PATH } from './paths.js';

export function discordSetup(ctx: SetupContext): SetupGuide {
  return {
    steps: [
      {
        text: 'Create an application. Copy its Application ID (General Information) into `PARLEY_DISCORD_APPLICATION_ID`.',
        url: 'https://discord.com/developers/applications',
      },
      {
        text: 'Under Bot, reset and copy the token into `PARLEY_DISCORD_TOKEN`, and turn on the Message Content intent (for `!discourse` typed as a message and for reading history).',
      },
      {
        text: 'Invite the bot with https://discord.com/oauth2/authorize?client_id=APPLICATION_ID&scope=bot+applications.commands&permissions=309237730304 (View Channels, Send Messages, Embed Links, Read Message History, Create Public Threads, Send Messages in Threads). Parley registers `/discourse` and `/topic` itself at start.',
      },
      {
        text: 'By default (`PARLEY_DISCORD_MODE=gateway`) one `bots` process holds the gateway connection. Without a long-lived process set `PARLEY_DISCORD_MODE=interactions`, `PARLEY_DISCORD_PUBLIC_KEY` (General Information) and the Interactions Endpoint URL (Discord checks it with a signed PING when you save):',
        copy: { label: 'Interactions Endpoint URL', value: parleyUrl(ctx, INTERACTIONS_PATH) },
      },
      { text: 'A channel registers with its first command: active for a member with Manage Channels, Manage Server or Administrator, else pending.' },
    ],
  };
}
