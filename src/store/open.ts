// Opens the store a storage URL names: `sqlite:PATH` (or `sqlite::memory:`), or
// `postgres://…` / `postgresql://…` (`?schema=NAME` selects and creates a schema).
import { DatabaseSync } from 'node:sqlite';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { BatonError } from '../core/errors.ts';
import { missingStore } from './missing.ts';
import type { Store } from './port.ts';
import { SqliteStore } from './sqlite/store.ts';
import { ThreadedSqliteStore } from './sqlite/threaded.ts';

export interface OpenStoreOptions {
  /** SQLite: write through a writer thread (for long-running processes; not for `:memory:`). */
  threaded?: boolean;
  /**
   * Create the store when it does not exist (default true). Commands that only read pass false:
   * a mistyped path must be an error, not a new empty store that reads as fine.
   */
  create?: boolean;
}

export async function openStore(url: string, options: OpenStoreOptions = {}): Promise<Store> {
  const create = options.create ?? true;
  if (url.startsWith('sqlite:')) {
    const file = url.slice('sqlite:'.length).replace(/^\/\/(?=\/)/, '');
    if (!file) {
      throw new BatonError(
        'project_invalid',
        `storage URL "${url}" names no file (e.g. sqlite:./data/baton.db)`,
      );
    }
    if (!create && file !== ':memory:' && !isSqliteStore(file)) throw missingStore(path.resolve(file));
    if (options.threaded && file !== ':memory:') return ThreadedSqliteStore.open(file);
    return new SqliteStore({ file });
  }
  if (/^postgres(ql)?:\/\//i.test(url)) {
    // Loaded on demand: SQLite users never load the driver.
    const { PostgresStore } = await import('./postgres/store.ts');
    return PostgresStore.open({ url, create });
  }
  throw new BatonError(
    'project_invalid',
    `storage URL "${url}" is not supported: use sqlite:PATH or postgres://…`,
    {
      details: [{ path: 'storage', message: 'expected sqlite:PATH or postgres://user@host/database' }],
    },
  );
}

/**
 * Whether `file` holds a Baton store: it exists and has Baton's migrations table. An empty file
 * (or another program's database) is no store, and opening it read-only changes nothing.
 */
function isSqliteStore(file: string): boolean {
  if (!existsSync(file)) return false;
  let db: DatabaseSync | undefined;
  try {
    db = new DatabaseSync(file, { readOnly: true });
    return (
      db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'schema_migrations'").get() !==
      undefined
    );
  } catch {
    return false; // not a database at all
  } finally {
    db?.close();
  }
}
