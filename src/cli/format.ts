// Human output: aligned tables, relative times, short values.
import { oneLine } from './terminal-text.ts';

/** Compact durations for people: 850ms, 4.2s, 12s, 5m, 1.5h, 3h, 2d. */
export function formatDuration(ms: number): string {
  const one = (x: number, unit: string) => `${x < 10 ? Number(x.toFixed(1)) : Math.round(x)}${unit}`;
  if (ms < 1000) return `${Math.round(ms)}ms`;
  const s = ms / 1000;
  if (s < 60) return one(s, 's');
  const m = s / 60;
  if (m < 60) return `${Math.floor(m)}m`;
  const h = m / 60;
  if (h < 48) return one(h, 'h');
  return one(h / 24, 'd');
}

/** Epoch ms from a number or ISO text; NaN when neither. */
export function toMs(t: number | string | null | undefined): number {
  if (typeof t === 'number') return t;
  if (typeof t === 'string') return Date.parse(t);
  return Number.NaN;
}

/** "5m ago", "in 10m", "just now". */
export function ago(t: number | string | null | undefined, now = Date.now()): string {
  const ms = toMs(t);
  if (Number.isNaN(ms)) return '-';
  const d = now - ms;
  if (Math.abs(d) < 1000) return 'just now';
  return d > 0 ? `${formatDuration(d)} ago` : `in ${formatDuration(-d)}`;
}

/** "+1.2s" after a start time. */
export function since(t: number | string | null | undefined, start: number): string {
  const ms = toMs(t);
  if (Number.isNaN(ms)) return '';
  const d = ms - start;
  return d <= 0 ? '+0s' : `+${formatDuration(d)}`;
}

/** Columns padded to the widest cell; the last column is not padded. Cells stay on one line. */
export function table(headers: string[], rows: string[][]): string {
  const all = [headers, ...rows.map((r) => r.map(oneLine))];
  const widths = headers.map((_, i) => Math.max(...all.map((r) => (r[i] ?? '').length)));
  return (
    all
      .map((r) =>
        r
          .map((cell, i) => (i === r.length - 1 ? cell : cell + ' '.repeat(widths[i]! - cell.length)))
          .join('  ')
          .trimEnd(),
      )
      .join('\n') + '\n'
  );
}

/** A value on one line, cut to `max` characters. */
export function short(v: unknown, max = 80): string {
  let s: string;
  if (v === undefined) s = '';
  else if (typeof v === 'string') s = v;
  else if (typeof v === 'bigint') s = v.toString();
  else s = JSON.stringify(v) ?? typeof v;
  s = oneLine(s.replace(/[ \t\n\f\v\u00a0\u2028\u2029]+/g, ' '));
  return s.length > max ? `${s.slice(0, max - 1)}…` : s;
}

export const plural = (n: number, word: string): string => `${n} ${word}${n === 1 ? '' : 's'}`;
