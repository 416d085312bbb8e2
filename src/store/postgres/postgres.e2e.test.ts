// Baton on PostgreSQL end to end: the engine drains real flows, the metrics and the audit read
// the same database, and both agree with the same day run on SQLite.
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { Baton } from '../../service/baton.ts';
import { asUser, intakeActor, tempProject } from '../../../test/support/project.ts';
import { metricsSummary } from '../../metrics/summary.ts';
import { verifyAudit } from '../../audit/verify.ts';
import { openStore } from '../open.ts';
import { dropSchema, freshSchema, schemaUrl } from './testing.ts';
import type { PostgresStore } from './store.ts';
import { editEvent } from '../../../test/support/tamper.ts';

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function open(
  kind: 'sqlite' | 'postgres',
  options: { schema?: string; worker?: boolean } = {},
): Promise<Baton> {
  const p = tempProject();
  cleanups.push(p.cleanup);
  const schema = options.schema ?? freshSchema();
  if (kind === 'postgres' && !options.schema) cleanups.push(() => dropSchema(schema));
  const storage = kind === 'postgres' ? schemaUrl(schema) : `sqlite:${path.join(p.dir, 'data', 'baton.db')}`;
  const baton = await Baton.open({ dir: p.dir, storage, worker: options.worker ?? false, pollMs: 20 });
  cleanups.push(() => baton.close());
  if (options.worker) baton.startWorker();
  return baton;
}

/** A small day: routing, an approval, a decline, an acceptance and a completion. */
async function day(baton: Baton): Promise<Record<string, string>> {
  const ids: Record<string, string> = {};
  const send = async (key: string, input: Record<string, unknown>) => {
    ids[key] = (await baton.send('lead-to-owner', { id: key, ...input }, intakeActor)).id;
  };
  await send('L1', { company: 'Acme', email: 'jo@acme.com' });
  await send('L2', { company: 'Big', email: 'x@big.io', amount: 90000, submittedBy: 'kim' });
  await send('L3', { company: 'Small', email: 's@small.io', amount: 100 });
  await send('L4', { company: 'None', email: 'n@none.io' });
  await baton.engine.drain();
  await baton.accept(ids.L1!, asUser('kim'));
  await baton.complete(ids.L1!, asUser('kim'));
  await baton.decide(ids.L2!, asUser('sam'), 'approve');
  await baton.decline(ids.L3!, asUser('lee'), 'wrong_owner', 'not mine');
  await baton.engine.drain();
  return ids;
}

/** The summary without what depends on the clock. */
function stable(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(stable);
  if (v && typeof v === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v)) {
      if (/seconds|latency|age|generatedAt|time/i.test(k)) continue;
      out[k] = stable(x);
    }
    return out;
  }
  return v;
}

describe('Baton on PostgreSQL', () => {
  it('opens postgres:// storage in its own schema and drains lead-to-owner to handed_off', async () => {
    const baton = await open('postgres');
    expect(baton.store.kind).toBe('postgres');
    expect((baton.store as PostgresStore).schema).toMatch(/^baton_t_/);
    const r = await baton.send(
      'lead-to-owner',
      { id: 'L1', company: 'Acme', email: 'jo@acme.com' },
      intakeActor,
    );
    expect(r.created).toBe(true);
    await baton.engine.drain();
    const h = await baton.get(r.id);
    expect(h.state).toBe('handed_off');
    expect(h.owner).toBe('user:kim');
    expect(h.actions.map((a) => [a.id, a.state])).toEqual([
      ['task', 'succeeded'],
      ['tell', 'succeeded'],
    ]);
    expect((await baton.tasks('kim')).map((t) => t.title)).toEqual(['Call Acme']);
    const again = await baton.send(
      'lead-to-owner',
      { id: 'L1', company: 'Acme', email: 'jo@acme.com' },
      intakeActor,
    );
    expect(again).toEqual({ id: r.id, state: 'handed_off', created: false });
  });

  it('reports the same metrics as SQLite for the same day, and the audit verifies', async () => {
    const pg = await open('postgres');
    const lite = await open('sqlite');
    const ids = await day(pg);
    await day(lite);
    expect((await pg.get(ids.L1!)).state).toBe('completed');
    expect((await pg.get(ids.L2!)).state).not.toBe('awaiting_approval');

    const onPg = await metricsSummary(pg.store, {});
    const onLite = await metricsSummary(lite.store, {});
    expect(onPg.totals.handoffs).toBe(4);
    expect(stable(onPg)).toEqual(stable(onLite));
    expect(stable(await metricsSummary(pg.store, { flow: 'lead-to-owner', since: 0 }))).toEqual(
      stable(await metricsSummary(lite.store, { flow: 'lead-to-owner', since: 0 })),
    );

    const audit = await verifyAudit(pg.store);
    expect(audit.problems).toEqual([]);
    expect(audit.ok).toBe(true);
    expect(audit.handoffs).toBe(4);
    expect(audit.checked).toBe((await verifyAudit(lite.store)).checked);
  });

  it('finds a rewritten event on PostgreSQL', async () => {
    const pg = await open('postgres');
    const ids = await day(pg);
    const store = pg.store as PostgresStore;
    await editEvent(
      { rows: (sql) => store.query(sql), exec: (sql) => store.unsafeExec(sql) },
      ids.L1!,
      1,
      () => ({
        data: '{"tampered":true}',
      }),
    );
    const audit = await verifyAudit(pg.store);
    expect(audit.ok).toBe(false);
    expect(audit.problems.some((p) => p.handoffId === ids.L1)).toBe(true);
  });

  it('shares the work between two running workers on one database, each handoff once', async () => {
    const schema = freshSchema();
    cleanups.push(() => dropSchema(schema));
    // Intake in one process; two running workers elsewhere claim the work.
    const intake = await open('postgres', { schema });
    const a = await open('postgres', { schema, worker: true });
    const b = await open('postgres', { schema, worker: true });
    const ids = await Promise.all(
      Array.from({ length: 40 }, (_, i) =>
        intake.send('lead-to-owner', { id: `W${i}`, company: 'Acme', email: 'jo@acme.com' }, intakeActor),
      ),
    );
    const deadline = Date.now() + 15_000;
    for (;;) {
      const rows = await a.store.query<{ n: number }>('SELECT COUNT(*) AS n FROM handoffs WHERE state = ?', [
        'handed_off',
      ]);
      if (rows[0]!.n === 40 || Date.now() > deadline) break;
      await new Promise((r) => setTimeout(r, 25));
    }
    for (const { id } of ids) expect((await b.get(id)).state).toBe('handed_off');
    // Each action ran once: one task per handoff, whichever worker ran it.
    expect(await a.tasks('kim')).toHaveLength(40);
    for (const { id } of ids) {
      const types = (await a.store.events(id)).map((e) => e.type);
      expect(types.filter((t) => t === 'handed_off')).toHaveLength(1);
    }
    expect((await verifyAudit(a.store)).ok).toBe(true);
  });

  it('rejects a bad schema name in the URL, naming the field', async () => {
    await expect(openStore('postgres://postgres@127.0.0.1:5432/test?schema=bad-name')).rejects.toMatchObject({
      code: 'project_invalid',
      details: [{ path: 'storage.schema' }],
    });
  });

  it('says which server it could not reach', async () => {
    await expect(openStore('postgres://postgres@127.0.0.1:1/test?schema=x')).rejects.toMatchObject({
      code: 'store_error',
      message: /cannot open PostgreSQL store/,
    });
  });
});
