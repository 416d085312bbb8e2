// The model decision layer on PostgreSQL: two engines (as two worker processes would) decide a
// burst of handoffs at once against one flow's daily cap; the cap holds.
import { afterAll, describe, expect, it } from 'vitest';
import { scriptedDecider } from '../src/decide/scripted.ts';
import { utcDay } from '../src/decide/cost.ts';
import { dropSchema, freshSchema, schemaUrl } from '../src/store/postgres/testing.ts';
import { answer, openLlm, ticket, TRIAGE_FLOW } from './support/llm-project.ts';
import { intakeActor } from './support/project.ts';

const schema = freshSchema();
afterAll(() => dropSchema(schema));

describe('budgets on PostgreSQL', () => {
  it('a concurrent burst from two engines cannot overspend the daily cap', async () => {
    const capped = TRIAGE_FLOW.replace('perDay: 1', 'perDay: 0.03');
    const script = () => ({ object: answer(), delayMs: 5, usage: { inputTokens: 1000, outputTokens: 100 } });
    const a = await openLlm({ decider: scriptedDecider(script), storage: schemaUrl(schema) }, capped);
    const b = await openLlm({ decider: scriptedDecider(script), storage: schemaUrl(schema) }, capped);
    try {
      const ids: string[] = [];
      for (let i = 0; i < 40; i++)
        ids.push((await a.baton.send('triage', ticket({ id: `T-${i}` }), intakeActor)).id);
      await Promise.all([a.baton.engine.drain(), b.baton.engine.drain()]);
      const views = await Promise.all(ids.map((id) => a.baton.get(id)));
      const decided = views.filter((v) => v.decision?.by === 'llm').length;
      const refused = views.filter((v) =>
        v.events.some((e) => e.type === 'escalated' && e.data.reason === 'cost_cap'),
      );
      expect(decided + refused.length).toBe(40);
      expect(decided).toBeGreaterThan(0);
      expect(refused.length).toBeGreaterThan(0);
      const day = await a.baton.store.budgetDay('triage', utcDay(Date.now()));
      expect(day.spentUsd + day.reservedUsd).toBeLessThanOrEqual(0.03 + 1e-9);
      expect(day.calls).toBe(decided);
      const total = views.reduce((s, v) => s + v.costUsd, 0);
      expect(total).toBeCloseTo(day.spentUsd, 9);
    } finally {
      await a.close();
      await b.close();
    }
  });
});
