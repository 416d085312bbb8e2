// The dashboard's pure parts: the period and scope read from and written to the URL, the board
// links behind figures, and the rows charts draw from a summary.
import { describe, expect, it } from 'vitest';
import {
  auditLink,
  boardLink,
  periodRange,
  nextDay,
  periodParams,
  readPeriod,
  readScope,
  summaryQuery,
} from '../../console/src/pages/dashboard/period.ts';
import { escalationRows, shadowRows } from '../../console/src/pages/dashboard/figures.ts';
import { percent, seconds, short, usd } from '../../console/src/pages/dashboard/format.ts';
import type { MetricsSummary } from '../../console/src/api/types.ts';

const url = (q: string) => new URLSearchParams(q);

describe('the dashboard period and scope', () => {
  it('reads presets, custom days and a scope from the URL, and writes them back', () => {
    expect(readPeriod(url(''))).toEqual({ preset: '7d' });
    expect(readPeriod(url('since=30d'))).toEqual({ preset: '30d' });
    expect(readPeriod(url('since=bogus'))).toEqual({ preset: '7d' });
    expect(readPeriod(url('since=custom'))).toEqual({ preset: 'custom' });
    expect(readPeriod(url('since=2026-12-01&until=2026-12-07'))).toEqual({
      preset: 'custom',
      from: '2026-12-01',
      to: '2026-12-07',
    });
    for (const p of [{ preset: '24h' }, { preset: 'all' }, { preset: 'custom', from: '2026-01-02' }]) {
      const q = new URLSearchParams();
      for (const [k, v] of Object.entries(periodParams(p))) if (v) q.set(k, v);
      expect(readPeriod(q)).toEqual(p);
    }
    expect(readScope(url('flow=f&boundary=a->b'))).toEqual({ flow: 'f' });
    expect(readScope(url('boundary=team:a->team:b'))).toEqual({ boundary: 'team:a->team:b' });
  });

  it('asks the server for the period: until is the day after the last day', () => {
    expect(summaryQuery({ preset: 'all' }, {})).toEqual({});
    expect(summaryQuery({ preset: '24h' }, { flow: 'f' })).toEqual({ flow: 'f', since: '24h' });
    expect(summaryQuery({ preset: 'custom', from: '2026-12-01', to: '2026-12-31' }, {})).toEqual({
      since: '2026-12-01',
      until: '2027-01-01',
    });
    expect(nextDay('2028-02-28')).toBe('2028-02-29');
  });

  it('links a figure to the board (open work) or to the audit search (closed work, in the period)', () => {
    expect(boardLink({})).toBe('/');
    expect(boardLink({ flow: 'f' }, { state: 'escalated' })).toBe('/?flow=f&state=escalated');
    // A row's own flow replaces a boundary scope.
    expect(boardLink({ boundary: 'a->b' }, { flow: 'g' })).toBe('/?flow=g');
    expect(boardLink({}, { owner: 'team:smb-sales' })).toBe('/?owner=team%3Asmb-sales');
    const now = Date.parse('2026-12-08T00:00:00.000Z');
    expect(periodRange({ preset: '24h' }, now)).toEqual({ since: '2026-12-07T00:00:00.000Z' });
    expect(periodRange({ preset: 'all' }, now)).toEqual({});
    expect(periodRange({ preset: 'custom', from: '2026-12-01', to: '2026-12-03' })).toEqual({
      since: '2026-12-01T00:00:00.000Z',
      until: '2026-12-04T00:00:00.000Z',
    });
    expect(auditLink({ flow: 'f' }, { preset: 'all' }, 'completed')).toBe('/audit?type=completed&flow=f');
    expect(auditLink({}, { preset: '24h' }, 'sla_breached', 'g', now)).toBe(
      '/audit?type=sla_breached&flow=g&since=2026-12-07T00%3A00%3A00.000Z',
    );
  });
});

describe('the dashboard rows and numbers', () => {
  const summary = (over: Partial<MetricsSummary>) =>
    ({ totals: { handoffs: 10 }, escalations: { byReason: [] }, shadow: [], ...over }) as MetricsSummary;

  it('sums escalation reasons over flows, as shares of all handoffs', () => {
    const m = summary({
      escalations: {
        byReason: [
          { flow: 'a', reason: 'no_rule', events: 3, handoffs: 2, rate: 0.5 },
          { flow: 'b', reason: 'no_rule', events: 1, handoffs: 1, rate: 0.1 },
          { flow: 'b', reason: 'sla_breach', events: 4, handoffs: 4, rate: 0.4 },
        ],
      },
    });
    expect(escalationRows(m)).toEqual([
      { name: 'sla_breach', handoffs: 4, events: 4, rate: 0.4 },
      { name: 'no_rule', handoffs: 3, events: 4, rate: 0.3 },
    ]);
  });

  it('says what the promotion gate still needs', () => {
    const gate = { minObserved: 20, minAgreement: 0.9 };
    const m = summary({
      shadow: [
        { flow: 'a', handoffs: 30, observed: 25, agreed: 24, agreement: 0.96, readyToPromote: true, gate },
        { flow: 'b', handoffs: 5, observed: 19, agreed: 10, agreement: 0.53, readyToPromote: false, gate },
      ],
    });
    expect(shadowRows(m).map((r) => r.hint)).toEqual([
      'Ready to promote',
      'Not yet: needs 1 more observed handoff; agreement below 90%',
    ]);
  });

  it('writes durations, shares and money as people read them, and a dash for none', () => {
    expect([
      seconds(0.25),
      seconds(42),
      seconds(210),
      seconds(7200),
      seconds(3 * 86400),
      seconds(null),
    ]).toEqual(['250 ms', '42 s', '3.5 min', '2 h', '3 d', '–']);
    expect([seconds(0), seconds(0.00025)]).toEqual(['0 s', '0.3 ms']);
    expect([percent(0.6667), percent(0.05), percent(0), percent(null)]).toEqual(['67%', '5.0%', '0%', '–']);
    expect([usd(0), usd(0.004), usd(1.5), usd(null)]).toEqual(['$0', '$0.0040', '$1.50', '–']);
    expect(short('team:marketing->team:sales')).toBe('marketing → sales');
  });
});
