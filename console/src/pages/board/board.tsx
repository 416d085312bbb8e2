// The board: open handoffs grouped by who holds them, with how long each has waited.
import { Link } from 'react-router';
import type { HandoffPage, HandoffSummary } from '../../api/types.ts';
import { useLive } from '../../live.ts';
import { Breached, Owner, StateBadge } from '../../ui/badges.tsx';
import { ErrorNote, Loading } from '../../ui/notes.tsx';
import { since } from '../../ui/time.ts';
import { useApi } from '../../ui/use-api.ts';

const CLOSED = new Set(['completed', 'cancelled', 'rolled_back']);

export function Board() {
  const { data, error, loading, reload } = useApi<HandoffPage>('/v1/handoffs', { limit: 1000 });
  useLive(() => reload());
  const open = (data?.items ?? []).filter((h) => !CLOSED.has(h.state));
  const columns = new Map<string, HandoffSummary[]>();
  for (const h of open) columns.set(h.owner, [...(columns.get(h.owner) ?? []), h]);
  return (
    <section aria-labelledby="board-title">
      <h1 id="board-title">Board</h1>
      <ErrorNote error={error} />
      {loading && !data && <Loading what="handoffs" />}
      {data && open.length === 0 && <p>No open handoffs.</p>}
      <div className="columns">
        {[...columns].map(([owner, items]) => (
          <section key={owner} className="column" aria-label={`Held by ${owner}`}>
            <h2>
              <Owner owner={owner} /> <span className="count">{items.length}</span>
            </h2>
            <ul>
              {items.map((h) => (
                <li key={h.id} className="card">
                  <Link to={`/handoffs/${encodeURIComponent(h.id)}`}>{h.id}</Link>{' '}
                  <span className="muted">{h.flow}</span>
                  <div>
                    <StateBadge state={h.state} /> <Breached breached={h.breached} /> waiting{' '}
                    {since(h.handedOffAt ?? h.createdAt)}
                  </div>
                </li>
              ))}
            </ul>
          </section>
        ))}
      </div>
    </section>
  );
}
