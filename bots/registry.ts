// Every platform Parley knows: adding one is a folder in bots/ and a line here (docs/architecture.md#adding-a-platform).
import type { AdapterFactory } from '../lib/seams/platform.js';
import { discord } from './discord/index.js';
import { irc } from './irc/index.js';
import { matrix } from './matrix/index.js';
import { mattermost } from './mattermost/index.js';
import { slack } from './slack/index.js';
import { telegram } from './telegram/index.js';

export const PLATFORMS: readonly AdapterFactory[] = [telegram, mattermost, slack, discord, matrix, irc];
