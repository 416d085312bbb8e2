// Budget reservations on SQLite. Every reservation and settlement made in the same turn of the
// event loop goes into one transaction (BEGIN IMMEDIATE holds the write lock, so each is judged
// in order against what the ones before it hold): a burst costs one fsync, not one per call,
// and no two reservations are ever judged against the same stale total.
import type { DatabaseSync, StatementSync } from 'node:sqlite';
import { HANDOFF_HELD_SQL, judgeReservation, refusalOf, reservationRow } from '../budget-rules.ts';
import type { BudgetDay, BudgetReservation, BudgetSettlement, ReserveOutcome } from '../port.ts';

type Row = Record<string, unknown>;

interface Queued {
  run: () => unknown;
  resolve: (v: never) => void;
  reject: (e: unknown) => void;
}

export class SqliteBudget {
  private readonly db: DatabaseSync;
  private readonly transaction: <T>(fn: () => T) => T;
  private readonly s: Record<string, StatementSync>;
  private queue: Queued[] = [];

  constructor(db: DatabaseSync, transaction: <T>(fn: () => T) => T) {
    this.db = db;
    this.transaction = transaction;
    const p = (sql: string) => db.prepare(sql);
    this.s = {
      existing: p('SELECT state, refused FROM budget_reservations WHERE id = ?'),
      held: p(HANDOFF_HELD_SQL),
      day: p('SELECT reserved_usd + spent_usd AS usd FROM budget_days WHERE flow_id = ? AND day = ?'),
      insert: p(
        `INSERT INTO budget_reservations (id, handoff_id, flow_id, day, model, state, estimate_usd, refused, created_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      ),
      hold: p(
        `INSERT INTO budget_days (flow_id, day, reserved_usd, calls) VALUES (?, ?, ?, 1)
         ON CONFLICT (flow_id, day) DO UPDATE SET reserved_usd = reserved_usd + excluded.reserved_usd, calls = calls + 1`,
      ),
      reservation: p('SELECT * FROM budget_reservations WHERE id = ?'),
      settle: p(
        `UPDATE budget_reservations SET state = 'settled', cost_usd = ?, input_tokens = ?, output_tokens = ?,
           cached_tokens = ?, settled_at = ? WHERE id = ?`,
      ),
      spend: p(
        `UPDATE budget_days SET reserved_usd = MAX(0, reserved_usd - ?), spent_usd = spent_usd + ?
         WHERE flow_id = ? AND day = ?`,
      ),
      budgetDay: p('SELECT reserved_usd, spent_usd, calls FROM budget_days WHERE flow_id = ? AND day = ?'),
    };
  }

  reserve(r: BudgetReservation): Promise<ReserveOutcome> {
    return this.enqueue(() => this.reserveNow(r));
  }

  settle(id: string, s: BudgetSettlement): Promise<{ costUsd: number } | undefined> {
    return this.enqueue(() => this.settleNow(id, s));
  }

  day(flow: string, day: string): BudgetDay {
    const r = this.s.budgetDay!.get(flow, day) as Row | undefined;
    return r
      ? { reservedUsd: Number(r.reserved_usd), spentUsd: Number(r.spent_usd), calls: Number(r.calls) }
      : { reservedUsd: 0, spentUsd: 0, calls: 0 };
  }

  private enqueue<T>(run: () => T): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.queue.push({ run, resolve, reject });
      if (this.queue.length === 1) setImmediate(() => this.flush());
    });
  }

  private flush(): void {
    const batch = this.queue;
    this.queue = [];
    let results: unknown[];
    try {
      results = this.transaction(() => batch.map((q) => q.run()));
    } catch (e) {
      for (const q of batch) q.reject(e);
      return;
    }
    batch.forEach((q, i) => q.resolve(results[i] as never));
  }

  private reserveNow(r: BudgetReservation): ReserveOutcome {
    const s = this.s;
    const existing = s.existing!.get(r.id) as Row | undefined;
    if (existing) return existing.state === 'refused' ? refusalOf(existing.refused) : { ok: true };
    const h = s.held!.get(r.handoffId) as Row;
    const d = s.day!.get(r.flow, r.day) as Row | undefined;
    const verdict = judgeReservation(r, {
      handoffUsd: Number(h.usd),
      handoffCalls: Number(h.calls),
      dayUsd: d ? Number(d.usd) : 0,
    });
    s.insert!.run(...(reservationRow(r, verdict) as never[]));
    if (verdict.ok) s.hold!.run(r.flow, r.day, r.estimateUsd);
    return verdict;
  }

  private settleNow(id: string, x: BudgetSettlement): { costUsd: number } | undefined {
    const s = this.s;
    const r = s.reservation!.get(id) as Row | undefined;
    if (!r || r.state === 'refused') return undefined;
    if (r.state === 'settled') return { costUsd: Number(r.cost_usd) };
    s.settle!.run(x.costUsd, x.inputTokens, x.outputTokens, x.cachedTokens, x.at, id);
    s.spend!.run(Number(r.estimate_usd), x.costUsd, String(r.flow_id), String(r.day));
    return { costUsd: x.costUsd };
  }
}
