// The audit log is stored one row per commit: the events one step appended to a handoff, as a
// JSON array (see migration 005). A commit writes one row instead of one per event; readers
// expand the rows back into events, exactly as they were hashed.
import { eventHash } from '../core/hash-chain.ts';
import type { NewEvent } from './port.ts';

/** Columns of an event batch row: handoff_id, seq (the last event's), events (JSON), prev_hash. */
export const EVENT_BATCH_WIDTH = 4;

/** The columns that select a batch row for `expandBatches`. */
export const EVENT_BATCH_COLUMNS = 'handoff_id, seq, events, prev_hash';

/** An event before it is chained: `[seq, at, type, actor_kind, actor_id, via, data]`. */
export type UnchainedEvent = [number, number, string, string, string, string | null, string];

/** A commit's events as plain values (cheap to hand to a writer thread). */
export function unchained(events: readonly NewEvent[]): UnchainedEvent[] {
  return events.map((e) => [e.seq, e.at, e.type, e.actor.kind, e.actor.id, e.actor.via ?? null, e.dataJson]);
}

/** A commit's events chained onto `prevHash`: the batch row and the new head. */
export interface ChainedBatch {
  /** handoff_id, seq, events, prev_hash (EVENT_BATCH_WIDTH values). */
  row: unknown[];
  lastSeq: number;
  lastHash: string;
}

/**
 * Hash-chains a commit's events onto the handoff's stored head, as one row: a JSON array of
 * `[seq, at, type, actor_kind, actor_id, via, data, hash]`, where data is the exact text that
 * was hashed (kept as a JSON string, so it comes back byte for byte). Stores call this inside
 * the commit's transaction, with the head they hold.
 */
export function chainBatch(
  handoffId: string,
  prevHash: string,
  events: readonly UnchainedEvent[],
): ChainedBatch {
  const list: unknown[] = [];
  let prev = prevHash;
  for (const [seq, at, type, actorKind, actorId, via, data] of events) {
    prev = eventHash(prev, { handoffId, seq, at, type, actorKind, actorId, via, data });
    list.push([seq, at, type, actorKind, actorId, via, data, prev]);
  }
  const lastSeq = events[events.length - 1]![0];
  return { row: [handoffId, lastSeq, JSON.stringify(list), prevHash], lastSeq, lastHash: prev };
}

/** One event in the columns of the `events` view (a type, so it is a plain row too). */
export type EventColumns = {
  handoff_id: string;
  seq: number;
  at: number;
  type: string;
  actor_kind: string;
  actor_id: string;
  via: string | null;
  data: string;
  prev_hash: string;
  hash: string;
};

type Row = Record<string, unknown>;

const text = (v: unknown): string => (typeof v === 'string' ? v : JSON.stringify(v ?? null));
const int = (v: unknown): number => (typeof v === 'number' ? v : Number(v));

/**
 * Batch rows (selected with EVENT_BATCH_COLUMNS) as events, each handoff's in seq order. A row
 * whose JSON no longer parses (edited by hand) comes back as one event that cannot match its
 * hash, so an audit names it instead of failing.
 */
export function expandBatches(rows: readonly Row[]): EventColumns[] {
  const out: EventColumns[] = [];
  for (const r of rows) {
    const handoffId = String(r.handoff_id);
    let prev = String(r.prev_hash);
    let list: unknown;
    try {
      list = typeof r.events === 'string' ? JSON.parse(r.events) : r.events;
    } catch {
      list = undefined;
    }
    if (!Array.isArray(list)) {
      out.push(unreadable(handoffId, int(r.seq), prev, r.events));
      continue;
    }
    for (const item of list) {
      const e: unknown[] = Array.isArray(item) ? item : [];
      const hash = text(e[7]);
      out.push({
        handoff_id: handoffId,
        seq: int(e[0]),
        at: int(e[1]),
        type: text(e[2]),
        actor_kind: text(e[3]),
        actor_id: text(e[4]),
        via: e[5] === null || e[5] === undefined ? null : text(e[5]),
        data: text(e[6]),
        prev_hash: prev,
        hash,
      });
      prev = hash;
    }
  }
  // Rows come in (handoff, last seq) order; a log edited by hand may need its events sorted.
  return out.sort((a, b) =>
    a.handoff_id === b.handoff_id ? a.seq - b.seq : a.handoff_id < b.handoff_id ? -1 : 1,
  );
}

function unreadable(handoffId: string, seq: number, prev: string, raw: unknown): EventColumns {
  return {
    handoff_id: handoffId,
    seq,
    at: 0,
    type: 'unreadable',
    actor_kind: '',
    actor_id: '',
    via: null,
    data: text(raw),
    prev_hash: prev,
    hash: '',
  };
}
