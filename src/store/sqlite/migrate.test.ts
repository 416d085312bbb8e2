// Forward-only migrations: a store made by an earlier version keeps its rows and gains the new
// columns (002: token scopes; 003: channels; 004: budgets, provenance and model-call state; 005:
// events stored one row per commit) when a newer Baton opens it.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { afterEach, describe, expect, it } from 'vitest';
import { SqliteStore } from './store.ts';
import { runScenario } from '../../metrics/scenario.fixture.ts';
import { verifyAudit } from '../../audit/verify.ts';

type Row = Record<string, unknown>;

const MIGRATIONS_UP_TO_004: Array<[number, string]> = [
  [1, '001_init.sql'],
  [2, '002_token_scopes.sql'],
  [3, '003_channels.sql'],
  [4, '004_budgets.sql'],
];

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

describe('SQLite migrations', () => {
  it('upgrades a store at 001: existing tokens keep working, unscoped', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'baton-migrate-'));
    dirs.push(dir);
    const file = path.join(dir, 'baton.db');
    const old = new DatabaseSync(file);
    old.exec(readFileSync(new URL('./migrations/001_init.sql', import.meta.url), 'utf8'));
    old.exec(
      'CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at INTEGER NOT NULL)',
    );
    old.exec("INSERT INTO schema_migrations VALUES (1, '001_init.sql', 1)");
    old.exec(
      "INSERT INTO tokens (id, user_id, access, hash, created_at) VALUES ('tok_old', 'dana', 'admin', 'h', 5)",
    );
    old.close();

    const store = new SqliteStore({ file });
    try {
      await store.migrate();
      expect(await store.tokenByHash('h')).toEqual({
        id: 'tok_old',
        userId: 'dana',
        access: 'admin',
        hash: 'h',
        createdAt: 5,
      });
      const versions = await store.query<{ version: number }>(
        'SELECT version FROM schema_migrations ORDER BY version',
      );
      expect(versions.map((v) => v.version)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9]);
      // 004: the budget tables exist and start empty.
      expect(await store.budgetDay('f', '2026-11-26')).toEqual({ reservedUsd: 0, spentUsd: 0, calls: 0 });
      expect(await store.heldReservations(Date.now(), 10)).toEqual([]);
      // The old token means a store that held one: no first-run token.
      expect(
        await store.createFirstToken({
          id: 'tok_new',
          userId: 'dana',
          access: 'admin',
          hash: 'h2',
          createdAt: 6,
        }),
      ).toBe(false);
    } finally {
      await store.close();
    }
  });

  it('upgrades a store at 004: its events, one row each, become event batches that still verify', async () => {
    // A store written by today's code gives the events; a store at 004 is made to hold them
    // one row each, as 004 stored them.
    const current = await runScenario();
    const dir = mkdtempSync(path.join(tmpdir(), 'baton-migrate-'));
    dirs.push(dir);
    const file = path.join(dir, 'baton.db');
    try {
      const before = await current.baton.store.query<Row>('SELECT * FROM events ORDER BY handoff_id, seq');
      expect(before.length).toBeGreaterThan(50);
      const old = new DatabaseSync(file);
      old.exec(
        'CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at INTEGER NOT NULL)',
      );
      for (const [version, name] of MIGRATIONS_UP_TO_004) {
        old.exec(readFileSync(new URL(`./migrations/${name}`, import.meta.url), 'utf8'));
        old.prepare('INSERT INTO schema_migrations VALUES (?, ?, 1)').run(version, name);
      }
      old.exec(`ATTACH DATABASE '${(current.baton.store as SqliteStore).file}' AS cur`);
      old.exec('INSERT INTO handoffs SELECT * FROM cur.handoffs');
      old.exec('INSERT INTO checkpoints SELECT * FROM cur.checkpoints');
      old.exec('INSERT INTO events SELECT * FROM cur.events');
      old.exec('DETACH DATABASE cur');
      old.close();

      const store = new SqliteStore({ file });
      try {
        expect(await store.query<Row>('SELECT * FROM events ORDER BY handoff_id, seq')).toEqual(before);
        const audit = await verifyAudit(store);
        expect(audit).toMatchObject({ ok: true, problems: [], checked: before.length });
        expect(audit.head).toEqual((await verifyAudit(current.baton.store)).head);
      } finally {
        await store.close();
      }
    } finally {
      await current.close();
    }
  });
});
