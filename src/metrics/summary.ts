// The figures behind `GET /v1/metrics/summary`, `baton report` and the console: per flow, per
// boundary (from->to) and per owner, read from the store with portable SQL. Everything covers
// the handoffs created since `since` (and of `flow`), except the owners' queues, which show the
// work waiting right now whatever its age.
import { BatonError } from '../core/errors.ts';
import type { HandoffState } from '../core/types.ts';
import type { Store } from '../store/port.ts';
import {
  DECISION_KINDS,
  Group,
  rate,
  REWORK_TYPES,
  type DecisionKind,
  type GroupFigures,
  type ReworkType,
} from './figures.ts';
import { cmp, filterWhere, num, optNum, PAGE, Sql, str, truthy, type Filter } from './sql.ts';
import {
  emptyBuckets,
  ownerActivity,
  ownerQueues,
  type AgeBucket,
  type OwnerActivity,
  type OwnerQueue,
} from './owners.ts';
import { approvalFigures, type ApprovalFigures } from './approvals.ts';

export type {
  GroupFigures,
  LatencyFigures,
  ReworkFigures,
  DecisionFigures,
  DecisionKind,
} from './figures.ts';
export type { Percentiles } from './quantiles.ts';
export type { AgeBucket, OwnerActivity, OwnerQueue } from './owners.ts';
export type { ApprovalFigures, ApprovalLabel, ApprovalOutcome } from './approvals.ts';

export interface FlowFigures extends GroupFigures {
  flow: string;
  /** The boundaries its handoffs crossed (one, unless the flow's boundary was edited). */
  boundaries: string[];
}

export interface BoundaryFigures extends GroupFigures {
  /** `from->to`, e.g. `team:marketing->team:sales`. */
  boundary: string;
  from: string;
  to: string;
  flows: string[];
}

export interface ReworkReason {
  flow: string;
  /** A return reason (missing_info, wrong_owner, …). */
  reason: string;
  returned: number;
  declined: number;
  total: number;
}

export interface EscalationReason {
  flow: string;
  reason: string;
  events: number;
  /** Handoffs escalated for this reason, and their share of the flow's handoffs. */
  handoffs: number;
  rate: number | null;
}

export interface ShadowFigures {
  flow: string;
  /** Shadow-mode handoffs, those where people's routing was observed, and the agreeing ones. */
  handoffs: number;
  observed: number;
  agreed: number;
  agreement: number | null;
  /** At least SHADOW_MIN_OBSERVED observations and agreement ≥ SHADOW_MIN_AGREEMENT. */
  readyToPromote: boolean;
  /** The promotion gate those two figures are held to. */
  gate: { minObserved: number; minAgreement: number };
}

export interface MetricsSummary {
  generatedAt: string;
  filter: { since: string | null; until: string | null; flow: string | null; boundary: string | null };
  totals: GroupFigures;
  flows: FlowFigures[];
  boundaries: BoundaryFigures[];
  /** What each owner holds now (queues are not limited to the period). */
  owners: OwnerQueue[];
  /** All the owners' waiting work by age (the sum of their ageBuckets). */
  queueAges: { waiting: number; breached: number; buckets: AgeBucket[] };
  /** What each owner did with the work of the period: accepted, how fast, sent back. */
  ownerActivity: OwnerActivity[];
  rework: { byReason: ReworkReason[] };
  escalations: { byReason: EscalationReason[] };
  approvals: ApprovalFigures & { byFlow: Array<ApprovalFigures & { flow: string }> };
  shadow: ShadowFigures[];
}

export const SHADOW_MIN_OBSERVED = 20;
export const SHADOW_MIN_AGREEMENT = 0.9;

type Row = Record<string, unknown>;
export interface SummaryOptions {
  since?: number;
  until?: number;
  flow?: string;
  /** `from->to`. */
  boundary?: string;
}

export async function metricsSummary(store: Store, opts: SummaryOptions): Promise<MetricsSummary> {
  const f = checkFilter(opts);
  const now = Date.now();
  const totals = new Group();
  const flows = new Map<string, { g: Group; boundaries: Set<string> }>();
  const boundaries = new Map<string, { g: Group; from: string; to: string; flows: Set<string> }>();
  const shadow = new Map<string, { handoffs: number; observed: number; agreed: number }>();

  const groupsOf = (flow: string, from: string, to: string): Group[] => {
    const key = `${from}->${to}`;
    let fl = flows.get(flow);
    if (!fl) flows.set(flow, (fl = { g: new Group(), boundaries: new Set() }));
    fl.boundaries.add(key);
    let b = boundaries.get(key);
    if (!b) boundaries.set(key, (b = { g: new Group(), from, to, flows: new Set() }));
    b.flows.add(flow);
    return [totals, fl.g, b.g];
  };

  for await (const r of handoffRows(store, f)) {
    const flow = String(r.flow_id);
    const facts = {
      mode: String(r.mode),
      state: String(r.state) as HandoffState,
      createdAt: num(r.created_at),
      handedOffAt: optNum(r.handed_off_at),
      acceptedAt: optNum(r.accepted_at),
      completedAt: optNum(r.completed_at),
      breached: truthy(r.breached),
      rework: num(r.rework),
      costUsd: num(r.cost_usd),
      decidedBy: decisionKind(r.decided_by),
    };
    for (const g of groupsOf(flow, String(r.boundary_from), String(r.boundary_to))) g.add(facts);
    if (facts.mode === 'shadow') {
      let s = shadow.get(flow);
      if (!s) shadow.set(flow, (s = { handoffs: 0, observed: 0, agreed: 0 }));
      s.handoffs += 1;
      if (truthy(r.has_observed)) {
        s.observed += 1;
        if (truthy(r.agreed)) s.agreed += 1;
      }
    }
  }

  // Rework and escalation events, grouped in SQL.
  const reasons = new Map<string, ReworkReason>();
  const escalations = new Map<string, EscalationReason>();
  for (const r of await eventCounts(store, f)) {
    const flow = String(r.flow_id);
    const type = String(r.type);
    const n = num(r.n);
    const reason = str(r.reason) ?? 'unspecified';
    const gs = groupsOf(flow, String(r.boundary_from), String(r.boundary_to));
    if (type === 'escalated') {
      for (const g of gs) g.escalationEvents += n;
      const key = `${flow}\n${reason}`;
      const e = escalations.get(key) ?? { flow, reason, events: 0, handoffs: 0, rate: null };
      e.events += n;
      e.handoffs += num(r.handoffs);
      escalations.set(key, e);
      continue;
    }
    for (const g of gs) g.addRework(type as ReworkType, n);
    if (type === 'returned' || type === 'declined') {
      const key = `${flow}\n${reason}`;
      const x = reasons.get(key) ?? { flow, reason, returned: 0, declined: 0, total: 0 };
      x[type] += n;
      x.total += n;
      reasons.set(key, x);
    }
  }
  for (const r of await escalatedHandoffs(store, f)) {
    const n = num(r.handoffs);
    for (const g of groupsOf(String(r.flow_id), String(r.boundary_from), String(r.boundary_to)))
      g.escalatedHandoffs += n;
  }
  for (const e of escalations.values()) e.rate = rate(e.handoffs, flows.get(e.flow)?.g.handoffs ?? 0);

  const owners = await ownerQueues(store, f, now);
  const queueAges = { waiting: 0, breached: 0, buckets: emptyBuckets() };
  for (const o of owners) {
    queueAges.waiting += o.waiting;
    queueAges.breached += o.breached;
    o.ageBuckets.forEach((b, i) => (queueAges.buckets[i]!.count += b.count));
  }

  const byName = <T>(m: Map<string, T>) => [...m.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return {
    generatedAt: new Date(now).toISOString(),
    filter: {
      since: f.since === undefined ? null : new Date(f.since).toISOString(),
      until: f.until === undefined ? null : new Date(f.until).toISOString(),
      flow: f.flow ?? null,
      boundary: f.boundary ? `${f.boundary.from}->${f.boundary.to}` : null,
    },
    totals: totals.figures(),
    flows: byName(flows).map(([flow, x]) => ({
      flow,
      boundaries: [...x.boundaries].sort(),
      ...x.g.figures(),
    })),
    boundaries: byName(boundaries).map(([boundary, x]) => ({
      boundary,
      from: x.from,
      to: x.to,
      flows: [...x.flows].sort(),
      ...x.g.figures(),
    })),
    owners,
    queueAges,
    ownerActivity: await ownerActivity(store, f),
    rework: {
      byReason: [...reasons.values()].sort(
        (a, b) => b.total - a.total || cmp(a.flow, b.flow) || cmp(a.reason, b.reason),
      ),
    },
    escalations: {
      byReason: [...escalations.values()].sort(
        (a, b) => b.handoffs - a.handoffs || cmp(a.flow, b.flow) || cmp(a.reason, b.reason),
      ),
    },
    approvals: await approvalFigures(store, f),
    shadow: byName(shadow).map(([flow, s]) => {
      const agreement = rate(s.agreed, s.observed);
      return {
        flow,
        ...s,
        agreement,
        readyToPromote: s.observed >= SHADOW_MIN_OBSERVED && (agreement ?? 0) >= SHADOW_MIN_AGREEMENT,
        gate: { minObserved: SHADOW_MIN_OBSERVED, minAgreement: SHADOW_MIN_AGREEMENT },
      };
    }),
  };
}

function checkTime(name: 'since' | 'until', v: unknown): number {
  if (typeof v !== 'number' || !Number.isFinite(v) || v < 0) {
    throw new BatonError('validation_failed', `${name} must be a time (milliseconds since the epoch)`, {
      details: [{ path: name, message: 'expected a non-negative number of milliseconds' }],
    });
  }
  return Math.floor(v);
}

function checkFilter(opts: SummaryOptions): Filter {
  const f: Filter = {};
  if (opts.since !== undefined) f.since = checkTime('since', opts.since);
  if (opts.until !== undefined) f.until = checkTime('until', opts.until);
  if (f.since !== undefined && f.until !== undefined && f.until <= f.since) {
    throw new BatonError('validation_failed', 'until must be after since', {
      details: [{ path: 'until', message: 'must be later than since' }],
    });
  }
  if (opts.boundary !== undefined) {
    const i = typeof opts.boundary === 'string' ? opts.boundary.indexOf('->') : -1;
    if (i < 1 || i + 2 >= opts.boundary.length) {
      throw new BatonError('validation_failed', 'boundary must look like team:marketing->team:sales', {
        details: [{ path: 'boundary', message: 'expected from->to' }],
      });
    }
    f.boundary = { from: opts.boundary.slice(0, i), to: opts.boundary.slice(i + 2) };
  }
  if (opts.flow !== undefined) {
    if (typeof opts.flow !== 'string' || opts.flow.trim() === '') {
      throw new BatonError('validation_failed', 'flow must be a flow id', {
        details: [{ path: 'flow', message: 'expected a non-empty flow id' }],
      });
    }
    f.flow = opts.flow;
  }
  return f;
}

function decisionKind(v: unknown): DecisionKind {
  const s = str(v);
  return s !== null && (DECISION_KINDS as readonly string[]).includes(s) ? (s as DecisionKind) : 'none';
}

/** Every handoff of the filter, page by page in (created_at, id) order. */
async function* handoffRows(store: Store, f: Filter): AsyncGenerator<Row> {
  let after: { createdAt: number; id: string } | undefined;
  for (;;) {
    const q = new Sql(store.kind);
    const w = filterWhere(q, f);
    if (after) {
      const t = q.p(after.createdAt);
      w.push(`(h.created_at > ${t} OR (h.created_at = ${q.p(after.createdAt)} AND h.id > ${q.p(after.id)}))`);
    }
    const sql = `SELECT h.id, h.flow_id, h.boundary_from, h.boundary_to, h.mode, h.state, h.created_at,
        h.handed_off_at, h.accepted_at, h.completed_at, h.breached, h.rework, h.cost_usd,
        COALESCE(${q.json('h.decision', 'overrides')}, ${q.json('h.decision', 'by')}) AS decided_by, ${q.json('h.observed', 'agreed')} AS agreed,
        CASE WHEN h.observed IS NULL THEN 0 ELSE 1 END AS has_observed
      FROM handoffs h ${w.length ? `WHERE ${w.join(' AND ')}` : ''}
      ORDER BY h.created_at, h.id LIMIT ${q.p(PAGE)}`;
    const rows = await store.query<Row>(sql, q.params);
    yield* rows;
    const last = rows.at(-1);
    if (rows.length < PAGE || !last) return;
    after = { createdAt: num(last.created_at), id: String(last.id) };
  }
}

const EVENT_TYPES = [...REWORK_TYPES, 'escalated'];

async function eventCounts(store: Store, f: Filter): Promise<Row[]> {
  const q = new Sql(store.kind);
  const reason = q.json('e.data', 'reason');
  const w = [`e.type IN (${q.list(EVENT_TYPES)})`, ...filterWhere(q, f)];
  return store.query<Row>(
    `SELECT h.flow_id, h.boundary_from, h.boundary_to, e.type, ${reason} AS reason,
        COUNT(*) AS n, COUNT(DISTINCT e.handoff_id) AS handoffs
      FROM events e JOIN handoffs h ON h.id = e.handoff_id
      WHERE ${w.join(' AND ')}
      GROUP BY h.flow_id, h.boundary_from, h.boundary_to, e.type, ${reason}`,
    q.params,
  );
}

async function escalatedHandoffs(store: Store, f: Filter): Promise<Row[]> {
  const q = new Sql(store.kind);
  const w = [`e.type = ${q.p('escalated')}`, ...filterWhere(q, f)];
  return store.query<Row>(
    `SELECT h.flow_id, h.boundary_from, h.boundary_to, COUNT(DISTINCT e.handoff_id) AS handoffs
      FROM events e JOIN handoffs h ON h.id = e.handoff_id
      WHERE ${w.join(' AND ')}
      GROUP BY h.flow_id, h.boundary_from, h.boundary_to`,
    q.params,
  );
}
