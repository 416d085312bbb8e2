// Approval figures: how many were requested, how they ended, who decided (human, rule, fallback,
// timeout) and how long people took, for the handoffs of the period; also timeouts by what they
// did, approvers' edits (overrides), reminders and votes cast by delegation.
import type { ApprovalRecord } from '../core/types.ts';
import type { Store } from '../store/port.ts';
import { Quantiles, type Percentiles } from './quantiles.ts';
import { cmp, num, optNum, PAGE, Sql, type Filter } from './sql.ts';

export type ApprovalOutcome = ApprovalRecord['state'];
export type ApprovalLabel = NonNullable<ApprovalRecord['decidedBy']>['label'] | 'none';

export interface ApprovalFigures {
  requested: number;
  byOutcome: Record<ApprovalOutcome, number>;
  /** Who decided: human, rule, fallback, timeout (`none` while pending or voided). */
  byLabel: Record<ApprovalLabel, number>;
  byKind: { action: number; decision: number };
  /** Requested → decided, seconds, over approved, rejected and timed-out approvals. */
  latency: Percentiles;
  /** Decided by their timeout, by what the timeout did (onTimeout). */
  timeouts: { total: number; escalate: number; approve: number; reject: number };
  /** Approvals whose parameters an approver edited (overrides), and the edits. */
  overridden: { approvals: number; edits: number };
  /** Reminders sent before a timeout. */
  reminders: number;
  /** Votes cast by someone standing in for an approver (a delegation). */
  delegatedVotes: number;
}

type Row = Record<string, unknown>;

const OUTCOMES: readonly ApprovalOutcome[] = ['pending', 'approved', 'rejected', 'timed_out', 'voided'];
const LABELS: readonly ApprovalLabel[] = ['human', 'rule', 'fallback', 'timeout', 'none'];

class ApprovalGroup {
  requested = 0;
  readonly byOutcome = Object.fromEntries(OUTCOMES.map((o) => [o, 0])) as Record<ApprovalOutcome, number>;
  readonly byLabel = Object.fromEntries(LABELS.map((l) => [l, 0])) as Record<ApprovalLabel, number>;
  readonly byKind = { action: 0, decision: 0 };
  readonly latency = new Quantiles();
  readonly timeouts = { total: 0, escalate: 0, approve: 0, reject: 0 };
  readonly overridden = { approvals: 0, edits: 0 };
  reminders = 0;
  delegatedVotes = 0;

  add(
    state: ApprovalOutcome,
    label: ApprovalLabel,
    kind: 'action' | 'decision',
    seconds: number | null,
    body: Partial<ApprovalRecord>,
  ): void {
    this.requested += 1;
    this.byOutcome[state] += 1;
    this.byLabel[label] += 1;
    this.byKind[kind] += 1;
    if (seconds !== null) this.latency.add(seconds);
    if (label === 'timeout') {
      this.timeouts.total += 1;
      const how = body.onTimeout === 'approve-all' ? 'approve' : body.onTimeout;
      if (how === 'escalate' || how === 'approve' || how === 'reject') this.timeouts[how] += 1;
    }
    const edits = body.overrides?.length ?? 0;
    if (edits > 0) {
      this.overridden.approvals += 1;
      this.overridden.edits += edits;
    }
    this.reminders += body.remindersSent ?? 0;
    this.delegatedVotes += (body.votes ?? []).filter((v) => v.for !== undefined).length;
  }

  figures(): ApprovalFigures {
    return {
      requested: this.requested,
      byOutcome: { ...this.byOutcome },
      byLabel: { ...this.byLabel },
      byKind: { ...this.byKind },
      latency: this.latency.summary(),
      timeouts: { ...this.timeouts },
      overridden: { ...this.overridden },
      reminders: this.reminders,
      delegatedVotes: this.delegatedVotes,
    };
  }
}

export async function approvalFigures(
  store: Store,
  f: Filter,
): Promise<ApprovalFigures & { byFlow: Array<ApprovalFigures & { flow: string }> }> {
  const all = new ApprovalGroup();
  const byFlow = new Map<string, ApprovalGroup>();
  let after = '';
  for (;;) {
    const q = new Sql(store.kind);
    const w = [`a.id > ${q.p(after)}`];
    // The handoff's creation time is the period filter everywhere; join only when needed.
    const needsJoin = f.since !== undefined || f.until !== undefined || f.boundary !== undefined;
    const join = needsJoin ? 'JOIN handoffs h ON h.id = a.handoff_id' : '';
    if (f.since !== undefined) w.push(`h.created_at >= ${q.p(f.since)}`);
    if (f.until !== undefined) w.push(`h.created_at < ${q.p(f.until)}`);
    if (f.flow !== undefined) w.push(`a.flow_id = ${q.p(f.flow)}`);
    if (f.boundary !== undefined) {
      w.push(`h.boundary_from = ${q.p(f.boundary.from)}`, `h.boundary_to = ${q.p(f.boundary.to)}`);
    }
    const rows = await store.query<Row>(
      `SELECT a.id, a.flow_id, a.state, a.requested_at, a.decided_at, a.body
        FROM approvals a ${join} WHERE ${w.join(' AND ')} ORDER BY a.id LIMIT ${q.p(PAGE)}`,
      q.params,
    );
    for (const r of rows) {
      const state = String(r.state) as ApprovalOutcome;
      if (!OUTCOMES.includes(state)) continue;
      const body = JSON.parse(String(r.body)) as Partial<ApprovalRecord>;
      const rawLabel = body.decidedBy?.label;
      const label =
        rawLabel && (LABELS as readonly string[]).includes(rawLabel) ? (rawLabel as ApprovalLabel) : 'none';
      const kind = body.kind === 'decision' ? 'decision' : 'action';
      const decided = optNum(r.decided_at);
      const seconds =
        decided !== null && state !== 'voided' && state !== 'pending'
          ? Math.max(0, decided - num(r.requested_at)) / 1000
          : null;
      const flow = String(r.flow_id);
      let g = byFlow.get(flow);
      if (!g) byFlow.set(flow, (g = new ApprovalGroup()));
      g.add(state, label, kind, seconds, body);
      all.add(state, label, kind, seconds, body);
    }
    const last = rows.at(-1);
    if (rows.length < PAGE || !last) break;
    after = String(last.id);
  }
  return {
    ...all.figures(),
    byFlow: [...byFlow.entries()]
      .sort(([a], [b]) => cmp(a, b))
      .map(([flow, g]) => ({ flow, ...g.figures() })),
  };
}
