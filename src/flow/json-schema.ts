// The published JSON Schema of flow files (`baton schema flow`), generated from the same zod
// schema that validates them. Input form: fields with defaults are optional.
import { z } from 'zod';
import { flowSchema } from '../core/flow-schema.ts';

export const FLOW_SCHEMA_ID = 'https://baton.dev/schemas/flow.schema.json';

let cached: Record<string, unknown> | undefined;

export function flowJsonSchema(): Record<string, unknown> {
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
