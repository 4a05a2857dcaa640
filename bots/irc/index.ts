// IRC, as bots/registry.ts lists it: every fact about the platform that the core needs, in one place. One
// network per Parley (the connection of PARLEY_IRC_NICK to PARLEY_IRC_SERVER); channels on it are `irc:#name`.
import { z } from 'zod';
import { int, optional } from '../../lib/config.js';
import { definePlatform } from '../../lib/seams/platform.js';
import type { IrcSettings, IrcTls } from './settings.js';
import { ircSetup } from './setup.js';

export type { IrcSettings } from './settings.js';

/** A channel name as RFC 2812 allows it: a type prefix, then no space, comma, colon or control character. */
export const CHANNEL_NAME = /^[#&+!][^\s,:\x00-\x1f]{1,199}$/u; // eslint-disable-line no-control-regex
/** A nick as RFC 2812 (and every network since) allows it. */
const NICK = /^[A-Za-z[\]\\`_^{|}][A-Za-z0-9[\]\\`_^{|}-]*$/u;

/** `#parley, #ops key` → channels with their keys; problems name the entry. */
export function parseChannelList(text: string): { channels: IrcSettings['channels']; problems: string[] } {
  const channels: IrcSettings['channels'] = [];
  const problems: string[] = [];
  for (const entry of text.split(',').map((e) => e.trim()).filter(Boolean)) {
    const [name = '', key = null, ...rest] = entry.split(/\s+/u);
    if (!CHANNEL_NAME.test(name) || rest.length > 0) problems.push(`${JSON.stringify(entry)} is not a channel such as #parley (or "#ops key" for a channel with a key)`);
    else channels.push({ name, key });
  }
  return { channels, problems };
}

const tls = z
  .enum(['true', 'false', '1', '0', 'yes', 'no', 'verify', 'no-verify', 'off'])
  .transform((v): IrcTls => (v === 'no-verify' ? 'no-verify' : ['false', '0', 'no', 'off'].includes(v) ? 'off' : 'verify'));

export const irc = definePlatform({
  profile: {
    name: 'irc',
    label: 'IRC',
    // Every IRC client takes a leading `/` as its own command; `/discourse` still works where a client sends it.
    commandPrefix: '!',
    moderators: 'IRC channel operators and half-operators (@ and %)',
  },
  variables: {
    PARLEY_IRC_SERVER: 'host name of the IRC server (irc.libera.chat)',
    PARLEY_IRC_PORT: 'its port (default 6697 with TLS, 6667 without)',
    PARLEY_IRC_TLS: 'TLS: true (default, the certificate checked), no-verify (not checked: a test network only) or false',
    PARLEY_IRC_TLS_CA_FILE: 'PEM file of a certificate authority to trust besides the system\'s (a network with its own)',
    PARLEY_IRC_TLS_CERT_FILE: 'PEM file of a client certificate: SASL EXTERNAL when no SASL password is set',
    PARLEY_IRC_TLS_KEY_FILE: 'PEM file of the client certificate\'s private key',
    PARLEY_IRC_NICK: 'the bot\'s nick (default parley)',
    PARLEY_IRC_SASL_USER: 'services account to log in as (SASL PLAIN, or NickServ IDENTIFY where the network has no SASL)',
    PARLEY_IRC_SASL_PASSWORD: 'its password',
    PARLEY_IRC_CHANNELS: 'comma-separated channels to join besides those registered (#parley, #ops key)',
    PARLEY_IRC_ALLOWED_INVITERS: 'comma-separated globs of services accounts (or nick!user@host masks) whose INVITE makes a channel active at once; other channel operators\' invitations wait for parley channels accept',
    PARLEY_IRC_SEND_BURST: 'lines sent at once before pacing applies (default 4)',
    PARLEY_IRC_SEND_INTERVAL_SECONDS: 'then one line every this many seconds (default 2), below the server\'s flood limit',
  },
  schema: {
    PARLEY_IRC_SERVER: optional(z.string().regex(/^[A-Za-z0-9.:[\]-]+$/u, 'a host name such as irc.libera.chat, without irc:// or a port')),
    PARLEY_IRC_PORT: optional(int(1, 65_535)),
    PARLEY_IRC_TLS: optional(tls).default('verify'),
    PARLEY_IRC_TLS_CA_FILE: optional(z.string()),
    PARLEY_IRC_TLS_CERT_FILE: optional(z.string()),
    PARLEY_IRC_TLS_KEY_FILE: optional(z.string()),
    PARLEY_IRC_NICK: optional(z.string().regex(NICK, 'a nick starts with a letter or one of [ ] \\ ` _ ^ { | } and has no spaces').max(30)).default('parley'),
    PARLEY_IRC_SASL_USER: optional(z.string().regex(/^\S+$/u, 'an account name has no spaces')),
    PARLEY_IRC_SASL_PASSWORD: optional(z.string()),
    PARLEY_IRC_CHANNELS: optional(z.string()),
    PARLEY_IRC_ALLOWED_INVITERS: optional(z.string()),
    PARLEY_IRC_SEND_BURST: optional(int(1, 20)).default(4),
    PARLEY_IRC_SEND_INTERVAL_SECONDS: optional(z.coerce.number().min(0.1).max(60)).default(2),
  },
  howToConfigure:
    'IRC: set PARLEY_IRC_SERVER (and PARLEY_IRC_NICK; PARLEY_IRC_SASL_USER and PARLEY_IRC_SASL_PASSWORD for a registered nick), then list channels in PARLEY_IRC_CHANNELS or /invite the bot as a channel operator.',
  settings(vars): IrcSettings | null | { problems: string[] } {
    const host = vars.PARLEY_IRC_SERVER;
    if (!host) return null;
    const problems: string[] = [];
    const user = vars.PARLEY_IRC_SASL_USER;
    const password = vars.PARLEY_IRC_SASL_PASSWORD;
    if (Boolean(user) !== Boolean(password)) problems.push(`${user ? 'PARLEY_IRC_SASL_PASSWORD' : 'PARLEY_IRC_SASL_USER'}: required with ${user ? 'PARLEY_IRC_SASL_USER' : 'PARLEY_IRC_SASL_PASSWORD'} (the services account and its password)`);
    const certFile = vars.PARLEY_IRC_TLS_CERT_FILE;
    const keyFile = vars.PARLEY_IRC_TLS_KEY_FILE;
    if (Boolean(certFile) !== Boolean(keyFile)) problems.push(`${certFile ? 'PARLEY_IRC_TLS_KEY_FILE' : 'PARLEY_IRC_TLS_CERT_FILE'}: a client certificate needs both its certificate and its key file`);
    if (certFile && vars.PARLEY_IRC_TLS === 'off') problems.push('PARLEY_IRC_TLS_CERT_FILE: a client certificate needs TLS (PARLEY_IRC_TLS=true)');
    const { channels, problems: channelProblems } = parseChannelList(vars.PARLEY_IRC_CHANNELS ?? '');
    problems.push(...channelProblems.map((p) => `PARLEY_IRC_CHANNELS: ${p}`));
    if (problems.length > 0) return { problems };
    return {
      host,
      port: vars.PARLEY_IRC_PORT ?? (vars.PARLEY_IRC_TLS === 'off' ? 6667 : 6697),
      tls: vars.PARLEY_IRC_TLS,
      caFile: vars.PARLEY_IRC_TLS_CA_FILE ?? null,
      clientCert: certFile && keyFile ? { certFile, keyFile } : null,
      nick: vars.PARLEY_IRC_NICK,
      account: user && password ? { user, password } : null,
      channels,
      allowedInviters: (vars.PARLEY_IRC_ALLOWED_INVITERS ?? '').split(',').map((g) => g.trim()).filter(Boolean),
      burst: vars.PARLEY_IRC_SEND_BURST,
      lineIntervalMs: Math.round(vars.PARLEY_IRC_SEND_INTERVAL_SECONDS * 1000),
    };
  },
  setup: ircSetup,
  // irc-framework loads only where IRC runs, not in every CLI command.
  create: async (deps, settings) => new (await import('./adapter.js')).IrcAdapter(deps, settings),
});

