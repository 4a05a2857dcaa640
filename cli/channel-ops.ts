// What an admin does to a channel, and how a channel is shown to one, for the CLI (./channels.ts) and the admin API
// (./admin/api.ts) alike: each operation checks the channel's state, changes the store and says what happened; each face
// words it its own way.
import { IANAZone } from 'luxon';
import { PLATFORMS } from '../bots/registry.js';
import { parseTargetSetting } from '../commands/topic/grammar.js';
import type { ChannelOption } from '../lib/seams/platform.js';
import { formatScope, parseScope } from '../lib/rules.js';
import type { ChannelRecord, ChannelSettings, PlatformName, RuleRecord, Store } from '../lib/seams/store.js';
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

/** Settings as typed, by key: the core's and any platform's; '' asks to remove one. */
export type SettingsInput = Partial<Record<string, string | undefined>>;

/**
 * What is wrong with one setting as typed (`key` names it). The typed value of a platform's setting is never kept:
 * it may be a secret.
 */
export type SettingProblem =
  /** A platform's setting given for a channel of another platform. */
  | { key: string; kind: 'other_platform'; owner: { name: PlatformName; label: string }; option: ChannelOption }
  /** The platform's own check refused it (checkChannelSettings), in the platform's words. */
  | { key: string; kind: 'invalid'; option: ChannelOption; messages: string[] }
  /** `error`: lib/rules.ts parseScope's, or null when it parses as a scope that is not a category. */
  | { key: 'defaultCategory'; kind: 'bad_category'; typed: string; error: string | null }
  | { key: 'transcriptTarget'; kind: 'bad_target'; typed: string }
  | { key: 'timezone'; kind: 'bad_zone'; typed: string };

/** The settings to change (a key to '' removes it), or every problem, in the order of the keys checked. */
export type SettingsPatch = { ok: true; patch: Record<string, string> } | { ok: false; problems: SettingProblem[] };

/**
 * The settings a channel of `platform` is asked to take, checked as `parley channels add` and the admin API check
 * them: a platform's own by its checkChannelSettings, a default category as a category scope, a transcript target as
 * /topic reads it, a time zone as an IANA name. Values are trimmed; '' means "remove this setting".
 */
export function settingsPatch(platform: PlatformName, given: SettingsInput): SettingsPatch {
  const patch: Record<string, string> = {};
  const problems: SettingProblem[] = [];
  for (const { factory, option } of PLATFORM_OPTIONS) {
    const typed = given[option.key];
    if (typed === undefined) continue;
    const value = typed.trim();
    if (value !== '') {
      if (factory.profile.name !== platform) {
        problems.push({ key: option.key, kind: 'other_platform', owner: { name: factory.profile.name, label: factory.profile.label }, option });
        continue;
      }
      const checked = factory.checkChannelSettings({ [option.key]: value });
      if (!checked.ok) {
        problems.push({ key: option.key, kind: 'invalid', option, messages: checked.problems.map((p) => p.message) });
        continue;
      }
    }
    patch[option.key] = value;
  }
  if (given.defaultCategory !== undefined) {
    const typed = given.defaultCategory.trim().replace(/^c\//i, '');
    if (typed === '') {
      patch.defaultCategory = '';
    } else {
      const parsed = parseScope(`c/${typed}`);
      if (parsed.ok && parsed.scope.type === 'category') patch.defaultCategory = parsed.scope.path;
      else problems.push({ key: 'defaultCategory', kind: 'bad_category', typed, error: parsed.ok ? null : parsed.error });
    }
  }
  if (given.transcriptTarget !== undefined) {
    const typed = given.transcriptTarget.trim();
    const target = typed === '' ? null : parseTargetSetting(typed);
    // The forum is the default: naming it removes the setting.
    if (typed !== '' && target === null) problems.push({ key: 'transcriptTarget', kind: 'bad_target', typed });
    else patch.transcriptTarget = target?.kind === 'gitlab' ? `gitlab:${target.project}` : '';
  }
  if (given.timezone !== undefined) {
    const zone = given.timezone.trim();
    if (zone !== '' && !IANAZone.isValidZone(zone)) problems.push({ key: 'timezone', kind: 'bad_zone', typed: zone });
    else patch.timezone = zone;
  }
  return problems.length > 0 ? { ok: false, problems } : { ok: true, patch };
}

/** The settings with a patch applied: '' removes a key, anything else sets it. */
export function applyPatch(settings: ChannelSettings, patch: Readonly<Record<string, string>>): ChannelSettings {
  const next: ChannelSettings = { ...settings };
  for (const [key, value] of Object.entries(patch)) {
    if (value === '') delete next[key];
    else next[key] = value;
  }
  return next;
}

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
    lastError: c.lastError && { code: c.lastError.code, message: c.lastError.message, at: c.lastError.at.toISOString(), raw: c.lastError.raw },
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
