// Topics: a cache of the forum's topics (title, tags, category), fed by topic webhooks,
// because post webhooks carry no tags.
import type { TopicRecord, TopicStore } from '../seams/store.js';
import { prepared } from './prepared.js';
import { now, toDate, type Db } from './schema.js';

function parseTags(text: string): string[] {
  const value: unknown = JSON.parse(text);
  return Array.isArray(value) ? value.filter((t): t is string => typeof t === 'string') : [];
}

export function createTopicStore(db: Db): TopicStore {
  // Once per post webhook (its tags).
  const byId = prepared(db, ['topicId'], (p: { topicId: number }) => db.selectFrom('topics').selectAll().where('topic_id', '=', p.topicId));
  return {
    async upsert(topic) {
      await db
        .insertInto('topics')
        .values({ topic_id: topic.topicId, title: topic.title, tags: JSON.stringify(topic.tags), category_id: topic.categoryId, updated_at: now() })
        .onConflict((oc) =>
          oc.column('topic_id').doUpdateSet((eb) => ({
            title: eb.ref('excluded.title'),
            tags: eb.ref('excluded.tags'),
            category_id: eb.ref('excluded.category_id'),
            updated_at: eb.ref('excluded.updated_at'),
          })),
        )
        .execute();
    },

    async get(topicId) {
      const [row] = (await byId({ topicId })).rows;
      if (!row) return undefined;
      return { topicId: row.topic_id, title: row.title, tags: parseTags(row.tags), categoryId: row.category_id, updatedAt: toDate(row.updated_at) } satisfies TopicRecord;
    },

    async remove(topicId) {
      await db.deleteFrom('topics').where('topic_id', '=', topicId).execute();
    },
  };
}
