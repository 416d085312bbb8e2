// The board's list logic without a browser: URL filters and the merge of a fresh first page.
import { describe, expect, it } from 'vitest';
import { readFilters, toParams } from '../../console/src/pages/board/filters.ts';
import { mergeFirstPage, PAGE, type Loaded } from '../../console/src/pages/board/paging.ts';
import type { HandoffItem } from '../../console/src/api/types.ts';

const item = (n: number): HandoffItem => ({
  id: `h_${String(n).padStart(4, '0')}`,
  flow: 'f',
  flowVersion: 'v',
  state: 'handed_off',
  owner: 'user:kim',
  mode: 'auto',
  boundary: 'team:a->team:b',
  breached: false,
  rework: 0,
  createdAt: new Date(1_700_000_000_000 + n * 1000).toISOString(),
  updatedAt: new Date(1_700_000_000_000 + n * 1000).toISOString(),
});
/** Newest first, as the server lists. */
const items = (from: number, to: number) => Array.from({ length: from - to + 1 }, (_, i) => item(from - i));

describe('board filters in the URL', () => {
  it('keeps what the server accepts and drops the rest', () => {
    const f = readFilters(
      new URLSearchParams(
        'flow=lead-to-owner&boundary=team:a->team:b&state=handed_off&owner=user:kim&queue=failed',
      ),
    );
    expect(f).toEqual({
      flow: 'lead-to-owner',
      boundary: 'team:a->team:b',
      state: 'handed_off',
      owner: 'user:kim',
      queue: 'failed',
    });
    expect(readFilters(toParams(f))).toEqual(f);
    expect(readFilters(new URLSearchParams('state=completed&owner=kim&queue=lost&boundary=a'))).toEqual({});
  });
});

describe('a fresh first page over loaded pages', () => {
  it('replaces a single loaded page, cursor and all', () => {
    const prev: Loaded = { items: items(10, 1), cursor: null, status: 'ready' };
    const next = mergeFirstPage(prev, { items: items(11, 2), nextCursor: 'c2' });
    expect(next.items.map((h) => h.id)).toEqual(items(11, 2).map((h) => h.id));
    expect(next.cursor).toBe('c2');
  });

  it('keeps the older pages loaded by scrolling, and drops what left the first page', () => {
    const loaded = items(200, 101); // two pages of 50
    const prev: Loaded = { items: loaded, cursor: 'c-old', status: 'ready' };
    // 200 left the column and 201 arrived: the first page now ends at 152.
    const fresh = items(201, 152).filter((h) => h.id !== item(200).id);
    const next = mergeFirstPage(prev, { items: fresh, nextCursor: 'c-new' });
    const ids = next.items.map((h) => h.id);
    expect(ids[0]).toBe(item(201).id);
    expect(ids).not.toContain(item(200).id);
    expect(ids).toContain(item(151).id);
    expect(ids[ids.length - 1]).toBe(item(101).id);
    expect(new Set(ids).size).toBe(ids.length);
    expect(next.cursor).toBe('c-old');
    expect(prev.items.length).toBeGreaterThan(PAGE);
  });
});
