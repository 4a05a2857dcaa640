// GitLab's access levels, apart from the client so that configuration can read them without loading gitbeaker.

/** GitLab's access levels (members API). */
export const GitLabAccessLevel = {
  None: 0,
  Minimal: 5,
  Guest: 10,
  Planner: 15,
  Reporter: 20,
  Developer: 30,
  Maintainer: 40,
  Owner: 50,
} as const;
export type GitLabAccessLevelName = Lowercase<keyof typeof GitLabAccessLevel>;

/** `developer` → 30. */
export function accessLevelOf(name: GitLabAccessLevelName): number {
  return GitLabAccessLevel[(name.charAt(0).toUpperCase() + name.slice(1)) as keyof typeof GitLabAccessLevel];
}
