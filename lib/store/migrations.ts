// The schema, as Kysely migrations kept in code (no migration folder to ship), applied at open.
// The dialect differences are the autoincrement id column and one binary collation; everything else is the same DDL.
import { Migrator, sql, type ColumnDefinitionBuilder, type CreateTableBuilder, type Kysely, type Migration } from 'kysely';
import { RULES_VERSION_KEY } from './schema.js';

export type Dialect = 'sqlite' | 'postgres';

/** `integer primary key autoincrement` on SQLite, `serial primary key` on PostgreSQL. */
function withId<T extends string>(table: CreateTableBuilder<T, never>, dialect: Dialect): CreateTableBuilder<T, 'id'> {
  return dialect === 'sqlite'
    ? table.addColumn('id', 'integer', (c: ColumnDefinitionBuilder) => c.primaryKey().autoIncrement())
    : table.addColumn('id', 'serial', (c: ColumnDefinitionBuilder) => c.primaryKey());
}

function initial(dialect: Dialect): Migration {
  return {
    async up(db: Kysely<unknown>) {
      await withId(db.schema.createTable('channels'), dialect)
        .addColumn('platform', 'text', (c) => c.notNull())
        .addColumn('external_id', 'text', (c) => c.notNull())
        .addColumn('name', 'text', (c) => c.notNull())
        .addColumn('status', 'text', (c) => c.notNull())
        .addColumn('settings', 'text', (c) => c.notNull().defaultTo('{}'))
        .addColumn('added_by', 'text')
        .addColumn('last_error_code', 'text')
        .addColumn('last_error_message', 'text')
        .addColumn('last_error_at', 'text')
        .addColumn('created_at', 'text', (c) => c.notNull())
        .addUniqueConstraint('channels_platform_external_id_key', ['platform', 'external_id'])
        .execute();

      await withId(db.schema.createTable('rules'), dialect)
        .addColumn('channel_id', 'integer', (c) => c.notNull().references('channels.id').onDelete('cascade'))
        .addColumn('filter', 'text', (c) => c.notNull())
        .addColumn('scope_type', 'text', (c) => c.notNull())
        .addColumn('scope_value', 'text', (c) => c.notNull())
        .addColumn('created_by', 'text')
        .addColumn('created_at', 'text', (c) => c.notNull())
        // Also serves rules.list(channelId): channel_id leads.
        .addUniqueConstraint('rules_channel_filter_scope_key', ['channel_id', 'filter', 'scope_type', 'scope_value'])
        .execute();

      // Deliveries go with their channel: a removed channel has nothing left to deliver or thread under.
      await withId(db.schema.createTable('deliveries'), dialect)
        .addColumn('job_id', 'text', (c) => c.notNull())
        .addColumn('event_key', 'text', (c) => c.notNull())
        .addColumn('channel_id', 'integer', (c) => c.notNull().references('channels.id').onDelete('cascade'))
        .addColumn('post_id', 'integer', (c) => c.notNull())
        .addColumn('topic_id', 'integer', (c) => c.notNull())
        .addColumn('post_number', 'integer', (c) => c.notNull())
        .addColumn('status', 'text', (c) => c.notNull())
        .addColumn('attempts', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('message_ref', 'text')
        .addColumn('last_error', 'text')
        .addColumn('created_at', 'text', (c) => c.notNull())
        .addColumn('updated_at', 'text', (c) => c.notNull())
        .addUniqueConstraint('deliveries_event_key_channel_key', ['event_key', 'channel_id'])
        .addUniqueConstraint('deliveries_job_id_key', ['job_id'])
        .execute();
      await db.schema.createIndex('deliveries_post_id_idx').on('deliveries').column('post_id').execute();
      await db.schema.createIndex('deliveries_channel_topic_idx').on('deliveries').columns(['channel_id', 'topic_id']).execute();
      // countByStatus reads this index alone instead of the whole table.
      await db.schema.createIndex('deliveries_status_idx').on('deliveries').column('status').execute();

      await db.schema
        .createTable('topics')
        .addColumn('topic_id', 'integer', (c) => c.primaryKey())
        .addColumn('title', 'text', (c) => c.notNull())
        .addColumn('tags', 'text', (c) => c.notNull().defaultTo('[]'))
        .addColumn('category_id', 'integer')
        .addColumn('updated_at', 'text', (c) => c.notNull())
        .execute();

      await db.schema
        .createTable('categories')
        .addColumn('id', 'integer', (c) => c.primaryKey())
        .addColumn('slug', 'text', (c) => c.notNull())
        .addColumn('name', 'text', (c) => c.notNull())
        .addColumn('parent_id', 'integer')
        .addColumn('color', 'text')
        .addColumn('restricted', 'integer', (c) => c.notNull().defaultTo(0))
        .execute();

      await db.schema
        .createTable('identities')
        .addColumn('platform', 'text', (c) => c.notNull())
        .addColumn('user_id', 'text', (c) => c.notNull())
        .addColumn('forum_username', 'text', (c) => c.notNull())
        .addColumn('created_by', 'text')
        .addColumn('created_at', 'text', (c) => c.notNull())
        .addPrimaryKeyConstraint('identities_pkey', ['platform', 'user_id'])
        .execute();

      await db.schema
        .createTable('inbound_events')
        .addColumn('source', 'text', (c) => c.notNull())
        .addColumn('event_id', 'text', (c) => c.notNull())
        .addColumn('received_at', 'text', (c) => c.notNull())
        .addPrimaryKeyConstraint('inbound_events_pkey', ['source', 'event_id'])
        .execute();
      await db.schema.createIndex('inbound_events_received_at_idx').on('inbound_events').column('received_at').execute();

      await db.schema
        .createTable('meta')
        .addColumn('key', 'text', (c) => c.primaryKey())
        .addColumn('value', 'text', (c) => c.notNull())
        .execute();
      await sql`insert into meta (key, value) values (${RULES_VERSION_KEY}, '0')`.execute(db);
    },
  };
}

/**
 * Text compared byte by byte, as SQLite always does: PostgreSQL's default collation follows the locale
 * (case and punctuation weigh less), which would order message ids differently from SQLite.
 */
function binaryText(dialect: Dialect) {
  return dialect === 'sqlite' ? 'text' : sql`text collate "C"`;
}

function transcripts(dialect: Dialect): Migration {
  return {
    async up(db: Kysely<unknown>) {
      await db.schema
        .createTable('message_log')
        .addColumn('platform', 'text', (c) => c.notNull())
        .addColumn('channel_external_id', 'text', (c) => c.notNull())
        .addColumn('message_id', binaryText(dialect), (c) => c.notNull())
        .addColumn('author_id', 'text', (c) => c.notNull())
        .addColumn('author_username', 'text', (c) => c.notNull())
        .addColumn('author_display_name', 'text', (c) => c.notNull())
        .addColumn('author_is_bot', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('sent_at', 'text', (c) => c.notNull())
        .addColumn('markdown', 'text', (c) => c.notNull())
        .addColumn('attachments', 'text', (c) => c.notNull().defaultTo('[]'))
        .addPrimaryKeyConstraint('message_log_pkey', ['platform', 'channel_external_id', 'message_id'])
        .execute();
      // A channel's messages in time order: latest(), between() and their cursor all walk this index.
      await db.schema.createIndex('message_log_channel_sent_at_idx').on('message_log').columns(['platform', 'channel_external_id', 'sent_at', 'message_id']).execute();
      // prune() cuts across all channels by time.
      await db.schema.createIndex('message_log_sent_at_idx').on('message_log').column('sent_at').execute();

      await db.schema
        .createTable('transcripts')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('channel_id', 'integer', (c) => c.notNull().references('channels.id').onDelete('cascade'))
        .addColumn('requested_by', 'text', (c) => c.notNull())
        .addColumn('forum_username', 'text', (c) => c.notNull())
        .addColumn('status', 'text', (c) => c.notNull())
        .addColumn('title', 'text')
        .addColumn('topic_url', 'text')
        .addColumn('secret', 'text')
        .addColumn('markdown', 'text')
        .addColumn('error', 'text')
        .addColumn('expires_at', 'text')
        .addColumn('created_at', 'text', (c) => c.notNull())
        // NULLs are never equal: any number of transcripts without a preview page.
        .addUniqueConstraint('transcripts_secret_key', ['secret'])
        .execute();
      await db.schema.createIndex('transcripts_expires_at_idx').on('transcripts').column('expires_at').execute();
    },
  };
}

function platformState(dialect: Dialect): Migration {
  return {
    async up(db: Kysely<unknown>) {
      await db.schema
        .createTable('platform_state')
        .addColumn('platform', 'text', (c) => c.notNull())
        // list() walks keys by prefix in byte order on both databases.
        .addColumn('key', binaryText(dialect), (c) => c.notNull())
        .addColumn('value', 'text', (c) => c.notNull())
        .addColumn('updated_at', 'text', (c) => c.notNull())
        .addPrimaryKeyConstraint('platform_state_pkey', ['platform', 'key'])
        .execute();
    },
  };
}

/**
 * Parley hears more than one source (docs/architecture.md#sources): rules and identities name theirs (every row
 * so far is Discourse's), and a delivery keeps what it announced as source-neutral keys (`discourse:post:12`,
 * `discourse:topic:3`) instead of Discourse's post and topic numbers.
 */
function sources(dialect: Dialect): Migration {
  return {
    async up(db: Kysely<unknown>) {
      if (dialect === 'postgres') {
        await sql`alter table rules add column source text not null default 'discourse'`.execute(db);
        await sql`alter table rules drop constraint rules_channel_filter_scope_key`.execute(db);
        await sql`alter table rules add constraint rules_channel_source_filter_scope_key unique (channel_id, source, filter, scope_type, scope_value)`.execute(db);
        await sql`alter table identities add column source text not null default 'discourse'`.execute(db);
        await sql`alter table identities drop constraint identities_pkey`.execute(db);
        await sql`alter table identities add constraint identities_pkey primary key (platform, user_id, source)`.execute(db);
        await sql`alter table identities rename column forum_username to username`.execute(db);
      } else {
        // SQLite cannot change a table's keys in place: copy into a new table of the new shape (ids kept).
        await sql`alter table rules rename to rules_0003`.execute(db);
        await withId(db.schema.createTable('rules'), dialect)
          .addColumn('channel_id', 'integer', (c) => c.notNull().references('channels.id').onDelete('cascade'))
          .addColumn('source', 'text', (c) => c.notNull())
          .addColumn('filter', 'text', (c) => c.notNull())
          .addColumn('scope_type', 'text', (c) => c.notNull())
          .addColumn('scope_value', 'text', (c) => c.notNull())
          .addColumn('created_by', 'text')
          .addColumn('created_at', 'text', (c) => c.notNull())
          .addUniqueConstraint('rules_channel_source_filter_scope_key', ['channel_id', 'source', 'filter', 'scope_type', 'scope_value'])
          .execute();
        await sql`insert into rules (id, channel_id, source, filter, scope_type, scope_value, created_by, created_at)
          select id, channel_id, 'discourse', filter, scope_type, scope_value, created_by, created_at from rules_0003`.execute(db);
        await sql`drop table rules_0003`.execute(db);

        await sql`alter table identities rename to identities_0003`.execute(db);
        await db.schema
          .createTable('identities')
          .addColumn('platform', 'text', (c) => c.notNull())
          .addColumn('user_id', 'text', (c) => c.notNull())
          .addColumn('source', 'text', (c) => c.notNull())
          .addColumn('username', 'text', (c) => c.notNull())
          .addColumn('created_by', 'text')
          .addColumn('created_at', 'text', (c) => c.notNull())
          .addPrimaryKeyConstraint('identities_pkey', ['platform', 'user_id', 'source'])
          .execute();
        await sql`insert into identities (platform, user_id, source, username, created_by, created_at)
          select platform, user_id, 'discourse', forum_username, created_by, created_at from identities_0003`.execute(db);
        await sql`drop table identities_0003`.execute(db);
      }

      // The same DDL on both: SQLite drops a column once no index uses it.
      await db.schema.dropIndex('deliveries_post_id_idx').execute();
      await db.schema.dropIndex('deliveries_channel_topic_idx').execute();
      await db.schema.alterTable('deliveries').addColumn('subject', 'text', (c) => c.notNull().defaultTo('')).execute();
      await db.schema.alterTable('deliveries').addColumn('thread', 'text', (c) => c.notNull().defaultTo('')).execute();
      await db.schema.alterTable('deliveries').addColumn('opens', 'integer', (c) => c.notNull().defaultTo(0)).execute();
      await sql`update deliveries set subject = 'discourse:post:' || post_id, thread = 'discourse:topic:' || topic_id,
        opens = case when post_number = 1 then 1 else 0 end`.execute(db);
      for (const column of ['post_id', 'topic_id', 'post_number']) await db.schema.alterTable('deliveries').dropColumn(column).execute();
      await db.schema.createIndex('deliveries_subject_idx').on('deliveries').column('subject').execute();
      await db.schema.createIndex('deliveries_channel_thread_idx').on('deliveries').columns(['channel_id', 'thread']).execute();
    },
  };
}

/**
 * The admin page lists deliveries newest first (all of them, or one channel's) and counts the recent ones per
 * hour; it lists transcripts newest first. The id in each index is the lists' tie-break.
 */
function adminLists(): Migration {
  return {
    async up(db: Kysely<unknown>) {
      await db.schema.createIndex('deliveries_created_at_idx').on('deliveries').columns(['created_at', 'id']).execute();
      await db.schema.createIndex('deliveries_channel_created_at_idx').on('deliveries').columns(['channel_id', 'created_at', 'id']).execute();
      await db.schema.createIndex('transcripts_created_at_idx').on('transcripts').columns(['created_at', 'id']).execute();
    },
  };
}

/**
 * The admin page shows a channel's last error with what the platform answered (its error body or numeric line), and
 * lets admins change a few settings while Parley runs (the transcript policy), kept as JSON by key.
 */
function adminSettings(): Migration {
  return {
    async up(db: Kysely<unknown>) {
      await db.schema.alterTable('channels').addColumn('last_error_raw', 'text').execute();
      await db.schema
        .createTable('settings')
        .addColumn('key', 'text', (c) => c.primaryKey())
        .addColumn('value', 'text', (c) => c.notNull())
        .addColumn('updated_by', 'text')
        .addColumn('updated_at', 'text', (c) => c.notNull())
        .execute();
    },
  };
}

/** Names sort in the order they apply; add new ones after the last, never edit an applied one. */
function migrations(dialect: Dialect): Record<string, Migration> {
  return {
    '0001_initial': initial(dialect),
    '0002_transcripts': transcripts(dialect),
    '0003_platform_state': platformState(dialect),
    '0004_sources': sources(dialect),
    '0005_admin_lists': adminLists(),
    '0006_admin_settings': adminSettings(),
  };
}

/**
 * Applies what is pending and returns the names applied (none when up to date).
 * Two processes may call this at once: on PostgreSQL Kysely holds an advisory lock and migrates in a
 * transaction; on SQLite (where Kysely takes no lock) one `begin immediate` transaction around the whole
 * run makes the second process wait on busy_timeout and then find nothing to do.
 */
export async function migrateToLatest<DB>(db: Kysely<DB>, dialect: Dialect, opts: { upTo?: string } = {}): Promise<string[]> {
  if (dialect === 'postgres') return runMigrator(db, dialect, await currentSchema(db), opts.upTo);
  return db.connection().execute(async (conn) => {
    await sql`begin immediate`.execute(conn);
    try {
      const applied = await runMigrator(conn, dialect, undefined, opts.upTo);
      await sql`commit`.execute(conn);
      return applied;
    } catch (err) {
      await sql`rollback`.execute(conn);
      throw err;
    }
  });
}

/** `upTo`: stop after that migration (the store suite builds a database as an older Parley left it). */
async function runMigrator<DB>(db: Kysely<DB>, dialect: Dialect, schema: string | undefined, upTo: string | undefined): Promise<string[]> {
  const migrator = new Migrator({
    db,
    provider: { getMigrations: async () => migrations(dialect) },
    ...(schema ? { migrationTableSchema: schema } : {}),
  });
  const { error, results = [] } = upTo === undefined ? await migrator.migrateToLatest() : await migrator.migrateTo(upTo);
  if (error) {
    const failed = results.find((r) => r.status === 'Error')?.migrationName;
    throw new Error(`database migration ${failed ?? ''} failed: ${error instanceof Error ? error.message : JSON.stringify(error)}`, { cause: error });
  }
  return results.filter((r) => r.status === 'Success').map((r) => r.migrationName);
}

/**
 * Kysely's check for its own tables looks in every schema unless told one, so another schema's
 * kysely_migration (a test run, another app) would make it skip creating ours: name ours explicitly.
 */
async function currentSchema<DB>(db: Kysely<DB>): Promise<string> {
  const { rows } = await sql<{ schema: string | null }>`select current_schema() as schema`.execute(db);
  const schema = rows[0]?.schema;
  if (!schema) throw new Error('PostgreSQL: no schema of the search_path exists; create it or fix the options in DATABASE_URL');
  return schema;
}
