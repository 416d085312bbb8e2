// What waits for me: approvals to decide and work to accept, under mine, my teams and my roles
// (GET /v1/inbox/waiting lists only what the server lets me decide). Keyboard: j/k move,
// a approves (accepts work), r rejects (declines work), Enter opens the handoff.
import { useEffect, useRef, useState, type KeyboardEvent } from 'react';
import { useNavigate, useSearchParams } from 'react-router';
import { api, ApiError } from '../../api/client.ts';
import type { HandoffCommands, Waiting } from '../../api/types.ts';
import { useLive } from '../../live.ts';
import { useSession } from '../../session.tsx';
import { FormDialog } from '../../ui/form-dialog.tsx';
import { ErrorNote, Loading } from '../../ui/notes.tsx';
import { CommentField, withComment } from '../../ui/comment-field.tsx';
import { ReasonField } from '../../ui/reason-field.tsx';
import { useApi } from '../../ui/use-api.ts';
import { ApprovalBody, HandoffBody } from './cards.tsx';
import { EditDialog, type EditResult } from './edit-dialog.tsx';
import { Messages } from './messages.tsx';
import { handoffIdOf, itemsOf, tabOf, TABS, type Item, type Tab, type WaitingApproval } from './items.ts';
import '../../ui/detail.css';
import './inbox.css';

type Ask =
  | { kind: 'reject'; a: WaitingApproval }
  | { kind: 'edit'; a: WaitingApproval; owners: string[] }
  | { kind: 'decline'; id: string };

const typing = (t: EventTarget | null) =>
  t instanceof HTMLElement && (t.isContentEditable || ['INPUT', 'TEXTAREA', 'SELECT'].includes(t.tagName));

export default function Inbox() {
  const s = useSession();
  const navigate = useNavigate();
  const [params, setParams] = useSearchParams();
  const tab: Tab = TABS.find(([t]) => t === params.get('tab'))?.[0] ?? 'all';
  const waiting = useApi<Waiting>('/v1/inbox/waiting');
  useLive(() => waiting.reload());
  const [now, setNow] = useState(Date.now());
  useEffect(() => {
    const t = setInterval(() => setNow(Date.now()), 30_000);
    return () => clearInterval(t);
  }, []);

  const all = itemsOf(waiting.data);
  const items = tab === 'all' ? all : all.filter((i) => tabOf(i.as) === tab);
  const counts = Object.fromEntries(
    TABS.map(([t]) => [t, t === 'all' ? all.length : all.filter((i) => tabOf(i.as) === t).length]),
  );
  const [selected, setSelected] = useState(0);
  const at = Math.min(selected, Math.max(0, items.length - 1));
  const listRef = useRef<HTMLOListElement>(null);
  const [ask, setAsk] = useState<Ask | null>(null);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<ApiError | null>(null);
  const [reason, setReason] = useState('wrong_owner');
  const [comment, setComment] = useState('');
  const [done, setDone] = useState<string | null>(null);
  const canAct = s.can('act');
  // After a decision the item leaves the list: focus goes to the one that took its place, so
  // j/k/a go on from there.
  const refocus = useRef(false);
  useEffect(() => {
    if (!refocus.current || !waiting.data) return;
    refocus.current = false;
    const left = listRef.current?.querySelectorAll<HTMLElement>('[data-item]');
    if (left && left.length > 0) left[Math.min(at, left.length - 1)]!.focus();
  }, [waiting.data, at]);

  const run = async (path: string, body: Record<string, unknown>, what: string) => {
    setBusy(true);
    setError(null);
    try {
      await api.post(path, body);
      setAsk(null);
      setComment('');
      setDone(what);
      refocus.current = true;
      waiting.reload();
    } catch (e) {
      setError(e instanceof ApiError ? e : new ApiError(0, 'error', String(e)));
    } finally {
      setBusy(false);
    }
  };
  const approve = (a: WaitingApproval, extra: Partial<EditResult> = {}) =>
    run(
      `/v1/approvals/${encodeURIComponent(a.id)}`,
      { decision: 'approve', ...extra },
      `Approved ${a.summary}`,
    );
  const accept = (id: string) => run(`/v1/handoffs/${encodeURIComponent(id)}/accept`, {}, `Accepted ${id}`);
  const openAsk = (a: Ask) => {
    setError(null);
    setComment('');
    setAsk(a);
  };
  const openEdit = async (a: WaitingApproval) => {
    let owners: string[] = [];
    if (a.kind === 'decision') {
      owners = await api
        .get<HandoffCommands>(`/v1/handoffs/${encodeURIComponent(a.handoffId)}/commands`)
        .then(
          (c) => c.reassignTo,
          () => [],
        );
    }
    openAsk({ kind: 'edit', a, owners });
  };
  const primary = (i: Item) => (i.kind === 'approval' ? void approve(i.approval) : void accept(i.handoff.id));
  const secondary = (i: Item) =>
    i.kind === 'approval'
      ? openAsk({ kind: 'reject', a: i.approval })
      : openAsk({ kind: 'decline', id: i.handoff.id });

  const focusItem = (n: number) => {
    setSelected(n);
    listRef.current?.querySelectorAll<HTMLElement>('[data-item]')[n]?.focus();
  };
  const onKey = (e: KeyboardEvent) => {
    if (ask || typing(e.target) || e.altKey || e.ctrlKey || e.metaKey) return;
    const item = items[at];
    if (e.key === 'j') focusItem(Math.min(items.length - 1, at + 1));
    else if (e.key === 'k') focusItem(Math.max(0, at - 1));
    else if (e.key === 'Enter' && item && (e.target as HTMLElement).dataset.item !== undefined)
      void navigate(`/handoffs/${encodeURIComponent(handoffIdOf(item))}`);
    else if (e.key === 'a' && item && canAct) primary(item);
    else if (e.key === 'r' && item && canAct) secondary(item);
    else return;
    e.preventDefault();
  };

  return (
    <section aria-labelledby="inbox-title" className="inbox" onKeyDown={onKey}>
      <h1 id="inbox-title">Inbox</h1>
      <p className="muted small" id="inbox-keys">
        Keys: <kbd>j</kbd>/<kbd>k</kbd> move, <kbd>a</kbd> approve or accept, <kbd>r</kbd> reject or decline,{' '}
        <kbd>Enter</kbd> opens the handoff.
      </p>
      {s.anonymous && <p className="note">Signed out: sign in to see what waits for you.</p>}
      <nav aria-label="Inbox filters" className="tabs">
        {TABS.map(([t, label]) => (
          <button
            key={t}
            type="button"
            aria-pressed={tab === t}
            onClick={() => {
              setSelected(0);
              setParams(t === 'all' ? {} : { tab: t }, { replace: true });
            }}
          >
            {label} <span className="count">({counts[t]})</span>
          </button>
        ))}
      </nav>
      <div role="status" className="sr-status">
        {done}
      </div>
      {!ask && <ErrorNote error={error} />}
      <ErrorNote error={waiting.error} />
      {!waiting.data && !waiting.error && <Loading what="what waits for you" />}
      {waiting.data && items.length === 0 && <p>Nothing waits for you here.</p>}
      <ol className="inbox-list" ref={listRef} aria-describedby="inbox-keys">
        {items.map((i, n) => (
          <li
            key={i.key}
            data-item={i.kind}
            tabIndex={n === at ? 0 : -1}
            className={`card inbox-item${n === at ? ' selected' : ''}`}
            aria-label={
              i.kind === 'approval' ? i.approval.summary : `Accept ${i.handoff.flow} ${i.handoff.id}`
            }
            onFocus={() => setSelected(n)}
          >
            {i.kind === 'approval' ? (
              <ApprovalBody a={i.approval} now={now} />
            ) : (
              <HandoffBody h={i.handoff} now={now} />
            )}
            {canAct && (
              <div className="row actions">
                {i.kind === 'approval' ? (
                  <>
                    <button
                      type="button"
                      className="primary"
                      disabled={busy}
                      onClick={() => void approve(i.approval)}
                    >
                      {i.approval.kind === 'decision' ? 'Confirm' : 'Approve'}
                    </button>
                    <button type="button" disabled={busy} onClick={() => void openEdit(i.approval)}>
                      {i.approval.kind === 'decision' ? 'Correct owner…' : 'Edit and approve…'}
                    </button>
                    <button type="button" disabled={busy} onClick={() => secondary(i)}>
                      Reject…
                    </button>
                  </>
                ) : (
                  <>
                    <button
                      type="button"
                      className="primary"
                      disabled={busy}
                      onClick={() => void accept(i.handoff.id)}
                    >
                      Accept
                    </button>
                    <button type="button" disabled={busy} onClick={() => secondary(i)}>
                      Decline…
                    </button>
                  </>
                )}
              </div>
            )}
          </li>
        ))}
      </ol>
      <Messages signedIn={!s.anonymous && s.user !== null} />

      {ask?.kind === 'reject' && (
        <FormDialog
          title="Reject?"
          submitLabel="Reject"
          danger
          busy={busy}
          error={error}
          onClose={() => setAsk(null)}
          onSubmit={() =>
            void run(
              `/v1/approvals/${encodeURIComponent(ask.a.id)}`,
              withComment({ decision: 'reject' }, comment),
              `Rejected ${ask.a.summary}`,
            )
          }
        >
          <p>{ask.a.summary}</p>
          <p className="muted small">A rejection cannot be taken back.</p>
          <CommentField
            id="reject-comment"
            label="Why (kept in the audit log)"
            value={comment}
            onChange={setComment}
            autoFocus
          />
        </FormDialog>
      )}
      {ask?.kind === 'edit' && (
        <EditDialog
          a={ask.a}
          owners={ask.owners}
          busy={busy}
          error={error}
          onClose={() => setAsk(null)}
          onApprove={(r) => void approve(ask.a, r)}
        />
      )}
      {ask?.kind === 'decline' && (
        <FormDialog
          title="Decline the work"
          submitLabel="Decline"
          busy={busy}
          error={error}
          onClose={() => setAsk(null)}
          onSubmit={() =>
            void run(
              `/v1/handoffs/${encodeURIComponent(ask.id)}/decline`,
              withComment({ reason }, comment),
              `Declined ${ask.id}`,
            )
          }
        >
          <ReasonField id="decline-reason" value={reason} onChange={setReason} />
          <CommentField id="decline-comment" value={comment} onChange={setComment} />
        </FormDialog>
      )}
    </section>
  );
}
