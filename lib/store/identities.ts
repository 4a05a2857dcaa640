// Identities: which forum user a chat user is, as set by admins.
import type { Selectable } from 'kysely';
import type { IdentityRecord, IdentityStore } from '../seams/store.js';
import { now, toDate, type Db, type IdentitiesTable } from './schema.js';

function toIdentity(row: Selectable<IdentitiesTable>): IdentityRecord {
  return {
    platform: row.platform,
    userId: row.user_id,
    forumUsername: row.forum_username,
    createdBy: row.created_by,
    createdAt: toDate(row.created_at),
  };
}

export function createIdentityStore(db: Db): IdentityStore {
  return {
    async set({ platform, userId, forumUsername, createdBy }) {
      // A replaced mapping is a new decision: who made it and when are replaced too.
      await db
        .insertInto('identities')
        .values({ platform, user_id: userId, forum_username: forumUsername, created_by: createdBy, created_at: now() })
        .onConflict((oc) =>
          oc.columns(['platform', 'user_id']).doUpdateSet((eb) => ({
            forum_username: eb.ref('excluded.forum_username'),
            created_by: eb.ref('excluded.created_by'),
            created_at: eb.ref('excluded.created_at'),
          })),
        )
        .execute();
    },

    async get(platform, userId) {
      const row = await db.selectFrom('identities').selectAll().where('platform', '=', platform).where('user_id', '=', userId).executeTakeFirst();
      return row && toIdentity(row);
    },

    async list(platform) {
      let query = db.selectFrom('identities').selectAll().orderBy('platform').orderBy('user_id');
      if (platform) query = query.where('platform', '=', platform);
      return (await query.execute()).map(toIdentity);
    },

    async remove(platform, userId) {
      const result = await db.deleteFrom('identities').where('platform', '=', platform).where('user_id', '=', userId).executeTakeFirst();
      return result.numDeletedRows > 0n;
    },
  };
}
