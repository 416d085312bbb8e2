// docs/http.md: every command's `comment` is kept in the command's event — accept, rollback and
// retry included (they were once documented as accepting a comment without recording it).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTemp, type TempServer } from './helpers.ts';

let t: TempServer;
beforeAll(async () => {
  t = await startTemp();
});
afterAll(() => t.close());

describe('command comments', () => {
  it('accept and rollback record their comment in their event', async () => {
    const id = await t.send({ id: 'C-1', company: 'Acme', email: 'jo@acme.com' });
    const kim = await t.token('kim', 'operator');
    const accepted = await t.call('POST', `/v1/handoffs/${id}/accept`, {
      token: kim,
      body: { comment: 'calling them today' },
    });
    expect(accepted.status).toBe(200);
    const rolled = await t.call('POST', `/v1/handoffs/${id}/rollback`, {
      token: kim,
      body: { comment: 'sent to the wrong team' },
    });
    expect(rolled.status).toBe(200);
    const events = (await t.call('GET', `/v1/handoffs/${id}`)).body.events as Array<{
      type: string;
      data: Record<string, unknown>;
    }>;
    expect(events.find((e) => e.type === 'accepted')?.data.comment).toBe('calling them today');
    expect(events.find((e) => e.type === 'rolled_back')?.data.comment).toBe('sent to the wrong team');
  });
});
