// Identities: who a chat user is at each source (a Discourse or GitLab username), as set by admins.
import type { Selectable } from 'kysely';
import { isSourceName } from '../rules.js';
import type { IdentityRecord, IdentityStore } from '../seams/store.js';
import { now, toDate, type Db, type IdentitiesTable } from './schema.js';

function toIdentity(row: Selectable<IdentitiesTable>): IdentityRecord {
  if (!isSourceName(row.source)) throw new Error(`identities: unknown source "${row.source}" in the database`);
  return {
    platform: row.platform,
    userId: row.user_id,
    source: row.source,
    username: row.username,
    createdBy: row.created_by,
    createdAt: toDate(row.created_at),
  };
}

export function createIdentityStore(db: Db): IdentityStore {
  return {
    async set({ platform, userId, source, username, createdBy }) {
      // A replaced mapping is a new decision: who made it and when are replaced too.
      await db
        .insertInto('identities')
        .values({ platform, user_id: userId, source, username, created_by: createdBy, created_at: now() })
        .onConflict((oc) =>
          oc.columns(['platform', 'user_id', 'source']).doUpdateSet((eb) => ({
            username: eb.ref('excluded.username'),
            created_by: eb.ref('excluded.created_by'),
            created_at: eb.ref('excluded.created_at'),
          })),
        )
        .execute();
    },

    async get(platform, userId, source) {
      const row = await db.selectFrom('identities').selectAll().where('platform', '=', platform).where('user_id', '=', userId).where('source', '=', source).executeTakeFirst();
      return row && toIdentity(row);
    },

    async list(filter = {}) {
      let query = db.selectFrom('identities').selectAll().orderBy('platform').orderBy('user_id').orderBy('source');
      if (filter.platform) query = query.where('platform', '=', filter.platform);
      if (filter.source) query = query.where('source', '=', filter.source);
      return (await query.execute()).map(toIdentity);
    },

    async remove(platform, userId, source) {
      const result = await db.deleteFrom('identities').where('platform', '=', platform).where('user_id', '=', userId).where('source', '=', source).executeTakeFirst();
      return result.numDeletedRows > 0n;
    },
  };
}
