// A worker killed mid-sweep loses no row and duplicates none: `baton worker` sweeps 500 rows of a
// SQL source (a SQLite file) into handoffs, is SIGKILLed while the sweep is under way, and is
// started again. The schedule was never moved on, so once the dead worker's lease ends the slot
// is claimed again and the sweep runs again; rows already delivered find their handoffs (keyed by
// the row's id). Every row ends with exactly one handoff.
import { afterAll, describe, expect, it } from 'vitest';
import { appendFileSync, writeFileSync } from 'node:fs';
import { DatabaseSync } from 'node:sqlite';
import path from 'node:path';
import { tempProject } from '../support/project.ts';
import { kill, startWorker, type ServerProcess } from '../support/server.ts';
import { sqlConnector, sweepFlow } from '../support/schedule-flows.ts';

const ROWS = 500;
const project = tempProject();
let worker: ServerProcess | undefined;

afterAll(async () => {
  if (worker) await kill(worker);
  project.cleanup();
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Reads the worker's store from outside, as another process would (WAL lets it). */
function handoffKeys(db: string): string[] {
  let store: DatabaseSync;
  try {
    store = new DatabaseSync(db, { readOnly: true });
  } catch {
    return [];
  }
  try {
    return (
      store.prepare("SELECT idem_key FROM handoffs WHERE flow_id = 'sweep'").all() as Array<{
        idem_key: string;
      }>
    ).map((r) => r.idem_key);
  } catch {
    return []; // not migrated yet
  } finally {
    store.close();
  }
}

describe('a worker killed mid-sweep', () => {
  it('loses no row and duplicates none', async () => {
    const erpFile = path.join(project.dir, 'erp.db');
    const erp = new DatabaseSync(erpFile);
    erp.exec(
      'CREATE TABLE items (id INTEGER PRIMARY KEY, title TEXT, amount INTEGER, done INTEGER DEFAULT 0)',
    );
    const insert = erp.prepare('INSERT INTO items (id, title, amount) VALUES (?, ?, ?)');
    for (let i = 1; i <= ROWS; i++) insert.run(i, `Item ${i}`, i);
    erp.close();
    writeFileSync(
      path.join(project.dir, 'flows', 'sweep.yaml'),
      sweepFlow('sweep', '*/2 * * * * *', 'erp.open_items'),
    );
    appendFileSync(
      path.join(project.dir, 'baton.yaml'),
      `\nworker: { leaseMs: 1500, pollMs: 100 }\n${sqlConnector(erpFile)}`,
    );
    const store = path.join(project.dir, 'data', 'baton.db');

    worker = await startWorker(project.dir);
    let atKill = 0;
    for (let i = 0; i < 2000; i++) {
      atKill = handoffKeys(store).length;
      if (atKill >= 20) break;
      await sleep(5);
    }
    await kill(worker);
    atKill = handoffKeys(store).length;
    expect(atKill, worker.output()).toBeGreaterThan(0);
    expect(atKill, 'killed after the sweep had finished: nothing to prove').toBeLessThan(ROWS);

    worker = await startWorker(project.dir);
    let keys: string[] = [];
    for (let i = 0; i < 600 && keys.length < ROWS; i++) {
      await sleep(50);
      keys = handoffKeys(store);
    }
    // A few more slots: the same rows again start nothing new.
    await sleep(4500);
    await kill(worker, 'SIGTERM');
    keys = handoffKeys(store);
    expect(keys).toHaveLength(ROWS);
    expect(new Set(keys)).toEqual(new Set(Array.from({ length: ROWS }, (_, i) => `schedule:${i + 1}`)));
    const failures = new DatabaseSync(store, { readOnly: true });
    try {
      expect(
        failures.prepare("SELECT COUNT(*) AS n FROM intake_failures WHERE flow = 'sweep'").get(),
      ).toEqual({ n: 0 });
    } finally {
      failures.close();
    }
  }, 90_000);
});
