// Approval policy through the service: reminders before the timeout (durable, each once), the
// three timeout outcomes, approvals bound to a hash of (handoff, action, parameters), an
// approver's edits (override, re-validated, re-checked against the policy), and voiding when
// the parameters change any other way.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { Work } from '../src/engine/work.ts';
import { EXAMPLES, asUser, intakeActor, openTemp } from './support/project.ts';
import { payout, payoutFiles, transfers } from './support/payout-flow.ts';

/** Times in the API are ISO strings. */
const iso = (ms: number): string => new Date(ms).toISOString();

const MIN = 60_000;
let env: Awaited<ReturnType<typeof openTemp>> | undefined;
beforeEach(() => {
  transfers().length = 0;
});
afterEach(async () => {
  vi.useRealTimers();
  await env?.close();
  env = undefined;
});

const delegation = `\ndelegations:\n  - { from: ari, to: tom, until: 2099-12-31 }\n`;

async function open(extra: Record<string, string> = {}) {
  env = await openTemp({ ...payoutFiles(), ...extra }, { worker: false });
  return env.baton;
}

describe('reminders before the approval timeout', () => {
  it('reminds the approvers (and their stand-ins) at each remindBefore, once, then times out', async () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    const t0 = Date.now();
    const baton = await open({
      'baton.yaml': readFileSync(path.join(EXAMPLES, 'baton.yaml'), 'utf8') + delegation,
    });
    const { id } = await baton.send('payout', payout('R1', 500), intakeActor);
    await baton.engine.drain();
    let [ap] = await baton.approvals('pending', id);
    expect(ap!.remindAt).toEqual([iso(t0 + 60 * MIN), iso(t0 + 90 * MIN)]);
    expect((await baton.snapshot(id)).handoff.wakeAt).toBe(t0 + 60 * MIN);

    const reminders = async () =>
      (await baton.inbox())
        .filter((m) => m.handoffId === id && m.kind === 'reminder')
        .map((m) => [m.owner, m.text]);
    vi.setSystemTime(t0 + 59 * MIN);
    await baton.engine.drain();
    expect(await reminders()).toEqual([]);

    vi.setSystemTime(t0 + 61 * MIN);
    await baton.engine.drain();
    await baton.engine.drain(); // a second pass fires nothing more
    expect(await reminders()).toEqual([
      [
        'role:finance-manager',
        expect.stringMatching(/^Reminder: approval still needed \(times out in 59m\): /),
      ],
      ['user:tom', expect.stringMatching(/\(standing in for ari\)$/)],
    ]);
    [ap] = await baton.approvals('pending', id);
    expect(ap).toMatchObject({ remindAt: [iso(t0 + 90 * MIN)], remindersSent: 1 });

    vi.setSystemTime(t0 + 91 * MIN);
    await baton.engine.drain();
    expect(await reminders()).toHaveLength(4);

    vi.setSystemTime(t0 + 121 * MIN);
    await baton.engine.drain();
    const h = await baton.get(id);
    expect([h.state, h.owner]).toEqual(['escalated', 'team:finance']);
    expect(h.approvals[0]).toMatchObject({ state: 'timed_out', remindersSent: 2 });
    expect(h.approvals[0]!.remindAt).toBeUndefined();
    expect(h.events.filter((e) => e.type === 'approval_reminded').map((e) => e.data)).toEqual([
      {
        approval: ap!.id,
        level: 0,
        levelNumber: 1,
        approvers: ['role:finance-manager'],
        timeoutInMs: 59 * MIN,
      },
      {
        approval: ap!.id,
        level: 0,
        levelNumber: 1,
        approvers: ['role:finance-manager'],
        timeoutInMs: 29 * MIN,
      },
    ]);
    expect(h.events.find((e) => e.type === 'escalated')?.data.reason).toBe('approval_timeout');
  });

  it('sends one reminder for those that fell due while nobody was running', async () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    const t0 = Date.now();
    const baton = await open();
    const { id } = await baton.send('payout', payout('R2', 500), intakeActor);
    await baton.engine.drain();
    vi.setSystemTime(t0 + 100 * MIN);
    await baton.engine.drain();
    const h = await baton.get(id);
    expect(h.events.filter((e) => e.type === 'approval_reminded')).toHaveLength(1);
    expect(h.approvals[0]).toMatchObject({ state: 'pending', remindersSent: 1 });
    expect(h.approvals[0]!.remindAt).toBeUndefined();
  });

  it('stops reminding once decided', async () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    const t0 = Date.now();
    const baton = await open();
    const { id } = await baton.send('payout', payout('R3', 500), intakeActor);
    await baton.engine.drain();
    await baton.decide(id, asUser('noor'), 'approve');
    vi.setSystemTime(t0 + 100 * MIN);
    await baton.engine.drain();
    const h = await baton.get(id);
    expect(h.state).toBe('handed_off');
    expect(h.events.filter((e) => e.type === 'approval_reminded')).toEqual([]);
  });

  it('refuses reminders without a timeout or not shorter than it, naming the field', async () => {
    const flow = payoutFiles()['flows/payout.yaml']!;
    for (const [bad, field, message] of [
      [flow.replace('      timeout: 2h\n', ''), 'remindBefore', /set one/],
      [
        flow.replace('remindBefore: [1h, 30m]', 'remindBefore: [1h, 2h]'),
        'remindBefore[1]',
        /shorter than the timeout/,
      ],
      [flow.replace('remindBefore: [1h, 30m]', 'remindBefore: [soon]'), 'remindBefore[0]', /a duration/],
    ] as const) {
      const e = await openTemp({ ...payoutFiles(), 'flows/payout.yaml': bad }).catch((x: unknown) => x);
      expect(e).toMatchObject({ code: 'flow_invalid' });
      const d = (e as { details: Array<{ path: string; message: string; line?: number }> }).details;
      expect(d).toEqual([
        expect.objectContaining({
          path: `actions[0].approval.${field}`,
          message: expect.stringMatching(message),
        }),
      ]);
      expect(d[0]!.line).toBeGreaterThan(0);
    }
  });
});

describe('approval timeouts', () => {
  it('onTimeout approve runs the action (labelled timeout); reject skips it', async () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    const t0 = Date.now();
    const baton = await open();
    const a = await baton.send('payout-approve', payout('T1', 700), intakeActor);
    const r = await baton.send('payout-reject', payout('T2', 800), intakeActor);
    await baton.engine.drain();
    vi.setSystemTime(t0 + 121 * MIN);
    await baton.engine.drain();
    const approved = await baton.get(a.id);
    expect(approved.approvals[0]).toMatchObject({ state: 'approved', decidedBy: { label: 'timeout' } });
    expect(approved.actions[0]).toMatchObject({ id: 'transfer', state: 'succeeded' });
    const rejected = await baton.get(r.id);
    expect(rejected.approvals[0]).toMatchObject({ state: 'rejected', decidedBy: { label: 'timeout' } });
    expect(rejected.actions[0]).toMatchObject({ id: 'transfer', state: 'skipped' });
    expect(rejected.state).toBe('handed_off'); // onReject: skip
    expect(transfers()).toEqual([{ amount: 700, to: 'acct-T1' }]);
  });
});

describe('risk levels that require approval by themselves', () => {
  /** A flow whose high-risk transfer has no approval block, and a low-risk task. */
  const riskFlow = (id: string, guardrails = '') => `id: ${id}
name: Risky payout
boundary: { from: team:ops, to: team:finance }
input: { type: object, required: [id, amount], properties: { id: { type: string }, amount: { type: number } } }
idempotencyKey: input.id
decide:
  otherwise: { owner: team:finance }
actions:
  - { id: note, use: builtin.create_task, with: { title: "Check \${input.id}" } }
  - { id: transfer, use: pay.transfer, with: { amount: "\${input.amount}", to: "acct-\${input.id}" } }
handoff: { to: "\${decision.owner}" }
${guardrails}`;
  const withProjectRisk = (text: string) =>
    text.replace(
      'guardrails: { maxActions: 10 }',
      'guardrails: { maxActions: 10, riskApproval: { atLeast: high } }',
    );

  it("baton.yaml's riskApproval gates a high-risk action without an approval block; the fallback owner decides (labelled fallback)", async () => {
    const yaml = withProjectRisk(readFileSync(path.join(EXAMPLES, 'baton.yaml'), 'utf8'));
    const baton = await open({ 'baton.yaml': yaml, 'flows/risky.yaml': riskFlow('risky') });
    const { id } = await baton.send('risky', { id: 'K1', amount: 50 }, intakeActor);
    await baton.engine.drain();
    let h = await baton.get(id);
    expect(h.state).toBe('awaiting_approval');
    expect(h.actions.map((a) => [a.id, a.state])).toEqual([
      ['note', 'succeeded'],
      ['transfer', 'awaiting_approval'],
    ]);
    expect(h.approvals[0]!.levels).toEqual([
      { name: 'risk high or higher', approvers: ['team:finance'], quorum: 1, fallback: true },
    ]);
    expect(transfers()).toEqual([]);
    await baton.decide(id, asUser('tom'), 'approve');
    await baton.engine.drain();
    h = await baton.get(id);
    expect(h.approvals[0]).toMatchObject({
      state: 'approved',
      decidedBy: { label: 'fallback', user: 'tom' },
    });
    expect(h.state).toBe('handed_off');
    expect(transfers()).toEqual([{ amount: 50, to: 'acct-K1' }]);
  });

  it("a flow's own riskApproval wins, with named approvers (labelled human); an approved action block is not asked twice", async () => {
    const yaml = withProjectRisk(readFileSync(path.join(EXAMPLES, 'baton.yaml'), 'utf8'));
    const baton = await open({
      'baton.yaml': yaml,
      'flows/risky.yaml': riskFlow(
        'risky',
        'guardrails: { riskApproval: { atLeast: medium, approvers: [role:cfo], timeout: 1h, onTimeout: reject, onReject: skip } }',
      ),
    });
    const { id } = await baton.send('risky', { id: 'K2', amount: 60 }, intakeActor);
    await baton.engine.drain();
    let h = await baton.get(id);
    expect(h.approvals[0]).toMatchObject({
      levels: [{ approvers: ['role:cfo'], quorum: 1 }],
      onTimeout: 'reject',
    });
    expect(h.approvals[0]!.levels[0]!.fallback).toBeUndefined();
    await expect(baton.decide(id, asUser('tom'), 'approve')).rejects.toMatchObject({ code: 'forbidden' });
    await baton.decide(id, asUser('dana'), 'approve');
    await baton.engine.drain();
    h = await baton.get(id);
    expect(h.approvals).toHaveLength(1);
    expect(h.approvals[0]).toMatchObject({ state: 'approved', decidedBy: { label: 'human', user: 'dana' } });
    expect(h.state).toBe('handed_off');

    // The payout flow's transfer has its own approval block: once it is approved, the risk rule asks nothing more.
    const p = await baton.send('payout', payout('K3', 500), intakeActor);
    await baton.engine.drain();
    await baton.decide(p.id, asUser('ari'), 'approve');
    await baton.engine.drain();
    const paid = await baton.get(p.id);
    expect(paid.approvals).toHaveLength(1);
    expect(paid.state).toBe('handed_off');
  });

  it('refuses a bad riskApproval with the file and field', async () => {
    await expect(
      open({ 'flows/risky.yaml': riskFlow('risky', 'guardrails: { riskApproval: { atLeast: extreme } }') }),
    ).rejects.toMatchObject({
      details: expect.arrayContaining([
        expect.objectContaining({
          file: expect.stringContaining('risky.yaml'),
          path: 'guardrails.riskApproval.atLeast',
        }),
      ]),
    });
  });
});

describe('approvals bound to (handoff, action, parameters)', () => {
  it('stores the binding; an edit by the approver is an override, re-checked against the policy', async () => {
    const baton = await open();
    const { id } = await baton.send('payout', payout('E1', 5000), intakeActor);
    await baton.engine.drain();
    const [ap] = await baton.approvals('pending', id);
    expect(ap!.binding).toMatch(/^[0-9a-f]{64}$/);
    expect(ap!.levels.map((l) => l.name)).toEqual(['finance manager']);

    // Invalid edits are refused with the field, and change nothing.
    await expect(
      baton.decide(id, asUser('ari'), 'approve', undefined, { params: { amount: 'lots' } }),
    ).rejects.toMatchObject({
      code: 'validation_failed',
      details: [{ path: 'edits.params.amount' }],
    });
    await expect(
      baton.decide(id, asUser('ari'), 'approve', undefined, { params: { bogus: 1 } }),
    ).rejects.toMatchObject({
      code: 'validation_failed',
    });
    await expect(
      baton.decide(id, asUser('ari'), 'reject', undefined, { params: { amount: 1 } }),
    ).rejects.toMatchObject({
      code: 'validation_failed',
      details: [{ path: 'edits' }],
    });
    await expect(
      baton.decide(id, asUser('ari'), 'approve', undefined, { owner: 'team:ops' }),
    ).rejects.toMatchObject({
      details: [{ path: 'edits.owner' }],
    });
    expect((await baton.get(id)).approvals[0]!.votes).toEqual([]);

    // ari raises the amount past 10k: the CFO level now applies and must approve too.
    const d = await baton.decide(id, asUser('ari'), 'approve', 'includes the late fee', {
      params: { amount: 12500 },
    });
    expect(d.approval).toMatchObject({
      state: 'pending',
      level: 1,
      params: { amount: 12500, to: 'acct-E1' },
      overrides: [
        {
          by: 'ari',
          level: 0,
          previous: { amount: 5000, to: 'acct-E1' },
          params: { amount: 12500, to: 'acct-E1' },
          addedLevels: [{ name: 'CFO', approvers: ['role:cfo'], quorum: 1 }],
        },
      ],
    });
    expect(d.approval.binding).not.toBe(ap!.binding);
    expect(d.approval.levels.map((l) => l.name)).toEqual(['finance manager', 'CFO']);
    let h = await baton.get(id);
    expect(h.actions[0]!.params).toEqual({ amount: 12500, to: 'acct-E1' });
    const ov = h.events.find((e) => e.type === 'overridden')!;
    expect(ov).toMatchObject({ actor: { id: 'ari' }, data: { what: 'params', action: 'transfer' } });
    expect(transfers()).toEqual([]);

    await baton.decide(id, asUser('dana'), 'approve');
    await baton.engine.drain();
    h = await baton.get(id);
    expect(h.approvals[0]!.state).toBe('approved');
    expect(h.actions[0]!.state).toBe('succeeded');
    expect(transfers()).toEqual([{ amount: 12500, to: 'acct-E1' }]);
  });

  it('an edit that changes nothing is no override; lowering the amount adds no level', async () => {
    const baton = await open();
    const { id } = await baton.send('payout', payout('E2', 20000), intakeActor);
    await baton.engine.drain();
    const same = await baton.decide(id, asUser('ari'), 'approve', undefined, { params: { amount: 20000 } });
    expect(same.approval.overrides).toBeUndefined();
    expect(same.approval.level).toBe(1);
    const lower = await baton.decide(id, asUser('dana'), 'approve', undefined, { params: { amount: 9000 } });
    expect(lower.approval).toMatchObject({ state: 'approved', overrides: [{ by: 'dana', level: 1 }] });
    expect(lower.approval.overrides![0]!.addedLevels).toBeUndefined();
    await baton.engine.drain();
    expect(transfers()).toEqual([{ amount: 9000, to: 'acct-E2' }]);
  });

  it('voids the approval when the parameters change any other way, and asks again', async () => {
    const baton = await open();
    const { id } = await baton.send('payout', payout('V1', 500), intakeActor);
    await baton.engine.drain();
    const d = await baton.decide(id, asUser('ari'), 'approve');
    expect(d.approval.state).toBe('approved');
    // Before the worker runs it, something re-plans the action with other parameters.
    const snap = await baton.snapshot(id);
    const flow = await baton.runtime.flowFor(snap.handoff.flowVersion);
    const w = new Work(snap);
    const action = w.action('transfer')!;
    action.params = { ...action.params, amount: 50000 };
    w.putAction(action);
    expect((await baton.engine.commitWork(w, flow)).ok).toBe(true);
    await baton.engine.drain();
    // Nothing is due any more: the new approval waits for a person (no busy re-claiming).
    const [pending] = await baton.approvals('pending', id);
    expect((await baton.snapshot(id)).handoff.wakeAt).toBe(Date.parse(pending!.remindAt![0]!));

    const h = await baton.get(id);
    expect(transfers()).toEqual([]);
    expect(h.state).toBe('awaiting_approval');
    expect(h.approvals.map((a) => a.state)).toEqual(['voided', 'pending']);
    const voided = h.events.find((e) => e.type === 'approval_voided')!;
    expect(voided.data).toMatchObject({
      approval: d.approval.id,
      action: 'transfer',
      binding: d.approval.binding,
    });
    const again = h.approvals[1]!;
    expect(again.params).toEqual({ amount: 50000, to: 'acct-V1' });
    expect(again.binding).toBe(voided.data.now);
    expect(again.levels.map((l) => l.name)).toEqual(['finance manager', 'CFO']);
    expect(h.actions[0]!.approvalId).toBe(again.id);
  });

  it('no self-approval, and the requester cannot edit either', async () => {
    const baton = await open();
    const { id } = await baton.send('payout', payout('S1', 500, 'ari'), intakeActor);
    await baton.engine.drain();
    await expect(
      baton.decide(id, asUser('ari'), 'approve', undefined, { params: { amount: 1 } }),
    ).rejects.toMatchObject({ code: 'forbidden' });
    expect((await baton.get(id)).actions[0]!.params.amount).toBe(500);
  });
});

describe('approval figures', () => {
  it('summary, report and /metrics show latency, timeouts, overrides, reminders, delegation and escalations', async () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    const t0 = Date.now();
    const baton = await open({
      'baton.yaml': readFileSync(path.join(EXAMPLES, 'baton.yaml'), 'utf8') + delegation,
    });
    const send = async (flow: string, id: string, amount: number) =>
      (await baton.send(flow, payout(id, amount), intakeActor)).id;
    await send('payout', 'F1', 100); // times out: escalate
    await send('payout-approve', 'F2', 200); // times out: approve
    await send('payout-reject', 'F3', 300); // times out: reject
    const edited = await send('payout', 'F4', 400);
    await baton.engine.drain();
    vi.setSystemTime(t0 + 10 * MIN);
    await baton.decide(edited, asUser('tom'), 'approve', undefined, { params: { amount: 450 } });
    vi.setSystemTime(t0 + 61 * MIN);
    await baton.engine.drain(); // one reminder each for the three still pending
    vi.setSystemTime(t0 + 121 * MIN);
    await baton.engine.drain(); // all three time out

    const { metricsSummary } = await import('../src/metrics/summary.ts');
    const s = await metricsSummary(baton.store, {});
    expect(s.approvals).toMatchObject({
      requested: 4,
      byOutcome: { approved: 2, rejected: 1, timed_out: 1 },
      byLabel: { human: 1, timeout: 3 },
      timeouts: { total: 3, escalate: 1, approve: 1, reject: 1 },
      overridden: { approvals: 1, edits: 1 },
      reminders: 3,
      delegatedVotes: 1,
    });
    expect(s.approvals.latency.count).toBe(4);
    expect(s.approvals.latency.p50).toBeGreaterThanOrEqual(600);
    expect(s.escalations.byReason).toContainEqual(
      expect.objectContaining({ flow: 'payout', reason: 'approval_timeout', handoffs: 1 }),
    );

    const { formatReport } = await import('../src/metrics/report.ts');
    expect(formatReport(s)).toContain(
      '  timeouts: 3 (escalated 1, approved 1, rejected 1) · edited by approvers: 1 · reminders: 3 · votes by delegation: 1 · voided: 0',
    );

    const prom = await baton.metricsText();
    for (const line of [
      'baton_approval_timeouts_total{flow="payout",outcome="escalate"} 1',
      'baton_approval_timeouts_total{flow="payout-approve",outcome="approve"} 1',
      'baton_approval_timeouts_total{flow="payout-reject",outcome="reject"} 1',
      'baton_approval_overrides_total{flow="payout",type="params"} 1',
      'baton_approval_reminders_total{flow="payout"} 1',
      'baton_escalations_total{flow="payout",reason="approval_timeout"} 1',
      'baton_rework_total{flow="payout",reason="overridden"} 1',
      'baton_approval_latency_seconds_count{flow="payout"} 2',
    ])
      expect(prom).toContain(line);
  });
});
