// A modal form (a native <dialog>: focus stays inside, Escape cancels) for commands that need
// more than a click: a reason, an owner, edits. The first field takes focus; the error of the
// last attempt is shown inside, so the person can correct it without losing what they typed.
import { useEffect, useRef, type ReactNode } from 'react';
import type { ApiError } from '../api/client.ts';
import { ErrorNote } from './notes.tsx';

export interface FormDialogProps {
  title: string;
  submitLabel: string;
  /** Red submit button: the step cannot be undone. */
  danger?: boolean;
  busy?: boolean;
  error?: ApiError | null;
  onSubmit: () => void;
  onClose: () => void;
  children?: ReactNode;
}

export function FormDialog(p: FormDialogProps) {
  const ref = useRef<HTMLDialogElement>(null);
  useEffect(() => {
    const d = ref.current;
    if (d && !d.open) d.showModal();
    return () => d?.close();
  }, []);
  return (
    <dialog
      ref={ref}
      className="dialog"
      aria-labelledby="form-dialog-title"
      onCancel={(e) => {
        e.preventDefault();
        p.onClose();
      }}
    >
      <form
        className="dialog-form"
        onSubmit={(e) => {
          e.preventDefault();
          if (!p.busy) p.onSubmit();
        }}
      >
        <h2 id="form-dialog-title">{p.title}</h2>
        {p.children}
        <ErrorNote error={p.error} />
        <div className="row">
          <button type="submit" className={p.danger ? 'danger' : 'primary'} disabled={p.busy}>
            {p.busy ? 'Working…' : p.submitLabel}
          </button>
          <button type="button" onClick={p.onClose}>
            Cancel
          </button>
        </div>
      </form>
    </dialog>
  );
}
