// Loads one API answer for a page: `{ data, error, loading, reload }`. A newer load aborts the
// one in flight, so a fast typist filtering the board never sees an older answer win.
import { useCallback, useEffect, useRef, useState } from 'react';
import { api, ApiError, type Query } from '../api/client.ts';

export interface Loaded<T> {
  data: T | undefined;
  error: ApiError | null;
  loading: boolean;
  reload: () => void;
}

export function useApi<T>(path: string | null, query?: Query): Loaded<T> {
  const [data, setData] = useState<T | undefined>(undefined);
  const [error, setError] = useState<ApiError | null>(null);
  const [loading, setLoading] = useState(path !== null);
  const [tick, setTick] = useState(0);
  const key = path === null ? null : `${path}?${JSON.stringify(query ?? {})}`;
  const queryRef = useRef(query);
  queryRef.current = query;

  useEffect(() => {
    if (path === null) return;
    const ctl = new AbortController();
    setLoading(true);
    api.get<T>(path, queryRef.current, ctl.signal).then(
      (d) => {
        setData(d);
        setError(null);
        setLoading(false);
      },
      (e: unknown) => {
        if ((e as Error).name === 'AbortError') return;
        setError(e instanceof ApiError ? e : new ApiError(0, 'error', String(e)));
        setLoading(false);
      },
    );
    return () => ctl.abort();
    // `key` stands for path and query (the query object is new on every render).
  }, [key, tick]);

  const reload = useCallback(() => setTick((t) => t + 1), []);
  return { data, error, loading, reload };
}
