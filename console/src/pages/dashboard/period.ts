// The dashboard's period and scope, kept in the URL (?since=7d, ?since=2026-12-01&until=2026-12-07,
// ?flow=ID or ?boundary=from->to) so a view can be bookmarked and shared.

export const PRESETS: ReadonlyArray<{ value: string; label: string }> = [
  { value: '24h', label: 'Last 24 hours' },
  { value: '7d', label: 'Last 7 days' },
  { value: '30d', label: 'Last 30 days' },
  { value: '90d', label: 'Last 90 days' },
  { value: 'all', label: 'All time' },
];
export const DEFAULT_PRESET = '7d';

const DAY = /^\d{4}-\d{2}-\d{2}$/;

export interface Period {
  /** A preset's value, or `custom` for chosen days. */
  preset: string;
  /** Custom days (UTC), both inclusive, as YYYY-MM-DD. */
  from?: string;
  to?: string;
}

export interface Scope {
  flow?: string;
  boundary?: string;
}

export function readPeriod(p: URLSearchParams): Period {
  const since = p.get('since') ?? DEFAULT_PRESET;
  const until = p.get('until') ?? undefined;
  if (since === 'custom' || DAY.test(since) || (until !== undefined && DAY.test(until))) {
    return {
      preset: 'custom',
      ...(DAY.test(since) ? { from: since } : {}),
      ...(until !== undefined && DAY.test(until) ? { to: until } : {}),
    };
  }
  return { preset: PRESETS.some((x) => x.value === since) ? since : DEFAULT_PRESET };
}

export function readScope(p: URLSearchParams): Scope {
  const flow = p.get('flow');
  const boundary = p.get('boundary');
  if (flow) return { flow };
  if (boundary) return { boundary };
  return {};
}

/** The day after a YYYY-MM-DD day (the server's `until` is exclusive). */
export function nextDay(day: string): string {
  const t = Date.parse(`${day}T00:00:00Z`) + 86_400_000;
  return new Date(t).toISOString().slice(0, 10);
}

/** The summary's query for a period and scope. */
export function summaryQuery(period: Period, scope: Scope): Record<string, string | undefined> {
  const q: Record<string, string | undefined> = { ...scope };
  if (period.preset === 'custom') {
    q.since = period.from;
    q.until = period.to ? nextDay(period.to) : undefined;
  } else if (period.preset !== 'all') q.since = period.preset;
  return q;
}

/** The URL parameters that stand for a period (merged into the page's other parameters). */
export function periodParams(period: Period): Record<string, string | undefined> {
  // Custom days not chosen yet still read back as custom.
  if (period.preset === 'custom') return { since: period.from ?? 'custom', until: period.to };
  return { since: period.preset === DEFAULT_PRESET ? undefined : period.preset, until: undefined };
}

export function describePeriod(period: Period): string {
  if (period.preset !== 'custom') return PRESETS.find((x) => x.value === period.preset)?.label ?? '';
  if (period.from && period.to) return `${period.from} to ${period.to} (UTC)`;
  if (period.from) return `since ${period.from} (UTC)`;
  if (period.to) return `up to ${period.to} (UTC)`;
  return 'All time';
}

const link = (path: string, params: Record<string, string | undefined>): string => {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v) q.set(k, v);
  const s = q.toString();
  return s ? `${path}?${s}` : path;
};

/**
 * A link to the board showing the open handoffs behind a figure: the page's scope with the
 * figure's own filters (owner, state, flow). The board shows work as it is now, whatever the period.
 */
export function boardLink(scope: Scope, filters: Record<string, string | undefined> = {}): string {
  const merged: Record<string, string | undefined> = { ...scope, ...filters };
  if (filters.flow) delete merged.boundary;
  return link('/', merged);
}

const PRESET_MS: Record<string, number> = {
  '24h': 86_400_000,
  '7d': 7 * 86_400_000,
  '30d': 30 * 86_400_000,
  '90d': 90 * 86_400_000,
};

/** The period as ISO times (the audit search's since and until). */
export function periodRange(period: Period, now = Date.now()): { since?: string; until?: string } {
  if (period.preset === 'custom') {
    return {
      ...(period.from ? { since: `${period.from}T00:00:00.000Z` } : {}),
      ...(period.to ? { until: `${nextDay(period.to)}T00:00:00.000Z` } : {}),
    };
  }
  const ms = PRESET_MS[period.preset];
  return ms === undefined ? {} : { since: new Date(now - ms).toISOString() };
}

/**
 * A link to the audit search for the events behind a figure of closed work (completed, SLA
 * breached), which the board of open work does not show: of this type, in the period, of the
 * figure's flow or the page's.
 */
export function auditLink(
  scope: Scope,
  period: Period,
  type: string,
  flow?: string,
  now = Date.now(),
): string {
  return link('/audit', { type, flow: flow ?? scope.flow, ...periodRange(period, now) });
}
