// Every platform Parley knows: adding one is a folder in bots/ and a line here.
import type { AdapterFactory } from './adapter.js';
import { mattermost } from './mattermost/index.js';
import { telegram } from './telegram/index.js';

export const PLATFORMS: readonly AdapterFactory[] = [telegram, mattermost];
