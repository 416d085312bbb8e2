// Delegation while away (baton.yaml `delegations:`): a person stands in for another, from
// `since` (default: always) until `until`, optionally for some flows only. A date without a
// time covers that whole day in UTC: `until: 2026-12-24` ends at 2026-12-25T00:00Z.
const DATE = /^\d{4}-\d{2}-\d{2}$/;
const TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,3})?)?(Z|[+-]\d{2}:\d{2})$/;
const DAY_MS = 86_400_000;

export interface DelegationDef {
  from: string;
  to: string;
  since?: string;
  until: string;
  flows?: string[];
}

/** Epoch ms of a date (start of that day, UTC) or an ISO time with a zone; undefined if neither. */
export function parseInstant(text: string): number | undefined {
  if (!DATE.test(text) && !TIME.test(text)) return undefined;
  const ms = Date.parse(DATE.test(text) ? `${text}T00:00:00Z` : text);
  if (Number.isNaN(ms)) return undefined;
  // Date.parse rolls 2026-02-30 over to March: refuse dates that do not round-trip.
  if (DATE.test(text) && new Date(ms).toISOString().slice(0, 10) !== text) return undefined;
  return ms;
}

export const isInstant = (text: string): boolean => parseInstant(text) !== undefined;

/** The half-open window [start, end) in which a delegation holds. */
export function delegationWindow(d: Pick<DelegationDef, 'since' | 'until'>): { start: number; end: number } {
  const start = d.since === undefined ? -Infinity : (parseInstant(d.since) ?? Infinity);
  const until = parseInstant(d.until) ?? -Infinity;
  return { start, end: DATE.test(d.until) ? until + DAY_MS : until };
}

/** Does the delegation hold at `now` for `flow`? */
export function delegationHolds(d: DelegationDef, now: number, flow: string): boolean {
  const w = delegationWindow(d);
  return now >= w.start && now < w.end && (!d.flows || d.flows.includes(flow));
}
