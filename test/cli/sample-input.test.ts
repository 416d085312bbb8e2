// The example request `baton serve` prints for a flow without eval cases must be one the flow
// accepts: enum, const, default, formats and minimums come from the input schema.
import { describe, expect, it } from 'vitest';
import { sampleInput } from '../../src/cli/commands/serve.ts';
import { parseFlow } from '../../src/flow/load.ts';

const flow = parseFlow(
  `id: po-check
name: Purchase order check
boundary: { from: team:ops, to: team:finance }
input:
  type: object
  required: [id, currency, amount, dueDate, kind, region, contact, note]
  properties:
    id: { type: string }
    currency: { type: string, enum: [EUR, USD] }
    amount: { type: number, minimum: 100 }
    dueDate: { type: string, format: date }
    kind: { const: purchase }
    region: { type: string, default: emea }
    contact: { type: string, format: email }
    note: { type: string }
idempotencyKey: input.id
decide: { otherwise: { owner: team:finance } }
actions: []
handoff: { acceptWithin: 1h }
`,
  '/nowhere/flows/po-check.yaml',
);

describe("serve's example request", () => {
  it('is accepted by the input schema of a flow without eval cases', () => {
    const input = sampleInput(flow);
    expect(flow.validateInput(input)).toEqual([]);
    expect(input).toMatchObject({
      id: 'P-1',
      currency: 'EUR',
      amount: 100,
      kind: 'purchase',
      region: 'emea',
    });
  });
});
