// The budget rule both stores apply inside their reservation transaction: given what the
// handoff and the flow's day already hold, may this estimate be reserved? Kept apart so SQLite
// and PostgreSQL cannot disagree about it.
import type { BudgetReservation, ReserveOutcome } from './port.ts';

export interface BudgetHeld {
  /** Settled cost plus open estimates of the handoff's granted reservations. */
  handoffUsd: number;
  /** Granted reservations of the handoff's model calls (made or in flight). */
  handoffCalls: number;
  /** The flow's day: settled plus held. */
  dayUsd: number;
}

/** Tolerance for float sums (a cap of 0.05 must admit five reservations of 0.01). */
const EPS = 1e-9;

export function judgeReservation(r: BudgetReservation, held: BudgetHeld): ReserveOutcome {
  const { maxCalls, perHandoffUsd, perDayUsd } = r.caps;
  if (maxCalls !== undefined && held.handoffCalls + 1 > maxCalls) {
    return { ok: false, cap: 'model_calls', used: held.handoffCalls, limit: maxCalls };
  }
  if (perHandoffUsd !== undefined && held.handoffUsd + r.estimateUsd > perHandoffUsd + EPS) {
    return { ok: false, cap: 'per_handoff', used: held.handoffUsd, limit: perHandoffUsd };
  }
  if (perDayUsd !== undefined && held.dayUsd + r.estimateUsd > perDayUsd + EPS) {
    return { ok: false, cap: 'per_day', used: held.dayUsd, limit: perDayUsd };
  }
  return { ok: true };
}

/**
 * What a handoff holds. Paid actions reserve under `model` = `action:<use>` (never a model
 * reference: no provider may be called `action`): they count against the money caps, not
 * against the cap on model calls.
 */
export const HANDOFF_HELD_SQL = `SELECT
    COALESCE(SUM(CASE WHEN state = 'settled' THEN cost_usd ELSE estimate_usd END), 0) AS usd,
    COALESCE(SUM(CASE WHEN model LIKE 'action:%' THEN 0 ELSE 1 END), 0) AS calls
  FROM budget_reservations WHERE handoff_id = ? AND state <> 'refused'`;

export function refusalOf(json: unknown): ReserveOutcome {
  const r = JSON.parse(String(json)) as {
    cap: 'per_handoff' | 'per_day' | 'model_calls';
    used: number;
    limit: number;
  };
  return { ok: false, cap: r.cap, used: r.used, limit: r.limit };
}

/** Reservations nobody settled: the sweep's candidates. */
export const HELD_RESERVATIONS_SQL = `SELECT id, handoff_id, estimate_usd FROM budget_reservations WHERE state = 'reserved' AND created_at < ? ORDER BY created_at, id LIMIT ?`;

export const heldRow = (r: Record<string, unknown>) => ({
  id: String(r.id),
  handoffId: String(r.handoff_id),
  estimateUsd: Number(r.estimate_usd),
});

/** The budget_reservations row of a judged reservation, in the column order both stores insert. */
export function reservationRow(r: BudgetReservation, verdict: ReserveOutcome): unknown[] {
  return [
    r.id,
    r.handoffId,
    r.flow,
    r.day,
    r.model,
    verdict.ok ? 'reserved' : 'refused',
    r.estimateUsd,
    verdict.ok ? null : JSON.stringify({ cap: verdict.cap, used: verdict.used, limit: verdict.limit }),
    r.at,
  ];
}
