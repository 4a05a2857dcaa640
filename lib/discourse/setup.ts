// Discourse's section of the admin page: the forum's webhook to Parley, and the API key.
import { parleyUrl, type SetupContext, type SetupGuide } from '../seams/platform.js';
import { DISCOURSE_HOOK_PATH } from './hook.js';

export function discourseSetup(ctx: SetupContext): SetupGuide {
  return {
    steps: [
      { text: 'Set `PARLEY_DISCOURSE_URL` to the forum\'s base URL, and `PARLEY_DISCOURSE_WEBHOOK_SECRET` to a secret of at least 12 characters.' },
      {
        text: 'On the forum: Admin → API → Webhooks → New. Payload URL below, content type `application/json`, the secret of `PARLEY_DISCOURSE_WEBHOOK_SECRET`, events Post, Topic and Category.',
        copy: { label: 'Payload URL', value: parleyUrl(ctx, DISCOURSE_HOOK_PATH) },
      },
      {
        text: 'Optionally an admin API key in `PARLEY_DISCOURSE_API_KEY` (acting as `PARLEY_DISCOURSE_API_USERNAME`, default system): Parley then reads categories (slugs, colours, read restrictions) and the tags of topics it has not seen a webhook for.',
      },
    ],
  };
}
