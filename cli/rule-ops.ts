// What an admin does to a channel's rules, for `parley rules` (./rules.ts) and the admin API
// (./admin/routes-rules.ts) alike: the rule is read with the chat grammar (commands/grammar.ts, so that scopes read
// the same as in `/discourse watch …`), added or removed in the store, and the rules are numbered per source as
// `/discourse status` and `/gitlab status` number them. Each operation says what happened or what was wrong, as data:
// each face words it its own way (and the CLI's words are the ones its tests know).
import { closest, distance } from 'fastest-levenshtein';
import { isParseFailure, parseRulesCommand } from '../commands/grammar.js';
import { CategoryCache } from '../lib/discourse/categories.js';
import { FILTERS, formatScope, isFilter, parseScope, SOURCE_NAMES, sortForStatus, type Filter, type Scope, type SourceName } from '../lib/rules.js';
import type { ChannelRecord, RuleRecord, Store } from '../lib/seams/store.js';

export interface NumberedRule {
  number: number;
  rule: RuleRecord;
}

/** A channel's rules with their status numbers (1-based, per source as each source's status numbers them). */
export async function numberedRules(store: Store, channelId: number, source?: SourceName): Promise<NumberedRule[]> {
  const rules = await store.rules.list(channelId);
  return SOURCE_NAMES.filter((s) => source === undefined || s === source).flatMap((s) =>
    sortForStatus(rules.filter((r) => r.source === s)).map((rule, i) => ({ number: i + 1, rule })),
  );
}

/** `watch c/meta`: a rule as the chat grammar writes it. */
export function ruleText(rule: Pick<RuleRecord, 'filter' | 'scope'>): string {
  return `${rule.filter} ${formatScope(rule.scope)}`;
}

/** What is wrong with a rule as typed. `message` is the chat grammar's (with `cmd` in its examples). */
export type RuleProblem =
  | { kind: 'bad_filter'; word: string; guess: string | null }
  | { kind: 'no_scopes'; filter: Filter }
  /** `index`: which of the typed scopes; `error`: what lib/rules.ts parseScope says of it, without the example. */
  | { kind: 'bad_scope'; index: number | null; scope: string | null; error: string; message: string }
  | { kind: 'grammar'; message: string };

export type ParsedRule = { ok: true; filter: Filter; scopes: Scope[] } | { ok: false; problem: RuleProblem };

/** Each typed scope stays one token: one holding a space or a quote is quoted for the tokenizer. */
const token = (word: string) => (/[\s"'\\]/.test(word) ? `"${word.replace(/["\\]/g, '\\$&')}"` : word);

/**
 * A filter word and the scopes as typed (`c/meta`, `t/release`, `p/group/app`, or several in one, comma-separated)
 * read with the chat grammar of `source`; `cmd` is how the command is typed, for the grammar's examples.
 */
export function parseRule(source: SourceName, filterWord: string, scopeWords: readonly string[], cmd: string): ParsedRule {
  const filter = filterWord.toLowerCase();
  if (!isFilter(filter)) {
    const nearest = closest(filter, FILTERS);
    return { ok: false, problem: { kind: 'bad_filter', word: filterWord, guess: distance(filter, nearest) <= 2 ? nearest : null } };
  }
  if (scopeWords.length === 0) return { ok: false, problem: { kind: 'no_scopes', filter } };
  const parsed = parseRulesCommand([filter, ...scopeWords.map(token)].join(' '), { cmd, source });
  if (isParseFailure(parsed)) {
    if (parsed.id !== 'parse.bad_scope') return { ok: false, problem: { kind: 'grammar', message: parsed.message } };
    // Which typed scope it was: the first whose items (split on commas, as the grammar splits them) parseScope refuses.
    for (const [index, word] of scopeWords.entries()) {
      for (const item of word.split(',').map((s) => s.trim()).filter((s) => s.length > 0)) {
        const scope = parseScope(item, source);
        if (!scope.ok) return { ok: false, problem: { kind: 'bad_scope', index, scope: word, error: scope.error, message: parsed.message } };
      }
    }
    return { ok: false, problem: { kind: 'bad_scope', index: null, scope: null, error: parsed.message, message: parsed.message } };
  }
  if (parsed.kind !== 'subscribe') return { ok: false, problem: { kind: 'grammar', message: `Expected ${cmd} FILTER SCOPE..., as in ${cmd} watch c/meta t/release.` } };
  return { ok: true, filter: parsed.filter, scopes: parsed.scopes };
}

/**
 * Category paths that the forum (as far as Parley's category cache knows it) does not have, one warning each:
 * not an error, since an admin may set rules up before Parley has seen the forum's categories.
 */
export async function unknownCategoryWarnings(store: Store, paths: readonly string[]): Promise<string[]> {
  const known = await new CategoryCache({ store: store.categories, client: null }).paths();
  if (known.length === 0) return [];
  const lower = new Set(known.map((p) => p.toLowerCase()));
  const warnings: string[] = [];
  for (const path of paths) {
    if (lower.has(path.toLowerCase())) continue;
    const last = (p: string) => p.slice(p.lastIndexOf('/') + 1);
    const nearest = known
      .map((p) => ({ p, d: Math.min(distance(path, p.toLowerCase()), distance(path, last(p.toLowerCase()))) }))
      .sort((a, b) => a.d - b.d || a.p.localeCompare(b.p))
      .slice(0, 3)
      .map(({ p }) => `c/${p}`);
    warnings.push(`Parley knows no forum category c/${path} (nearest: ${nearest.join(', ')}); the rule matches nothing until the forum has it.`);
  }
  return warnings;
}

export interface RulesAdded {
  /** Rules made now, and rules that were already there (the same source, filter and scope), in the order typed. */
  added: RuleRecord[];
  existing: RuleRecord[];
  /** The channel's rules of that source now, numbered. */
  rules: NumberedRule[];
  /** Unknown forum categories (unknownCategoryWarnings). */
  warnings: string[];
}

/** One rule per scope added to a channel; a rule already there is left as it is. */
export async function addRules(store: Store, channel: ChannelRecord, rule: { source: SourceName; filter: Filter; scopes: readonly Scope[] }, createdBy: string): Promise<RulesAdded> {
  const warnings = await unknownCategoryWarnings(
    store,
    rule.scopes.flatMap((s) => (s.type === 'category' ? [s.path] : [])),
  );
  const added: RuleRecord[] = [];
  const existing: RuleRecord[] = [];
  for (const scope of rule.scopes) {
    const result = await store.rules.add({ channelId: channel.id, source: rule.source, filter: rule.filter, scope, createdBy });
    (result.created ? added : existing).push(result.rule);
  }
  return { added, existing, rules: await numberedRules(store, channel.id, rule.source), warnings };
}

export type RulesRemoved =
  /** `removed` with the numbers they had; `rules`: what is left of that source, numbered again. */
  | { ok: true; removed: NumberedRule[]; rules: NumberedRule[] }
  | { ok: false; reason: 'no_rules' }
  /** `count`: how many rules of that source there are (ruleRange says it). Nothing was removed. */
  | { ok: false; reason: 'no_such_rule'; wrong: number[]; count: number };

/**
 * Rules removed by their status numbers for one source. Every number refers to the list as it was before, so
 * removing 1 and 2 removes both; any number out of range removes nothing.
 */
export async function removeRules(store: Store, channel: ChannelRecord, source: SourceName, numbers: readonly number[]): Promise<RulesRemoved> {
  const rules = await numberedRules(store, channel.id, source);
  if (rules.length === 0) return { ok: false, reason: 'no_rules' };
  const wrong = numbers.filter((n) => n < 1 || n > rules.length);
  if (wrong.length > 0) return { ok: false, reason: 'no_such_rule', wrong, count: rules.length };
  const removed = [...new Set(numbers)].map((n) => rules[n - 1]!);
  for (const { rule } of removed) await store.rules.remove(rule.id);
  return { ok: true, removed, rules: await numberedRules(store, channel.id, source) };
}

export type RuleEdited =
  /**
   * `removed`: the rule as it was, with its number (empty when nothing changed); `added`: the rule made instead
   * (empty when nothing changed, or when the channel had that rule already: the edit then merges the two);
   * `rules`: the source's rules now, numbered again.
   */
  | { ok: true; removed: NumberedRule[]; added: NumberedRule[]; rules: NumberedRule[]; warnings: string[] }
  | { ok: false; reason: 'no_rules' }
  | { ok: false; reason: 'no_such_rule'; wrong: number[]; count: number };

/**
 * A rule changed in place: its filter, its scope (already read with parseRule), or both; the other part stays. The
 * new rule is added before the old one goes, so that a failure between the two never leaves the channel without
 * it. The other rules keep their order; numbers follow the status order, so the edited rule may move.
 */
export async function editRule(
  store: Store,
  channel: ChannelRecord,
  source: SourceName,
  number: number,
  change: { filter?: Filter; scope?: Scope },
  createdBy: string,
): Promise<RuleEdited> {
  const before = await numberedRules(store, channel.id, source);
  if (before.length === 0) return { ok: false, reason: 'no_rules' };
  const old = before[number - 1];
  if (!old) return { ok: false, reason: 'no_such_rule', wrong: [number], count: before.length };
  const filter = change.filter ?? old.rule.filter;
  const scope = change.scope ?? old.rule.scope;
  if (filter === old.rule.filter && formatScope(scope) === formatScope(old.rule.scope)) return { ok: true, removed: [], added: [], rules: before, warnings: [] };
  const warnings = scope.type === 'category' ? await unknownCategoryWarnings(store, [scope.path]) : [];
  const made = await store.rules.add({ channelId: channel.id, source, filter, scope, createdBy });
  await store.rules.remove(old.rule.id);
  const rules = await numberedRules(store, channel.id, source);
  const added = made.created ? rules.filter(({ rule }) => rule.id === made.rule.id) : [];
  return { ok: true, removed: [old], added, rules, warnings };
}

/** The numbers there are, for the message about a number that is not one: `its rules are numbered 1 to 3`. */
export function ruleRange(count: number): string {
  return count === 1 ? 'its only rule is number 1' : `its rules are numbered 1 to ${count}`;
}
