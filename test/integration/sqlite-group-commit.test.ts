// The SQLite driver's group commit: concurrent writes share one transaction, nobody hears "stored" before the
// commit, a failed write fails alone, and explicit transactions stay isolated from grouped writes.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import BetterSqlite3 from 'better-sqlite3';
import { Kysely, sql, type Generated } from 'kysely';
import { GroupCommitSqliteDialect } from '../../lib/store/sqlite-driver.js';

interface Db {
  items: { id: Generated<number>; name: string };
}

describe('SQLite group commit', () => {
  let dir: string;
  let file: string;
  let raw: BetterSqlite3.Database;
  let db: Kysely<Db>;
  let commits: number;

  before(async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'parley-group-commit-'));
    file = path.join(dir, 'test.db');
    raw = new BetterSqlite3(file);
    raw.pragma('journal_mode = WAL');
    commits = 0;
    // Count the commits the driver issues, to see that writes are grouped.
    const counting = {
      prepare: (text: string) => {
        if (/^\s*commit\b/i.test(text)) commits++;
        return raw.prepare(text);
      },
      get inTransaction() {
        return raw.inTransaction;
      },
      close: () => raw.close(),
    };
    db = new Kysely<Db>({ dialect: new GroupCommitSqliteDialect(counting) });
    await sql`create table items (id integer primary key, name text not null unique)`.execute(db);
  });

  after(async () => {
    await db.destroy();
    rmSync(dir, { recursive: true, force: true });
  });

  /** Reads the file through a second connection: sees only what is committed. */
  function committedNames(): string[] {
    const other = new BetterSqlite3(file, { readonly: true });
    try {
      return (other.prepare('select name from items order by id').all() as { name: string }[]).map((r) => r.name);
    } finally {
      other.close();
    }
  }

  it('writes made at the same time share one commit, and each resolves only once it is committed', async () => {
    await db.deleteFrom('items').execute();
    const before = commits;
    const seen: string[][] = [];
    await Promise.all(
      Array.from({ length: 20 }, async (_, i) => {
        await db.insertInto('items').values({ name: `n${i}` }).execute();
        seen.push(committedNames());
      }),
    );
    assert.equal(commits - before, 1, 'twenty concurrent inserts, one commit');
    // Every writer, once told, finds its row (and all the group's) committed for other connections.
    for (const names of seen) assert.equal(names.length, 20);
  });

  it('writes one after another each commit (nothing waits for a group that will not come)', async () => {
    const before = commits;
    for (let i = 0; i < 3; i++) await db.insertInto('items').values({ name: `seq${i}` }).execute();
    assert.equal(commits - before, 3);
    assert.ok(committedNames().includes('seq2'));
  });

  it('a write that fails is refused alone; the rest of its group is committed', async () => {
    await db.deleteFrom('items').execute();
    const results = await Promise.allSettled([
      db.insertInto('items').values({ name: 'a' }).execute(),
      db.insertInto('items').values({ name: 'a' }).execute(), // unique violation
      db.insertInto('items').values({ name: 'b' }).execute(),
    ]);
    assert.deepEqual(results.map((r) => r.status), ['fulfilled', 'rejected', 'fulfilled']);
    assert.match(String((results[1] as PromiseRejectedResult).reason), /UNIQUE/);
    assert.deepEqual(committedNames(), ['a', 'b']);
  });

  it('reads see the rows of a write that has been told', async () => {
    await db.insertInto('items').values({ name: 'read-me' }).execute();
    const row = await db.selectFrom('items').select('name').where('name', '=', 'read-me').executeTakeFirst();
    assert.equal(row?.name, 'read-me');
  });

  it('an explicit transaction is isolated: grouped writes neither join it nor are undone by its rollback', async () => {
    await db.deleteFrom('items').execute();
    let release: () => void = () => undefined;
    const held = new Promise<void>((r) => (release = r));
    const failed = db
      .transaction()
      .execute(async (trx) => {
        await trx.insertInto('items').values({ name: 'in-tx' }).execute();
        await held;
        throw new Error('changed my mind');
      })
      .catch((err: Error) => err.message);
    await new Promise((r) => setImmediate(r));
    // Issued while the transaction is open: waits for it, then commits on its own.
    const outside = db.insertInto('items').values({ name: 'outside' }).execute();
    release();
    assert.equal(await failed, 'changed my mind');
    await outside;
    assert.deepEqual(committedNames(), ['outside']);
  });

  it('transactions that start together run one after the other', async () => {
    await db.deleteFrom('items').execute();
    const order: string[] = [];
    await Promise.all(
      ['t1', 't2'].map((name) =>
        db.transaction().execute(async (trx) => {
          order.push(`${name} begin`);
          await trx.insertInto('items').values({ name }).execute();
          await new Promise((r) => setTimeout(r, 5));
          order.push(`${name} end`);
        }),
      ),
    );
    assert.deepEqual(order, ['t1 begin', 't1 end', 't2 begin', 't2 end']);
    assert.deepEqual(committedNames(), ['t1', 't2']);
  });
});
