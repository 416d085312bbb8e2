// Flows and boundaries side by side: the main figures of each, one row apiece, with a link to
// its handoffs on the board.
import { Link } from 'react-router';
import type { MetricsSummary } from '../../api/types.ts';
import { count, percent, seconds, usd } from './format.ts';

type Row = MetricsSummary['totals'] & { name: string; to: string };

export function GroupTable({ id, title, rows }: { id: string; title: string; rows: Row[] }) {
  if (rows.length === 0) return null;
  return (
    <section className="card" aria-labelledby={`${id}-title`} id={id}>
      <h2 id={`${id}-title`}>{title}</h2>
      <div className="table-scroll" role="region" aria-label={`${title}: numbers`} tabIndex={0}>
        <table className="figures">
          <thead>
            <tr>
              <th scope="col">{title.replace('By ', '').replace(/^./, (c) => c.toUpperCase())}</th>
              <th scope="col">Handoffs</th>
              <th scope="col">Latency p50 / p95</th>
              <th scope="col">Wait p50 / p95</th>
              <th scope="col">Escalated</th>
              <th scope="col">Rework</th>
              <th scope="col">SLA breaches</th>
              <th scope="col">Per completed</th>
            </tr>
          </thead>
          <tbody>
            {rows.map((r) => (
              <tr key={r.name}>
                <th scope="row">
                  <Link to={r.to}>{r.name}</Link>
                </th>
                <td>{count(r.handoffs)}</td>
                <td>
                  {seconds(r.latency.receivedToCompleted.p50)} / {seconds(r.latency.receivedToCompleted.p95)}
                </td>
                <td>
                  {seconds(r.latency.handedOffToAccepted.p50)} / {seconds(r.latency.handedOffToAccepted.p95)}
                </td>
                <td>{percent(r.escalations.rate)}</td>
                <td>{percent(r.rework.rate)}</td>
                <td>{count(r.slaBreaches.handoffs)}</td>
                <td>{usd(r.cost.perCompletedUsd)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </section>
  );
}
