// Searching the audit log (GET /v1/events) by handoff, actor, type, flow and time. The search
// lives in the URL (?handoff=…&actor=…&type=…&flow=…&since=…&until=…, times as ISO), so it can be
// shared; further pages load on demand with the answer's cursor.
import { useEffect, useRef, useState, type FormEvent } from 'react';
import { Link, useSearchParams } from 'react-router';
import { api, ApiError } from '../../api/client.ts';
import type { EventPage } from '../../api/types.ts';
import { useLive } from '../../live.ts';
import { ErrorNote } from '../../ui/notes.tsx';
import { when } from '../../ui/time.ts';
import { ColumnHeads } from '../../ui/column-heads.tsx';

export const FIELDS = ['handoff', 'actor', 'type', 'flow', 'since', 'until'] as const;
type Field = (typeof FIELDS)[number];

/** Event types the engine writes, offered as suggestions (any type may be typed). */
const TYPES = [
  'received',
  'context_built',
  'decided',
  'handed_off',
  'accepted',
  'declined',
  'returned',
  'reassigned',
  'overridden',
  'escalated',
  'sla_breached',
  'approval_requested',
  'approval_vote',
  'action_approved',
  'action_rejected',
  'approval_timed_out',
  'action_started',
  'action_succeeded',
  'action_failed',
  'action_outcome_unknown',
  'resolved',
  'retried',
  'rolled_back',
  'completed',
  'cancelled',
  'failed',
  'amended',
  'commented',
  'observed',
  'shadow_recorded',
];

/** An ISO time as a datetime-local value (local time, to the minute). */
function toLocal(iso: string | null): string {
  if (!iso) return '';
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return '';
  const p = (n: number) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())}T${p(d.getHours())}:${p(d.getMinutes())}`;
}

const fromLocal = (v: string): string => (v ? new Date(v).toISOString() : '');

type Item = EventPage['items'][number];

export function EventSearch() {
  const [params, setParams] = useSearchParams();
  const query = Object.fromEntries(FIELDS.map((f) => [f, params.get(f) ?? ''])) as Record<Field, string>;
  const key = FIELDS.map((f) => query[f]).join('\n');
  const [items, setItems] = useState<Item[]>([]);
  const [cursor, setCursor] = useState<string | undefined>(undefined);
  const [error, setError] = useState<ApiError | null>(null);
  const [busy, setBusy] = useState(false);
  const [loadedKey, setLoadedKey] = useState<string | null>(null);

  const load = (after: string | undefined, signal?: AbortSignal) => {
    setBusy(true);
    api.get<EventPage>('/v1/events', { ...query, limit: 50, cursor: after }, signal).then(
      (page) => {
        setItems((old) => (after ? [...old, ...page.items] : page.items));
        setCursor(page.nextCursor);
        setError(null);
        setBusy(false);
        setLoadedKey(key);
      },
      (e: unknown) => {
        if ((e as Error).name === 'AbortError') return;
        setError(e instanceof ApiError ? e : new ApiError(0, 'error', String(e)));
        setBusy(false);
        setLoadedKey(key);
      },
    );
  };

  useEffect(() => {
    const ctl = new AbortController();
    load(undefined, ctl.signal);
    return () => ctl.abort();
    // `key` stands for the query read from the URL.
  }, [key]);

  // New events arrive live; the first page refreshes (at most once a second) unless the reader
  // has loaded more pages, which a refresh would take away.
  const pages = useRef(1);
  // The timer calls the newest load: the query may have changed since it was set.
  const latestLoad = useRef(load);
  latestLoad.current = load;
  const timer = useRef<ReturnType<typeof setTimeout> | null>(null);
  useEffect(() => {
    pages.current = 1;
  }, [key]);
  useEffect(
    () => () => {
      if (timer.current) clearTimeout(timer.current);
    },
    [],
  );
  useLive((e) => {
    if (pages.current > 1 || timer.current) return;
    if (e && query.handoff && e.id !== query.handoff) return;
    timer.current = setTimeout(() => {
      timer.current = null;
      latestLoad.current(undefined);
    }, 1000);
  });

  const submit = (e: FormEvent<HTMLFormElement>) => {
    e.preventDefault();
    const form = new FormData(e.currentTarget);
    const next = new URLSearchParams(params);
    for (const f of FIELDS) {
      const value = form.get(f);
      const raw = typeof value === 'string' ? value.trim() : '';
      const v = f === 'since' || f === 'until' ? fromLocal(raw) : raw;
      if (v) next.set(f, v);
      else next.delete(f);
    }
    setParams(next);
  };

  const filtered = FIELDS.some((f) => query[f]);
  return (
    <section className="card" aria-labelledby="search-title">
      <h2 id="search-title">Search events</h2>
      <form className="audit-form" onSubmit={submit} key={key} aria-label="Search the audit log">
        <label>
          Handoff id
          <input name="handoff" defaultValue={query.handoff} placeholder="h_…" autoComplete="off" />
        </label>
        <label>
          Actor
          <input name="actor" defaultValue={query.actor} placeholder="user:dana" autoComplete="off" />
        </label>
        <label>
          Event type
          <input
            name="type"
            defaultValue={query.type}
            list="event-types"
            placeholder="escalated"
            autoComplete="off"
          />
          <datalist id="event-types">
            {TYPES.map((t) => (
              <option key={t} value={t} />
            ))}
          </datalist>
        </label>
        <label>
          Flow
          <input name="flow" defaultValue={query.flow} placeholder="lead-to-owner" autoComplete="off" />
        </label>
        <label>
          From
          <input name="since" type="datetime-local" defaultValue={toLocal(params.get('since'))} />
        </label>
        <label>
          Until
          <input name="until" type="datetime-local" defaultValue={toLocal(params.get('until'))} />
        </label>
        <div className="audit-buttons">
          <button type="submit" className="primary">
            Search
          </button>
          {filtered && (
            <button type="button" onClick={() => setParams(new URLSearchParams())}>
              Clear
            </button>
          )}
        </div>
      </form>
      <ErrorNote error={error} />
      <p className="muted search-status" role="status" aria-busy={busy}>
        {loadedKey !== key
          ? 'Searching…'
          : `${items.length}${cursor ? '+' : ''} event${items.length === 1 ? '' : 's'}${filtered ? ' found' : ', newest first'}`}
      </p>
      {items.length > 0 && (
        <div className="table-scroll" role="region" aria-label="Events found" tabIndex={0}>
          <table className="events">
            <ColumnHeads names={['Time', 'Handoff', 'Seq', 'Type', 'Actor', 'Data']} />
            <tbody>
              {items.map((e) => (
                <tr key={`${e.handoffId}:${e.seq}`}>
                  <td>
                    <time dateTime={e.at}>{when(e.at)}</time>
                  </td>
                  <td>
                    <Link to={`/handoffs/${encodeURIComponent(e.handoffId)}`} title={e.handoffId}>
                      <code>{e.handoffId.length > 14 ? `…${e.handoffId.slice(-10)}` : e.handoffId}</code>
                    </Link>
                  </td>
                  <td>{e.seq}</td>
                  <th scope="row">{e.type}</th>
                  <td>
                    {e.actor.kind}:{e.actor.id}
                    {e.actor.via && <span className="muted"> via {e.actor.via}</span>}
                  </td>
                  <td>
                    <EventData data={e.data} />
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      {cursor && (
        <button
          type="button"
          onClick={() => {
            pages.current += 1;
            load(cursor);
          }}
          disabled={busy}
        >
          {busy ? 'Loading…' : 'Load more'}
        </button>
      )}
    </section>
  );
}

function EventData({ data }: { data: Record<string, unknown> }) {
  const text = JSON.stringify(data);
  if (text === '{}') return <span className="muted">—</span>;
  if (text.length <= 80) return <code className="event-data">{text}</code>;
  return (
    <details>
      <summary>
        <code className="event-data">{text.slice(0, 60)}…</code>
      </summary>
      <pre className="code">{JSON.stringify(data, null, 2)}</pre>
    </details>
  );
}
