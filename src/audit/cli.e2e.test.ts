// What a user meets: `baton report` and `baton audit verify` as commands, on a store that a
// person then tampers with behind Baton's back.
import { DatabaseSync } from 'node:sqlite';
import { describe, expect, it } from 'vitest';
import { fresh } from '../../test/cli/run.ts';
import type { MetricsSummary } from '../metrics/summary.ts';
import { editEvent } from '../../test/support/tamper.ts';

const lead = (id: string, email: string) => JSON.stringify({ id, company: 'Co', email });

describe('baton report and baton audit verify', () => {
  it('report shows the rework people caused; verify fails once the file is edited', async ({
    onTestFinished,
  }) => {
    const p = fresh(onTestFinished);
    const { id: a } = await p.json<{ id: string }>(['send', 'lead-to-owner', lead('A', 'jo@acme.com')]);
    const { id: b } = await p.json<{ id: string }>(['send', 'lead-to-owner', lead('B', 'al@globex.com')]);
    expect((await p.run(['accept', a, '--as', 'kim'])).code).toBe(0);
    expect((await p.run(['complete', a, '--as', 'kim'])).code).toBe(0);
    expect((await p.run(['decline', b, '--reason', 'wrong_owner', '--as', 'lee'])).code).toBe(0);

    const summary = await p.json<MetricsSummary>(['report', '--flow', 'lead-to-owner']);
    expect(summary.totals).toMatchObject({
      handoffs: 2,
      states: { completed: 1, returned: 1 },
      rework: { declined: 1, total: 1, handoffs: 1, rate: 0.5 },
    });
    expect(summary.rework.byReason).toEqual([
      { flow: 'lead-to-owner', reason: 'wrong_owner', returned: 0, declined: 1, total: 1 },
    ]);
    const report = await p.run(['report']);
    expect(report.code).toBe(0);
    expect(report.stdout).toMatch(
      /Rework by return reason\n +FLOW +REASON .*\n +lead-to-owner +wrong_owner +1 +0 +1\n/,
    );

    const ok = await p.run(['audit', 'verify']);
    expect(ok.code).toBe(0);

    const db = new DatabaseSync(p.db);
    const completed = db
      .prepare(`SELECT seq FROM events WHERE handoff_id = ? AND type = 'completed'`)
      .get(a) as { seq: number };
    await editEvent(
      { rows: (sql) => db.prepare(sql).all(), exec: (sql) => db.exec(sql) },
      a,
      completed.seq,
      () => ({ actorId: 'mallory' }),
    );
    db.close();
    const bad = await p.run(['audit', 'verify']);
    expect(bad.code).toBe(1);
    expect(bad.stdout + bad.stderr).toContain(a);
    expect(bad.stdout + bad.stderr).toMatch(/the completed event was edited/);
    const json = await p.run(['audit', 'verify', '--json']);
    const result = JSON.parse(json.stdout) as { ok: boolean; problems: Array<{ handoffId?: string }> };
    expect(result.ok).toBe(false);
    expect(result.problems.map((x) => x.handoffId)).toEqual([a]);
  });
});
