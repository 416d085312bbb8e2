// The project's flows: each with its mode, live version and triggers (where work comes from,
// and when each last fired).
import { Link } from 'react-router';
import type { FlowList, TriggerList } from '../../api/types.ts';
import { ErrorNote, Loading } from '../../ui/notes.tsx';
import { useApi } from '../../ui/use-api.ts';
import { firedText, type Fires } from './fires.ts';
import { ModeBadge } from './mode-badge.tsx';
import { ColumnHeads } from '../../ui/column-heads.tsx';
import './flows.css';

export default function Flows() {
  const { data, error } = useApi<FlowList>('/v1/flows');
  const triggers = useApi<TriggerList>('/v1/intake/triggers');
  const firesOf = new Map(triggers.data?.items.map((t) => [t.flow, t.triggers]) ?? []);
  return (
    <section aria-labelledby="flows-title">
      <h1 id="flows-title">Flows</h1>
      <ErrorNote error={error} />
      {!data && !error && <Loading what="flows" />}
      {data && (
        <table className="flow-list">
          <caption className="muted">
            {data.items.length} flows; open one to see its diagram, history and eval.
          </caption>
          <ColumnHeads names={['Flow', 'Mode', 'Version', 'Boundary', 'Triggers']} />
          <tbody>
            {data.items.map((f) => (
              <tr key={f.id}>
                <td data-label="Flow">
                  <Link to={`/flows/${encodeURIComponent(f.id)}`}>{f.name}</Link>
                  <br />
                  <code className="muted">{f.id}</code>
                </td>
                <td data-label="Mode">
                  <ModeBadge mode={f.mode} />
                </td>
                <td data-label="Version">
                  <code title={f.version}>{f.version.slice(0, 12)}</code>
                </td>
                <td data-label="Boundary">{f.boundary.replace('->', ' → ')}</td>
                <td data-label="Triggers">
                  <ul className="plain">
                    {(
                      firesOf.get(f.id) ??
                      f.trigger.map((t): Fires & { trigger: string; live: boolean } => ({
                        trigger: t,
                        live: true,
                      }))
                    ).map((t) => (
                      <li key={t.trigger}>
                        {t.trigger}
                        {!t.live && <span className="badge badge-done">not live</span>}{' '}
                        <span className="muted">{firedText(t)}</span>
                      </li>
                    ))}
                  </ul>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}
