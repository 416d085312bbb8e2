import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { metricsSummary, type MetricsSummary } from './summary.ts';
import { runScenario, type Scenario } from './scenario.fixture.ts';

let s: Scenario;
let all: MetricsSummary;
beforeAll(async () => {
  s = await runScenario();
  all = await metricsSummary(s.baton.store, {});
});
afterAll(async () => {
  await s?.close();
});

const flow = (m: MetricsSummary, id: string) => {
  const f = m.flows.find((x) => x.flow === id);
  if (!f) throw new Error(`no flow ${id} in the summary`);
  return f;
};

describe('metrics summary over a realistic day', () => {
  it('counts handoffs by current state, per flow and in total', () => {
    expect(all.totals.handoffs).toBe(12);
    const lead = flow(all, 'lead-to-owner');
    expect(lead.handoffs).toBe(7);
    expect(lead.boundaries).toEqual(['team:marketing->team:sales-ops']);
    expect(lead.states).toMatchObject({
      completed: 2,
      handed_off: 3,
      escalated: 1,
      cancelled: 1,
      accepted: 0,
    });
    expect(flow(all, 'billing').states).toMatchObject({ handed_off: 1, accepted: 1 });
    expect(flow(all, 'triage').states.completed).toBe(3);
    expect(all.totals.states).toMatchObject({
      completed: 5,
      handed_off: 4,
      accepted: 1,
      escalated: 1,
      cancelled: 1,
    });
    expect(Object.values(all.totals.states).reduce((a, b) => a + b, 0)).toBe(12);
  });

  it('measures latency per boundary, in seconds', () => {
    const b = all.boundaries.find((x) => x.boundary === 'team:marketing->team:sales-ops')!;
    expect(b).toMatchObject({ from: 'team:marketing', to: 'team:sales-ops', flows: ['lead-to-owner'] });
    const l = b.latency;
    expect(l.receivedToHandedOff.count).toBe(7);
    expect(l.handedOffToAccepted.count).toBe(3); // L1, L2 (after its decline), L3
    expect(l.acceptedToCompleted.count).toBe(2);
    expect(l.receivedToAccepted.count).toBe(3);
    expect(l.receivedToCompleted.count).toBe(2);
    for (const p of [
      l.handedOffToAccepted,
      l.acceptedToCompleted,
      l.receivedToAccepted,
      l.receivedToCompleted,
    ]) {
      expect(p.p50).toBeGreaterThan(0);
      expect(p.p90!).toBeGreaterThanOrEqual(p.p50!);
      expect(p.p99!).toBeGreaterThanOrEqual(p.p90!);
      expect(p.p99!).toBeLessThan(60); // seconds, not milliseconds
    }
    // A shadow flow holds no real work: it stays out of the latencies.
    const triage = all.boundaries.find((x) => x.flows.includes('triage'))!;
    expect(triage.latency.receivedToCompleted.count).toBe(0);
    expect(triage.latency.receivedToCompleted.p50).toBeNull();
  });

  it('counts rework from the events, by type, return reason and decision kind', () => {
    const lead = flow(all, 'lead-to-owner');
    expect(lead.rework).toEqual({
      returned: 1,
      declined: 1,
      reassigned: 1,
      overridden: 0,
      total: 3,
      handoffs: 2,
      rate: 0.2857,
    });
    expect(flow(all, 'billing').rework).toMatchObject({ overridden: 1, total: 1, handoffs: 1, rate: 0.5 });
    expect(all.totals.rework).toMatchObject({ total: 4, handoffs: 3, rate: 0.25 });
    expect(all.rework.byReason).toEqual([
      { flow: 'lead-to-owner', reason: 'missing_info', returned: 1, declined: 0, total: 1 },
      { flow: 'lead-to-owner', reason: 'wrong_owner', returned: 0, declined: 1, total: 1 },
    ]);
    expect(lead.byDecision.rule).toEqual({ handoffs: 6, reworked: 2, reworkEvents: 3, rate: 0.3333 });
    expect(lead.byDecision.otherwise).toEqual({ handoffs: 1, reworked: 0, reworkEvents: 0, rate: 0 });
    // B1's owner was corrected by a person: the rework counts against the decision corrected.
    expect(flow(all, 'billing').byDecision.otherwise).toEqual({
      handoffs: 2,
      reworked: 1,
      reworkEvents: 1,
      rate: 0.5,
    });
    expect(flow(all, 'billing').byDecision.human.handoffs).toBe(0);
    expect(all.totals.byDecision.llm).toEqual({ handoffs: 0, reworked: 0, reworkEvents: 0, rate: null });
  });

  it('gives escalation rates by reason and SLA breaches', () => {
    expect(flow(all, 'lead-to-owner').escalations).toEqual({ events: 1, handoffs: 1, rate: 0.1429 });
    expect(all.totals.escalations).toEqual({ events: 1, handoffs: 1, rate: 0.0833 });
    expect(all.escalations.byReason).toEqual([
      { flow: 'lead-to-owner', reason: 'sla_breach', events: 1, handoffs: 1, rate: 0.1429 },
    ]);
    expect(flow(all, 'lead-to-owner').slaBreaches).toEqual({ handoffs: 1, rate: 0.1429 });
    expect(flow(all, 'billing').slaBreaches).toEqual({ handoffs: 0, rate: 0 });
  });

  it('shows what each owner holds now, with ages', () => {
    const byOwner = Object.fromEntries(all.owners.map((o) => [o.owner, o]));
    expect(Object.keys(byOwner).sort()).toEqual([
      'team:enterprise-sales',
      'team:finance',
      'team:sales-ops',
      'team:smb-sales',
      'user:dana',
      'user:lee',
    ]);
    expect(byOwner['team:sales-ops']).toMatchObject({
      waiting: 1,
      breached: 1,
      states: { handed_off: 0, escalated: 1, returned: 0, accepted: 0, failed: 0 },
    });
    expect(byOwner['team:finance']).toMatchObject({
      waiting: 0,
      states: { accepted: 1 },
      oldestAgeSeconds: null,
      p50AgeSeconds: null,
    });
    for (const o of ['user:lee', 'team:enterprise-sales', 'team:smb-sales', 'user:dana']) {
      expect(byOwner[o]).toMatchObject({ waiting: 1, breached: 0 });
      expect(byOwner[o]!.oldestAgeSeconds).toBeGreaterThan(0);
      expect(byOwner[o]!.p50AgeSeconds).toBe(byOwner[o]!.oldestAgeSeconds);
    }
    // L6 went to smb-sales in the first round and waited since: the oldest item.
    expect(byOwner['team:smb-sales']!.oldestAgeSeconds).toBeGreaterThan(
      byOwner['user:lee']!.oldestAgeSeconds!,
    );
  });

  it("shows what each owner did with the period's work, from the ownership ledger", () => {
    const by = Object.fromEntries(all.ownerActivity.map((o) => [o.owner, o]));
    expect(Object.keys(by).some((o) => o.startsWith('agent:'))).toBe(false);
    // L2 after lee declined it (accepted, completed), L3 after kim returned it (reassigned on),
    // L5 by escalation (waiting), L7 (cancelled).
    expect(by['team:sales-ops']).toMatchObject({
      assigned: 4,
      accepted: 1,
      completed: 1,
      declined: 0,
      returned: 0,
      movedOn: 1,
      sentBackRate: 0,
    });
    // L3 accepted then returned, L4 waiting, L5 escalated away.
    expect(by['team:enterprise-sales']).toMatchObject({
      assigned: 3,
      accepted: 1,
      returned: 1,
      movedOn: 1,
      sentBackRate: 0.3333,
    });
    expect(by['user:lee']).toMatchObject({ assigned: 2, accepted: 0, declined: 1, sentBackRate: 0.5 });
    expect(by['user:kim']).toMatchObject({ assigned: 1, accepted: 1, completed: 1 });
    expect(by['user:kim']!.acceptLatency.count).toBe(1);
    expect(by['user:kim']!.acceptLatency.p50).toBeGreaterThan(0);
    expect(by['user:lee']!.acceptLatency).toEqual({ count: 0, p50: null, p90: null, p95: null, p99: null });
  });

  it('reports approvals by outcome, label and kind with their latency', () => {
    expect(all.approvals).toMatchObject({
      requested: 4,
      byOutcome: { approved: 3, rejected: 1, pending: 0, timed_out: 0, voided: 0 },
      byLabel: { human: 4, timeout: 0, none: 0 },
      byKind: { action: 2, decision: 2 },
    });
    expect(all.approvals.latency.count).toBe(4);
    expect(all.approvals.latency.p50).toBeGreaterThan(0);
    const lead = all.approvals.byFlow.find((f) => f.flow === 'lead-to-owner')!;
    expect(lead).toMatchObject({
      requested: 2,
      byOutcome: { approved: 1, rejected: 1 },
      byKind: { action: 2 },
    });
  });

  it('computes cost per completed handoff (zero until models cost something) and shadow agreement', () => {
    expect(flow(all, 'lead-to-owner').cost).toEqual({ totalUsd: 0, completed: 2, perCompletedUsd: 0 });
    expect(flow(all, 'triage').cost).toEqual({ totalUsd: 0, completed: 0, perCompletedUsd: null });
    expect(all.shadow).toEqual([
      {
        flow: 'triage',
        handoffs: 3,
        observed: 2,
        agreed: 1,
        agreement: 0.5,
        readyToPromote: false,
        gate: { minObserved: 20, minAgreement: 0.9 },
      },
    ]);
  });

  it('puts a known cost on the completed handoffs', async () => {
    const { SqliteStore } = await import('../store/sqlite/store.ts');
    const store = s.baton.store as InstanceType<typeof SqliteStore>;
    store.unsafeExec(`UPDATE handoffs SET cost_usd = 0.03 WHERE flow_id = 'lead-to-owner'`);
    try {
      const m = await metricsSummary(store, { flow: 'lead-to-owner' });
      expect(m.totals.cost).toEqual({ totalUsd: 0.21, completed: 2, perCompletedUsd: 0.105 });
    } finally {
      store.unsafeExec(`UPDATE handoffs SET cost_usd = 0 WHERE flow_id = 'lead-to-owner'`);
    }
  });
});

describe('metrics summary filters', () => {
  it('since: only handoffs created since then (L5 was created an hour earlier)', async () => {
    const m = await metricsSummary(s.baton.store, { since: s.start });
    expect(m.filter.since).toBe(new Date(s.start).toISOString());
    expect(m.totals.handoffs).toBe(11);
    const lead = flow(m, 'lead-to-owner');
    expect(lead.handoffs).toBe(6);
    expect(lead.states.escalated).toBe(0);
    expect(lead.escalations).toEqual({ events: 0, handoffs: 0, rate: 0 });
    expect(lead.slaBreaches.handoffs).toBe(0);
    expect(m.escalations.byReason).toEqual([]);
    expect(m.approvals.byFlow.find((f) => f.flow === 'lead-to-owner')!.requested).toBe(1);
    // The queues are "now": L5 still waits with team:sales-ops whatever the period.
    expect(m.owners.find((o) => o.owner === 'team:sales-ops')?.waiting).toBe(1);

    const future = await metricsSummary(s.baton.store, { since: Date.now() + 60_000 });
    expect(future.totals.handoffs).toBe(0);
    expect(future.flows).toEqual([]);
    expect(future.totals.rework.rate).toBeNull();
  });

  it('flow: one flow only, everywhere', async () => {
    const m = await metricsSummary(s.baton.store, { flow: 'billing' });
    expect(m.filter.flow).toBe('billing');
    expect(m.totals.handoffs).toBe(2);
    expect(m.flows.map((f) => f.flow)).toEqual(['billing']);
    expect(m.boundaries.map((b) => b.boundary)).toEqual(['team:support->team:finance']);
    expect(m.owners.map((o) => o.owner).sort()).toEqual(['team:finance', 'user:dana']);
    expect(m.ownerActivity.map((o) => o.owner).sort()).toEqual(['team:finance', 'user:dana']);
    expect(m.approvals.requested).toBe(2);
    expect(m.rework.byReason).toEqual([]);
    expect(m.shadow).toEqual([]);

    const none = await metricsSummary(s.baton.store, { flow: 'no-such-flow' });
    expect(none.totals.handoffs).toBe(0);
    expect(none.owners).toEqual([]);
  });

  it('until: only handoffs created before then (here: only L5, an hour before the rest)', async () => {
    const m = await metricsSummary(s.baton.store, { until: s.start });
    expect(m.filter.until).toBe(new Date(s.start).toISOString());
    expect(m.totals.handoffs).toBe(1);
    expect(flow(m, 'lead-to-owner').states.escalated).toBe(1);
    const rest = await metricsSummary(s.baton.store, { since: s.start, until: Date.now() + 1 });
    expect(rest.totals.handoffs).toBe(11);
  });

  it('boundary: one boundary only, everywhere', async () => {
    const m = await metricsSummary(s.baton.store, { boundary: 'team:support->team:finance' });
    expect(m.filter.boundary).toBe('team:support->team:finance');
    expect(m.totals.handoffs).toBe(2);
    expect(m.flows.map((f) => f.flow)).toEqual(['billing']);
    expect(m.owners.map((o) => o.owner).sort()).toEqual(['team:finance', 'user:dana']);
    expect(m.approvals.requested).toBe(2);
    expect((await metricsSummary(s.baton.store, { boundary: 'team:x->team:y' })).totals.handoffs).toBe(0);
  });

  it('sorts the waiting work into age buckets, per owner and in all', () => {
    const sum = (b: Array<{ count: number }>) => b.reduce((a, x) => a + x.count, 0);
    expect(all.queueAges.buckets.map((b) => b.bucket)).toEqual([
      'under 1h',
      '1h–4h',
      '4h–24h',
      '1d–3d',
      'over 3d',
    ]);
    const waiting = all.owners.reduce((a, o) => a + o.waiting, 0);
    expect(all.queueAges.waiting).toBe(waiting);
    expect(sum(all.queueAges.buckets)).toBe(waiting);
    for (const o of all.owners) expect(sum(o.ageBuckets)).toBe(o.waiting);
    // The scenario runs in seconds, except L5, an hour before the rest: none has waited a day.
    expect(all.queueAges.buckets[3]!.count + all.queueAges.buckets[4]!.count).toBe(0);
  });

  it('gives p95 between p90 and p99', () => {
    const l = all.totals.latency.receivedToHandedOff;
    expect(l.p95!).toBeGreaterThanOrEqual(l.p90!);
    expect(l.p99!).toBeGreaterThanOrEqual(l.p95!);
  });

  it('rejects a bad filter naming the field', async () => {
    await expect(metricsSummary(s.baton.store, { since: 10, until: 5 })).rejects.toMatchObject({
      code: 'validation_failed',
      details: [{ path: 'until' }],
    });
    await expect(metricsSummary(s.baton.store, { boundary: 'team:a' })).rejects.toMatchObject({
      code: 'validation_failed',
      details: [{ path: 'boundary' }],
    });
    await expect(metricsSummary(s.baton.store, { since: -5 })).rejects.toMatchObject({
      code: 'validation_failed',
      details: [{ path: 'since' }],
    });
    await expect(metricsSummary(s.baton.store, { since: Number.NaN })).rejects.toMatchObject({
      code: 'validation_failed',
    });
    await expect(metricsSummary(s.baton.store, { flow: ' ' })).rejects.toMatchObject({
      code: 'validation_failed',
      details: [{ path: 'flow' }],
    });
  });
});
