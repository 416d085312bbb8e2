// The rows each chart draws, derived from GET /v1/metrics/summary. Pure functions: the same
// rows feed the chart (hover) and the table beside it (read without hover, and by screen readers).
import type { MetricsSummary } from '../../api/types.ts';

type Group = MetricsSummary['totals'];

export const STAGES = [
  ['receivedToHandedOff', 'Received → handed off'],
  ['handedOffToAccepted', 'Handed off → accepted'],
  ['acceptedToCompleted', 'Accepted → completed'],
  ['receivedToCompleted', 'Received → completed'],
] as const;

export interface LatencyRow {
  name: string;
  p50: number | null;
  p95: number | null;
  count: number;
}

export function latencyRows(g: Group): LatencyRow[] {
  return STAGES.map(([key, name]) => {
    const p = g.latency[key];
    return { name, p50: p.p50, p95: p.p95, count: p.count };
  });
}

/** The wait at each boundary (handed off → accepted), boundary by boundary. */
export function boundaryWaitRows(m: MetricsSummary): Array<LatencyRow & { boundary: string }> {
  return m.boundaries.map((b) => ({
    name: b.boundary,
    boundary: b.boundary,
    p50: b.latency.handedOffToAccepted.p50,
    p95: b.latency.handedOffToAccepted.p95,
    count: b.latency.handedOffToAccepted.count,
  }));
}

export const OWNER_STATES = ['handed_off', 'escalated', 'returned', 'accepted', 'failed'] as const;

export type OwnerRow = { name: string; waiting: number; breached: number; oldest: number | null } & Record<
  (typeof OWNER_STATES)[number],
  number
>;

export function ownerRows(m: MetricsSummary, limit = 12): OwnerRow[] {
  return m.owners.slice(0, limit).map((o) => ({
    name: o.owner,
    waiting: o.waiting,
    breached: o.breached,
    oldest: o.oldestAgeSeconds,
    ...o.states,
  }));
}

export interface OwnerActivityRow extends LatencyRow {
  assigned: number;
  accepted: number;
  sentBack: number;
  sentBackRate: number | null;
}

/** What each owner did with the period's work: how fast they accepted it, how often sent it back. */
export function ownerActivityRows(m: MetricsSummary, limit = 12): OwnerActivityRow[] {
  return m.ownerActivity.slice(0, limit).map((o) => ({
    name: o.owner,
    p50: o.acceptLatency.p50,
    p95: o.acceptLatency.p95,
    count: o.acceptLatency.count,
    assigned: o.assigned,
    accepted: o.accepted,
    sentBack: o.declined + o.returned,
    sentBackRate: o.sentBackRate,
  }));
}

export interface ReasonRow {
  name: string;
  handoffs: number;
  events: number;
  /** Share of the period's handoffs. */
  rate: number | null;
}

const share = (n: number, of: number) => (of > 0 ? n / of : null);

/** Escalations by reason, summed over the flows in view. */
export function escalationRows(m: MetricsSummary): ReasonRow[] {
  const by = new Map<string, ReasonRow>();
  for (const e of m.escalations.byReason) {
    const r = by.get(e.reason) ?? { name: e.reason, handoffs: 0, events: 0, rate: null };
    r.handoffs += e.handoffs;
    r.events += e.events;
    by.set(e.reason, r);
  }
  return [...by.values()]
    .map((r) => ({ ...r, rate: share(r.handoffs, m.totals.handoffs) }))
    .sort((a, b) => b.handoffs - a.handoffs || a.name.localeCompare(b.name));
}

export interface ReworkReasonRow {
  name: string;
  returned: number;
  declined: number;
  total: number;
  rate: number | null;
}

/** Work sent back, by return reason (after accepting: returned; before: declined). */
export function reworkReasonRows(m: MetricsSummary): ReworkReasonRow[] {
  const by = new Map<string, ReworkReasonRow>();
  for (const x of m.rework.byReason) {
    const r = by.get(x.reason) ?? { name: x.reason, returned: 0, declined: 0, total: 0, rate: null };
    r.returned += x.returned;
    r.declined += x.declined;
    r.total += x.total;
    by.set(x.reason, r);
  }
  return [...by.values()]
    .map((r) => ({ ...r, rate: share(r.total, m.totals.handoffs) }))
    .sort((a, b) => b.total - a.total || a.name.localeCompare(b.name));
}

/** Who decided, in words (SPEC: rule, model, person). */
export const DECIDERS = [
  ['rule', 'Rule'],
  ['otherwise', 'Fallback rule (otherwise)'],
  ['llm', 'Model'],
  ['human', 'Person'],
] as const;

export interface DeciderRow {
  name: string;
  handoffs: number;
  reworked: number;
  rate: number | null;
}

export function deciderRows(g: Group): DeciderRow[] {
  return DECIDERS.map(([key, name]) => {
    const d = g.byDecision[key];
    return { name, handoffs: d.handoffs, reworked: d.reworked, rate: d.rate };
  });
}

export interface ApprovalRow extends LatencyRow {
  approved: number;
  rejected: number;
  timedOut: number;
  pending: number;
}

/** Approval latency (requested → decided) per flow, with how the approvals ended. */
export function approvalRows(m: MetricsSummary): ApprovalRow[] {
  return m.approvals.byFlow.map((a) => ({
    name: a.flow,
    p50: a.latency.p50,
    p95: a.latency.p95,
    count: a.latency.count,
    approved: a.byOutcome.approved,
    rejected: a.byOutcome.rejected,
    timedOut: a.byOutcome.timed_out,
    pending: a.byOutcome.pending,
  }));
}

export interface FlowRow {
  name: string;
  handoffs: number;
  breached: number;
  breachRate: number | null;
  perCompletedUsd: number | null;
  completed: number;
  totalUsd: number;
}

export function flowRows(m: MetricsSummary): FlowRow[] {
  return m.flows.map((f) => ({
    name: f.flow,
    handoffs: f.handoffs,
    breached: f.slaBreaches.handoffs,
    breachRate: f.slaBreaches.rate,
    perCompletedUsd: f.cost.perCompletedUsd,
    completed: f.cost.completed,
    totalUsd: f.cost.totalUsd,
  }));
}

export interface ShadowRow {
  name: string;
  agreement: number | null;
  observed: number;
  agreed: number;
  handoffs: number;
  ready: boolean;
  hint: string;
  minAgreement: number;
}

/** Shadow-mode agreement with what people did, and what the promotion gate still needs. */
export function shadowRows(m: MetricsSummary): ShadowRow[] {
  return m.shadow.map((s) => {
    const need = Math.max(0, s.gate.minObserved - s.observed);
    const low = (s.agreement ?? 0) < s.gate.minAgreement;
    const hint = s.readyToPromote
      ? 'Ready to promote'
      : [
          need > 0 ? `needs ${need} more observed handoff${need === 1 ? '' : 's'}` : '',
          low ? `agreement below ${Math.round(s.gate.minAgreement * 100)}%` : '',
        ]
          .filter(Boolean)
          .join('; ')
          .replace(/^./, (c) => `Not yet: ${c}`);
    return {
      name: s.flow,
      agreement: s.agreement,
      observed: s.observed,
      agreed: s.agreed,
      handoffs: s.handoffs,
      ready: s.readyToPromote,
      hint,
      minAgreement: s.gate.minAgreement,
    };
  });
}
