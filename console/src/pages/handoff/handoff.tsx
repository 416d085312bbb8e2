// One handoff: where it stands and what the caller may do, how long it spent with each owner
// (the waterfall), the decision and its evidence, actions, approvals, the ledger and the whole
// timeline. Refreshes when the live stream reports a change of this handoff.
import { Scroll } from '../../ui/scroll.tsx';
import { useEffect, useState, type ReactNode } from 'react';
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
import { Fact } from '../../ui/fact.tsx';
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
    if (!e || e.id === id) reload();
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
        <Fact term="Flow">
          <Link to={`/flows/${encodeURIComponent(h.flow)}`}>{h.flow}</Link>{' '}
          <span className="muted small">
            version {h.flowVersion.slice(0, 12)} · mode {h.mode}
          </span>
        </Fact>
        <Fact term="Held by">
          <Owner owner={h.owner} /> <span className="muted">since {ago(h.ledger.at(-1)?.from)}</span>
        </Fact>
        <Fact term="Boundary">{h.boundary.replace('->', ' → ')}</Fact>
        <Fact term="Received">
          {ago(h.createdAt)}
          {h.acceptedAt ? ` · accepted after ${since(h.createdAt, Date.parse(h.acceptedAt))}` : ''}
          {h.completedAt ? ` · completed after ${since(h.createdAt, Date.parse(h.completedAt))}` : ''}
        </Fact>
        <Fact term="Rework">{h.rework}</Fact>
        {h.costUsd > 0 && <Fact term="Cost">${h.costUsd.toFixed(4)}</Fact>}
        {h.requester && <Fact term="Requested by">{h.requester}</Fact>}
      </dl>
      <ErrorNote error={view.error ?? commands.error} />
      <Commands h={h} c={commands.data} onDone={reload} />

      <Part id="waterfall" title="Time with each owner">
        <WaterfallView h={h} now={now} />
      </Part>

      <Part id="decision" title="Decision">
        <DecisionView h={h} />
      </Part>

      <Part id="actions" title="Actions">
        <ActionsTable h={h} undo={commands.data?.actions} />
      </Part>

      <Part id="approvals" title="Approvals">
        <ApprovalsTable h={h} />
      </Part>

      <Part id="ledger" title="Ownership ledger">
        <Scroll label="Ownership ledger">
          <LedgerTable h={h} />
        </Scroll>
      </Part>

      <Part id="input" title="Input">
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
      </Part>

      <Part id="timeline" title="Timeline">
        <Timeline h={h} />
      </Part>
    </article>
  );
}

/** One titled part of the page (its heading names it for assistive technology). */
function Part({ id, title, children }: { id: string; title: string; children: ReactNode }) {
  return (
    <section aria-labelledby={`${id}-title`}>
      <h2 id={`${id}-title`}>{title}</h2>
      {children}
    </section>
  );
}
