// Channels: the rooms Parley talks to. Adding or removing one bumps the rules version (matchers reload).
import type { Updateable } from 'kysely';
import type { ChannelRecord, ChannelSettings, ChannelStatus, ChannelStore, PlatformName } from '../seams/store.js';
import { bumpRulesVersion } from './rules.js';
import { prepared } from './prepared.js';
import { now, toDate, type ChannelRow, type ChannelsTable, type Db } from './schema.js';

function parseSettings(text: string): ChannelSettings {
  const value: unknown = JSON.parse(text);
  return value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as ChannelSettings) : {};
}

function toChannel(row: ChannelRow): ChannelRecord {
  return {
    id: row.id,
    platform: row.platform,
    externalId: row.external_id,
    name: row.name,
    status: row.status as ChannelStatus,
    lastError:
      row.last_error_code !== null && row.last_error_at !== null
        ? { code: row.last_error_code, message: row.last_error_message ?? '', at: toDate(row.last_error_at), raw: row.last_error_raw }
        : null,
    addedBy: row.added_by,
    settings: parseSettings(row.settings),
    createdAt: toDate(row.created_at),
  };
}

export function createChannelStore(db: Db): ChannelStore {
  // Once per delivery.
  const byId = prepared(db, ['id'], (p: { id: number }) => db.selectFrom('channels').selectAll().where('id', '=', p.id));
  const find = async (platform: PlatformName, externalId: string) => {
    const row = await db.selectFrom('channels').selectAll().where('platform', '=', platform).where('external_id', '=', externalId).executeTakeFirst();
    return row && toChannel(row);
  };

  return {
    async ensure(input) {
      // Most calls find the channel: answer those with one read and no transaction.
      const existing = await find(input.platform, input.externalId);
      if (existing) return { channel: existing, created: false };

      const result = await db.transaction().execute(async (trx) => {
        const inserted = await trx
          .insertInto('channels')
          .values({
            platform: input.platform,
            external_id: input.externalId,
            name: input.name,
            status: input.status,
            settings: JSON.stringify(input.settings ?? {}),
            added_by: input.addedBy,
            created_at: now(),
          })
          .onConflict((oc) => oc.columns(['platform', 'external_id']).doNothing())
          .returningAll()
          .executeTakeFirst();
        if (inserted) await bumpRulesVersion(trx);
        return inserted;
      });
      if (result) return { channel: toChannel(result), created: true };
      // Another caller won the race; its row is committed by now (the conflict waited for it).
      const winner = await find(input.platform, input.externalId);
      if (!winner) throw new Error(`channels: ${input.platform} channel neither inserted nor found`);
      return { channel: winner, created: false };
    },

    async get(id) {
      const [row] = (await byId({ id })).rows;
      return row && toChannel(row);
    },

    find,

    async list(filter = {}) {
      let query = db.selectFrom('channels').selectAll().orderBy('id');
      if (filter.platform) query = query.where('platform', '=', filter.platform);
      return (await query.execute()).map(toChannel);
    },

    async update(id, patch) {
      const set: Updateable<ChannelsTable> = {};
      if (patch.name !== undefined) set.name = patch.name;
      if (patch.status !== undefined) set.status = patch.status;
      if (patch.settings !== undefined) set.settings = JSON.stringify(patch.settings);
      if (Object.keys(set).length === 0) return;
      await db.updateTable('channels').set(set).where('id', '=', id).execute();
    },

    async setError(id, error) {
      await db
        .updateTable('channels')
        // The raw answer belongs to this error: one without any clears the last one's.
        .set({ status: 'error', last_error_code: error.code, last_error_message: error.message, last_error_raw: error.raw ?? null, last_error_at: now() })
        .where('id', '=', id)
        .execute();
    },

    async clearError(id) {
      await db.updateTable('channels').set({ status: 'active' }).where('id', '=', id).where('status', '=', 'error').execute();
    },

    async remove(id) {
      return db.transaction().execute(async (trx) => {
        // Rules and deliveries go by ON DELETE CASCADE.
        const result = await trx.deleteFrom('channels').where('id', '=', id).executeTakeFirst();
        if (result.numDeletedRows === 0n) return false;
        await bumpRulesVersion(trx);
        return true;
      });
    },
  };
}
