// Deliveries: one row per (event, channel). The delivery path reads and writes them by job id, one row at a time;
// the admin page lists them a page at a time and counts them per hour.
import { sql, type ExpressionBuilder, type Updateable } from 'kysely';
import type { DeliveryFilter, DeliveryHour, DeliveryRecord, DeliveryStatus, DeliveryStore } from '../seams/store.js';
import type { Dialect } from './migrations.js';
import { prepared } from './prepared.js';
import { now, toCount, toDate, type Database, type DeliveriesTable, type Db, type DeliveryRow } from './schema.js';

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

/** `text` as a LIKE pattern matching it anywhere, its own `%`, `_` and `!` taken literally (`!` escapes). */
function containsPattern(text: string): string {
  return `%${text.toLowerCase().replace(/[!%_]/g, (c) => `!${c}`)}%`;
}

/**
 * The filter as one condition. lower() on both sides rather than ILIKE (PostgreSQL only) or LIKE's own folding
 * (SQLite only): the same SQL on both, though SQLite's lower() folds ASCII letters only.
 */
function matching(filter: DeliveryFilter) {
  return (eb: ExpressionBuilder<Database, 'deliveries'>) => {
    const conditions = [];
    if (filter.channelId !== undefined) conditions.push(eb('deliveries.channel_id', '=', filter.channelId));
    if (filter.platform !== undefined) {
      // A semi-join: the channels table is small, and the page needs no column of it.
      conditions.push(eb('deliveries.channel_id', 'in', eb.selectFrom('channels').select('channels.id').where('channels.platform', '=', filter.platform)));
    }
    if (filter.status !== undefined) conditions.push(eb('deliveries.status', '=', filter.status));
    if (filter.text) {
      const pattern = containsPattern(filter.text);
      const like = (column: 'event_key' | 'subject' | 'last_error') => sql<boolean>`lower(${eb.ref(`deliveries.${column}`)}) like ${pattern} escape '!'`;
      conditions.push(eb.or([like('event_key'), like('subject'), like('last_error')]));
    }
    return eb.and(conditions);
  };
}

/** The first 13 characters of the stored ISO text (`2026-03-01T10`) are its UTC hour, on either database. */
const HOUR_OF_CREATED_AT = sql<string>`substr(deliveries.created_at, 1, 13)`;

/** The columns a delivery's update may set, in a fixed order (one prepared statement per combination used). */
const UPDATABLE = ['status', 'attempts', 'message_ref', 'last_error'] as const;
type UpdateValues = { jobId: string; updated_at: string; status?: string; attempts?: number; message_ref?: string | null; last_error?: string | null };

type NewDelivery = { job_id: string; event_key: string; channel_id: number; subject: string; thread: string; opens: number; at: string };

export function createDeliveryStore(db: Db, dialect: Dialect): DeliveryStore {
  // The queries every delivery makes: a row when the event comes, read and updated when it is sent.
  const insertQuery = (p: NewDelivery) =>
    db
      .insertInto('deliveries')
      .values({ job_id: p.job_id, event_key: p.event_key, channel_id: p.channel_id, subject: p.subject, thread: p.thread, opens: p.opens, status: 'queued', attempts: 0, created_at: p.at, updated_at: p.at })
      // No conflict target: either unique key (event+channel, or job id) means "already there".
      .onConflict((oc) => oc.doNothing());
  const insertNames = ['job_id', 'event_key', 'channel_id', 'subject', 'thread', 'opens', 'at'] as const;
  const insertSqlite = prepared(db, insertNames, (p: NewDelivery) => insertQuery(p));
  const insertPostgres = prepared(db, insertNames, (p: NewDelivery) => insertQuery(p).returning('id'));
  /** The new row's id, null when it was there already: SQLite says it without RETURNING (which costs it several times the insert), PostgreSQL with it. */
  const insert = async (values: NewDelivery): Promise<number | null> => {
    if (dialect === 'sqlite') {
      const result = await insertSqlite(values);
      return result.numAffectedRows === 1n ? Number(result.insertId) : null;
    }
    return (await insertPostgres(values)).rows[0]?.id ?? null;
  };
  const byJobId = prepared(db, ['jobId'], (p: { jobId: string }) => db.selectFrom('deliveries').selectAll().where('job_id', '=', p.jobId));
  const updates = new Map<string, (values: UpdateValues) => Promise<unknown>>();
  const updateOf = (columns: readonly (typeof UPDATABLE)[number][]) => {
    const key = columns.join(',');
    let update = updates.get(key);
    if (!update) {
      update = prepared(db, ['jobId', 'updated_at', ...columns], (p: UpdateValues) => {
        const set: Updateable<DeliveriesTable> = { updated_at: p.updated_at };
        for (const c of columns) Object.assign(set, { [c]: p[c] });
        return db.updateTable('deliveries').set(set).where('job_id', '=', p.jobId);
      });
      updates.set(key, update);
    }
    return update;
  };
  const rootOf = prepared(db, ['channelId', 'thread'], (p: { channelId: number; thread: string }) =>
    db
      .selectFrom('deliveries')
      .select('message_ref')
      .where('channel_id', '=', p.channelId)
      .where('thread', '=', p.thread)
      .where('opens', '=', 1)
      .where('status', '=', 'delivered')
      .where('message_ref', 'is not', null)
      .orderBy('id')
      .limit(1),
  );

  const getByJobId = async (jobId: string) => {
    const [row] = (await byJobId({ jobId })).rows;
    return row && toDelivery(row);
  };

  return {
    async create(input) {
      const at = input.createdAt?.toISOString() ?? now();
      const row = { job_id: input.jobId, event_key: input.eventKey, channel_id: input.channelId, subject: input.subject, thread: input.thread, opens: input.opens ? 1 : 0 };
      const id = await insert({ ...row, at });
      if (id !== null) {
        // Field by field: built as `{ ...row, id, … }`, this row made create() cost twice the CPU (measured, 16 at once).
        const inserted: DeliveryRow = { id, job_id: row.job_id, event_key: row.event_key, channel_id: row.channel_id, subject: row.subject, thread: row.thread, opens: row.opens, status: 'queued', attempts: 0, message_ref: null, last_error: null, created_at: at, updated_at: at };
        return { delivery: toDelivery(inserted), created: true };
      }

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
      const values: UpdateValues = { jobId, updated_at: now(), status: patch.status, attempts: patch.attempts, message_ref: patch.messageRef, last_error: patch.lastError };
      await updateOf(UPDATABLE.filter((c) => values[c] !== undefined))(values);
    },

    async findBySubject(subject, status) {
      let query = db.selectFrom('deliveries').selectAll().where('subject', '=', subject).orderBy('id');
      if (status) query = query.where('status', '=', status);
      return (await query.execute()).map(toDelivery);
    },

    async threadRoot(channelId, thread) {
      const [row] = (await rootOf({ channelId, thread })).rows;
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

    async search(filter, page) {
      const where = matching(filter);
      const [rows, count] = await Promise.all([
        db
          .selectFrom('deliveries')
          .selectAll('deliveries')
          .where(where)
          .orderBy('deliveries.created_at', 'desc')
          .orderBy('deliveries.id', 'desc')
          .limit(page.limit)
          .offset(page.offset)
          .execute(),
        db
          .selectFrom('deliveries')
          .select((eb) => eb.fn.countAll<string | number>().as('n'))
          .where(where)
          .executeTakeFirstOrThrow(),
      ]);
      return { deliveries: rows.map(toDelivery), total: toCount(count.n) };
    },

    async perHour(since) {
      // Grouped in the database by the text of the hour, which both dialects cut the same way. No condition on
      // status: the time range alone leads the planner to deliveries_created_at_idx (not the status index).
      const rows = await db
        .selectFrom('deliveries')
        .innerJoin('channels', 'channels.id', 'deliveries.channel_id')
        .select([
          HOUR_OF_CREATED_AT.as('hour'),
          'channels.platform',
          sql<string | number>`sum(case when deliveries.status = 'delivered' then 1 else 0 end)`.as('delivered'),
          sql<string | number>`sum(case when deliveries.status = 'failed' then 1 else 0 end)`.as('failed'),
        ])
        .where('deliveries.created_at', '>=', since.toISOString())
        .groupBy([HOUR_OF_CREATED_AT, 'channels.platform'])
        .execute();
      const hours: DeliveryHour[] = rows
        .map((row) => ({ hour: toDate(`${row.hour}:00:00.000Z`), platform: row.platform, delivered: toCount(row.delivered), failed: toCount(row.failed) }))
        .filter((h) => h.delivered + h.failed > 0);
      // Sorted here: PostgreSQL's collation may order text differently from SQLite's bytes.
      return hours.sort((a, b) => a.hour.getTime() - b.hour.getTime() || (a.platform < b.platform ? -1 : a.platform > b.platform ? 1 : 0));
    },
  };
}
