// `parley channels list|add|remove`: the rooms Parley talks to, as an admin manages them.
import type { Command } from 'commander';
import { IANAZone } from 'luxon';
import { parseScope } from '../lib/rules.js';
import type { ChannelRecord, ChannelSettings, PlatformName } from '../lib/store/types.js';
import { withStore } from './context.js';
import { CliError, formatChannelName, formatTime, maskUrl, parseChannelName, parsePlatform, printJson, printLines, printTable } from './output.js';
import { warnUnknownCategories } from './rules.js';

/** Settings as they may be shown: the webhook URL is a secret (its path is the key). */
function visibleSettings(settings: ChannelSettings): ChannelSettings {
  return settings.webhookUrl === undefined ? { ...settings } : { ...settings, webhookUrl: maskUrl(settings.webhookUrl) };
}

function describeSettings(settings: ChannelSettings): string {
  const shown = visibleSettings(settings);
  const parts: string[] = [];
  if (shown.webhookUrl) parts.push(`webhook ${shown.webhookUrl}`);
  if (shown.defaultCategory) parts.push(`category c/${shown.defaultCategory}`);
  if (shown.timezone) parts.push(`zone ${shown.timezone}`);
  return parts.join(', ');
}

function describeLastError(e: ChannelRecord['lastError']): string {
  return e ? `${e.code}: ${e.message} (${formatTime(e.at)})` : '';
}

function channelJson(c: ChannelRecord) {
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

interface AddOptions {
  name?: string;
  webhookUrl?: string;
  defaultCategory?: string;
  timezone?: string;
}

/** The settings the options ask for; an empty value ('') means "remove this setting". */
function settingsPatch(platform: PlatformName, opts: AddOptions): Partial<Record<keyof ChannelSettings, string>> {
  const patch: Partial<Record<keyof ChannelSettings, string>> = {};
  if (opts.webhookUrl !== undefined) {
    const value = opts.webhookUrl.trim();
    if (value !== '') {
      if (platform !== 'mattermost') {
        throw new CliError(`--webhook-url is for Mattermost incoming webhooks only; ${platform} channels are reached through the bot. Use it as: parley channels add mattermost:CHANNEL_ID --webhook-url URL`);
      }
      let url: URL | null = null;
      try {
        url = new URL(value);
      } catch {
        url = null;
      }
      // The URL itself is not echoed: it is a secret.
      if (!url || (url.protocol !== 'http:' && url.protocol !== 'https:')) {
        throw new CliError('--webhook-url must be an http:// or https:// URL, as Mattermost shows it for the incoming webhook (https://chat.example.org/hooks/KEY).');
      }
    }
    patch.webhookUrl = value;
  }
  if (opts.defaultCategory !== undefined) {
    const typed = opts.defaultCategory.trim().replace(/^c\//i, '');
    if (typed === '') {
      patch.defaultCategory = '';
    } else {
      const parsed = parseScope(`c/${typed}`);
      if (!parsed.ok || parsed.scope.type !== 'category') {
        throw new CliError(`--default-category: ${parsed.ok ? `"${typed}" is not a category` : parsed.error}. Give a slug or parent/child slug path, as in --default-category meta.`);
      }
      patch.defaultCategory = parsed.scope.path;
    }
  }
  if (opts.timezone !== undefined) {
    const zone = opts.timezone.trim();
    if (zone !== '' && !IANAZone.isValidZone(zone)) {
      throw new CliError(`--timezone: "${zone}" is not an IANA time zone; use a name such as Europe/Berlin, America/New_York or UTC.`);
    }
    patch.timezone = zone;
  }
  return patch;
}

function applyPatch(settings: ChannelSettings, patch: Partial<Record<keyof ChannelSettings, string>>): ChannelSettings {
  const next: ChannelSettings = { ...settings };
  for (const [key, value] of Object.entries(patch) as [keyof ChannelSettings, string][]) {
    if (value === '') delete next[key];
    else next[key] = value;
  }
  return next;
}

async function list(opts: { platform?: string; json?: boolean }): Promise<void> {
  const platform = opts.platform === undefined ? undefined : parsePlatform(opts.platform);
  await withStore(async ({ store }) => {
    const channels = await store.channels.list(platform ? { platform } : {});
    if (opts.json) return printJson(channels.map(channelJson));
    if (channels.length === 0) {
      return printLines(`No ${platform ? `${platform} ` : ''}channels yet. Add one with: parley channels add PLATFORM:ID (platforms: telegram, mattermost, …)`);
    }
    printTable(
      ['ID', 'CHANNEL', 'NAME', 'STATUS', 'LAST ERROR', 'ADDED BY', 'CREATED', 'SETTINGS'],
      channels.map((c) => [String(c.id), formatChannelName(c), c.name, c.status, describeLastError(c.lastError), c.addedBy ?? '', formatTime(c.createdAt), describeSettings(c.settings)]),
    );
  });
}

async function add(target: string, opts: AddOptions): Promise<void> {
  const { platform, externalId } = parseChannelName(target);
  const patch = settingsPatch(platform, opts);
  const name = formatChannelName({ platform, externalId });
  await withStore(async ({ store }) => {
    if (patch.defaultCategory) await warnUnknownCategories(store, [patch.defaultCategory]);
    const existing = await store.channels.find(platform, externalId);
    if (!existing) {
      const { channel } = await store.channels.ensure({
        platform,
        externalId,
        name: opts.name?.trim() ?? '',
        status: 'active',
        addedBy: 'cli',
        settings: applyPatch({}, patch),
      });
      const settings = describeSettings(channel.settings);
      return printLines(`Added ${name} (id ${channel.id}), active.${settings ? ` Settings: ${settings}.` : ''} Give it rules with: parley rules add ${name} watch c/CATEGORY`);
    }
    const settings = applyPatch(existing.settings, patch);
    const activate = existing.status === 'pending';
    await store.channels.update(existing.id, {
      ...(opts.name !== undefined ? { name: opts.name.trim() } : {}),
      ...(activate ? { status: 'active' as const } : {}),
      ...(Object.keys(patch).length > 0 ? { settings } : {}),
    });
    const changes = [
      activate ? 'activated it (was pending)' : null,
      opts.name !== undefined ? 'set its name' : null,
      ...Object.keys(patch).map((k) => `${patch[k as keyof ChannelSettings] === '' ? 'removed' : 'set'} ${k}`),
    ].filter((c): c is string => c !== null);
    const statusNote =
      existing.status === 'error' ? ` It is in error (${describeLastError(existing.lastError)}); it becomes active again on its next successful delivery.` : '';
    const shown = describeSettings(settings);
    printLines(
      `${name} (id ${existing.id}) already exists: ${changes.length > 0 ? changes.join(', ') : 'nothing to change'}.${shown ? ` Settings: ${shown}.` : ''}${statusNote}`,
    );
  });
}

async function remove(target: string): Promise<void> {
  const { platform, externalId } = parseChannelName(target);
  const name = formatChannelName({ platform, externalId });
  await withStore(async ({ store }) => {
    const channel = await store.channels.find(platform, externalId);
    if (!channel) throw new CliError(`There is no channel ${name}. See the channels with: parley channels list`);
    const rules = (await store.rules.list(channel.id)).length;
    await store.channels.remove(channel.id);
    printLines(`Removed ${name} and its ${rules === 1 ? '1 rule' : `${rules} rules`}.`);
  });
}

export function channelsCommand(program: Command): void {
  const channels = program.command('channels').description('list, add (or approve) and remove the chat channels Parley talks to');
  channels
    .command('list')
    .description('every channel: id, platform:id, name, status, last error, who added it, when')
    .option('--platform <platform>', 'only channels of this platform')
    .option('--json', 'print a JSON array')
    .action(list);
  channels
    .command('add')
    .description('add a channel (active), or approve a pending one and change its settings; an empty value removes a setting')
    .argument('<channel>', 'PLATFORM:ID, as in telegram:-1001234 or mattermost:CHANNEL_ID')
    .option('--name <name>', 'display name')
    .option('--webhook-url <url>', 'Mattermost: deliver through this incoming webhook (kept secret in listings)')
    .option('--default-category <slug>', 'category for transcripts when /topic names none (slug or parent/child)')
    .option('--timezone <zone>', 'IANA time zone for times typed in this channel, e.g. Europe/Berlin')
    .action(add);
  channels
    .command('remove')
    .description('remove a channel and its rules')
    .argument('<channel>', 'PLATFORM:ID')
    .action(remove);
}
