// The published JSON Schema of flow files (`baton schema flow`), generated from the same zod
// schema that validates them. Input form: fields with defaults are optional.
import { z } from 'zod';
import { flowSchema } from '../core/flow-schema.ts';
import type { UseSchema } from '../actions/schemas.ts';

export const FLOW_SCHEMA_ID = 'https://baton.dev/schemas/flow.schema.json';

let cached: Record<string, unknown> | undefined;

/**
 * The schema of flow files; with `uses` (the project's actions and context sources), each
 * `use:` also checks its `with:` against that action's parameters. A value may always be a
 * `${…}` template instead of a literal: it is rendered, then checked, when the action is planned.
 */
export function flowJsonSchema(uses: readonly UseSchema[] = []): Record<string, unknown> {
  const schema = baseSchema();
  if (uses.length === 0) return schema;
  const defs = (schema.$defs as Record<string, unknown> | undefined) ?? {};
  const props = schema.properties as Record<string, { items?: Record<string, unknown> }>;
  for (const [list, kind] of [
    ['actions', 'action'],
    ['context', 'source'],
  ] as const) {
    const items = props[list]?.items;
    if (!items) continue;
    const cases = uses
      .filter((u) => u.kind === kind)
      .map((u) => {
        defs[`${kind}.${u.id}`] = {
          ...templated(u.params),
          ...(u.description ? { description: u.description } : {}),
        };
        return {
          if: { properties: { use: { const: u.id } }, required: ['use'] },
          then: { properties: { with: { $ref: `#/$defs/${kind}.${u.id}` } } },
        };
      });
    props[list]!.items = { allOf: [items, ...cases] };
  }
  schema.$defs = defs;
  return schema;
}

const TEMPLATE = { type: 'string', pattern: '\\$\\{' };

/** The parameters' schema where every property may also be a `${…}` template. */
function templated(params: Record<string, unknown>): Record<string, unknown> {
  const props = params.properties as Record<string, unknown> | undefined;
  if (!props) return params;
  return {
    ...params,
    properties: Object.fromEntries(Object.entries(props).map(([k, v]) => [k, { anyOf: [v, TEMPLATE] }])),
  };
}

function baseSchema(): Record<string, unknown> {
  const generated = z.toJSONSchema(flowSchema, {
    target: 'draft-2020-12',
    io: 'input',
    unrepresentable: 'any',
  });
  cached ??= {
    $schema: generated.$schema,
    $id: FLOW_SCHEMA_ID,
    title: 'Baton flow',
    description:
      'One handoff boundary: trigger, input schema, context, decision, actions, approvals, handoff target, SLA and guardrails.',
    ...generated,
  };
  return structuredClone(cached);
}
