// Slack users by id (users.info), cached: transcripts name every author and every <@U…> mention, and role
// checks ask about the same few people again and again. users.info is a Tier 4 method (100+ a minute), but a
// long transcript still mentions the same people hundreds of times.
import type { WebClient } from '@slack/web-api';
import { mapSlackError } from './errors.js';

export interface SlackUser {
  id: string;
  /** The handle (`name`), without @. */
  username: string;
  /** What Slack shows: the profile's display name, else the full name, else the handle. */
  displayName: string;
  isBot: boolean;
  /** A workspace admin or owner (is_admin, is_owner or is_primary_owner). */
  isAdmin: boolean;
  /** IANA time zone (`Europe/Berlin`), or null when Slack does not say. */
  tz: string | null;
}

export interface SlackUsersOptions {
  /** How long an answer (also "no such user") is kept; 10 minutes by default. */
  ttlMs?: number;
  /** The clock, for tests. */
  now?: () => number;
}

export const DEFAULT_USER_TTL_MS = 10 * 60_000;

// users.info's answers for a user the bot cannot know: deleted from the workspace's view, or in another
// workspace it shares no channel with. Not an error for a transcript: the id is shown instead.
const UNKNOWN_USER = new Set(['user_not_found', 'user_not_visible']);

/** The parts of users.info's `user` object that are read here. */
interface UsersInfoUser {
  id?: string;
  name?: string;
  real_name?: string;
  is_bot?: boolean;
  is_admin?: boolean;
  is_owner?: boolean;
  is_primary_owner?: boolean;
  tz?: string;
  profile?: { display_name?: string; real_name?: string };
}

const nonEmpty = (s: string | undefined): string | undefined => (s !== undefined && s.trim() !== '' ? s.trim() : undefined);

export function slackUserFrom(id: string, user: UsersInfoUser): SlackUser {
  const username = user.name ?? '';
  return {
    id: user.id ?? id,
    username,
    displayName: nonEmpty(user.profile?.display_name) ?? nonEmpty(user.profile?.real_name) ?? nonEmpty(user.real_name) ?? (username || id),
    isBot: user.is_bot === true,
    isAdmin: user.is_admin === true || user.is_owner === true || user.is_primary_owner === true,
    tz: nonEmpty(user.tz) ?? null,
  };
}

function isUnknownUser(err: unknown): boolean {
  const e = err as { code?: unknown; data?: { error?: unknown } } | null;
  return e?.code === 'slack_webapi_platform_error' && typeof e.data?.error === 'string' && UNKNOWN_USER.has(e.data.error);
}

interface Entry {
  /** Settles once; shared by every caller asking while the request runs. */
  user: Promise<SlackUser | null>;
  /** When the answer goes stale; Infinity while the request runs. */
  expiresAt: number;
}

export class SlackUsers {
  private readonly entries = new Map<string, Entry>();
  private readonly ttlMs: number;
  private readonly now: () => number;

  constructor(
    private readonly client: WebClient,
    opts: SlackUsersOptions = {},
  ) {
    this.ttlMs = opts.ttlMs ?? DEFAULT_USER_TTL_MS;
    this.now = opts.now ?? Date.now;
  }

  /**
   * The user, or null when Slack knows no such user (or the bot may not see them). Other failures are thrown
   * as Parley's platform errors (mapSlackError), and are not cached.
   */
  get(id: string): Promise<SlackUser | null> {
    const cached = this.entries.get(id);
    if (cached && cached.expiresAt > this.now()) return cached.user;
    const entry: Entry = { user: this.lookUp(id), expiresAt: Infinity };
    this.entries.set(id, entry);
    entry.user.then(
      () => {
        entry.expiresAt = this.now() + this.ttlMs;
      },
      () => {
        // A failure is not an answer: the next caller asks again.
        if (this.entries.get(id) === entry) this.entries.delete(id);
      },
    );
    return entry.user;
  }

  private async lookUp(id: string): Promise<SlackUser | null> {
    try {
      const res = await this.client.users.info({ user: id });
      return res.user ? slackUserFrom(id, res.user) : null;
    } catch (err) {
      if (isUnknownUser(err)) return null;
      throw mapSlackError(err);
    }
  }
}
