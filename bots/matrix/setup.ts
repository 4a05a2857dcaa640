// Matrix's (and Gitter's) section of the admin page: a bot account, its access token, and who may invite it.
import type { SetupGuide } from '../../lib/seams/platform.js';

export function matrixSetup(): SetupGuide {
  return {
    steps: [
      {
        text: 'Make an account for the bot on your homeserver and get its access token (Element: sign in as the bot, Settings → Help & About → Advanced → Access Token; do not log that session out, which revokes the token).',
      },
      {
        text: 'Set `PARLEY_MATRIX_HOMESERVER_URL` (the client API\'s base URL, as `.well-known/matrix/client` names it), `PARLEY_MATRIX_ACCESS_TOKEN`, and in `PARLEY_MATRIX_ALLOWED_INVITERS` the users whose invitations count (`@alice:example.org,@*:staff.example.org`).',
      },
      {
        text: 'Invite the bot to a room (`/invite @parley:example.org`): invited by an allowed user it joins at once, else the room waits as a pending channel until `parley channels accept matrix:!ROOM_ID`. Type `!discourse help` there. Encrypted rooms are not supported.',
      },
      {
        text: 'Gitter is the Matrix homeserver gitter.im: sign in as the bot\'s account, copy its access token (All settings → Help & About → Advanced), set `PARLEY_MATRIX_HOMESERVER_URL=https://gitter.ems.host`, then `/invite @NAME:gitter.im` in your room.',
        url: 'https://app.gitter.im',
      },
    ],
  };
}
