// Inbound events: forum event ids already seen, so that a replayed webhook is dropped.
import type { InboundEventStore } from '../seams/store.js';
import { now, type Db } from './schema.js';

export function createInboundEventStore(db: Db): InboundEventStore {
  return {
    async record(source, eventId) {
      const inserted = await db
        .insertInto('inbound_events')
        .values({ source, event_id: eventId, received_at: now() })
        .onConflict((oc) => oc.columns(['source', 'event_id']).doNothing())
        .returning('event_id')
        .executeTakeFirst();
      return inserted !== undefined;
    },

    async prune(olderThan) {
      const result = await db.deleteFrom('inbound_events').where('received_at', '<', olderThan.toISOString()).executeTakeFirst();
      return Number(result.numDeletedRows);
    },
  };
}
