// Group commit: steps of many handoffs share one transaction. Commits queue up while the store
// is busy (or until the current turn of the event loop ends) and go in together, so durability
// (synchronous=FULL, an fsync per transaction) costs one fsync per batch, not per handoff.
//
// Coalescing: when a handoff's next step is submitted while its previous step is still queued,
// the two become one commit (the row is written once, with both steps' events). Both callers
// learn the outcome of the merged commit, and neither is told "done" before it is durable.
import { isBatonError } from '../core/errors.ts';
import type { CommitOutcome, HandoffCommit, Store } from '../store/port.ts';

interface Pending {
  commit: HandoffCommit;
  waiters: Array<{ resolve: (o: CommitOutcome) => void; reject: (e: unknown) => void }>;
}

export class GroupCommitter {
  private readonly store: Store;
  private readonly maxBatch: number;
  private queue: Pending[] = [];
  private readonly queuedById = new Map<string, Pending>();
  private scheduled = false;
  private flushing = false;
  private inFlight = 0;
  private readonly maxInFlight: number;
  /** Figures for the benchmark: transactions, commits written, steps coalesced into them. */
  readonly stats = { transactions: 0, commits: 0, coalesced: 0 };

  constructor(store: Store, maxBatch = 500, maxInFlight = 2) {
    this.store = store;
    this.maxBatch = maxBatch;
    this.maxInFlight = maxInFlight;
  }

  submit(commit: HandoffCommit): Promise<CommitOutcome> {
    return new Promise((resolve, reject) => {
      const id = commit.handoff.id;
      const queued = this.queuedById.get(id);
      if (queued && queued.commit.handoff.rev === commit.expectedRev) {
        queued.commit = merge(queued.commit, commit);
        queued.waiters.push({ resolve, reject });
        this.stats.coalesced++;
        return;
      }
      const p: Pending = { commit, waiters: [{ resolve, reject }] };
      this.queue.push(p);
      this.queuedById.set(id, p);
      if (!this.scheduled && this.inFlight < this.maxInFlight) {
        this.scheduled = true;
        setImmediate(() => this.flush());
      }
    });
  }

  /**
   * Sends queued commits as batches. With an asynchronous store (a writer thread, a database
   * server) up to `maxInFlight` batches are outstanding, so the engine prepares the next batch
   * while the store writes the previous one; the store applies them in the order sent.
   */
  private flush(): void {
    this.scheduled = false;
    while (this.queue.length > 0 && this.inFlight < this.maxInFlight) {
      const batch = this.queue.splice(0, this.maxBatch);
      for (const p of batch)
        if (this.queuedById.get(p.commit.handoff.id) === p) this.queuedById.delete(p.commit.handoff.id);
      this.inFlight++;
      this.flushing = true;
      void this.apply(batch).finally(() => {
        this.inFlight--;
        this.flushing = this.inFlight > 0;
        if (this.queue.length > 0 && !this.scheduled) {
          this.scheduled = true;
          setImmediate(() => this.flush());
        }
      });
    }
  }

  private async apply(batch: Pending[]): Promise<void> {
    try {
      const outcomes = await this.store.commit(batch.map((p) => p.commit));
      this.stats.transactions++;
      this.stats.commits += batch.length;
      batch.forEach((p, i) => {
        for (const w of p.waiters) w.resolve(outcomes[i]!);
      });
    } catch (e) {
      // A store that is away fails every commit alike: no point isolating one.
      if (batch.length === 1 || (isBatonError(e) && e.code === 'store_error' && e.retryable)) {
        for (const p of batch) for (const w of p.waiters) w.reject(e);
        return;
      }
      // One bad commit must not sink the others: retry them one by one to isolate it.
      for (const p of batch) await this.apply([p]);
    }
  }
}

function byKey<T>(a: T[] | undefined, b: T[] | undefined, key: (x: T) => string | number): T[] | undefined {
  if (!a) return b;
  if (!b) return a;
  const m = new Map<string | number, T>();
  for (const x of a) m.set(key(x), x);
  for (const x of b) m.set(key(x), x);
  return [...m.values()];
}

/** Two consecutive steps of one handoff as one commit: the later row, both steps' changes. */
function merge(first: HandoffCommit, second: HandoffCommit): HandoffCommit {
  const c: HandoffCommit = {
    handoff: second.handoff,
    expectedRev: first.expectedRev,
    events: first.events.concat(second.events),
  };
  const actions = byKey(first.actions, second.actions, (a) => a.id);
  if (actions) c.actions = actions;
  const approvals = byKey(first.approvals, second.approvals, (a) => a.id);
  if (approvals) c.approvals = approvals;
  const ledger = byKey(first.ledger, second.ledger, (l) => l.seq);
  if (ledger) c.ledger = ledger;
  const tasks = byKey(first.tasks, second.tasks, (t) => t.id);
  if (tasks) c.tasks = tasks;
  if (first.inbox || second.inbox) c.inbox = (first.inbox ?? []).concat(second.inbox ?? []);
  if (first.outbox || second.outbox) c.outbox = (first.outbox ?? []).concat(second.outbox ?? []);
  return c;
}
