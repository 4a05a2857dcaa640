// Rules: what a channel wants to hear from one source. Pure types and helpers shared by the store, matching and
// commands. What each scope means is in docs/rules.md#scopes.

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

/** How one kind of scope is typed: its prefix, and what its value may be. */
interface ScopeSyntax {
  prefix: string;
  type: Exclude<ScopeType, 'all'>;
  /** Path segments allowed (a tag or label is one value). */
  segments: { min: number; max: number } | 'label';
  /** What the error shows as the right form. */
  usage: string;
  /** How help and errors list it among the source's scopes. */
  forms: string[];
}

const SYNTAX: Record<SourceName, readonly ScopeSyntax[]> = {
  discourse: [
    { prefix: 'c', type: 'category', segments: { min: 1, max: 2 }, usage: 'use c/SLUG or c/PARENT/CHILD, as in c/meta or c/support/billing', forms: ['c/CATEGORY', 'c/PARENT/CHILD'] },
    { prefix: 't', type: 'tag', segments: { min: 1, max: 1 }, usage: 'a tag has no spaces or slashes, as in t/release', forms: ['t/TAG'] },
  ],
  gitlab: [
    // GitLab nests groups up to 20 levels: a project path has its namespace and its own name.
    { prefix: 'p', type: 'project', segments: { min: 2, max: 21 }, usage: 'use p/GROUP/PROJECT (subgroups as in GitLab: p/group/sub/project)', forms: ['p/GROUP/PROJECT'] },
    { prefix: 'g', type: 'group', segments: { min: 1, max: 20 }, usage: 'use g/GROUP or g/GROUP/SUBGROUP', forms: ['g/GROUP'] },
    // Labels may hold spaces and slashes (`needs review`, `scope::value`): everything after `l/`.
    { prefix: 'l', type: 'label', segments: 'label', usage: 'use l/LABEL, as in l/bug (quote one with spaces: "l/needs review")', forms: ['l/LABEL'] },
  ],
};

/** `all, c/CATEGORY, …`: the forms a source's scopes take, for help and errors. */
export function scopeForms(source: SourceName): string {
  return ['all', ...SYNTAX[source].flatMap((s) => s.forms)].join(', ');
}

/** `all` | `c/slug` | `p/group/project` | … → Scope of the source, or an error message naming what would be right. */
export function parseScope(text: string, source: SourceName = 'discourse'): { ok: true; scope: Scope } | { ok: false; error: string } {
  const raw = text.trim();
  if (raw.toLowerCase() === 'all') return { ok: true, scope: { type: 'all' } };
  const m = /^([a-z])\/(.+)$/isu.exec(raw);
  const syntax = m ? SYNTAX[source].find((s) => s.prefix === m[1]!.toLowerCase()) : undefined;
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

const PREFIX: Record<Exclude<ScopeType, 'all'>, string> = Object.fromEntries(
  Object.values(SYNTAX).flatMap((forms) => forms.map((s) => [s.type, s.prefix])),
) as Record<Exclude<ScopeType, 'all'>, string>;

export function formatScope(scope: Scope): string {
  if (scope.type === 'all') return 'all';
  const value = scopeValue(scope);
  const text = `${PREFIX[scope.type]}/${value}`;
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
