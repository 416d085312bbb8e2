// Forward-only numbered migrations: every `NNN_name.sql` in migrations/ runs once, in order,
// each in its own transaction, recorded in schema_migrations. A transaction-scoped advisory
// lock serializes processes that start at the same time against the same schema.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import path from 'node:path';
import type { Pool } from 'pg';
import { migrationFiles } from '../migration-files.ts';

const DIR = path.join(path.dirname(fileURLToPath(import.meta.url)), 'migrations');

/** Advisory lock keys: (class, object) pairs; the class says "Baton", the object what for. */
export const LOCK_CLASS = 0x6261746f;
export const LOCK_MIGRATE = 1;
export const LOCK_CHECKPOINT = 2;
export const LOCK_FIRST_TOKEN = 3;

/** Quotes an identifier for SQL. */
export const ident = (name: string): string => `"${name.replaceAll('"', '""')}"`;

/** Creates `schema` (when given) and applies pending migrations; returns how many ran. */
export async function applyMigrations(pool: Pool, schema: string | undefined): Promise<number> {
  let applied = 0;
  const client = await pool.connect();
  try {
    for (const { version, file } of migrationFiles(DIR)) {
      await client.query('BEGIN');
      try {
        await client.query('SELECT pg_advisory_xact_lock($1, $2)', [LOCK_CLASS, LOCK_MIGRATE]);
        if (schema !== undefined) await client.query(`CREATE SCHEMA IF NOT EXISTS ${ident(schema)}`);
        await client.query(`CREATE TABLE IF NOT EXISTS schema_migrations (
          version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at BIGINT NOT NULL)`);
        const done = await client.query('SELECT 1 FROM schema_migrations WHERE version = $1', [version]);
        if (done.rowCount === 0) {
          await client.query(readFileSync(path.join(DIR, file), 'utf8'));
          await client.query(
            'INSERT INTO schema_migrations (version, name, applied_at) VALUES ($1, $2, $3)',
            [version, file, Date.now()],
          );
          applied++;
        }
        await client.query('COMMIT');
      } catch (e) {
        await client.query('ROLLBACK').catch(() => undefined);
        throw e;
      }
    }
  } finally {
    client.release();
  }
  return applied;
}
