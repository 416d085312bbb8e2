// Verifying the audit log (GET /v1/audit/verify): every handoff's hash chain and the checkpoint
// chain are re-hashed on the server; what failed is listed where it failed (handoff, event seq,
// checkpoint) with what kind of damage it is, and links to the handoff and its events.
import { useState } from 'react';
import { Link } from 'react-router';
import { api, ApiError } from '../../api/client.ts';
import type { AuditVerify } from '../../api/types.ts';
import { ErrorNote } from '../../ui/notes.tsx';
import { ColumnHeads } from '../../ui/column-heads.tsx';

type Kind = AuditVerify['problems'][number]['kind'];

const KINDS: Record<Kind, string> = {
  edited: 'Event edited',
  deleted: 'Events deleted',
  inserted: 'Event inserted or reordered',
  unlinked: 'Chain broken',
  no_events: 'No events',
  head_mismatch: 'Head mismatch',
  handoff_deleted: 'Handoff deleted',
  rewritten: 'Log rewritten',
  cut_off: 'Tail cut off',
  unanchored: 'Not in any checkpoint',
  checkpoint_deleted: 'Checkpoint deleted',
  checkpoint_inserted: 'Checkpoint inserted',
  checkpoint_unlinked: 'Checkpoint chain broken',
  checkpoint_edited: 'Checkpoint edited',
  more: 'More problems',
};

export function ChainCheck() {
  const [result, setResult] = useState<AuditVerify | null>(null);
  const [error, setError] = useState<ApiError | null>(null);
  const [busy, setBusy] = useState(false);

  const verify = () => {
    setBusy(true);
    setError(null);
    api.get<AuditVerify>('/v1/audit/verify').then(
      (r) => {
        setResult(r);
        setBusy(false);
      },
      (e: unknown) => {
        setError(e instanceof ApiError ? e : new ApiError(0, 'error', String(e)));
        setBusy(false);
      },
    );
  };

  return (
    <section className="card" aria-labelledby="chain-title">
      <h2 id="chain-title">Verify the chain</h2>
      <p className="muted">
        Re-hashes every event of every handoff and the checkpoint chain over them: an edited, deleted or
        inserted event, a deleted handoff or a cut-off log shows up here.
      </p>
      <button type="button" className="primary" onClick={verify} disabled={busy}>
        {busy ? 'Verifying…' : result ? 'Verify again' : 'Verify the chain'}
      </button>
      <ErrorNote error={error} />
      <div aria-live="polite">
        {result?.ok && (
          <p className="note chain-ok" role="status">
            <span aria-hidden="true">✓ </span>
            <strong>The audit log is intact:</strong> {result.checked.toLocaleString('en-US')} events in{' '}
            {result.handoffs.toLocaleString('en-US')} handoffs and{' '}
            {result.checkpoints.toLocaleString('en-US')} checkpoints re-hashed.
            {result.head && (
              <>
                {' '}
                Last checkpoint #{result.head.seq}:{' '}
                <code title={result.head.hash}>{result.head.hash.slice(0, 16)}…</code> (keep it elsewhere to
                detect a rewrite of the whole log).
              </>
            )}
          </p>
        )}
        {result && !result.ok && <Problems result={result} />}
      </div>
    </section>
  );
}

function Problems({ result }: { result: AuditVerify }) {
  const n = result.problems.length;
  return (
    <>
      <p className="note note-error chain-bad" role="alert">
        <span aria-hidden="true">✗ </span>
        <strong>
          The audit log was altered: {n} problem{n === 1 ? '' : 's'} found
        </strong>{' '}
        ({result.checked.toLocaleString('en-US')} events in {result.handoffs.toLocaleString('en-US')} handoffs
        checked).
      </p>
      <div className="table-scroll" role="region" aria-label="Problems found" tabIndex={0}>
        <table className="problems">
          <ColumnHeads names={['Kind', 'Handoff', 'Event seq', 'Checkpoint', 'What is wrong']} />
          <tbody>
            {result.problems.map((p, i) => (
              <tr key={i} data-kind={p.kind}>
                <th scope="row">{KINDS[p.kind] ?? p.kind}</th>
                <td>
                  {p.handoffId ? (
                    <>
                      <Link to={`/handoffs/${encodeURIComponent(p.handoffId)}`}>
                        <code>{p.handoffId}</code>
                      </Link>{' '}
                      <Link
                        to={`/audit?handoff=${encodeURIComponent(p.handoffId)}`}
                        aria-label={`Events of ${p.handoffId}`}
                      >
                        events
                      </Link>
                    </>
                  ) : (
                    '—'
                  )}
                </td>
                <td>
                  {p.seq ?? '—'}
                  {p.eventType && <span className="muted"> ({p.eventType})</span>}
                </td>
                <td>{p.checkpoint ?? '—'}</td>
                <td>{p.problem}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </>
  );
}
