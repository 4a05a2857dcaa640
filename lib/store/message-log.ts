// The message log: what Parley saw in registered channels of platforms without a history API (Telegram, IRC),
// kept for a while for transcripts only.
//
// Order is (sent_at, message id), the id compared by length first and then byte by byte: Telegram's ids are
// increasing integers and its times have one-second precision, so messages of one second must sort as
// numbers ("9" before "10"), not as text. The same order drives ORDER BY and the paging cursor.
import type { ExpressionBuilder, Selectable } from 'kysely';
import type { ChatMessage } from '../transcript/types.js';
import type { MessageLogStore } from '../seams/store.js';
import { toDate, type Database, type Db, type MessageLogTable } from './schema.js';

type Row = Selectable<MessageLogTable>;

function parseAttachments(text: string): ChatMessage['attachments'] {
  const value: unknown = JSON.parse(text);
  if (!Array.isArray(value)) return [];
  return value.filter(
    (a): a is { name: string; url: string } => a !== null && typeof a === 'object' && typeof (a as { name?: unknown }).name === 'string' && typeof (a as { url?: unknown }).url === 'string',
  ).map(({ name, url }) => ({ name, url }));
}

function toMessage(row: Row): ChatMessage {
  return {
    id: row.message_id,
    author: { id: row.author_id, username: row.author_username, displayName: row.author_display_name, isBot: row.author_is_bot === 1 },
    sentAt: toDate(row.sent_at),
    markdown: row.markdown,
    attachments: parseAttachments(row.attachments),
  };
}

const idLength = (eb: ExpressionBuilder<Database, 'message_log'>) => eb.fn<number>('length', ['message_id']);

export function createMessageLogStore(db: Db): MessageLogStore {
  const channelRows = (platform: string, channelExternalId: string) =>
    db.selectFrom('message_log').selectAll().where('platform', '=', platform).where('channel_external_id', '=', channelExternalId);

  return {
    async append(platform, channelExternalId, message) {
      await db
        .insertInto('message_log')
        .values({
          platform,
          channel_external_id: channelExternalId,
          message_id: message.id,
          author_id: message.author.id,
          author_username: message.author.username,
          author_display_name: message.author.displayName,
          author_is_bot: message.author.isBot ? 1 : 0,
          sent_at: message.sentAt.toISOString(),
          markdown: message.markdown,
          attachments: JSON.stringify(message.attachments.map(({ name, url }) => ({ name, url }))),
        })
        // An edit arrives as the same message again: its text and files change, its place in time does not.
        .onConflict((oc) =>
          oc.columns(['platform', 'channel_external_id', 'message_id']).doUpdateSet((eb) => ({
            markdown: eb.ref('excluded.markdown'),
            attachments: eb.ref('excluded.attachments'),
          })),
        )
        .execute();
    },

    async latest(platform, channelExternalId, count, before) {
      // SQLite reads a negative LIMIT as "no limit".
      if (!(count > 0)) return [];
      const rows = await channelRows(platform, channelExternalId)
        .where('sent_at', '<', before.toISOString())
        .orderBy('sent_at', 'desc')
        .orderBy(idLength, 'desc')
        .orderBy('message_id', 'desc')
        .limit(Math.floor(count))
        .execute();
      return rows.reverse().map(toMessage);
    },

    async between(platform, channelExternalId, from, to, page) {
      if (!(page.limit > 0)) return [];
      let query = channelRows(platform, channelExternalId).where('sent_at', '>=', from.toISOString()).where('sent_at', '<=', to.toISOString());
      const after = page.after;
      if (after) {
        const at = after.sentAt.toISOString();
        // SQL length() counts characters (code points), not UTF-16 units.
        const afterLength = [...after.id].length;
        query = query.where((eb) =>
          eb.or([
            eb('sent_at', '>', at),
            eb.and([
              eb('sent_at', '=', at),
              eb.or([eb(idLength(eb), '>', afterLength), eb.and([eb(idLength(eb), '=', afterLength), eb('message_id', '>', after.id)])]),
            ]),
          ]),
        );
      }
      const rows = await query.orderBy('sent_at').orderBy(idLength).orderBy('message_id').limit(Math.floor(page.limit)).execute();
      return rows.map(toMessage);
    },

    async prune(olderThan) {
      const result = await db.deleteFrom('message_log').where('sent_at', '<', olderThan.toISOString()).executeTakeFirst();
      return Number(result.numDeletedRows);
    },
  };
}
