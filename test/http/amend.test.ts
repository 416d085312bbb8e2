// Amending a handoff's input over HTTP, and a resend of the same key with different data.
import { afterEach, describe, expect, it } from 'vitest';
import { startTemp, waitFor, type TempServer } from './helpers.ts';
import { TICKET_FLOW } from '../support/ticket-flow.ts';

let s: TempServer | undefined;
afterEach(async () => {
  await s?.close();
  s = undefined;
});

const settled = async (id: string) => {
  await waitFor(async () => {
    const h = await s!.call('GET', `/v1/handoffs/${id}`);
    return !['received', 'building_context', 'deciding', 'acting'].includes(h.body.state);
  });
  return (await s!.call('GET', `/v1/handoffs/${id}`)).body;
};

describe('amending the input', () => {
  it('the sender completes an escalated handoff: recorded, checked again, decided again', async () => {
    s = await startTemp({}, { 'flows/ticket.yaml': TICKET_FLOW });
    const sender = await s.token('priya', 'intake');
    const sent = await s.call('POST', '/v1/flows/ticket/handoffs', { token: sender, body: { id: 'T1' } });
    expect(sent.status).toBe(202);
    const id = sent.body.id as string;
    const escalated = await settled(id);
    expect(escalated).toMatchObject({ state: 'escalated', owner: 'team:support' });
    expect(escalated.events.at(-1)).toMatchObject({
      type: 'escalated',
      data: { reason: 'contract_unmet', missing: ['input.customer'] },
    });

    // The same key with the missing field: refused, naming the handoff and how to amend it.
    const resend = await s.call('POST', '/v1/flows/ticket/handoffs', {
      token: sender,
      body: { id: 'T1', customer: 'Acme' },
    });
    expect(resend.status).toBe(409);
    expect(resend.body.error).toMatchObject({
      code: 'idempotency_conflict',
      message: expect.stringContaining(`handoff ${id} already has idempotency key "T1"`),
    });
    expect(resend.body.error.message).toContain(`PATCH /v1/handoffs/${id}/input`);
    // The same data again is still the same handoff.
    const again = await s.call('POST', '/v1/flows/ticket/handoffs', { token: sender, body: { id: 'T1' } });
    expect(again.status).toBe(202);
    expect(again.body).toMatchObject({ id, created: false });

    // Bad patches name the field; nothing changes.
    const bad = await s.call('PATCH', `/v1/handoffs/${id}/input`, {
      token: sender,
      body: { input: { severity: 'high' } },
    });
    expect(bad.status).toBe(422);
    expect(bad.body.error.details).toEqual([{ path: 'input.severity', message: 'must be integer' }]);
    const rekey = await s.call('PATCH', `/v1/handoffs/${id}/input`, {
      token: sender,
      body: { input: { id: 'T2', customer: 'Acme' } },
    });
    expect(rekey.status).toBe(422);
    expect(rekey.body.error.message).toMatch(/idempotency key/);
    const noBody = await s.call('PATCH', `/v1/handoffs/${id}/input`, {
      token: sender,
      body: { customer: 'x' },
    });
    expect(noBody.status).toBe(422);
    // Someone who neither sent nor holds it may not.
    const other = await s.call('PATCH', `/v1/handoffs/${id}/input`, {
      token: await s.token('omar', 'viewer'),
      body: { input: { customer: 'Acme' } },
    });
    expect(other.status).toBe(403);
    expect((await s.call('GET', `/v1/handoffs/${id}`)).body.state).toBe('escalated');

    const amended = await s.call('PATCH', `/v1/handoffs/${id}/input`, {
      token: sender,
      body: { input: { customer: 'Acme', severity: 4 }, comment: 'forgot the customer' },
    });
    expect(amended.status).toBe(200);
    expect(amended.body.input).toEqual({ id: 'T1', customer: 'Acme', severity: 4 });
    const h = await settled(id);
    expect(h).toMatchObject({ state: 'handed_off', owner: 'team:eng-oncall' });
    expect(h.decision).toMatchObject({ owner: 'team:eng-oncall', by: 'rule' });
    const ev = h.events.find((e: { type: string }) => e.type === 'amended');
    expect(ev).toMatchObject({
      actor: { kind: 'user', id: 'priya' },
      data: { changed: ['customer', 'severity'], from: 'team:support', comment: 'forgot the customer' },
    });
    expect(
      h.ledger.map((l: { owner: string; status: string; by?: string }) => [l.owner, l.status, l.by]),
    ).toEqual([
      ['agent:ticket', 'released', 'priya'],
      ['team:support', 'released', undefined],
      ['agent:ticket', 'released', 'priya'], // handed back to Baton by the sender
      ['team:eng-oncall', 'pending', undefined],
    ]);
    expect(h.actions.map((a: { id: string; state: string }) => [a.id, a.state])).toEqual([
      ['task', 'succeeded'],
    ]);
    // Its actions ran: amending again is refused.
    const late = await s.call('PATCH', `/v1/handoffs/${id}/input`, {
      token: sender,
      body: { input: { severity: 1 } },
    });
    expect(late.status).toBe(409);
    expect(late.body.error.code).toBe('invalid_transition');
    // The audit chain holds.
    expect(
      (await s.call('GET', '/v1/audit/verify', { token: await s.token('dana', 'admin') })).body,
    ).toMatchObject({
      ok: true,
    });
  });

  it('is in the OpenAPI document', async () => {
    s = await startTemp();
    const doc = (await s.call('GET', '/v1/openapi.json')).body;
    const op = doc.paths['/v1/handoffs/{id}/input'].patch;
    expect(op['x-baton-access']).toBe('amend');
    expect(Object.keys(op.responses)).toEqual(expect.arrayContaining(['200', '403', '404', '409', '422']));
  });
});
