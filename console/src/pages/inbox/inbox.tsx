// Approvals waiting for a decision.
import { Link } from 'react-router';
import type { ApprovalList } from '../../api/types.ts';
import { useLive } from '../../live.ts';
import { ErrorNote, Loading } from '../../ui/notes.tsx';
import { useApi } from '../../ui/use-api.ts';

export default function Inbox() {
  const { data, error, reload } = useApi<ApprovalList>('/v1/approvals', { state: 'pending' });
  useLive(() => reload());
  return (
    <section aria-labelledby="inbox-title">
      <h1 id="inbox-title">Inbox</h1>
      <ErrorNote error={error} />
      {!data && !error && <Loading what="approvals" />}
      {data && data.items.length === 0 && <p>Nothing waits for a decision.</p>}
      <ul>
        {data?.items.map((a) => (
          <li key={a.id}>
            {a.summary} — <Link to={`/handoffs/${encodeURIComponent(a.handoffId)}`}>{a.handoffId}</Link>
          </li>
        ))}
      </ul>
    </section>
  );
}
