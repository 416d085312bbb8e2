// A confirmation before something that cannot be undone: a native <dialog> (focus is trapped
// and Escape cancels by itself), opened by awaiting `confirm(...)` from the hook.
import { useCallback, useEffect, useRef, useState, type ReactNode } from 'react';

interface Ask {
  title: string;
  body?: ReactNode;
  confirmLabel: string;
  resolve: (ok: boolean) => void;
}

export function useConfirm(): {
  confirm: (title: string, confirmLabel: string, body?: ReactNode) => Promise<boolean>;
  dialog: ReactNode;
} {
  const [ask, setAsk] = useState<Ask | null>(null);
  const ref = useRef<HTMLDialogElement>(null);
  useEffect(() => {
    if (ask && ref.current && !ref.current.open) ref.current.showModal();
  }, [ask]);
  const close = (ok: boolean) => {
    ref.current?.close();
    ask?.resolve(ok);
    setAsk(null);
  };
  const confirm = useCallback(
    (title: string, confirmLabel: string, body?: ReactNode) =>
      new Promise<boolean>((resolve) => setAsk({ title, confirmLabel, body, resolve })),
    [],
  );
  const dialog = ask ? (
    <dialog ref={ref} className="dialog" aria-labelledby="confirm-title" onCancel={() => close(false)}>
      <h2 id="confirm-title">{ask.title}</h2>
      {ask.body && <div className="dialog-body">{ask.body}</div>}
      <div className="row">
        <button type="button" className="primary" onClick={() => close(true)}>
          {ask.confirmLabel}
        </button>
        <button type="button" onClick={() => close(false)} autoFocus>
          Cancel
        </button>
      </div>
    </dialog>
  ) : null;
  return { confirm, dialog };
}
