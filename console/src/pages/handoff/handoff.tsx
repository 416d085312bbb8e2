// One handoff: where it stands, who held it, and everything that happened to it.
import { useParams } from 'react-router';
import type { HandoffDetail } from '../../api/types.ts';
import { useLive } from '../../live.ts';
import { Owner, StateBadge } from '../../ui/badges.tsx';
import { ErrorNote, Loading } from '../../ui/notes.tsx';
import { when } from '../../ui/time.ts';
import { useApi } from '../../ui/use-api.ts';

export default function HandoffPage() {
  const { id = '' } = useParams();
  const { data: h, error, reload } = useApi<HandoffDetail>(`/v1/handoffs/${encodeURIComponent(id)}`);
  useLive((e) => e.id === id && reload());
  if (error) return <ErrorNote error={error} />;
  if (!h) return <Loading what={`handoff ${id}`} />;
  return (
    <article aria-labelledby="handoff-title">
      <h1 id="handoff-title">
        {h.id} <StateBadge state={h.state} />
      </h1>
      <p>
        {h.flow} · held by <Owner owner={h.owner} /> · {h.boundary}
      </p>
      <h2>Timeline</h2>
      <ol className="timeline">
        {h.events.map((e) => (
          <li key={e.seq}>
            <time dateTime={e.at}>{when(e.at)}</time> <strong>{e.type}</strong>
          </li>
        ))}
      </ol>
    </article>
  );
}
