// GitLab's section of the admin page: the access token, and the webhook on each group or project.
import { parleyUrl, type SetupContext, type SetupGuide } from '../seams/platform.js';
import { GITLAB_HOOK_PATH } from './hook.js';

export function gitlabSetup(ctx: SetupContext): SetupGuide {
  return {
    steps: [
      {
        text: 'Set `PARLEY_GITLAB_URL` to the instance\'s URL, and `PARLEY_GITLAB_TOKEN` to a personal, group or project access token with the `api` scope (for `PARLEY_GITLAB_SUDO=true`, an administrator\'s personal access token with the `sudo` scope too).',
      },
      {
        text: 'Add a webhook on each group (Group → Settings → Webhooks, GitLab Premium) or project (Settings → Webhooks) with the URL below and a Secret token of at least 12 characters, the same in `PARLEY_GITLAB_WEBHOOK_SECRET`.',
        copy: { label: 'Webhook URL', value: parleyUrl(ctx, GITLAB_HOOK_PATH) },
      },
      {
        text: 'Tick the triggers Issues events, Comments, Merge request events, Pipeline events, Releases events, and Confidential issues events (never announced, but an issue made confidential arrives only there, and Parley then takes back its announcement).',
      },
      { text: 'GitLab 19.0 and later can also sign deliveries: put the webhook\'s Signing token (`whsec_…`) in `PARLEY_GITLAB_SIGNING_TOKEN`.' },
      {
        text: 'On Slack and Discord `/gitlab` is registered with the other commands once GitLab is configured (download the Slack manifest again); on Mattermost create a `/gitlab` slash command on the same URL and add its token to `PARLEY_MATTERMOST_COMMAND_TOKEN`.',
      },
    ],
  };
}
