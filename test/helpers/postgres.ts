// A PostgreSQL database of a test's own: a fresh schema on the machine's server (PEERS.md), dropped after.
import { randomBytes } from 'node:crypto';
import pg from 'pg';

export const POSTGRES_URL = process.env.PARLEY_TEST_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

export interface TestSchema {
  /** DATABASE_URL for Parley: the server's URL with the schema as its search_path. */
  url: string;
  drop(): Promise<void>;
}

export async function freshSchema(serverUrl = POSTGRES_URL): Promise<TestSchema> {
  const admin = new pg.Pool({ connectionString: serverUrl, max: 1 });
  const schema = `parley_test_${randomBytes(6).toString('hex')}`;
  await admin.query(`create schema ${schema}`);
  const url = new URL(serverUrl);
  url.searchParams.set('options', `-c search_path=${schema}`);
  return {
    url: url.toString(),
    async drop() {
      await admin.query(`drop schema if exists ${schema} cascade`).catch(() => undefined);
      await admin.end();
    },
  };
}
