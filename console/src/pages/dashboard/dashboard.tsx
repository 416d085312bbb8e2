// Figures per flow from the store.
import type { MetricsSummary } from '../../api/types.ts';
import { ErrorNote, Loading } from '../../ui/notes.tsx';
import { useApi } from '../../ui/use-api.ts';

export default function Dashboard() {
  const { data, error } = useApi<MetricsSummary>('/v1/metrics/summary');
  return (
    <section aria-labelledby="dash-title">
      <h1 id="dash-title">Dashboard</h1>
      <ErrorNote error={error} />
      {!data && !error && <Loading what="figures" />}
      {data && (
        <table>
          <caption>Handoffs per flow</caption>
          <thead>
            <tr>
              <th scope="col">Flow</th>
              <th scope="col">Handoffs</th>
            </tr>
          </thead>
          <tbody>
            {data.flows.map((f) => (
              <tr key={f.flow}>
                <th scope="row">{f.flow}</th>
                <td>{f.handoffs}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}
