// Copying a SQLite store into PostgreSQL: every table row for row, the audit chain still
// verifies, the service shows the same handoffs, tokens still work, and a second copy is refused.
import path from 'node:path';
import { readFileSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { verifyAudit } from '../audit/verify.ts';
import { Baton } from '../service/baton.ts';
import { asUser, EXAMPLES, intakeActor, tempProject } from '../../test/support/project.ts';
import { runCli } from '../../test/cli/run.ts';
import { copyStore, type CopyCounts } from './copy.ts';
import { openStore } from './open.ts';
import { dropSchema, freshSchema, schemaUrl } from './postgres/testing.ts';
import type { Store } from './port.ts';

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

/** A fresh PostgreSQL schema, dropped after the test. */
function newSchema(): string {
  const schema = freshSchema();
  cleanups.push(() => dropSchema(schema));
  return schema;
}

const KEYS: Record<keyof CopyCounts, { table: string; key: string[] }> = {
  flowVersions: { table: 'flow_versions', key: ['version'] },
  handoffs: { table: 'handoffs', key: ['id'] },
  eventBatches: { table: 'event_batches', key: ['handoff_id', 'seq'] },
  actions: { table: 'actions', key: ['handoff_id', 'id'] },
  approvals: { table: 'approvals', key: ['id'] },
  ledger: { table: 'ledger', key: ['handoff_id', 'seq'] },
  tasks: { table: 'tasks', key: ['id'] },
  inbox: { table: 'inbox', key: ['id'] },
  tokens: { table: 'tokens', key: ['id'] },
  checkpoints: { table: 'checkpoints', key: ['seq'] },
  outbox: { table: 'outbox', key: ['id'] },
  deliveries: { table: 'deliveries', key: ['outbox_id', 'channel', 'recipient'] },
  links: { table: 'links', key: ['hash'] },
  budgetDays: { table: 'budget_days', key: ['flow_id', 'day'] },
  budgetReservations: { table: 'budget_reservations', key: ['id'] },
};

/** A table's rows as plain objects, in key order (sorted here: the two databases collate differently). */
async function rowsOf(store: Store, table: string, key: string[]): Promise<Array<Record<string, unknown>>> {
  const rows = (await store.query<Record<string, unknown>>(`SELECT * FROM ${table}`)).map((r) => ({ ...r }));
  const k = (r: Record<string, unknown>) => JSON.stringify(key.map((c) => r[c]));
  return rows.sort((a, b) => (k(a) < k(b) ? -1 : k(a) > k(b) ? 1 : 0));
}

/**
 * A project on SQLite after a small day: routing, an approval, an accept and complete, a token,
 * and notices for email whose delivery failed once (its SMTP server is down): outbox,
 * deliveries and links hold rows too.
 */
async function populated() {
  const yaml = readFileSync(path.join(EXAMPLES, 'baton.yaml'), 'utf8');
  const p = tempProject({
    'baton.yaml': `${yaml}\nconnectors:\n  email: { smtp: "smtp://127.0.0.1:1", from: "Baton <b@example.com>" }\n`,
  });
  cleanups.push(p.cleanup);
  const db = path.join(p.dir, 'data', 'baton.db');
  const baton = await Baton.open({ dir: p.dir, storage: `sqlite:${db}`, worker: false });
  const ids: Record<string, string> = {};
  const send = async (key: string, input: Record<string, unknown>) => {
    ids[key] = (await baton.send('lead-to-owner', { id: key, ...input }, intakeActor)).id;
  };
  try {
    await send('L1', { company: 'Acme', email: 'jo@acme.com' });
    await send('L2', { company: 'Big', email: 'x@big.io', amount: 90000, submittedBy: 'kim' });
    await send('L3', { company: 'Small "Co" ☕', email: 's@small.io', amount: 100 });
    await send('L4', { company: 'None', email: 'n@none.io' });
    await baton.engine.drain();
    await baton.accept(ids.L1!, asUser('kim'));
    await baton.complete(ids.L1!, asUser('kim'));
    await baton.dispatcher!.drain(1);
    await baton.decide(ids.L2!, asUser('sam'), 'approve', 'standard terms');
    await baton.engine.drain();
    const token = await baton.createToken('kim', 'operator', {
      name: 'ci',
      scope: { flows: ['lead-to-owner'] },
      createdBy: 'dana',
    });
    // Budget rows as a model call leaves them: one reservation settled.
    const reservation = {
      id: `${ids.L3!}:1`,
      handoffId: ids.L3!,
      flow: 'lead-to-owner',
      day: '2026-11-26',
      model: 'openai:m',
      estimateUsd: 0.002,
      at: 1,
      caps: { perDayUsd: 1 },
    };
    await baton.store.reserveBudget(reservation);
    await baton.store.reserveBudget({ ...reservation, id: `${ids.L4!}:1`, handoffId: ids.L4! });
    await baton.store.settleBudget(reservation.id, {
      costUsd: 0.0012,
      inputTokens: 1000,
      outputTokens: 50,
      cachedTokens: 0,
      at: 2,
    });
    const views = Object.fromEntries(
      await Promise.all(Object.entries(ids).map(async ([k, id]) => [k, await baton.get(id)] as const)),
    );
    const audit = await verifyAudit(baton.store);
    const [row] = await baton.store.query<{ n: unknown }>('SELECT COUNT(*) AS n FROM event_batches');
    const batches = Number(row!.n);
    expect(batches).toBeLessThan(audit.checked);
    return { dir: p.dir, db, ids, views, token, audit, batches };
  } finally {
    await baton.close();
  }
}

describe('copyStore: SQLite to PostgreSQL', () => {
  it('copies every table, keeps the audit chain, the views and the tokens; refuses a second copy', async () => {
    const src = await populated();
    expect(src.audit.ok).toBe(true);
    expect(src.views.L2!.state).toBe('handed_off');
    const url = schemaUrl(newSchema());

    const calls: Array<[number, number]> = [];
    // Two rows a page: keyset paging over one- and two-column keys is exercised.
    const result = await copyStore(`sqlite:${src.db}`, url, (d, t) => calls.push([d, t]), { pageSize: 2 });

    const source = await openStore(`sqlite:${src.db}`);
    const target = await openStore(url);
    cleanups.push(
      () => source.close(),
      () => target.close(),
    );
    let total = 0;
    for (const [name, { table, key }] of Object.entries(KEYS) as Array<
      [keyof CopyCounts, (typeof KEYS)[keyof CopyCounts]]
    >) {
      const from = await rowsOf(source, table, key);
      expect(from.length, table).toBeGreaterThan(0);
      expect(result[name], table).toBe(from.length);
      // Byte for byte: event data, checkpoint heads, every other column.
      expect(await rowsOf(target, table, key), table).toEqual(from);
      total += from.length;
    }
    expect(calls[0]).toEqual([0, total]);
    expect(calls.at(-1)).toEqual([total, total]);

    expect(result.audit).toMatchObject({ ok: true, problems: [], checked: src.audit.checked });
    expect(result.audit.head).toEqual(src.audit.head);
    expect(result.sourceHead).toEqual(src.audit.head);
    const again = await verifyAudit(target);
    expect(again).toMatchObject({ ok: true, checked: src.audit.checked, checkpoints: src.audit.checkpoints });

    const baton = await Baton.open({ dir: src.dir, storage: url, worker: false });
    cleanups.push(() => baton.close());
    for (const [k, id] of Object.entries(src.ids)) expect(await baton.get(id), k).toEqual(src.views[k]);
    expect(await baton.authenticate(src.token.token)).toMatchObject({ user: 'kim', access: 'operator' });
    // The copy is a working store: the flow goes on where SQLite left it.
    await baton.accept(src.ids.L2!, asUser('kim'));
    expect((await verifyAudit(target)).ok).toBe(true);

    await expect(copyStore(`sqlite:${src.db}`, url)).rejects.toMatchObject({
      code: 'validation_failed',
      message: expect.stringMatching(/already holds data/),
      details: [{ path: 'to', message: expect.stringMatching(/^holds 4 handoffs, \d+ event batches, /) }],
    });
  });

  it('refuses a source that is not an existing SQLite file, and a target that is not PostgreSQL', async () => {
    const url = schemaUrl(newSchema());
    await expect(copyStore('sqlite:/nonexistent/baton.db', url)).rejects.toMatchObject({
      code: 'validation_failed',
      details: [{ path: 'from' }],
    });
    await expect(copyStore(url, url)).rejects.toMatchObject({ details: [{ path: 'from' }] });
    const other = tempProject();
    cleanups.push(other.cleanup);
    const notDb = path.join(other.dir, 'baton.yaml');
    await expect(copyStore(`sqlite:${notDb}`, url)).rejects.toMatchObject({
      message: expect.stringContaining('is not a Baton SQLite store'),
      details: [{ path: 'from' }],
    });
    const src = await populated();
    await expect(copyStore(`sqlite:${src.db}`, `sqlite:${src.db}`)).rejects.toMatchObject({
      details: [{ path: 'to' }],
    });
    await expect(copyStore(`sqlite:${src.db}`, `${url.split('?')[0]}?schema=no-dash`)).rejects.toMatchObject({
      code: 'validation_failed',
      message: expect.stringContaining('"no-dash" is not a valid schema name'),
      details: [{ path: 'to' }],
    });
  });
});

describe('baton migrate --from --to', () => {
  it('copies a project store, prints the counts and the audit; a second run exits 2', async () => {
    const src = await populated();
    const schema = newSchema();
    const url = schemaUrl(schema);
    const env = { ...process.env };
    for (const k of ['BATON_URL', 'BATON_TOKEN', 'BATON_PROJECT', 'BATON_DATABASE_URL']) delete env[k];
    const cli = (args: string[]) => runCli(args, { cwd: src.dir, env });

    // A relative path, from the working directory.
    const ok = await cli(['migrate', '--from', 'sqlite:./data/baton.db', '--to', url, '--project', src.dir]);
    expect(ok.stderr).not.toMatch(/baton:/);
    expect(ok.code).toBe(0);
    expect(ok.stdout).toMatch(/^handoffs +4$/m);
    expect(ok.stdout).toMatch(new RegExp(`^event batches +${src.batches}$`, 'm'));
    expect(ok.stdout).toContain(
      `audit ok on the target: ${src.audit.checked} events in 4 handoffs, ${src.audit.checkpoints} checkpoints`,
    );
    expect(ok.stdout).toContain(`head: checkpoint ${src.audit.head!.seq} ${src.audit.head!.hash}`);

    const refused = await cli(['migrate', '--from', 'sqlite:./data/baton.db', '--to', url]);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toMatch(/^baton: the target .* already holds data/m);
    expect(refused.stderr).toMatch(/^ {2}to: holds 4 handoffs, \d+ event batches, /m);

    const other = schemaUrl(newSchema());
    const json = await cli(['migrate', '--from', `sqlite:${src.db}`, '--to', other, '--json']);
    expect(json.code).toBe(0);
    const counts = JSON.parse(json.stdout) as CopyCounts & { audit: { ok: boolean; checked: number } };
    expect(counts).toMatchObject({ handoffs: 4, eventBatches: src.batches, tokens: 1, approvals: 1 });
    expect(counts.audit).toMatchObject({ ok: true, checked: src.audit.checked });

    const half = await cli(['migrate', '--from', 'sqlite:./data/baton.db']);
    expect(half.code).toBe(2);
    expect(half.stderr).toContain('--to is required with --from');
    const missing = await cli(['migrate', '--from', 'sqlite:./nope.db', '--to', other]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain('there is no SQLite store at');
  });
});
