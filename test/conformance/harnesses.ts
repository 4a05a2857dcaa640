// One harness per entry of bots/registry.ts: a new platform adds its file here and one line below.
import type { ConformanceHarness } from './harness.js';
import { discordHarness } from './discord.js';
import { ircHarness } from './irc.js';
import { matrixHarness } from './matrix.js';
import { mattermostHarness } from './mattermost.js';
import { slackHarness } from './slack.js';
import { telegramHarness } from './telegram.js';

export const HARNESSES: readonly ConformanceHarness[] = [
  telegramHarness,
  mattermostHarness,
  slackHarness,
  discordHarness,
  matrixHarness,
  ircHarness,
];
