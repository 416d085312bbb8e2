// Keys named like Object.prototype members (`constructor`, `toString`, …) are data like any
// other, at every depth: intake accepts them, rules read them, and the handoff goes on.
import { afterEach, describe, expect, it } from 'vitest';
import { startTemp, waitFor, type TempServer } from './helpers.ts';

let s: TempServer | undefined;
afterEach(async () => {
  await s?.close();
  s = undefined;
});

const ODD = ['constructor', 'prototype', 'toString', 'hasOwnProperty', 'valueOf'] as const;

/** `{k: {k: [{k: "v"}]}, …}` for every odd key k: the key at the top, nested, and in a list. */
function oddTree(value: string): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const k of ODD) Object.defineProperty(out, k, { value: { [k]: [{ [k]: value }] }, enumerable: true });
  return out;
}

// A flow whose rules read such keys: declared in the schema (typed) and in an open object.
const oddFlow = `id: odd-keys
name: Odd keys
boundary: { from: team:ops, to: team:finance }
input:
  type: object
  required: [id]
  properties:
    id: { type: string }
    constructor: { type: string }
    toString: { type: string }
    valueOf: { type: integer }
    meta: { type: object }
idempotencyKey: input.id
decide:
  rules:
    - name: declared keys
      when: 'has(input.constructor) && input.constructor == "x" && input.toString == "y" && input.valueOf == 3'
      owner: user:ari
    - name: nested keys
      when: 'has(input.meta.constructor) && input.meta.constructor.prototype == "deep"'
      owner: user:noor
    - name: absent declared keys are absent
      when: '!has(input.toString) && !has(input.valueOf)'
      owner: user:tom
  otherwise: { owner: team:finance }
actions:
  - { id: task, use: builtin.create_task, with: { title: 'Check \${input.id}', body: 'meta: \${input.meta}' } }
handoff: { to: '\${decision.owner}' }
`;

describe('input keys named like object members', () => {
  it('are accepted at every depth and the lead goes to its owner as any other', async () => {
    s = await startTemp();
    const body = { id: 'ODD-1', company: 'Acme', email: 'jo@acme.com', ...oddTree('v'), extra: oddTree('w') };
    const r = await s.call('POST', '/v1/flows/lead-to-owner/handoffs', { body });
    expect(r.status, r.text).toBe(202);
    await waitSettled(s, r.body.id);
    const h = (await s.call('GET', `/v1/handoffs/${r.body.id}`)).body;
    expect(h).toMatchObject({ state: 'handed_off', owner: 'user:kim' });
    expect(h.input).toEqual(body);
    expect(h.actions.map((a: { state: string }) => a.state)).toEqual(['succeeded', 'succeeded']);
  });

  it('are read by rules where the schema declares them, and absent ones are absent', async () => {
    s = await startTemp({}, { 'flows/odd-keys.yaml': oddFlow });
    const send = async (input: Record<string, unknown>) => {
      const r = await s!.call('POST', '/v1/flows/odd-keys/handoffs', { body: input });
      expect(r.status, r.text).toBe(202);
      await waitSettled(s!, r.body.id);
      return (await s!.call('GET', `/v1/handoffs/${r.body.id}`)).body;
    };
    const declared = await send({ id: 'A', constructor: 'x', toString: 'y', valueOf: 3 });
    expect(declared.state).toBe('handed_off');
    expect(declared.owner).toBe('user:ari');
    expect(declared.decision.reads).toEqual({
      'input.constructor': 'x',
      'input.toString': 'y',
      'input.valueOf': 3,
    });
    const nested = await send({ id: 'B', meta: { constructor: { prototype: 'deep' }, toString: 1 } });
    expect(nested.owner).toBe('user:noor');
    expect(nested.decision.reads).toEqual({ 'input.meta.constructor.prototype': 'deep' });
    // The task's body renders the open object, keys and all.
    const task = nested.actions[0];
    expect(task.state).toBe('succeeded');
    expect(JSON.parse(task.params.body.slice('meta: '.length))).toEqual({
      constructor: { prototype: 'deep' },
      toString: 1,
    });
    const absent = await send({ id: 'C' });
    expect(absent.owner).toBe('user:tom');
  });

  it('refuses a "__proto__" key at intake with a clear error (never parsed into an object)', async () => {
    s = await startTemp();
    const raw = '{"id":"P1","company":"Acme","email":"jo@acme.com","x":{"__proto__":{"admin":true}}}';
    const r = await s.call('POST', '/v1/flows/lead-to-owner/handoffs', {
      raw,
      headers: { 'content-type': 'application/json' },
    });
    expect(r.status).toBe(400);
    expect(r.body.error).toMatchObject({ code: 'invalid_json', message: expect.stringMatching(/__proto__/) });
  });
});

async function waitSettled(server: TempServer, id: string): Promise<void> {
  await waitFor(async () => {
    const h = await server.call('GET', `/v1/handoffs/${id}`);
    return !['received', 'building_context', 'deciding', 'acting'].includes(h.body.state);
  });
}
