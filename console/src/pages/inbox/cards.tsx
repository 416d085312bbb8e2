// One inbox item as a card. An approval shows exactly what is approved (its parameters, or the
// routing for a suggest-mode confirmation), the level, who else must still approve and the time
// left; work to accept shows how long it has waited.
import { Link } from 'react-router';
import { Breached, Owner, StateBadge } from '../../ui/badges.tsx';
import { ago, formatDuration, since } from '../../ui/time.ts';
import type { WaitingApproval, WaitingHandoff } from './items.ts';

const show = (v: unknown) => (typeof v === 'string' ? v : JSON.stringify(v));

export function timeLeft(a: WaitingApproval, now: number): string {
  if (!a.timeoutAt) return 'no timeout';
  const ms = Date.parse(a.timeoutAt) - now;
  return ms > 0 ? `${formatDuration(ms)} left` : 'timed out';
}

export function ApprovalBody({ a, now }: { a: WaitingApproval; now: number }) {
  const level = a.levels[a.level]!;
  const later = a.levels.slice(a.level + 1);
  const params = Object.entries(a.params ?? {});
  return (
    <>
      <div className="row">
        <strong>{a.kind === 'decision' ? 'Confirm routing' : `Approve ${a.actionId ?? 'action'}`}</strong>
        <span className="muted small">
          {a.flow} · <Link to={`/handoffs/${encodeURIComponent(a.handoffId)}`}>{a.handoffId}</Link>
        </span>
      </div>
      <p>{a.summary}</p>
      <table className="params">
        <caption>
          {a.kind === 'decision' ? 'The decision you confirm' : 'The exact parameters you approve'}
        </caption>
        <tbody>
          {params.map(([k, v]) => (
            <tr key={k}>
              <th scope="row">
                <code>{k}</code>
              </th>
              <td>
                <code className="wrap">{show(v)}</code>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      <ul className="facts-inline small">
        <li>
          Level {a.level + 1} of {a.levels.length}
          {level.name ? ` (${level.name})` : ''}: you approve as <Owner owner={a.as} />
          {a.for ? ` for ${a.for}` : ''}
        </li>
        <li>
          {a.needed > 0
            ? `Needs ${a.needed} more approval${a.needed === 1 ? '' : 's'} at this level`
            : 'This level has its approvals'}
          {a.others.length > 0
            ? `; others who can give one: ${a.others.join(', ')}`
            : '; nobody else can give one'}
        </li>
        {later.length > 0 && (
          <li>
            Then:{' '}
            {later
              .map(
                (l, i) =>
                  `level ${a.level + i + 2}${l.name ? ` (${l.name})` : ''}: ${l.quorum} of ${l.approvers.join(', ')}`,
              )
              .join('; ')}
          </li>
        )}
        <li>
          Requested {ago(a.requestedAt)}
          {a.requester ? ` by ${a.requester}` : ''} · <strong>{timeLeft(a, now)}</strong>
          {a.timeoutAt ? ` (then ${a.onTimeout.replace('-', ' ')})` : ''}
        </li>
      </ul>
    </>
  );
}

export function HandoffBody({ h, now }: { h: WaitingHandoff; now: number }) {
  return (
    <>
      <div className="row">
        <strong>Accept work</strong> <StateBadge state={h.state} /> <Breached breached={h.breached} />
        <span className="muted small">
          {h.flow} · <Link to={`/handoffs/${encodeURIComponent(h.id)}`}>{h.id}</Link>
        </span>
      </div>
      <ul className="facts-inline small">
        <li>
          With <Owner owner={h.as} />
          {h.for ? ` (for ${h.for})` : ''} · boundary {h.boundary.replace('->', ' → ')}
        </li>
        <li>
          Waiting <strong>{since(h.handedOffAt ?? h.updatedAt, now)}</strong>
          {h.rework > 0 ? ` · came back ${h.rework} time${h.rework === 1 ? '' : 's'}` : ''}
        </li>
      </ul>
    </>
  );
}
