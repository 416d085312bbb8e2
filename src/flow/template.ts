// `${…}` interpolation: splitting a template into literal text and CEL sources, and turning CEL
// values into text (for templates) or plain JSON-able values (for raw `${expr}` parameters).
import { setOwn } from '../core/json-safe.ts';

/** A template split into literals and expressions: `lits.length === exprs.length + 1`. */
export interface TemplateParts {
  lits: string[];
  exprs: Array<{ source: string; offset: number }>;
}

export class TemplateSyntaxError extends Error {
  readonly offset: number;
  constructor(message: string, offset: number) {
    super(message);
    this.name = 'TemplateSyntaxError';
    this.offset = offset;
  }
}

const IDENT = /[A-Za-z0-9_]/;

/** Whether the quote at `i` opens a raw string (`r"…"`, `R'…'`, `br"…"`, `rb"…"`). */
function isRawQuote(src: string, i: number): boolean {
  let j = i - 1;
  let raw = false;
  let n = 0;
  while (j >= 0 && n < 2 && /[rRbB]/.test(src[j]!)) {
    if (src[j] === 'r' || src[j] === 'R') raw = true;
    j--;
    n++;
  }
  return raw && (j < 0 || !IDENT.test(src[j]!));
}

/** Skips a CEL string literal starting at the quote at `i`; returns the index after it, or -1. */
function skipString(src: string, i: number): number {
  const q = src[i]!;
  const triple = src.startsWith(q.repeat(3), i);
  const raw = isRawQuote(src, i);
  let j = i + (triple ? 3 : 1);
  while (j < src.length) {
    const c = src[j]!;
    if (c === '\\' && !raw) {
      j += 2;
      continue;
    }
    if (triple ? src.startsWith(q.repeat(3), j) : c === q) return j + (triple ? 3 : 1);
    if (!triple && c === '\n') return -1;
    j++;
  }
  return -1;
}

/** Index of the `}` closing an interpolation whose body starts at `start`, or -1. */
function findClose(src: string, start: number): number {
  let depth = 0;
  let i = start;
  while (i < src.length) {
    const c = src[i]!;
    if (c === '"' || c === "'") {
      const next = skipString(src, i);
      if (next < 0) return -1;
      i = next;
      continue;
    }
    if (c === '{') depth++;
    else if (c === '}') {
      if (depth === 0) return i;
      depth--;
    }
    i++;
  }
  return -1;
}

/**
 * Splits a template. `${expr}` interpolates CEL; string literals inside the expression may
 * contain braces (`${input.text.split("}")[0]}`), and map literals nest. `$${` is a literal `${`.
 */
export function scanTemplate(src: string): TemplateParts {
  const lits: string[] = [];
  const exprs: TemplateParts['exprs'] = [];
  let lit = '';
  let i = 0;
  while (i < src.length) {
    const c = src[i];
    if (c === '$' && src[i + 1] === '$' && src[i + 2] === '{') {
      lit += '${';
      i += 3;
      continue;
    }
    if (c === '$' && src[i + 1] === '{') {
      const start = i + 2;
      const end = findClose(src, start);
      if (end < 0) throw new TemplateSyntaxError('unterminated ${…}: add the closing }', i);
      const body = src.slice(start, end);
      if (body.trim() === '') throw new TemplateSyntaxError('empty ${}', i);
      lits.push(lit);
      lit = '';
      exprs.push({ source: body, offset: start });
      i = end + 1;
      continue;
    }
    lit += c;
    i++;
  }
  lits.push(lit);
  return { lits, exprs };
}

/** Whether a string contains an interpolation. */
export const hasInterpolation = (s: string): boolean => s.includes('${');

function bytesToBase64(b: Uint8Array): string {
  return Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('base64');
}

/**
 * A CEL value as plain JSON-able data: BigInt → number when safe (else its decimal string), maps
 * → objects, lists → arrays, timestamps → ISO strings, bytes → base64; absent map fields of typed
 * objects are left out.
 */
export function toPlain(v: unknown): unknown {
  switch (typeof v) {
    case 'string':
    case 'number':
    case 'boolean':
      return v;
    case 'bigint':
      return v >= BigInt(Number.MIN_SAFE_INTEGER) && v <= BigInt(Number.MAX_SAFE_INTEGER)
        ? Number(v)
        : v.toString();
    case 'undefined':
      return undefined;
    case 'object': {
      if (v === null) return null;
      if (Array.isArray(v)) return v.map(toPlain);
      if (v instanceof Map) {
        const out: Record<string, unknown> = {};
        for (const [k, val] of v) if (val !== undefined) setOwn(out, String(k), toPlain(val));
        return out;
      }
      if (v instanceof Date) return v.toISOString();
      if (v instanceof Uint8Array) return bytesToBase64(v);
      const proto: unknown = Object.getPrototypeOf(v);
      if (proto === Object.prototype || proto === null) {
        const out: Record<string, unknown> = {};
        for (const [k, val] of Object.entries(v)) if (val !== undefined) setOwn(out, k, toPlain(val));
        return out;
      }
      // CEL uint, duration, type values and other class instances.
      const prim: unknown = v.valueOf();
      if (typeof prim === 'bigint') return toPlain(prim);
      const toString: unknown = Reflect.get(v, 'toString');
      return typeof toString === 'function'
        ? String(Reflect.apply(toString, v, []))
        : Object.prototype.toString.call(v);
    }
    default:
      return String(v);
  }
}

/** A CEL value as text: BigInt → decimal, null/absent → "", lists and maps → JSON. */
export function toText(v: unknown): string {
  switch (typeof v) {
    case 'string':
      return v;
    case 'number':
    case 'bigint':
    case 'boolean':
      return String(v);
    case 'undefined':
      return '';
    case 'object':
      if (v === null) return '';
      if (v instanceof Date) return v.toISOString();
      {
        const p = toPlain(v);
        return typeof p === 'string' ? p : JSON.stringify(p);
      }
    default:
      return String(v);
  }
}
