import { afterEach, describe, expect, it } from 'vitest';
import { bigLead } from '../support/project.ts';
import { approvalList, decideResponse } from '../../src/server/schemas.ts';
import { startTemp, waitFor, type TempServer } from './helpers.ts';

let s: TempServer | undefined;
afterEach(async () => {
  await s?.close();
  s = undefined;
});

describe('approvals over HTTP', () => {
  it('gates the 90k quote behind a sales manager; the right comes from the flow, not the token', async () => {
    s = await startTemp();
    const id = await s.send(bigLead('P1', { submittedBy: 'kim' }));
    const h = (await s.call('GET', `/v1/handoffs/${id}`)).body;
    expect(h).toMatchObject({ state: 'awaiting_approval', owner: 'agent:lead-to-owner' });

    const pending = await s.call('GET', '/v1/approvals?state=pending');
    expect(pending.status).toBe(200);
    expect(approvalList.safeParse(pending.body).error).toBeUndefined();
    expect(pending.body.items).toHaveLength(1);
    const apr = pending.body.items[0];
    expect(apr).toMatchObject({
      handoffId: id,
      kind: 'action',
      actionId: 'quote',
      state: 'pending',
      requester: 'kim',
      levels: [{ approvers: ['role:sales-manager'], quorum: 1 }],
    });

    const admin = await s.token('dana', 'admin');
    const kim = await s.token('kim', 'viewer');
    const sam = await s.token('sam', 'viewer');
    const samIntake = await s.token('sam', 'intake');
    // Admin access is not an approver's right; nor is being the requester.
    expect(
      (await s.call('POST', `/v1/approvals/${apr.id}`, { token: admin, body: { decision: 'approve' } }))
        .status,
    ).toBe(403);
    expect(
      (await s.call('POST', `/v1/approvals/${apr.id}`, { token: kim, body: { decision: 'approve' } })).status,
    ).toBe(403);
    expect(
      (await s.call('POST', `/v1/approvals/${apr.id}`, { token: samIntake, body: { decision: 'approve' } }))
        .status,
    ).toBe(403);

    const noDecision = await s.call('POST', `/v1/approvals/${apr.id}`, {
      token: sam,
      body: { comment: 'ok' },
    });
    expect(noDecision.status).toBe(422);
    expect(noDecision.body.error.details).toEqual([{ path: 'decision', message: 'is required' }]);
    const badEdit = await s.call('POST', `/v1/approvals/${apr.id}`, {
      token: sam,
      body: { decision: 'approve', edits: { owner: 'nobody' } },
    });
    expect(badEdit.status).toBe(422);
    expect(badEdit.body.error.details[0].path).toBe('edits.owner');

    // The handoff id names its one pending approval.
    const ok = await s.call('POST', `/v1/approvals/${id}`, {
      token: sam,
      body: { decision: 'approve', comment: 'fine' },
    });
    expect(ok.status).toBe(200);
    expect(decideResponse.safeParse(ok.body).error).toBeUndefined();
    expect(ok.body.approval).toMatchObject({
      id: apr.id,
      state: 'approved',
      decidedBy: { label: 'human', user: 'sam', via: 'api' },
    });

    const twice = await s.call('POST', `/v1/approvals/${apr.id}`, {
      token: sam,
      body: { decision: 'reject' },
    });
    expect(twice.status).toBe(409);
    expect(twice.body.error.code).toBe('already_decided');

    await waitFor(async () => (await s!.call('GET', `/v1/handoffs/${id}`)).body.state === 'handed_off');
    const after = (await s.call('GET', `/v1/handoffs/${id}`)).body;
    expect(after.owner).toBe('team:enterprise-sales');
    expect(after.actions.find((a: { id: string }) => a.id === 'quote').state).toBe('succeeded');
    expect((await s.call('GET', '/v1/approvals?state=pending')).body.items).toEqual([]);
    expect((await s.call('GET', `/v1/approvals?state=approved&handoff=${id}`)).body.items).toHaveLength(1);
    expect((await s.call('GET', '/v1/approvals?state=maybe')).status).toBe(422);
  });

  it('numbers levels the same way in messages and events: level N of M from 1, events levelNumber beside the index', async () => {
    s = await startTemp();
    const id = await s.send(
      {
        id: 'INV-L',
        vendor: 'contoso',
        amount: 150000,
        currency: 'USD',
        dueDate: '2025-09-01',
        requestedBy: 'ari',
      },
      'invoice-approval',
    );
    const apr = (await s.call('GET', `/v1/approvals?handoff=${id}`)).body.items[0];
    expect(apr.levels.map((l: { name: string }) => l.name)).toEqual(['two finance managers', 'CFO']);
    const vote = async (user: string) =>
      s!.call('POST', `/v1/approvals/${apr.id}`, {
        token: await s!.token(user, 'viewer'),
        body: { decision: 'approve' },
      });
    expect((await vote('noor')).status).toBe(200);
    const twice = await vote('noor');
    expect(twice.status).toBe(409);
    expect(twice.body.error.message).toContain('at level 1 of 2 (two finance managers)');
    expect((await vote('jules')).body.approval.level).toBe(1);
    const wrong = await vote('noor');
    expect(wrong.status).toBe(403);
    expect(wrong.body.error.message).toContain('at level 2 of 2 (CFO)');
    const inbox = (await s.call('GET', '/v1/inbox?owner=dana')).body.items;
    expect(inbox.map((m: { text: string }) => m.text)).toContainEqual(
      expect.stringContaining('Approval needed at level 2 of 2 (CFO): '),
    );
    const h = (await s.call('GET', `/v1/handoffs/${id}`)).body;
    const votes = h.events.filter((e: { type: string }) => e.type === 'approval_vote');
    expect(votes.map((e: { data: object }) => e.data)).toEqual([
      expect.objectContaining({ decision: 'approve', level: 0, levelNumber: 1 }),
      expect.objectContaining({ decision: 'approve', level: 0, levelNumber: 1 }),
    ]);
  });

  it('no self-approval: when the submitter is the only sales manager, nobody can approve, so it escalates at once', async () => {
    s = await startTemp();
    const id = await s.send(bigLead('P2', { submittedBy: 'sam' }));
    await waitFor(async () => (await s!.call('GET', `/v1/handoffs/${id}`)).body.state === 'escalated');
    const h = (await s.call('GET', `/v1/handoffs/${id}`)).body;
    expect(h.approvals).toEqual([]);
    expect(h.actions.find((a: { id: string }) => a.id === 'quote')).toMatchObject({ state: 'skipped' });
    const escalated = h.events.find((e: { type: string }) => e.type === 'escalated');
    expect(escalated.data).toMatchObject({
      reason: 'approval_unreachable',
      action: 'quote',
      quorum: 1,
      approvers: ['role:sales-manager'],
      possibleVoters: [],
      requesters: ['sam'],
    });
    const sam = await s.token('sam', 'viewer');
    const r = await s.call('POST', `/v1/approvals/${id}`, { token: sam, body: { decision: 'approve' } });
    expect(r.status).toBe(404);
    const prom = (await s.call('GET', '/metrics')).text;
    expect(prom).toContain('baton_escalations_total{flow="lead-to-owner",reason="approval_unreachable"} 1');
  });

  it('rejects: the flow goes on without the quote (onReject: skip)', async () => {
    s = await startTemp();
    const id = await s.send(bigLead('P3'));
    const sam = await s.token('sam', 'viewer');
    const r = await s.call('POST', `/v1/approvals/${id}`, {
      token: sam,
      body: { decision: 'reject', comment: 'price too low' },
    });
    expect(r.status).toBe(200);
    expect(r.body.approval).toMatchObject({ state: 'rejected', comment: 'price too low' });
    await waitFor(async () => (await s!.call('GET', `/v1/handoffs/${id}`)).body.state === 'handed_off');
    const h = (await s.call('GET', `/v1/handoffs/${id}`)).body;
    expect(h.actions.find((a: { id: string }) => a.id === 'quote').state).toBe('skipped');
    const late = await s.call('POST', `/v1/approvals/${r.body.approval.id}`, {
      token: sam,
      body: { decision: 'approve' },
    });
    expect(late.status).toBe(409);
    expect(late.body.error.code).toBe('already_decided');
    const none = await s.call('POST', '/v1/approvals/apr_nope', {
      token: sam,
      body: { decision: 'approve' },
    });
    expect(none.status).toBe(404);
  });
});
