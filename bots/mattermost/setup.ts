// Mattermost's section of the admin page: its slash commands, and how Parley posts (bot account or incoming webhook).
import { parleyUrl, type SetupContext, type SetupGuide } from '../../lib/seams/platform.js';

/** receiver-slash-command.ts's COMMAND_PATH (test/unit/platform-setup.test.ts checks the two agree). */
const COMMAND_PATH = '/hooks/mattermost/command';

export function mattermostSetup(ctx: SetupContext): SetupGuide {
  const url = parleyUrl(ctx, COMMAND_PATH);
  return {
    steps: [
      { text: 'Set `PARLEY_MATTERMOST_URL` to the Mattermost server\'s URL.' },
      {
        text: 'Create a slash command `/discourse` that POSTs to this request URL, and put its token in `PARLEY_MATTERMOST_COMMAND_TOKEN`.',
        copy: { label: 'Request URL', value: url },
      },
      {
        text: 'For transcripts create a second slash command `/topic` on the same URL (and `/gitlab` once GitLab is configured), and add each token to `PARLEY_MATTERMOST_COMMAND_TOKEN`, comma-separated.',
        copy: { label: 'Request URL', value: url },
      },
      {
        text: 'Deliver with a bot account token in `PARLEY_MATTERMOST_TOKEN` (it also lets Parley check roles, and transcripts need it to read history; the bot must be in the channel), or through a channel\'s incoming webhook: `parley channels add mattermost:CHANNEL_ID --webhook-url URL`.',
      },
    ],
  };
}
