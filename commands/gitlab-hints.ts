// "Did you mean": GitLab projects named like the one a user typed, for every command that names one (/gitlab rules,
// /topic … project:). Only those the user could see themselves: Parley's token may see far more than they do.
import { GitLabAccessLevel } from '../lib/gitlab/access.js';
import type { GitLabClient } from '../lib/gitlab/client.js';

const HINTS = 3;

/**
 * `username`: the user's linked GitLab account (internal projects are seen by every signed-in user, private ones by
 * their members); null: the user is no GitLab user Parley knows, so public projects only.
 */
export async function projectHints(client: Pick<GitLabClient, 'project' | 'accessLevel' | 'searchProjects'>, typed: string, username: string | null): Promise<string[]> {
  const hints: string[] = [];
  for (const candidate of (await client.searchProjects(typed.slice(typed.lastIndexOf('/') + 1))).slice(0, HINTS * 2)) {
    if (hints.length === HINTS) break;
    const project = await client.project(candidate);
    if (!project) continue;
    const visible =
      project.visibility === 'public' ||
      (username !== null && (project.visibility === 'internal' || (await client.accessLevel(candidate, username)) >= GitLabAccessLevel.Guest));
    if (visible) hints.push(project.pathWithNamespace);
  }
  return hints;
}
