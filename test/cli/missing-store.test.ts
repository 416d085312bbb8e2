// Commands that work on an existing store never create one: a mistyped --storage is an error
// (exit 2) naming the path, not a new empty store that reads as a clean audit.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import pg from 'pg';
import { describe, expect, it } from 'vitest';
import { dropSchema, freshSchema, schemaUrl, TEST_URL } from '../../src/store/postgres/testing.ts';
import { fresh } from './run.ts';

const READERS: string[][] = [
  ['audit', 'verify'],
  ['audit', 'export'],
  ['ls'],
  ['show', 'h_0000'],
  ['tasks'],
  ['inbox'],
  ['approvals'],
  ['report'],
  ['token', 'ls'],
  ['token', 'revoke', 'tok_0000'],
  ['replay', '--since', '7d'],
  ['accept', 'h_0000', '--as', 'kim'],
  ['approve', 'apr_0000', '--as', 'dana'],
  ['resolve', 'h_0000', 'crm', '--failed', '--as', 'kim'],
];

describe('a store that does not exist', () => {
  it('is an error naming the path for every command that reads or changes existing work', async ({
    onTestFinished,
  }) => {
    const p = fresh(onTestFinished);
    const typo = path.join(p.dir, 'a', 'typo.db');
    for (const args of READERS) {
      const r = await p.run([...args, '--storage', `sqlite:${typo}`]);
      expect([args.join(' '), r.code]).toEqual([args.join(' '), 2]);
      expect(r.stderr).toContain(`baton: no Baton store at ${typo}`);
      expect(r.stderr).not.toMatch(/at .*\.ts:\d+/);
      expect(r.stdout).toBe('');
      expect(existsSync(typo)).toBe(false);
      expect(existsSync(path.dirname(typo))).toBe(false);
    }
  }, 120_000);

  it('is an empty file or a file that is not a database: never turned into a store', async ({
    onTestFinished,
  }) => {
    const p = fresh(onTestFinished);
    for (const [name, content] of [
      ['empty.db', ''],
      ['notes.db', 'not a database'],
    ] as const) {
      const file = path.join(p.dir, name);
      writeFileSync(file, content);
      for (const args of [['audit', 'verify'], ['ls']]) {
        const r = await p.run([...args, '--storage', `sqlite:${file}`]);
        expect([name, args.join(' '), r.code]).toEqual([name, args.join(' '), 2]);
        expect(r.stderr).toContain(`baton: no Baton store at ${file}`);
      }
      expect(readFileSync(file, 'utf8')).toBe(content);
    }
  }, 60_000);

  it('is started by send, token create and migrate', async ({ onTestFinished }) => {
    const p = fresh(onTestFinished);
    for (const [args, file] of [
      [['send', 'lead-to-owner', '{"id":"L-1","company":"Acme","email":"jo@acme.com"}'], 'send.db'],
      [['token', 'create', '--user', 'dana', '--access', 'viewer'], 'token.db'],
      [['migrate'], 'migrate.db'],
    ] as const) {
      const db = path.join(p.dir, 'new', file);
      const r = await p.run([...args, '--storage', `sqlite:${db}`]);
      expect([args.join(' '), r.code, r.stderr]).toEqual([args.join(' '), 0, expect.any(String)]);
      expect(existsSync(db)).toBe(true);
      const audit = await p.run(['audit', 'verify', '--storage', `sqlite:${db}`]);
      expect(audit.code).toBe(0);
      expect(audit.stdout).toMatch(/^audit ok: /);
    }
  }, 60_000);

  it('on PostgreSQL: a schema that is not there is named, and not created', async ({ onTestFinished }) => {
    const p = fresh(onTestFinished);
    const schema = freshSchema();
    onTestFinished(() => dropSchema(schema));
    const r = await p.run(['audit', 'verify', '--storage', schemaUrl(schema)]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`baton: no Baton store at ${schemaUrl(schema)}`);
    const c = new pg.Client({ connectionString: TEST_URL });
    await c.connect();
    try {
      const found = await c.query('SELECT 1 FROM information_schema.schemata WHERE schema_name = $1', [
        schema,
      ]);
      expect(found.rowCount).toBe(0);
    } finally {
      await c.end();
    }
    // Once a command that adds work has created it, the same command reads it.
    expect((await p.run(['migrate', '--storage', schemaUrl(schema)])).code).toBe(0);
    const again = await p.run(['audit', 'verify', '--storage', schemaUrl(schema)]);
    expect(again.code).toBe(0);
    expect(again.stdout).toMatch(/^audit ok: /);
  }, 60_000);
});
