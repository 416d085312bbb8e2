// What a caller may do now (GET /v1/handoffs/{id}/commands) and what waits for a person
// (GET /v1/inbox/waiting): each verdict agrees with what the command then answers.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { z } from 'zod';
import { handoffCommands, waitingList } from '../../src/server/schemas.ts';
import { bigLead, EXAMPLES, invoice } from '../support/project.ts';
import { BROKEN_FLOW_FILES } from '../support/broken-flow.ts';
import { startTemp, type TempServer } from './helpers.ts';

const FILES = BROKEN_FLOW_FILES;

let s: TempServer;
const t: Record<string, string> = {};
const lead = (id: string, amount: number) => ({ id, company: 'Acme', email: `jo@${id}.io`, amount });

beforeAll(async () => {
  s = await startTemp({}, FILES);
  t.lee = await s.token('lee', 'viewer');
  t.kim = await s.token('kim', 'viewer');
  t.sam = await s.token('sam', 'viewer');
  t.ops = await s.token('ops', 'operator');
}, 30_000);
afterAll(() => s?.close());

const commandsOf = async (id: string, token?: string) => {
  const r = await s.call('GET', `/v1/handoffs/${id}/commands`, token ? { token } : {});
  expect(r.status, r.text).toBe(200);
  expect(handoffCommands.safeParse(r.body).error).toBeUndefined();
  return r.body as z.infer<typeof handoffCommands>;
};
const allowed = (c: Awaited<ReturnType<typeof commandsOf>>) =>
  Object.entries(c.commands)
    .filter(([, v]) => v.allowed)
    .map(([k]) => k);

describe('what the caller may do now', () => {
  it('offers the owner what its state allows, refuses others with the reason the command gives', async () => {
    const id = await s.send(lead('W1', 1000)); // smb: team:smb-sales (lee)
    const before = (await s.call('GET', `/v1/handoffs/${id}`)).body;
    expect(before).toMatchObject({ state: 'handed_off', owner: 'team:smb-sales' });

    const lee = await commandsOf(id, t.lee);
    expect(allowed(lee)).toEqual([
      'accept',
      'decline',
      'return',
      'reassign',
      'complete',
      'cancel',
      'rollback',
    ]);
    expect(lee.commands.retry.why).toMatch(/not failed/);
    expect(lee.reassignTo).toEqual(expect.arrayContaining(['user:kim', 'team:finance', 'role:cfo']));
    expect(lee.actions.map((a) => a.action)).toEqual(['task', 'tell']);
    for (const a of lee.actions) expect(typeof a.reversible).toBe('boolean');

    const kim = await commandsOf(id, t.kim);
    expect(allowed(kim)).toEqual([]);
    expect(kim.commands.accept.why).toBe('kim cannot accept work owned by team:smb-sales');
    // An operator may act on any handoff, but only the owner accepts (and so completes).
    const ops = await commandsOf(id, t.ops);
    expect(allowed(ops)).toEqual(['decline', 'return', 'reassign', 'cancel', 'rollback']);
    expect(ops.commands.complete.why).toBe('ops cannot accept work owned by team:smb-sales');
    const anonymous = await commandsOf(id);
    expect(allowed(anonymous)).toEqual([]);
    expect(anonymous.commands.cancel.why).toMatch(/token is required/);

    // Trying them changed nothing.
    const after = (await s.call('GET', `/v1/handoffs/${id}`)).body;
    expect(after.events).toHaveLength(before.events.length);
    expect(after.state).toBe('handed_off');

    // The verdicts hold: kim is refused as told, lee's accept goes through and changes the offer.
    const refused = await s.call('POST', `/v1/handoffs/${id}/accept`, { token: t.kim, body: {} });
    expect([refused.status, refused.body.error.message]).toEqual([403, kim.commands.accept.why]);
    expect((await s.call('POST', `/v1/handoffs/${id}/accept`, { token: t.lee, body: {} })).status).toBe(200);
    const accepted = await commandsOf(id, t.lee);
    expect(accepted.state).toBe('accepted');
    expect(allowed(accepted)).toEqual(['return', 'reassign', 'complete', 'cancel', 'rollback']);
    expect(accepted.commands.accept.why).toMatch(/Cannot accept: the handoff is accepted/);
  });

  it('lists failed actions to resolve, and retry for a failed handoff', async () => {
    const id = await s.send({ id: 'B1' }, 'broken');
    const c = await commandsOf(id, t.kim);
    expect(c.state).toBe('failed');
    expect(c.commands.retry).toEqual({ allowed: true });
    expect(c.resolve).toEqual([{ action: 'call', state: 'failed', allowed: true }]);
    const lee = await commandsOf(id, t.lee);
    expect(lee.resolve[0]).toMatchObject({
      allowed: false,
      why: expect.stringMatching(/belongs to user:kim/),
    });
  });

  it('says who may vote on a pending approval: not the requester, not an access level', async () => {
    const id = await s.send(bigLead('W2', { submittedBy: 'kim' }));
    const sam = await commandsOf(id, t.sam);
    expect(sam.votes).toEqual([{ approval: expect.stringMatching(/^apr_/), allowed: true }]);
    expect((await commandsOf(id, t.kim)).votes[0]!.why).toMatch(/no self-approval/);
    expect((await commandsOf(id, t.ops)).votes[0]!.why).toMatch(/not an approver/);
  });

  it('answers 404 for a handoff that does not exist', async () => {
    expect((await s.call('GET', '/v1/handoffs/h_nope/commands', { token: t.lee })).status).toBe(404);
  });
});

describe('what waits for a person', () => {
  it('shows approvals to decide and work to accept, each with the owner it came through', async () => {
    const big = await s.send(bigLead('W3', { submittedBy: 'kim' }));
    const small = await s.send(lead('W4', 2000));
    const get = async (token?: string) => {
      const r = await s.call('GET', '/v1/inbox/waiting', token ? { token } : {});
      expect(r.status, r.text).toBe(200);
      expect(waitingList.safeParse(r.body).error).toBeUndefined();
      return r.body as z.infer<typeof waitingList>;
    };
    const sam = await get(t.sam);
    expect(sam.user).toBe('sam');
    // sam manages the sales teams: their work is sam's to act on too.
    expect(sam.owners).toEqual([
      'user:sam',
      'team:marketing',
      'team:enterprise-sales',
      'team:smb-sales',
      'team:sales-ops',
      'role:sales-manager',
    ]);
    const mine = sam.approvals.find((a) => a.handoffId === big)!;
    expect(mine).toMatchObject({ as: 'role:sales-manager', needed: 1, others: [], actionId: 'quote' });
    expect(mine.params).toMatchObject({ subject: 'Your quote, Big' });
    // The requester is not asked to approve their own request.
    const kim = await get(t.kim);
    expect(kim.approvals.filter((a) => a.handoffId === big)).toEqual([]);

    const lee = await get(t.lee);
    expect(lee.owners).toEqual(['user:lee', 'team:smb-sales']);
    expect(lee.handoffs.find((h) => h.id === small)).toMatchObject({
      as: 'team:smb-sales',
      state: 'handed_off',
    });
    expect(lee.approvals).toEqual([]);

    // Once sam approved, it waits for sam no more.
    const vote = await s.call('POST', `/v1/approvals/${mine.id}`, {
      token: t.sam,
      body: { decision: 'approve' },
    });
    expect(vote.status).toBe(200);
    expect((await get(t.sam)).approvals.find((a) => a.id === mine.id)).toBeUndefined();

    expect(await get()).toEqual({ user: null, owners: [], approvals: [], handoffs: [] });
  });
});

describe('what waits for a stand-in', () => {
  it('lists the absent person’s approvals and work for their delegate, saying for whom', async () => {
    const yaml =
      readFileSync(path.join(EXAMPLES, 'baton.yaml'), 'utf8') +
      '\ndelegations:\n  - { from: ari, to: tom, until: 2099-12-31, flows: [invoice-approval] }\n' +
      '  - { from: kim, to: priya, until: 2099-12-31 }\n';
    const d = await startTemp({}, { 'baton.yaml': yaml });
    try {
      const tom = await d.token('tom', 'viewer');
      const priya = await d.token('priya', 'viewer');
      const inv = await d.send(invoice('INV-W1'), 'invoice-approval');
      const w = (await d.call('GET', '/v1/inbox/waiting', { token: tom })).body as z.infer<
        typeof waitingList
      >;
      expect(w.approvals.find((a) => a.handoffId === inv)).toMatchObject({
        as: 'role:finance-manager',
        for: 'ari',
        needed: 1,
        others: ['ari', 'noor', 'jules'],
      });
      // kim's own account: a lead for acme.com goes to kim; priya stands in for her.
      const kims = await d.send({ id: 'L-W1', company: 'Acme', email: 'jo@acme.com' });
      const p = (await d.call('GET', '/v1/inbox/waiting', { token: priya })).body as z.infer<
        typeof waitingList
      >;
      expect(p.handoffs.find((h) => h.id === kims)).toMatchObject({ as: 'user:kim', for: 'kim' });
      const c = (await d.call('GET', `/v1/handoffs/${kims}/commands`, { token: priya })).body as z.infer<
        typeof handoffCommands
      >;
      expect(c.commands.accept).toEqual({ allowed: true });
    } finally {
      await d.close();
    }
  });
});
