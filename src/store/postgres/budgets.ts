// Model budgets on PostgreSQL: reservations judged one by one under the flow's day row lock,
// settlements once, and the reservations nobody settled.
import {
  HANDOFF_HELD_SQL,
  HELD_RESERVATIONS_SQL,
  heldRow,
  judgeReservation,
  refusalOf,
  reservationRow,
} from '../budget-rules.ts';
import type { BudgetDay, BudgetReservation, BudgetSettlement, ReserveOutcome } from '../port.ts';
import type { Db, Row } from './db.ts';
import { toPositional } from './sql.ts';

export async function reserveBudget(db: Db, r: BudgetReservation): Promise<ReserveOutcome> {
  return db.transaction(async (c) => {
    // The flow's day row is the lock: reservations of one flow and day queue behind it, so a
    // concurrent burst is judged one by one against what the previous ones hold.
    await c.query(
      `INSERT INTO budget_days (flow_id, day) VALUES ($1, $2) ON CONFLICT (flow_id, day) DO NOTHING`,
      [r.flow, r.day],
    );
    const day = (
      await c.query<Row>(
        'SELECT reserved_usd + spent_usd AS usd FROM budget_days WHERE flow_id = $1 AND day = $2 FOR UPDATE',
        [r.flow, r.day],
      )
    ).rows[0]!;
    const existing = (
      await c.query<Row>('SELECT state, refused FROM budget_reservations WHERE id = $1', [r.id])
    ).rows[0];
    if (existing) return existing.state === 'refused' ? refusalOf(existing.refused) : { ok: true as const };
    const h = (await c.query<Row>(toPositional(HANDOFF_HELD_SQL), [r.handoffId])).rows[0]!;
    const verdict = judgeReservation(r, {
      handoffUsd: Number(h.usd),
      handoffCalls: Number(h.calls),
      dayUsd: Number(day.usd),
    });
    await c.query(
      `INSERT INTO budget_reservations (id, handoff_id, flow_id, day, model, state, estimate_usd, refused, created_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
      reservationRow(r, verdict),
    );
    if (verdict.ok) {
      await c.query(
        `UPDATE budget_days SET reserved_usd = reserved_usd + $3, calls = calls + 1 WHERE flow_id = $1 AND day = $2`,
        [r.flow, r.day, r.estimateUsd],
      );
    }
    return verdict;
  });
}

export async function settleBudget(
  db: Db,
  id: string,
  s: BudgetSettlement,
): Promise<{ costUsd: number } | undefined> {
  return db.transaction(async (c) => {
    const r = (await c.query<Row>('SELECT * FROM budget_reservations WHERE id = $1 FOR UPDATE', [id]))
      .rows[0];
    if (!r || r.state === 'refused') return undefined;
    if (r.state === 'settled') return { costUsd: Number(r.cost_usd) };
    await c.query(
      `UPDATE budget_reservations SET state = 'settled', cost_usd = $2, input_tokens = $3, output_tokens = $4,
         cached_tokens = $5, settled_at = $6 WHERE id = $1`,
      [id, s.costUsd, s.inputTokens, s.outputTokens, s.cachedTokens, s.at],
    );
    await c.query(
      `UPDATE budget_days SET reserved_usd = GREATEST(0, reserved_usd - $3), spent_usd = spent_usd + $4
       WHERE flow_id = $1 AND day = $2`,
      [String(r.flow_id), String(r.day), Number(r.estimate_usd), s.costUsd],
    );
    return { costUsd: s.costUsd };
  });
}

export async function budgetDay(db: Db, flow: string, day: string): Promise<BudgetDay> {
  const r = (
    await db.rows('SELECT reserved_usd, spent_usd, calls FROM budget_days WHERE flow_id = $1 AND day = $2', [
      flow,
      day,
    ])
  )[0];
  return r
    ? { reservedUsd: Number(r.reserved_usd), spentUsd: Number(r.spent_usd), calls: Number(r.calls) }
    : { reservedUsd: 0, spentUsd: 0, calls: 0 };
}

export async function heldReservations(db: Db, before: number, limit: number) {
  return (await db.rows(toPositional(HELD_RESERVATIONS_SQL), [before, limit])).map(heldRow);
}
