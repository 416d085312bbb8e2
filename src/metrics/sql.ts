// The few differences between SQLite and PostgreSQL that reports need, in one table, plus a
// tiny builder that numbers parameters the way each dialect wants (`?` or `$1`).
import type { Store } from '../store/port.ts';

interface Dialect {
  /** Placeholder for the n-th parameter (1-based). */
  param(n: number): string;
  /** A JSON text column's value at `path`, as SQL text/number (null when absent). */
  json(column: string, path: readonly string[]): string;
}

const DIALECTS: Record<Store['kind'], Dialect> = {
  sqlite: {
    param: () => '?',
    json: (column, path) => `json_extract(${column}, '$.${path.join('.')}')`,
  },
  postgres: {
    param: (n) => `$${n}`,
    // `::jsonb` works whether the column is text or already jsonb.
    json: (column, path) => `(${column}::jsonb #>> '{${path.join(',')}}')`,
  },
};

/** Builds one statement: `p(value)` appends a parameter and returns its placeholder. */
export class Sql {
  readonly params: unknown[] = [];
  private readonly d: Dialect;

  constructor(kind: Store['kind']) {
    this.d = DIALECTS[kind];
  }

  p(value: unknown): string {
    this.params.push(value);
    return this.d.param(this.params.length);
  }

  /** Placeholders for a list, e.g. for `IN (...)`. */
  list(values: readonly unknown[]): string {
    return values.map((v) => this.p(v)).join(', ');
  }

  json(column: string, ...path: string[]): string {
    return this.d.json(column, path);
  }
}

/** Numbers come back as bigint strings from some drivers: read them as numbers. */
export function num(v: unknown): number {
  if (typeof v === 'number') return v;
  if (typeof v === 'bigint') return Number(v);
  if (typeof v === 'string' && v.trim() !== '') return Number(v);
  return 0;
}

export function optNum(v: unknown): number | null {
  return v === null || v === undefined ? null : num(v);
}

/** SQLite gives 0/1, PostgreSQL booleans or 'true'/'false' text from JSON. */
export function truthy(v: unknown): boolean {
  return v === true || v === 1 || v === 1n || v === 'true' || v === '1' || v === 't';
}

export function str(v: unknown): string | null {
  if (v === null || v === undefined) return null;
  if (typeof v === 'string') return v;
  if (typeof v === 'number' || typeof v === 'bigint' || typeof v === 'boolean') return String(v);
  return JSON.stringify(v);
}

/** The summary's scope: handoffs created in [since, until) (ms), of `flow`, across `boundary`. */
export interface Filter {
  since?: number;
  until?: number;
  flow?: string;
  boundary?: { from: string; to: string };
}

/** Rows per page when a report reads a table. */
export const PAGE = 5000;

/** `h.created_at >= ? AND h.flow_id = ?` for the filter (empty when unfiltered). */
export function filterWhere(q: Sql, f: Filter, alias = 'h'): string[] {
  const w: string[] = [];
  if (f.since !== undefined) w.push(`${alias}.created_at >= ${q.p(f.since)}`);
  if (f.until !== undefined) w.push(`${alias}.created_at < ${q.p(f.until)}`);
  w.push(...scopeWhere(q, f, alias));
  return w;
}

/** The flow and boundary conditions alone (queues are "now": no period). */
export function scopeWhere(q: Sql, f: Filter, alias = 'h'): string[] {
  const w: string[] = [];
  if (f.flow !== undefined) w.push(`${alias}.flow_id = ${q.p(f.flow)}`);
  if (f.boundary !== undefined) {
    w.push(`${alias}.boundary_from = ${q.p(f.boundary.from)}`);
    w.push(`${alias}.boundary_to = ${q.p(f.boundary.to)}`);
  }
  return w;
}

export const cmp = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);
