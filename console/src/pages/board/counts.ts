// The board's counts (GET /v1/board), re-read as live events arrive: at most every 300 ms
// during a burst, and once more after it. The first read also brings each column's first cards,
// and is sent as soon as the console's code runs, beside the session check (same cookie): the
// board shows after one round trip instead of three.
import { useEffect, useRef, useState } from 'react';
import { api } from '../../api/client.ts';
import { throttle, type Bus } from './bus.ts';
import type { BoardCounts } from '../../api/types.ts';

/** Cards per column in the first read: a screenful and some. */
export const FIRST_CARDS = 12;

const fetchBoard = (query: Record<string, string>, cards: number) =>
  api.get<BoardCounts>('/v1/board', cards ? { ...query, cards } : query);

let early: { key: string; at: number; answer: Promise<BoardCounts> } | undefined;

/** Starts the first board read for the URL the console opened with (a board URL only). */
export function prefetchBoard(query: Record<string, string>): void {
  const answer = fetchBoard(query, FIRST_CARDS);
  answer.catch(() => {}); // a refusal (not signed in yet) is asked again when the board mounts
  early = { key: JSON.stringify(query), at: Date.now(), answer };
}

function takeEarly(key: string): Promise<BoardCounts> | undefined {
  const e = early;
  early = undefined;
  return e && e.key === key && Date.now() - e.at < 10_000 ? e.answer : undefined;
}

export function useBoardCounts(query: Record<string, string>, bus: Bus) {
  const key = JSON.stringify(query);
  const [counts, setCounts] = useState<BoardCounts | undefined>();
  /** The columns' first cards, from the first read only (later reads count). */
  const [first, setFirst] = useState<BoardCounts | undefined>();
  const [error, setError] = useState<string | undefined>();
  const generation = useRef(0);

  useEffect(() => {
    const gen = ++generation.current;
    let inFlight = false;
    let again = false;
    let initial = true;
    const load = async () => {
      if (inFlight) {
        again = true;
        return;
      }
      inFlight = true;
      try {
        const q = JSON.parse(key) as Record<string, string>;
        const withCards = initial;
        initial = false;
        const c = withCards
          ? await (takeEarly(key)?.catch(() => fetchBoard(q, FIRST_CARDS)) ?? fetchBoard(q, FIRST_CARDS))
          : await fetchBoard(q, 0);
        if (gen === generation.current) {
          if (withCards) setFirst(c);
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

  return { counts, first, error };
}
