// Transcripts: one row per /topic request (its job id), what came of it, and, for a preview too long for a
// URL, the page that holds it until it expires.
import type { Selectable, Updateable } from 'kysely';
import type { TranscriptRecord, TranscriptStatus, TranscriptStore } from '../seams/store.js';
import { now, toCount, toDate, type Db, type TranscriptsTable } from './schema.js';

function toTranscript(row: Selectable<TranscriptsTable>): TranscriptRecord {
  return {
    id: row.id,
    channelId: row.channel_id,
    requestedBy: row.requested_by,
    forumUsername: row.forum_username,
    status: row.status as TranscriptStatus,
    title: row.title,
    topicUrl: row.topic_url,
    secret: row.secret,
    markdown: row.markdown,
    error: row.error,
    expiresAt: row.expires_at === null ? null : toDate(row.expires_at),
    createdAt: toDate(row.created_at),
  };
}

export function createTranscriptStore(db: Db): TranscriptStore {
  const get = async (id: string) => {
    const row = await db.selectFrom('transcripts').selectAll().where('id', '=', id).executeTakeFirst();
    return row && toTranscript(row);
  };

  return {
    async create(input) {
      const inserted = await db
        .insertInto('transcripts')
        .values({
          id: input.id,
          channel_id: input.channelId,
          requested_by: input.requestedBy,
          forum_username: input.forumUsername,
          status: 'queued',
          created_at: now(),
        })
        .onConflict((oc) => oc.column('id').doNothing())
        .returningAll()
        .executeTakeFirst();
      if (inserted) return { record: toTranscript(inserted), created: true };
      // A retried job: the first run's row is committed by now (the conflict waited for it).
      const existing = await get(input.id);
      if (!existing) throw new Error(`transcripts: ${input.id} neither inserted nor found`);
      return { record: existing, created: false };
    },

    get,

    async bySecret(secret, at) {
      // A page without an expiry time does not expire; the job that makes a preview page always sets one.
      const row = await db
        .selectFrom('transcripts')
        .selectAll()
        .where('secret', '=', secret)
        .where((eb) => eb.or([eb('expires_at', 'is', null), eb('expires_at', '>', at.toISOString())]))
        .executeTakeFirst();
      return row && toTranscript(row);
    },

    async update(id, patch) {
      const set: Updateable<TranscriptsTable> = {};
      if (patch.status !== undefined) set.status = patch.status;
      if (patch.title !== undefined) set.title = patch.title;
      if (patch.topicUrl !== undefined) set.topic_url = patch.topicUrl;
      if (patch.secret !== undefined) set.secret = patch.secret;
      if (patch.markdown !== undefined) set.markdown = patch.markdown;
      if (patch.error !== undefined) set.error = patch.error;
      if (patch.expiresAt !== undefined) set.expires_at = patch.expiresAt === null ? null : patch.expiresAt.toISOString();
      if (Object.keys(set).length === 0) return;
      await db.updateTable('transcripts').set(set).where('id', '=', id).execute();
    },

    async pruneExpired(at) {
      // The record of what was asked and made stays; the page (its text and its key) goes.
      const result = await db
        .updateTable('transcripts')
        .set({ secret: null, markdown: null })
        .where('expires_at', '<=', at.toISOString())
        .where((eb) => eb.or([eb('secret', 'is not', null), eb('markdown', 'is not', null)]))
        .executeTakeFirst();
      return Number(result.numUpdatedRows);
    },

    async list(page) {
      const [rows, count] = await Promise.all([
        db.selectFrom('transcripts').selectAll().orderBy('created_at', 'desc').orderBy('id', 'desc').limit(page.limit).offset(page.offset).execute(),
        db.selectFrom('transcripts').select((eb) => eb.fn.countAll<string | number>().as('n')).executeTakeFirstOrThrow(),
      ]);
      return { transcripts: rows.map(toTranscript), total: toCount(count.n) };
    },
  };
}
