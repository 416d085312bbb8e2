// Who asked, for no self-approval, over HTTP: the person whose token sent the intake is a
// requester whatever the payload claims; a requester written `ARI`, `ari ` or `user:ari` is the
// person ari; one that names nobody does not switch the rule off: the approval is not opened.
import { afterEach, describe, expect, it } from 'vitest';
import { startTemp, waitFor, type TempServer } from './helpers.ts';
import { invoice } from '../support/project.ts';

let s: TempServer | undefined;
afterEach(async () => {
  await s?.close();
  s = undefined;
});

const state = async (id: string) => (await s!.call('GET', `/v1/handoffs/${id}`)).body;

async function sendAs(token: string | undefined, input: Record<string, unknown>, flow = 'invoice-approval') {
  const r = await s!.call('POST', `/v1/flows/${flow}/handoffs`, { body: input, ...(token ? { token } : {}) });
  expect(r.status).toBe(202);
  const id = r.body.id as string;
  await waitFor(
    async () => !['received', 'building_context', 'deciding', 'acting'].includes((await state(id)).state),
  );
  return id;
}

describe('requesters of an approval', () => {
  it("the intake's token person is a requester, whatever requestedBy says", async () => {
    s = await startTemp();
    const ariSends = await s.token('ari', 'intake');
    const ari = await s.token('ari', 'viewer');
    const noor = await s.token('noor', 'viewer');
    const id = await sendAs(ariSends, invoice('Q1', 42000, 'olga'));
    const h = await state(id);
    expect(h.events[0]).toMatchObject({ type: 'received', actor: { kind: 'user', id: 'ari' } });
    expect(h).toMatchObject({ requester: 'olga', submittedBy: 'ari', state: 'awaiting_approval' });
    expect(h.approvals[0]).toMatchObject({ requester: 'olga', requesters: ['olga', 'ari'] });

    const self = await s.call('POST', `/v1/approvals/${id}`, { token: ari, body: { decision: 'approve' } });
    expect(self.status).toBe(403);
    expect(self.body.error.message).toMatch(/no self-approval/);
    const other = await s.call('POST', `/v1/approvals/${id}`, { token: noor, body: { decision: 'approve' } });
    expect(other.status).toBe(200);
  });

  it('ARI, "ari " and user:ari are the person ari', async () => {
    s = await startTemp();
    const ari = await s.token('ari', 'viewer');
    for (const [key, written] of [
      ['Q2', 'ARI'],
      ['Q3', 'ari '],
      ['Q4', 'user:ari'],
      ['Q5', ' User:Ari'],
    ] as const) {
      const id = await sendAs(undefined, invoice(key, 42000, written));
      const h = await state(id);
      expect([written, h.requester, h.approvals[0]?.requesters]).toEqual([written, 'ari', ['ari']]);
      const r = await s.call('POST', `/v1/approvals/${id}`, { token: ari, body: { decision: 'approve' } });
      expect([written, r.status]).toEqual([written, 403]);
    }
  });

  it('a requester that names nobody: the approval is not opened, the handoff escalates (requester_unknown)', async () => {
    s = await startTemp();
    const id = await sendAs(undefined, invoice('Q6', 42000, 'zed'));
    const h = await state(id);
    expect(h.state).toBe('escalated');
    expect(h.owner).toBe('team:finance');
    expect(h.approvals).toEqual([]);
    expect(h.actions.find((a: { id: string }) => a.id === 'pay')).toMatchObject({ state: 'skipped' });
    expect(h.events.find((e: { type: string }) => e.type === 'escalated').data).toMatchObject({
      reason: 'requester_unknown',
      action: 'pay',
      requester: 'zed',
    });
    const tasks = (await s.call('GET', `/v1/tasks?owner=team:finance`)).body.items;
    expect(tasks.filter((t: { handoffId: string }) => t.handoffId === id)).toEqual([]);
    const prom = (await s.call('GET', '/metrics')).text;
    expect(prom).toContain('baton_escalations_total{flow="invoice-approval",reason="requester_unknown"} 1');
  });

  it("a requester written 'user:' + input.submittedBy is normalized too", async () => {
    const flow = (await import('node:fs')).readFileSync(
      new URL('../../examples/flows/invoice-approval.yaml', import.meta.url),
      'utf8',
    );
    s = await startTemp(
      {},
      {
        'flows/invoice-approval.yaml': flow.replace(
          'requester: input.requestedBy',
          'requester: "\'user:\' + input.requestedBy"',
        ),
      },
    );
    const ari = await s.token('ari', 'viewer');
    const id = await sendAs(undefined, invoice('Q7', 42000, 'ari'));
    expect((await state(id)).requester).toBe('ari');
    const r = await s.call('POST', `/v1/approvals/${id}`, { token: ari, body: { decision: 'approve' } });
    expect(r.status).toBe(403);
  });
});
