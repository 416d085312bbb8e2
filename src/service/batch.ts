// Messages between threads, batched per turn of the event loop: one postMessage (one structured
// clone, one wake-up of the other thread) for everything a turn produced, instead of one each.

export class TurnBatch<T> {
  private items: T[] = [];
  private readonly deliver: (items: T[]) => void;

  constructor(deliver: (items: T[]) => void) {
    this.deliver = deliver;
  }

  push(item: T): void {
    this.items.push(item);
    if (this.items.length === 1) setImmediate(this.flush);
  }

  /** Sends what is queued now (before the thread exits, say). */
  readonly flush = (): void => {
    if (this.items.length === 0) return;
    const items = this.items;
    this.items = [];
    this.deliver(items);
  };
}
