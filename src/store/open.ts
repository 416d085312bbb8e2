// Opens the store a storage URL names: `sqlite:PATH` (or `sqlite::memory:`), or
// `postgres://…` / `postgresql://…` (`?schema=NAME` selects and creates a schema).
import { BatonError } from '../core/errors.ts';
import type { Store } from './port.ts';
import { SqliteStore } from './sqlite/store.ts';
import { ThreadedSqliteStore } from './sqlite/threaded.ts';

export interface OpenStoreOptions {
  /** SQLite: write through a writer thread (for long-running processes; not for `:memory:`). */
  threaded?: boolean;
}

export async function openStore(url: string, options: OpenStoreOptions = {}): Promise<Store> {
  if (url.startsWith('sqlite:')) {
    const file = url.slice('sqlite:'.length).replace(/^\/\/(?=\/)/, '');
    if (!file) {
      throw new BatonError(
        'project_invalid',
        `storage URL "${url}" names no file (e.g. sqlite:./data/baton.db)`,
      );
    }
    if (options.threaded && file !== ':memory:') return ThreadedSqliteStore.open(file);
    return new SqliteStore({ file });
  }
  if (/^postgres(ql)?:\/\//i.test(url)) {
    // Loaded on demand: SQLite users never load the driver.
    const { PostgresStore } = await import('./postgres/store.ts');
    return PostgresStore.open({ url });
  }
  throw new BatonError(
    'project_invalid',
    `storage URL "${url}" is not supported: use sqlite:PATH or postgres://…`,
    {
      details: [{ path: 'storage', message: 'expected sqlite:PATH or postgres://user@host/database' }],
    },
  );
}
