// prom-client metrics whose values live in plain objects ("cells") that the hot path updates
// directly: adding to a number instead of hashing label sets on every increment. prom-client
// reads the cells only when Prometheus scrapes.
import { Counter, Histogram, type Registry } from 'prom-client';

export interface Cell {
  value: number;
}

export class CellCounter {
  readonly counter: Counter;
  private readonly cells: Array<{ labels: Record<string, string>; cell: Cell }> = [];

  constructor(name: string, help: string, labelNames: string[], registry: Registry) {
    const cells = this.cells;
    this.counter = new Counter({
      name,
      help,
      labelNames,
      registers: [registry],
      collect() {
        this.reset();
        for (const c of cells) this.inc(c.labels, c.cell.value);
      },
    });
  }

  /** A new cell for this label set (callers cache it: one cell per label set). */
  cell(labels: Record<string, string>): Cell {
    const cell = { value: 0 };
    this.cells.push({ labels, cell });
    return cell;
  }
}

export class HistogramCell {
  readonly counts: Float64Array;
  sum = 0;
  count = 0;
  private readonly bounds: readonly number[];

  constructor(bounds: readonly number[]) {
    this.bounds = bounds;
    this.counts = new Float64Array(bounds.length);
  }

  observe(v: number): void {
    if (!Number.isFinite(v)) return;
    const b = this.bounds;
    for (let i = 0; i < b.length; i++) {
      if (v <= b[i]!) {
        this.counts[i]! += 1;
        break;
      }
    }
    this.sum += v;
    this.count += 1;
  }
}

type Value = { value: number; labels: Record<string, string | number>; metricName: string };

/** A histogram exposed in the standard format (`_bucket`, `_sum`, `_count`), fed from cells. */
export class CellHistogram extends Histogram {
  private readonly cells: Array<{ labels: Record<string, string>; cell: HistogramCell }> = [];
  private readonly metricName: string;
  private readonly metricHelp: string;
  private readonly bounds: readonly number[];

  constructor(
    name: string,
    help: string,
    labelNames: string[],
    buckets: readonly number[],
    registry: Registry,
  ) {
    super({ name, help, labelNames, buckets: [...buckets], registers: [registry] });
    this.metricName = name;
    this.metricHelp = help;
    this.bounds = [...buckets].sort((a, b) => a - b);
  }

  cell(labels: Record<string, string>): HistogramCell {
    const cell = new HistogramCell(this.bounds);
    this.cells.push({ labels, cell });
    return cell;
  }

  /** What the registry prints (it prefers this to `get`). */
  async getForPromString() {
    const name = this.metricName;
    const values: Value[] = [];
    for (const { labels, cell } of this.cells) {
      let acc = 0;
      for (let i = 0; i < this.bounds.length; i++) {
        acc += cell.counts[i]!;
        values.push({ labels: { ...labels, le: this.bounds[i]! }, value: acc, metricName: `${name}_bucket` });
      }
      values.push({ labels: { ...labels, le: '+Inf' }, value: cell.count, metricName: `${name}_bucket` });
      values.push({ labels, value: cell.sum, metricName: `${name}_sum` });
      values.push({ labels, value: cell.count, metricName: `${name}_count` });
    }
    return { name, help: this.metricHelp, type: 'histogram' as const, values, aggregator: 'sum' as const };
  }

  override async get(): ReturnType<Histogram['get']> {
    const data = await this.getForPromString();
    return { ...data, collect: () => {} } as unknown as Awaited<ReturnType<Histogram['get']>>;
  }
}
