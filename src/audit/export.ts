// `baton audit export`: the audit log as NDJSON, one event a line, ordered by handoff then seq,
// with the hashes that chain it, streamed page by page.
import { BatonError } from '../core/errors.ts';
import type { Store } from '../store/port.ts';
import { handoffPages, type StoredEvent } from './scan.ts';

/** One exported line. `data` is the event's JSON (or its raw text when it no longer parses). */
export interface ExportedEvent {
  handoffId: string;
  seq: number;
  at: string;
  type: string;
  actor: { kind: string; id: string; via?: string };
  data: unknown;
  prevHash: string;
  hash: string;
}

export function exportLine(e: StoredEvent): string {
  let data: unknown;
  try {
    data = JSON.parse(e.data);
  } catch {
    data = e.data;
  }
  const line: ExportedEvent = {
    handoffId: e.handoffId,
    seq: e.seq,
    at: Number.isFinite(e.at) ? new Date(e.at).toISOString() : String(e.at),
    type: e.type,
    actor: { kind: e.actorKind, id: e.actorId, ...(e.via !== null ? { via: e.via } : {}) },
    data,
    prevHash: e.prevHash,
    hash: e.hash,
  };
  return JSON.stringify(line);
}

/** Writes every event (or one handoff's) as NDJSON lines (without the newline); returns how many. */
export async function exportAudit(
  store: Store,
  write: (line: string) => void | Promise<void>,
  opts: { handoffId?: string } = {},
): Promise<number> {
  let count = 0;
  let found = opts.handoffId === undefined;
  for await (const page of handoffPages(store, opts.handoffId)) {
    for (const h of page) {
      found = true;
      for (const e of h.events) {
        const r = write(exportLine(e));
        // Await only a writer that asks for it (backpressure), not every line.
        if (r) await r;
        count += 1;
      }
    }
  }
  if (!found) throw new BatonError('not_found', `handoff ${opts.handoffId} does not exist`);
  return count;
}
