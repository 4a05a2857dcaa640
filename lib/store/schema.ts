// Row shapes of the tables, as Kysely sees them. The same on SQLite and PostgreSQL:
// timestamps are ISO-8601 UTC text (sortable as text), booleans are 0/1 integers, JSON is text.
import type { Generated, Insertable, Kysely, Selectable } from 'kysely';

export interface ChannelsTable {
  id: Generated<number>;
  platform: string;
  external_id: string;
  name: string;
  status: string;
  /** JSON text of ChannelSettings. */
  settings: string;
  added_by: string | null;
  last_error_code: string | null;
  last_error_message: string | null;
  last_error_at: string | null;
  /** What the platform answered with the last error, tokens removed; null when it said nothing Parley kept. */
  last_error_raw: string | null;
  created_at: string;
}

export interface RulesTable {
  id: Generated<number>;
  channel_id: number;
  source: string;
  filter: string;
  scope_type: string;
  /** '' for scope `all`, so that the unique index sees equal rows as equal (NULLs never are). */
  scope_value: string;
  created_by: string | null;
  created_at: string;
}

export interface DeliveriesTable {
  id: Generated<number>;
  job_id: string;
  event_key: string;
  channel_id: number;
  /** What was announced, as the source keys it: `discourse:post:12`, `gitlab:issue:7`. */
  subject: string;
  /** What it belongs to, for threading: `discourse:topic:3`, `gitlab:issue:7`. */
  thread: string;
  /** 1 when the announcement opened its thread (a first post, an opened issue): replies thread under it. */
  opens: number;
  status: string;
  attempts: number;
  message_ref: string | null;
  last_error: string | null;
  created_at: string;
  updated_at: string;
}

export interface TopicsTable {
  topic_id: number;
  title: string;
  /** JSON text of string[]. */
  tags: string;
  category_id: number | null;
  updated_at: string;
}

export interface CategoriesTable {
  id: number;
  slug: string;
  name: string;
  parent_id: number | null;
  color: string | null;
  restricted: number;
}

export interface IdentitiesTable {
  platform: string;
  user_id: string;
  source: string;
  /** The user's name at the source (a Discourse or GitLab username). */
  username: string;
  created_by: string | null;
  created_at: string;
}

export interface InboundEventsTable {
  source: string;
  event_id: string;
  received_at: string;
}

export interface MessageLogTable {
  platform: string;
  channel_external_id: string;
  message_id: string;
  author_id: string;
  author_username: string;
  author_display_name: string;
  author_is_bot: number;
  sent_at: string;
  /** Forum Markdown, as the adapter converted it. */
  markdown: string;
  /** JSON text of { name, url }[]. */
  attachments: string;
}

export interface TranscriptsTable {
  id: string;
  channel_id: number;
  requested_by: string;
  forum_username: string;
  status: string;
  title: string | null;
  topic_url: string | null;
  secret: string | null;
  markdown: string | null;
  error: string | null;
  expires_at: string | null;
  created_at: string;
}

export interface PlatformStateTable {
  platform: string;
  key: string;
  value: string;
  updated_at: string;
}

export interface SettingsTable {
  key: string;
  /** JSON text of the setting's value (lib/seams/store.ts, AdminSettings). */
  value: string;
  updated_by: string | null;
  updated_at: string;
}

export interface MetaTable {
  key: string;
  value: string;
}

export interface Database {
  channels: ChannelsTable;
  rules: RulesTable;
  deliveries: DeliveriesTable;
  topics: TopicsTable;
  categories: CategoriesTable;
  identities: IdentitiesTable;
  inbound_events: InboundEventsTable;
  message_log: MessageLogTable;
  transcripts: TranscriptsTable;
  platform_state: PlatformStateTable;
  settings: SettingsTable;
  meta: MetaTable;
}

export type Db = Kysely<Database>;
export type ChannelRow = Selectable<ChannelsTable>;
export type RuleRow = Selectable<RulesTable>;
export type DeliveryRow = Selectable<DeliveriesTable>;
export type NewDeliveryRow = Insertable<DeliveriesTable>;

/** The meta key whose value counts rule and channel additions and removals. */
export const RULES_VERSION_KEY = 'rules_version';

/** Timestamps are written by Parley, never by a database default, so both dialects store the same text. */
export function now(): string {
  return new Date().toISOString();
}

export function toDate(text: string): Date {
  return new Date(text);
}

/** PostgreSQL returns count(*) as a string (bigint); SQLite as a number. */
export function toCount(value: string | number | bigint): number {
  return Number(value);
}
