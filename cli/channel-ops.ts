// What an admin does to a channel, and how a channel is shown to one, for the CLI (./channels.ts) and the admin API
// (./admin/api.ts) alike: each operation checks the channel's state, changes the store and says what happened; each face
// words it its own way.
import { PLATFORMS } from '../bots/registry.js';
import { formatScope } from '../lib/rules.js';
import type { ChannelRecord, ChannelSettings, RuleRecord, Store } from '../lib/seams/store.js';
import { formatChannelName, maskUrl } from './output.js';

export type PendingAnswer = { ok: true; channel: ChannelRecord } | { ok: false; reason: 'not_pending'; channel: ChannelRecord };

/**
 * A pending channel (the bot added or invited by someone not allowed to: commands/membership.ts) made active.
 * A bot still waiting to join (Matrix) acts on the answer at its next sync, within a minute.
 */
export async function acceptChannel(store: Store, channel: ChannelRecord): Promise<PendingAnswer> {
  if (channel.status !== 'pending') return { ok: false, reason: 'not_pending', channel };
  await store.channels.update(channel.id, { status: 'active' });
  return { ok: true, channel: { ...channel, status: 'active' } };
}

/** A pending channel refused: removed; a bot still holding the invitation declines it within a minute. */
export async function declineChannel(store: Store, channel: ChannelRecord): Promise<PendingAnswer> {
  if (channel.status !== 'pending') return { ok: false, reason: 'not_pending', channel };
  await store.channels.remove(channel.id);
  return { ok: true, channel };
}

/** A channel removed with its rules (and deliveries, by cascade); says how many rules went with it. */
export async function removeChannel(store: Store, channel: ChannelRecord): Promise<{ rulesRemoved: number }> {
  const rulesRemoved = (await store.rules.list(channel.id)).length;
  await store.channels.remove(channel.id);
  return { rulesRemoved };
}

/** The channel settings platforms keep (Mattermost's webhook URL), with the platform that keeps each. */
export const PLATFORM_OPTIONS = PLATFORMS.flatMap((factory) => factory.channelOptions.map((option) => ({ factory, option })));

/** Settings as they may be shown: a secret one (a webhook URL, whose path is the key) is masked. */
export function visibleSettings(settings: ChannelSettings): ChannelSettings {
  const shown: ChannelSettings = { ...settings };
  for (const { option } of PLATFORM_OPTIONS) {
    const value = shown[option.key];
    if (option.secret && typeof value === 'string') shown[option.key] = maskUrl(value);
  }
  return shown;
}

/** A channel as `parley channels list --json` and the admin API show it: dates as ISO strings, secrets masked. */
export function channelJson(c: ChannelRecord) {
  return {
    id: c.id,
    channel: formatChannelName(c),
    platform: c.platform,
    externalId: c.externalId,
    name: c.name,
    status: c.status,
    lastError: c.lastError && { code: c.lastError.code, message: c.lastError.message, at: c.lastError.at.toISOString() },
    addedBy: c.addedBy,
    createdAt: c.createdAt.toISOString(),
    settings: visibleSettings(c.settings),
  };
}

/** A rule as `parley rules list --json` and the admin API show it, numbered as /discourse status numbers it. */
export function ruleJson(channel: ChannelRecord, number: number, rule: RuleRecord) {
  return {
    channel: formatChannelName(channel),
    channelId: channel.id,
    number,
    id: rule.id,
    source: rule.source,
    filter: rule.filter,
    scope: formatScope(rule.scope),
    createdBy: rule.createdBy,
    createdAt: rule.createdAt.toISOString(),
  };
}
