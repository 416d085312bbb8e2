// How the dashboard writes its numbers: durations in the unit that reads best, shares as
// percentages, money in dollars; a dash where there is nothing to show (never a fake zero).

const round = (v: number) => (v >= 10 ? Math.round(v) : Math.round(v * 10) / 10);

/** Seconds as "850 ms", "42 s", "3.5 min", "2.1 h", "1.4 d". */
export function seconds(s: number | null | undefined): string {
  if (s === null || s === undefined || !Number.isFinite(s)) return '–';
  if (s === 0) return '0 s';
  if (s < 1) return `${round(s * 1000)} ms`;
  if (s < 90) return `${round(s)} s`;
  if (s < 90 * 60) return `${round(s / 60)} min`;
  if (s < 48 * 3600) return `${round(s / 3600)} h`;
  return `${round(s / 86400)} d`;
}

/** A share from 0 to 1 as "12%" (one decimal under 10%). */
export function percent(r: number | null | undefined): string {
  if (r === null || r === undefined || !Number.isFinite(r)) return '–';
  const p = r * 100;
  return `${p > 0 && p < 10 ? p.toFixed(1) : Math.round(p)}%`;
}

export function usd(v: number | null | undefined): string {
  if (v === null || v === undefined || !Number.isFinite(v)) return '–';
  if (v === 0) return '$0';
  return v < 0.01 ? `$${v.toFixed(4)}` : `$${v.toFixed(2)}`;
}

export const count = (n: number | null | undefined): string =>
  n === null || n === undefined ? '–' : n.toLocaleString('en-US');

/** Owners and boundaries without their kind prefixes, for narrow axis labels. */
export const short = (ref: string): string =>
  ref.replace(/\b(user|team|role|agent):/g, '').replace('->', ' → ');
