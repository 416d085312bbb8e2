// The person's inbox messages (GET /v1/inbox): reminders, escalations, work handed or sent back,
// notifications, newest first. They inform; the decisions are in the list above.
import { Link } from 'react-router';
import type { InboxList } from '../../api/types.ts';
import { useLive } from '../../live.ts';
import { Owner } from '../../ui/badges.tsx';
import { ErrorNote } from '../../ui/notes.tsx';
import { ago } from '../../ui/time.ts';
import { useApi } from '../../ui/use-api.ts';

const SHOWN = 20;

/** `signedIn` false: an anonymous caller's inbox would be everyone's, so none is shown. */
export function Messages({ signedIn }: { signedIn: boolean }) {
  const { data, error, reload } = useApi<InboxList>(signedIn ? '/v1/inbox' : null);
  useLive(() => reload());
  if (!signedIn) return null;
  const items = [...(data?.items ?? [])].sort((a, b) => b.createdAt.localeCompare(a.createdAt));
  return (
    <section aria-labelledby="messages-title" className="messages">
      <h2 id="messages-title">
        Messages <span className="count">({items.length})</span>
      </h2>
      <ErrorNote error={error} />
      {data && items.length === 0 && <p className="muted">No messages.</p>}
      <ul>
        {items.slice(0, SHOWN).map((m) => (
          <li key={m.id}>
            <span className="badge badge-done">{m.kind}</span> {m.text}{' '}
            <span className="muted small">
              for <Owner owner={m.owner} /> · {ago(m.createdAt)} ·{' '}
              <Link
                to={`/handoffs/${encodeURIComponent(m.handoffId)}`}
                aria-label={`Open handoff ${m.handoffId}`}
              >
                open
              </Link>
            </span>
          </li>
        ))}
      </ul>
      {items.length > SHOWN && (
        <p className="muted small">
          The newest {SHOWN} of {items.length}.
        </p>
      )}
    </section>
  );
}
