// Who a chat user is at each source (their forum or GitLab user), as an admin sets it, for `parley identities`
// (./identities.ts) and the admin API (./admin/routes-identities.ts) alike: each operation checks what it is given,
// changes the store and says what happened, as data; each face words it its own way.
import type { SourceName } from '../lib/rules.js';
import type { IdentityRecord, PlatformName, Store } from '../lib/seams/store.js';

/** Longest allowed username: Discourse's max_username_length cannot go above 60; GitLab's limit is 255. */
export const MAX_USERNAME: Record<SourceName, number> = { discourse: 60, gitlab: 255 };
const PROFILE: Record<SourceName, string> = { discourse: "the user's forum profile (/u/USERNAME)", gitlab: "the user's GitLab profile (https://gitlab.example.org/USERNAME)" };

/** A source's name for its users, for messages: `forum user`, `GitLab user`. */
export const userNoun = (source: SourceName): string => (source === 'gitlab' ? 'GitLab user' : 'forum user');

/** What a username of the source must be, for the message refusing one: `give the username from …, at most 60`. */
export function usernameRule(source: SourceName): string {
  return `give the username from ${PROFILE[source]}, letters, digits, _ . or - only, at most ${MAX_USERNAME[source]}`;
}

/**
 * A username as typed, checked: letters, digits, `_`, `.`, `-` as both sources allow (letters of any script where
 * the forum allows Unicode usernames). A leading @ is dropped, since that is how people write names. Null when it
 * is not one (usernameRule says what would be).
 */
export function checkUsername(source: SourceName, typed: string): string | null {
  const name = typed.trim().replace(/^@/, '');
  return name === '' || name.length > MAX_USERNAME[source] || !/^[\p{L}\p{M}\p{N}_.-]+$/u.test(name) ? null : name;
}

/** `telegram:123456789`: a chat user as the CLI names one. */
export const chatUser = (i: Pick<IdentityRecord, 'platform' | 'userId'>) => `${i.platform}:${i.userId}`;

/** A link as `parley identities list --json` shows it. */
export function identityJson(i: IdentityRecord) {
  return { user: chatUser(i), platform: i.platform, userId: i.userId, source: i.source, username: i.username, createdBy: i.createdBy, createdAt: i.createdAt.toISOString() };
}

export interface IdentityLink {
  platform: PlatformName;
  userId: string;
  source: SourceName;
  /** Checked already (checkUsername). */
  username: string;
}

/** `created`, `replaced` (an earlier link to that source, `before`, is gone) or `unchanged` (linked so already). */
export type Linked =
  | { change: 'created'; identity: IdentityRecord }
  | { change: 'replaced'; identity: IdentityRecord; before: IdentityRecord }
  | { change: 'unchanged'; identity: IdentityRecord };

/** A chat user linked to a user of a source, replacing any earlier link to that source. */
export async function linkIdentity(store: Store, link: IdentityLink, createdBy: string): Promise<Linked> {
  const { platform, userId, source, username } = link;
  const before = await store.identities.get(platform, userId, source);
  if (before?.username === username) return { change: 'unchanged', identity: before };
  await store.identities.set({ platform, userId, source, username, createdBy });
  const identity = (await store.identities.get(platform, userId, source))!;
  return before ? { change: 'replaced', identity, before } : { change: 'created', identity };
}

/** A chat user's link to a source removed; `ok: false` when there was none. */
export async function unlinkIdentity(store: Store, platform: PlatformName, userId: string, source: SourceName): Promise<{ ok: true; removed: IdentityRecord } | { ok: false }> {
  const before = await store.identities.get(platform, userId, source);
  if (!before || !(await store.identities.remove(platform, userId, source))) return { ok: false };
  return { ok: true, removed: before };
}
