// The handoff's records as tables: the ownership ledger, the actions (with whether a rollback
// can undo each), and the approvals (who decided, through which channel, with what edits).
import { Scroll } from '../../ui/scroll.tsx';
import type { HandoffCommands, HandoffDetail } from '../../api/types.ts';
import { Owner } from '../../ui/badges.tsx';
import { ago, when } from '../../ui/time.ts';
import { ColumnHeads } from '../../ui/column-heads.tsx';

const json = (v: unknown) => (v === null || v === undefined ? '—' : JSON.stringify(v));

export function LedgerTable({ h }: { h: HandoffDetail }) {
  return (
    <table>
      <caption>Ownership ledger</caption>
      <ColumnHeads names={['#', 'Owner', 'From', 'To', 'Why', 'Outcome']} />
      <tbody>
        {h.ledger.map((l) => (
          <tr key={l.seq}>
            <td>{l.seq}</td>
            <th scope="row">
              <Owner owner={l.owner} />
            </th>
            <td>
              <time dateTime={l.from}>{when(l.from)}</time>
            </td>
            <td>{l.to ? <time dateTime={l.to}>{when(l.to)}</time> : 'now'}</td>
            <td>{l.reason.replaceAll('_', ' ')}</td>
            <td>
              {l.status}
              {l.by ? ` by ${l.by}` : ''}
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

export function ActionsTable({
  h,
  undo,
}: {
  h: HandoffDetail;
  undo: HandoffCommands['actions'] | undefined;
}) {
  if (h.actions.length === 0) return <p className="muted">No actions.</p>;
  return (
    <Scroll label="Actions">
      <table>
        <caption>Actions</caption>
        <ColumnHeads names={['Action', 'State', 'Idempotency key', 'Result', 'Rollback']} />
        <tbody>
          {h.actions.map((a) => {
            const u = undo?.find((x) => x.action === a.id);
            return (
              <tr key={a.id} data-action={a.id}>
                <th scope="row">
                  {a.id} <span className="muted small">{a.use}</span>
                  <div className="muted small">risk {a.risk}</div>
                </th>
                <td>
                  <span className="badge badge-busy">{a.state.replaceAll('_', ' ')}</span>
                  {a.calls > 0 && <div className="muted small">{a.calls} call(s)</div>}
                </td>
                <td>
                  <code className="wrap">{a.idempotencyKey}</code>
                </td>
                <td>
                  {a.error ? (
                    <span className="error-text">{a.error}</span>
                  ) : (
                    <code className="wrap">{json(a.result)}</code>
                  )}
                </td>
                <td>
                  {u
                    ? u.reversible
                      ? `can be rolled back (${u.how})`
                      : `cannot be rolled back: ${u.how}`
                    : '—'}
                </td>
              </tr>
            );
          })}
        </tbody>
      </table>
    </Scroll>
  );
}

export function ApprovalsTable({ h }: { h: HandoffDetail }) {
  if (h.approvals.length === 0) return <p className="muted">No approvals.</p>;
  return (
    <div className="approvals">
      {h.approvals.map((a) => (
        <section key={a.id} className="card" aria-label={`Approval ${a.id}`}>
          <div className="row">
            <strong>
              {a.kind === 'decision' ? 'Routing confirmation' : `Approval of ${a.actionId ?? ''}`}
            </strong>
            <span className="badge badge-wait">{a.state.replaceAll('_', ' ')}</span>
            <span className="muted small">{a.id}</span>
          </div>
          <p>{a.summary}</p>
          <p className="small">
            Level {a.level + 1} of {a.levels.length}
            {a.timeoutAt && a.state === 'pending' ? ` · times out ${ago(a.timeoutAt)}` : ''} · policy{' '}
            <code>{a.policyVersion.slice(0, 12)}</code>
          </p>
          {a.decidedBy && (
            <p>
              Decided {a.state} by {a.decidedBy.user ?? a.decidedBy.label} ({a.decidedBy.label}
              {a.decidedBy.via ? `, via ${a.decidedBy.via}` : ''}
              {a.decidedBy.for ? `, for ${a.decidedBy.for}` : ''})
              {a.decidedAt ? ` at ${when(a.decidedAt)}` : ''}
              {a.comment ? `: “${a.comment}”` : ''}
            </p>
          )}
          {a.votes.length > 0 && (
            <table>
              <caption>Votes</caption>
              <ColumnHeads names={['Who', 'Vote', 'Level', 'Channel', 'Comment']} />
              <tbody>
                {a.votes.map((v, i) => (
                  <tr key={i}>
                    <th scope="row">
                      {v.user}
                      {v.for ? ` (for ${v.for})` : ''}
                    </th>
                    <td>{v.decision}</td>
                    <td>{v.level + 1}</td>
                    <td>{v.via ?? '—'}</td>
                    <td>{v.comment ?? '—'}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          )}
          {a.overrides?.map((o, i) => (
            <p key={i} className="small">
              Edited by {o.by}
              {o.for ? ` (for ${o.for})` : ''} at {when(o.at)}:{' '}
              <code className="wrap">{json(o.previous)}</code> →{' '}
              <code className="wrap">{json(o.params)}</code>
            </p>
          ))}
        </section>
      ))}
    </div>
  );
}
