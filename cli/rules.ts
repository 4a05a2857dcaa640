// `parley rules list|add|remove`: a channel's rules in the chat grammar, numbered per source as `/discourse status`
// and `/gitlab status` number them, so that an admin and a chat user talk about the same rule 2. The source word
// (`discourse`, the default, or `gitlab`) comes after the channel: `parley rules add telegram:-100… gitlab watch p/group/project`.
import type { Command } from 'commander';
import { FILTERS, isSourceName, type SourceName } from '../lib/rules.js';
import type { ChannelRecord, RuleRecord, Store } from '../lib/seams/store.js';
import { ruleJson } from './channel-ops.js';
import { withStore } from './context.js';
import { CliError, formatChannelName, formatTime, parseChannelName, printJson, printLines, printTable } from './output.js';
import { addRules, numberedRules, parseRule, removeRules, ruleRange, ruleText, unknownCategoryWarnings } from './rule-ops.js';

/** `[SOURCE] REST...` → the source (discourse when left out) and the rest. */
function leadingSource(words: readonly string[]): { source: SourceName; rest: string[] } {
  const first = words[0]?.toLowerCase();
  return first !== undefined && isSourceName(first) ? { source: first, rest: words.slice(1) } : { source: 'discourse', rest: [...words] };
}

/** Category paths the forum does not have (./rule-ops.ts unknownCategoryWarnings), as warnings on stderr. */
export async function warnUnknownCategories(store: Store, paths: readonly string[]): Promise<void> {
  for (const warning of await unknownCategoryWarnings(store, paths)) process.stderr.write(`warning: ${warning}\n`);
}

async function list(target: string | undefined, opts: { json?: boolean }): Promise<void> {
  const wanted = target === undefined ? null : parseChannelName(target);
  await withStore(async ({ store }) => {
    let channels: ChannelRecord[];
    if (wanted) {
      const channel = await store.channels.find(wanted.platform, wanted.externalId);
      if (!channel) throw new CliError(`There is no channel ${formatChannelName(wanted)}. See the channels with: parley channels list`);
      channels = [channel];
    } else {
      channels = await store.channels.list();
    }
    const rows: { channel: ChannelRecord; number: number; rule: RuleRecord }[] = [];
    for (const channel of channels) for (const { number, rule } of await numberedRules(store, channel.id)) rows.push({ channel, number, rule });

    if (opts.json) return printJson(rows.map((r) => ruleJson(r.channel, r.number, r.rule)));
    if (rows.length === 0) {
      const name = wanted ? formatChannelName(wanted) : 'PLATFORM:ID';
      return printLines(`${wanted ? `${name} has` : 'There are'} no rules, so nothing is delivered. Add one with: parley rules add ${name} watch c/CATEGORY`);
    }
    printTable(
      ['CHANNEL', 'SOURCE', 'N', 'RULE', 'STATUS', 'CREATED BY', 'CREATED'],
      rows.map(({ channel, number, rule }) => [formatChannelName(channel), rule.source, String(number), ruleText(rule), channel.status, rule.createdBy ?? '', formatTime(rule.createdAt)]),
    );
  });
}

async function add(target: string, words: string[]): Promise<void> {
  const channelName = parseChannelName(target);
  const name = formatChannelName(channelName);
  const { source, rest } = leadingSource(words);
  const [filterWord = '', ...scopeWords] = rest;
  const cmd = `parley rules add ${name}${source === 'discourse' ? '' : ` ${source}`}`;
  const example = source === 'gitlab' ? 'p/group/project' : 'c/meta';
  const parsed = parseRule(source, filterWord, scopeWords, cmd);
  if (!parsed.ok) {
    const problem = parsed.problem;
    switch (problem.kind) {
      case 'bad_filter':
        throw new CliError(`"${problem.word}" is not a filter.${problem.guess ? ` Did you mean ${problem.guess}?` : ''} Use one of ${FILTERS.join(', ')}, as in ${cmd} watch ${example}.`);
      case 'no_scopes':
        throw new CliError(`${problem.filter} needs at least one scope, as in ${cmd} ${problem.filter} ${example}.`);
      default:
        throw new CliError(problem.message);
    }
  }

  await withStore(async ({ store }) => {
    const { channel, created } = await store.channels.ensure({ ...channelName, name: '', status: 'active', addedBy: 'cli' });
    const result = await addRules(store, channel, { source, filter: parsed.filter, scopes: parsed.scopes }, 'cli');
    for (const warning of result.warnings) process.stderr.write(`warning: ${warning}\n`);
    const lines: string[] = [];
    if (created) lines.push(`Added channel ${name} (id ${channel.id}), active.`);
    if (result.added.length > 0) lines.push(`Added to ${name}: ${result.added.map(ruleText).join(', ')}.`);
    if (result.existing.length > 0) lines.push(`Already there: ${result.existing.map(ruleText).join(', ')}.`);
    if (channel.status === 'pending') lines.push(`${name} is pending: nothing is delivered there until you approve it with: parley channels add ${name}`);
    lines.push(`${source === 'gitlab' ? 'GitLab rules' : 'Rules'} of ${name} now:`);
    for (const { number, rule } of result.rules) lines.push(`${number}. ${ruleText(rule)}`);
    printLines(...lines);
  });
}

async function remove(target: string, words: string[]): Promise<void> {
  const channelName = parseChannelName(target);
  const name = formatChannelName(channelName);
  const { source, rest: numberWords } = leadingSource(words);
  if (numberWords.length === 0) throw new CliError(`Give the numbers of the rules to remove, as parley rules list ${name} shows them.`);
  const numbers = numberWords.map((word) => {
    const m = /^#?(\d{1,9})$/.exec(word.trim());
    if (!m || Number(m[1]) < 1) throw new CliError(`"${word}" is not a rule number: use the numbers shown by parley rules list ${name} (1, 2, …).`);
    return Number(m[1]);
  });
  await withStore(async ({ store }) => {
    const channel = await store.channels.find(channelName.platform, channelName.externalId);
    if (!channel) throw new CliError(`There is no channel ${name}. See the channels with: parley channels list`);
    const result = await removeRules(store, channel, source, numbers);
    if (!result.ok && result.reason === 'no_rules') throw new CliError(`${name} has no ${source === 'gitlab' ? 'GitLab ' : ''}rules, so there is nothing to remove.`);
    if (!result.ok) throw new CliError(`${name} has no rule ${result.wrong.join(', ')}: ${ruleRange(result.count)} (see parley rules list ${name}). Nothing was removed.`);
    const left = result.rules;
    printLines(
      `Removed from ${name}: ${result.removed.map(({ rule }) => ruleText(rule)).join(', ')}.`,
      ...(left.length > 0 ? [`Rules of ${name} now:`, ...left.map(({ number, rule }) => `${number}. ${ruleText(rule)}`)] : [`${name} has no rules left, so nothing is delivered there.`]),
    );
  });
}

export function rulesCommand(program: Command): void {
  const rules = program.command('rules').description("list, add and remove channels' rules (the chat grammar: FILTER SCOPE...)");
  rules
    .command('list')
    .description('rules, numbered per channel as /discourse status numbers them (most restrictive first)')
    .argument('[channel]', 'PLATFORM:ID; all channels when left out')
    .option('--json', 'print a JSON array')
    .action(list);
  rules
    .command('add')
    .description('add one rule per scope; creates the channel (active) when missing')
    .argument('<channel>', 'PLATFORM:ID, as in telegram:-1001234')
    .argument('<rule...>', `[discourse | gitlab] FILTER (${FILTERS.join(' | ')}) SCOPE...: all | c/SLUG | c/PARENT/CHILD | t/TAG, or for gitlab all | p/GROUP/PROJECT | g/GROUP | l/LABEL`)
    .addHelpText('after', '\nExamples:\n  parley rules add telegram:-1001234 watch c/meta t/release\n  parley rules add telegram:-1001234 gitlab watch p/group/project')
    .action(add);
  rules
    .command('remove')
    .description('remove rules by their numbers in parley rules list')
    .argument('<channel>', 'PLATFORM:ID')
    .argument('<n...>', '[discourse | gitlab] and the rule numbers as listed for that source')
    .action(remove);
}
