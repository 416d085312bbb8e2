// The example flows through the service, on SQLite: support-escalation's contract and SLA
// ladder, invoice-approval's two approval levels. Time moves with a faked Date (only Date: the
// engine's group commit still uses the real event loop).
import { afterEach, describe, expect, it, vi } from 'vitest';
import { openTemp, intakeActor, asUser } from './support/project.ts';

let env: Awaited<ReturnType<typeof openTemp>> | undefined;
afterEach(async () => {
  vi.useRealTimers();
  await env?.close();
  env = undefined;
});

const MIN = 60_000;

const ticket = {
  id: 'T-100',
  severity: 'sev3',
  customer: 'globex',
  customerEmail: 'it@globex.example',
  summary: 'Charts are empty',
  reproSteps: 'Open Dashboard, pick last week',
};

describe('support-escalation end to end', () => {
  it('sends a ticket without repro steps back to support (contract_unmet), routing nothing', async () => {
    env = await openTemp({}, { worker: false });
    const { baton } = env;
    const { reproSteps: _, ...incomplete } = ticket;
    const r = await baton.send('support-escalation', incomplete, intakeActor);
    await baton.engine.drain();
    const h = await baton.get(r.id);
    expect(h.state).toBe('escalated');
    expect(h.owner).toBe('team:support');
    expect(h.decision?.owner).toBe('team:eng-tier2');
    expect(h.actions).toEqual([]);
    const escalated = h.events.filter((e) => e.type === 'escalated');
    expect(escalated.map((e) => e.data)).toEqual([
      {
        reason: 'contract_unmet',
        from: 'agent:support-escalation',
        to: 'team:support',
        missing: ['input.reproSteps'],
      },
    ]);
    expect(h.ledger.map((l) => [l.owner, l.status, l.reason])).toEqual([
      ['agent:support-escalation', 'released', 'received'],
      ['team:support', 'pending', 'escalated:contract_unmet'],
    ]);
    expect((await baton.inbox('priya')).map((m) => [m.kind, m.handoffId])).toEqual([['escalation', r.id]]);
    expect(await baton.tasks()).toEqual([]);
    // Support owns it now and can take it.
    await expect(baton.accept(r.id, asUser('eng'))).rejects.toMatchObject({ code: 'forbidden' });
    expect((await baton.accept(r.id, asUser('priya'))).state).toBe('accepted');
  });

  it('routes a sev3 to tier 2 with its ticket, then climbs the SLA ladder: remind, on-call, manager', async () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    const t0 = Date.now();
    env = await openTemp({}, { worker: false });
    const { baton } = env;
    const r = await baton.send('support-escalation', ticket, intakeActor);
    await baton.engine.drain();
    let h = await baton.get(r.id);
    expect(h.state).toBe('handed_off');
    expect(h.owner).toBe('team:eng-tier2');
    const tasks = await baton.tasks('eng');
    expect(tasks.map((t) => [t.kind, t.title, t.assignee, t.data?.['priority']])).toEqual([
      ['ticket', '[sev3] Charts are empty', 'team:eng-tier2', 'normal'],
      ['draft', 'Re: Charts are empty [T-100]', 'team:eng-tier2', undefined],
    ]);
    expect((await baton.inbox('lee')).map((m) => m.text)).toEqual([
      'Globex escalated sev3: Charts are empty',
    ]);

    const types = async () => (await baton.get(r.id)).events.map((e) => e.type);
    const before = (await types()).length;

    vi.setSystemTime(t0 + 29 * MIN);
    await baton.engine.drain();
    expect((await types()).length).toBe(before); // nothing due yet

    vi.setSystemTime(t0 + 31 * MIN);
    await baton.engine.drain();
    h = await baton.get(r.id);
    expect(h.events.slice(before).map((e) => [e.type, e.data['owner']])).toEqual([
      ['reminded', 'team:eng-tier2'],
    ]);
    expect(h.owner).toBe('team:eng-tier2');
    expect(h.breached).toBe(false);
    expect((await baton.inbox('eng')).filter((m) => m.kind === 'reminder')).toHaveLength(1);

    vi.setSystemTime(t0 + 61 * MIN);
    await baton.engine.drain();
    h = await baton.get(r.id);
    expect(h.state).toBe('escalated');
    expect(h.owner).toBe('team:eng-oncall');
    expect(h.breached).toBe(true);
    expect(h.events.slice(before + 1).map((e) => [e.type, e.data['reason'] ?? null])).toEqual([
      ['sla_breached', null],
      ['escalated', 'sla_breach'],
    ]);

    vi.setSystemTime(t0 + 121 * MIN);
    await baton.engine.drain();
    h = await baton.get(r.id);
    expect(h.owner).toBe('user:raj');
    expect(h.ledger.map((l) => [l.owner, l.status])).toEqual([
      ['agent:support-escalation', 'released'],
      ['team:eng-tier2', 'reassigned'],
      ['team:eng-oncall', 'reassigned'],
      ['user:raj', 'pending'],
    ]);

    // The ladder is done: hours later nothing more happens, and the manager takes it.
    vi.setSystemTime(t0 + 24 * 60 * MIN);
    const count = h.events.length;
    await baton.engine.drain();
    expect((await baton.get(r.id)).events).toHaveLength(count);
    expect((await baton.accept(r.id, asUser('raj'))).state).toBe('accepted');
  });

  it('stops the clock once the owner accepts', async () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    const t0 = Date.now();
    env = await openTemp({}, { worker: false });
    const { baton } = env;
    const r = await baton.send('support-escalation', { ...ticket, id: 'T-101' }, intakeActor);
    await baton.engine.drain();
    vi.setSystemTime(t0 + 10 * MIN);
    await baton.accept(r.id, asUser('eng'));
    const count = (await baton.get(r.id)).events.length;
    vi.setSystemTime(t0 + 5 * 60 * MIN);
    await baton.engine.drain();
    const h = await baton.get(r.id);
    expect(h.events).toHaveLength(count);
    expect([h.state, h.owner, h.breached]).toEqual(['accepted', 'team:eng-tier2', false]);
  });
});

describe('invoice-approval end to end', () => {
  const invoice = {
    id: 'INV-900',
    vendor: 'contoso',
    amount: 150000,
    currency: 'USD',
    dueDate: '2025-09-01',
    requestedBy: 'ari',
  };

  it('needs two finance managers, then the CFO; nobody approves their own invoice', async () => {
    env = await openTemp({}, { worker: false });
    const { baton } = env;
    const r = await baton.send('invoice-approval', invoice, intakeActor);
    await baton.engine.drain();
    let h = await baton.get(r.id);
    expect(h.state).toBe('awaiting_approval');
    expect(h.requester).toBe('ari');
    const [ap] = await baton.approvals('pending', r.id);
    expect(ap?.actionId).toBe('pay');
    expect(ap?.levels).toEqual([
      { name: 'two finance managers', approvers: ['role:finance-manager'], quorum: 2 },
      { name: 'CFO', approvers: ['role:cfo'], quorum: 1 },
    ]);

    await expect(baton.decide(r.id, asUser('ari'), 'approve')).rejects.toThrow(/no self-approval/);
    await expect(baton.decide(r.id, asUser('dana'), 'approve')).rejects.toMatchObject({
      code: 'forbidden',
      message: expect.stringContaining('not an approver') as unknown,
    });
    await expect(baton.decide(r.id, asUser('tom'), 'approve')).rejects.toMatchObject({ code: 'forbidden' });

    let d = await baton.decide(r.id, asUser('noor'), 'approve', 'ok from me');
    expect([d.approval.state, d.approval.level, d.handoff.state]).toEqual([
      'pending',
      0,
      'awaiting_approval',
    ]);
    await expect(baton.decide(r.id, asUser('noor'), 'approve')).rejects.toMatchObject({
      code: 'already_decided',
    });
    d = await baton.decide(r.id, asUser('jules'), 'approve');
    expect([d.approval.state, d.approval.level]).toEqual(['pending', 1]);
    // Level 2 is the CFO's: a finance manager cannot close it.
    await expect(baton.decide(r.id, asUser('noor'), 'approve')).rejects.toMatchObject({ code: 'forbidden' });
    expect(await baton.tasks()).toEqual([]);

    d = await baton.decide(r.id, asUser('dana'), 'approve');
    expect(d.approval.state).toBe('approved');
    expect(d.approval.decidedBy).toEqual({ label: 'human', user: 'dana', via: 'test' });
    expect(d.approval.votes.map((v) => [v.user, v.level, v.decision])).toEqual([
      ['noor', 0, 'approve'],
      ['jules', 0, 'approve'],
      ['dana', 1, 'approve'],
    ]);

    await baton.engine.drain();
    h = await baton.get(r.id);
    expect(h.state).toBe('handed_off');
    expect(h.owner).toBe('team:finance');
    expect(h.actions.map((a) => [a.id, a.state])).toEqual([
      ['pay', 'succeeded'],
      ['tell', 'succeeded'],
    ]);
    expect((await baton.tasks('tom')).map((t) => t.title)).toEqual(['Pay invoice INV-900 from Contoso Ltd']);
    expect(h.decision?.policyVersions['pay']).toBe(ap?.policyVersion);
  });

  it('stops and escalates when a finance manager rejects the payment', async () => {
    env = await openTemp({}, { worker: false });
    const { baton } = env;
    const r = await baton.send(
      'invoice-approval',
      { ...invoice, id: 'INV-901', amount: 42000, requestedBy: 'olga' },
      intakeActor,
    );
    await baton.engine.drain();
    const [ap] = await baton.approvals('pending', r.id);
    expect(ap?.levels).toEqual([{ name: 'finance manager', approvers: ['role:finance-manager'], quorum: 1 }]);
    const d = await baton.decide(r.id, asUser('ari'), 'reject', 'duplicate of INV-880');
    expect(d.approval.state).toBe('rejected');
    await baton.engine.drain();
    const h = await baton.get(r.id);
    expect([h.state, h.owner]).toEqual(['escalated', 'team:finance']);
    expect(h.actions.map((a) => [a.id, a.state])).toEqual([
      ['pay', 'skipped'],
      ['tell', 'skipped'],
    ]);
    expect(h.events.find((e) => e.type === 'escalated')?.data['reason']).toBe('approval_rejected');
    expect(await baton.tasks()).toEqual([]);
  });

  it('escalates an approval nobody decides within two days', async () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    const t0 = Date.now();
    env = await openTemp({}, { worker: false });
    const { baton } = env;
    const r = await baton.send(
      'invoice-approval',
      { ...invoice, id: 'INV-902', amount: 12000, requestedBy: 'olga' },
      intakeActor,
    );
    await baton.engine.drain();
    vi.setSystemTime(t0 + 2 * 24 * 60 * MIN + MIN);
    await baton.engine.drain();
    const h = await baton.get(r.id);
    expect([h.state, h.owner]).toEqual(['escalated', 'team:finance']);
    expect(h.approvals[0]).toMatchObject({ state: 'timed_out', decidedBy: { label: 'timeout' } });
    expect(h.events.find((e) => e.type === 'escalated')?.data['reason']).toBe('approval_timeout');
    await expect(baton.decide(h.approvals[0]!.id, asUser('ari'), 'approve')).rejects.toMatchObject({
      code: 'already_decided',
    });
  });
});
