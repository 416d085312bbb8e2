// Values in SOQL. jsforce's own condition builder (`find({Field: value})`) escapes the quote but
// not the backslash: a value with `\'` in it closes the literal early and the rest of the value
// is read as SOQL (a malformed query at best). Queries here are built from constant field and
// object names, and every value goes through `quote`, which escapes what Salesforce's SOQL
// reference lists as escape sequences (\' \" \\ \n \r \t \b \f) and refuses other control
// characters (SOQL has no escape for them).

const ESCAPES: Record<string, string> = {
  '\\': '\\\\',
  "'": "\\'",
  '"': '\\"',
  '\n': '\\n',
  '\r': '\\r',
  '\t': '\\t',
  '\b': '\\b',
  '\f': '\\f',
};

// eslint-disable-next-line no-control-regex
const UNESCAPABLE = /[\u0000-\u0007\u000b\u000e-\u001f\u007f]/;

function escape(value: string, chars: RegExp): string {
  if (UNESCAPABLE.test(value)) throw new Error('a SOQL value may not hold control characters');
  return value.replace(chars, (c) => ESCAPES[c] ?? `\\${c}`);
}

/** A string literal for `Field = …`. */
export const quote = (value: string): string => `'${escape(value, /[\\'"\n\r\t\b\f]/g)}'`;

/** A string literal for `Field LIKE …` matching `value` anywhere: % and _ in it match themselves. */
export const containing = (value: string): string => `'%${escape(value, /[\\'"\n\r\t\b\f%_]/g)}%'`;

/** A SELECT from constant names (never from parameters) with conditions already quoted. */
export function select(fields: readonly string[], from: string, where: string, limit: number): string {
  return `SELECT ${fields.join(', ')} FROM ${from} WHERE ${where} LIMIT ${limit}`;
}
