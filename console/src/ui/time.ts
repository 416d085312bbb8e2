// Durations and times as people read them: "3 h 12 min", "in 25 min", "2 d ago".

export function formatDuration(ms: number): string {
  const s = Math.max(0, Math.round(Math.abs(ms) / 1000));
  if (s < 60) return `${s} s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m} min`;
  const h = Math.floor(m / 60);
  if (h < 48) return m % 60 ? `${h} h ${m % 60} min` : `${h} h`;
  const d = Math.floor(h / 24);
  return h % 24 ? `${d} d ${h % 24} h` : `${d} d`;
}

/** How long since an ISO time, from `now`. */
export function since(iso: string | undefined | null, now: number = Date.now()): string {
  if (!iso) return '—';
  return formatDuration(now - Date.parse(iso));
}

export function ago(iso: string | undefined | null, now: number = Date.now()): string {
  if (!iso) return '—';
  const ms = now - Date.parse(iso);
  return ms >= 0 ? `${formatDuration(ms)} ago` : `in ${formatDuration(-ms)}`;
}

/** A local date and time, to the minute, for titles and tables. */
export function when(iso: string | undefined | null): string {
  if (!iso) return '—';
  const d = new Date(iso);
  return Number.isNaN(d.getTime())
    ? iso
    : d.toLocaleString(undefined, { dateStyle: 'medium', timeStyle: 'short' });
}
