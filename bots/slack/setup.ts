// Slack's section of the admin page: one manifest to create the app from, then its two secrets.
import { parleyUrl, type SetupContext, type SetupGuide } from '../../lib/seams/platform.js';
import { COMMANDS_PATH, EVENTS_PATH } from './paths.js';

export function slackSetup(ctx: SetupContext): SetupGuide {
  return {
    steps: [
      {
        text: 'Download the app manifest. Over HTTP (the default) Slack sends commands and events to Parley: `PARLEY_PUBLIC_URL` must be an https address Slack can reach. The Socket Mode manifest needs no public URL (Parley connects out to Slack). With GitLab configured, the manifest registers `/gitlab` too.',
      },
      {
        text: 'Create New App → From a manifest, pick the workspace, paste the manifest, Next, check the summary, Create. Then Install App → Install to Workspace, and allow.',
        url: 'https://api.slack.com/apps',
      },
      { text: 'Over HTTP, the manifest names these request URLs (a path prefix of `PARLEY_PUBLIC_URL` is kept):', copy: { label: 'Slash commands request URL', value: parleyUrl(ctx, COMMANDS_PATH) } },
      { text: 'and the Events API\'s. If Parley was not running when the app was created, verify it under App Manifest once it runs.', copy: { label: 'Events request URL', value: parleyUrl(ctx, EVENTS_PATH) } },
      {
        text: 'Copy the Bot User OAuth Token (`xoxb-…`, OAuth & Permissions) into `PARLEY_SLACK_BOT_TOKEN` and the Signing Secret (Basic Information → App Credentials) into `PARLEY_SLACK_SIGNING_SECRET`. For Socket Mode instead of the signing secret: Basic Information → App-Level Tokens → Generate Token and Scopes with `connections:write`, and the `xapp-…` token into `PARLEY_SLACK_APP_TOKEN`.',
      },
      {
        text: 'Invite the bot to a channel (`/invite @parley`): invited by a workspace admin the channel is active at once, else pending until accepted. Then `/discourse help` there. Slack keeps `/topic` for itself: transcripts are `/discourse topic last:50`.',
      },
    ],
    downloads: [
      { label: 'App manifest (HTTP)', command: 'manifest', file: 'parley-slack-manifest.yaml' },
      { label: 'App manifest (Socket Mode)', command: 'manifest', flags: { socketMode: true }, file: 'parley-slack-manifest-socket-mode.yaml' },
    ],
  };
}
