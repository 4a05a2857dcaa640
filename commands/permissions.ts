// Preconditions of commands: each answers ok, or a refusal that says why and what would allow it.
// They never throw for a platform or forum that cannot answer: that becomes part of the refusal.
import type { MemberRole } from '../lib/seams/platform.js';
import type { Filter, Scope } from '../lib/rules.js';
import type { CommandContext, CommandDeps, ForumAdminStatus } from './context.js';
import { failure, type MessageId } from './messages.js';
import type { CommandInvocation } from '../lib/seams/invocation.js';

export type Precondition = { ok: true } | { ok: false; id: MessageId; message: string };

const OK: Precondition = { ok: true };

/** Looks the chat user up in store.identities and asks the forum whether that user is an admin. */
export async function lookupForumAdmin(invocation: CommandInvocation, deps: CommandDeps): Promise<ForumAdminStatus> {
  const identity = await deps.store.identities.get(invocation.platform, invocation.user.id, 'discourse');
  if (!identity) return { status: 'not_linked' };
  const username = identity.username;
  let admin: boolean | null;
  try {
    admin = await deps.forumUsers.isAdmin(username);
  } catch (err) {
    deps.log.warn({ err, forumUsername: username }, 'could not ask the forum whether a user is an admin');
    admin = null;
  }
  if (admin === null) return { status: 'unknown', username };
  return admin ? { status: 'admin', username } : { status: 'not_admin', username };
}

/** Memoizes lookupForumAdmin for one invocation: the forum's API budget is shared and small. */
export function forumAdminOnce(invocation: CommandInvocation, deps: CommandDeps): () => Promise<ForumAdminStatus> {
  let pending: Promise<ForumAdminStatus> | null = null;
  return () => (pending ??= lookupForumAdmin(invocation, deps));
}

/** What the rules-permission check needs: who asks, where, and the means to ask the platform and the forum. */
type Asker = Pick<CommandContext, 'invocation' | 'deps' | 'forumAdmin'>;

async function memberRole(ctx: Asker): Promise<MemberRole> {
  try {
    return await ctx.deps.memberRole(ctx.invocation);
  } catch (err) {
    ctx.deps.log.warn({ err, platform: ctx.invocation.platform }, 'could not read the member role');
    return { role: 'unknown', why: `${ctx.invocation.platform} did not answer the role check` };
  }
}

/** Rules of a pending channel cannot change until an admin activates it. */
export function channelAcceptsChanges(ctx: CommandContext): Precondition {
  if (ctx.channel.status !== 'pending') return OK;
  return { ok: false, ...failure('channel.pending', { platform: ctx.channel.platform, externalId: ctx.channel.externalId }) };
}

/** Who may add or remove rules, per config.rulesPermission (PARLEY_RULES_PERMISSION). */
export async function canChangeRules(ctx: Asker): Promise<Precondition> {
  const mode = ctx.deps.config.rulesPermission;
  if (mode === 'anyone') return OK;
  if (mode === 'forum-admins') {
    const identity = await ctx.forumAdmin();
    return identity.status === 'admin' ? OK : { ok: false, ...failure('rules.forbidden.forum_admins', { identity }) };
  }
  // moderators: ask the platform first; the forum's API budget is the scarcer one.
  const role = await memberRole(ctx);
  if (role.role === 'moderator') return OK;
  const identity = await ctx.forumAdmin();
  if (identity.status === 'admin') return OK;
  if (role.role === 'unknown') {
    return { ok: false, ...failure('rules.forbidden.unknown_role', { moderators: ctx.deps.platforms(ctx.invocation.platform).moderators, why: role.why, identity }) };
  }
  return { ok: false, ...failure('rules.forbidden.moderators', { moderators: ctx.deps.platforms(ctx.invocation.platform).moderators, identity }) };
}

/**
 * A rule that delivers (not mute) from a read-restricted category leaks what only some forum users may
 * read, so only a chat user linked to a forum admin may add one. When the forum's categories are not
 * known, nobody can tell which are restricted, so the same holds for every category: better refused than leaked.
 */
export async function canAddCategoryRules(ctx: CommandContext, filter: Filter, scopes: readonly Scope[]): Promise<Precondition> {
  if (filter === 'mute') return OK;
  const paths = scopes.flatMap((s) => (s.type === 'category' ? [s.path] : []));
  if (paths.length === 0) return OK;

  const known = (await ctx.deps.categories.paths()).length > 0;
  const restricted: string[] = [];
  for (const path of paths) {
    if (!known) {
      restricted.push(path);
      continue;
    }
    const info = await ctx.deps.categories.findByPath(path);
    // Known list but no info for a listed path: treat as restricted, the safe side.
    if (info === null || info.restricted) restricted.push(path);
  }
  if (restricted.length === 0) return OK;

  const identity = await ctx.forumAdmin();
  if (identity.status === 'admin') return OK;
  const params = { platform: ctx.channel.platform, externalId: ctx.channel.externalId, filter, paths: restricted, identity };
  return { ok: false, ...failure(known ? 'rules.restricted_category' : 'rules.category_unverified', params) };
}

/** Runs preconditions in order and stops at the first refusal, so later (costlier) checks are not asked. */
export async function firstRefusal(...checks: (() => Precondition | Promise<Precondition>)[]): Promise<Precondition> {
  for (const check of checks) {
    const result = await check();
    if (!result.ok) return result;
  }
  return OK;
}
