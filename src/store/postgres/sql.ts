// Shared SQL is written with SQLite's `?` placeholders; PostgreSQL numbers them (`$1`, `$2`…).
// `?` inside string literals, quoted identifiers, dollar quotes and comments is left alone.

const cache = new Map<string, string>();
const CACHE_LIMIT = 500;

export function toPositional(sql: string): string {
  if (!sql.includes('?')) return sql;
  const hit = cache.get(sql);
  if (hit !== undefined) return hit;
  let out = '';
  let n = 0;
  let i = 0;
  while (i < sql.length) {
    const ch = sql[i]!;
    const skipTo = skipQuoted(sql, i);
    if (skipTo > i) {
      out += sql.slice(i, skipTo);
      i = skipTo;
    } else if (ch === '?') {
      out += `$${++n}`;
      i++;
    } else {
      out += ch;
      i++;
    }
  }
  if (cache.size >= CACHE_LIMIT) cache.clear();
  cache.set(sql, out);
  return out;
}

/** The index after the literal, identifier or comment starting at `i` (or `i` when none does). */
function skipQuoted(sql: string, i: number): number {
  const ch = sql[i];
  if (ch === "'" || ch === '"') {
    // A doubled quote inside is an escaped quote: scanning on past it is the same thing.
    const end = sql.indexOf(ch, i + 1);
    return end < 0 ? sql.length : end + 1;
  }
  if (ch === '-' && sql[i + 1] === '-') {
    const end = sql.indexOf('\n', i);
    return end < 0 ? sql.length : end + 1;
  }
  if (ch === '/' && sql[i + 1] === '*') {
    const end = sql.indexOf('*/', i + 2);
    return end < 0 ? sql.length : end + 2;
  }
  if (ch === '$') {
    const tag = /^\$[A-Za-z_]*\$/.exec(sql.slice(i, i + 64));
    if (tag && !/[A-Za-z0-9_]/.test(sql[i - 1] ?? '')) {
      const end = sql.indexOf(tag[0], i + tag[0].length);
      return end < 0 ? sql.length : end + tag[0].length;
    }
  }
  return i;
}

/** `$from, $from+1, …` for n parameters. */
export const dollars = (n: number, from = 1): string =>
  Array.from({ length: n }, (_, i) => `$${from + i}`).join(', ');
