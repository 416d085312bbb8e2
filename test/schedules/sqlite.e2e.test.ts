// Schedules on SQLite, in process: a per-second schedule fires every second with one handoff per
// slot; after a downtime each `missed:` policy fires what it says; a sweep over a SQL source
// starts one handoff per row (keyed by the row, so the next slot finds the same handoffs), keeps
// a row that fails the map in the dead-letter list and goes on; a source that fails is retried
// and recorded, never skipped; a reload with a new cron starts the schedule over.
import { DatabaseSync } from 'node:sqlite';
import { writeFileSync, appendFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { Baton } from '../../src/service/baton.ts';
import { ScheduleRunner } from '../../src/intake/schedule/runner.ts';
import { tempProject } from '../support/project.ts';
import { sqlConnector, sweepFlow, tickFlow } from '../support/schedule-flows.ts';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const open: Array<{ close(): Promise<void> }> = [];
afterEach(async () => {
  while (open.length) await open.pop()!.close();
});

async function project(flows: Record<string, string>, yaml = '', options: { worker?: boolean } = {}) {
  const p = tempProject(
    Object.fromEntries(Object.entries(flows).map(([id, text]) => [`flows/${id}.yaml`, text])),
  );
  appendFileSync(path.join(p.dir, 'baton.yaml'), `\nworker: { leaseMs: 5000, pollMs: 50 }\n${yaml}`);
  const baton = await Baton.open({
    dir: p.dir,
    storage: `sqlite:${path.join(p.dir, 'data', 'baton.db')}`,
    worker: options.worker ?? false,
    scheduleBackoffMs: 100,
  });
  open.push({
    async close() {
      await baton.close();
      p.cleanup();
    },
  });
  return { baton, dir: p.dir };
}

const keysOf = async (baton: Baton, flow: string): Promise<string[]> =>
  (
    await baton.store.query<{ idem_key: string }>(
      'SELECT idem_key FROM handoffs WHERE flow_id = ? ORDER BY idem_key',
      [flow],
    )
  ).map((r) => r.idem_key);

/** A runner on the project's store with a clock of the test's own (a downtime is a jump). */
function runnerAt(baton: Baton, clock: { now: number }): ScheduleRunner {
  return new ScheduleRunner({
    store: baton.store,
    registry: baton.registry,
    flows: baton.project.flows,
    deliver: (d) => baton.deliver({ ...d, receivedAt: clock.now }),
    workerId: 'test-runner',
    backoffMs: 1000,
    now: () => clock.now,
  });
}

describe('schedules on SQLite', () => {
  it('a per-second schedule fires every second: one handoff per slot, keyed by the slot', async () => {
    const { baton } = await project({ tick: tickFlow('tick', '* * * * * *') }, '', { worker: true });
    const started = Date.now();
    baton.startWorker();
    await sleep(4200);
    await baton.engine.stop(); // the worker and its schedules stop; the store stays open
    const ended = Date.now();
    const keys = await keysOf(baton, 'tick');
    const slots = keys.map((k) => Date.parse(k.replace(/^schedule:/, '')));
    expect(keys.every((k) => /^schedule:\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.000Z$/.test(k))).toBe(true);
    // Every second between the first slot after start and the stop fired, each once, no gaps.
    expect(slots.length).toBeGreaterThanOrEqual(3);
    expect(new Set(slots).size).toBe(slots.length);
    for (let i = 1; i < slots.length; i++) expect(slots[i]! - slots[i - 1]!).toBe(1000);
    expect(slots[0]!).toBeGreaterThan(started);
    expect(slots[0]! - started).toBeLessThanOrEqual(2000);
    expect(slots.at(-1)!).toBeLessThanOrEqual(ended);
  }, 30_000);

  it('after a downtime: last fires the newest slot, all each one, skip none', async () => {
    const { baton } = await project({
      last: tickFlow('last', '*/10 * * * * *', 'last'),
      all: tickFlow('all', '*/10 * * * * *', 'all'),
      skip: tickFlow('skip', '*/10 * * * * *', 'skip'),
    });
    const t0 = Date.parse('2026-05-01T10:00:05Z');
    const clock = { now: t0 };
    const runner = runnerAt(baton, clock);
    await runner.ensure();
    expect((await baton.store.intake.schedule('all'))!.nextAt).toBe(Date.parse('2026-05-01T10:00:10Z'));
    // On time: each fires its slot.
    clock.now = Date.parse('2026-05-01T10:00:10.300Z');
    expect(await runner.runDue()).toBe(3);
    // Down from 10:00:10.3 until 10:01:03: slots 10:00:20 … 10:01:00 (five) were missed.
    clock.now = Date.parse('2026-05-01T10:01:03Z');
    expect(await runner.runDue()).toBe(3);
    const at = (s: string) => `schedule:2026-05-01T10:${s}.000Z`;
    expect(await keysOf(baton, 'last')).toEqual([at('00:10'), at('01:00')]);
    expect(await keysOf(baton, 'all')).toEqual(
      ['00:10', '00:20', '00:30', '00:40', '00:50', '01:00'].map(at),
    );
    // 10:01:00 is 3 s late, within half its 10 s period: it is due now; the four before were missed.
    expect(await keysOf(baton, 'skip')).toEqual([at('00:10'), at('01:00')]);
    // Down again, until 7 s after 10:01:20: skip fires nothing, and every schedule moves on.
    clock.now = Date.parse('2026-05-01T10:01:27Z');
    await runner.runDue();
    expect(await keysOf(baton, 'skip')).toEqual([at('00:10'), at('01:00')]);
    expect(await keysOf(baton, 'last')).toEqual([at('00:10'), at('01:00'), at('01:20')]);
    for (const f of ['last', 'all', 'skip'])
      expect(await baton.store.intake.schedule(f)).toMatchObject({
        nextAt: Date.parse('2026-05-01T10:01:30Z'),
      });
    // A slot runs once: the same time again finds nothing due.
    expect(await runner.runDue()).toBe(0);
  });

  it('a sweep starts one handoff per row, keyed by the row; a row that fails the map is kept, the rest go on', async () => {
    const db = path.join(await tmp(), 'erp.db');
    const erp = new DatabaseSync(db);
    erp.exec(
      'CREATE TABLE items (id INTEGER PRIMARY KEY, title TEXT, amount INTEGER, done INTEGER DEFAULT 0)',
    );
    const insert = erp.prepare('INSERT INTO items (id, title, amount) VALUES (?, ?, ?)');
    for (let i = 1; i <= 50; i++) insert.run(i, i === 7 ? null : `Item ${i}`, i === 9 ? -5 : i * 10);
    const { baton } = await project(
      { sweep: sweepFlow('sweep', '0 * * * * *', 'erp.open_items') },
      sqlConnector(db),
    );
    const clock = { now: Date.parse('2026-05-01T10:00:30Z') };
    const runner = runnerAt(baton, clock);
    await runner.ensure();
    clock.now = Date.parse('2026-05-01T10:01:00.200Z');
    await runner.runDue();
    const keys = await keysOf(baton, 'sweep');
    expect(keys).toHaveLength(48);
    expect(keys).toContain('schedule:1');
    expect(keys).not.toContain('schedule:7');
    const failures = await baton.intakeFailures({ flow: 'sweep' });
    expect(failures.map((f) => [f.key, f.reason]).sort((a, b) => a[0]!.localeCompare(b[0]!))).toEqual([
      ['7', 'invalid_input'],
      ['9', 'invalid_input'],
    ]);
    expect(JSON.parse(failures.find((f) => f.key === '9')!.payload.body)).toEqual({
      slot: { at: '2026-05-01T10:01:00.000Z', cron: '0 * * * * *', timezone: 'UTC' },
      row: { id: 9, title: 'Item 9', amount: -5 },
    });
    // The next slot finds the same rows (and two new ones): only the new ones start handoffs.
    insert.run(51, 'Item 51', 510);
    insert.run(52, 'Item 52', 520);
    clock.now = Date.parse('2026-05-01T10:02:00.100Z');
    await runner.runDue();
    expect(await keysOf(baton, 'sweep')).toHaveLength(50);
    const [fire] = await baton.store.intake.fires('sweep');
    expect(fire).toMatchObject({ trigger: 'schedule', fired: 48 + 50, failed: 2 + 2 });
    erp.close();
  });

  it('a source that fails: the slot is retried with backoff and recorded, never skipped', async () => {
    const dir = await tmp();
    const db = path.join(dir, 'erp.db');
    const { baton } = await project(
      { sweep: sweepFlow('sweep', '0 * * * * *', 'erp.open_items') },
      sqlConnector(db),
    );
    const clock = { now: Date.parse('2026-05-01T10:00:30Z') };
    const runner = runnerAt(baton, clock);
    await runner.ensure();
    clock.now = Date.parse('2026-05-01T10:01:00.200Z');
    await runner.runDue(); // no table yet: the lookup fails
    expect(await baton.store.intake.fires('sweep')).toMatchObject([
      { lastOutcome: 'source_failed', failed: 1, fired: 0 },
    ]);
    const row = (await baton.store.intake.schedule('sweep'))!;
    expect(row.nextAt).toBe(Date.parse('2026-05-01T10:01:00Z')); // not moved on
    expect(row.leaseUntil).toBe(clock.now + 1000); // the first backoff
    clock.now += 500;
    expect(await runner.runDue()).toBe(0); // still backing off
    clock.now += 600;
    await runner.runDue();
    expect((await baton.store.intake.schedule('sweep'))!.leaseUntil).toBe(clock.now + 2000); // doubled
    const erp = new DatabaseSync(db);
    erp.exec(
      'CREATE TABLE items (id INTEGER PRIMARY KEY, title TEXT, amount INTEGER, done INTEGER DEFAULT 0)',
    );
    erp.exec("INSERT INTO items (id, title, amount) VALUES (1, 'One', 1)");
    erp.close();
    clock.now += 2100;
    await runner.runDue();
    expect(await keysOf(baton, 'sweep')).toEqual(['schedule:1']);
    expect(await baton.store.intake.schedule('sweep')).toMatchObject({
      nextAt: Date.parse('2026-05-01T10:02:00Z'),
      lastSlotAt: Date.parse('2026-05-01T10:01:00Z'),
    });
  });

  it('a reload with a new cron starts the schedule over; a flow without one drops it', async () => {
    const { baton, dir } = await project({ tick: tickFlow('tick', '0 0 * * * *') }, '', { worker: true });
    baton.startWorker();
    await until(async () => (await baton.store.intake.schedule('tick')) !== undefined);
    writeFileSync(path.join(dir, 'flows', 'tick.yaml'), tickFlow('tick', '* * * * * *'));
    const r = await baton.reloadFlows();
    expect(r.flows.find((f) => f.id === 'tick')).toMatchObject({ change: 'updated' });
    expect(await baton.store.intake.schedule('tick')).toMatchObject({ spec: '* * * * * * UTC' });
    await until(async () => (await keysOf(baton, 'tick')).length >= 2, 5000);
    rmSync(path.join(dir, 'flows', 'tick.yaml'));
    await baton.reloadFlows();
    expect(await baton.store.intake.schedule('tick')).toBeUndefined();
  }, 20_000);
});

async function until(check: () => Promise<boolean>, ms = 3000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > end) throw new Error('timed out');
    await sleep(25);
  }
}

async function tmp(): Promise<string> {
  const p = tempProject();
  open.push({ close: async () => p.cleanup() });
  return p.dir;
}
