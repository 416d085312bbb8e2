// One flow: its diagram, mode and triggers, version history, eval results, and its editor
// (admin; read-only for everyone else).
import { useState } from 'react';
import { Link, useParams } from 'react-router';
import { api, ApiError } from '../../api/client.ts';
import type { FlowDefinition, FlowDetail, FlowEval, FlowSaved, FlowVersions } from '../../api/types.ts';
import { useSession } from '../../session.tsx';
import { ErrorNote, Loading } from '../../ui/notes.tsx';
import { useApi } from '../../ui/use-api.ts';
import { FlowDiagram } from './diagram.tsx';
import { firedText } from './fires.ts';
import { FlowEditor } from './editor.tsx';
import { EvalResults } from './eval-results.tsx';
import { ModeBadge } from './mode-badge.tsx';
import { VersionHistory } from './versions.tsx';
import './flows.css';

export default function FlowPage() {
  const { flow = '' } = useParams();
  const s = useSession();
  const path = `/v1/flows/${encodeURIComponent(flow)}`;
  const detail = useApi<FlowDetail>(path);
  const versions = useApi<FlowVersions>(`${path}/versions`);
  const [saved, setSaved] = useState<FlowSaved | null>(null);
  const [live, setLive] = useState<FlowEval | null>(null);
  const [evalError, setEvalError] = useState<ApiError | null>(null);
  const [running, setRunning] = useState(false);

  if (detail.error) return <ErrorNote error={detail.error} />;
  if (!detail.data) return <Loading what={`flow ${flow}`} />;
  const d = detail.data;
  const def = d.definition as unknown as FlowDefinition;

  const runLive = () => {
    setRunning(true);
    setEvalError(null);
    api.post<FlowEval>(`${path}/eval`, {}).then(
      (r) => {
        setLive(r);
        setRunning(false);
      },
      (e: unknown) => {
        setEvalError(e instanceof ApiError ? e : new ApiError(0, 'error', String(e)));
        setRunning(false);
      },
    );
  };

  return (
    <article aria-labelledby="flow-title" className="flow-page">
      <p className="muted">
        <Link to="/flows">Flows</Link> / <code>{d.id}</code>
      </p>
      <h1 id="flow-title">{def.name}</h1>
      <p className="row">
        <ModeBadge mode={def.mode} />
        <span>
          live version <code title={d.version}>{d.version.slice(0, 12)}</code>
        </span>
        <span className="muted">{d.file}</span>
      </p>
      {def.description && <p>{def.description}</p>}
      {saved && (
        <p className="note note-ok" role="status">
          Saved: version <code>{saved.version.slice(0, 12)}</code> is live (was{' '}
          <code>{saved.previous.slice(0, 12)}</code>).
        </p>
      )}

      <h2>Diagram</h2>
      <FlowDiagram def={def} triggers={d.triggers} />

      <h2>Triggers</h2>
      <ul>
        {d.triggers.map((t) => (
          <li key={t.trigger}>
            <strong>{t.trigger}</strong> {t.live ? '' : <span className="badge badge-done">not live</span>}{' '}
            <span className="muted">{[t.where, firedText(t)].filter(Boolean).join('; ')}</span>
          </li>
        ))}
      </ul>

      <h2>Versions</h2>
      <ErrorNote error={versions.error} />
      {versions.data ? (
        <VersionHistory flow={d.id} versions={versions.data.items} />
      ) : (
        !versions.error && <Loading what="versions" />
      )}

      <h2>Eval</h2>
      <button type="button" onClick={runLive} disabled={running}>
        {running ? 'Running the eval cases…' : 'Run the eval cases on the live flow'}
      </button>
      <ErrorNote error={evalError} />
      {live && <EvalResults result={live} label="Eval on the live flow" />}

      <h2>Editor</h2>
      <FlowEditor
        key={d.version}
        detail={d}
        canEdit={s.can('admin')}
        onSaved={(r) => {
          setSaved(r);
          setLive(null);
          detail.reload();
          versions.reload();
        }}
      />
    </article>
  );
}
