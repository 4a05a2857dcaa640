// Matrix, as bots/registry.ts lists it: every fact about the platform that the core needs, in one place.
// Gitter is a Matrix homeserver (server name gitter.im, client API at https://gitter.ems.host): the same adapter.
import { z } from 'zod';
import { optional, url } from '../../lib/config.js';
import { definePlatform } from '../../lib/seams/platform.js';
import type { MatrixSettings } from './settings.js';
import { matrixSetup } from './setup.js';

export type { MatrixSettings } from './settings.js';

export const matrix = definePlatform({
  profile: {
    name: 'matrix',
    label: 'Matrix',
    // Element and most clients take a leading `/` as their own command.
    commandPrefix: '!',
    moderators: "Matrix room members whose power level reaches the room's state_default (moderators and admins)",
  },
  variables: {
    PARLEY_MATRIX_HOMESERVER_URL: 'client-server API base URL of the bot account\'s homeserver (https://matrix.example.org; Gitter: https://gitter.ems.host)',
    PARLEY_MATRIX_ACCESS_TOKEN: 'access token of the bot account',
    PARLEY_MATRIX_ALLOWED_INVITERS: 'comma-separated globs of Matrix user ids whose invitations the bot accepts at once (@*:example.org); others wait for parley channels accept',
    PARLEY_MATRIX_INVITE_EXPIRY_HOURS: 'hours after which an invitation no admin answered is declined (default 72)',
  },
  schema: {
    PARLEY_MATRIX_HOMESERVER_URL: optional(url),
    PARLEY_MATRIX_ACCESS_TOKEN: optional(z.string().regex(/^[\x21-\x7e]+$/u, 'looks wrong: an access token is printable ASCII without spaces')),
    PARLEY_MATRIX_ALLOWED_INVITERS: optional(z.string()),
    PARLEY_MATRIX_INVITE_EXPIRY_HOURS: optional(z.coerce.number().positive().max(24 * 365)).default(72),
  },
  howToConfigure:
    "Matrix (and Gitter): set PARLEY_MATRIX_HOMESERVER_URL and PARLEY_MATRIX_ACCESS_TOKEN (the bot account's access token), then invite the bot to rooms. Invitations from users matching PARLEY_MATRIX_ALLOWED_INVITERS are accepted at once; others wait for parley channels accept.",
  settings(vars): MatrixSettings | null | { problems: string[] } {
    const homeserverUrl = vars.PARLEY_MATRIX_HOMESERVER_URL;
    const accessToken = vars.PARLEY_MATRIX_ACCESS_TOKEN;
    if (!homeserverUrl && !accessToken) return null;
    if (!homeserverUrl) return { problems: ['PARLEY_MATRIX_HOMESERVER_URL: required with PARLEY_MATRIX_ACCESS_TOKEN (the homeserver\'s client API, e.g. https://matrix.example.org)'] };
    if (!accessToken) return { problems: ['PARLEY_MATRIX_ACCESS_TOKEN: required with PARLEY_MATRIX_HOMESERVER_URL (the bot account\'s access token)'] };
    const globs = (vars.PARLEY_MATRIX_ALLOWED_INVITERS ?? '').split(',').map((g) => g.trim()).filter(Boolean);
    const bad = globs.filter((g) => !/^@[^:\s]+:[^\s]+$/u.test(g));
    if (bad.length > 0) return { problems: [`PARLEY_MATRIX_ALLOWED_INVITERS: ${bad.map((g) => JSON.stringify(g)).join(', ')} is not a Matrix user id glob such as @*:example.org`] };
    return {
      homeserverUrl: homeserverUrl.replace(/\/+$/u, ''),
      accessToken,
      allowedInviters: globs,
      inviteExpiryMs: vars.PARLEY_MATRIX_INVITE_EXPIRY_HOURS * 3_600_000,
    };
  },
  setup: matrixSetup,
  // matrix-js-sdk loads only where Matrix runs, not in every CLI command.
  create: async (deps, settings) => new (await import('./adapter.js')).MatrixAdapter(deps, settings),
});
