// The project's flows.
import { Link } from 'react-router';
import type { FlowList } from '../../api/types.ts';
import { ErrorNote, Loading } from '../../ui/notes.tsx';
import { useApi } from '../../ui/use-api.ts';

export default function Flows() {
  const { data, error } = useApi<FlowList>('/v1/flows');
  return (
    <section aria-labelledby="flows-title">
      <h1 id="flows-title">Flows</h1>
      <ErrorNote error={error} />
      {!data && !error && <Loading what="flows" />}
      <ul>
        {data?.items.map((f) => (
          <li key={f.id}>
            <Link to={`/flows/${encodeURIComponent(f.id)}`}>{f.name}</Link>{' '}
            <span className="muted">{f.mode}</span>
          </li>
        ))}
      </ul>
    </section>
  );
}
