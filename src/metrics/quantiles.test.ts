import { describe, expect, it } from 'vitest';
import * as fc from 'fast-check';
import { EXACT_LIMIT, Quantiles, SKETCH_ERROR } from './quantiles.ts';

describe('Quantiles', () => {
  it('is empty until a value arrives', () => {
    expect(new Quantiles().summary()).toEqual({ count: 0, p50: null, p90: null, p95: null, p99: null });
  });

  it('gives nearest-rank percentiles exactly for small sets', () => {
    const q = new Quantiles();
    for (const v of [5, 1, 4, 2, 3, 10, 9, 8, 7, 6]) q.add(v);
    expect(q.summary()).toEqual({ count: 10, p50: 5, p90: 9, p95: 10, p99: 10 });
    expect(q.quantile(0)).toBe(1);
    expect(q.quantile(1)).toBe(10);
  });

  it('ignores non-finite values and counts negative durations as zero', () => {
    const q = new Quantiles();
    q.add(Number.NaN);
    q.add(Number.POSITIVE_INFINITY);
    q.add(-3);
    expect(q.summary()).toEqual({ count: 1, p50: 0, p90: 0, p95: 0, p99: 0 });
  });

  it('keeps bounded memory past the exact limit, within the sketch error', () => {
    const q = new Quantiles();
    const n = EXACT_LIMIT * 5;
    for (let i = 1; i <= n; i++) q.add(i / 10);
    expect(q.count).toBe(n);
    for (const [p, exact] of [
      [0.5, n / 20],
      [0.9, (n * 0.9) / 10],
      [0.99, (n * 0.99) / 10],
    ] as const) {
      const got = q.quantile(p)!;
      expect(Math.abs(got - exact) / exact).toBeLessThanOrEqual(SKETCH_ERROR + 1e-9);
    }
  });

  it('sketched answers stay within the relative error for any data', () => {
    fc.assert(
      fc.property(
        fc.array(fc.double({ min: 0.01, max: 1e6, noNaN: true }), {
          minLength: EXACT_LIMIT + 1,
          maxLength: EXACT_LIMIT + 50,
        }),
        fc.constantFrom(0.5, 0.9, 0.99),
        (values, p) => {
          const q = new Quantiles();
          for (const v of values) q.add(v);
          const sorted = [...values].sort((a, b) => a - b);
          const exact = sorted[Math.ceil(p * sorted.length) - 1]!;
          expect(Math.abs(q.quantile(p)! - exact) / exact).toBeLessThanOrEqual(SKETCH_ERROR + 1e-9);
        },
      ),
      { numRuns: 20 },
    );
  });
});
