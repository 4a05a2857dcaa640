// A Kysely driver for better-sqlite3 with group commit. Each SQLite commit writes the WAL (a system call and
// several pages); a webhook or a delivery makes two or three small writes, so committing them one by one costs
// more than running them. Here the writes that arrive during one turn of the event loop share a transaction,
// committed on the next turn, and each caller's promise settles only after the commit that holds its write:
// nobody is told "stored" before it is. Explicit transactions (db.transaction()) run alone, as usual.
// Reads of one turn share a read transaction too, ended on the next turn: each transaction takes file locks, and
// when another process has written since the last one, SQLite drops its page cache, so one per read costs more
// than the read (with web and workers in two processes, several times more).
import type BetterSqlite3 from 'better-sqlite3';
import {
  CompiledQuery,
  SqliteAdapter,
  SqliteIntrospector,
  SqliteQueryCompiler,
  type DatabaseConnection,
  type DatabaseIntrospector,
  type Dialect,
  type DialectAdapter,
  type Driver,
  type Kysely,
  type QueryCompiler,
  type QueryResult,
} from 'kysely';

/** What the driver needs of the database: better-sqlite3's, with prepare possibly cached. */
export interface SqliteDatabase {
  prepare(sql: string): BetterSqlite3.Statement;
  readonly inTransaction: boolean;
  close(): void;
}

/** Raw transaction statements (the migrations use them): any open group commits first. */
const TRANSACTION_CONTROL = /^\s*(begin|commit|end|rollback|savepoint|release)\b/i;

interface Waiter {
  resolve(result: QueryResult<unknown>): void;
  reject(err: unknown): void;
  result: QueryResult<unknown>;
}

export class GroupCommitSqliteDialect implements Dialect {
  constructor(private readonly database: SqliteDatabase) {}
  createDriver(): Driver {
    return new GroupCommitSqliteDriver(this.database);
  }
  createQueryCompiler(): QueryCompiler {
    return new SqliteQueryCompiler();
  }
  createAdapter(): DialectAdapter {
    return new SqliteAdapter();
  }
  createIntrospector(db: Kysely<unknown>): DatabaseIntrospector {
    return new SqliteIntrospector(db);
  }
}

export class GroupCommitSqliteDriver implements Driver {
  /** Writes of the open group, settled when it commits. */
  private group: Waiter[] | null = null;
  /** A read transaction of this turn is open (no group is). */
  private reading = false;
  /** Held by an explicit transaction; everyone else waits for it. */
  private exclusive: Promise<void> | null = null;
  private releaseExclusive: (() => void) | null = null;

  constructor(private readonly db: SqliteDatabase) {}

  async init(): Promise<void> {}

  async acquireConnection(): Promise<DatabaseConnection> {
    return new Connection(this);
  }

  async beginTransaction(connection: DatabaseConnection): Promise<void> {
    const conn = connection as Connection;
    while (this.exclusive) await this.exclusive;
    this.exclusive = new Promise((resolve) => (this.releaseExclusive = resolve));
    this.endRead();
    this.commitGroup();
    conn.inTransaction = true;
    try {
      this.run(CompiledQuery.raw('begin immediate'));
    } catch (err) {
      this.endExclusive(conn);
      throw err;
    }
  }

  async commitTransaction(connection: DatabaseConnection): Promise<void> {
    try {
      this.run(CompiledQuery.raw('commit'));
    } finally {
      this.endExclusive(connection as Connection);
    }
  }

  async rollbackTransaction(connection: DatabaseConnection): Promise<void> {
    try {
      if (this.db.inTransaction) this.run(CompiledQuery.raw('rollback'));
    } finally {
      this.endExclusive(connection as Connection);
    }
  }

  async savepoint(_c: DatabaseConnection, name: string): Promise<void> {
    this.run(CompiledQuery.raw(`savepoint "${name}"`));
  }

  async rollbackToSavepoint(_c: DatabaseConnection, name: string): Promise<void> {
    this.run(CompiledQuery.raw(`rollback to "${name}"`));
  }

  async releaseSavepoint(_c: DatabaseConnection, name: string): Promise<void> {
    this.run(CompiledQuery.raw(`release "${name}"`));
  }

  async releaseConnection(): Promise<void> {}

  async destroy(): Promise<void> {
    while (this.exclusive) await this.exclusive;
    this.endRead();
    this.commitGroup();
    this.db.close();
  }

  /** A query outside an explicit transaction: reads run at once (in the turn's read transaction), writes join the open group. */
  async execute(query: CompiledQuery): Promise<QueryResult<unknown>> {
    while (this.exclusive) await this.exclusive;
    if (TRANSACTION_CONTROL.test(query.sql)) {
      this.endRead();
      this.commitGroup();
      return this.run(query);
    }
    const statement = this.db.prepare(query.sql);
    // Inside a transaction begun by hand (the migrations' `begin immediate`), statements are part of it.
    if (this.db.inTransaction && !this.group && !this.reading) return this.runStatement(statement, query);
    if (statement.readonly) {
      // In the open group's transaction if there is one, else in this turn's read transaction.
      if (!this.group && !this.reading) {
        this.run(CompiledQuery.raw('begin'));
        this.reading = true;
        setImmediate(() => this.endRead());
      }
      return this.runStatement(statement, query);
    }
    this.endRead();
    if (!this.group) {
      this.run(CompiledQuery.raw('begin immediate'));
      this.group = [];
      setImmediate(() => this.commitGroup());
    }
    const group = this.group;
    let result: QueryResult<unknown>;
    try {
      result = this.runStatement(statement, query);
    } catch (err) {
      // A failed statement is undone alone, unless SQLite gave up the whole transaction (disk full, I/O error).
      if (!this.db.inTransaction) this.failGroup(group, err);
      throw err;
    }
    return new Promise((resolve, reject) => group.push({ resolve, reject, result }));
  }

  run(query: CompiledQuery): QueryResult<unknown> {
    return this.runStatement(this.db.prepare(query.sql), query);
  }

  private runStatement(statement: BetterSqlite3.Statement, query: CompiledQuery): QueryResult<unknown> {
    const parameters = query.parameters as unknown[];
    if (statement.reader) return { rows: statement.all(parameters) };
    const { changes, lastInsertRowid } = statement.run(parameters);
    return { numAffectedRows: BigInt(changes), insertId: BigInt(lastInsertRowid), rows: [] };
  }

  /** Ends this turn's read transaction, if one is open (END: it wrote nothing, there is nothing to commit). */
  private endRead(): void {
    if (!this.reading) return;
    this.reading = false;
    if (this.db.inTransaction) this.run(CompiledQuery.raw('end'));
  }

  /** Commits the open group (if any) and tells its writers. */
  private commitGroup(): void {
    const group = this.group;
    if (!group) return;
    this.group = null;
    try {
      if (!this.db.inTransaction) throw new Error('SQLite ended the transaction of this write early');
      this.run(CompiledQuery.raw('commit'));
    } catch (err) {
      this.failGroup(group, err);
      return;
    }
    for (const w of group) w.resolve(w.result);
  }

  private failGroup(group: Waiter[], err: unknown): void {
    if (this.group === group) this.group = null;
    if (this.db.inTransaction) this.run(CompiledQuery.raw('rollback'));
    for (const w of group.splice(0)) w.reject(err);
  }

  private endExclusive(conn: Connection): void {
    conn.inTransaction = false;
    const release = this.releaseExclusive;
    this.exclusive = null;
    this.releaseExclusive = null;
    release?.();
  }
}

class Connection implements DatabaseConnection {
  /** Inside the explicit transaction this connection began. */
  inTransaction = false;

  constructor(private readonly driver: GroupCommitSqliteDriver) {}

  async executeQuery<R>(query: CompiledQuery): Promise<QueryResult<R>> {
    if (this.inTransaction) return this.driver.run(query) as QueryResult<R>;
    return (await this.driver.execute(query)) as QueryResult<R>;
  }

  // eslint-disable-next-line require-yield
  async *streamQuery<R>(): AsyncIterableIterator<QueryResult<R>> {
    throw new Error('streaming queries are not used with SQLite in Parley');
  }
}
