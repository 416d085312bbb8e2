// The board's own fan-out of live events: the page listens once (useLive) and every column
// and the counts subscribe here, each deciding what the event means for it (null: read again).
import type { LiveChange } from '../../live.ts';

export interface Bus {
  emit(e: LiveChange): void;
  subscribe(fn: (e: LiveChange) => void): () => void;
}

export function createBus(): Bus {
  const listeners = new Set<(e: LiveChange) => void>();
  return {
    emit(e) {
      for (const fn of listeners) fn(e);
    },
    subscribe(fn) {
      listeners.add(fn);
      return () => listeners.delete(fn);
    },
  };
}

export const CLOSED_STATES: ReadonlySet<string> = new Set(['completed', 'rolled_back', 'cancelled']);

/**
 * Runs `fn` at most once per `waitMs` while events keep coming, and once after they stop:
 * a burst of intakes refreshes a column a few times, not once per event.
 */
export function throttle(fn: () => void, waitMs: number): { (): void; cancel(): void } {
  let timer: ReturnType<typeof setTimeout> | undefined;
  let last = 0;
  const run = () => {
    timer = undefined;
    last = Date.now();
    fn();
  };
  const call = () => {
    if (timer) return;
    const wait = Math.max(0, last + waitMs - Date.now());
    timer = setTimeout(run, Math.min(wait, waitMs));
  };
  call.cancel = () => {
    if (timer) clearTimeout(timer);
    timer = undefined;
  };
  return call;
}
