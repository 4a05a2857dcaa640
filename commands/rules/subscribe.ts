// `/discourse` or `/gitlab` `watch|follow|mute|thread SCOPE...`: one rule per scope, all or nothing.
// Order of checks: who may change rules, then whether the categories (projects, groups) exist, then whether
// they are restricted; only when every scope passes is anything written.
import { formatScope, type Filter, type Scope } from '../../lib/rules.js';
import { sourceRules } from './source-rules.js';
import type { CommandContext } from '../context.js';
import { text } from '../messages.js';
import { canAddCategoryRules, canChangeRules, channelAcceptsChanges, firstRefusal } from '../permissions.js';
import { ephemeral, toChannel } from '../reply.js';
import type { CommandReply } from '../../lib/seams/invocation.js';

import { nearestPaths } from '../category-hints.js';
import { checkGitLabScopes } from './gitlab-scopes.js';

/** Category scopes whose path the forum does not have, each with suggestions. Empty list of paths: unknown, accept. */
async function unknownCategories(ctx: CommandContext, scopes: readonly Scope[]): Promise<{ path: string; suggestions: string[] }[]> {
  const known = await ctx.deps.categories.paths();
  if (known.length === 0) return [];
  const lower = new Set(known.map((p) => p.toLowerCase()));
  const unknown: { path: string; suggestions: string[] }[] = [];
  for (const scope of scopes) {
    if (scope.type !== 'category' || lower.has(scope.path)) continue;
    unknown.push({ path: scope.path, suggestions: await nearestPaths(ctx, scope.path, known) });
  }
  return unknown;
}

export async function subscribe(ctx: CommandContext, command: { filter: Filter; scopes: Scope[] }): Promise<CommandReply> {
  const { filter, scopes } = command;
  const allowed = await firstRefusal(
    () => channelAcceptsChanges(ctx),
    () => canChangeRules(ctx),
  );
  if (!allowed.ok) return ephemeral(allowed.message);
  if (ctx.source.name === 'gitlab') {
    const checked = await checkGitLabScopes(ctx, ctx.deps.gitlab!, filter, scopes);
    if (!checked.ok) return ephemeral(checked.message);
  } else {
    const unknown = await unknownCategories(ctx, scopes);
    if (unknown.length > 0) return ephemeral(text('rules.unknown_category', { unknown }));
    const restricted = await canAddCategoryRules(ctx, filter, scopes);
    if (!restricted.ok) return ephemeral(restricted.message);
  }

  const source = ctx.source.name;
  const added: string[] = [];
  const existing: string[] = [];
  for (const scope of scopes) {
    const { created } = await ctx.deps.store.rules.add({ channelId: ctx.channel.id, source, filter, scope, createdBy: ctx.actor });
    (created ? added : existing).push(`${filter} ${formatScope(scope)}`);
  }
  if (added.length === 0) return ephemeral(text('rules.exists', { cmd: ctx.cmd, existing }));

  const rules = await sourceRules(ctx);
  const who = ctx.invocation.user.displayName || ctx.invocation.user.username;
  return toChannel(text('rules.added', { who, added, existing, rules }));
}
