// Two workers on PostgreSQL (two `baton worker` processes on one fresh schema) and a 1-second
// cron for a minute: every slot in the window fires exactly once. The handoffs' keys are the
// slots, so a slot fired twice would still be one handoff: the trigger's fire count (one per
// delivery) proves that no slot was delivered twice, not only that the keys held.
import { afterAll, describe, expect, it } from 'vitest';
import { appendFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { tempProject } from '../support/project.ts';
import { kill, startWorker, type ServerProcess } from '../support/server.ts';
import { tickFlow } from '../support/schedule-flows.ts';
import { dropSchema, freshSchema, schemaUrl } from '../../src/store/postgres/testing.ts';
import { openStore } from '../../src/store/open.ts';

const schema = freshSchema();
const env = { BATON_DATABASE_URL: schemaUrl(schema) };
const project = tempProject();
const workers: ServerProcess[] = [];
const RUN_MS = 60_000;

afterAll(async () => {
  for (const w of workers) await kill(w);
  await dropSchema(schema);
  project.cleanup();
});

describe('schedules on PostgreSQL with two workers', () => {
  it('a 1-second cron for a minute: each slot fired once, no gaps, no duplicates', async () => {
    writeFileSync(path.join(project.dir, 'flows', 'tick.yaml'), tickFlow('tick', '* * * * * *', 'all'));
    appendFileSync(path.join(project.dir, 'baton.yaml'), '\nworker: { leaseMs: 10000, pollMs: 200 }\n');
    workers.push(await startWorker(project.dir, env));
    workers.push(await startWorker(project.dir, env));
    const started = Date.now();
    await new Promise((r) => setTimeout(r, RUN_MS));
    await Promise.all(workers.map((w) => kill(w, 'SIGTERM')));
    const stopped = Date.now();

    const store = await openStore(schemaUrl(schema), { create: false });
    try {
      const rows = await store.query<{ idem_key: string }>(
        "SELECT idem_key FROM handoffs WHERE flow_id = 'tick' ORDER BY idem_key",
      );
      const slots = rows.map((r) => Date.parse(r.idem_key.replace(/^schedule:/, '')));
      expect(slots.every((s) => s % 1000 === 0 && s > started - 1000 && s <= stopped)).toBe(true);
      // A minute of slots, less the workers' start-up (both started within a few seconds).
      expect(slots.length).toBeGreaterThanOrEqual(RUN_MS / 1000 - 10);
      const span = (slots.at(-1)! - slots[0]!) / 1000 + 1;
      expect(slots.length).toBe(span); // no gaps
      expect(new Set(slots).size).toBe(slots.length); // no duplicate handoffs
      const [fire] = await store.intake.fires('tick');
      expect(fire).toMatchObject({ trigger: 'schedule', failed: 0 });
      expect(fire!.fired).toBe(slots.length); // one delivery per slot: none fired twice
      expect(await store.intake.failures({ flow: 'tick' })).toEqual([]);
    } finally {
      await store.close();
    }
  }, 120_000);
});
