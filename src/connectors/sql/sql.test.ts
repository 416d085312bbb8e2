// The sql connector against the machine's real PostgreSQL and MariaDB and a SQLite file: typed
// parameters are the only way in (every hostile value is stored or matched as the literal it
// is, never run), lookups cannot write (not a DELETE, not a function with side effects, not
// DDL), runaway statements are cancelled at the timeout, and every declared rollback restores
// the row exactly, twice over.
import { mkdtempSync, existsSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import pg from 'pg';
import mysql from 'mysql2/promise';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Registry } from '../../actions/registry.ts';
import { Tables } from '../../actions/tables.ts';
import type { ActionContext, ActionDefinition, ContextSource } from '../../actions/define.ts';
import { isBatonError } from '../../core/errors.ts';
import { OutboundPolicy } from '../../outbound/policy.ts';
import { openConnectors, readConnectors, type OpenConnector } from '../configure.ts';
import { connectorContract } from '../../../test/support/connector-contract.ts';
import { ROOT } from '../../../test/support/project.ts';
import { sql } from './connector.ts';
import { compileSql } from './statements.ts';

const suffix = `${process.pid}_${Date.now().toString(36)}`;
const tmp = mkdtempSync(path.join(tmpdir(), 'baton-sql-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

type Row = Record<string, unknown>;
interface Backend {
  name: 'postgres' | 'mariadb' | 'sqlite';
  url: string;
  /** Table name as the statements write it. */
  po: string;
  setup(): Promise<void>;
  rows(): Promise<Row[]>;
  teardown(): Promise<void>;
  /** Lookups that must fail under read-only, with a name for each. */
  evil: Record<string, string>;
  sleep: string;
  slowWrite: string;
  /** Files a lookup must not create (SQLite ATTACH / VACUUM INTO). */
  files?: string[];
}

const SEED: Array<[number, string, string]> = [
  [1, 'open', 'first'],
  [2, 'open', 'second'],
  [3, 'closed', "it's quoted"],
  [4, 'open', 'x'],
  [5, 'open', 'y'],
  [6, 'open', 'z'],
  [7, 'open', 'w'],
];

function postgres(): Backend {
  const schema = `baton_sql_${suffix}`;
  const admin = new pg.Client({ host: '127.0.0.1', port: 5432, user: 'postgres', database: 'test' });
  const po = `${schema}.po`;
  return {
    name: 'postgres',
    url: 'postgres://postgres@127.0.0.1:5432/test',
    po,
    async setup() {
      await admin.connect();
      await admin.query(`CREATE SCHEMA ${schema}`);
      await admin.query(`CREATE TABLE ${po} (id int PRIMARY KEY, status text, note text)`);
      await admin.query(`CREATE SEQUENCE ${schema}.seq`);
      await admin.query(
        `CREATE FUNCTION ${schema}.bump() RETURNS int LANGUAGE plpgsql AS $$ BEGIN UPDATE ${po} SET status = 'bumped'; RETURN 1; END $$`,
      );
      for (const r of SEED) await admin.query(`INSERT INTO ${po} VALUES ($1, $2, $3)`, r);
    },
    rows: async () => (await admin.query(`SELECT id, status, note FROM ${po} ORDER BY id`)).rows,
    async teardown() {
      await admin.query(`DROP SCHEMA ${schema} CASCADE`);
      await admin.end();
    },
    evil: {
      delete: `DELETE FROM ${po}`,
      deleteReturning: `DELETE FROM ${po} RETURNING id`,
      insert: `INSERT INTO ${po} VALUES (99, 'x', 'y') RETURNING id`,
      sideEffectFunction: `SELECT ${schema}.bump() AS n`,
      nextval: `SELECT nextval('${schema}.seq') AS n`,
      ddl: `DROP TABLE ${po}`,
      cteWrite: `WITH d AS (DELETE FROM ${po} RETURNING id) SELECT id FROM d`,
    },
    sleep: 'SELECT pg_sleep(10) AS slept',
    slowWrite: `UPDATE ${po} SET status = 'slow' WHERE id = :id AND (SELECT true FROM pg_sleep(10))`,
  };
}

function mariadb(): Backend {
  const db = `baton_sql_${suffix}`;
  let admin: mysql.Connection;
  return {
    name: 'mariadb',
    url: `mysql://root@127.0.0.1:3306/${db}`,
    po: 'po',
    async setup() {
      admin = await mysql.createConnection({ host: '127.0.0.1', port: 3306, user: 'root' });
      await admin.query(`CREATE DATABASE ${db}`);
      await admin.query(`USE ${db}`);
      await admin.query('CREATE TABLE po (id INT PRIMARY KEY, status TEXT, note TEXT)');
      await admin.query(
        "CREATE FUNCTION bump() RETURNS INT MODIFIES SQL DATA BEGIN UPDATE po SET status = 'bumped'; RETURN 1; END",
      );
      for (const r of SEED) await admin.execute('INSERT INTO po VALUES (?, ?, ?)', r);
    },
    rows: async () => (await admin.query('SELECT id, status, note FROM po ORDER BY id'))[0] as Row[],
    async teardown() {
      await admin.query(`DROP DATABASE ${db}`);
      await admin.end();
    },
    evil: {
      delete: 'DELETE FROM po',
      deleteReturning: 'DELETE FROM po RETURNING id',
      insert: "INSERT INTO po VALUES (99, 'x', 'y')",
      sideEffectFunction: 'SELECT bump() AS n',
      ddl: 'DROP TABLE po',
      truncate: 'TRUNCATE TABLE po',
      setGlobal: 'SET GLOBAL max_connections = 151',
      outfile: `SELECT id FROM po INTO OUTFILE '${path.join(tmp, 'out.txt')}'`,
    },
    sleep: 'SELECT SLEEP(10) AS slept',
    slowWrite: "UPDATE po SET status = 'slow' WHERE id = :id AND SLEEP(10) = 0",
    files: [path.join(tmp, 'out.txt')],
  };
}

function sqlite(): Backend {
  const file = path.join(tmp, 'test.db');
  const attached = path.join(tmp, 'attached.db');
  const vacuumed = path.join(tmp, 'vacuumed.db');
  let admin: DatabaseSync;
  const forever = 'WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c) SELECT count(*) FROM c';
  return {
    name: 'sqlite',
    url: `sqlite:${file}`,
    po: 'po',
    async setup() {
      admin = new DatabaseSync(file);
      admin.exec('CREATE TABLE po (id INTEGER PRIMARY KEY, status TEXT, note TEXT)');
      const ins = admin.prepare('INSERT INTO po VALUES (?, ?, ?)');
      for (const r of SEED) ins.run(...r);
    },
    rows: async () => admin.prepare('SELECT id, status, note FROM po ORDER BY id').all(),
    async teardown() {
      admin.close();
    },
    evil: {
      delete: 'DELETE FROM po',
      deleteReturning: 'DELETE FROM po RETURNING id',
      insert: "INSERT INTO po VALUES (99, 'x', 'y') RETURNING id",
      pragma: 'PRAGMA user_version = 7',
      ddl: 'DROP TABLE po',
      attach: `ATTACH DATABASE '${attached}' AS evil`,
      vacuumInto: `VACUUM INTO '${vacuumed}'`,
    },
    sleep: forever,
    slowWrite: `UPDATE po SET status = 'slow' WHERE id = :id AND (${forever}) > 0`,
    files: [attached, vacuumed],
  };
}

/** The connector's statements for one backend (timeouts short, so the slow cases are quick). */
function settingsFor(b: Backend): Record<string, unknown> {
  const evil = Object.fromEntries(
    Object.entries(b.evil).map(([k, v]) => [`evil_${k}`, { kind: 'lookup', sql: v }]),
  );
  return {
    url: b.url,
    timeoutMs: 1000,
    maxRows: 5,
    statements: {
      find_po: {
        kind: 'lookup',
        sql: `SELECT id, status, note FROM ${b.po} WHERE id = :id`,
        params: { id: 'integer' },
      },
      find_by_note: {
        kind: 'lookup',
        sql: `SELECT id, status, note FROM ${b.po} WHERE note = :note OR status = :note ORDER BY id`,
        params: { note: 'string' },
      },
      all_po: { kind: 'lookup', sql: `SELECT id FROM ${b.po} ORDER BY id` },
      status_of: {
        kind: 'lookup',
        internal: true,
        sql: `SELECT status FROM ${b.po} WHERE id = :id`,
        params: { id: 'integer' },
      },
      set_status: {
        kind: 'write',
        sql: `UPDATE ${b.po} SET status = :status WHERE id = :id`,
        params: { id: 'integer', status: { type: 'string', required: false } },
        risk: 'medium',
        idempotency: 'natural',
        capture: 'status_of',
        rollback: { statement: 'set_status', params: { id: 'params.id', status: 'captured.status' } },
      },
      add_po: {
        kind: 'write',
        sql:
          b.name === 'mariadb'
            ? `INSERT INTO ${b.po} (id, status, note) VALUES (:id, :status, :note) RETURNING id`
            : `INSERT INTO ${b.po} (id, status, note) VALUES (:id, :status, :note) RETURNING id`,
        params: { id: 'integer', status: 'string', note: 'string' },
        risk: 'low',
        rollback: { statement: 'delete_po', params: { id: 'result.id' } },
      },
      delete_po: {
        kind: 'write',
        internal: true,
        sql: `DELETE FROM ${b.po} WHERE id = :id`,
        params: { id: 'integer' },
      },
      slow_write: {
        kind: 'write',
        sql: b.slowWrite,
        params: { id: 'integer' },
        risk: 'low',
        irreversible: 'a test statement',
      },
      sleep: { kind: 'lookup', sql: b.sleep },
      ...evil,
    },
  };
}

const HOSTILE: string[] = [
  "' OR '1'='1",
  "' OR 1=1 --",
  "'; DROP TABLE po; --",
  '1; DELETE FROM po',
  "x'; DELETE FROM po; --",
  "' UNION SELECT id, status, note FROM po --",
  "\\'; DELETE FROM po; --",
  "\\' OR 1=1 #",
  '\\',
  "'",
  "''",
  '"',
  '`',
  '--',
  '/*',
  '*/ OR 1=1 /*',
  ':id',
  ':note',
  '$1',
  '?',
  '%',
  '_',
  "admin'--",
  "1' AND SLEEP(5)--",
  "'; SELECT pg_sleep(5); --",
  "'||(SELECT status FROM po LIMIT 1)||'",
  '$$; DELETE FROM po; $$',
  "E'\\x27 OR 1=1'",
  "' OR ''='",
  '\r\n; DELETE FROM po',
  "😀' OR 'a'='a",
  '0x27 OR 1=1',
  'open',
  "it's quoted",
  'a'.repeat(20_000),
];

const ctxOf = (signal = AbortSignal.timeout(20_000)): ActionContext => ({
  handoffId: 'h1',
  flow: 'f',
  actionId: 'a',
  idempotencyKey: 'k1',
  owner: 'ops',
  signal,
  outbound: new OutboundPolicy({ allowHosts: ['127.0.0.1'] }),
});

describe.each([postgres(), mariadb(), sqlite()])('sql on $name', (b) => {
  let open: OpenConnector;
  let registry: Registry;
  let seeded: Row[];
  const action = (id: string) => registry.action(`db.${id}`) as ActionDefinition<Row, unknown>;
  const source = (id: string) => registry.source(`db.${id}`) as unknown as ContextSource<Row>;
  const fetch = (id: string, p: Row) =>
    source(id).fetch(p, { handoffId: 'h1', flow: 'f', signal: AbortSignal.timeout(20_000) }) as Promise<{
      rows: Row[];
      truncated: boolean;
    }>;

  beforeAll(async () => {
    await b.setup();
    seeded = await b.rows();
    const { configured, problems } = readConnectors({ db: { type: 'sql', ...settingsFor(b) } });
    if (problems.length) throw new Error(JSON.stringify(problems));
    registry = new Registry(new Tables(new Map()));
    [open] = (await openConnectors(configured, registry, {
      outbound: new OutboundPolicy({ allowHosts: [] }),
      projectDir: ROOT,
      people: { usersOf: () => [], person: () => undefined },
    })) as [OpenConnector];
  });
  afterAll(async () => {
    await open?.instance.close?.();
    await b.teardown();
  });

  it('check connects', async () => {
    expect(await open.instance.check(AbortSignal.timeout(10_000))).toMatch(/connected|opened/);
  });

  it('a lookup returns its rows, capped at maxRows', async () => {
    expect((await fetch('find_po', { id: 3 })).rows).toEqual([
      { id: 3, status: 'closed', note: "it's quoted" },
    ]);
    const all = await fetch('all_po', {});
    expect(all.rows.map((r) => r.id)).toEqual([1, 2, 3, 4, 5]);
    expect(all.truncated).toBe(true);
  });

  it.each(HOSTILE.map((h, i) => [i, h] as const))('hostile value #%i is only ever a value', async (_, h) => {
    // As a string parameter of a lookup: it matches only a row holding exactly that text.
    let found: Row[] = [];
    try {
      found = (await fetch('find_by_note', { note: h })).rows;
    } catch (e) {
      // PostgreSQL refuses NUL bytes in text; any refusal must be a classified error.
      expect(isBatonError(e)).toBe(true);
    }
    expect(found).toEqual(seeded.filter((r) => r.note === h || r.status === h).slice(0, 5));
    expect(await b.rows()).toEqual(seeded);
    // As an integer parameter: refused by the declared type before any SQL runs.
    await expect(fetch('find_po', { id: h })).rejects.toThrow(/find_po/);
    expect(source('find_po').params.safeParse({ id: h }).success).toBe(false);
    // As the value a write stores: stored exactly as sent, only in the row named; then undone.
    const a = action('set_status');
    const ctx = ctxOf();
    const undo = await a.capture!({ id: 2, status: h }, ctx);
    const result = await a.run({ id: 2, status: h }, ctx);
    const after = await b.rows();
    expect(after).toEqual(seeded.map((r) => (r.id === 2 ? { ...r, status: h } : r)));
    await a.rollback!({ id: 2, status: h }, result, { ...ctx, undo });
    expect(await b.rows()).toEqual(seeded);
  });

  it('parameters of the wrong type or undeclared ones are refused', async () => {
    const bad: Row[] = [
      { id: '1' },
      { id: '1 OR 1=1' },
      { id: 1.5 },
      { id: Number.NaN },
      { id: 2 ** 53 },
      { id: null },
      { id: [1] },
      { id: { $gt: 0 } },
      { id: true },
      { id: 1, extra: 'DROP TABLE po' },
      {},
    ];
    for (const p of bad) {
      expect(source('find_po').params.safeParse(p).success, JSON.stringify(p)).toBe(false);
      await expect(fetch('find_po', p)).rejects.toThrow(/find_po/);
    }
    await expect(action('set_status').run({ id: '2', status: 'x' }, ctxOf())).rejects.toThrow(/set_status/);
    expect(await b.rows()).toEqual(seeded);
  });

  it.each(Object.keys(b.evil))('a lookup that writes fails under read-only: %s', async (k) => {
    const err = await fetch(`evil_${k}`, {}).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err, `evil_${k} must fail`).toBeInstanceOf(Error);
    expect(await b.rows()).toEqual(seeded);
    for (const f of b.files ?? []) expect(existsSync(f), f).toBe(false);
  });

  it('a runaway lookup is cancelled at the timeout', async () => {
    const started = Date.now();
    const raw = open.instance.sources.find((s) => s.id === 'db.sleep')!;
    const err = await Promise.resolve(
      raw.fetch({}, { handoffId: 'h', flow: 'f', signal: AbortSignal.timeout(20_000) }),
    ).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(isBatonError(err) && err.retryable).toBe(true);
    expect((err as Error).message).toMatch(/did not finish within 1000 ms/);
    // Three tries (reads are retried) of about a second each, not 10 s.
    expect(Date.now() - started).toBeLessThan(8000);
    expect((await fetch('find_po', { id: 1 })).rows).toHaveLength(1);
  });

  it('a runaway write is cancelled at the timeout and changes nothing', async () => {
    const started = Date.now();
    const err = await action('slow_write')
      .run({ id: 1 }, ctxOf())
      .then(
        () => undefined,
        (e: unknown) => e,
      );
    expect(isBatonError(err) && err.retryable, String(err)).toBe(true);
    expect(Date.now() - started).toBeLessThan(4000);
    expect(await b.rows()).toEqual(seeded);
  });

  it('an aborted lookup stops at once', async () => {
    const raw = open.instance.sources.find((s) => s.id === 'db.sleep')!;
    const started = Date.now();
    await expect(
      Promise.resolve(raw.fetch({}, { handoffId: 'h', flow: 'f', signal: AbortSignal.timeout(300) })),
    ).rejects.toThrow(/abort|timeout/i);
    expect(Date.now() - started).toBeLessThan(2000);
  });

  it('set_status: capture, run, rollback restores the row exactly; rollback twice is harmless', async () => {
    const a = action('set_status');
    const ctx = ctxOf();
    const undo = await a.capture!({ id: 3, status: 'paid' }, ctx);
    expect(undo).toEqual({ row: { status: 'closed' } });
    const result = await a.run({ id: 3, status: 'paid' }, ctx);
    expect(result).toMatchObject({ rowCount: 1 });
    expect((await fetch('find_po', { id: 3 })).rows[0]!.status).toBe('paid');
    // Run again (a retry): natural idempotency, same state.
    await a.run({ id: 3, status: 'paid' }, ctx);
    await a.rollback!({ id: 3, status: 'paid' }, result, { ...ctx, undo });
    expect(await b.rows()).toEqual(seeded);
    await a.rollback!({ id: 3, status: 'paid' }, result, { ...ctx, undo });
    expect(await b.rows()).toEqual(seeded);
  });

  it('set_status on a row that does not exist changes nothing and its rollback is a no-op', async () => {
    const a = action('set_status');
    const ctx = ctxOf();
    const undo = await a.capture!({ id: 404, status: 'x' }, ctx);
    expect(undo).toEqual({ row: null });
    const result = await a.run({ id: 404, status: 'x' }, ctx);
    expect(await a.rollback!({ id: 404, status: 'x' }, result, { ...ctx, undo })).toMatchObject({
      skipped: true,
    });
    expect(await b.rows()).toEqual(seeded);
  });

  it('add_po: the RETURNING row feeds its rollback (a delete); twice is harmless', async () => {
    const a = action('add_po');
    const ctx = ctxOf();
    const p = { id: 50, status: 'new', note: "'; DROP TABLE po; --" };
    const result = await a.run(p, ctx);
    expect(result).toMatchObject({ rowCount: 1, rows: [{ id: 50 }] });
    expect((await fetch('find_po', { id: 50 })).rows).toEqual([p]);
    await a.rollback!(p, result, { ...ctx, undo: undefined });
    expect(await b.rows()).toEqual(seeded);
    await a.rollback!(p, result, { ...ctx, undo: undefined });
    expect(await b.rows()).toEqual(seeded);
  });

  it('a write that fails (duplicate key) is a non-retryable error and changes nothing', async () => {
    const err = await action('add_po')
      .run({ id: 1, status: 'dup', note: 'dup' }, ctxOf())
      .then(
        () => undefined,
        (e: unknown) => e,
      );
    expect(isBatonError(err) && !err.retryable).toBe(true);
    expect(await b.rows()).toEqual(seeded);
  });
});

describe('sql settings are checked when the project loads', () => {
  const problemsOf = (statements: Record<string, unknown>, url = 'sqlite:x.db') => {
    const { problems } = readConnectors({ db: { type: 'sql', url, statements } });
    return problems.flatMap((p) =>
      p.issues
        ? p.issues.issues.map((i) => `${['connectors', 'db', ...i.path].join('.')}: ${i.message}`)
        : [p.message],
    );
  };

  it.each([
    'SELECT 1; DROP TABLE po',
    'SELECT 1;DELETE FROM po',
    'SELECT 1; SELECT 2',
    'SELECT 1;;',
    "SELECT ';' AS a; DELETE FROM po",
    'SELECT 1 -- comment\n; DELETE FROM po',
    'SELECT 1 /* a */ ; /* b */ DELETE FROM po',
    "SELECT 'unterminated",
    'SELECT * FROM po WHERE id = ?',
    'SELECT * FROM po WHERE id = $1',
  ])('refuses %j, naming the field', (text) => {
    const out = problemsOf({ bad: { kind: 'lookup', sql: text } });
    expect(out.join('\n')).toMatch(/connectors\.db\.statements\.bad\.sql: /);
  });

  it.each([
    'SELECT 1;',
    "SELECT ';' AS a",
    'SELECT 1 -- ; DELETE\n',
    'SELECT 1 /* ; */',
    'SELECT 1; -- trailing',
  ])('accepts %j', (text) => {
    expect(problemsOf({ ok: { kind: 'lookup', sql: text } })).toEqual([]);
  });

  it('refuses MySQL executable comments and stacked text hidden after a MySQL-only comment', () => {
    expect(
      problemsOf({ bad: { kind: 'lookup', sql: 'SELECT 1 /*! ; DROP TABLE po */' } }, 'mysql://r@h/d').join(),
    ).toMatch(/executable comments/);
    expect(
      problemsOf({ bad: { kind: 'lookup', sql: 'SELECT 1 --1; DROP TABLE po' } }, 'mysql://r@h/d').join(),
    ).toMatch(/more than one statement/);
  });

  it('names undeclared and unused parameters, and writes without risk or undo', () => {
    const out = problemsOf({
      a: { kind: 'lookup', sql: 'SELECT * FROM po WHERE id = :id AND x = :x', params: { id: 'integer' } },
      b: { kind: 'lookup', sql: 'SELECT 1', params: { unused: 'string' } },
      c: { kind: 'write', sql: 'DELETE FROM po' },
      d: { kind: 'write', sql: 'DELETE FROM po', risk: 'high', rollback: { statement: 'nope' } },
      e: {
        kind: 'write',
        sql: 'UPDATE po SET s = :s',
        params: { s: 'string' },
        risk: 'low',
        rollback: { statement: 'e', params: { s: 'captured.s' } },
      },
      f: { kind: 'lookup', sql: 'SELECT 1', risk: 'low' },
    }).join('\n');
    expect(out).toMatch(/statements\.a\.sql: :x is not declared/);
    expect(out).toMatch(/statements\.b\.params\.unused: the SQL does not use :unused/);
    expect(out).toMatch(/statements\.c\.risk: /);
    expect(out).toMatch(/statements\.c\.rollback: /);
    expect(out).toMatch(/statements\.d\.rollback\.statement: no statement named nope/);
    expect(out).toMatch(/statements\.e\.rollback\.params\.s: captured\.X needs a capture statement/);
    expect(out).toMatch(/statements\.f\.risk: risk is for write statements/);
  });

  it('compiles :name parameters per dialect, leaving quotes, comments and casts alone', () => {
    const q = 'SELECT \':no\', "a:b", $$ :no $$, x::int FROM t WHERE a = :a AND b = :b OR a = :a -- :no';
    expect(compileSql(q, 'postgres')).toMatchObject({
      text: 'SELECT \':no\', "a:b", $$ :no $$, x::int FROM t WHERE a = $1 AND b = $2 OR a = $1 -- :no',
      order: ['a', 'b'],
    });
    const m = compileSql("SELECT ':no', `c:d` FROM t WHERE a = :a AND b = :b OR a = :a", 'mysql');
    expect(m).toMatchObject({
      text: "SELECT ':no', `c:d` FROM t WHERE a = ? AND b = ? OR a = ?",
      order: ['a', 'b', 'a'],
    });
  });
});

const contractStatements = {
  find_po: { kind: 'lookup', sql: 'SELECT * FROM po WHERE id = :id', params: { id: 'integer' } },
  set_status: {
    kind: 'write',
    sql: 'UPDATE po SET status = :status WHERE id = :id',
    params: { id: 'integer', status: 'string' },
    risk: 'medium',
    idempotency: 'natural',
    capture: 'find_po',
    rollback: { statement: 'set_status', params: { id: 'params.id', status: 'captured.status' } },
  },
  purge: { kind: 'write', sql: 'DELETE FROM po', risk: 'high', irreversible: 'deleted rows are gone' },
};
connectorContract({
  definition: sql as never,
  settings: { url: 'postgres://baton:planted-secret-pw@127.0.0.1:5432/test', statements: contractStatements },
});
connectorContract({
  definition: sql as never,
  settings: {
    url: `sqlite:${path.join(tmp, 'contract.db')}`,
    password: 'planted-secret-2',
    statements: contractStatements,
  },
});
