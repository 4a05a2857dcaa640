// Platform state: what an adapter keeps between runs, by key (lib/seams/store.ts, PlatformStateStore).
import type { PlatformStateStore } from '../seams/store.js';
import { sql } from 'kysely';
import { now, type Db } from './schema.js';

export function createPlatformStateStore(db: Db): PlatformStateStore {
  return {
    async get(platform, key) {
      const row = await db.selectFrom('platform_state').select('value').where('platform', '=', platform).where('key', '=', key).executeTakeFirst();
      return row?.value;
    },

    async set(platform, key, value) {
      await db
        .insertInto('platform_state')
        .values({ platform, key, value, updated_at: now() })
        .onConflict((oc) => oc.columns(['platform', 'key']).doUpdateSet({ value, updated_at: now() }))
        .execute();
    },

    async delete(platform, key) {
      const result = await db.deleteFrom('platform_state').where('platform', '=', platform).where('key', '=', key).executeTakeFirst();
      return Number(result.numDeletedRows) > 0;
    },

    async list(platform, prefix) {
      const rows = await db
        .selectFrom('platform_state')
        .select(['key', 'value'])
        .where('platform', '=', platform)
        // Not LIKE: SQLite's ignores case. substr counts characters on both databases, as the spread does.
        .where(sql<string>`substr(key, 1, ${[...prefix].length})`, '=', prefix)
        .orderBy('key')
        .execute();
      return rows;
    },
  };
}
