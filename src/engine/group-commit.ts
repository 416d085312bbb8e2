// Group commit: steps of many handoffs share one transaction. Commits queue up while the store
// is busy (or until the current turn of the event loop ends) and go in together, so durability
// (synchronous=FULL, fsync per transaction) costs one fsync per batch, not per handoff.
import type { CommitOutcome, HandoffCommit, Store } from '../store/port.ts';

interface Pending {
  commit: HandoffCommit;
  resolve: (o: CommitOutcome) => void;
  reject: (e: unknown) => void;
}

export class GroupCommitter {
  private readonly store: Store;
  private readonly maxBatch: number;
  private queue: Pending[] = [];
  private scheduled = false;
  private flushing = false;
  /** Figures for the benchmark: transactions and commits. */
  readonly stats = { transactions: 0, commits: 0 };

  constructor(store: Store, maxBatch = 500) {
    this.store = store;
    this.maxBatch = maxBatch;
  }

  submit(commit: HandoffCommit): Promise<CommitOutcome> {
    return new Promise((resolve, reject) => {
      this.queue.push({ commit, resolve, reject });
      if (!this.scheduled && !this.flushing) {
        this.scheduled = true;
        setImmediate(() => void this.flush());
      }
    });
  }

  private async flush(): Promise<void> {
    this.scheduled = false;
    if (this.flushing) return;
    this.flushing = true;
    try {
      while (this.queue.length > 0) {
        const batch = this.queue.splice(0, this.maxBatch);
        await this.apply(batch);
      }
    } finally {
      this.flushing = false;
    }
  }

  private async apply(batch: Pending[]): Promise<void> {
    try {
      const outcomes = await this.store.commit(batch.map((p) => p.commit));
      this.stats.transactions++;
      this.stats.commits += batch.length;
      batch.forEach((p, i) => p.resolve(outcomes[i]!));
    } catch (e) {
      if (batch.length === 1) {
        batch[0]!.reject(e);
        return;
      }
      // One bad commit must not sink the others: retry them one by one to isolate it.
      for (const p of batch) await this.apply([p]);
    }
  }
}
