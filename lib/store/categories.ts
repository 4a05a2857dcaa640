// Categories: a cache of the forum's category list, replaced whole after each fetch.
import type { Insertable, Selectable } from 'kysely';
import type { CategoryRecord, CategoryStore } from '../seams/store.js';
import type { CategoriesTable, Db } from './schema.js';

/** Rows per insert statement: well under both databases' limits on bound parameters. */
const CHUNK = 500;

function toRow(c: CategoryRecord): Insertable<CategoriesTable> {
  return { id: c.id, slug: c.slug, name: c.name, parent_id: c.parentId, color: c.color, restricted: c.restricted ? 1 : 0 };
}

function toCategory(row: Selectable<CategoriesTable>): CategoryRecord {
  return { id: row.id, slug: row.slug, name: row.name, parentId: row.parent_id, color: row.color, restricted: row.restricted !== 0 };
}

export function createCategoryStore(db: Db): CategoryStore {
  return {
    async replaceAll(categories) {
      await db.transaction().execute(async (trx) => {
        await trx.deleteFrom('categories').execute();
        for (let i = 0; i < categories.length; i += CHUNK) {
          await trx.insertInto('categories').values(categories.slice(i, i + CHUNK).map(toRow)).execute();
        }
      });
    },

    async upsert(category) {
      await db
        .insertInto('categories')
        .values(toRow(category))
        .onConflict((oc) =>
          oc.column('id').doUpdateSet((eb) => ({
            slug: eb.ref('excluded.slug'),
            name: eb.ref('excluded.name'),
            parent_id: eb.ref('excluded.parent_id'),
            color: eb.ref('excluded.color'),
            restricted: eb.ref('excluded.restricted'),
          })),
        )
        .execute();
    },

    async remove(id) {
      await db.deleteFrom('categories').where('id', '=', id).execute();
    },

    async list() {
      return (await db.selectFrom('categories').selectAll().orderBy('id').execute()).map(toCategory);
    },
  };
}
