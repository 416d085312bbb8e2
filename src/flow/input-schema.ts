// A flow's `input` JSON Schema, seen from CEL and from the engine:
//
//   - celInputType(): the CEL declaration of the `input` variable. Declared object properties
//     become typed fields (so `input.amount > "x"` is a type error at load time and
//     `has(input.amount)` is false when the field is absent); `integer` → int, `number` → double,
//     `string`, `boolean` → bool, arrays → list<T>. An object without `properties` is a `map`
//     (fields are dyn). Unions (`type: [number, "null"]`, anyOf, oneOf, $ref …) are dyn.
//     JSON Schema objects are open unless `additionalProperties: false`: a field the flow's
//     expressions read but the schema does not declare is added as dyn (or typed from an
//     `additionalProperties` schema); with `additionalProperties: false` reading it is a type error.
//   - inputConverter(): turns a validated payload into CEL values: `integer` fields (nested ones
//     too, and inside arrays) become BigInt, since CEL ints are BigInt and JS numbers are double.
//     Subtrees without integer fields are passed through untouched, without copying.
import type { ObjectSchema } from '@marcbachmann/cel-js';
import { setOwn } from '../core/json-safe.ts';

type JsonSchema = Record<string, unknown>;

const SCALARS: Record<string, string> = {
  string: 'string',
  integer: 'int',
  number: 'double',
  boolean: 'bool',
};

const isObject = (v: unknown): v is JsonSchema => typeof v === 'object' && v !== null && !Array.isArray(v);

/** The single JSON type of a schema, or undefined when it is a union or unknown. */
function singleType(schema: JsonSchema): string | undefined {
  const t = schema['type'];
  if (typeof t === 'string') return t;
  if (Array.isArray(t)) return t.length === 1 && typeof t[0] === 'string' ? t[0] : undefined;
  if (t !== undefined) return undefined;
  if (isObject(schema['properties'])) return 'object';
  if (schema['items'] !== undefined) return 'array';
  const en = schema['enum'];
  if (Array.isArray(en) && en.length > 0 && en.every((v) => typeof v === 'string')) return 'string';
  if (typeof schema['const'] === 'string') return 'string';
  return undefined;
}

const isUnion = (s: JsonSchema): boolean =>
  s['anyOf'] !== undefined || s['oneOf'] !== undefined || s['allOf'] !== undefined || s['$ref'] !== undefined;

/** The declared properties of an object schema that can become a typed CEL message. */
function typedProperties(schema: JsonSchema): JsonSchema | undefined {
  const props = schema['properties'];
  if (!isObject(props)) return undefined;
  const keys = Object.keys(props);
  if (keys.length === 0) return undefined;
  // Type names are built from field names joined by "."; keep such odd names in a map.
  if (keys.some((k) => !FIELD.test(k))) return undefined;
  return props;
}

const FIELD = /^[A-Za-z_][A-Za-z0-9_-]*$/;

/** For each typed object built: the type of undeclared fields, or null when it is closed. */
type OpenTypes = WeakMap<ObjectSchema, string | ObjectSchema | null>;

/** The CEL type (a type name, or a nested schema for typed objects) of a JSON Schema. */
function celFieldType(schema: unknown, open: OpenTypes): string | ObjectSchema {
  if (!isObject(schema) || isUnion(schema)) return 'dyn';
  const t = singleType(schema);
  if (t === undefined) return 'dyn';
  const scalar = SCALARS[t];
  if (scalar) return scalar;
  if (t === 'array') {
    const items = celFieldType(schema['items'], open);
    return typeof items === 'string' && Object.values(SCALARS).includes(items)
      ? `list<${items}>`
      : 'list<dyn>';
  }
  if (t === 'object') {
    const props = typedProperties(schema);
    if (!props) return 'map';
    const out: ObjectSchema = {};
    for (const [k, v] of Object.entries(props)) out[k] = celFieldType(v, open);
    const extra = schema['additionalProperties'];
    open.set(out, extra === false ? null : isObject(extra) ? celFieldType(extra, open) : 'dyn');
    return out;
  }
  return 'dyn';
}

/**
 * How to declare the `input` variable: `{schema}` for a typed object, else `{type: 'map'}`.
 * `reads` are the `input` member paths the flow's expressions use (without the leading
 * `input`): undeclared fields of open objects among them are added to the typed schema.
 */
export function celInputType(
  inputSchema: unknown,
  reads: ReadonlyArray<readonly string[]> = [],
): { schema: ObjectSchema } | { type: string } {
  const open: OpenTypes = new WeakMap();
  const t = celFieldType(inputSchema, open);
  if (typeof t === 'string') return { type: t === 'dyn' ? 'map' : t };
  for (const segs of reads) {
    let node: ObjectSchema = t;
    for (const seg of segs) {
      const have = node[seg];
      if (have === undefined) {
        const extra = open.get(node);
        if (extra !== null && extra !== undefined && FIELD.test(seg)) node[seg] = extra;
        break;
      }
      if (typeof have === 'string') break;
      node = have;
    }
  }
  return { schema: t };
}

const READ = /\binput((?:\s*\.\s*[A-Za-z_][A-Za-z0-9_]*)+)/g;

/** The `input.a.b` member paths mentioned in a text (an over-approximation: harmless). */
export function inputReadsIn(text: string, into: string[][]): void {
  for (const m of text.matchAll(READ))
    into.push(
      m[1]!
        .split('.')
        .map((s) => s.trim())
        .filter(Boolean),
    );
}

export type Converter = (value: unknown) => unknown;

function isIntegerType(schema: JsonSchema): boolean {
  const t = schema['type'];
  if (t === 'integer') return true;
  return Array.isArray(t) && t.includes('integer') && !t.includes('number');
}

function toBigInt(v: unknown): unknown {
  return typeof v === 'number' && Number.isInteger(v) ? BigInt(v) : v;
}

/** A converter for values of this schema, or undefined when values need no conversion. */
function converterFor(schema: unknown, depth = 0): Converter | undefined {
  if (!isObject(schema) || depth > 64) return undefined;
  if (isIntegerType(schema)) return toBigInt;
  const props = schema['properties'];
  const extra = schema['additionalProperties'];
  const items = schema['items'];
  const propConv: Array<[string, Converter]> = [];
  if (isObject(props)) {
    for (const [k, v] of Object.entries(props)) {
      const c = converterFor(v, depth + 1);
      if (c) propConv.push([k, c]);
    }
  }
  const extraConv = isObject(extra) ? converterFor(extra, depth + 1) : undefined;
  const itemConv = isObject(items) ? converterFor(items, depth + 1) : undefined;
  if (propConv.length === 0 && !extraConv && !itemConv) return undefined;
  const known = isObject(props) ? new Set(Object.keys(props)) : new Set<string>();
  return (value: unknown): unknown => {
    if (Array.isArray(value)) return itemConv ? value.map(itemConv) : value;
    if (!isObject(value)) return value;
    if (propConv.length === 0 && !extraConv) return value;
    const out: Record<string, unknown> = { ...value };
    for (const [k, c] of propConv) if (Object.hasOwn(value, k)) setOwn(out, k, c(value[k]));
    if (extraConv) for (const k of Object.keys(value)) if (!known.has(k)) setOwn(out, k, extraConv(value[k]));
    return out;
  };
}

/** The converter from a validated intake payload to CEL values (identity when none is needed). */
export function inputConverter(inputSchema: unknown): Converter {
  return converterFor(inputSchema) ?? ((v: unknown) => v);
}
