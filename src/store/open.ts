// Opens the store a storage URL names: `sqlite:PATH` (or `sqlite::memory:`).
import { BatonError } from '../core/errors.ts';
import type { Store } from './port.ts';
import { SqliteStore } from './sqlite/store.ts';

export async function openStore(url: string): Promise<Store> {
  if (url.startsWith('sqlite:')) {
    const file = url.slice('sqlite:'.length).replace(/^\/\/(?=\/)/, '');
    if (!file)
      throw new BatonError(
        'project_invalid',
        `storage URL "${url}" names no file (e.g. sqlite:./data/baton.db)`,
      );
    return new SqliteStore({ file });
  }
  throw new BatonError('project_invalid', `storage URL "${url}" is not supported: use sqlite:PATH`, {
    details: [{ path: 'storage', message: 'expected sqlite:PATH' }],
  });
}
