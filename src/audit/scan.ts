// Reads the audit log as stored, page by page: handoff heads in id order, each with its events
// exactly as written (the data column's text is what was hashed, so it is not re-serialized).
import type { Store } from '../store/port.ts';
import { num, Sql, str } from '../metrics/sql.ts';
import { EVENT_BATCH_COLUMNS, expandBatches } from '../store/event-batches.ts';

/** An event row as stored. */
export interface StoredEvent {
  handoffId: string;
  seq: number;
  at: number;
  type: string;
  actorKind: string;
  actorId: string;
  via: string | null;
  /** The data column's exact text. */
  data: string;
  prevHash: string;
  hash: string;
}

export interface StoredHandoff {
  id: string;
  eventSeq: number;
  headHash: string;
  events: StoredEvent[];
}

/** Handoffs per page: bounds memory to a page of handoffs and their events. */
export const PAGE = 200;

type Row = Record<string, unknown>;

export function toStoredEvent(r: Row): StoredEvent {
  return {
    handoffId: String(r.handoff_id),
    seq: num(r.seq),
    at: num(r.at),
    type: String(r.type),
    actorKind: String(r.actor_kind),
    actorId: String(r.actor_id),
    via: str(r.via),
    // A driver may hand back a JSON column parsed: hash what it serializes to.
    data: typeof r.data === 'string' ? r.data : JSON.stringify(r.data),
    prevHash: String(r.prev_hash),
    hash: String(r.hash),
  };
}

/** The events of these handoffs, grouped by handoff, each group in seq order. */
export async function eventsOf(store: Store, ids: readonly string[]): Promise<Map<string, StoredEvent[]>> {
  const byId = new Map<string, StoredEvent[]>();
  if (ids.length === 0) return byId;
  const q = new Sql(store.kind);
  const rows = await store.query<Row>(
    `SELECT ${EVENT_BATCH_COLUMNS} FROM event_batches WHERE handoff_id IN (${q.list(ids)}) ORDER BY handoff_id, seq`,
    q.params,
  );
  for (const r of expandBatches(rows)) {
    const e = toStoredEvent(r);
    let list = byId.get(e.handoffId);
    if (!list) byId.set(e.handoffId, (list = []));
    list.push(e);
  }
  return byId;
}

/** Every handoff (or one) with its stored head and events, a page at a time, in id order. */
export async function* handoffPages(store: Store, only?: string): AsyncGenerator<StoredHandoff[]> {
  if (only !== undefined) {
    const q = new Sql(store.kind);
    const rows = await store.query<Row>(
      `SELECT id, event_seq, head_hash FROM handoffs WHERE id = ${q.p(only)}`,
      q.params,
    );
    const r = rows[0];
    if (!r) return;
    const events = await eventsOf(store, [only]);
    yield [
      { id: only, eventSeq: num(r.event_seq), headHash: String(r.head_hash), events: events.get(only) ?? [] },
    ];
    return;
  }
  let after: string | undefined;
  for (;;) {
    const heads = await store.heads(after, PAGE);
    if (heads.length === 0) return;
    const events = await eventsOf(
      store,
      heads.map((h) => h.id),
    );
    yield heads.map((h) => ({ ...h, events: events.get(h.id) ?? [] }));
    if (heads.length < PAGE) return;
    after = heads[heads.length - 1]!.id;
  }
}
