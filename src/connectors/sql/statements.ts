// Reading a configured statement's SQL once, at load: its `:name` parameters become the
// driver's placeholders (PostgreSQL `$1`, MySQL and SQLite `?`), and SQL that holds more than one
// statement is refused. The scan skips string literals, quoted identifiers, comments and
// PostgreSQL dollar quotes, so a `:x` or `;` inside them is text, and `::int` casts stay casts.
// Nothing a flow sends ever becomes SQL text: values only travel as bound parameters.

export type Dialect = 'postgres' | 'mysql' | 'sqlite';

export interface CompiledSql {
  /** The SQL with the driver's placeholders. */
  text: string;
  /** The parameter name for each placeholder, in the driver's order. */
  order: string[];
  /** Every distinct parameter the SQL names. */
  names: Set<string>;
}

export class SqlShapeError extends Error {}

const IDENT_START = /[A-Za-z_]/;
const IDENT = /[A-Za-z0-9_]/;

/** Compiles `:name` parameters to placeholders; throws SqlShapeError for stacked statements. */
export function compileSql(sql: string, dialect: Dialect): CompiledSql {
  let text = '';
  const order: string[] = [];
  const numbers = new Map<string, number>();
  let i = 0;
  let ended = false; // a `;` was seen: only whitespace and comments may follow
  const n = sql.length;
  const copyQuoted = (quote: string, backslash: boolean): void => {
    const start = i;
    i++;
    while (i < n) {
      const c = sql[i]!;
      if (backslash && c === '\\') {
        i += 2;
        continue;
      }
      if (c === quote) {
        if (sql[i + 1] === quote) {
          i += 2;
          continue;
        }
        i++;
        text += sql.slice(start, i);
        return;
      }
      i++;
    }
    throw new SqlShapeError(`an unterminated ${quote} quote`);
  };
  while (i < n) {
    const c = sql[i]!;
    const next = sql[i + 1];
    // MySQL's `--` starts a comment only when a space follows (`1--1` is arithmetic).
    if (c === '-' && next === '-' && (dialect !== 'mysql' || /\s/.test(sql[i + 2] ?? ' '))) {
      const end = sql.indexOf('\n', i);
      const stop = end < 0 ? n : end;
      text += sql.slice(i, stop);
      i = stop;
      continue;
    }
    if (c === '#' && dialect === 'mysql') {
      const end = sql.indexOf('\n', i);
      const stop = end < 0 ? n : end;
      text += sql.slice(i, stop);
      i = stop;
      continue;
    }
    if (c === '/' && next === '*') {
      const end = sql.indexOf('*/', i + 2);
      if (end < 0) throw new SqlShapeError('an unterminated /* comment');
      // MySQL runs `/*! … */` comments as code: refuse them rather than parse them twice.
      if (dialect === 'mysql' && (sql[i + 2] === '!' || sql[i + 2] === '+'))
        throw new SqlShapeError('MySQL executable comments (/*! … */) are not allowed');
      text += sql.slice(i, end + 2);
      i = end + 2;
      continue;
    }
    if (/\s/.test(c)) {
      text += c;
      i++;
      continue;
    }
    if (ended) throw new SqlShapeError('more than one statement (text after `;`)');
    if (c === ';') {
      ended = true;
      i++;
      continue;
    }
    if (c === "'") {
      // MySQL treats a backslash in a string as an escape; PostgreSQL and SQLite do not
      // (PostgreSQL's E'…' strings do).
      const escaped = dialect === 'mysql' || (dialect === 'postgres' && /(^|[^A-Za-z0-9_$])[eE]$/.test(text));
      copyQuoted("'", escaped);
      continue;
    }
    if (c === '"') {
      copyQuoted('"', dialect === 'mysql');
      continue;
    }
    if (c === '`' && dialect !== 'postgres') {
      copyQuoted('`', false);
      continue;
    }
    if (c === '[' && dialect === 'sqlite') {
      const end = sql.indexOf(']', i);
      if (end < 0) throw new SqlShapeError('an unterminated [ identifier');
      text += sql.slice(i, end + 1);
      i = end + 1;
      continue;
    }
    if (c === '$' && dialect === 'postgres') {
      const tag = /^\$([A-Za-z_][A-Za-z0-9_]*)?\$/.exec(sql.slice(i));
      if (tag) {
        const end = sql.indexOf(tag[0], i + tag[0].length);
        if (end < 0) throw new SqlShapeError(`an unterminated ${tag[0]} quote`);
        text += sql.slice(i, end + tag[0].length);
        i = end + tag[0].length;
        continue;
      }
      if (/[0-9]/.test(next ?? '')) throw new SqlShapeError('use :name parameters, not $1');
    }
    if ((c === '$' || c === '@') && dialect === 'sqlite' && /[A-Za-z0-9_]/.test(next ?? ''))
      throw new SqlShapeError(`use :name parameters, not ${c}${next}…`);
    if (c === '?') {
      if (dialect === 'postgres') {
        // jsonb operators ?, ?| and ?& are SQL, not placeholders, in PostgreSQL.
        text += c;
        i++;
        continue;
      }
      throw new SqlShapeError('use :name parameters, not ?');
    }
    if (c === ':' && next === ':') {
      text += '::';
      i += 2;
      continue;
    }
    if (c === ':' && next !== undefined && IDENT_START.test(next)) {
      let j = i + 1;
      while (j < n && IDENT.test(sql[j]!)) j++;
      const name = sql.slice(i + 1, j);
      if (dialect === 'postgres') {
        let k = numbers.get(name);
        if (k === undefined) {
          order.push(name);
          k = order.length;
          numbers.set(name, k);
        }
        text += `$${k}`;
      } else {
        order.push(name);
        text += '?';
      }
      i = j;
      continue;
    }
    text += c;
    i++;
  }
  if (text.trim() === '') throw new SqlShapeError('no statement');
  return { text: text.trimEnd(), order, names: new Set(order) };
}
