import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventHash } from '../core/hash-chain.ts';
import type { SqliteStore } from '../store/sqlite/store.ts';
import { runScenario, type Scenario } from '../metrics/scenario.fixture.ts';
import { exportAudit, type ExportedEvent } from './export.ts';
import { editEvent } from '../../test/support/tamper.ts';

let s: Scenario;
let lines: string[];
let count: number;
beforeAll(async () => {
  s = await runScenario();
  lines = [];
  count = await exportAudit(s.baton.store, (line) => {
    lines.push(line);
  });
});
afterAll(async () => {
  await s?.close();
});

describe('audit export', () => {
  it('writes every event once, one JSON object a line, ordered by handoff then seq', async () => {
    const total = await s.baton.store.query('SELECT COUNT(*) AS n FROM events');
    expect(lines.length).toBe(total[0]!.n);
    expect(count).toBe(lines.length);
    const events = lines.map((l) => JSON.parse(l) as ExportedEvent);
    expect(lines.every((l) => !l.includes('\n'))).toBe(true);
    const keys = events.map((e) => [e.handoffId, e.seq] as const);
    const sorted = [...keys].sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : a[1] - b[1]));
    expect(keys).toEqual(sorted);
    expect(new Set(events.map((e) => e.handoffId)).size).toBe(12);
  });

  it('carries time, actor, data and the hashes that chain it', async () => {
    const l1 = s.ids.L1!;
    const mine = lines.map((l) => JSON.parse(l) as ExportedEvent).filter((e) => e.handoffId === l1);
    expect(mine.map((e) => e.type)).toEqual([
      'received',
      'context_built',
      'decided',
      'action_succeeded',
      'action_succeeded',
      'handed_off',
      'accepted',
      'completed',
    ]);
    expect(mine[0]).toMatchObject({
      handoffId: l1,
      seq: 1,
      type: 'received',
      actor: { kind: 'system', id: 'test', via: 'test' },
      data: { idempotencyKey: 'L1' },
      prevHash: '0'.repeat(64),
    });
    expect(mine[0]!.at).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
    expect(mine[6]).toMatchObject({ type: 'accepted', actor: { kind: 'user', id: 'kim', via: 'test' } });
    expect(mine[2]!.actor).toEqual({ kind: 'engine', id: 'lead-to-owner' });
    // Each line links to the one before it and can be re-hashed from what it carries.
    for (let i = 1; i < mine.length; i++) expect(mine[i]!.prevHash).toBe(mine[i - 1]!.hash);
    for (const e of mine) {
      const hash = eventHash(e.prevHash, {
        handoffId: e.handoffId,
        seq: e.seq,
        at: Date.parse(e.at),
        type: e.type,
        actorKind: e.actor.kind,
        actorId: e.actor.id,
        via: e.actor.via ?? null,
        data: JSON.stringify(e.data),
      });
      expect(hash).toBe(e.hash);
    }
  });

  it('exports one handoff, waits for an asynchronous writer, and refuses an unknown handoff', async () => {
    const got: string[] = [];
    const n = await exportAudit(
      s.baton.store,
      async (line) => {
        await new Promise((r) => setTimeout(r, 1));
        got.push(line);
      },
      { handoffId: s.ids.L3! },
    );
    expect(n).toBe(got.length);
    expect(got.map((l) => (JSON.parse(l) as ExportedEvent).handoffId)).toEqual(Array(n).fill(s.ids.L3));
    expect(got.map((l) => (JSON.parse(l) as ExportedEvent).type)).toContain('reassigned');
    await expect(exportAudit(s.baton.store, () => {}, { handoffId: 'h_nope' })).rejects.toMatchObject({
      code: 'not_found',
      message: 'handoff h_nope does not exist',
    });
  });

  it('keeps an event whose data no longer parses, as text', async () => {
    const store = s.baton.store as SqliteStore;
    const id = s.ids.L6!;
    await editEvent({ rows: (sql) => store.query(sql), exec: (sql) => store.unsafeExec(sql) }, id, 2, () => ({
      data: '{broken',
    }));
    const got: string[] = [];
    await exportAudit(store, (l) => void got.push(l), { handoffId: id });
    expect((JSON.parse(got[1]!) as ExportedEvent).data).toBe('{broken');
  });
});
