// Rules: what a channel wants to hear. Pure types and helpers shared by the store, matching and commands.

/** watch: every post · follow: first posts only · thread: every post, replies threaded · mute: nothing */
export const FILTERS = ['mute', 'thread', 'watch', 'follow'] as const;
export type Filter = (typeof FILTERS)[number];

/** Higher wins when several rules of one channel match an event (docs/rules.md#most-restrictive-wins: mute > thread > watch > follow). */
export const RESTRICTIVENESS: Record<Filter, number> = { mute: 4, thread: 3, watch: 2, follow: 1 };

/**
 * A rule's scope: everything, one category (by slug path, `meta` or `parent/child`), or one tag.
 * Categories are kept by slug path because that is what users type and see.
 */
export type Scope =
  | { type: 'all' }
  | { type: 'category'; path: string }
  | { type: 'tag'; name: string };

export interface Rule {
  id: number;
  channelId: number;
  filter: Filter;
  scope: Scope;
}

export function isFilter(word: string): word is Filter {
  return (FILTERS as readonly string[]).includes(word);
}

/** `all` | `c/slug` | `c/parent/child` | `t/tag` → Scope, or an error message naming what would be right. */
export function parseScope(text: string): { ok: true; scope: Scope } | { ok: false; error: string } {
  const raw = text.trim();
  if (raw.toLowerCase() === 'all') return { ok: true, scope: { type: 'all' } };
  const m = /^([ct])\/(.+)$/i.exec(raw);
  if (!m) {
    return { ok: false, error: `"${raw}" is not a scope: use all, c/CATEGORY, c/PARENT/CHILD or t/TAG` };
  }
  const kind = m[1]!.toLowerCase();
  const value = m[2]!.toLowerCase().replace(/\/+$/, '');
  if (kind === 't') {
    if (!/^[^\s/]+$/u.test(value)) return { ok: false, error: `"${raw}" is not a tag: a tag has no spaces or slashes, as in t/release` };
    return { ok: true, scope: { type: 'tag', name: value } };
  }
  const parts = value.split('/');
  if (parts.length > 2 || parts.some((p) => !/^[^\s/]+$/u.test(p))) {
    return { ok: false, error: `"${raw}" is not a category: use c/SLUG or c/PARENT/CHILD, as in c/meta or c/support/billing` };
  }
  return { ok: true, scope: { type: 'category', path: parts.join('/') } };
}

export function formatScope(scope: Scope): string {
  switch (scope.type) {
    case 'all':
      return 'all';
    case 'category':
      return `c/${scope.path}`;
    case 'tag':
      return `t/${scope.name}`;
  }
}

/** Rules in the order users see them in `status` (most restrictive first, then oldest first). */
export function sortForStatus<R extends Pick<Rule, 'id' | 'filter'>>(rules: readonly R[]): R[] {
  return [...rules].sort((a, b) => RESTRICTIVENESS[b.filter] - RESTRICTIVENESS[a.filter] || a.id - b.id);
}
