// The http connector through the service: baton.yaml's `connectors.billing` (credentials from
// the environment, the internal host allowed for this connector only), a flow whose paths carry
// `${…}`, and `baton rollback` undoing both writes with the declared compensating calls.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { EXAMPLES, asUser, intakeActor, openTemp, settleAll } from '../support/project.ts';
import { startInternalApi, type InternalApi } from '../support/internal-api.ts';

const TOKEN = 'e2e-billing-token-31f9';
let api: InternalApi;
let env: Awaited<ReturnType<typeof openTemp>> | undefined;

beforeAll(async () => {
  api = await startInternalApi(TOKEN);
  process.env.BILLING_TOKEN = TOKEN;
});
afterAll(async () => {
  await env?.close();
  await api?.close();
  delete process.env.BILLING_TOKEN;
});

const batonYaml = () => `${readFileSync(path.join(EXAMPLES, 'baton.yaml'), 'utf8')}
connectors:
  billing:
    type: http
    baseUrl: ${api.url}/api
    headers: { authorization: "Bearer \${BILLING_TOKEN}" }
    allowHosts: [127.0.0.1]
    rollback:
      post: { method: delete, path: "/invoices/\${result.body.id}" }
      put: { method: put, path: "\${params.path}", body: before }
`;

const flow = `id: bill
name: Bill
boundary: { from: team:ops, to: team:finance }
input: { type: object, required: [id, ref], properties: { id: { type: string }, ref: { type: string } } }
idempotencyKey: input.id
decide:
  otherwise: { owner: team:finance }
actions:
  - id: invoice
    use: billing.post
    with: { path: /invoices, body: { ref: "\${input.ref}", cents: 1200 } }
  - id: note
    use: billing.put
    with: { path: "/invoices/\${input.ref}", body: { note: "billed" } }
`;

const settle = (ms = 5000): Promise<void> => settleAll(env!.baton, ms);

describe('http connector in a flow', () => {
  it('runs both writes with the token from the environment and rolls them back', async () => {
    env = await openTemp({ 'baton.yaml': batonYaml(), 'flows/bill.yaml': flow }, { worker: false });
    const { baton } = env;
    const { id } = await baton.send('bill', { id: 'B1', ref: 'A 1/../x' }, intakeActor);
    await settle();
    const h = await baton.get(id);
    expect(h.state).toBe('handed_off');
    expect(h.actions.map((a) => [a.id, a.state])).toEqual([
      ['invoice', 'succeeded'],
      ['note', 'succeeded'],
    ]);
    // The ${…} stayed one segment: its slashes and dots were percent-encoded.
    expect(api.requests.find((q) => q.method === 'PUT')!.path).toBe('/api/invoices/A%201%2F..%2Fx');
    expect([...api.records.keys()].sort()).toEqual(['A 1/../x', 'inv 1']);
    expect(api.requests.every((q) => q.auth === `Bearer ${TOKEN}`)).toBe(true);

    const back = await baton.rollback(id, asUser('ari', 'operator'));
    expect(back.state).toBe('rolled_back');
    expect(back.actions.map((a) => [a.id, a.state])).toEqual([
      ['invoice', 'rolled_back'],
      ['note', 'rolled_back'],
    ]);
    expect(api.records.size).toBe(0);
    // The token never reached the stored events.
    expect(JSON.stringify(back.events)).not.toContain(TOKEN);
  });
});
