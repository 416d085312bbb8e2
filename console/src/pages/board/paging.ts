// One column's cards, page by page (server keyset paging, newest first), kept fresh by live
// events: a refresh re-reads the first page and merges it with the pages already loaded.
import { useCallback, useEffect, useRef, useState } from 'react';
import { api } from '../../api/client.ts';
import type { HandoffItem, HandoffPage } from '../../api/types.ts';

export const PAGE = 50;

export interface Loaded {
  items: HandoffItem[];
  cursor: string | null;
  status: 'loading' | 'ready' | 'error';
  error?: string;
}

/** Newest first: by createdAt, then id (the server's keyset order). */
const older = (a: HandoffItem, b: HandoffItem): boolean =>
  a.createdAt < b.createdAt || (a.createdAt === b.createdAt && a.id < b.id);

/**
 * A fresh first page over what was loaded: everything down to the page's last card is the
 * page (what was there and is not any more has left the column); older pages loaded by
 * scrolling stay, with their cursor.
 */
export function mergeFirstPage(prev: Loaded, page: HandoffPage): Loaded {
  const last = page.items[page.items.length - 1];
  if (!page.nextCursor || !last || prev.items.length <= PAGE) {
    return { items: page.items, cursor: page.nextCursor, status: 'ready' };
  }
  const seen = new Set(page.items.map((h) => h.id));
  const rest = prev.items.filter((h) => !seen.has(h.id) && older(h, last));
  return { items: [...page.items, ...rest], cursor: prev.cursor, status: 'ready' };
}

/** The next page after `cursor`, unless a refresh has moved the cursor since it was asked. */
function appendPage(prev: Loaded, cursor: string, page: HandoffPage): Loaded {
  if (prev.cursor !== cursor) return prev;
  const seen = new Set(prev.items.map((h) => h.id));
  return {
    items: [...prev.items, ...page.items.filter((h) => !seen.has(h.id))],
    cursor: page.nextCursor,
    status: 'ready',
  };
}

export function usePagedList(query: Record<string, string>, initial?: HandoffPage) {
  const key = JSON.stringify(query);
  const [loaded, setLoaded] = useState<Loaded>(() =>
    initial
      ? { items: initial.items, cursor: initial.nextCursor, status: 'ready' }
      : { items: [], cursor: null, status: 'loading' },
  );
  /** The first page came with the board: the first mount need not ask for it. */
  const seeded = useRef(initial !== undefined);
  const current = useRef(loaded);
  current.current = loaded;
  const generation = useRef(0);
  const busy = useRef<'refresh' | 'more' | null>(null);
  const again = useRef(false);

  /**
   * Reads one page into the column: the first (merged over what was loaded) or the next after
   * `cursor`. An answer for an older query is dropped; a refresh asked for meanwhile runs next.
   */
  const load = useCallback(
    async function load(cursor?: string): Promise<void> {
      busy.current = cursor ? 'more' : 'refresh';
      const gen = generation.current;
      try {
        const page = await api.get<HandoffPage>('/v1/handoffs', {
          ...JSON.parse(key),
          limit: String(PAGE),
          ...(cursor ? { cursor } : {}),
        });
        if (gen === generation.current)
          setLoaded((prev) => (cursor ? appendPage(prev, cursor, page) : mergeFirstPage(prev, page)));
      } catch (e) {
        if (gen === generation.current)
          setLoaded((prev) => ({
            ...prev,
            status: 'error',
            error: e instanceof Error ? e.message : String(e),
          }));
      } finally {
        if (gen === generation.current) busy.current = null;
        if (again.current && gen === generation.current) {
          again.current = false;
          void load();
        }
      }
    },
    [key],
  );

  const refresh = useCallback(async () => {
    if (busy.current) {
      again.current = true;
      return;
    }
    await load();
  }, [load]);

  const loadMore = useCallback(async () => {
    const { cursor } = current.current;
    if (!cursor || busy.current) return;
    await load(cursor);
  }, [load]);

  /** Takes a card out at once (it moved to another owner or closed); the next refresh agrees. */
  const remove = useCallback((id: string) => {
    setLoaded((prev) =>
      prev.items.some((h) => h.id === id) ? { ...prev, items: prev.items.filter((h) => h.id !== id) } : prev,
    );
  }, []);

  useEffect(() => {
    if (seeded.current) {
      seeded.current = false;
      return;
    }
    generation.current += 1;
    busy.current = null;
    again.current = false;
    setLoaded({ items: [], cursor: null, status: 'loading' });
    void refresh();
  }, [key, refresh]);

  return {
    ...loaded,
    refresh,
    loadMore,
    remove,
    has: (id: string) => current.current.items.some((h) => h.id === id),
  };
}
