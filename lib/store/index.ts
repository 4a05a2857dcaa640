// Opens the store: SQLite (the default, one file) or PostgreSQL (several processes at scale), both through
// Kysely with one code path. Dialect differences live in openSqlite/openPostgres and in migrations.ts.
//
// PostgreSQL schema: Parley uses the connection's search_path. To keep Parley (or a test run) in a schema
// of its own, put it in the URL, which pg passes to the server:
//   postgres://host/db?options=-c%20search_path%3Dparley
// The schema must exist; Parley creates its tables (and Kysely's migration tables) in it.
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { Kysely, PostgresDialect, sql } from 'kysely';
import type { DatabaseTarget } from '../config.js';
import { importLazily } from '../lazy-module.js';
import { silentLogger, type Logger } from '../log.js';
import { createCategoryStore } from './categories.js';
import { createChannelStore } from './channels.js';
import { createDeliveryStore } from './deliveries.js';
import { createIdentityStore } from './identities.js';
import { createInboundEventStore } from './inbound-events.js';
import { createPlatformStateStore } from './platform-state.js';
import { createMessageLogStore } from './message-log.js';
import { migrateToLatest, type Dialect } from './migrations.js';
import { GroupCommitSqliteDialect, type SqliteDatabase } from './sqlite-driver.js';
import { createRuleStore } from './rules.js';
import { createSettingsStore } from './settings.js';
import { createTopicStore } from './topics.js';
import { createTranscriptStore } from './transcripts.js';
import type { Database, Db } from './schema.js';
import type { Store } from '../seams/store.js';

export type { Store } from '../seams/store.js';

/** How long a SQLite connection waits for another process's write lock before giving up. */
const SQLITE_BUSY_TIMEOUT_MS = 10_000;
const PG_POOL_SIZE = 10;

export async function openStore(target: DatabaseTarget, opts: { log?: Logger } = {}): Promise<Store> {
  const log = opts.log ?? silentLogger;
  if (target.kind === 'sqlite') return serializedPerFile(target.path, async () => openMigrated(await openSqlite(target.path), 'sqlite', log));
  return openMigrated(await openPostgres(target.url, log), 'postgres', log);
}

async function openMigrated(db: Db, dialect: Dialect, log: Logger): Promise<Store> {
  try {
    const applied = await migrateToLatest(db, dialect);
    if (applied.length > 0) log.info({ dialect, migrations: applied }, 'database migrated');
  } catch (err) {
    await db.destroy();
    throw err;
  }
  return createStore(db, dialect);
}

async function openSqlite(file: string): Promise<Db> {
  const inMemory = file === ':memory:' || file === '';
  if (!inMemory) mkdirSync(path.dirname(path.resolve(file)), { recursive: true });
  const database = new BetterSqlite3(file);
  // busy_timeout first: switching to WAL itself waits on a process that is migrating.
  database.pragma(`busy_timeout = ${SQLITE_BUSY_TIMEOUT_MS}`);
  await switchToWal(database);
  // NORMAL is durable across application crashes in WAL mode; only a power loss may drop the last commits.
  database.pragma('synchronous = NORMAL');
  database.pragma('foreign_keys = ON');
  return new Kysely<Database>({ dialect: new GroupCommitSqliteDialect(withStatementCache(database)) });
}

/**
 * Switching a new database to WAL needs a moment alone with the file, and SQLite does not always wait for it
 * (busy_timeout is not consulted for that lock): when several processes start at once, try again briefly.
 */
async function switchToWal(database: BetterSqlite3.Database): Promise<void> {
  const deadline = Date.now() + SQLITE_BUSY_TIMEOUT_MS;
  for (;;) {
    try {
      database.pragma('journal_mode = WAL');
      return;
    } catch (err) {
      if ((err as { code?: string }).code !== 'SQLITE_BUSY' || Date.now() > deadline) throw err;
      await new Promise((r) => setTimeout(r, 20 + Math.random() * 80));
    }
  }
}

/**
 * Kysely prepares every query anew; preparing costs more than running these small indexed statements.
 * The same SQL text always gets the same prepared statement (safe: better-sqlite3 runs them synchronously).
 */
function withStatementCache(database: BetterSqlite3.Database): SqliteDatabase {
  const statements = new Map<string, BetterSqlite3.Statement>();
  return {
    close: () => database.close(),
    get inTransaction() {
      return database.inTransaction;
    },
    prepare: (sql: string) => {
      let statement = statements.get(sql);
      if (!statement) {
        statement = database.prepare(sql);
        // Queries built from user-varying lists (IN (…)) make new texts; keep the cache bounded.
        if (statements.size >= 500) statements.clear();
        statements.set(sql, statement);
      }
      return statement;
    },
  };
}

async function openPostgres(url: string, log: Logger): Promise<Db> {
  // pg loaded here, not at the top: a SQLite process (the default) never needs it (lib/lazy-module.ts).
  const { default: pg } = await importLazily('pg', 'A PostgreSQL DATABASE_URL', () => import('pg'));
  const pool = new pg.Pool({ connectionString: url, max: PG_POOL_SIZE, connectionTimeoutMillis: 5000 });
  // An idle client losing its connection emits here; without a listener the process would exit.
  pool.on('error', (err) => log.warn({ err: { message: err.message } }, 'PostgreSQL idle connection error'));
  // A connection in use but between queries (checked out by Kysely) reports the server going away on the client
  // itself, where the pool listens no more: without this listener the process would exit. The query that uses it
  // next fails, and the pool replaces it.
  pool.on('connect', (client) => client.on('error', (err) => log.warn({ err: { message: err.message } }, 'PostgreSQL connection lost')));
  return new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
}

/**
 * Two opens of one SQLite file in one process must not overlap: better-sqlite3 waits for a lock
 * synchronously, so the second would block the event loop that the first needs to finish.
 */
const opening = new Map<string, Promise<unknown>>();
async function serializedPerFile<T>(file: string, fn: () => Promise<T>): Promise<T> {
  if (file === ':memory:' || file === '') return fn();
  const key = path.resolve(file);
  const previous = opening.get(key) ?? Promise.resolve();
  const current = previous.catch(() => undefined).then(fn);
  opening.set(key, current);
  try {
    return await current;
  } finally {
    if (opening.get(key) === current) opening.delete(key);
  }
}

function createStore(db: Db, dialect: Dialect): Store {
  return {
    dialect,
    channels: createChannelStore(db),
    rules: createRuleStore(db),
    deliveries: createDeliveryStore(db, dialect),
    topics: createTopicStore(db),
    categories: createCategoryStore(db),
    identities: createIdentityStore(db),
    inboundEvents: createInboundEventStore(db),
    messageLog: createMessageLogStore(db),
    transcripts: createTranscriptStore(db),
    platformState: createPlatformStateStore(db),
    settings: createSettingsStore(db),
    async ping() {
      await sql`select 1`.execute(db);
    },
    async close() {
      await db.destroy();
    },
  };
}

