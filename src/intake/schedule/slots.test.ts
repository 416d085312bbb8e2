import { describe, expect, it } from 'vitest';
import { compileCron, specText, type CronError } from './cron.ts';
import { dueSlots, MAX_CATCH_UP } from './slots.ts';

const T = (iso: string): number => Date.parse(iso);
const iso = (ms: number): string => new Date(ms).toISOString();
const nexts = (cron: string, tz: string, from: string, n: number): string[] => {
  const c = compileCron(cron, tz);
  const out: string[] = [];
  let at = T(from);
  for (let i = 0; i < n; i++) {
    at = c.next(at)!;
    out.push(iso(at));
  }
  return out;
};

describe('cron and time zone', () => {
  it('five fields, or six with seconds first', () => {
    expect(nexts('*/15 * * * *', 'UTC', '2026-05-01T10:07:00Z', 2)).toEqual([
      '2026-05-01T10:15:00.000Z',
      '2026-05-01T10:30:00.000Z',
    ]);
    expect(nexts('* * * * * *', 'UTC', '2026-05-01T10:07:00.400Z', 2)).toEqual([
      '2026-05-01T10:07:01.000Z',
      '2026-05-01T10:07:02.000Z',
    ]);
  });

  it('the next slot is strictly after the time given', () => {
    const c = compileCron('0 * * * *', 'UTC');
    expect(iso(c.next(T('2026-05-01T10:00:00Z'))!)).toBe('2026-05-01T11:00:00.000Z');
  });

  it('reads the cron in its time zone', () => {
    // 09:00 in Paris is 07:00 UTC in summer, 08:00 in winter.
    expect(nexts('0 9 * * *', 'Europe/Paris', '2026-07-01T00:00:00Z', 1)).toEqual([
      '2026-07-01T07:00:00.000Z',
    ]);
    expect(nexts('0 9 * * *', 'Europe/Paris', '2026-12-01T00:00:00Z', 1)).toEqual([
      '2026-12-01T08:00:00.000Z',
    ]);
    expect(nexts('0 9 * * 1-5', 'America/New_York', '2026-12-05T00:00:00Z', 1)).toEqual([
      '2026-12-07T14:00:00.000Z', // Saturday 5th → Monday 7th, 09:00 EST
    ]);
  });

  it('DST spring forward: a daily time in the gap runs once, just after it; an interval skips the gap', () => {
    // Europe/Paris, 29 March 2026: 02:00 local jumps to 03:00 (01:00 UTC).
    expect(nexts('30 2 * * *', 'Europe/Paris', '2026-03-28T12:00:00Z', 2)).toEqual([
      '2026-03-29T01:00:00.000Z', // 03:00 local, the first valid time after the gap
      '2026-03-30T00:30:00.000Z', // 02:30 CEST
    ]);
    expect(nexts('*/30 * * * *', 'Europe/Paris', '2026-03-29T00:00:00Z', 3)).toEqual([
      '2026-03-29T00:30:00.000Z', // 01:30 CET
      '2026-03-29T01:00:00.000Z', // 03:00 CEST: 02:00 and 02:30 do not exist
      '2026-03-29T01:30:00.000Z',
    ]);
  });

  it('DST fall back: a daily time that occurs twice runs once; an interval runs on both', () => {
    // Europe/Paris, 25 October 2026: 03:00 CEST goes back to 02:00 CET (01:00 UTC).
    expect(nexts('30 2 * * *', 'Europe/Paris', '2026-10-24T12:00:00Z', 2)).toEqual([
      '2026-10-25T00:30:00.000Z', // 02:30 CEST, the first occurrence only
      '2026-10-26T01:30:00.000Z',
    ]);
    expect(nexts('30 * * * *', 'Europe/Paris', '2026-10-24T23:45:00Z', 3)).toEqual([
      '2026-10-25T00:30:00.000Z', // 02:30 CEST
      '2026-10-25T01:30:00.000Z', // 02:30 CET, the same wall time again
      '2026-10-25T02:30:00.000Z',
    ]);
  });

  it('refuses a wrong cron or an unknown time zone, naming the field', () => {
    const err = (cron: string, tz = 'UTC'): CronError => {
      try {
        compileCron(cron, tz);
      } catch (e) {
        return e as CronError;
      }
      throw new Error('no error');
    };
    expect(err('* * * *')).toMatchObject({ field: 'cron' });
    expect(err('* * * *').message).toMatch(/^cron: 5 or 6 fields expected .* has 4$/);
    expect(err('* * * * * * *').message).toMatch(/has 7$/);
    expect(err('61 * * * *').message).toBe('cron: Invalid value for minute: 61');
    expect(err('0 0 30 2 *').message).toBe('cron: 0 0 30 2 * never matches a time');
    expect(err('* * * * *', 'Europe/Pariss')).toMatchObject({ field: 'timezone' });
    expect(err('* * * * *', 'Europe/Pariss').message).toMatch(/^timezone: unknown time zone Europe\/Pariss/);
  });

  it('the spec text changes with the cron or the zone', () => {
    expect(specText({ cron: ' 0 * * * * ', timezone: 'UTC' })).toBe('0 * * * * UTC');
    expect(specText({ cron: '0 * * * *', timezone: 'Europe/Paris' })).not.toBe('0 * * * * UTC');
  });
});

describe('due slots', () => {
  const everyMinute = compileCron('0 * * * * *', 'UTC'); // second 0 of each minute
  const t0 = T('2026-05-01T10:00:00Z');
  const min = 60_000;

  it('nothing before the slot; the slot itself when it comes; then the next', () => {
    expect(dueSlots(everyMinute, t0, t0 - 1, 'last')).toEqual({ fire: [], skipped: 0, nextAt: t0 });
    expect(dueSlots(everyMinute, t0, t0 + 20, 'last')).toEqual({ fire: [t0], skipped: 0, nextAt: t0 + min });
    expect(dueSlots(everyMinute, t0, t0 + 20, 'skip')).toEqual({ fire: [t0], skipped: 0, nextAt: t0 + min });
    expect(dueSlots(everyMinute, t0, t0 + 20, 'all')).toEqual({ fire: [t0], skipped: 0, nextAt: t0 + min });
  });

  it('after a downtime of ten slots: last fires the newest, all fires each, skip fires none', () => {
    const now = t0 + 9 * min + 30_000; // ten slots due (10:00 … 10:09), the newest 30 s ago
    const last = dueSlots(everyMinute, t0, now, 'last');
    expect(last).toEqual({ fire: [t0 + 9 * min], skipped: 9, nextAt: t0 + 10 * min });
    const all = dueSlots(everyMinute, t0, now, 'all');
    expect(all.fire).toEqual(Array.from({ length: 10 }, (_, i) => t0 + i * min));
    expect(all).toMatchObject({ skipped: 0, nextAt: t0 + 10 * min });
    // The newest slot is 30 s late, half its minute: still on time; the nine before are not.
    expect(dueSlots(everyMinute, t0, now, 'skip')).toEqual({
      fire: [t0 + 9 * min],
      skipped: 9,
      nextAt: t0 + 10 * min,
    });
  });

  it('skip: a slot later than half its period (or a minute) is missed, not fired', () => {
    const hourly = compileCron('0 * * * *', 'UTC');
    expect(dueSlots(hourly, t0, t0 + 59_000, 'skip').fire).toEqual([t0]);
    expect(dueSlots(hourly, t0, t0 + 61_000, 'skip')).toEqual({
      fire: [],
      skipped: 1,
      nextAt: t0 + 60 * min,
    });
    const perSecond = compileCron('* * * * * *', 'UTC');
    expect(dueSlots(perSecond, t0, t0 + 400, 'skip').fire).toEqual([t0]);
    expect(dueSlots(perSecond, t0, t0 + 900, 'skip')).toEqual({ fire: [], skipped: 1, nextAt: t0 + 1000 });
    // 5.5 s down: 10:00:00 … 10:00:05 are due; the newest is 0.5 s late, half its second.
    expect(dueSlots(perSecond, t0, t0 + 5500, 'skip')).toEqual({
      fire: [t0 + 5000],
      skipped: 5,
      nextAt: t0 + 6000,
    });
  });

  it('all: at most the newest 1000 at once, the older ones counted as skipped', () => {
    const perSecond = compileCron('* * * * * *', 'UTC');
    const now = t0 + 1499_000; // 1,500 slots due
    const d = dueSlots(perSecond, t0, now, 'all');
    expect(d.fire).toHaveLength(MAX_CATCH_UP);
    expect(d.fire[0]).toBe(t0 + 500_000);
    expect(d.fire.at(-1)).toBe(now);
    expect(d).toMatchObject({ skipped: 500, nextAt: now + 1000 });
    expect(d.skippedAtLeast).toBeUndefined();
  });

  it('a very long downtime is not walked slot by slot', () => {
    const perSecond = compileCron('* * * * * *', 'UTC');
    const now = t0 + 30 * 86_400_000; // a month of seconds
    const started = performance.now();
    const d = dueSlots(perSecond, t0, now, 'last');
    expect(performance.now() - started).toBeLessThan(3000);
    expect(d).toMatchObject({ fire: [now], nextAt: now + 1000, skippedAtLeast: true });
    expect(d.skipped).toBeGreaterThanOrEqual(9_999);
  });

  it('slots in a time zone across a DST change', () => {
    const paris = compileCron('*/30 * * * *', 'Europe/Paris');
    const from = T('2026-03-29T00:30:00Z'); // 01:30 CET
    const d = dueSlots(paris, from, T('2026-03-29T01:45:00Z'), 'all');
    expect(d.fire.map(iso)).toEqual([
      '2026-03-29T00:30:00.000Z',
      '2026-03-29T01:00:00.000Z',
      '2026-03-29T01:30:00.000Z',
    ]);
    expect(iso(d.nextAt!)).toBe('2026-03-29T02:00:00.000Z');
  });
});
