// Searching the audit log across handoffs (the console's audit page, GET /v1/events): one
// statement for both stores, written with `?` placeholders (SQLite takes them as they are, the
// PostgreSQL store numbers them), over the `events` view that expands each commit's batch row.
// Newest first, in keyset pages over (at, handoff_id, seq).
import { BatonError } from '../core/errors.ts';
import type { EventRecord } from '../core/types.ts';
import { rowToEvent } from './rows.ts';
import { Where } from './sqlite/where.ts';

export interface EventFilter {
  handoffId?: string;
  /** `kind:id` (user:dana, engine:lead-to-owner, system:sweep) or a bare id of any kind. */
  actor?: string;
  type?: string;
  flow?: string;
  /** Only events of these flows' handoffs (a scoped token's reach); an empty list matches nothing. */
  flows?: readonly string[];
  /** Event times, ms since the epoch: since inclusive, until exclusive. */
  since?: number;
  until?: number;
  /** 1 to 1000, default 100. */
  limit?: number;
  /** Opaque cursor from a previous page. */
  cursor?: string;
}

export interface EventPage {
  items: EventRecord[];
  nextCursor?: string;
}

const ACTOR_KINDS = new Set(['user', 'engine', 'system']);
const DEFAULT_LIMIT = 100;
export const MAX_EVENT_LIMIT = 1000;

interface Cursor {
  at: number;
  handoffId: string;
  seq: number;
}

function encode(c: Cursor): string {
  return Buffer.from(JSON.stringify([c.at, c.handoffId, c.seq])).toString('base64url');
}

function decode(text: string): Cursor {
  let v: unknown;
  try {
    v = JSON.parse(Buffer.from(text, 'base64url').toString());
  } catch {
    v = undefined;
  }
  if (!Array.isArray(v) || !Number.isFinite(v[0]) || typeof v[1] !== 'string' || !Number.isInteger(v[2])) {
    throw new BatonError('validation_failed', 'cursor is not valid', {
      details: [{ path: 'cursor', message: 'not a cursor from a previous page' }],
    });
  }
  return { at: v[0] as number, handoffId: v[1], seq: v[2] as number };
}

/** The statement and its parameters for one page (one row more than the limit: is there a next?). */
export function eventSearchSql(
  f: EventFilter,
  flowList: (values: readonly string[]) => { sql: string; params: unknown[] },
): { sql: string; params: unknown[]; limit: number } {
  const limit = Math.min(Math.max(Math.floor(f.limit ?? DEFAULT_LIMIT), 1), MAX_EVENT_LIMIT);
  const w = new Where()
    .add(f.handoffId !== undefined, 'e.handoff_id = ?', f.handoffId)
    .add(f.type !== undefined, 'e.type = ?', f.type);
  if (f.actor !== undefined) {
    const i = f.actor.indexOf(':');
    const kind = i > 0 ? f.actor.slice(0, i) : '';
    if (ACTOR_KINDS.has(kind)) w.add(true, 'e.actor_kind = ? AND e.actor_id = ?', kind, f.actor.slice(i + 1));
    else w.add(true, 'e.actor_id = ?', f.actor);
  }
  w.add(f.since !== undefined, 'e.at >= ?', f.since)
    .add(f.until !== undefined, 'e.at < ?', f.until)
    .add(f.flow !== undefined, 'e.handoff_id IN (SELECT id FROM handoffs WHERE flow_id = ?)', f.flow);
  if (f.flows !== undefined) {
    if (f.flows.length === 0) w.add(true, '1 = 0');
    else {
      const l = flowList(f.flows);
      w.add(true, `e.handoff_id IN (SELECT id FROM handoffs WHERE flow_id ${l.sql})`, ...l.params);
    }
  }
  if (f.cursor !== undefined) {
    const c = decode(f.cursor);
    w.add(
      true,
      '(e.at < ? OR (e.at = ? AND (e.handoff_id < ? OR (e.handoff_id = ? AND e.seq < ?))))',
      c.at,
      c.at,
      c.handoffId,
      c.handoffId,
      c.seq,
    );
  }
  const sql = `SELECT e.handoff_id, e.seq, e.at, e.type, e.actor_kind, e.actor_id, e.via, e.data,
      e.prev_hash, e.hash
    FROM events e ${w.sql}
    ORDER BY e.at DESC, e.handoff_id DESC, e.seq DESC LIMIT ?`;
  return { sql, params: [...w.params, limit + 1], limit };
}

/** Rows of `eventSearchSql` as a page. */
export function eventPage(rows: readonly Record<string, unknown>[], limit: number): EventPage {
  const items = rows.slice(0, limit).map((r) => {
    // A row edited by hand may hold data that is not JSON: show it as text, do not fail.
    try {
      return rowToEvent(r);
    } catch {
      return rowToEvent({ ...r, data: JSON.stringify({ unreadable: String(r.data) }) });
    }
  });
  const last = items[items.length - 1];
  return rows.length > limit && last
    ? { items, nextCursor: encode({ at: last.at, handoffId: last.handoffId, seq: last.seq }) }
    : { items };
}
