// IRC's section of the admin page: a registered nick, the server and SASL variables, and channels.
import type { SetupGuide } from '../../lib/seams/platform.js';

export function ircSetup(): SetupGuide {
  return {
    steps: [
      { text: 'Register the bot\'s nick once from any client: `/nick parleybot`, then `/msg NickServ REGISTER PASSWORD EMAIL`, and confirm by mail.' },
      {
        text: 'Set `PARLEY_IRC_SERVER` (such as `irc.libera.chat`; port 6697 and TLS with the certificate checked are the defaults), `PARLEY_IRC_NICK`, and `PARLEY_IRC_SASL_USER` and `PARLEY_IRC_SASL_PASSWORD` for the registered nick (SASL PLAIN, else NickServ IDENTIFY; SASL EXTERNAL with `PARLEY_IRC_TLS_CERT_FILE` and `PARLEY_IRC_TLS_KEY_FILE` and no password).',
      },
      {
        text: 'List channels in `PARLEY_IRC_CHANNELS` (`#yourproject`, `#ops KEY` for a channel with a key), or `parley channels add irc:#yourproject`, or as a channel operator `/invite parleybot #yourproject`: active at once if `PARLEY_IRC_ALLOWED_INVITERS` names you, else pending until accepted.',
      },
      { text: 'In the channel an operator types `!discourse watch c/meta` (most clients keep `/` for themselves). Run the `workers` and `bots` roles together: IRC deliveries are sent by the process holding the connection.' },
    ],
  };
}
