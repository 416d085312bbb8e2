// Board keys: j/k or ↓/↑ move between cards, h/l or ←/→ between columns, Enter opens the
// focused card (it is a link), / focuses the filters. Keys typed into a field are left alone.
import { useEffect, useRef } from 'react';
import type { ColumnHandle } from './column.tsx';

const FIELD = new Set(['INPUT', 'SELECT', 'TEXTAREA', 'BUTTON']);

export function useBoardKeys(filterId: string, showFilters: () => void) {
  const columns = useRef(new Map<number, ColumnHandle>());
  const active = useRef<{ column: number; index: number } | undefined>(undefined);
  const show = useRef(showFilters);
  show.current = showFilters;

  const register = useRef((column: number, handle: ColumnHandle | null) => {
    if (handle) columns.current.set(column, handle);
    else columns.current.delete(column);
  }).current;
  const onFocusCard = useRef((column: number, index: number) => {
    active.current = { column, index };
  }).current;

  useEffect(() => {
    const move = (dColumn: number, dIndex: number): boolean => {
      const order = [...columns.current.keys()].sort((a, b) => a - b);
      if (order.length === 0) return false;
      const focusedCard = document.activeElement?.closest('[data-card]');
      const at = focusedCard ? active.current : undefined;
      if (!at) {
        // Nothing focused yet: the first card of the first column that has one.
        return order.some((c) => columns.current.get(c)!.focus(0));
      }
      if (dColumn === 0) return columns.current.get(at.column)?.focus(at.index + dIndex) ?? false;
      let pos = order.indexOf(at.column);
      for (;;) {
        pos += dColumn;
        const c = order[pos];
        if (c === undefined) return false;
        if (columns.current.get(c)!.focus(at.index)) return true;
      }
    };
    const onKey = (e: KeyboardEvent) => {
      if (e.defaultPrevented || e.altKey || e.ctrlKey || e.metaKey) return;
      const target = e.target as HTMLElement | null;
      if (target && (FIELD.has(target.tagName) || target.isContentEditable)) return;
      let handled = false;
      switch (e.key) {
        case 'j':
        case 'ArrowDown':
          handled = move(0, 1);
          break;
        case 'k':
        case 'ArrowUp':
          handled = move(0, -1);
          break;
        case 'l':
        case 'ArrowRight':
          handled = move(1, 0);
          break;
        case 'h':
        case 'ArrowLeft':
          handled = move(-1, 0);
          break;
        case '/': {
          show.current();
          // The filters may have just unfolded: focus once they are rendered.
          requestAnimationFrame(() => document.getElementById(filterId)?.focus());
          handled = true;
          break;
        }
        default:
          return;
      }
      if (handled) e.preventDefault();
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, [filterId]);

  return { register, onFocusCard };
}
