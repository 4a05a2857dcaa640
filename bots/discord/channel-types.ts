// What kind of Discord channel a registered channel is (a forum channel takes posts, not messages), known without
// asking Discord on the delivery path: every interaction says its channel's type, and a type once asked is kept in
// the store for every process and restart. An asked type is a REST request the platform's pacing does not count
// (jobs/channel-limiter.ts paces one request per delivery), so a fan-out to new channels would overrun Discord's
// global limit if each first send asked.
import { ChannelType, Routes, type APIChannel, type REST } from 'discord.js';
import type { Logger } from '../../lib/log.js';
import type { PlatformStateStore } from '../../lib/seams/store.js';
import { discordCall } from './rest.js';

const key = (channelId: string) => `channel-type:${channelId}`;

export class ChannelTypes {
  private readonly known = new Map<string, ChannelType>();

  constructor(
    private readonly rest: REST,
    private readonly state: PlatformStateStore,
    private readonly log: Logger,
  ) {}

  /** A type an interaction told: kept when new. Never throws (a command must not fail for it). */
  async note(channelId: string | undefined, type: ChannelType | undefined): Promise<void> {
    if (!channelId || type === undefined || this.known.get(channelId) === type) return;
    this.known.set(channelId, type);
    await this.state.set('discord', key(channelId), String(type)).catch((err: Error) => this.log.debug({ err: err.message }, 'discord: could not keep the channel type'));
  }

  /** The channel's type: remembered, kept, or else asked of Discord once and kept. Undefined when Discord would not say. */
  async of(channelId: string): Promise<ChannelType | undefined> {
    const remembered = this.known.get(channelId);
    if (remembered !== undefined) return remembered;
    const kept = await this.state.get('discord', key(channelId));
    if (kept !== undefined && Number.isInteger(Number(kept))) {
      this.known.set(channelId, Number(kept));
      return Number(kept);
    }
    try {
      const channel = await discordCall<APIChannel>(() => this.rest.get(Routes.channel(channelId)));
      await this.note(channelId, channel.type);
      return channel.type;
    } catch (err) {
      // Not worth failing the send for: the send itself will say what is wrong.
      this.log.debug({ err: (err as Error).message }, 'discord: could not read the channel type');
      return undefined;
    }
  }
}
