// What an IRC server's refusals mean to Parley (docs/architecture.md#irc). IRC answers a PRIVMSG with nothing
// when it works and with a numeric when it does not; a JOIN with the bot's own JOIN or a numeric. Each numeric
// becomes the error the delivery job acts on, its message saying what an operator would do about it.
import { PlatformPermanentError, PlatformRateLimitedError, PlatformTransientError, PlatformUnreachableError, type PermanentReason } from '../../lib/errors.js';

/** A refusal the server sent: its numeric, the channel or nick it is about, and its own words. */
export interface Refusal {
  numeric: string;
  target: string;
  reason: string;
}

/** Numerics that refuse a JOIN or a message to a channel (RFC 1459, RFC 2812, and what networks added). */
export const REFUSALS = new Set(['401', '403', '404', '405', '437', '442', '471', '473', '474', '475', '476', '477', '489', '520']);

/** The error a refusal of a JOIN or a PRIVMSG to `channel` means. */
export function errorOfRefusal(refusal: Refusal, channel: string): PlatformPermanentError | PlatformTransientError {
  const said = refusal.reason ? ` (the server said: ${refusal.reason})` : '';
  // The numeric line for admins, as the server sent it but for its prefix and the bot's nick.
  const line = `${refusal.numeric} ${refusal.target}${refusal.reason ? ` :${refusal.reason}` : ''}`;
  const permanent = (reason: PermanentReason, message: string) => new PlatformPermanentError(reason, message, line);
  switch (refusal.numeric) {
    case '474':
      return permanent('bot_removed', `The bot is banned from ${channel}${said}: remove the ban (/mode ${channel} -b <mask>) and /invite it again`);
    case '473':
      return permanent('forbidden', `${channel} is invite-only${said}: /invite the bot, or add an invite exception for it (/mode ${channel} +I <mask>)`);
    case '475':
      return permanent('forbidden', `${channel} needs a key${said}: set it in PARLEY_IRC_CHANNELS as "${channel} <key>"`);
    case '477':
    case '520':
      return permanent('forbidden', `${channel} admits only logged-in users${said}: register the bot's nick and set PARLEY_IRC_SASL_USER and PARLEY_IRC_SASL_PASSWORD`);
    case '489':
      return permanent('forbidden', `${channel} admits only TLS connections${said}: set PARLEY_IRC_TLS=true`);
    case '405':
      return permanent('forbidden', `The bot is in as many channels as the network allows${said}: remove channels it no longer needs (parley channels remove)`);
    case '403':
    case '476':
    case '401':
      return permanent('channel_not_found', `There is no channel ${channel} on this network${said}: check its name, then remove it (parley channels remove) and add the right one`);
    case '404':
      return permanent('forbidden', `The bot may not speak in ${channel}${said}: give it voice (/mode ${channel} +v <nick>) or lift the ban or quiet on it`);
    case '471':
      return new PlatformTransientError(`${channel} is full${said}; trying again later`);
    default:
      // 437 (temporarily unavailable), 442 (not on the channel: it is joined again next time): worth retrying.
      return new PlatformTransientError(`${channel}: ${refusal.numeric}${said}`);
  }
}

/**
 * Not connected (yet, or any more): IRC as a whole cannot be reached, so the platform's deliveries wait together for
 * the reconnection without spending attempts (docs/architecture.md#faults).
 */
export function notConnected(detail: string): PlatformUnreachableError {
  return new PlatformUnreachableError(`not connected to the IRC server: ${detail}`);
}

/** How long a delivery picked up by a process without the connection waits before it is tried again. */
export const ELSEWHERE_RETRY_MS = 5000;

/**
 * This process does not hold the connection (another bots process does, or none yet): only the holder can send.
 * The delivery is put back without spending an attempt, for the holder's worker to pick up.
 */
export function connectionElsewhere(): PlatformRateLimitedError {
  return new PlatformRateLimitedError(
    ELSEWHERE_RETRY_MS,
    'IRC: this process does not hold the IRC connection, so it cannot send; the delivery waits for the process that does (run the workers and bots roles together: npm start, or parley start --role workers,bots)',
  );
}
