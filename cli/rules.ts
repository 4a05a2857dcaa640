// `parley rules list|add|remove`: a channel's rules in the chat grammar, numbered per source as `/discourse status`
// and `/gitlab status` number them, so that an admin and a chat user talk about the same rule 2. The source word
// (`discourse`, the default, or `gitlab`) comes after the channel: `parley rules add telegram:-100… gitlab watch p/group/project`.
import type { Command } from 'commander';
import { closest, distance } from 'fastest-levenshtein';
import { isParseFailure, parseRulesCommand } from '../commands/grammar.js';
import { CategoryCache } from '../lib/discourse/categories.js';
import { FILTERS, formatScope, isFilter, isSourceName, SOURCE_NAMES, sortForStatus, type SourceName } from '../lib/rules.js';
import type { ChannelRecord, RuleRecord, Store } from '../lib/seams/store.js';
import { ruleJson } from './channel-ops.js';
import { withStore } from './context.js';
import { CliError, formatChannelName, formatTime, parseChannelName, printJson, printLines, printTable } from './output.js';

/** A channel's rules with their status numbers (1-based, per source as each source's status numbers them). */
export async function numberedRules(store: Store, channelId: number, source?: SourceName): Promise<{ number: number; rule: RuleRecord }[]> {
  const rules = await store.rules.list(channelId);
  return SOURCE_NAMES.filter((s) => source === undefined || s === source).flatMap((s) =>
    sortForStatus(rules.filter((r) => r.source === s)).map((rule, i) => ({ number: i + 1, rule })),
  );
}

/** `[SOURCE] REST...` → the source (discourse when left out) and the rest. */
function leadingSource(words: readonly string[]): { source: SourceName; rest: string[] } {
  const first = words[0]?.toLowerCase();
  return first !== undefined && isSourceName(first) ? { source: first, rest: words.slice(1) } : { source: 'discourse', rest: [...words] };
}

export function ruleText(rule: Pick<RuleRecord, 'filter' | 'scope'>): string {
  return `${rule.filter} ${formatScope(rule.scope)}`;
}

/**
 * Category paths that the forum (as far as Parley's category cache knows it) does not have: a warning,
 * not an error, since an admin may set rules up before Parley has seen the forum's categories.
 */
export async function warnUnknownCategories(store: Store, paths: readonly string[]): Promise<void> {
  const known = await new CategoryCache({ store: store.categories, client: null }).paths();
  if (known.length === 0) return;
  const lower = new Set(known.map((p) => p.toLowerCase()));
  for (const path of paths) {
    if (lower.has(path.toLowerCase())) continue;
    const last = (p: string) => p.slice(p.lastIndexOf('/') + 1);
    const nearest = known
      .map((p) => ({ p, d: Math.min(distance(path, p.toLowerCase()), distance(path, last(p.toLowerCase()))) }))
      .sort((a, b) => a.d - b.d || a.p.localeCompare(b.p))
      .slice(0, 3)
      .map(({ p }) => `c/${p}`);
    process.stderr.write(`warning: Parley knows no forum category c/${path} (nearest: ${nearest.join(', ')}); the rule matches nothing until the forum has it.\n`);
  }
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
  const filter = filterWord.toLowerCase();
  if (!isFilter(filter)) {
    const nearest = closest(filter, FILTERS);
    const guess = distance(filter, nearest) <= 2 ? ` Did you mean ${nearest}?` : '';
    throw new CliError(`"${filterWord}" is not a filter.${guess} Use one of ${FILTERS.join(', ')}, as in ${cmd} watch ${source === 'gitlab' ? 'p/group/project' : 'c/meta'}.`);
  }
  if (scopeWords.length === 0) throw new CliError(`${filter} needs at least one scope, as in ${cmd} ${filter} ${source === 'gitlab' ? 'p/group/project' : 'c/meta'}.`);
  // The chat grammar, so that scopes read the same here as in `/discourse watch …`.
  // Each shell word stays one token: one holding a space or a quote is quoted for the tokenizer.
  const token = (word: string) => (/[\s"'\\]/.test(word) ? `"${word.replace(/["\\]/g, '\\$&')}"` : word);
  const parsed = parseRulesCommand([filter, ...scopeWords.map(token)].join(' '), { cmd, source });
  if (isParseFailure(parsed)) throw new CliError(parsed.message);
  if (parsed.kind !== 'subscribe') throw new CliError(`Expected ${cmd} FILTER SCOPE..., as in ${cmd} watch c/meta t/release.`);

  await withStore(async ({ store }) => {
    await warnUnknownCategories(
      store,
      parsed.scopes.flatMap((s) => (s.type === 'category' ? [s.path] : [])),
    );
    const { channel, created } = await store.channels.ensure({ ...channelName, name: '', status: 'active', addedBy: 'cli' });
    const added: string[] = [];
    const existing: string[] = [];
    for (const scope of parsed.scopes) {
      const result = await store.rules.add({ channelId: channel.id, source, filter: parsed.filter, scope, createdBy: 'cli' });
      (result.created ? added : existing).push(ruleText(result.rule));
    }
    const lines: string[] = [];
    if (created) lines.push(`Added channel ${name} (id ${channel.id}), active.`);
    if (added.length > 0) lines.push(`Added to ${name}: ${added.join(', ')}.`);
    if (existing.length > 0) lines.push(`Already there: ${existing.join(', ')}.`);
    if (channel.status === 'pending') lines.push(`${name} is pending: nothing is delivered there until you approve it with: parley channels add ${name}`);
    lines.push(`${source === 'gitlab' ? 'GitLab rules' : 'Rules'} of ${name} now:`);
    for (const { number, rule } of await numberedRules(store, channel.id, source)) lines.push(`${number}. ${ruleText(rule)}`);
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
    const rules = await numberedRules(store, channel.id, source);
    if (rules.length === 0) throw new CliError(`${name} has no ${source === 'gitlab' ? 'GitLab ' : ''}rules, so there is nothing to remove.`);
    const wrong = numbers.filter((n) => n > rules.length);
    if (wrong.length > 0) {
      const range = rules.length === 1 ? 'its only rule is number 1' : `its rules are numbered 1 to ${rules.length}`;
      throw new CliError(`${name} has no rule ${wrong.join(', ')}: ${range} (see parley rules list ${name}). Nothing was removed.`);
    }
    // All numbers refer to the list as it was before this command, so removing 1 and 2 removes both.
    const targets = [...new Set(numbers)].map((n) => rules[n - 1]!.rule);
    for (const rule of targets) await store.rules.remove(rule.id);
    const left = await numberedRules(store, channel.id, source);
    printLines(
      `Removed from ${name}: ${targets.map(ruleText).join(', ')}.`,
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
