// The context snapshot of a decision: every input and context field with its source, time and
// trust level. Input strings are untrusted free text unless the flow's input schema constrains
// them (`enum`, `const`, `format`, `pattern`) or marks them `x-trust: trusted`; numbers and
// booleans cannot carry instructions and are trusted. A context source is as trusted as it
// declares (the flow's `trust:` overrides); an absent value is left out.
import type { ContextProvenance } from '../core/types.ts';
import type { ContextField, Trust } from './prompt.ts';

type Provenance = ContextProvenance;

type Schema = Record<string, unknown>;
const isObject = (v: unknown): v is Schema => typeof v === 'object' && v !== null && !Array.isArray(v);

export function snapshotFields(
  input: Record<string, unknown>,
  inputSchema: Schema,
  receivedAt: number,
  context: Record<string, unknown> | null,
  provenance: readonly Provenance[],
): ContextField[] {
  const fields: ContextField[] = [];
  const props = isObject(inputSchema.properties) ? inputSchema.properties : {};
  for (const [key, value] of Object.entries(input)) {
    const schema = isObject(props[key]) ? props[key] : {};
    fields.push({
      path: `input.${key}`,
      value,
      trust: inputTrust(value, schema),
      source: 'intake',
      at: receivedAt,
    });
  }
  for (const p of provenance) {
    const value = context?.[p.name];
    if (value === undefined || value === null) continue;
    const marked = p.untrustedFields?.length && p.trust === 'trusted' && isObject(value);
    if (!marked) {
      fields.push({ path: `context.${p.name}`, value, trust: p.trust, source: p.use, at: p.at });
      continue;
    }
    // A trusted system holding text from outside (a ticket's description): field by field.
    const untrusted = new Set(p.untrustedFields);
    for (const [key, v] of Object.entries(value)) {
      if (v === undefined || v === null) continue;
      const trust = untrusted.has(key) ? 'untrusted' : 'trusted';
      fields.push({ path: `context.${p.name}.${key}`, value: v, trust, source: p.use, at: p.at });
    }
  }
  return fields;
}

const CONSTRAINTS = ['enum', 'const', 'format', 'pattern'];

function inputTrust(value: unknown, schema: Schema): Trust {
  const declared = schema['x-trust'];
  if (declared === 'trusted' || declared === 'untrusted') return declared;
  if (value === null || typeof value === 'number' || typeof value === 'boolean') return 'trusted';
  if (typeof value === 'string') {
    const constrained = CONSTRAINTS.some((k) => schema[k] !== undefined);
    return constrained ? 'trusted' : 'untrusted';
  }
  // Objects and arrays may hold free text anywhere.
  return 'untrusted';
}

export const hasUntrusted = (fields: readonly ContextField[]): boolean =>
  fields.some((f) => f.trust === 'untrusted');

/**
 * How far an input field is trusted from its schema alone (for `baton validate`): the same
 * rules as for a value, where a field that may hold free text counts as untrusted.
 */
export function schemaTrust(schema: unknown): Trust {
  const s = isObject(schema) ? schema : {};
  const declared = s['x-trust'];
  if (declared === 'trusted' || declared === 'untrusted') return declared;
  if (CONSTRAINTS.some((k) => s[k] !== undefined)) return 'trusted';
  const types = Array.isArray(s.type) ? s.type : [s.type];
  return types.every((t) => t === 'number' || t === 'integer' || t === 'boolean' || t === 'null')
    ? 'trusted'
    : 'untrusted';
}
