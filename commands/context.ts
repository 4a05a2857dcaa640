// What the command handlers need from the rest of Parley, and what one invocation carries through them.
import type { MemberRole, PlatformProfile, PlatformProfiles } from '../lib/seams/platform.js';
import type { Config } from '../lib/config.js';
import type { ForumUser } from '../lib/seams/forum.js';
import type { TranscriptJob } from '../lib/seams/jobs.js';
import type { CategoryInfo } from '../lib/events.js';
import type { GitLabClient } from '../lib/gitlab/client.js';
import type { Logger } from '../lib/log.js';
import type { ChannelRecord, Store } from '../lib/seams/store.js';
import type { CommandInvocation } from '../lib/seams/invocation.js';
import type { SourceProfile } from '../lib/seams/source.js';

export interface CommandDeps {
  store: Store;
  config: Pick<Config, 'rulesPermission'>;
  log: Logger;
  /** The forum's categories (an empty list means unknown: any path is accepted). */
  categories: {
    paths(): Promise<string[]>;
    findByPath(path: string): Promise<CategoryInfo | null>;
  };
  /** null = cannot tell (forum not configured or down). */
  forumUsers: { isAdmin(username: string): Promise<boolean | null> };
  /** From the platform's adapter (lib/seams/platform.ts). */
  memberRole(invocation: CommandInvocation): Promise<MemberRole>;
  /** How each platform is named and typed, and who moderates there (from bots/registry.ts). */
  platforms: PlatformProfiles;
  /** What /topic needs; absent when transcripts can be posted nowhere (no forum API key, no GitLab). */
  transcripts?: TopicCommandDeps;
  /** GitLab, for `/gitlab` rules; absent when GitLab is not configured. */
  gitlab?: GitLabCommandDeps;
}

/** What `/gitlab` asks GitLab (lib/gitlab/client.ts). Lookups throw ForumUnavailableError when GitLab cannot answer. */
export type GitLabCommandDeps = Pick<GitLabClient, 'project' | 'group' | 'accessLevel' | 'searchProjects'>;

/** What /topic needs; each target is present only where it can be posted to (the forum, GitLab, or both). */
export interface TopicCommandDeps {
  settings: Config['transcripts'];
  /** PARLEY_TIMEZONE: the zone when neither the user's nor the channel's is known. */
  timezone: string;
  /**
   * Forum topics: the forum user (admin flag and groups); null: no such user; undefined: the forum cannot tell now.
   * Absent without the forum's API key.
   */
  forumUser?: (username: string) => Promise<ForumUser | null | undefined>;
  /** GitLab issues (`to:gitlab`); absent when GitLab is not configured. */
  gitlab?: TopicGitLabDeps;
  enqueue(job: TranscriptJob): Promise<void>;
}

/** What `/topic … to:gitlab` asks GitLab, and how it may post there (PARLEY_GITLAB_SUDO, PARLEY_GITLAB_TRANSCRIPT_MIN_ACCESS). */
export interface TopicGitLabDeps {
  client: Pick<GitLabClient, 'project' | 'accessLevel' | 'searchProjects'>;
  sudo: boolean;
  minAccess: number;
}

/** Whether the issuing chat user maps (store.identities) to a forum admin. */
export type ForumAdminStatus =
  | { status: 'admin'; username: string }
  | { status: 'not_linked' }
  | { status: 'not_admin'; username: string }
  /** Linked, but the forum could not tell (not configured, down). */
  | { status: 'unknown'; username: string };

/** One invocation of `/discourse` or `/gitlab`, after the channel is registered. */
export interface CommandContext {
  invocation: CommandInvocation;
  deps: CommandDeps;
  channel: ChannelRecord;
  /** Whose rules the command manages. */
  source: SourceProfile;
  /** How the command is typed here (`/discourse`, `!discourse`), for examples in replies. */
  cmd: string;
  /** The platform the command came from: its label, prefix and moderators. */
  profile: PlatformProfile;
  /** `platform:userId`, recorded as the creator of rules. */
  actor: string;
  /** Asked at most once per invocation: the forum's API budget is small. */
  forumAdmin(): Promise<ForumAdminStatus>;
}
