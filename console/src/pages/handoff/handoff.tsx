// One handoff: where it stands and what the caller may do, how long it spent with each owner
// (the waterfall), the decision and its evidence, actions, approvals, the ledger and the whole
// timeline. Refreshes when the live stream reports a change of this handoff.
import { Scroll } from '../../ui/scroll.tsx';
import { useEffect, useState } from 'react';
import { Link, useParams } from 'react-router';
import type { HandoffCommands, HandoffDetail } from '../../api/types.ts';
import { useLive } from '../../live.ts';
import { Breached, Owner, StateBadge } from '../../ui/badges.tsx';
import { ErrorNote, Loading } from '../../ui/notes.tsx';
import { ago, since } from '../../ui/time.ts';
import { useApi } from '../../ui/use-api.ts';
import { Commands } from './commands.tsx';
import { DecisionView } from './decision.tsx';
import { ActionsTable, ApprovalsTable, LedgerTable } from './records.tsx';
import { Timeline } from './timeline.tsx';
import { WaterfallView } from './waterfall.tsx';
import '../../ui/detail.css';
import './handoff.css';

/** Re-renders every `ms`, so open stretches of the waterfall keep growing. */
function useNow(ms: number): number {
  const [now, setNow] = useState(Date.now());
  useEffect(() => {
    const t = setInterval(() => setNow(Date.now()), ms);
    return () => clearInterval(t);
  }, [ms]);
  return now;
}

export default function HandoffPage() {
  const { id = '' } = useParams();
  const path = `/v1/handoffs/${encodeURIComponent(id)}`;
  const view = useApi<HandoffDetail>(path);
  const commands = useApi<HandoffCommands>(`${path}/commands`);
  const now = useNow(15_000);
  const reload = () => {
    view.reload();
    commands.reload();
  };
  useLive((e) => {
    if (e.id === id) reload();
  });
  const h = view.data;
  if (view.error && !h) return <ErrorNote error={view.error} />;
  if (!h) return <Loading what={`handoff ${id}`} />;
  const input = Object.entries(h.input);
  return (
    <article aria-labelledby="handoff-title" className="handoff">
      <p className="small">
        <Link to="/">Board</Link> › {h.flow}
      </p>
      <h1 id="handoff-title">
        <span className="wrap">{h.id}</span> <StateBadge state={h.state} /> <Breached breached={h.breached} />
      </h1>
      <dl className="facts">
        <dt>Flow</dt>
        <dd>
          <Link to={`/flows/${encodeURIComponent(h.flow)}`}>{h.flow}</Link>{' '}
          <span className="muted small">
            version {h.flowVersion.slice(0, 12)} · mode {h.mode}
          </span>
        </dd>
        <dt>Held by</dt>
        <dd>
          <Owner owner={h.owner} /> <span className="muted">since {ago(h.ledger.at(-1)?.from)}</span>
        </dd>
        <dt>Boundary</dt>
        <dd>{h.boundary.replace('->', ' → ')}</dd>
        <dt>Received</dt>
        <dd>
          {ago(h.createdAt)}
          {h.acceptedAt ? ` · accepted after ${since(h.createdAt, Date.parse(h.acceptedAt))}` : ''}
          {h.completedAt ? ` · completed after ${since(h.createdAt, Date.parse(h.completedAt))}` : ''}
        </dd>
        <dt>Rework</dt>
        <dd>{h.rework}</dd>
        {h.costUsd > 0 && (
          <>
            <dt>Cost</dt>
            <dd>${h.costUsd.toFixed(4)}</dd>
          </>
        )}
        {h.requester && (
          <>
            <dt>Requested by</dt>
            <dd>{h.requester}</dd>
          </>
        )}
      </dl>
      <ErrorNote error={view.error ?? commands.error} />
      <Commands h={h} c={commands.data} onDone={reload} />

      <section aria-labelledby="waterfall-title">
        <h2 id="waterfall-title">Time with each owner</h2>
        <WaterfallView h={h} now={now} />
      </section>

      <section aria-labelledby="decision-title">
        <h2 id="decision-title">Decision</h2>
        <DecisionView h={h} />
      </section>

      <section aria-labelledby="actions-title">
        <h2 id="actions-title">Actions</h2>
        <ActionsTable h={h} undo={commands.data?.actions} />
      </section>

      <section aria-labelledby="approvals-title">
        <h2 id="approvals-title">Approvals</h2>
        <ApprovalsTable h={h} />
      </section>

      <section aria-labelledby="ledger-title">
        <h2 id="ledger-title">Ownership ledger</h2>
        <Scroll label="Ownership ledger">
          <LedgerTable h={h} />
        </Scroll>
      </section>

      <section aria-labelledby="input-title">
        <h2 id="input-title">Input</h2>
        <dl className="facts">
          {input.map(([k, v]) => (
            <div key={k} className="fact">
              <dt>{k}</dt>
              <dd>
                <code className="wrap">{typeof v === 'string' ? v : JSON.stringify(v)}</code>
              </dd>
            </div>
          ))}
        </dl>
      </section>

      <section aria-labelledby="timeline-title">
        <h2 id="timeline-title">Timeline</h2>
        <Timeline h={h} />
      </section>
    </article>
  );
}
