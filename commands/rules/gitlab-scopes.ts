// What `/gitlab watch|follow|thread SCOPE…` checks before writing (docs/rules.md#gitlab-scopes): every project and
// group named exists (else the nearest project paths as hints), and a rule that delivers from a private or
// internal project was asked for by a chat user linked to a GitLab user with at least Reporter access to it.
// Hints name only projects the user could see (commands/gitlab-hints.ts).
// Muting needs none of that: a mute leaks nothing.
import { ForumRateLimitedError, ForumUnavailableError } from '../../lib/errors.js';
import { GitLabAccessLevel } from '../../lib/gitlab/access.js';
import type { Filter, Scope } from '../../lib/rules.js';
import type { CommandContext, GitLabCommandDeps } from '../context.js';
import { projectHints } from '../gitlab-hints.js';
import { failure } from '../messages.js';
import type { Precondition } from '../permissions.js';

const OK: Precondition = { ok: true };

const unavailable = (err: unknown): boolean => err instanceof ForumUnavailableError || err instanceof ForumRateLimitedError;

export async function checkGitLabScopes(ctx: CommandContext, gitlab: GitLabCommandDeps, filter: Filter, scopes: readonly Scope[]): Promise<Precondition> {
  const named = scopes.filter((s): s is Extract<Scope, { type: 'project' | 'group' }> => s.type === 'project' || s.type === 'group');
  if (named.length === 0) return OK;

  const restricted: string[] = [];
  const unknown: { scope: string; suggestions: string[] }[] = [];
  const identity = await ctx.deps.store.identities.get(ctx.invocation.platform, ctx.invocation.user.id, 'gitlab');
  try {
    for (const scope of named) {
      const found = scope.type === 'project' ? await gitlab.project(scope.path) : await gitlab.group(scope.path);
      if (!found) {
        const suggestions = await projectHints(gitlab, scope.path, identity?.username ?? null);
        unknown.push({ scope: `${scope.type === 'project' ? 'p' : 'g'}/${scope.path}`, suggestions });
      } else if (scope.type === 'project' && found.visibility !== 'public') {
        restricted.push(scope.path);
      }
    }
  } catch (err) {
    if (!unavailable(err)) throw err;
    ctx.deps.log.warn({ err: (err as Error).message }, 'gitlab could not be asked about a rule\'s scopes');
    if (filter === 'mute') return OK;
    return { ok: false, ...failure('rules.gitlab_unverified', { error: (err as Error).message }) };
  }
  if (unknown.length > 0) return { ok: false, ...failure('rules.unknown_gitlab_path', { unknown }) };
  if (filter === 'mute' || restricted.length === 0) return OK;

  const params = { platform: ctx.channel.platform, externalId: ctx.channel.externalId, filter, chatUser: `${ctx.invocation.platform}:${ctx.invocation.user.id}` };
  if (!identity) return { ok: false, ...failure('rules.restricted_project', { ...params, paths: restricted, username: null, level: null }) };
  for (const path of restricted) {
    let level: number;
    try {
      level = await gitlab.accessLevel(path, identity.username);
    } catch (err) {
      if (!unavailable(err)) throw err;
      return { ok: false, ...failure('rules.gitlab_unverified', { error: (err as Error).message }) };
    }
    if (level < GitLabAccessLevel.Reporter) {
      return { ok: false, ...failure('rules.restricted_project', { ...params, paths: [path], username: identity.username, level }) };
    }
  }
  return OK;
}
