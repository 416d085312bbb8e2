// Delegation while away, over HTTP: a delegate approves and accepts in place of the absent
// person while the delegation holds; events say who acted for whom; no self-approval, also not
// by delegation; one vote per person per level, also by proxy.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { EXAMPLES, invoice } from '../support/project.ts';
import { startTemp, type TempServer } from './helpers.ts';

let s: TempServer | undefined;
afterEach(async () => {
  await s?.close();
  s = undefined;
});

const DELEGATIONS = `
delegations:
  - { from: ari, to: tom, until: 2099-12-31, flows: [invoice-approval] }   # tom stands in for ari
  - { from: noor, to: olga, until: 2001-01-01 }                            # long over
  - { from: jules, to: lee, since: 2099-01-01, until: 2099-12-31 }         # not yet
  - { from: sam, to: lee, until: 2099-12-31, flows: [support-escalation] } # another flow only
  - { from: kim, to: priya, until: 2099-12-31 }                            # kim's own work
`;

const yaml = () => readFileSync(path.join(EXAMPLES, 'baton.yaml'), 'utf8') + DELEGATIONS;

async function setup() {
  s = await startTemp({}, { 'baton.yaml': yaml() });
  const t = Object.fromEntries(
    await Promise.all(
      ['ari', 'tom', 'noor', 'olga', 'lee', 'dana', 'jules', 'priya', 'sam'].map(
        async (u) => [u, await s!.token(u, 'viewer')] as const,
      ),
    ),
  );
  const vote = (id: string, who: string, decision = 'approve') =>
    s!.call('POST', `/v1/approvals/${id}`, { token: t[who], body: { decision } });
  return { t, vote };
}

describe('delegation while away', () => {
  it('a delegate approves in place of the absent approver; the event records both', async () => {
    const { vote } = await setup();
    const id = await s!.send(invoice('D1', 42000, 'olga'), 'invoice-approval');
    // tom holds no finance-manager role himself; his inbox shows the request, standing in for ari.
    const inbox = await s!.call('GET', '/v1/inbox?owner=tom');
    expect(inbox.body.items.map((m: { text: string }) => m.text)).toEqual([
      expect.stringMatching(/^Approval needed: .* \(standing in for ari\)$/),
    ]);
    const r = await vote(id, 'tom');
    expect(r.status).toBe(200);
    const isoTime = expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
    expect(r.body.approval).toMatchObject({
      state: 'approved',
      votes: [{ user: 'tom', for: 'ari', decision: 'approve', at: isoTime }],
      decidedBy: { label: 'human', user: 'tom', for: 'ari' },
      requestedAt: isoTime,
      decidedAt: isoTime,
    });
    const h = (await s!.call('GET', `/v1/handoffs/${id}`)).body;
    const ev = h.events.find((e: { type: string }) => e.type === 'approval_vote');
    expect(ev).toMatchObject({
      actor: { kind: 'user', id: 'tom' },
      data: { for: 'ari', decision: 'approve' },
    });
  });

  it('counts one vote per person per level, also by proxy (four eyes stay four eyes)', async () => {
    const { vote } = await setup();
    const id = await s!.send(invoice('D2', 150000, 'olga'), 'invoice-approval');
    const apr = (await s!.call('GET', `/v1/approvals?handoff=${id}`)).body.items[0].id as string;
    expect((await vote(apr, 'tom')).body.approval.votes).toEqual([
      expect.objectContaining({ user: 'tom', for: 'ari' }),
    ]);
    // ari was voted for; tom voted already.
    const ari = await vote(apr, 'ari');
    expect([ari.status, ari.body.error.code]).toEqual([409, 'already_decided']);
    expect((await vote(apr, 'tom')).status).toBe(409);
    const noor = await vote(apr, 'noor');
    expect(noor.body.approval).toMatchObject({ state: 'pending', level: 1 }); // the CFO's level
    expect((await vote(apr, 'dana')).body.approval.state).toBe('approved');
  });

  it('never outside its window or flows', async () => {
    const { vote } = await setup();
    const id = await s!.send(invoice('D3', 42000, 'ari'), 'invoice-approval');
    for (const who of ['olga', 'lee']) {
      const r = await vote(id, who);
      expect([who, r.status, r.body.error.message]).toEqual([
        who,
        403,
        expect.stringMatching(/is not an approver/),
      ]);
    }
    // lee stands in for sam only on support escalations, not for the lead's quote.
    const lead = await s!.send({ id: 'L9', company: 'Big', email: 'x@big.io', amount: 90000 });
    const r = await vote(lead, 'lee');
    expect([r.status, r.body.error.message]).toEqual([403, expect.stringMatching(/is not an approver/)]);
  });

  it('no self-approval: neither the requester nor whoever stands in for the requester', async () => {
    const { vote } = await setup();
    const byAri = await s!.send(invoice('D4', 42000, 'ari'), 'invoice-approval');
    const proxy = await vote(byAri, 'tom');
    expect([proxy.status, proxy.body.error.message]).toEqual([
      403,
      expect.stringMatching(/tom stands in for ari, who requested this handoff: no self-approval/),
    ]);
    const byTom = await s!.send(invoice('D5', 42000, 'tom'), 'invoice-approval');
    const own = await vote(byTom, 'tom');
    expect([own.status, own.body.error.message]).toEqual([403, expect.stringMatching(/no self-approval/)]);
    // The real approvers still can.
    expect((await vote(byAri, 'noor')).body.approval.state).toBe('approved');
  });

  it('a delegate accepts work handed to the absent person; the ledger and event say so', async () => {
    const { t } = await setup();
    const id = await s!.send({ id: 'L1', company: 'Acme', email: 'jo@acme.com' });
    expect((await s!.call('GET', `/v1/handoffs/${id}`)).body.owner).toBe('user:kim');
    const r = await s!.call('POST', `/v1/handoffs/${id}/accept`, { token: t.priya, body: {} });
    expect(r.status).toBe(200);
    expect(r.body.state).toBe('accepted');
    const ev = r.body.events.find((e: { type: string }) => e.type === 'accepted');
    expect(ev).toMatchObject({ actor: { id: 'priya' }, data: { owner: 'user:kim', for: 'kim' } });
    expect(r.body.ledger.at(-1)).toMatchObject({ owner: 'user:kim', status: 'accepted', by: 'priya' });
    // Someone without a delegation still cannot.
    const other = await s!.send({ id: 'L2', company: 'Acme', email: 'jo@acme.com' });
    const denied = await s!.call('POST', `/v1/handoffs/${other}/accept`, { token: t.lee, body: {} });
    expect(denied.status).toBe(403);
  });
});
