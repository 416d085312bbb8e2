// Edit, then approve: the approver changes parameters (each field keeps its type: text stays
// text, numbers are numbers, anything else is JSON) and adds a comment. Only changed fields are
// sent (`edits.params`); the server re-validates them and re-checks the policy. For a routing
// confirmation the edit is the owner (`edits.owner`).
import { useState } from 'react';
import type { ApiError } from '../../api/client.ts';
import { CommentField, withComment } from '../../ui/comment-field.tsx';
import { FormDialog } from '../../ui/form-dialog.tsx';
import type { WaitingApproval } from './items.ts';

type Field = { key: string; kind: 'text' | 'number' | 'json'; original: unknown; value: string };

const fieldOf = (key: string, v: unknown): Field =>
  typeof v === 'string'
    ? { key, kind: 'text', original: v, value: v }
    : typeof v === 'number'
      ? { key, kind: 'number', original: v, value: String(v) }
      : { key, kind: 'json', original: v, value: JSON.stringify(v) };

export interface EditResult {
  edits: { params?: Record<string, unknown>; owner?: string };
  comment?: string;
}

export function EditDialog({
  a,
  busy,
  error,
  onClose,
  onApprove,
  owners,
}: {
  a: WaitingApproval;
  busy: boolean;
  error: ApiError | null;
  onClose: () => void;
  onApprove: (r: EditResult) => void;
  owners: string[];
}) {
  const routing = a.kind === 'decision';
  const [fields, setFields] = useState<Field[]>(() =>
    Object.entries(a.params ?? {}).map(([k, v]) => fieldOf(k, v)),
  );
  const [owner, setOwner] = useState(routing && typeof a.params?.owner === 'string' ? a.params.owner : '');
  const [comment, setComment] = useState('');
  const [problem, setProblem] = useState<string | null>(null);

  const submit = () => {
    if (routing) return onApprove(withComment({ edits: { owner: owner.trim() } }, comment));
    const params: Record<string, unknown> = {};
    for (const f of fields) {
      let v: unknown = f.value;
      if (f.kind === 'number') {
        v = Number(f.value);
        if (f.value.trim() === '' || Number.isNaN(v)) return setProblem(`${f.key} must be a number`);
      } else if (f.kind === 'json') {
        try {
          v = JSON.parse(f.value);
        } catch {
          return setProblem(`${f.key} must be JSON`);
        }
      }
      if (JSON.stringify(v) !== JSON.stringify(f.original)) params[f.key] = v;
    }
    if (Object.keys(params).length === 0)
      return setProblem('Nothing changed: change a field, or approve as it is');
    setProblem(null);
    onApprove(withComment({ edits: { params } }, comment));
  };

  return (
    <FormDialog
      title={routing ? 'Correct the owner, then confirm' : 'Edit, then approve'}
      submitLabel={routing ? 'Confirm with this owner' : 'Approve with edits'}
      busy={busy}
      error={error}
      onClose={onClose}
      onSubmit={submit}
    >
      <p className="muted small">{a.summary}</p>
      {routing ? (
        <>
          <label htmlFor="edit-owner">Owner</label>
          <input
            id="edit-owner"
            list="edit-owners"
            value={owner}
            onChange={(e) => setOwner(e.target.value)}
            required
            autoFocus
          />
          <datalist id="edit-owners">
            {owners.map((o) => (
              <option key={o} value={o} />
            ))}
          </datalist>
        </>
      ) : (
        fields.map((f, i) => (
          <div key={f.key} className="field">
            <label htmlFor={`edit-${f.key}`}>
              {f.key} <span className="muted small">({f.kind})</span>
            </label>
            {f.kind === 'json' || f.value.length > 60 ? (
              <textarea
                id={`edit-${f.key}`}
                rows={3}
                value={f.value}
                autoFocus={i === 0}
                onChange={(e) =>
                  setFields(fields.map((x) => (x.key === f.key ? { ...x, value: e.target.value } : x)))
                }
              />
            ) : (
              <input
                id={`edit-${f.key}`}
                inputMode={f.kind === 'number' ? 'decimal' : undefined}
                value={f.value}
                autoFocus={i === 0}
                onChange={(e) =>
                  setFields(fields.map((x) => (x.key === f.key ? { ...x, value: e.target.value } : x)))
                }
              />
            )}
          </div>
        ))
      )}
      <CommentField id="edit-comment" value={comment} onChange={setComment} maxLength={10000} />
      {problem && (
        <p role="alert" className="note note-error">
          {problem}
        </p>
      )}
    </FormDialog>
  );
}
