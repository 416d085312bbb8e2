// The board's read, shared by the service and the HTTP thread's side of a threaded server (which
// answers it from its own read connection, without a trip to the engine thread): the store's
// counts by owner, and each column's first cards as lists show them.
import { WAITING_FOR_OWNER, type HandoffRecord } from '../core/types.ts';
import type { FlowFor } from './flow-by-version.ts';
import type { BoardFilter, BoardOwnerCounts, Store } from '../store/port.ts';
import { encodeCursor } from '../store/rows.ts';
import { subjectOf } from './subject.ts';
import { summaryView, type HandoffListView } from './views.ts';

export interface BoardRead {
  owners: BoardOwnerCounts[];
  /** With cards: each owner's first page and the cursor to page on (null: no more). */
  columns: Record<string, { items: HandoffListView[]; nextCursor: string | null }>;
}

/** Handoffs as lists show them: the summary, a one-line subject, the SLA's due time. */
export function listItems(records: readonly HandoffRecord[], flowFor: FlowFor): Promise<HandoffListView[]> {
  return Promise.all(
    records.map(async (h) => {
      const v: HandoffListView = summaryView(h);
      const subject = subjectOf(h.input);
      if (subject !== undefined) v.subject = subject;
      if (WAITING_FOR_OWNER.has(h.state) && h.handedOffAt !== undefined) {
        const within = (await flowFor(h.flowVersion).catch(() => undefined))?.acceptWithinMs;
        if (within !== undefined) v.slaDueAt = new Date(h.handedOffAt + within).toISOString();
      }
      return v;
    }),
  );
}

export async function readBoard(
  store: Pick<Store, 'board' | 'boardCards'>,
  flowFor: FlowFor,
  filter: BoardFilter,
  cards: number,
): Promise<BoardRead> {
  const owners = await store.board(filter);
  const records = cards > 0 ? await store.boardCards(filter, cards) : [];
  const views = await listItems(records, flowFor);
  const columns = new Map<string, BoardRead['columns'][string]>();
  records.forEach((h, i) => {
    const c = columns.get(h.owner) ?? { items: [], nextCursor: null };
    c.items.push(views[i]!);
    columns.set(h.owner, c);
  });
  for (const o of owners) {
    const c = columns.get(o.owner);
    const last = records.findLast((h) => h.owner === o.owner);
    if (c && last && o.open > c.items.length) c.nextCursor = encodeCursor(last.createdAt, last.id);
  }
  return { owners, columns: Object.fromEntries(columns) };
}
