// Deliveries: one row per (event, channel). The delivery path reads and writes them by job id, one row at a time.
import type { Updateable } from 'kysely';
import type { DeliveryRecord, DeliveryStatus, DeliveryStore } from '../seams/store.js';
import { now, toCount, toDate, type DeliveriesTable, type Db, type DeliveryRow } from './schema.js';

const STATUSES: readonly DeliveryStatus[] = ['queued', 'delivered', 'failed', 'cancelled', 'withdrawn'];

function toDelivery(row: DeliveryRow): DeliveryRecord {
  return {
    id: row.id,
    jobId: row.job_id,
    eventKey: row.event_key,
    channelId: row.channel_id,
    subject: row.subject,
    thread: row.thread,
    opens: row.opens === 1,
    status: row.status as DeliveryStatus,
    attempts: row.attempts,
    messageRef: row.message_ref,
    lastError: row.last_error,
    createdAt: toDate(row.created_at),
    updatedAt: toDate(row.updated_at),
  };
}

export function createDeliveryStore(db: Db): DeliveryStore {
  const getByJobId = async (jobId: string) => {
    const row = await db.selectFrom('deliveries').selectAll().where('job_id', '=', jobId).executeTakeFirst();
    return row && toDelivery(row);
  };

  return {
    async create(input) {
      const at = now();
      // No conflict target: either unique key (event+channel, or job id) means "already there".
      const inserted = await db
        .insertInto('deliveries')
        .values({
          job_id: input.jobId,
          event_key: input.eventKey,
          channel_id: input.channelId,
          subject: input.subject,
          thread: input.thread,
          opens: input.opens ? 1 : 0,
          status: 'queued',
          attempts: 0,
          created_at: at,
          updated_at: at,
        })
        .onConflict((oc) => oc.doNothing())
        .returningAll()
        .executeTakeFirst();
      if (inserted) return { delivery: toDelivery(inserted), created: true };

      const existing =
        (await db
          .selectFrom('deliveries')
          .selectAll()
          .where('event_key', '=', input.eventKey)
          .where('channel_id', '=', input.channelId)
          .executeTakeFirst()) ?? (await db.selectFrom('deliveries').selectAll().where('job_id', '=', input.jobId).executeTakeFirst());
      if (!existing) throw new Error(`deliveries: ${input.jobId} neither inserted nor found`);
      return { delivery: toDelivery(existing), created: false };
    },

    getByJobId,

    async update(jobId, patch) {
      const set: Updateable<DeliveriesTable> = { updated_at: now() };
      if (patch.status !== undefined) set.status = patch.status;
      if (patch.attempts !== undefined) set.attempts = patch.attempts;
      if (patch.messageRef !== undefined) set.message_ref = patch.messageRef;
      if (patch.lastError !== undefined) set.last_error = patch.lastError;
      await db.updateTable('deliveries').set(set).where('job_id', '=', jobId).execute();
    },

    async findBySubject(subject, status) {
      let query = db.selectFrom('deliveries').selectAll().where('subject', '=', subject).orderBy('id');
      if (status) query = query.where('status', '=', status);
      return (await query.execute()).map(toDelivery);
    },

    async threadRoot(channelId, thread) {
      const row = await db
        .selectFrom('deliveries')
        .select('message_ref')
        .where('channel_id', '=', channelId)
        .where('thread', '=', thread)
        .where('opens', '=', 1)
        .where('status', '=', 'delivered')
        .where('message_ref', 'is not', null)
        .orderBy('id')
        .limit(1)
        .executeTakeFirst();
      return row?.message_ref ?? null;
    },

    async countByStatus() {
      const rows = await db
        .selectFrom('deliveries')
        .select((eb) => ['status', eb.fn.countAll<string | number>().as('n')])
        .groupBy('status')
        .execute();
      const counts = Object.fromEntries(STATUSES.map((s) => [s, 0])) as Record<DeliveryStatus, number>;
      for (const row of rows) {
        if ((STATUSES as readonly string[]).includes(row.status)) counts[row.status as DeliveryStatus] = toCount(row.n);
      }
      return counts;
    },
  };
}
