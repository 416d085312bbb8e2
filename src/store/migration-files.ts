// The numbered migration files of a store (`NNN_name.sql`), in order. Two branches that each add
// "the next" migration would otherwise give two files one version, and the second would be
// skipped silently wherever the first had run: refuse duplicates and gaps instead.
import { readdirSync } from 'node:fs';
import { BatonError } from '../core/errors.ts';

export interface MigrationFile {
  version: number;
  file: string;
}

export function migrationFiles(dir: string): MigrationFile[] {
  const files = readdirSync(dir)
    .filter((f) => /^\d+_.*\.sql$/.test(f))
    .sort()
    .map((file) => ({ version: Number.parseInt(file, 10), file }));
  files.forEach((m, i) => {
    if (m.version !== i + 1) {
      const clash = files.find((o) => o !== m && o.version === m.version);
      throw new BatonError(
        'internal',
        clash
          ? `migrations ${clash.file} and ${m.file} share version ${m.version}: renumber one`
          : `migration ${m.file} should be version ${i + 1}: the versions must run 1, 2, 3… without gaps`,
      );
    }
  });
  return files;
}
