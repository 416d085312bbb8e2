// The board's counts (GET /v1/board), re-read as live events arrive: at most every 300 ms
// during a burst, and once more after it.
import { useEffect, useRef, useState } from 'react';
import { api } from '../../api/client.ts';
import { throttle, type Bus } from './bus.ts';
import type { BoardCounts } from '../../api/types.ts';

export function useBoardCounts(query: Record<string, string>, bus: Bus) {
  const key = JSON.stringify(query);
  const [counts, setCounts] = useState<BoardCounts | undefined>();
  const [error, setError] = useState<string | undefined>();
  const generation = useRef(0);

  useEffect(() => {
    const gen = ++generation.current;
    let inFlight = false;
    let again = false;
    const load = async () => {
      if (inFlight) {
        again = true;
        return;
      }
      inFlight = true;
      try {
        const c = await api.get<BoardCounts>('/v1/board', JSON.parse(key) as Record<string, string>);
        if (gen === generation.current) {
          setCounts(c);
          setError(undefined);
        }
      } catch (e) {
        if (gen === generation.current) setError(e instanceof Error ? e.message : String(e));
      } finally {
        inFlight = false;
        if (again && gen === generation.current) {
          again = false;
          void load();
        }
      }
    };
    void load();
    const reload = throttle(() => void load(), 300);
    const off = bus.subscribe(() => reload());
    return () => {
      off();
      reload.cancel();
    };
  }, [key, bus]);

  return { counts, error };
}
