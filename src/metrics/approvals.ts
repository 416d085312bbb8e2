// Approval figures: how many were requested, how they ended, who decided (human, rule, fallback,
// timeout) and how long people took, for the handoffs of the period.
import type { ApprovalRecord } from '../core/types.ts';
import type { Store } from '../store/port.ts';
import { Quantiles, type Percentiles } from './quantiles.ts';
import { cmp, num, optNum, PAGE, Sql, str, type Filter } from './sql.ts';

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

  add(
    state: ApprovalOutcome,
    label: ApprovalLabel,
    kind: 'action' | 'decision',
    seconds: number | null,
  ): void {
    this.requested += 1;
    this.byOutcome[state] += 1;
    this.byLabel[label] += 1;
    this.byKind[kind] += 1;
    if (seconds !== null) this.latency.add(seconds);
  }

  figures(): ApprovalFigures {
    return {
      requested: this.requested,
      byOutcome: { ...this.byOutcome },
      byLabel: { ...this.byLabel },
      byKind: { ...this.byKind },
      latency: this.latency.summary(),
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
    const join = f.since !== undefined ? 'JOIN handoffs h ON h.id = a.handoff_id' : '';
    if (f.since !== undefined) w.push(`h.created_at >= ${q.p(f.since)}`);
    if (f.flow !== undefined) w.push(`a.flow_id = ${q.p(f.flow)}`);
    const rows = await store.query<Row>(
      `SELECT a.id, a.flow_id, a.state, a.requested_at, a.decided_at,
          ${q.json('a.body', 'decidedBy', 'label')} AS label, ${q.json('a.body', 'kind')} AS kind
        FROM approvals a ${join} WHERE ${w.join(' AND ')} ORDER BY a.id LIMIT ${q.p(PAGE)}`,
      q.params,
    );
    for (const r of rows) {
      const state = String(r.state) as ApprovalOutcome;
      if (!OUTCOMES.includes(state)) continue;
      const rawLabel = str(r.label);
      const label =
        rawLabel && (LABELS as readonly string[]).includes(rawLabel) ? (rawLabel as ApprovalLabel) : 'none';
      const kind = str(r.kind) === 'decision' ? 'decision' : 'action';
      const decided = optNum(r.decided_at);
      const seconds =
        decided !== null && state !== 'voided' && state !== 'pending'
          ? Math.max(0, decided - num(r.requested_at)) / 1000
          : null;
      const flow = String(r.flow_id);
      let g = byFlow.get(flow);
      if (!g) byFlow.set(flow, (g = new ApprovalGroup()));
      g.add(state, label, kind, seconds);
      all.add(state, label, kind, seconds);
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
