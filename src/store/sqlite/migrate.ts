// Forward-only numbered migrations: every `NNN_name.sql` in migrations/ runs once, in order,
// each in its own transaction, recorded in schema_migrations.
import type { DatabaseSync } from 'node:sqlite';
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import path from 'node:path';

const DIR = path.join(path.dirname(fileURLToPath(import.meta.url)), 'migrations');

export function applyMigrations(db: DatabaseSync): number {
  db.exec(
    'CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at INTEGER NOT NULL)',
  );
  const files = readdirSync(DIR)
    .filter((f) => /^\d+_.*\.sql$/.test(f))
    .sort();
  refuseDuplicateNumbers(files);
  let applied = 0;
  for (const file of files) {
    const version = Number.parseInt(file, 10);
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

/** Two files with one number would be recorded as one migration and the second silently skipped. */
export function refuseDuplicateNumbers(files: readonly string[]): void {
  const seen = new Map<number, string>();
  for (const f of files) {
    const n = Number.parseInt(f, 10);
    const other = seen.get(n);
    if (other !== undefined)
      throw new Error(`migrations ${other} and ${f} share the number ${n}: renumber one`);
    seen.set(n, f);
  }
}
