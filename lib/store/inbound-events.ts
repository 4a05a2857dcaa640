// Inbound events: forum event ids already handled, so that a replayed webhook is dropped.
import type { InboundEventStore } from '../seams/store.js';
import { prepared } from './prepared.js';
import { now, type Db } from './schema.js';

export function createInboundEventStore(db: Db): InboundEventStore {
  // Once per webhook. Without RETURNING, which costs SQLite several times the insert: the count of rows says it.
  const insert = prepared(db, ['source', 'eventId', 'at'], (p: { source: string; eventId: string; at: string }) =>
    db
      .insertInto('inbound_events')
      .values({ source: p.source, event_id: p.eventId, received_at: p.at })
      .onConflict((oc) => oc.columns(['source', 'event_id']).doNothing()),
  );
  const find = prepared(db, ['source', 'eventId'], (p: { source: string; eventId: string }) =>
    db.selectFrom('inbound_events').select('event_id').where('source', '=', p.source).where('event_id', '=', p.eventId),
  );
  return {
    async seen(source, eventId) {
      return (await find({ source, eventId })).rows.length > 0;
    },

    async record(source, eventId) {
      return (await insert({ source, eventId, at: now() })).numAffectedRows === 1n;
    },

    async prune(olderThan) {
      const result = await db.deleteFrom('inbound_events').where('received_at', '<', olderThan.toISOString()).executeTakeFirst();
      return Number(result.numDeletedRows);
    },
  };
}
