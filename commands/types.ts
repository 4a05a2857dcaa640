// What an adapter hands the command core, and what it gets back.
import type { PlatformName } from '../lib/store/types.js';

export interface CommandInvocation {
  platform: PlatformName;
  /** `discourse` or `topic`, without slash, bang or @BotName. */
  command: string;
  /** Everything after the command word, as the user typed it. */
  args: string;
  channel: { externalId: string; name: string; isPrivate: boolean };
  user: { id: string; username: string; displayName: string };
  /** The user's IANA time zone where the platform tells it (Slack). */
  timezone?: string;
  /** Platform ids the adapter needs again to check roles (Mattermost team id, …). */
  platformContext?: Record<string, string>;
}

export interface CommandReply {
  /** Plain text; adapters escape it for their markup. Lines separated by \n. */
  text: string;
  /** Ephemeral replies are shown to the issuing user only, where the platform allows. */
  visibility: 'ephemeral' | 'channel';
}
