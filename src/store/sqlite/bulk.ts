// Multi-row INSERTs: a transaction's rows for one table go in as a few statements of up to
// CHUNK rows each, instead of one statement per row (far fewer native calls per handoff).
import type { DatabaseSync, StatementSync } from 'node:sqlite';

const CHUNK = 64;

export class BulkInsert {
  private readonly db: DatabaseSync;
  private readonly head: string;
  private readonly tail: string;
  private readonly width: number;
  private readonly statements = new Map<number, StatementSync>();
  private values: unknown[] = [];

  /** `head` is `INSERT INTO t (a, b)`, `tail` an optional `ON CONFLICT …` clause. */
  constructor(db: DatabaseSync, head: string, width: number, tail = '') {
    this.db = db;
    this.head = head;
    this.width = width;
    this.tail = tail;
  }

  add(...row: unknown[]): void {
    for (const v of row) this.values.push(v);
    if (this.values.length >= CHUNK * this.width) this.flush();
  }

  /** Adds whole rows given as one flat list of values (a multiple of the width). */
  addFlat(values: readonly unknown[]): void {
    for (let i = 0; i < values.length; i += this.width) this.add(...values.slice(i, i + this.width));
  }

  flush(): void {
    const rows = this.values.length / this.width;
    if (rows === 0) return;
    this.statement(rows).run(...(this.values as never[]));
    this.values = [];
  }

  /** Drops rows added but not yet written (the transaction is being rolled back). */
  discard(): void {
    this.values = [];
  }

  private statement(rows: number): StatementSync {
    let s = this.statements.get(rows);
    if (!s) {
      const one = `(${Array.from({ length: this.width }, () => '?').join(', ')})`;
      s = this.db.prepare(
        `${this.head} VALUES ${Array.from({ length: rows }, () => one).join(', ')} ${this.tail}`,
      );
      this.statements.set(rows, s);
    }
    return s;
  }
}
