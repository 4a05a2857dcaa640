// `parley channels list|add|accept|decline|remove`: the rooms Parley talks to, as an admin manages them.
import type { Command } from 'commander';
import type { ChannelRecord, ChannelSettings, PlatformName } from '../lib/seams/store.js';
import { acceptChannel, applyPatch, channelJson, declineChannel, PLATFORM_OPTIONS, removeChannel, settingsPatch, visibleSettings, type SettingProblem } from './channel-ops.js';
import { withStore } from './context.js';
import { CliError, PLATFORM_NAMES, formatChannelName, formatTime, parseChannelName, parsePlatform, printJson, printLines, printTable } from './output.js';
import { warnUnknownCategories } from './rules.js';

function describeSettings(settings: ChannelSettings): string {
  const shown = visibleSettings(settings);
  const parts: string[] = [];
  for (const { option } of PLATFORM_OPTIONS) {
    const value = shown[option.key];
    if (typeof value === 'string' && value) parts.push(`${option.flag.replace(/^--| <.*$/g, '')} ${value}`);
  }
  if (shown.defaultCategory) parts.push(`category c/${shown.defaultCategory}`);
  if (typeof shown.transcriptTarget === 'string' && shown.transcriptTarget) parts.push(`transcripts to ${shown.transcriptTarget}`);
  if (shown.timezone) parts.push(`zone ${shown.timezone}`);
  return parts.join(', ');
}

function describeLastError(e: ChannelRecord['lastError']): string {
  return e ? `${e.code}: ${e.message} (${formatTime(e.at)})` : '';
}

interface AddOptions {
  name?: string;
  defaultCategory?: string;
  transcriptTarget?: string;
  timezone?: string;
  /** A platform's own settings, by their keys (commander names them after the flags). */
  [platformSetting: string]: string | undefined;
}

/** `--webhook-url <url>` → `webhook-url`. */
const flagName = (flag: string): string => flag.replace(/^--| <.*$/g, '');

/** The CLI's words for a setting refused (./channel-ops.ts checks them for the CLI and the admin API alike). */
function settingProblemText(platform: PlatformName, problem: SettingProblem): string {
  switch (problem.kind) {
    case 'other_platform': {
      const flag = flagName(problem.option.flag);
      return `--${flag} is a ${problem.owner.label} setting (${problem.option.description}); ${platform} channels have no such setting. Use it as: parley channels add ${problem.owner.name}:ID --${flag} VALUE`;
    }
    case 'invalid':
      // The value itself is not echoed: it may be a secret.
      return problem.messages.map((m) => `--${flagName(problem.option.flag)} ${m}.`).join(' ');
    case 'bad_category':
      return `--default-category: ${problem.error ?? `"${problem.typed}" is not a category`}. Give a slug or parent/child slug path, as in --default-category meta.`;
    case 'bad_target':
      return `--transcript-target: "${problem.typed}" is not a transcript target. Give gitlab:GROUP/PROJECT (subgroups as in GitLab: gitlab:group/sub/project), or forum (the default).`;
    case 'bad_zone':
      return `--timezone: "${problem.typed}" is not an IANA time zone; use a name such as Europe/Berlin, America/New_York or UTC.`;
  }
}

/** The settings the options ask for; an empty value ('') means "remove this setting". The first problem stops. */
function checkedPatch(platform: PlatformName, opts: AddOptions): Record<string, string> {
  const checked = settingsPatch(platform, opts);
  if (!checked.ok) throw new CliError(settingProblemText(platform, checked.problems[0]!));
  return checked.patch;
}

async function list(opts: { platform?: string; json?: boolean }): Promise<void> {
  const platform = opts.platform === undefined ? undefined : parsePlatform(opts.platform);
  await withStore(async ({ store }) => {
    const channels = await store.channels.list(platform ? { platform } : {});
    if (opts.json) return printJson(channels.map(channelJson));
    if (channels.length === 0) {
      return printLines(`No ${platform ? `${platform} ` : ''}channels yet. Add one with: parley channels add PLATFORM:ID (platforms: ${PLATFORM_NAMES.join(', ')})`);
    }
    printTable(
      ['ID', 'CHANNEL', 'NAME', 'STATUS', 'LAST ERROR', 'ADDED BY', 'CREATED', 'SETTINGS'],
      channels.map((c) => [String(c.id), formatChannelName(c), c.name, c.status, describeLastError(c.lastError), c.addedBy ?? '', formatTime(c.createdAt), describeSettings(c.settings)]),
    );
  });
}

async function addChannel(target: string, opts: AddOptions): Promise<void> {
  const { platform, externalId } = parseChannelName(target);
  const patch = checkedPatch(platform, opts);
  const name = formatChannelName({ platform, externalId });
  await withStore(async ({ store, config }) => {
    if (patch.defaultCategory) await warnUnknownCategories(store, [patch.defaultCategory]);
    if (patch.transcriptTarget && !config.gitlab) {
      process.stderr.write('warning: GitLab is not configured (PARLEY_GITLAB_URL, PARLEY_GITLAB_TOKEN, PARLEY_GITLAB_WEBHOOK_SECRET): /topic refuses GitLab transcripts until it is.\n');
    }
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
      ...Object.keys(patch).map((k) => `${patch[k] === '' ? 'removed' : 'set'} ${k}`),
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
    const { rulesRemoved } = await removeChannel(store, channel);
    printLines(`Removed ${name} and its ${rulesRemoved === 1 ? '1 rule' : `${rulesRemoved} rules`}.`);
  });
}

/** Accepts or declines a pending channel (./channel-ops.ts), and says so. */
async function answerPending(target: string, act: typeof acceptChannel, done: (channel: ChannelRecord, name: string) => string): Promise<void> {
  const { platform, externalId } = parseChannelName(target);
  const name = formatChannelName({ platform, externalId });
  await withStore(async ({ store }) => {
    const channel = await store.channels.find(platform, externalId);
    if (!channel) throw new CliError(`There is no channel ${name}. Pending channels: parley channels list`);
    const answer = await act(store, channel);
    if (!answer.ok) throw new CliError(`${name} is not pending (it is ${channel.status}): ${channel.status === 'active' ? `remove it with parley channels remove ${name}` : 'nothing to answer'}.`);
    printLines(done(channel, name));
  });
}

const accept = (target: string) =>
  answerPending(
    target,
    acceptChannel,
    (channel, name) => `Accepted ${name} (id ${channel.id}): it is active; a bot still waiting to join does so within a minute. Give it rules with: parley rules add ${name} watch c/CATEGORY`,
  );

const decline = (target: string) => answerPending(target, declineChannel, (_channel, name) => `Declined ${name}: removed; a bot still holding the invitation declines it within a minute.`);

export function channelsCommand(program: Command): void {
  const channels = program.command('channels').description('list, add, accept or decline (pending ones) and remove the chat channels Parley talks to');
  channels
    .command('list')
    .description('every channel: id, platform:id, name, status, last error, who added it, when')
    .option('--platform <platform>', 'only channels of this platform')
    .option('--json', 'print a JSON array')
    .action(list);
  const add = channels
    .command('add')
    .description('add a channel (active), or approve a pending one and change its settings; an empty value removes a setting')
    .argument('<channel>', 'PLATFORM:ID, as in telegram:-1001234 or mattermost:CHANNEL_ID')
    .option('--name <name>', 'display name')
    .option('--default-category <slug>', 'category for transcripts when /topic names none (slug or parent/child)')
    .option('--transcript-target <target>', '/topic without to: makes a GitLab issue there: gitlab:GROUP/PROJECT (forum or an empty value: forum topics, the default)')
    .option('--timezone <zone>', 'IANA time zone for times typed in this channel, e.g. Europe/Berlin');
  // Each platform's own channel settings, from its folder.
  for (const { factory, option } of PLATFORM_OPTIONS) add.option(option.flag, `${factory.profile.label}: ${option.description}${option.secret ? ' (kept secret in listings)' : ''}`);
  add.action(addChannel);
  channels
    .command('accept')
    .description('approve a pending channel (the bot added or invited by someone not allowed to): it becomes active, and a bot waiting for the answer joins')
    .argument('<channel>', 'PLATFORM:ID')
    .action(accept);
  channels
    .command('decline')
    .description('refuse a pending channel: it is removed, and a bot waiting for the answer declines the invitation')
    .argument('<channel>', 'PLATFORM:ID')
    .action(decline);
  channels
    .command('remove')
    .description('remove a channel and its rules')
    .argument('<channel>', 'PLATFORM:ID')
    .action(remove);
}
