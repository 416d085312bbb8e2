// Validation of intake payloads against a flow's `input` JSON Schema, with ajv (all errors,
// formats such as email and date-time). The dialect follows the schema's `$schema`: draft 2020-12
// or 2019-09 when it says so, draft-07 otherwise. Error paths look like `input.amount`.
import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import { Ajv2019 } from 'ajv/dist/2019.js';
import { Ajv2020 } from 'ajv/dist/2020.js';
import formats from 'ajv-formats';
import type { ErrorDetail } from '../core/errors.ts';
import { formatPath, type PathSeg } from './yaml-source.ts';

type AnyAjv = Ajv | Ajv2019 | Ajv2020;

// ownProperties: a declared property named like an object member (`constructor`, `toString`) is
// read only when the payload has it, never inherited from Object.prototype.
const OPTIONS = { allErrors: true, strict: false, allowUnionTypes: true, ownProperties: true } as const;
const instances = new Map<string, AnyAjv>();

function ajvFor(dialect: string): AnyAjv {
  let ajv = instances.get(dialect);
  if (!ajv) {
    ajv =
      dialect === '2020'
        ? new Ajv2020(OPTIONS)
        : dialect === '2019'
          ? new Ajv2019(OPTIONS)
          : new Ajv(OPTIONS);
    // ajv-formats is CommonJS: under ESM its plugin is `module.exports.default`.
    formats.default(ajv);
    instances.set(dialect, ajv);
  }
  return ajv;
}

function dialectOf(schema: Record<string, unknown>): string {
  const s = typeof schema['$schema'] === 'string' ? schema['$schema'] : '';
  if (s.includes('2020-12')) return '2020';
  if (s.includes('2019-09')) return '2019';
  return '07';
}

function pointerSegments(pointer: string): PathSeg[] {
  if (pointer === '') return [];
  return pointer
    .slice(1)
    .split('/')
    .map((s) => s.replaceAll('~1', '/').replaceAll('~0', '~'))
    .map((s) => (/^\d+$/.test(s) ? Number(s) : s));
}

function toDetail(e: ErrorObject, root: string): ErrorDetail {
  const segs = [root, ...pointerSegments(e.instancePath)];
  const p: Record<string, unknown> = e.params;
  const allowed = p['allowedValues'];
  switch (e.keyword) {
    case 'required':
      return { path: formatPath([...segs, String(p['missingProperty'])]), message: 'is required' };
    case 'additionalProperties':
      return {
        path: formatPath([...segs, String(p['additionalProperty'])]),
        message: 'is not an allowed field',
      };
    case 'enum':
      if (!Array.isArray(allowed)) break;
      return {
        path: formatPath(segs),
        message: `must be one of ${allowed.map((v) => JSON.stringify(v)).join(', ')}`,
      };
    default:
      break;
  }
  return { path: formatPath(segs), message: e.message ?? `fails ${e.keyword}` };
}

export type InputValidator = (input: unknown) => ErrorDetail[];

/** Compiles a validator once; throws an Error with ajv's message when the schema is invalid. */
export function compileInputValidator(schema: Record<string, unknown>, root = 'input'): InputValidator {
  const ajv = ajvFor(dialectOf(schema));
  const id = typeof schema['$id'] === 'string' ? schema['$id'] : undefined;
  if (id !== undefined && ajv.getSchema(id)) ajv.removeSchema(id);
  const validate: ValidateFunction = ajv.compile(schema);
  return (input: unknown): ErrorDetail[] => {
    if (validate(input)) return [];
    const seen = new Set<string>();
    const out: ErrorDetail[] = [];
    for (const e of validate.errors ?? []) {
      const d = toDetail(e, root);
      const key = `${d.path}\0${d.message}`;
      if (!seen.has(key)) {
        seen.add(key);
        out.push(d);
      }
    }
    return out;
  };
}
