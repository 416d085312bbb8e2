// Forward-only numbered migrations: every `NNN_name.sql` in migrations/ runs once, in order,
// each in its own transaction, recorded in schema_migrations.
import type { DatabaseSync } from 'node:sqlite';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import path from 'node:path';
import { migrationFiles } from '../migration-files.ts';

const DIR = path.join(path.dirname(fileURLToPath(import.meta.url)), 'migrations');

export function applyMigrations(db: DatabaseSync): number {
  db.exec(
    'CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at INTEGER NOT NULL)',
  );
  let applied = 0;
  for (const { version, file } of migrationFiles(DIR)) {
    db.exec('BEGIN IMMEDIATE');
    try {
      const done = db.prepare('SELECT 1 FROM schema_migrations WHERE version = ?').get(version);
      if (!done) {
        db.exec(readFileSync(path.join(DIR, file), 'utf8'));
        db.prepare('INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)').run(
          version,
          file,
          Date.now(),
        );
        applied++;
      }
      db.exec('COMMIT');
    } catch (e) {
      db.exec('ROLLBACK');
      throw e;
    }
  }
  return applied;
}
