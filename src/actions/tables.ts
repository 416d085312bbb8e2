// Lookup tables of a project (tables/*.csv, tables/*.yaml), indexed on first use per column set
// so a lookup is a hash probe, not a scan.
import { BatonError } from '../core/errors.ts';

export class Tables {
  private readonly rows: Map<string, Record<string, unknown>[]>;
  private readonly indexes = new Map<string, Map<string, Record<string, unknown>>>();

  constructor(rows: Map<string, Record<string, unknown>[]>) {
    this.rows = rows;
  }

  names(): string[] {
    return [...this.rows.keys()];
  }

  find(table: string, where: Record<string, unknown>): Record<string, unknown> | null {
    const rows = this.rows.get(table);
    if (!rows) {
      throw new BatonError(
        'validation_failed',
        `lookup table "${table}" does not exist (have: ${this.names().join(', ') || 'none'})`,
        {
          details: [{ path: 'with.table', message: `no table named ${table}` }],
        },
      );
    }
    const cols = Object.keys(where).sort();
    const indexKey = `${table}\u0000${cols.join('\u0000')}`;
    let index = this.indexes.get(indexKey);
    if (!index) {
      index = new Map();
      for (const row of rows) {
        const k = cols.map((c) => keyText(row[c])).join('\u0000');
        if (!index.has(k)) index.set(k, row);
      }
      this.indexes.set(indexKey, index);
    }
    return index.get(cols.map((c) => keyText(where[c])).join('\u0000')) ?? null;
  }
}

/** Keys compare as lower-case text, so `Acme.com` finds `acme.com` and 5 finds "5". */
function keyText(v: unknown): string {
  if (v === null || v === undefined) return '';
  return (typeof v === 'string' ? v : typeof v === 'bigint' ? v.toString() : JSON.stringify(v)).toLowerCase();
}
