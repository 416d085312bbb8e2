// The board's SQL, shared by both stores (written with `?`; PostgreSQL numbers them). Counting is
// one GROUP BY owner over the open handoffs, so the board costs one indexed scan however many
// handoffs are open; each column's cards then page through `list` with the same conditions.
//
// The queues cut across owners:
//   unassigned       no person holds it: an agent owns it, or the engine is still working on it
//   escalated        state escalated (a fallback owner or manager holds it)
//   failed           state failed (an action failed; a person retries or resolves it)
//   outcome_unknown  an action whose outcome is not known waits for a person (`baton resolve`)
import { HANDOFF_STATES, TERMINAL_STATES, type HandoffState } from '../core/types.ts';
import type { BoardFilter, BoardOwnerCounts, BoardQueue, HandoffFilter } from './port.ts';
import type { Where } from './sqlite/where.ts';

const OPEN_STATES: readonly HandoffState[] = HANDOFF_STATES.filter((s) => !TERMINAL_STATES.has(s));
const ACTIVE_STATES: readonly HandoffState[] = ['received', 'building_context', 'deciding', 'acting'];

const quoted = (states: readonly string[]): string => states.map((s) => `'${s}'`).join(', ');

/** Open: listed as an IN over the open states, which the (state, flow_id) index answers. */
const OPEN = `state IN (${quoted(OPEN_STATES)})`;
const UNASSIGNED = `(owner LIKE 'agent:%' OR state IN (${quoted(ACTIVE_STATES)}))`;
const OUTCOME_UNKNOWN = `EXISTS (SELECT 1 FROM actions a WHERE a.handoff_id = handoffs.id AND a.state = 'outcome_unknown')`;

const QUEUE: Record<BoardQueue, string> = {
  unassigned: UNASSIGNED,
  escalated: `state = 'escalated'`,
  failed: `state = 'failed'`,
  outcome_unknown: OUTCOME_UNKNOWN,
};

/** How a store matches a list of flows (SQLite: IN (...), PostgreSQL: = ANY(?)). */
export type FlowsCondition = (where: Where, flows: readonly string[] | undefined) => Where;

/** Adds the filters that `list` and `board` share beyond the plain column matches. */
export function addBoardConditions(where: Where, f: HandoffFilter): Where {
  return where
    .add(!!f.boundary, 'boundary_from = ? AND boundary_to = ?', f.boundary?.from, f.boundary?.to)
    .add(!!f.open || !!f.queue, OPEN)
    .add(!!f.queue, f.queue ? QUEUE[f.queue] : '');
}

const sum = (condition: string): string => `SUM(CASE WHEN ${condition} THEN 1 ELSE 0 END)`;

/** The open handoffs that match the board's filters. */
function boardWhere(where: Where, f: BoardFilter, flowsCondition: FlowsCondition): Where {
  where
    .add(!!f.flow, 'flow_id = ?', f.flow)
    .add(!!f.owner, 'owner = ?', f.owner)
    .add(!!f.state, 'state = ?', f.state);
  flowsCondition(where, f.flows);
  return addBoardConditions(where, { ...f, open: true });
}

/** The statement behind `Store.board`, with its parameters. */
export function boardStatement(
  where: Where,
  f: BoardFilter,
  flowsCondition: FlowsCondition,
): { sql: string; params: unknown[] } {
  boardWhere(where, f, flowsCondition);
  const sql = `SELECT owner, COUNT(*) AS open, ${sum('breached = 1')} AS breached,
      MIN(COALESCE(handed_off_at, created_at)) AS oldest_since,
      ${sum(UNASSIGNED)} AS unassigned, ${sum(`state = 'escalated'`)} AS escalated,
      ${sum(`state = 'failed'`)} AS failed, ${sum(OUTCOME_UNKNOWN)} AS outcome_unknown
    FROM handoffs ${where.sql} GROUP BY owner ORDER BY owner`;
  return { sql, params: where.params };
}

/**
 * The statement behind `Store.boardCards`: each owner's newest open handoffs, ranked in a window
 * over just ids and keys, so only the rows shown are read whole.
 */
export function boardCardsStatement(
  where: Where,
  f: BoardFilter,
  perOwner: number,
  flowsCondition: FlowsCondition,
): { sql: string; params: unknown[] } {
  boardWhere(where, f, flowsCondition);
  const sql = `SELECT h.* FROM handoffs h JOIN (
      SELECT id, ROW_NUMBER() OVER (PARTITION BY owner ORDER BY created_at DESC, id DESC) AS rn
      FROM handoffs ${where.sql}) r ON r.id = h.id
    WHERE r.rn <= ? ORDER BY h.owner, h.created_at DESC, h.id DESC`;
  return { sql, params: [...where.params, perOwner] };
}

/** Drivers give counts as numbers, bigints or numeric strings. */
const n = (v: unknown): number => (v === null || v === undefined ? 0 : Number(v));

export function boardRow(r: Record<string, unknown>): BoardOwnerCounts {
  return {
    owner: String(r.owner),
    open: n(r.open),
    breached: n(r.breached),
    oldestSince: r.oldest_since === null || r.oldest_since === undefined ? null : Number(r.oldest_since),
    unassigned: n(r.unassigned),
    escalated: n(r.escalated),
    failed: n(r.failed),
    outcomeUnknown: n(r.outcome_unknown),
  };
}
