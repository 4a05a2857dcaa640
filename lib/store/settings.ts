// Settings admins change while Parley runs, by key, as JSON (lib/seams/store.ts, SettingsStore).
import type { AdminSettings, SettingsStore } from '../seams/store.js';
import { now, toDate, type Db } from './schema.js';

export function createSettingsStore(db: Db): SettingsStore {
  return {
    async get<K extends keyof AdminSettings>(key: K) {
      const row = await db.selectFrom('settings').selectAll().where('key', '=', key).executeTakeFirst();
      // Written by set() alone, from the typed value.
      return row && { value: JSON.parse(row.value) as AdminSettings[K], updatedBy: row.updated_by, updatedAt: toDate(row.updated_at) };
    },

    async set(key, value, updatedBy) {
      const json = JSON.stringify(value);
      const at = now();
      await db
        .insertInto('settings')
        .values({ key, value: json, updated_by: updatedBy, updated_at: at })
        .onConflict((oc) => oc.column('key').doUpdateSet({ value: json, updated_by: updatedBy, updated_at: at }))
        .execute();
    },

    async delete(key) {
      const result = await db.deleteFrom('settings').where('key', '=', key).executeTakeFirst();
      return Number(result.numDeletedRows) > 0;
    },
  };
}
