// Queries of the delivery path built and compiled once, then run with each call's values: for these small indexed
// statements, Kysely's building and compiling take longer than the database takes to run them.
import { createQueryId, type Compilable, type CompiledQuery, type QueryResult } from 'kysely';
import type { Db } from './schema.js';

/** A value that cannot come from Parley or a user, standing for a parameter while the query is compiled. */
const MARK = '\u0000parley-parameter:';

type Slot = { name: string } | { value: unknown };

/**
 * A query compiled on first use and run again with other values. `build` is handed a stand-in for each parameter
 * named in `names`, to put where a value goes (a comparison, an inserted value) and nowhere else: the stand-ins are
 * replaced by the call's values in the compiled parameters, whatever the dialect's placeholders.
 */
export function prepared<P extends Record<string, unknown>, R>(
  db: Db,
  names: readonly (keyof P & string)[],
  build: (params: P) => Compilable<R>,
): (values: P) => Promise<QueryResult<R>> {
  let compiled: { query: CompiledQuery<R>; slots: Slot[] } | null = null;
  const compile = () => {
    const query = build(Object.fromEntries(names.map((n) => [n, `${MARK}${n}`])) as P).compile();
    const slots = query.parameters.map((v): Slot => (typeof v === 'string' && v.startsWith(MARK) ? { name: v.slice(MARK.length) } : { value: v }));
    const used = new Set(slots.flatMap((s) => ('name' in s ? [s.name] : [])));
    const unused = names.filter((n) => !used.has(n));
    if (unused.length > 0) throw new Error(`prepared query: parameter ${unused.join(', ')} is not a value of the query (${query.sql})`);
    return { query, slots };
  };
  return async (values) => {
    compiled ??= compile();
    const { query, slots } = compiled;
    const parameters = slots.map((s) => ('name' in s ? values[s.name] : s.value));
    return db.executeQuery<R>({ query: query.query, queryId: createQueryId(), sql: query.sql, parameters });
  };
}
