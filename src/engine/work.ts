// A working copy of one handoff during a step: the snapshot it read plus everything the step
// changed. `toCommit()` turns it into one atomic HandoffCommit (the store hash-chains its events).
import type {
  ActionRecord,
  Actor,
  ApprovalRecord,
  HandoffRecord,
  HandoffSnapshot,
  HandoffState,
  InboxRecord,
  LedgerEntry,
  TaskRecord,
} from '../core/types.ts';
import { assertTransition } from '../core/states.ts';
import type { OwnerRef } from '../core/owner.ts';
import type { HandoffCommit, NewEvent } from '../store/port.ts';
import type { Notice } from '../core/notices.ts';

export class Work {
  readonly handoff: HandoffRecord;
  readonly actions: ActionRecord[];
  readonly approvals: ApprovalRecord[];
  readonly ledger: LedgerEntry[];
  readonly now: number;
  private readonly expectedRev: number;
  private readonly events: NewEvent[] = [];
  private readonly changedActions = new Set<ActionRecord>();
  private readonly changedApprovals = new Set<ApprovalRecord>();
  private readonly changedLedger = new Set<LedgerEntry>();
  readonly tasks: TaskRecord[] = [];
  readonly inbox: InboxRecord[] = [];
  /** Who to reach outside Baton (Slack, email) once this step is committed. */
  readonly notices: Notice[] = [];
  private readonly pendingAtStart: ReadonlySet<string>;

  constructor(snapshot: HandoffSnapshot, now = Date.now(), expectedRev = snapshot.handoff.rev) {
    this.handoff = { ...snapshot.handoff };
    this.actions = snapshot.actions.map((a) => ({ ...a }));
    this.approvals = snapshot.approvals.map((a) => ({ ...a }));
    this.ledger = snapshot.ledger.map((l) => ({ ...l }));
    this.pendingAtStart = new Set(snapshot.approvals.filter((a) => a.state === 'pending').map((a) => a.id));
    this.now = now;
    this.expectedRev = expectedRev;
  }

  /** Appends an event to the handoff's log (the store hash-chains it when it commits). */
  event(type: string, actor: Actor, data: Record<string, unknown> = {}): void {
    const h = this.handoff;
    const seq = h.eventSeq + 1;
    this.events.push({
      handoffId: h.id,
      seq,
      at: this.now,
      type,
      actor,
      data,
      dataJson: JSON.stringify(data),
    });
    h.eventSeq = seq;
  }

  /** Moves to a new state (checked against the state machine). */
  to(state: HandoffState, what?: string): void {
    assertTransition(this.handoff.state, state, what);
    this.handoff.state = state;
  }

  action(id: string): ActionRecord | undefined {
    return this.actions.find((a) => a.id === id);
  }

  putAction(a: ActionRecord): void {
    a.updatedAt = this.now;
    if (!this.actions.includes(a)) this.actions.push(a);
    this.changedActions.add(a);
  }

  putApproval(a: ApprovalRecord): void {
    if (!this.approvals.includes(a)) this.approvals.push(a);
    this.changedApprovals.add(a);
  }

  /** The open ledger entry (the current owner's), if any. */
  openLedger(): LedgerEntry | undefined {
    const last = this.ledger[this.ledger.length - 1];
    return last && last.to === null ? last : undefined;
  }

  touchLedger(e: LedgerEntry): void {
    this.changedLedger.add(e);
  }

  /**
   * Changes the owner: closes the open ledger entry with `closeStatus` and opens a new one.
   * The new entry is `pending` until the owner accepts (agents hold work without accepting).
   */
  changeOwner(owner: OwnerRef, reason: string, closeStatus: LedgerEntry['status'], by?: string): void {
    const open = this.openLedger();
    if (open) {
      open.to = this.now;
      open.status = closeStatus;
      this.changedLedger.add(open);
    }
    const entry: LedgerEntry = {
      seq: (this.ledger[this.ledger.length - 1]?.seq ?? 0) + 1,
      owner,
      from: this.now,
      to: null,
      reason,
      status: owner.startsWith('agent:') ? 'accepted' : 'pending',
    };
    if (by !== undefined) entry.by = by;
    this.ledger.push(entry);
    this.changedLedger.add(entry);
    this.handoff.owner = owner;
  }

  addTask(t: TaskRecord): void {
    this.tasks.push(t);
  }

  addInbox(m: InboxRecord): void {
    this.inbox.push(m);
  }

  addNotice(n: Notice): void {
    this.notices.push(n);
  }

  /** Approvals this step closed (they were pending when the step began). */
  closedApprovals(): ApprovalRecord[] {
    return [...this.changedApprovals].filter((a) => a.state !== 'pending' && this.pendingAtStart.has(a.id));
  }

  toCommit(): HandoffCommit {
    const h = this.handoff;
    h.rev = this.expectedRev + 1;
    h.updatedAt = this.now;
    const c: HandoffCommit = { handoff: h, expectedRev: this.expectedRev, events: this.events };
    if (this.changedActions.size) c.actions = [...this.changedActions];
    if (this.changedApprovals.size) c.approvals = [...this.changedApprovals];
    if (this.changedLedger.size) c.ledger = [...this.changedLedger];
    if (this.tasks.length) c.tasks = this.tasks;
    if (this.inbox.length) c.inbox = this.inbox;
    return c;
  }
}
