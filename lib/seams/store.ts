// The store seam: plain records and one small interface per table group (docs/architecture.md#seams).
// One implementation (Kysely) serves SQLite and PostgreSQL; see lib/store/index.ts.
import type { Filter, Scope, SourceName } from '../rules.js';
import type { ChatMessage } from '../transcript/types.js';

/** A platform's key, as bots/registry.ts lists them (`telegram`, `mattermost`, …). */
export type PlatformName = string;
export type ChannelStatus = 'pending' | 'active' | 'error';

/**
 * A channel's settings: the core's own, and any a platform keeps (its AdapterFactory.channelOptions, checked by its
 * checkChannelSettings and read with channelSettingsOf; Mattermost's incoming webhook URL, for one).
 */
export interface ChannelSettings {
  [platformSetting: string]: unknown;
  /** Category slug path for transcripts when `/topic` names none. */
  defaultCategory?: string;
  /** Where `/topic` posts when it names no `to:`: `gitlab:group/project` (absent: the forum). */
  transcriptTarget?: string;
  /** IANA zone for times typed in this channel. */
  timezone?: string;
}

export interface ChannelRecord {
  id: number;
  platform: PlatformName;
  externalId: string;
  name: string;
  status: ChannelStatus;
  /** `raw`: what the platform answered (an error body, a numeric line), tokens removed; null when nothing was kept. */
  lastError: { code: string; message: string; at: Date; raw: string | null } | null;
  /** Who added it: `platform:user-id` of a chat user, `cli`, or `admin`. */
  addedBy: string | null;
  settings: ChannelSettings;
  createdAt: Date;
}

export interface NewChannel {
  platform: PlatformName;
  externalId: string;
  name: string;
  status: ChannelStatus;
  addedBy: string | null;
  settings?: ChannelSettings;
}

export interface ChannelStore {
  /** Returns the existing channel (unchanged) or creates it. */
  ensure(input: NewChannel): Promise<{ channel: ChannelRecord; created: boolean }>;
  get(id: number): Promise<ChannelRecord | undefined>;
  find(platform: PlatformName, externalId: string): Promise<ChannelRecord | undefined>;
  list(filter?: { platform?: PlatformName }): Promise<ChannelRecord[]>;
  update(id: number, patch: { name?: string; status?: ChannelStatus; settings?: ChannelSettings }): Promise<void>;
  /** status → error, with the reason shown to admins and what the platform answered (absent: nothing kept). */
  setError(id: number, error: { code: string; message: string; raw?: string | null }): Promise<void>;
  /** status error → active, last error kept for the record. No-op for other statuses. */
  clearError(id: number): Promise<void>;
  /** Removes the channel and its rules. Returns false when there was none. */
  remove(id: number): Promise<boolean>;
}

export interface RuleRecord {
  id: number;
  channelId: number;
  /** The source whose events it is about (`/discourse` or `/gitlab` rules). */
  source: SourceName;
  filter: Filter;
  scope: Scope;
  createdBy: string | null;
  createdAt: Date;
}

export interface RuleStore {
  /** Adding the same source, filter and scope twice returns the first rule with created=false. */
  add(input: { channelId: number; source: SourceName; filter: Filter; scope: Scope; createdBy: string | null }): Promise<{ rule: RuleRecord; created: boolean }>;
  list(channelId: number): Promise<RuleRecord[]>;
  all(): Promise<RuleRecord[]>;
  remove(id: number): Promise<boolean>;
  /** Changes whenever any rule or channel is added or removed, so that matchers know to reload. */
  version(): Promise<number>;
}

/** `withdrawn`: announced, then deleted from the chat because the post was deleted or hidden. */
export type DeliveryStatus = 'queued' | 'delivered' | 'failed' | 'cancelled' | 'withdrawn';

export interface DeliveryRecord {
  id: number;
  /** Deterministic BullMQ job id: one delivery per (event key, channel). */
  jobId: string;
  /** What the delivery is for, unique per channel: `post-<postId>` for a forum post, the subject for other sources. */
  eventKey: string;
  channelId: number;
  /** What was announced, as its source keys it (`discourse:post:12`): edits and withdrawals find deliveries by it. */
  subject: string;
  /** What it belongs to (`discourse:topic:3`, `gitlab:issue:7`): `thread` rules reply under its opening announcement. */
  thread: string;
  /** The announcement opened its thread (a topic's first post, an opened issue). */
  opens: boolean;
  status: DeliveryStatus;
  attempts: number;
  /** The platform's reference to the sent message (needed for threads, edits, deletes). */
  messageRef: string | null;
  lastError: string | null;
  createdAt: Date;
  updatedAt: Date;
}

/** What the admin page narrows the delivery list to; every field given must match. */
export interface DeliveryFilter {
  channelId?: number;
  /** The platform of the delivery's channel. */
  platform?: PlatformName;
  status?: DeliveryStatus;
  /** A case-insensitive substring of the event key, subject or last error (letters fold as ASCII on SQLite). */
  text?: string;
}

/** One page of a list: `limit` rows after skipping `offset`. */
export interface PageRequest {
  limit: number;
  offset: number;
}

/** Deliveries of one platform's channels created in one UTC hour, by outcome. */
export interface DeliveryHour {
  /** The start of the hour (UTC). */
  hour: Date;
  platform: PlatformName;
  delivered: number;
  failed: number;
}

export interface DeliveryStore {
  /**
   * Unique on (eventKey, channelId): a second call returns the first with created=false.
   * `createdAt` (default: now) is for imports and tests that need deliveries of another time.
   */
  create(input: { jobId: string; eventKey: string; channelId: number; subject: string; thread: string; opens: boolean; createdAt?: Date }): Promise<{ delivery: DeliveryRecord; created: boolean }>;
  getByJobId(jobId: string): Promise<DeliveryRecord | undefined>;
  update(jobId: string, patch: { status?: DeliveryStatus; attempts?: number; messageRef?: string | null; lastError?: string | null }): Promise<void>;
  findBySubject(subject: string, status?: DeliveryStatus): Promise<DeliveryRecord[]>;
  /** The message that opened a thread in a channel (a topic's first post, an issue), for threading replies. */
  threadRoot(channelId: number, thread: string): Promise<string | null>;
  countByStatus(): Promise<Record<DeliveryStatus, number>>;
  /** One page of the deliveries matching the filter, newest first (by createdAt, then id); `total` counts every match. */
  search(filter: DeliveryFilter, page: PageRequest): Promise<{ deliveries: DeliveryRecord[]; total: number }>;
  /**
   * Deliveries created at or after `since` that were delivered or failed, counted per UTC hour and platform,
   * ordered by hour then platform. Hours and platforms with neither are absent.
   */
  perHour(since: Date): Promise<DeliveryHour[]>;
}

export interface TopicRecord {
  topicId: number;
  title: string;
  tags: string[];
  categoryId: number | null;
  updatedAt: Date;
}

export interface TopicStore {
  upsert(topic: Omit<TopicRecord, 'updatedAt'>): Promise<void>;
  get(topicId: number): Promise<TopicRecord | undefined>;
  remove(topicId: number): Promise<void>;
}

export interface CategoryRecord {
  id: number;
  slug: string;
  name: string;
  parentId: number | null;
  color: string | null;
  restricted: boolean;
}

export interface CategoryStore {
  /** Replaces the whole cached list (after a fetch of the forum's categories). */
  replaceAll(categories: CategoryRecord[]): Promise<void>;
  upsert(category: CategoryRecord): Promise<void>;
  remove(id: number): Promise<void>;
  list(): Promise<CategoryRecord[]>;
}

/** A chat user's account at one source (their Discourse or GitLab username), as admins set it. */
export interface IdentityRecord {
  platform: PlatformName;
  userId: string;
  source: SourceName;
  username: string;
  createdBy: string | null;
  createdAt: Date;
}

export interface IdentityStore {
  /** Sets (or replaces) a chat user's username at a source. */
  set(input: { platform: PlatformName; userId: string; source: SourceName; username: string; createdBy: string | null }): Promise<void>;
  get(platform: PlatformName, userId: string, source: SourceName): Promise<IdentityRecord | undefined>;
  list(filter?: { platform?: PlatformName; source?: SourceName }): Promise<IdentityRecord[]>;
  remove(platform: PlatformName, userId: string, source: SourceName): Promise<boolean>;
}

export interface InboundEventStore {
  /** Whether a forum event id was recorded (its event handled) before. */
  seen(source: string, eventId: string): Promise<boolean>;
  /** Records a forum event id; false when it was seen before (a replay). */
  record(source: string, eventId: string): Promise<boolean>;
  /** Forgets ids older than the cutoff. */
  prune(olderThan: Date): Promise<number>;
}

/**
 * What a platform adapter keeps between runs, by key: Matrix's sync token (so a restart neither re-reads nor
 * misses events) and its outstanding invitations. Values are the adapter's own text (JSON where it needs more).
 */
export interface PlatformStateStore {
  get(platform: PlatformName, key: string): Promise<string | undefined>;
  /** Sets or replaces the value. */
  set(platform: PlatformName, key: string, value: string): Promise<void>;
  /** False when there was nothing to delete. */
  delete(platform: PlatformName, key: string): Promise<boolean>;
  /** Every key of the platform starting with `prefix`, with its value, in key order. */
  list(platform: PlatformName, prefix: string): Promise<{ key: string; value: string }[]>;
}

/** Messages Parley saw in registered channels of platforms without a history API (Telegram, IRC). */
export interface MessageLogStore {
  /** Idempotent on (platform, channel, message id): a message seen twice is kept once (the newer text wins). */
  append(platform: PlatformName, channelExternalId: string, message: ChatMessage): Promise<void>;
  /** The newest `count` messages sent before `before`, returned oldest first. */
  latest(platform: PlatformName, channelExternalId: string, count: number, before: Date): Promise<ChatMessage[]>;
  /**
   * Messages sent in [from, to], oldest first, one page at a time: pass the last message of the previous page
   * as `after` to get the next. Ties on time are ordered by message id.
   */
  between(platform: PlatformName, channelExternalId: string, from: Date, to: Date, page: { limit: number; after?: { sentAt: Date; id: string } }): Promise<ChatMessage[]>;
  /** Deletes messages sent before the cutoff; returns how many. */
  prune(olderThan: Date): Promise<number>;
}

export type TranscriptStatus = 'queued' | 'posted' | 'previewed' | 'failed';

/** One /topic request: what it made, and for previews too long for a URL the page that holds it. */
export interface TranscriptRecord {
  /** The transcript job id. */
  id: string;
  channelId: number;
  requestedBy: string;
  forumUsername: string;
  status: TranscriptStatus;
  title: string | null;
  topicUrl: string | null;
  /** Unguessable id of the preview page (GET /transcripts/:secret). */
  secret: string | null;
  /** The rendered post, kept only for preview pages. */
  markdown: string | null;
  error: string | null;
  expiresAt: Date | null;
  createdAt: Date;
}

export interface TranscriptStore {
  /** Idempotent on id: a second call returns the first record with created=false. */
  create(input: { id: string; channelId: number; requestedBy: string; forumUsername: string }): Promise<{ record: TranscriptRecord; created: boolean }>;
  get(id: string): Promise<TranscriptRecord | undefined>;
  /** A preview page that has not expired at `now`. */
  bySecret(secret: string, now: Date): Promise<TranscriptRecord | undefined>;
  update(id: string, patch: Partial<Pick<TranscriptRecord, 'status' | 'title' | 'topicUrl' | 'secret' | 'markdown' | 'error' | 'expiresAt'>>): Promise<void>;
  /** Forgets preview pages (markdown and secret) expired before `now`. */
  pruneExpired(now: Date): Promise<number>;
  /** One page of all transcripts, newest first (by createdAt, then id); `total` counts them all. */
  list(page: PageRequest): Promise<{ transcripts: TranscriptRecord[]; total: number }>;
}

/**
 * What admins change while Parley runs (the admin API), by key; each overrides a variable of the environment,
 * which stays the default when the setting is deleted.
 */
export interface AdminSettings {
  /** Forum groups whose members may post transcripts (instead of PARLEY_TRANSCRIPT_GROUPS). */
  transcriptGroups: string[];
}

export interface SettingRecord<T> {
  value: T;
  /** Who set it: `admin`, or `cli`. */
  updatedBy: string | null;
  updatedAt: Date;
}

export interface SettingsStore {
  get<K extends keyof AdminSettings>(key: K): Promise<SettingRecord<AdminSettings[K]> | undefined>;
  /** Sets or replaces the value. */
  set<K extends keyof AdminSettings>(key: K, value: AdminSettings[K], updatedBy: string | null): Promise<void>;
  /** False when it was not set. */
  delete(key: keyof AdminSettings): Promise<boolean>;
}

export interface Store {
  readonly dialect: 'sqlite' | 'postgres';
  readonly channels: ChannelStore;
  readonly rules: RuleStore;
  readonly deliveries: DeliveryStore;
  readonly topics: TopicStore;
  readonly categories: CategoryStore;
  readonly identities: IdentityStore;
  readonly inboundEvents: InboundEventStore;
  readonly messageLog: MessageLogStore;
  readonly transcripts: TranscriptStore;
  readonly platformState: PlatformStateStore;
  readonly settings: SettingsStore;
  /** Answers a trivial query; for /readyz. */
  ping(): Promise<void>;
  close(): Promise<void>;
}
