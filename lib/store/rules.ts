// Rules: one row per (channel, source, filter, scope). The scope is stored as a type and a value so that
// the unique index can tell duplicates apart; meta.rules_version tells other processes to reload.
import { sql, type Transaction } from 'kysely';
import { isFilter, isSourceName, scopeOf, scopeValue, type Scope } from '../rules.js';
import type { RuleRecord, RuleStore } from '../seams/store.js';
import { prepared } from './prepared.js';
import { now, RULES_VERSION_KEY, toDate, type Database, type Db, type RuleRow } from './schema.js';

/** Call inside the transaction that adds or removes a rule or a channel. */
export async function bumpRulesVersion(trx: Transaction<Database>): Promise<void> {
  // cast(… as integer) + 1 is stored back as text by both SQLite (affinity) and PostgreSQL (assignment cast).
  await trx
    .updateTable('meta')
    .set({ value: sql<string>`cast(value as integer) + 1` })
    .where('key', '=', RULES_VERSION_KEY)
    .execute();
}

function scopeColumns(scope: Scope): { scope_type: string; scope_value: string } {
  return { scope_type: scope.type, scope_value: scopeValue(scope) };
}

function toRule(row: RuleRow): RuleRecord {
  if (!isFilter(row.filter)) throw new Error(`rules: unknown filter "${row.filter}" in the database (rule ${row.id})`);
  if (!isSourceName(row.source)) throw new Error(`rules: unknown source "${row.source}" in the database (rule ${row.id})`);
  return {
    id: row.id,
    channelId: row.channel_id,
    source: row.source,
    filter: row.filter,
    scope: scopeOf(row.scope_type, row.scope_value),
    createdBy: row.created_by,
    createdAt: toDate(row.created_at),
  };
}

export function createRuleStore(db: Db): RuleStore {
  // Before each match (lib/live-rules.ts).
  const versionRow = prepared(db, ['key'], (p: { key: string }) => db.selectFrom('meta').select('value').where('key', '=', p.key));
  return {
    async add({ channelId, source, filter, scope, createdBy }) {
      const columns = scopeColumns(scope);
      const findExisting = (q: Db | Transaction<Database>) =>
        q
          .selectFrom('rules')
          .selectAll()
          .where('channel_id', '=', channelId)
          .where('source', '=', source)
          .where('filter', '=', filter)
          .where('scope_type', '=', columns.scope_type)
          .where('scope_value', '=', columns.scope_value)
          .executeTakeFirst();

      const existing = await findExisting(db);
      if (existing) return { rule: toRule(existing), created: false };

      return db.transaction().execute(async (trx) => {
        // Insert first: on SQLite the write lock is taken up front, so no read-then-upgrade deadlock.
        const inserted = await trx
          .insertInto('rules')
          .values({ channel_id: channelId, source, filter, ...columns, created_by: createdBy, created_at: now() })
          .onConflict((oc) => oc.columns(['channel_id', 'source', 'filter', 'scope_type', 'scope_value']).doNothing())
          .returningAll()
          .executeTakeFirst();
        if (inserted) {
          await bumpRulesVersion(trx);
          return { rule: toRule(inserted), created: true };
        }
        const winner = await findExisting(trx);
        if (!winner) throw new Error(`rules: rule for channel ${channelId} neither inserted nor found`);
        return { rule: toRule(winner), created: false };
      });
    },

    async list(channelId) {
      const rows = await db.selectFrom('rules').selectAll().where('channel_id', '=', channelId).orderBy('id').execute();
      return rows.map(toRule);
    },

    async all() {
      const rows = await db.selectFrom('rules').selectAll().orderBy('id').execute();
      return rows.map(toRule);
    },

    async remove(id) {
      return db.transaction().execute(async (trx) => {
        const result = await trx.deleteFrom('rules').where('id', '=', id).executeTakeFirst();
        if (result.numDeletedRows === 0n) return false;
        await bumpRulesVersion(trx);
        return true;
      });
    },

    async version() {
      const [row] = (await versionRow({ key: RULES_VERSION_KEY })).rows;
      return row ? Number(row.value) : 0;
    },
  };
}
