// Rules: what a channel wants to hear from one source. Pure types and helpers shared by the store, matching and
// commands. What each scope means is in docs/rules.md#scopes; how each source's scopes are typed is in its folder.
import { SOURCES, sourceProfile } from './sources.js';

/** The event sources a rule can be about (lib/sources.ts lists them with their command and scopes). */
export const SOURCE_NAMES = ['discourse', 'gitlab'] as const;
export type SourceName = (typeof SOURCE_NAMES)[number];

export function isSourceName(word: string): word is SourceName {
  return (SOURCE_NAMES as readonly string[]).includes(word);
}

/** watch: everything · follow: what opens something (first posts, new issues) · thread: everything, replies threaded · mute: nothing */
export const FILTERS = ['mute', 'thread', 'watch', 'follow'] as const;
export type Filter = (typeof FILTERS)[number];

/** Higher wins when several rules of one channel match an event (docs/rules.md#most-restrictive-wins: mute > thread > watch > follow). */
export const RESTRICTIVENESS: Record<Filter, number> = { mute: 4, thread: 3, watch: 2, follow: 1 };

/**
 * A rule's scope: everything, or one place or label of its source. Discourse: a category by slug path (`meta` or
 * `parent/child`, which covers its subcategories when it is a parent) or a tag. GitLab: a project or a group by
 * path (a group covers its subgroups' projects), or a label. Kept by path because that is what users type and see.
 */
export type Scope =
  | { type: 'all' }
  | { type: 'category'; path: string }
  | { type: 'tag'; name: string }
  | { type: 'project'; path: string }
  | { type: 'group'; path: string }
  | { type: 'label'; name: string };

export type ScopeType = Scope['type'];

export interface Rule {
  id: number;
  channelId: number;
  source: SourceName;
  filter: Filter;
  scope: Scope;
}

export function isFilter(word: string): word is Filter {
  return (FILTERS as readonly string[]).includes(word);
}

/** `all, c/CATEGORY, …`: the forms a source's scopes take, for help and errors. */
export function scopeForms(source: SourceName): string {
  return ['all', ...sourceProfile(source).scopes.flatMap((s) => s.forms)].join(', ');
}

/** `all` | `c/slug` | `p/group/project` | … → Scope of the source, or an error message naming what would be right. */
export function parseScope(text: string, source: SourceName = 'discourse'): { ok: true; scope: Scope } | { ok: false; error: string } {
  const raw = text.trim();
  if (raw.toLowerCase() === 'all') return { ok: true, scope: { type: 'all' } };
  const m = /^([a-z])\/(.+)$/isu.exec(raw);
  const syntax = m ? sourceProfile(source).scopes.find((s) => s.prefix === m[1]!.toLowerCase()) : undefined;
  if (!m || !syntax) return { ok: false, error: `"${raw}" is not a scope: use ${scopeForms(source).replace(/, ([^,]*)$/, ' or $1')}` };
  if (syntax.segments === 'label') {
    const name = m[2]!.trim().toLowerCase();
    return name ? { ok: true, scope: { type: 'label', name } } : { ok: false, error: `"${raw}" names no label: ${syntax.usage}` };
  }
  const parts = m[2]!.toLowerCase().replace(/\/+$/, '').split('/');
  if (parts.length < syntax.segments.min || parts.length > syntax.segments.max || parts.some((p) => !/^[^\s/]+$/u.test(p))) {
    return { ok: false, error: `"${raw}" is not a ${syntax.type}: ${syntax.usage}` };
  }
  return { ok: true, scope: scopeOf(syntax.type, parts.join('/')) };
}

/** The value a scope names (a path or a name), '' for `all`. */
export function scopeValue(scope: Scope): string {
  switch (scope.type) {
    case 'all':
      return '';
    case 'tag':
    case 'label':
      return scope.name;
    default:
      return scope.path;
  }
}

/** The scope from its stored type and value; throws on a type no source has. */
export function scopeOf(type: string, value: string): Scope {
  switch (type) {
    case 'all':
      return { type: 'all' };
    case 'tag':
    case 'label':
      return { type, name: value };
    case 'category':
    case 'project':
    case 'group':
      return { type, path: value };
    default:
      throw new Error(`unknown scope type "${type}"`);
  }
}

/** The prefix of a scope type (`category` → `c`), whichever source has it. */
function prefixOf(type: Exclude<ScopeType, 'all'>): string {
  for (const source of SOURCES) for (const syntax of source.scopes) if (syntax.type === type) return syntax.prefix;
  throw new Error(`no source has scopes of type ${type}`);
}

export function formatScope(scope: Scope): string {
  if (scope.type === 'all') return 'all';
  const value = scopeValue(scope);
  const text = `${prefixOf(scope.type)}/${value}`;
  return /\s/u.test(value) ? `"${text}"` : text;
}

/**
 * The key matching files a rule under, and an event's places and labels are looked up by
 * (lib/matching.ts): the source, the scope's type and its lower-case value.
 */
export function scopeKey(source: SourceName, scope: Scope): string {
  return `${source}:${scope.type}:${scopeValue(scope)}`;
}

/** Rules in the order users see them in `status` (most restrictive first, then oldest first). */
export function sortForStatus<R extends Pick<Rule, 'id' | 'filter'>>(rules: readonly R[]): R[] {
  return [...rules].sort((a, b) => RESTRICTIVENESS[b.filter] - RESTRICTIVENESS[a.filter] || a.id - b.id);
}
