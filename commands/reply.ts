// The two kinds of reply: to the issuing user only, or to everyone in the channel.
import type { CommandReply } from '../lib/seams/invocation.js';

/** Mistakes, refusals, help and status: only the issuing user needs to see them. */
export function ephemeral(text: string): CommandReply {
  return { text, visibility: 'ephemeral' };
}

/** Successful rule changes: everyone should see what the channel now gets. */
export function toChannel(text: string): CommandReply {
  return { text, visibility: 'channel' };
}
