// Times that tick: one clock for the whole board (a second's interval), read by the few spans
// that show an age or a countdown, so a tick re-renders those spans and nothing else.
import { createContext, useContext, useEffect, useState, type ReactNode } from 'react';

const NowContext = createContext<number>(Date.now());

export function NowProvider({ children }: { children: ReactNode }) {
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    const t = setInterval(() => setNow(Date.now()), 1000);
    return () => clearInterval(t);
  }, []);
  return <NowContext value={now}>{children}</NowContext>;
}

export const useNow = (): number => useContext(NowContext);

/** 45s, 12m, 3h 05m, 2d 4h: short enough for a card. */
export function duration(ms: number): string {
  const s = Math.max(0, Math.floor(ms / 1000));
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m ${String(s % 60).padStart(2, '0')}s`;
  const h = Math.floor(m / 60);
  if (h < 24) return `${h}h ${String(m % 60).padStart(2, '0')}m`;
  const d = Math.floor(h / 24);
  return `${d}d ${h % 24}h`;
}

/** "12m 04s" since `since` (ISO), ticking. */
export function Age({ since }: { since: string }) {
  const now = useNow();
  const t = Date.parse(since);
  return <time dateTime={since}>{duration(now - t)}</time>;
}

/** The SLA: time left until `due`, or how long ago it ran out (with text and an icon). */
export function SlaClock({ due, breached }: { due: string; breached: boolean }) {
  const now = useNow();
  const left = Date.parse(due) - now;
  if (breached || left <= 0) {
    return (
      <span className="sla sla-breached">
        <span aria-hidden="true">⚠ </span>SLA breached {duration(-left)} ago
      </span>
    );
  }
  return <span className={left < 5 * 60_000 ? 'sla sla-soon' : 'sla'}>SLA {duration(left)} left</span>;
}
