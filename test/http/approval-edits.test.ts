// An approver's edits over HTTP: 422 with the field for invalid ones, an override that may add a
// policy level, and the action runs with the edited parameters once every level approved.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { payoutFiles, transfers } from '../support/payout-flow.ts';
import { startTemp, waitFor, type TempServer } from './helpers.ts';

let s: TempServer | undefined;
beforeEach(() => {
  transfers().length = 0;
});
afterEach(async () => {
  await s?.close();
  s = undefined;
});

describe('approving with edits over HTTP', () => {
  it('validates the edits, records the override, asks the CFO, then runs the edited action', async () => {
    s = await startTemp({}, payoutFiles());
    const ari = await s.token('ari', 'viewer');
    const dana = await s.token('dana', 'viewer');
    const id = await s.send({ id: 'H1', amount: 4000, requestedBy: 'olga' }, 'payout');
    const post = (token: string, body: unknown) => s!.call('POST', `/v1/approvals/${id}`, { token, body });

    const bad = await post(ari, { decision: 'approve', edits: { params: { amount: -5 } } });
    expect([bad.status, bad.body.error.code]).toEqual([422, 'validation_failed']);
    expect(bad.body.error.details).toEqual([{ path: 'edits.params.amount', message: expect.any(String) }]);
    const notObject = await post(ari, { decision: 'approve', edits: { params: 'more' } });
    expect(notObject.status).toBe(422);

    const edited = await post(ari, {
      decision: 'approve',
      comment: 'with fees',
      edits: { params: { amount: 11000 } },
    });
    expect(edited.status).toBe(200);
    expect(edited.body.approval).toMatchObject({
      state: 'pending',
      level: 1,
      params: { amount: 11000 },
      overrides: [{ by: 'ari', previous: { amount: 4000 }, params: { amount: 11000 } }],
    });
    const view = (await s.call('GET', `/v1/handoffs/${id}`)).body;
    expect(view.actions[0].params.amount).toBe(11000);
    expect(view.events.map((e: { type: string }) => e.type)).toContain('overridden');

    const done = await post(dana, { decision: 'approve' });
    expect(done.body.approval.state).toBe('approved');
    await waitFor(async () => (await s!.call('GET', `/v1/handoffs/${id}`)).body.state === 'handed_off');
    expect(transfers()).toEqual([{ amount: 11000, to: 'acct-H1' }]);
  });
});
