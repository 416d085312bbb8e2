// `baton report`: the summary as aligned text tables, one section per question a team asks
// (where does work wait, how often does it come back, who is holding it, what does it cost).
import type { GroupFigures, MetricsSummary, Percentiles } from './summary.ts';

type Align = 'l' | 'r';

/** An aligned table: the first column left-aligned, numbers right-aligned. */
export function table(headers: string[], rows: string[][], align?: Align[]): string[] {
  if (rows.length === 0) return ['  (none)'];
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const a = align ?? headers.map((_, i) => (i === 0 ? 'l' : 'r'));
  const line = (cells: string[]) =>
    '  ' +
    cells
      .map((c, i) => (a[i] === 'l' ? c.padEnd(widths[i]!) : c.padStart(widths[i]!)))
      .join('  ')
      .trimEnd();
  return [line(headers), ...rows.map(line)];
}

/** Seconds in the largest unit that keeps them readable: 0.4s, 45s, 12m, 3.5h, 2.1d. */
export function duration(s: number | null): string {
  if (s === null) return '-';
  if (s < 10) return `${trim(s.toFixed(s < 1 ? 2 : 1))}s`;
  if (s < 90) return `${Math.round(s)}s`;
  if (s < 5400) return `${trim((s / 60).toFixed(s < 600 ? 1 : 0))}m`;
  if (s < 172_800) return `${trim((s / 3600).toFixed(1))}h`;
  return `${trim((s / 86_400).toFixed(1))}d`;
}

const trim = (n: string) => (n.includes('.') ? n.replace(/\.?0+$/, '') : n);
const pct = (r: number | null) => (r === null ? '-' : `${trim((r * 100).toFixed(1))}%`);
const usd = (v: number | null) => (v === null ? '-' : `$${v < 0.01 && v > 0 ? v.toFixed(4) : v.toFixed(2)}`);
const p50p90 = (p: Percentiles) => (p.count === 0 ? '-' : `${duration(p.p50)} / ${duration(p.p90)}`);
const n = (v: number) => String(v);

const open = (g: GroupFigures) => g.handoffs - g.states.completed - g.states.cancelled - g.states.rolled_back;

function groupRow(name: string, g: GroupFigures): string[] {
  return [
    name,
    n(g.handoffs),
    n(open(g)),
    n(g.states.completed),
    pct(g.escalations.rate),
    pct(g.rework.rate),
    n(g.slaBreaches.handoffs),
    usd(g.cost.perCompletedUsd),
  ];
}

function latencyRow(name: string, g: GroupFigures): string[] {
  const l = g.latency;
  return [
    name,
    p50p90(l.receivedToHandedOff),
    p50p90(l.handedOffToAccepted),
    p50p90(l.acceptedToCompleted),
    p50p90(l.receivedToCompleted),
  ];
}

export function formatReport(summary: MetricsSummary): string {
  const s = summary;
  const out: string[] = [];
  const section = (title: string, lines: string[]) => out.push('', title, ...lines);
  const scope = [
    s.filter.flow ? `flow ${s.filter.flow}` : 'all flows',
    s.filter.since ? `handoffs created since ${s.filter.since}` : 'all time',
  ].join(', ');
  out.push(`Baton report — ${scope} (generated ${s.generatedAt})`);

  const t = s.totals;
  out.push(
    '',
    `Handoffs ${t.handoffs} · open ${open(t)} · completed ${t.states.completed} · ` +
      `escalated ${pct(t.escalations.rate)} · reworked ${pct(t.rework.rate)} · ` +
      `SLA breached ${t.slaBreaches.handoffs} (${pct(t.slaBreaches.rate)}) · ` +
      `cost ${usd(t.cost.totalUsd)}, ${usd(t.cost.perCompletedUsd)} per completed handoff`,
  );

  const groupHeaders = [
    'HANDOFFS',
    'OPEN',
    'COMPLETED',
    'ESCALATED',
    'REWORKED',
    'SLA BREACHES',
    'COST/COMPLETED',
  ];
  section(
    'By flow',
    table(
      ['FLOW', ...groupHeaders],
      s.flows.map((f) => groupRow(f.flow, f)),
    ),
  );
  section(
    'By boundary',
    table(
      ['BOUNDARY', ...groupHeaders],
      s.boundaries.map((b) => groupRow(b.boundary, b)),
    ),
  );

  const latencyHeaders = [
    'RECEIVED→HANDED OFF',
    'HANDED OFF→ACCEPTED',
    'ACCEPTED→COMPLETED',
    'RECEIVED→COMPLETED',
  ];
  section(
    'Latency by boundary (p50 / p90)',
    table(
      ['BOUNDARY', ...latencyHeaders],
      s.boundaries.map((b) => latencyRow(b.boundary, b)),
    ),
  );
  section(
    'Latency by flow (p50 / p90)',
    table(
      ['FLOW', ...latencyHeaders],
      s.flows.map((f) => latencyRow(f.flow, f)),
    ),
  );

  section(
    'Waiting now, by owner',
    table(
      [
        'OWNER',
        'WAITING',
        'HANDED OFF',
        'ESCALATED',
        'RETURNED',
        'BREACHED',
        'OLDEST',
        'MEDIAN AGE',
        'ACCEPTED',
        'FAILED',
      ],
      s.owners.map((o) => [
        o.owner,
        n(o.waiting),
        n(o.states.handed_off),
        n(o.states.escalated),
        n(o.states.returned),
        n(o.breached),
        duration(o.oldestAgeSeconds),
        duration(o.p50AgeSeconds),
        n(o.states.accepted),
        n(o.states.failed),
      ]),
    ),
  );

  section(
    'Owners over the period',
    table(
      [
        'OWNER',
        'ASSIGNED',
        'ACCEPTED',
        'ACCEPT p50 / p90',
        'COMPLETED',
        'DECLINED',
        'RETURNED',
        'MOVED ON',
        'SENT BACK',
      ],
      s.ownerActivity.map((o) => [
        o.owner,
        n(o.assigned),
        n(o.accepted),
        p50p90(o.acceptLatency),
        n(o.completed),
        n(o.declined),
        n(o.returned),
        n(o.movedOn),
        pct(o.sentBackRate),
      ]),
    ),
  );

  section(
    'Rework by flow',
    table(
      ['FLOW', 'DECLINED', 'RETURNED', 'REASSIGNED', 'OVERRIDDEN', 'HANDOFFS REWORKED', 'RATE'],
      s.flows.map((f) => [
        f.flow,
        n(f.rework.declined),
        n(f.rework.returned),
        n(f.rework.reassigned),
        n(f.rework.overridden),
        n(f.rework.handoffs),
        pct(f.rework.rate),
      ]),
    ),
  );
  section(
    'Rework by return reason',
    table(
      ['FLOW', 'REASON', 'DECLINED', 'RETURNED', 'TOTAL'],
      s.rework.byReason.map((r) => [r.flow, r.reason, n(r.declined), n(r.returned), n(r.total)]),
      ['l', 'l', 'r', 'r', 'r'],
    ),
  );
  section(
    'Rework by decision',
    table(
      ['FLOW', 'DECIDED BY', 'HANDOFFS', 'REWORKED', 'REWORK EVENTS', 'RATE'],
      s.flows.flatMap((f) =>
        Object.entries(f.byDecision)
          .filter(([, d]) => d.handoffs > 0)
          .map(([by, d]) => [f.flow, by, n(d.handoffs), n(d.reworked), n(d.reworkEvents), pct(d.rate)]),
      ),
      ['l', 'l', 'r', 'r', 'r', 'r'],
    ),
  );

  section(
    'Escalations by reason',
    table(
      ['FLOW', 'REASON', 'HANDOFFS', 'EVENTS', 'RATE'],
      s.escalations.byReason.map((e) => [e.flow, e.reason, n(e.handoffs), n(e.events), pct(e.rate)]),
      ['l', 'l', 'r', 'r', 'r'],
    ),
  );

  const a = s.approvals;
  section(
    'Approvals',
    table(
      ['FLOW', 'REQUESTED', 'APPROVED', 'REJECTED', 'TIMED OUT', 'PENDING', 'LATENCY p50 / p90'],
      [
        ...a.byFlow.map((f) => ({ name: f.flow, ...f })),
        ...(a.byFlow.length > 1 ? [{ name: 'all', ...a }] : []),
      ].map((f) => [
        f.name,
        n(f.requested),
        n(f.byOutcome.approved),
        n(f.byOutcome.rejected),
        n(f.byOutcome.timed_out),
        n(f.byOutcome.pending),
        p50p90(f.latency),
      ]),
    ),
  );
  if (a.requested > 0) {
    const labels = Object.entries(a.byLabel)
      .filter(([, v]) => v > 0)
      .map(([k, v]) => `${k} ${v}`);
    out.push(`  decided by: ${labels.join(', ') || '-'}`);
    const to = a.timeouts;
    out.push(
      `  timeouts: ${to.total}${to.total ? ` (escalated ${to.escalate}, approved ${to.approve}, rejected ${to.reject})` : ''}` +
        ` · edited by approvers: ${a.overridden.approvals}${a.overridden.edits > a.overridden.approvals ? ` (${a.overridden.edits} edits)` : ''}` +
        ` · reminders: ${a.reminders} · votes by delegation: ${a.delegatedVotes} · voided: ${a.byOutcome.voided}`,
    );
  }

  if (s.shadow.length > 0) {
    section(
      'Shadow mode agreement',
      table(
        ['FLOW', 'HANDOFFS', 'OBSERVED', 'AGREED', 'AGREEMENT', 'READY TO PROMOTE'],
        s.shadow.map((x) => [
          x.flow,
          n(x.handoffs),
          n(x.observed),
          n(x.agreed),
          pct(x.agreement),
          x.readyToPromote ? 'yes' : 'not yet',
        ]),
      ),
    );
  }
  return out.join('\n') + '\n';
}
