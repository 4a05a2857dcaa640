// Who a forum user is (admin, groups), read from the forum and remembered briefly: permission checks run
// on every rule change and transcript, and the forum's API budget is small.
import type { DiscourseClient } from './discourse/client.js';
import type { ForumUser } from './seams/forum.js';
import type { Logger } from './log.js';

const TTL_MS = 5 * 60_000;

export class ForumUsers {
  private readonly cache = new Map<string, { user: ForumUser | null; at: number }>();

  constructor(private readonly client: DiscourseClient | null, private readonly log: Logger) {}

  /** The forum user, null when there is none by that name; undefined when the forum cannot tell now. */
  async get(username: string): Promise<ForumUser | null | undefined> {
    if (!this.client) return undefined;
    const key = username.toLowerCase();
    const hit = this.cache.get(key);
    if (hit && Date.now() - hit.at < TTL_MS) return hit.user;
    try {
      const user = await this.client.user(username);
      this.cache.set(key, { user, at: Date.now() });
      return user;
    } catch (err) {
      if ((err as { status?: number }).status === 404) {
        this.cache.set(key, { user: null, at: Date.now() });
        return null;
      }
      this.log.warn({ username, err: (err as Error).message }, 'could not read forum user');
      return undefined;
    }
  }

  /** True or false when the forum answered; null when it cannot tell (not configured, down). */
  async isAdmin(username: string): Promise<boolean | null> {
    const user = await this.get(username);
    return user === undefined ? null : user !== null && user.admin;
  }
}
