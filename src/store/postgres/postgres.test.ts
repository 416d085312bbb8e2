// What only a shared server shows: several processes (here, several pools) on one schema.
import { readdirSync, readFileSync } from 'node:fs';
import pg from 'pg';
import { afterEach, describe, expect, it } from 'vitest';
import { checkpointHash, GENESIS } from '../../core/hash-chain.ts';
import { events, handoff } from '../contract.ts';
import type { HandoffCommit } from '../port.ts';
import { PostgresStore } from './store.ts';
import { parseUrl } from './url.ts';
import { toPositional } from './sql.ts';
import { dropSchema, freshSchema, schemaUrl, TEST_URL } from './testing.ts';
import { HANDOFF_COLUMNS, handoffToRow } from '../rows.ts';
import { verifyAudit } from '../../audit/verify.ts';

const opened: PostgresStore[] = [];
const schemas: string[] = [];
afterEach(async () => {
  for (const s of opened.splice(0)) await s.close();
  for (const s of schemas.splice(0)) await dropSchema(s);
});

/** `n` stores (separate pools, like separate processes) on one new schema, opened at once. */
async function cluster(n: number, schema = freshSchema()): Promise<PostgresStore[]> {
  schemas.push(schema);
  const stores = await Promise.all(
    Array.from({ length: n }, () => PostgresStore.open({ url: schemaUrl(schema), max: 2 })),
  );
  opened.push(...stores);
  return stores;
}

const insert = (h = handoff({ wakeAt: Date.now() - 1 })): HandoffCommit => ({
  handoff: h,
  expectedRev: 0,
  events: events(h, 'received'),
});

describe('PostgreSQL store', () => {
  it('migrates once when several processes open a new schema at the same time', async () => {
    const [a] = await cluster(4, `Mixed_${freshSchema()}`);
    const rows = await a!.query<{ version: number; name: string }>(
      'SELECT version, name FROM schema_migrations ORDER BY version',
    );
    const files = readdirSync(new URL('./migrations/', import.meta.url)).sort();
    expect(rows).toEqual(files.map((name) => ({ version: Number.parseInt(name, 10), name })));
    await a!.migrate();
    expect(await a!.query('SELECT version FROM schema_migrations')).toHaveLength(files.length);
  });

  it('upgrades a schema at 004: events stored one row each become event batches that still verify', async () => {
    const schema = freshSchema();
    schemas.push(schema);
    const client = new pg.Client({ connectionString: TEST_URL });
    await client.connect();
    const h = handoff();
    const evs = events(h, 'received', 'context_built', 'decided');
    const at = Date.now();
    const heads = JSON.stringify([[h.id, h.eventSeq, h.headHash]]);
    try {
      await client.query(`CREATE SCHEMA ${schema}; SET search_path TO ${schema}`);
      await client.query(
        'CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at BIGINT NOT NULL)',
      );
      for (const name of readdirSync(new URL('./migrations/', import.meta.url))
        .sort()
        .slice(0, 4)) {
        await client.query(readFileSync(new URL(`./migrations/${name}`, import.meta.url), 'utf8'));
        await client.query('INSERT INTO schema_migrations VALUES ($1, $2, 1)', [
          Number.parseInt(name, 10),
          name,
        ]);
      }
      const row = handoffToRow(h);
      await client.query(
        `INSERT INTO handoffs (${HANDOFF_COLUMNS.join(', ')}) VALUES (${row.map((_, i) => `$${i + 1}`).join(', ')})`,
        row,
      );
      for (const e of evs)
        await client.query('INSERT INTO events VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)', [
          e.handoffId,
          e.seq,
          e.at,
          e.type,
          e.actor.kind,
          e.actor.id,
          null,
          e.dataJson,
          e.prevHash,
          e.hash,
        ]);
      await client.query('INSERT INTO checkpoints VALUES (1, $1, $2, $3, $4)', [
        at,
        heads,
        GENESIS,
        checkpointHash(GENESIS, 1, at, heads),
      ]);
    } finally {
      await client.end();
    }
    const store = await PostgresStore.open({ url: schemaUrl(schema), max: 2 });
    opened.push(store);
    expect((await store.events(h.id)).map((e) => [e.seq, e.type, e.prevHash, e.hash])).toEqual(
      evs.map((e) => [e.seq, e.type, e.prevHash, e.hash]),
    );
    expect(await store.query('SELECT seq FROM event_batches')).toHaveLength(3);
    expect(await verifyAudit(store)).toMatchObject({ ok: true, problems: [], checked: 3, checkpoints: 1 });
  });

  it('keeps one unbroken checkpoint chain under concurrent commits from several processes', async () => {
    const stores = await cluster(3);
    await Promise.all(
      stores.flatMap((s) =>
        Array.from({ length: 8 }, () => s.commit(Array.from({ length: 5 }, () => insert()))),
      ),
    );
    const cps = await stores[0]!.checkpoints(0, 1000);
    expect(cps).toHaveLength(24);
    let prev = GENESIS;
    cps.forEach((c, i) => {
      expect(c.seq).toBe(i + 1);
      expect(c.prevHash).toBe(prev);
      expect(checkpointHash(c.prevHash, c.seq, c.at, JSON.stringify(c.heads))).toBe(c.hash);
      prev = c.hash;
    });
    expect(cps.flatMap((c) => c.heads)).toHaveLength(120);
  });

  it('never hands the same work to two workers claiming at once', async () => {
    const stores = await cluster(3);
    await stores[0]!.commit(Array.from({ length: 60 }, () => insert()));
    const now = Date.now();
    const claims = await Promise.all(
      stores.flatMap((s, i) =>
        [0, 1].map((j) => s.claim({ worker: `w${i}${j}`, now, leaseMs: 60_000, limit: 15 })),
      ),
    );
    const ids = claims.flat().map((s) => s.handoff.id);
    expect(ids).toHaveLength(60);
    expect(new Set(ids).size).toBe(60);
    expect((await stores[1]!.leaseHolders()).length).toBeGreaterThan(1);
  });

  it('lets exactly one of two racing writers of the same revision win', async () => {
    const [a, b] = await cluster(2);
    const h = handoff();
    await a!.commit([insert(h)]);
    const step = (state: 'accepted' | 'cancelled'): HandoffCommit => {
      const next = { ...h, state, rev: 2 };
      return { handoff: next, expectedRev: 1, events: events(next, state) };
    };
    const out = await Promise.all([a!.commit([step('accepted')]), b!.commit([step('cancelled')])]);
    expect(out.flat().filter((o) => o.ok)).toHaveLength(1);
    expect(await a!.events(h.id)).toHaveLength(2);
  });

  it('takes the same idempotency key once across processes', async () => {
    const [a, b] = await cluster(2);
    const x = handoff({ idempotencyKey: 'same' });
    const y = handoff({ idempotencyKey: 'same' });
    const outcomes = (await Promise.all([a!.commit([insert(x)]), b!.commit([insert(y)])])).flat();
    expect(outcomes.filter((o) => o.ok)).toHaveLength(1);
    const dup = outcomes.find((o) => !o.ok);
    expect(dup).toMatchObject({ ok: false, reason: 'duplicate', state: 'received' });
    expect([x.id, y.id]).toContain((dup as { id: string }).id);
  });

  it('folds two writes of the same action in one batch into the later one', async () => {
    const [s] = await cluster(1);
    const h = handoff();
    const action = {
      id: 'a',
      use: 'http.post',
      state: 'running' as const,
      risk: 'low' as const,
      idempotencyKey: 'k',
      params: {},
      calls: 1,
      order: 0,
      updatedAt: 1,
    };
    const first = insert(h);
    const h2 = { ...h, rev: 2 };
    const out = await s!.commit([
      { ...first, actions: [action] },
      {
        handoff: h2,
        expectedRev: 1,
        events: events(h2, 'action_succeeded'),
        actions: [{ ...action, state: 'succeeded', calls: 2, updatedAt: 2 }],
      },
    ]);
    expect(out).toEqual([{ ok: true }, { ok: true }]);
    expect((await s!.get(h.id))!.actions).toEqual([
      { ...action, state: 'succeeded', calls: 2, updatedAt: 2 },
    ]);
  });

  it('answers shared SQL written with ? placeholders, numbers as numbers', async () => {
    const [s] = await cluster(1);
    await s!.commit([insert(), insert()]);
    const rows = await s!.query<{ n: number; w: number; q: string }>(
      "SELECT COUNT(*) AS n, MAX(created_at) AS w, '?' AS q FROM handoffs WHERE flow_id = ? AND created_at > ?",
      ['f', 0],
    );
    expect(rows).toEqual([{ n: 2, w: expect.any(Number), q: '?' }]);
  });
});

describe('placeholders', () => {
  it('numbers ? outside literals, identifiers and comments', () => {
    expect(toPositional('SELECT a FROM t WHERE a = ? AND b IN (?, ?)')).toBe(
      'SELECT a FROM t WHERE a = $1 AND b IN ($2, $3)',
    );
    expect(toPositional(`SELECT '?', 'it''s ?', "?" -- ?\n, ? /* ? */, $$?$$, $t$?$t$, ?`)).toBe(
      `SELECT '?', 'it''s ?', "?" -- ?\n, $1 /* ? */, $$?$$, $t$?$t$, $2`,
    );
    expect(toPositional('SELECT $1, $2')).toBe('SELECT $1, $2');
  });
});

describe('storage URLs', () => {
  it('takes ?schema= off the URL and keeps the rest', () => {
    expect(parseUrl('postgres://u:p@h:5/db?schema=baton&sslmode=disable')).toEqual({
      connectionString: 'postgres://u:p@h:5/db?sslmode=disable',
      schema: 'baton',
    });
    expect(parseUrl('postgresql://h/db').schema).toBeUndefined();
  });

  it('takes ?pool= (connections per process) off the URL', () => {
    expect(parseUrl('postgres://h/db?pool=4&schema=s')).toEqual({
      connectionString: 'postgres://h/db',
      schema: 's',
      pool: 4,
    });
    expect(() => parseUrl('postgres://h/db?pool=0')).toThrow(/pool "0"/);
    expect(() => parseUrl('postgres://h/db?pool=many')).toThrow(/storage URL pool/);
  });

  it('names the field of a bad URL, without the password', () => {
    expect(() => parseUrl('postgres://u:secret@h/db?schema=a;drop')).toThrow(/schema "a;drop"/);
    expect(() => parseUrl('postgres://u:secret@h:notaport/db')).toThrow(/u:\*\*\*@h/);
  });
});
