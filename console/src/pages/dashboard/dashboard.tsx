// The dashboard: figures per flow and per boundary over a chosen period (GET /v1/metrics/summary),
// refreshed as handoffs change (the live stream), each chart with its numbers and a link to the
// handoffs behind it. Period and scope live in the URL.
import { useEffect, useRef } from 'react';
import { Link, useSearchParams } from 'react-router';
import type { FlowList, MetricsSummary } from '../../api/types.ts';
import { useLive } from '../../live.ts';
import { ErrorNote, Loading } from '../../ui/notes.tsx';
import { useApi } from '../../ui/use-api.ts';
import { Charts } from './charts.tsx';
import { Controls } from './controls.tsx';
import { count, percent, seconds, usd } from './format.ts';
import { GroupTable } from './group-table.tsx';
import {
  auditLink,
  boardLink,
  describePeriod,
  periodParams,
  readPeriod,
  readScope,
  summaryQuery,
  type Period,
  type Scope,
} from './period.ts';
import './dashboard.css';

/** Live changes come in bursts: refetch at most this often. */
const REFRESH_MS = 1000;

export default function Dashboard() {
  const [params, setParams] = useSearchParams();
  const period = readPeriod(params);
  const scope = readScope(params);
  const summary = useApi<MetricsSummary>('/v1/metrics/summary', summaryQuery(period, scope));
  const flows = useApi<FlowList>('/v1/flows');

  const timer = useRef<ReturnType<typeof setTimeout> | null>(null);
  useEffect(
    () => () => {
      if (timer.current) clearTimeout(timer.current);
    },
    [],
  );
  useLive((e) => {
    if (e && scope.flow && e.flow !== scope.flow) return;
    if (timer.current) return;
    timer.current = setTimeout(() => {
      timer.current = null;
      summary.reload();
    }, REFRESH_MS);
  });

  const update = (change: Record<string, string | undefined>) => {
    const next = new URLSearchParams(params);
    for (const [k, v] of Object.entries(change)) {
      if (v) next.set(k, v);
      else next.delete(k);
    }
    setParams(next);
  };
  const onPeriod = (p: Period) => update(periodParams(p));
  const onScope = (s: Scope) => update({ flow: s.flow, boundary: s.boundary });

  const m = summary.data;
  const scopeText = scope.flow
    ? `flow ${scope.flow}`
    : scope.boundary
      ? `boundary ${scope.boundary}`
      : 'all flows';
  return (
    <section aria-labelledby="dash-title" className="dashboard">
      <h1 id="dash-title">Dashboard</h1>
      <Controls
        period={period}
        scope={scope}
        flows={flows.data?.items ?? []}
        onPeriod={onPeriod}
        onScope={onScope}
      />
      <p className="muted" role="status" aria-busy={summary.loading}>
        {describePeriod(period)}, {scopeText}
        {m && <> · figures of {new Date(m.generatedAt).toLocaleTimeString()}</>}
        {summary.loading && m && ' · updating…'}
      </p>
      <ErrorNote error={summary.error} />
      {!m && !summary.error && <Loading what="figures" />}
      {m && (
        <>
          <Tiles m={m} scope={scope} period={period} />
          <Charts m={m} scope={scope} period={period} />
          <div className="dash-tables">
            <GroupTable
              id="by-flow"
              title="By flow"
              rows={m.flows.map((f) => ({ ...f, name: f.flow, to: boardLink({}, { flow: f.flow }) }))}
            />
            <GroupTable
              id="by-boundary"
              title="By boundary"
              rows={m.boundaries.map((b) => ({
                ...b,
                name: b.boundary,
                to: boardLink({}, { boundary: b.boundary }),
              }))}
            />
          </div>
        </>
      )}
    </section>
  );
}

function Tiles({ m, scope, period }: { m: MetricsSummary; scope: Scope; period: Period }) {
  const t = m.totals;
  const link = (f: Record<string, string> = {}) => boardLink(scope, f);
  const audit = (type: string) => auditLink(scope, period, type);
  const tiles: Array<[string, string, string, string]> = [
    ['handoffs', 'Handoffs', count(t.handoffs), link()],
    ['completed', 'Completed', count(t.states.completed), audit('completed')],
    [
      'wait-p95',
      'Wait for the new owner (p95)',
      seconds(t.latency.handedOffToAccepted.p95),
      link({ state: 'handed_off' }),
    ],
    ['escalation-rate', 'Escalation rate', percent(t.escalations.rate), link({ state: 'escalated' })],
    ['rework-rate', 'Rework rate', percent(t.rework.rate), link({ state: 'returned' })],
    ['sla-breaches', 'SLA breaches', count(t.slaBreaches.handoffs), audit('sla_breached')],
    ['cost-per-completed', 'Cost per completed handoff', usd(t.cost.perCompletedUsd), audit('completed')],
  ];
  return (
    <ul className="tiles" aria-label="Key figures">
      {tiles.map(([id, label, value, to]) => (
        <li key={id} className="tile card" data-figure={id}>
          <Link to={to}>
            <span className="tile-value">{value}</span>
            <span className="tile-label">{label}</span>
          </Link>
        </li>
      ))}
    </ul>
  );
}
