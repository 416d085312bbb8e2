// A board column: one owner's open handoffs, or one queue, as a virtualized list that loads
// the next page as it nears the end, and refreshes itself when live events concern it.
import { memo, useEffect, useMemo, useRef, type ReactNode } from 'react';
import { useVirtualizer } from '@tanstack/react-virtual';
import { Card } from './card.tsx';
import { CLOSED_STATES, throttle, type Bus } from './bus.ts';
import { usePagedList } from './paging.ts';
import type { HandoffPage } from '../../api/types.ts';

/** What a column holds: an owner's open work, or a queue. */
export type Source = { owner: string } | { queue: string };

/** What the board's keyboard handler can ask of a column. */
export interface ColumnHandle {
  /** Scrolls to and focuses the card at `index` (clamped); false when the column is empty. */
  focus(index: number): boolean;
}

interface ColumnProps {
  source: Source;
  /** The board's filters (flow, boundary, state, owner) as the server takes them. */
  filters: Record<string, string>;
  title: ReactNode;
  label: string;
  /** The count from the board, for screen readers' "n of N". */
  total: number;
  column: number;
  bus: Bus;
  onFocusCard: (column: number, index: number) => void;
  register: (column: number, handle: ColumnHandle | null) => void;
  wide?: boolean;
  /** The first page, when the board's first read brought it. */
  initial?: HandoffPage | undefined;
}

const ESTIMATE = 116;

export const Column = memo(function Column(p: ColumnProps) {
  const owner = 'owner' in p.source ? p.source.owner : undefined;
  const query = useMemo(
    () => ({
      ...p.filters,
      ...('owner' in p.source ? { owner: p.source.owner, open: 'true' } : { queue: p.source.queue }),
    }),
    [p.filters, p.source],
  );
  const list = usePagedList(query, p.initial);
  const scroller = useRef<HTMLDivElement>(null);
  const count = list.items.length + (list.cursor ? 1 : 0);
  const v = useVirtualizer({
    count,
    getScrollElement: () => scroller.current,
    estimateSize: () => ESTIMATE,
    overscan: 4,
    getItemKey: (i) => list.items[i]?.id ?? 'more',
  });
  const visible = v.getVirtualItems();

  // Near the end of what is loaded (the overscan reaching the last few): the next page.
  const lastVisible = visible[visible.length - 1]?.index ?? -1;
  useEffect(() => {
    if (list.cursor && lastVisible >= list.items.length - 4) void list.loadMore();
  }, [lastVisible, list.cursor, list.items.length, list.loadMore]);

  // Live: a card that left this column goes at once; work arriving refreshes the first page.
  const latest = useRef(list);
  latest.current = list;
  useEffect(() => {
    const refresh = throttle(() => void latest.current.refresh(), 250);
    const off = p.bus.subscribe((e) => {
      const l = latest.current;
      if (!e) refresh();
      else if (owner !== undefined) {
        if (l.has(e.id) && (e.owner !== owner || CLOSED_STATES.has(e.state))) l.remove(e.id);
        if (e.owner === owner) refresh();
      } else {
        if (l.has(e.id) && CLOSED_STATES.has(e.state)) l.remove(e.id);
        refresh();
      }
    });
    return () => {
      off();
      refresh.cancel();
    };
  }, [p.bus, owner]);

  useEffect(() => {
    const handle: ColumnHandle = {
      focus(index) {
        const items = latest.current.items;
        if (items.length === 0) return false;
        const i = Math.max(0, Math.min(index, items.length - 1));
        v.scrollToIndex(i, { align: 'auto' });
        const selector = `[data-card="${p.column}:${i}"]`;
        let tries = 0;
        const attempt = () => {
          const el = scroller.current?.querySelector<HTMLElement>(selector);
          if (el) el.focus({ preventScroll: false });
          else if (tries++ < 10) requestAnimationFrame(attempt);
        };
        attempt();
        return true;
      },
    };
    p.register(p.column, handle);
    return () => p.register(p.column, null);
  }, [p.register, p.column, v]);

  return (
    <section className={p.wide ? 'board-column board-column-wide' : 'board-column'} aria-label={p.label}>
      <header className="board-column-head">{p.title}</header>
      <div ref={scroller} className="board-column-body">
        {list.status === 'loading' && list.items.length === 0 ? (
          <p className="board-column-note">Loading…</p>
        ) : list.status === 'error' && list.items.length === 0 ? (
          <p className="board-column-note" role="alert">
            Could not load: {list.error}
          </p>
        ) : list.items.length === 0 ? (
          <p className="board-column-note">Nothing here now.</p>
        ) : null}
        <div
          role="list"
          aria-label={p.label}
          className="board-column-list"
          style={{ height: v.getTotalSize() }}
        >
          {visible.map((row) => {
            const item = list.items[row.index];
            return (
              <div
                key={row.key}
                role="listitem"
                aria-setsize={Math.max(p.total, list.items.length)}
                aria-posinset={row.index + 1}
                data-index={row.index}
                ref={v.measureElement}
                className="board-column-row"
                style={{ transform: `translateY(${row.start}px)` }}
              >
                {item ? (
                  <Card item={item} index={row.index} column={p.column} onFocusCard={p.onFocusCard} />
                ) : (
                  <p className="board-column-note">Loading more…</p>
                )}
              </div>
            );
          })}
        </div>
      </div>
    </section>
  );
});
