// "Did you mean": the forum's category paths nearest to one a user typed, for every command that names one.
import { distance } from 'fastest-levenshtein';
import type { CommandContext } from './context.js';

const SUGGESTIONS = 3;

function lastSegment(path: string): string {
  return path.slice(path.lastIndexOf('/') + 1);
}

/**
 * The known paths nearest to what was typed. `c/billing` should find `support/billing`, so the last
 * segment counts as well as the whole path. Restricted categories are named only to forum admins.
 */
export async function nearestPaths(ctx: CommandContext, typed: string, known: readonly string[]): Promise<string[]> {
  const ranked = known
    .map((p) => ({ p, d: Math.min(distance(typed, p.toLowerCase()), distance(typed, lastSegment(p.toLowerCase()))) }))
    .sort((a, b) => a.d - b.d || a.p.localeCompare(b.p));
  const visible: { p: string; d: number }[] = [];
  for (const candidate of ranked) {
    if (visible.length === SUGGESTIONS) break;
    const info = await ctx.deps.categories.findByPath(candidate.p);
    if (info?.restricted && (await ctx.forumAdmin()).status !== 'admin') continue;
    visible.push(candidate);
  }
  // Typos first; when nothing is close, the nearest few still show what the forum has.
  const close = visible.filter(({ d }) => d <= Math.max(2, Math.ceil(typed.length / 2)));
  return (close.length > 0 ? close : visible).map(({ p }) => p);
}

