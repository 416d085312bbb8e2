// A tool's inputSchema (JSON Schema from the server) as the zod schema of an action's params.
// ajv checks the arguments, so they are validated with the JSON Schema semantics the server
// wrote (formats, patterns, unions), not a translation of them; the schema's properties are
// carried as metadata so `baton schema flow` and the OpenAPI show the tool's real parameters.
import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import { Ajv2020 } from 'ajv/dist/2020.js';
import formats from 'ajv-formats';
import { z } from 'zod';

const OPTIONS = { allErrors: true, strict: false, allowUnionTypes: true, ownProperties: true } as const;
let draft07: Ajv | undefined;
let draft2020: Ajv2020 | undefined;

function ajvFor(schema: Record<string, unknown>): Ajv | Ajv2020 {
  const dialect = typeof schema['$schema'] === 'string' ? schema['$schema'] : '';
  if (dialect.includes('2020-12')) {
    if (!draft2020) formats.default((draft2020 = new Ajv2020(OPTIONS)));
    return draft2020;
  }
  if (!draft07) formats.default((draft07 = new Ajv(OPTIONS)));
  return draft07;
}

const pathOf = (e: ErrorObject): string[] => {
  const segs = e.instancePath.split('/').slice(1);
  const missing =
    e.keyword === 'required' ? (e.params as { missingProperty?: string }).missingProperty : undefined;
  return missing ? [...segs, missing] : segs;
};

/** The part of the tool's schema shown in the flow's JSON Schema (references would dangle there). */
function shown(schema: Record<string, unknown>): Record<string, unknown> {
  if (JSON.stringify(schema).includes('"$ref"')) return {};
  const out: Record<string, unknown> = {};
  for (const key of ['properties', 'required', 'additionalProperties', 'description'] as const)
    if (schema[key] !== undefined) out[key] = schema[key];
  return out;
}

/**
 * The params schema of a tool. A schema ajv cannot compile (a server's mistake) is reported
 * when the connector opens, naming the tool, rather than accepting anything.
 */
export function toolParams(
  tool: string,
  inputSchema: Record<string, unknown>,
): z.ZodType<Record<string, unknown>> {
  let validate: ValidateFunction;
  const ajv = ajvFor(inputSchema);
  // Another dialect's $schema (2019-09, draft-04) is read as draft-07 rather than refused.
  const { $schema, ...rest } = inputSchema;
  try {
    validate = ajv.compile(ajv instanceof Ajv2020 ? inputSchema : rest);
    void $schema;
  } catch (e) {
    throw new Error(`tool ${tool} has an input schema that cannot be compiled: ${(e as Error).message}`, {
      cause: e,
    });
  }
  return z
    .record(z.string(), z.unknown())
    .superRefine((value, ctx) => {
      if (validate(value)) return;
      for (const e of validate.errors ?? [])
        ctx.addIssue({ code: 'custom', path: pathOf(e), message: e.message ?? 'is not valid' });
    })
    .meta(shown(inputSchema));
}
