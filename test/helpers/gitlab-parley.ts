// A whole Parley with Telegram (telegram-test-api) and GitLab (the fake GitLab) configured: what the GitLab end-to-end
// tests share. Each test file sets up its own projects and users before Parley starts.
import { startFakeGitLab, type FakeGitLab } from './fake-gitlab.js';
import { startParley, type TestParley } from './parley.js';
import { startTelegramServer, type TelegramEmulator } from './telegram-server.js';

export const GITLAB_WEBHOOK_SECRET = 'gitlab-webhook-secret-0123456789';

export interface GitLabParley {
  emulator: TelegramEmulator;
  gitlab: FakeGitLab;
  parley: TestParley;
  stop(): Promise<void>;
}

export async function startGitLabParley(opts: { telegramToken: string; setUp?: (gitlab: FakeGitLab) => void; env?: Record<string, string> }): Promise<GitLabParley> {
  const emulator = await startTelegramServer();
  const gitlab = await startFakeGitLab();
  opts.setUp?.(gitlab);
  const parley = await startParley({
    env: {
      PARLEY_TELEGRAM_TOKEN: opts.telegramToken,
      PARLEY_TELEGRAM_API_ROOT: emulator.apiRoot,
      PARLEY_GITLAB_URL: gitlab.url,
      PARLEY_GITLAB_TOKEN: gitlab.token,
      PARLEY_GITLAB_WEBHOOK_SECRET: GITLAB_WEBHOOK_SECRET,
      ...opts.env,
    },
  });
  return {
    emulator,
    gitlab,
    parley,
    async stop() {
      await parley.stop();
      await gitlab.close();
      await emulator.stop();
    },
  };
}
