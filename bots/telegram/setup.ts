// Telegram's section of the admin page: how to make the bot and where its updates come in.
import { parleyUrl, type SetupContext, type SetupGuide } from '../../lib/seams/platform.js';

/** receiver-webhook.ts's WEBHOOK_PATH, not imported: that module loads grammY (test/unit/platform-setup.test.ts checks the two agree). */
const WEBHOOK_PATH = '/hooks/telegram';

export function telegramSetup(ctx: SetupContext): SetupGuide {
  return {
    steps: [
      { text: 'Create a bot with @BotFather and set `PARLEY_TELEGRAM_TOKEN` to the token it gives.' },
      {
        text: 'For groups: turn the bot\'s privacy mode off (@BotFather, `/setprivacy`, Disable; then remove and re-add it to groups it is already in) or make it a group admin. It then sees every message, which `/topic` transcripts and `!discourse` need; `/discourse` works either way.',
      },
      {
        text: 'Long polling (the default) needs nothing more. For webhook mode set `PARLEY_TELEGRAM_MODE=webhook`, `PARLEY_PUBLIC_URL` and `PARLEY_TELEGRAM_WEBHOOK_SECRET`: Parley sets the webhook itself at start, to this URL.',
        copy: { label: 'Webhook URL', value: parleyUrl(ctx, WEBHOOK_PATH) },
      },
      { text: 'Add the bot to a group and type `/discourse help` there.' },
    ],
  };
}
