// Tampers with the stored audit log on purpose, the way someone with write access to the
// database could: a handoff's events live in `event_batches` rows (a JSON array per commit), so
// these helpers read a handoff's events, let a test change them, and write them back. Tests
// then check that `audit verify` names what was changed.
import type { StoredEvent } from '../../src/audit/scan.ts';

type Row = Record<string, unknown>;

/** What a test needs of a store or database: read rows, run a statement. */
export interface TamperDb {
  rows(sql: string): Promise<Row[]> | Row[];
  exec(sql: string): unknown;
}

/** An event as stored (what the audit reads), without its handoff id. */
export type StoredEventRow = Omit<StoredEvent, 'handoffId'>;

const text = (v: string | null): string => (v === null ? 'NULL' : `'${v.replaceAll("'", "''")}'`);

export async function readEvents(db: TamperDb, handoffId: string): Promise<StoredEventRow[]> {
  const rows = await db.rows(
    `SELECT seq, at, type, actor_kind, actor_id, via, data, prev_hash, hash FROM events
      WHERE handoff_id = ${text(handoffId)} ORDER BY seq`,
  );
  return rows.map((r) => ({
    seq: Number(r.seq),
    at: Number(r.at),
    type: String(r.type),
    actorKind: String(r.actor_kind),
    actorId: String(r.actor_id),
    via: typeof r.via === 'string' ? r.via : null,
    data: String(r.data),
    prevHash: String(r.prev_hash),
    hash: String(r.hash),
  }));
}

/** Replaces a handoff's stored events with what `change` makes of them (one row per event). */
export async function rewriteEvents(
  db: TamperDb,
  handoffId: string,
  change: (events: StoredEventRow[]) => StoredEventRow[],
): Promise<void> {
  const events = change(await readEvents(db, handoffId));
  await db.exec(`DELETE FROM event_batches WHERE handoff_id = ${text(handoffId)}`);
  for (const e of events) await db.exec(insertEventSql(handoffId, e));
}

/** Changes fields of the event at `seq`. */
export function editEvent(
  db: TamperDb,
  handoffId: string,
  seq: number,
  patch: (e: StoredEventRow) => Partial<StoredEventRow>,
): Promise<void> {
  return rewriteEvents(db, handoffId, (events) =>
    events.map((e) => (e.seq === seq ? { ...e, ...patch(e) } : e)),
  );
}

/** Deletes the events `which` picks (all of them when absent). */
export function deleteEvents(
  db: TamperDb,
  handoffId: string,
  which: (e: StoredEventRow) => boolean = () => true,
): Promise<void> {
  return rewriteEvents(db, handoffId, (events) => events.filter((e) => !which(e)));
}

/** The statement that stores one event as a batch of its own. */
export function insertEventSql(handoffId: string, e: StoredEventRow): string {
  const events = JSON.stringify([[e.seq, e.at, e.type, e.actorKind, e.actorId, e.via, e.data, e.hash]]);
  return `INSERT INTO event_batches (handoff_id, seq, events, prev_hash)
    VALUES (${text(handoffId)}, ${e.seq}, ${text(events)}, ${text(e.prevHash)})`;
}
