import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { migrationFiles } from './migration-files.ts';

const here = path.dirname(fileURLToPath(import.meta.url));
const dirs: string[] = [];
function folder(names: string[]): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'baton-mig-'));
  dirs.push(dir);
  for (const n of names) writeFileSync(path.join(dir, n), '');
  return dir;
}
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

describe('migration files', () => {
  it('lists NNN_name.sql in order and ignores other files', () => {
    expect(migrationFiles(folder(['002_b.sql', '001_a.sql', 'notes.md']))).toEqual([
      { version: 1, file: '001_a.sql' },
      { version: 2, file: '002_b.sql' },
    ]);
  });
  it('refuses two files with one version, naming both', () => {
    expect(() => migrationFiles(folder(['001_a.sql', '002_tokens.sql', '002_mail.sql']))).toThrow(
      /002_mail.sql and 002_tokens.sql share version 2|002_tokens.sql and 002_mail.sql share version 2/,
    );
  });
  it('refuses a gap', () => {
    expect(() => migrationFiles(folder(['001_a.sql', '003_c.sql']))).toThrow(/003_c.sql should be version 2/);
  });
  it('SQLite and PostgreSQL have the same migrations, by version and name', () => {
    const names = (store: string) => migrationFiles(path.join(here, store, 'migrations')).map((m) => m.file);
    expect(names('sqlite')).toEqual(names('postgres'));
  });
});
