// Percentiles with bounded memory: exact (nearest rank) up to EXACT_LIMIT values, then a
// log-bucket sketch whose answers are within SKETCH_ERROR of the true value (relative), so a
// report over millions of handoffs needs a few kilobytes per figure, not the raw durations.

/** Values kept exactly before folding into the sketch. */
export const EXACT_LIMIT = 10_000;
const GAMMA = 1.02;
/** Relative error of a sketched percentile. */
export const SKETCH_ERROR = (GAMMA - 1) / (GAMMA + 1);
const LOG_GAMMA = Math.log(GAMMA);
/** Durations below this (seconds) count as zero in the sketch. */
const MIN_POSITIVE = 1e-3;

export interface Percentiles {
  count: number;
  p50: number | null;
  p90: number | null;
  p95: number | null;
  p99: number | null;
}

export class Quantiles {
  private exact: number[] | undefined = [];
  private readonly buckets = new Map<number, number>();
  private zeros = 0;
  count = 0;

  add(value: number): void {
    if (!Number.isFinite(value)) return;
    const v = value < 0 ? 0 : value;
    this.count += 1;
    if (this.exact) {
      this.exact.push(v);
      if (this.exact.length > EXACT_LIMIT) {
        const values = this.exact;
        this.exact = undefined;
        for (const x of values) this.fold(x);
      }
      return;
    }
    this.fold(v);
  }

  private fold(v: number): void {
    if (v < MIN_POSITIVE) {
      this.zeros += 1;
      return;
    }
    const k = Math.ceil(Math.log(v) / LOG_GAMMA);
    this.buckets.set(k, (this.buckets.get(k) ?? 0) + 1);
  }

  /** The nearest-rank quantile (q in [0, 1]); null when there are no values. */
  quantile(q: number): number | null {
    if (this.count === 0) return null;
    const rank = Math.max(1, Math.ceil(q * this.count));
    if (this.exact) {
      this.exact.sort((a, b) => a - b);
      return this.exact[rank - 1] ?? null;
    }
    let seen = this.zeros;
    if (rank <= seen) return 0;
    for (const k of [...this.buckets.keys()].sort((a, b) => a - b)) {
      seen += this.buckets.get(k)!;
      if (rank <= seen) return (2 * GAMMA ** k) / (GAMMA + 1);
    }
    return null;
  }

  summary(digits = 3): Percentiles {
    const round = (v: number | null) => (v === null ? null : Number(v.toFixed(digits)));
    return {
      count: this.count,
      p50: round(this.quantile(0.5)),
      p90: round(this.quantile(0.9)),
      p95: round(this.quantile(0.95)),
      p99: round(this.quantile(0.99)),
    };
  }
}
