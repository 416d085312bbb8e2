// The whole life of the handoff, event by event, as the audit log holds it: when, what, who,
// and the event's own data in short (the full record is on the Audit page and in the export).
import type { HandoffDetail } from '../../api/types.ts';
import { formatDuration, when } from '../../ui/time.ts';

type Event = HandoffDetail['events'][number];

/** The event's data as `key: value` pairs, short enough for a line. */
function gist(data: Record<string, unknown>): string {
  return Object.entries(data)
    .filter(([, v]) => v !== null && v !== undefined && v !== '')
    .slice(0, 6)
    .map(([k, v]) => {
      const text = typeof v === 'string' ? v : JSON.stringify(v);
      return `${k}: ${text.length > 80 ? `${text.slice(0, 77)}…` : text}`;
    })
    .join(' · ');
}

const who = (e: Event) =>
  e.actor.kind === 'user' ? e.actor.id : e.actor.kind === 'engine' ? `Baton (${e.actor.id})` : e.actor.id;

export function Timeline({ h }: { h: HandoffDetail }) {
  const start = h.events.length ? Date.parse(h.events[0]!.at) : 0;
  return (
    <ol className="timeline" aria-label="Events">
      {h.events.map((e) => (
        <li key={e.seq} data-type={e.type}>
          <div className="row">
            <time dateTime={e.at} title={e.at}>
              {when(e.at)}
            </time>
            <span className="muted small">+{formatDuration(Date.parse(e.at) - start)}</span>
            <strong>{e.type.replaceAll('_', ' ')}</strong>
            <span className="muted">
              by {who(e)}
              {e.actor.via ? ` via ${e.actor.via}` : ''}
            </span>
          </div>
          {Object.keys(e.data).length > 0 && <div className="event-data small">{gist(e.data)}</div>}
        </li>
      ))}
    </ol>
  );
}
