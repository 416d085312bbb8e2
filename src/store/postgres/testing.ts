// Test support: a fresh schema per store on the local PostgreSQL server, dropped on close.
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { PostgresStore } from './store.ts';

/** The server tests use; BATON_TEST_POSTGRES overrides it. */
export const TEST_URL = process.env.BATON_TEST_POSTGRES ?? 'postgres://postgres@127.0.0.1:5432/test';

export const freshSchema = (): string => `baton_t_${randomBytes(6).toString('hex')}`;

/** `TEST_URL` with `?schema=NAME`. */
export function schemaUrl(schema: string): string {
  const u = new URL(TEST_URL);
  u.searchParams.set('schema', schema);
  return u.toString();
}

export async function dropSchema(schema: string): Promise<void> {
  const c = new pg.Client({ connectionString: TEST_URL });
  await c.connect();
  try {
    await c.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
  } finally {
    await c.end();
  }
}

/** A store in its own new schema; closing it drops the schema. */
export async function openTestStore(max = 3): Promise<PostgresStore> {
  const schema = freshSchema();
  const store = await PostgresStore.open({ url: schemaUrl(schema), max });
  const close = store.close.bind(store);
  store.close = async () => {
    await close();
    await dropSchema(schema);
  };
  return store;
}
