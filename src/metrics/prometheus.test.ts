import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GENESIS } from '../core/hash-chain.ts';
import type { HandoffRecord } from '../core/types.ts';
import type { Engine } from '../engine/engine.ts';
import type { HandoffCommit, NewEvent } from '../store/port.ts';
import { PromMetrics } from './prometheus.ts';
import { runScenario, type Scenario } from './scenario.fixture.ts';

/** `name{labels} value` lines of the exposition, as a map. */
function samples(text: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const line of text.split('\n')) {
    if (!line || line.startsWith('#')) continue;
    const i = line.lastIndexOf(' ');
    out.set(line.slice(0, i), Number(line.slice(i + 1)));
  }
  return out;
}

let s: Scenario;
let prom: PromMetrics;
let text: string;
let m: Map<string, number>;
beforeAll(async () => {
  s = await runScenario((baton) => {
    prom = new PromMetrics(baton.engine);
  });
  text = await prom.text();
  m = samples(text);
});
afterAll(async () => {
  prom?.close();
  await s?.close();
});

const LEAD = 'flow="lead-to-owner"';
const LEAD_B = `${LEAD},boundary="team:marketing->team:sales-ops"`;

describe('Prometheus metrics after a day of work', () => {
  it('uses a private registry with the SPEC §6 names', () => {
    for (const name of [
      'baton_handoff_latency_seconds',
      'baton_queue_wait_seconds',
      'baton_approval_latency_seconds',
      'baton_rework_total',
      'baton_escalations_total',
      'baton_handoffs_total',
      'baton_actions_total',
      'baton_cost_usd_total',
      'baton_sla_breaches_total',
      'baton_approvals_total',
      'baton_llm_tokens_total',
    ]) {
      expect(text).toContain(`# TYPE ${name} `);
    }
    expect(prom.contentType).toMatch(/^text\/plain; version=0\.0\.4/);
    expect(text).toContain('baton_process_cpu_user_seconds_total');
  });

  it('counts handoffs entering each state', () => {
    expect(m.get(`baton_handoffs_total{${LEAD},state="received"}`)).toBe(7);
    // 7 first hand-offs plus L3's reassignment.
    expect(m.get(`baton_handoffs_total{${LEAD},state="handed_off"}`)).toBe(8);
    expect(m.get(`baton_handoffs_total{${LEAD},state="accepted"}`)).toBe(3);
    expect(m.get(`baton_handoffs_total{${LEAD},state="returned"}`)).toBe(2);
    expect(m.get(`baton_handoffs_total{${LEAD},state="completed"}`)).toBe(2);
    expect(m.get(`baton_handoffs_total{${LEAD},state="escalated"}`)).toBe(1);
    expect(m.get(`baton_handoffs_total{${LEAD},state="cancelled"}`)).toBe(1);
    expect(m.get(`baton_handoffs_total{${LEAD},state="awaiting_approval"}`)).toBe(2);
    expect(m.get('baton_handoffs_total{flow="triage",state="completed"}')).toBe(3);
  });

  it('counts rework by reason, escalations by reason and SLA breaches', () => {
    expect(m.get(`baton_rework_total{${LEAD},reason="wrong_owner"}`)).toBe(1);
    expect(m.get(`baton_rework_total{${LEAD},reason="missing_info"}`)).toBe(1);
    expect(m.get(`baton_rework_total{${LEAD},reason="reassigned"}`)).toBe(1);
    expect(m.get('baton_rework_total{flow="billing",reason="overridden"}')).toBe(1);
    expect(m.get(`baton_escalations_total{${LEAD},reason="sla_breach"}`)).toBe(1);
    expect(m.get(`baton_sla_breaches_total{${LEAD}}`)).toBe(1);
    expect(m.get('baton_sla_breaches_total{flow="billing"}')).toBe(0);
  });

  it('counts actions by the action they use and approvals by outcome', () => {
    expect(m.get(`baton_actions_total{${LEAD},action="builtin.create_task",outcome="succeeded"}`)).toBe(7);
    expect(m.get(`baton_actions_total{${LEAD},action="builtin.notify_owner",outcome="succeeded"}`)).toBe(6);
    expect(m.get(`baton_actions_total{${LEAD},action="builtin.draft_reply",outcome="succeeded"}`)).toBe(2);
    expect(m.get(`baton_approvals_total{${LEAD},outcome="approved"}`)).toBe(1);
    expect(m.get(`baton_approvals_total{${LEAD},outcome="rejected"}`)).toBe(1);
    expect(m.get('baton_approvals_total{flow="billing",outcome="approved"}')).toBe(2);
  });

  it('observes latencies once per first acceptance, and approval latencies', () => {
    expect(m.get(`baton_handoff_latency_seconds_count{${LEAD_B}}`)).toBe(3);
    expect(m.get(`baton_handoff_latency_seconds_sum{${LEAD_B}}`)).toBeGreaterThan(0);
    expect(m.get(`baton_handoff_latency_seconds_bucket{${LEAD_B},le="+Inf"}`)).toBe(3);
    expect(m.get(`baton_queue_wait_seconds_count{${LEAD_B}}`)).toBe(3);
    expect(m.get(`baton_queue_wait_seconds_sum{${LEAD_B}}`)).toBeGreaterThan(0);
    expect(m.get(`baton_approval_latency_seconds_count{${LEAD}}`)).toBe(2);
    expect(m.get('baton_approval_latency_seconds_count{flow="billing"}')).toBe(2);
  });

  it('has zero cost and token series for every flow until a model is called', () => {
    for (const f of ['lead-to-owner', 'billing', 'triage']) {
      expect(m.get(`baton_cost_usd_total{flow="${f}"}`)).toBe(0);
      expect(m.get(`baton_llm_tokens_total{flow="${f}",type="input"}`)).toBe(0);
      expect(m.get(`baton_llm_tokens_total{flow="${f}",type="output"}`)).toBe(0);
      expect(m.get(`baton_llm_tokens_total{flow="${f}",type="cached"}`)).toBe(0);
    }
  });

  it('never labels a person or an id', () => {
    for (const key of m.keys()) {
      expect(key).not.toMatch(/user:|h_[0-9a-f]|apr_|"kim"|"ops"/);
    }
  });
});

/** A stand-in engine: only `on`, `off` and `flowList` are used. */
function fakeEngine() {
  const listeners = new Set<(c: HandoffCommit) => void>();
  return {
    engine: {
      on: (_: string, l: (c: HandoffCommit) => void) => listeners.add(l),
      off: (_: string, l: (c: HandoffCommit) => void) => listeners.delete(l),
      flowList: () => [],
    } as unknown as Engine,
    emit: (c: HandoffCommit) => {
      for (const l of listeners) l(c);
    },
    listeners,
  };
}

function handoff(over: Partial<HandoffRecord> = {}): HandoffRecord {
  return {
    id: 'h_1',
    flow: 'f',
    flowVersion: 'v',
    mode: 'auto',
    idempotencyKey: 'k',
    state: 'handed_off',
    owner: 'team:x',
    input: {},
    context: null,
    decision: null,
    boundary: { from: 'team:a', to: 'team:b' },
    createdAt: 1000,
    updatedAt: 5000,
    wakeAt: null,
    breached: false,
    ladderStep: 0,
    rework: 0,
    costUsd: 0,
    rev: 2,
    attempt: 1,
    eventSeq: 1,
    headHash: GENESIS,
    ...over,
  };
}

const event = (type: string, data: Record<string, unknown> = {}, at = 5000): NewEvent => ({
  handoffId: 'h_1',
  seq: 1,
  at,
  type,
  actor: { kind: 'engine', id: 'f' },
  data,
  dataJson: JSON.stringify(data),
});

describe('PromMetrics listener', () => {
  it('maps unknown reasons to "other", takes action uses from the commit, counts model calls', async () => {
    const f = fakeEngine();
    const p = new PromMetrics(f.engine, { processMetrics: false });
    f.emit({
      handoff: handoff(),
      expectedRev: 1,
      events: [
        event('escalated', { reason: 'made-up-reason-123' }),
        event('returned', { reason: 'not a reason' }),
        event('action_failed', { action: 'crm' }),
        event('action_retry_scheduled', { action: 'nope' }),
        event('model_called', {
          costUsd: 0.25,
          usage: { inputTokens: 1200, outputTokens: 300, cachedInputTokens: 40 },
        }),
        event('model_called', { costUsd: -1, usage: { inputTokens: 'many' } }),
      ],
      actions: [
        {
          id: 'crm',
          use: 'hubspot.update_record',
          state: 'failed',
          risk: 'high',
          idempotencyKey: 'x',
          params: {},
          calls: 1,
          order: 0,
          updatedAt: 5000,
        },
      ],
    });
    const got = samples(await p.text());
    expect(got.get('baton_escalations_total{flow="f",reason="other"}')).toBe(1);
    expect(got.get('baton_rework_total{flow="f",reason="other"}')).toBe(1);
    expect(got.get('baton_actions_total{flow="f",action="hubspot.update_record",outcome="failed"}')).toBe(1);
    expect(got.get('baton_actions_total{flow="f",action="unknown",outcome="retry_scheduled"}')).toBe(1);
    expect(got.get('baton_cost_usd_total{flow="f"}')).toBe(0.25);
    expect(got.get('baton_llm_tokens_total{flow="f",type="input"}')).toBe(1200);
    expect(got.get('baton_llm_tokens_total{flow="f",type="output"}')).toBe(300);
    expect(got.get('baton_llm_tokens_total{flow="f",type="cached"}')).toBe(40);
    expect([...got.keys()].some((k) => k.startsWith('baton_process_'))).toBe(false);
  });

  it('observes the handoff latency only at the first acceptance', async () => {
    const f = fakeEngine();
    const p = new PromMetrics(f.engine, { processMetrics: false });
    const first = handoff({ state: 'accepted', createdAt: 1000, handedOffAt: 3000, acceptedAt: 5000 });
    f.emit({ handoff: first, expectedRev: 1, events: [event('accepted', {}, 5000)] });
    // Accepted again after a return: the boundary's latency was already measured.
    f.emit({ handoff: { ...first, updatedAt: 9000 }, expectedRev: 2, events: [event('accepted', {}, 9000)] });
    const got = samples(await p.text());
    const b = 'flow="f",boundary="team:a->team:b"';
    expect(got.get(`baton_handoff_latency_seconds_count{${b}}`)).toBe(1);
    expect(got.get(`baton_handoff_latency_seconds_sum{${b}}`)).toBe(4);
    expect(got.get(`baton_queue_wait_seconds_sum{${b}}`)).toBe(2);
    expect(got.get('baton_handoffs_total{flow="f",state="accepted"}')).toBe(2);
  });

  it('counts one entry into awaiting_approval for several approvals requested in one step', async () => {
    const f = fakeEngine();
    const p = new PromMetrics(f.engine, { processMetrics: false });
    const h = handoff({ state: 'awaiting_approval' });
    f.emit({
      handoff: h,
      expectedRev: 1,
      events: [event('approval_requested', { action: 'a' }), event('approval_requested', { action: 'b' })],
    });
    // A later step that asks again (the next gated action) is a new entry.
    f.emit({ handoff: h, expectedRev: 2, events: [event('approval_requested', { action: 'c' })] });
    const got = samples(await p.text());
    expect(got.get('baton_handoffs_total{flow="f",state="awaiting_approval"}')).toBe(2);
  });

  it('stops listening on close', async () => {
    const f = fakeEngine();
    const p = new PromMetrics(f.engine, { processMetrics: false });
    expect(f.listeners.size).toBe(1);
    p.close();
    expect(f.listeners.size).toBe(0);
  });

  it('keeps up with the engine: 100,000 commits well under a second', () => {
    const f = fakeEngine();
    const metrics = new PromMetrics(f.engine, { processMetrics: false });
    const commits: HandoffCommit[] = [];
    for (let i = 0; i < 10; i++) {
      const h = handoff({ flow: `flow-${i}`, acceptedAt: 5000, handedOffAt: 3000 });
      commits.push({
        handoff: h,
        expectedRev: 1,
        events: [
          event('received'),
          event('context_built'),
          event('decided'),
          event('handed_off'),
          event('accepted'),
        ],
      });
    }
    const t0 = performance.now();
    for (let i = 0; i < 100_000; i++) f.emit(commits[i % 10]!);
    const ms = performance.now() - t0;
    expect(ms).toBeLessThan(500);
    metrics.close();
  });
});
