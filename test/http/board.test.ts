// GET /v1/board and the board's list filters on GET /v1/handoffs, on the example project.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTemp, type TempServer } from './helpers.ts';

let s: TempServer;
const ids: Record<string, string> = {};

beforeAll(async () => {
  s = await startTemp();
  ids.acme = await s.send({ id: 'L1', company: 'Acme', email: 'jo@acme.com' }); // user:kim (account)
  ids.big = await s.send({ id: 'L2', company: 'Big', email: 'x@big.io', amount: 9000 }); // team:enterprise-sales
  ids.small = await s.send({ id: 'L3', company: 'Tiny', email: 'a@tiny.io', amount: 100 }); // team:smb-sales
  // Without the fields engineering needs, a ticket escalates back to support (contract_unmet).
  ids.ticket = await s.send({ id: 'T-1', severity: 'sev3' }, 'support-escalation');
  ids.done = await s.send({ id: 'L4', company: 'Globex', email: 'b@globex.com' }); // user:lee
  const admin = await s.token('dana', 'admin');
  const c = await s.call('POST', `/v1/handoffs/${ids.done}/cancel`, { token: admin, body: {} });
  if (c.status !== 200) throw new Error(`cancel failed: ${c.text}`);
});
afterAll(async () => {
  await s.close();
});

describe('GET /v1/board', () => {
  it('gives a column per owner of open work, with names, and the queue counts', async () => {
    const r = await s.call('GET', '/v1/board');
    expect(r.status).toBe(200);
    const cols = Object.fromEntries(
      (r.body.columns as Array<{ owner: string; oldestSince: string }>).map((c) => [c.owner, c]),
    );
    expect(Object.keys(cols).sort()).toEqual([
      'team:enterprise-sales',
      'team:smb-sales',
      'team:support',
      'user:kim',
    ]);
    expect(cols['user:kim']).toMatchObject({ name: 'Kim Park', open: 1, breached: 0 });
    expect(cols['team:support']).toMatchObject({ name: 'Support', open: 1 });
    expect(Date.parse(cols['user:kim']!.oldestSince)).toBeLessThanOrEqual(Date.now());
    expect(r.body.queues).toEqual({ unassigned: 0, escalated: 1, failed: 0, outcome_unknown: 0 });
    expect(r.body).toMatchObject({ open: 4, breached: 0 });
  });

  it("brings each column's first cards and the cursor to page on, with cards=N", async () => {
    const extra = await s.send({ id: 'L5', company: 'Initech', email: 'c@initech.com' }); // user:kim
    const r = await s.call('GET', '/v1/board?cards=1');
    expect(r.status).toBe(200);
    const kim = r.body.columns.find((c: { owner: string }) => c.owner === 'user:kim');
    expect(kim.open).toBe(2);
    expect(kim.cards.map((h: { id: string }) => h.id)).toEqual([extra]);
    expect(kim.cards[0]).toMatchObject({ subject: 'Initech', state: 'handed_off' });
    expect(kim.cards[0].slaDueAt).toBeDefined();
    // The cursor goes on where the first card ends, as GET /v1/handoffs pages.
    const next = await s.call(
      'GET',
      `/v1/handoffs?owner=user:kim&open=true&limit=5&cursor=${kim.nextCursor}`,
    );
    expect(next.body.items.map((h: { id: string }) => h.id)).toEqual([ids.acme]);
    const support = r.body.columns.find((c: { owner: string }) => c.owner === 'team:support');
    expect(support.nextCursor).toBeNull();
    // Without cards: counts only.
    const plain = await s.call('GET', '/v1/board');
    expect(plain.body.columns[0].cards).toBeUndefined();
    expect((await s.call('GET', '/v1/board?cards=101')).status).toBe(422);
    const admin = await s.token('dana', 'admin');
    expect((await s.call('POST', `/v1/handoffs/${extra}/cancel`, { token: admin, body: {} })).status).toBe(
      200,
    );
  });

  it('filters by flow, boundary, state and owner', async () => {
    const owners = async (q: string) =>
      ((await s.call('GET', `/v1/board?${q}`)).body.columns as Array<{ owner: string }>).map((c) => c.owner);
    expect(await owners('flow=support-escalation')).toEqual(['team:support']);
    expect(await owners(`boundary=${encodeURIComponent('team:support->team:eng-tier2')}`)).toEqual([
      'team:support',
    ]);
    expect(await owners('state=escalated')).toEqual(['team:support']);
    expect(await owners('owner=user:kim')).toEqual(['user:kim']);
    expect(await owners('owner=user:lee')).toEqual([]);
  });

  it('names the field of a bad filter with 422', async () => {
    for (const [q, path] of [
      ['boundary=team:a', 'boundary'],
      ['state=sleeping', 'state'],
      ['owner=kim', 'owner'],
      ['colour=red', ''],
    ] as const) {
      const r = await s.call('GET', `/v1/board?${q}`);
      expect(r.status, q).toBe(422);
      if (path) expect(r.body.error.details[0].path, q).toBe(path);
    }
  });

  it('counts only the flows a scoped token reaches', async () => {
    const { token } = await s.baton.createToken('mia', 'viewer', {
      scope: { flows: ['support-escalation'] },
    });
    const r = await s.call('GET', '/v1/board', { token });
    expect(r.status).toBe(200);
    expect(r.body.columns.map((c: { owner: string }) => c.owner)).toEqual(['team:support']);
    expect(r.body.open).toBe(1);
  });
});

describe("GET /v1/handoffs with the board's filters", () => {
  const list = async (q: string) =>
    (await s.call('GET', `/v1/handoffs?${q}`)).body.items as Array<Record<string, string>>;

  it("lists a column's open handoffs with a subject and the SLA's due time", async () => {
    const [kim, ...rest] = await list('owner=user:kim&open=true');
    expect(rest).toEqual([]);
    expect(kim).toMatchObject({ id: ids.acme, subject: 'Acme', state: 'handed_off' });
    // lead-to-owner: acceptWithin 15m from the hand-off.
    expect(Date.parse(kim!.slaDueAt!) - Date.parse(kim!.handedOffAt!)).toBe(15 * 60_000);
    expect((await list('owner=user:lee&open=true')).map((h) => h.id)).toEqual([]);
    expect((await list('owner=user:lee')).map((h) => h.id)).toEqual([ids.done]);
    expect((await list('owner=team:enterprise-sales&open=true'))[0]).toMatchObject({
      subject: 'Big · 9,000',
    });
  });

  it('lists a queue, and a boundary', async () => {
    expect((await list('queue=escalated')).map((h) => h.id)).toEqual([ids.ticket]);
    expect(await list('queue=failed')).toEqual([]);
    expect((await list('queue=unassigned')).map((h) => h.id)).toEqual([]);
    const b = await list(`boundary=${encodeURIComponent('team:support->team:eng-tier2')}`);
    expect(b.map((h) => h.id)).toEqual([ids.ticket]);
    expect(b[0]).toMatchObject({ subject: 'sev3' });
    const bad = await s.call('GET', '/v1/handoffs?queue=lost');
    expect(bad.status).toBe(422);
    expect(bad.body.error.details[0].path).toBe('queue');
  });
});
