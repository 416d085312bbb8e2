// The buttons of a handoff: only those the server says the caller may use now (each command was
// tried with its own checks: GET /v1/handoffs/{id}/commands) and the session's rights allow.
// Steps that cannot be undone ask first; return and decline take a typed reason, reassign an owner.
import { useState } from 'react';
import { api, ApiError } from '../../api/client.ts';
import type { HandoffCommands, HandoffDetail } from '../../api/types.ts';
import { useSession } from '../../session.tsx';
import { ErrorNote } from '../../ui/notes.tsx';
import { FormDialog } from '../../ui/form-dialog.tsx';
import { CommentField, withComment } from '../../ui/comment-field.tsx';
import { ReasonField } from '../../ui/reason-field.tsx';

type Ask =
  | { kind: 'reason'; command: 'return' | 'decline' }
  | { kind: 'reassign' }
  | {
      kind: 'confirm';
      title: string;
      label: string;
      body: string;
      path: string;
      payload: Record<string, unknown>;
    };

const CONFIRM: Partial<Record<keyof HandoffCommands['commands'], { title: string; body: string }>> = {
  cancel: {
    title: 'Cancel this handoff?',
    body: 'Its open actions are skipped and pending approvals voided. A cancelled handoff cannot be reopened.',
  },
  rollback: {
    title: 'Roll back this handoff?',
    body: 'Every action that ran is undone, newest first, where it can be; actions that cannot be undone stay as they are. The handoff ends rolled back.',
  },
};

const LABEL: Record<keyof HandoffCommands['commands'], string> = {
  accept: 'Accept',
  decline: 'Decline…',
  return: 'Return…',
  reassign: 'Reassign…',
  complete: 'Complete',
  cancel: 'Cancel handoff…',
  rollback: 'Roll back…',
  retry: 'Retry failed actions',
};

const OUTCOMES = [
  [
    'succeeded',
    'It happened',
    'Mark the action succeeded: you checked the target system and the call did take effect.',
  ],
  ['failed', 'It failed', 'Mark the action failed: you checked and the call did not take effect.'],
  [
    'retry',
    'Run it again',
    'Run the action again: only if you checked that it did not take effect, or it is safe to repeat.',
  ],
] as const;

export function Commands({
  h,
  c,
  onDone,
}: {
  h: HandoffDetail;
  c: HandoffCommands | undefined;
  onDone: () => void;
}) {
  const s = useSession();
  const [ask, setAsk] = useState<Ask | null>(null);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<ApiError | null>(null);
  const [reason, setReason] = useState<string>('missing_info');
  const [comment, setComment] = useState('');
  const [to, setTo] = useState('');
  if (!c || !s.can('act')) return null;
  const base = `/v1/handoffs/${encodeURIComponent(h.id)}`;

  const run = async (path: string, body: Record<string, unknown>) => {
    setBusy(true);
    setError(null);
    try {
      await api.post(path, body);
      setAsk(null);
      setComment('');
      onDone();
    } catch (e) {
      setError(e instanceof ApiError ? e : new ApiError(0, 'error', String(e)));
    } finally {
      setBusy(false);
    }
  };
  const open = (a: Ask) => {
    setError(null);
    setComment('');
    setAsk(a);
  };

  const allowed = (Object.keys(LABEL) as Array<keyof typeof LABEL>).filter((k) => c.commands[k].allowed);
  const resolvable = c.resolve.filter((r) => r.allowed);
  const votes = c.votes.filter((v) => v.allowed);
  if (allowed.length === 0 && resolvable.length === 0 && votes.length === 0) return null;

  const click = (k: keyof typeof LABEL) => {
    if (k === 'return' || k === 'decline') return open({ kind: 'reason', command: k });
    if (k === 'reassign') {
      setTo('');
      return open({ kind: 'reassign' });
    }
    const confirm = CONFIRM[k];
    if (confirm)
      return open({
        kind: 'confirm',
        title: confirm.title,
        label: LABEL[k].replace('…', ''),
        body: confirm.body,
        path: `${base}/${k}`,
        payload: {},
      });
    return void run(`${base}/${k}`, {});
  };

  return (
    <section aria-labelledby="commands-title" className="commands">
      <h2 id="commands-title">What you can do</h2>
      {!ask && <ErrorNote error={error} />}
      <div className="row" role="group" aria-label="Commands">
        {allowed.map((k) => (
          <button
            key={k}
            type="button"
            className={
              k === 'accept' || k === 'complete'
                ? 'primary'
                : k === 'cancel' || k === 'rollback'
                  ? 'danger'
                  : ''
            }
            disabled={busy}
            onClick={() => click(k)}
          >
            {LABEL[k]}
          </button>
        ))}
      </div>
      {votes.map((v) => (
        <div key={v.approval} className="row" role="group" aria-label={`Vote on ${v.approval}`}>
          <span>Approval {v.approval}:</span>
          <button
            type="button"
            className="primary"
            disabled={busy}
            onClick={() => void run(`/v1/approvals/${v.approval}`, { decision: 'approve' })}
          >
            Approve
          </button>
          <button
            type="button"
            disabled={busy}
            onClick={() =>
              open({
                kind: 'confirm',
                title: 'Reject this approval?',
                label: 'Reject',
                body: 'A rejection is final for this approval.',
                path: `/v1/approvals/${v.approval}`,
                payload: { decision: 'reject' },
              })
            }
          >
            Reject…
          </button>
        </div>
      ))}
      {resolvable.map((r) => (
        <div key={r.action} className="row" role="group" aria-label={`Resolve action ${r.action}`}>
          <span>
            Action <strong>{r.action}</strong> is {r.state.replaceAll('_', ' ')}:
          </span>
          {OUTCOMES.map(([outcome, label, body]) => (
            <button
              key={outcome}
              type="button"
              disabled={busy}
              onClick={() =>
                open({
                  kind: 'confirm',
                  title: `${label}: resolve ${r.action}?`,
                  label,
                  body,
                  path: `${base}/actions/${encodeURIComponent(r.action)}/resolve`,
                  payload: { outcome },
                })
              }
            >
              {label}…
            </button>
          ))}
        </div>
      ))}

      {ask?.kind === 'reason' && (
        <FormDialog
          title={ask.command === 'return' ? 'Return the work' : 'Decline the work'}
          submitLabel={ask.command === 'return' ? 'Return' : 'Decline'}
          busy={busy}
          error={error}
          onClose={() => setAsk(null)}
          onSubmit={() => void run(`${base}/${ask.command}`, withComment({ reason }, comment))}
        >
          <p className="muted">It goes to the flow's fallback owner and counts as rework.</p>
          <ReasonField id="cmd-reason" value={reason} onChange={setReason} />
          <Comment value={comment} onChange={setComment} />
        </FormDialog>
      )}
      {ask?.kind === 'reassign' && (
        <FormDialog
          title="Reassign the work"
          submitLabel="Reassign"
          busy={busy}
          error={error}
          onClose={() => setAsk(null)}
          onSubmit={() => void run(`${base}/reassign`, withComment({ to: to.trim() }, comment))}
        >
          <label htmlFor="cmd-to">New owner</label>
          <input
            id="cmd-to"
            list="cmd-owners"
            value={to}
            onChange={(e) => setTo(e.target.value)}
            placeholder="user:kim, team:sales-ops or role:cfo"
            aria-describedby="cmd-to-help"
            autoComplete="off"
            required
            autoFocus
          />
          <datalist id="cmd-owners">
            {c.reassignTo.map((o) => (
              <option key={o} value={o} />
            ))}
          </datalist>
          <p id="cmd-to-help" className="muted small">
            A person, team or role of the project. Currently with {h.owner}.
          </p>
          <Comment value={comment} onChange={setComment} />
        </FormDialog>
      )}
      {ask?.kind === 'confirm' && (
        <FormDialog
          title={ask.title}
          submitLabel={ask.label}
          danger
          busy={busy}
          error={error}
          onClose={() => setAsk(null)}
          onSubmit={() => void run(ask.path, withComment(ask.payload, comment))}
        >
          <p>{ask.body}</p>
          <Comment value={comment} onChange={setComment} />
        </FormDialog>
      )}
    </section>
  );
}

/** Every command here takes the same optional comment. */
function Comment({ value, onChange }: { value: string; onChange: (v: string) => void }) {
  return <CommentField id="cmd-comment" value={value} onChange={onChange} maxLength={10000} />;
}
