import { readFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { EXAMPLES } from '../support/project.ts';
import { handoffView, handoffPage } from '../../src/server/schemas.ts';
import { startTemp, waitFor, type TempServer } from './helpers.ts';

let s: TempServer | undefined;
afterEach(async () => {
  await s?.close();
  s = undefined;
});

const lead = (id: string, extra: Record<string, unknown> = {}) => ({
  id,
  company: 'Acme',
  email: 'jo@acme.com',
  ...extra,
});

describe('intake and reading handoffs over HTTP', () => {
  it('accepts with 202, then the worker hands the lead to its account owner', async () => {
    s = await startTemp();
    const r = await s.call('POST', '/v1/flows/lead-to-owner/handoffs', { body: lead('L1') });
    expect(r.status).toBe(202);
    expect(r.body).toEqual({ id: expect.stringMatching(/^h_/), state: 'received', created: true });
    expect(r.headers.get('location')).toBe(`/v1/handoffs/${r.body.id}`);

    let h = (await s.call('GET', `/v1/handoffs/${r.body.id}`)).body;
    await waitFor(async () => {
      h = (await s!.call('GET', `/v1/handoffs/${r.body.id}`)).body;
      return h.state === 'handed_off';
    });
    // The full SPEC §5 shape, and exactly what the OpenAPI document promises.
    expect(handoffView.strict().safeParse(h).error).toBeUndefined();
    // Every time is an ISO string, event data included: no number that reads as epoch milliseconds.
    const epochs: string[] = [];
    const walk = (v: unknown, at: string): void => {
      if (typeof v === 'number' && v > 1e12) epochs.push(at);
      else if (v !== null && typeof v === 'object')
        for (const [k, x] of Object.entries(v)) walk(x, `${at}.${k}`);
    };
    walk(h, 'handoff');
    expect(epochs).toEqual([]);
    expect(h.events.find((e: { type: string }) => e.type === 'context_built').data.sources[0].at).toMatch(
      /^\d{4}-\d\d-\d\dT/,
    );
    expect(h).toMatchObject({
      id: r.body.id,
      flow: 'lead-to-owner',
      flowVersion: expect.stringMatching(/^[0-9a-f]{64}$/),
      state: 'handed_off',
      owner: 'user:kim',
      input: lead('L1'),
      context: { account: expect.objectContaining({ owner: 'kim' }) },
      decision: expect.objectContaining({ owner: 'user:kim', by: 'rule' }),
      approvals: [],
    });
    expect(h.actions.map((a: { id: string; use: string; state: string }) => [a.id, a.use, a.state])).toEqual([
      ['task', 'builtin.create_task', 'succeeded'],
      ['tell', 'builtin.notify_owner', 'succeeded'],
    ]);
    expect(h.actions[0].idempotencyKey).toEqual(expect.any(String));
    expect(h.ledger.map((l: { owner: string; status: string }) => [l.owner, l.status])).toEqual([
      ['agent:lead-to-owner', 'released'],
      ['user:kim', 'pending'],
    ]);
    expect(h.events[0]).toMatchObject({
      seq: 1,
      type: 'received',
      actor: { kind: 'system', id: 'anonymous', via: 'api' },
    });
  });

  it('records token intake as the token user', async () => {
    s = await startTemp();
    const token = await s.token('ops', 'intake');
    const r = await s.call('POST', '/v1/flows/lead-to-owner/handoffs', { body: lead('T1'), token });
    expect(r.status).toBe(202);
    const h = (await s.call('GET', `/v1/handoffs/${r.body.id}`)).body;
    expect(h.events[0].actor).toEqual({ kind: 'user', id: 'ops', via: 'api' });
  });

  it('returns the same handoff for the same idempotency key, also under 20 concurrent duplicates', async () => {
    s = await startTemp();
    const first = await s.call('POST', '/v1/flows/lead-to-owner/handoffs', { body: lead('D1') });
    const again = await s.call('POST', '/v1/flows/lead-to-owner/handoffs', { body: lead('D1') });
    expect(again.status).toBe(202);
    expect(again.body).toMatchObject({ id: first.body.id, created: false });
    // The same key with other data is not silently the old handoff.
    const changed = await s.call('POST', '/v1/flows/lead-to-owner/handoffs', {
      body: lead('D1', { company: 'Changed' }),
    });
    expect(changed.status).toBe(409);
    expect(changed.body.error.code).toBe('idempotency_conflict');
    expect(changed.body.error.message).toContain(first.body.id);

    const burst = await Promise.all(
      Array.from({ length: 20 }, () =>
        s!.call('POST', '/v1/flows/lead-to-owner/handoffs', { body: lead('D2') }),
      ),
    );
    expect(burst.map((r) => r.status)).toEqual(Array(20).fill(202));
    expect(new Set(burst.map((r) => r.body.id)).size).toBe(1);
    expect(burst.filter((r) => r.body.created).length).toBe(1);
    const page = await s.call('GET', '/v1/handoffs?flow=lead-to-owner');
    expect(page.body.items).toHaveLength(2);
  });

  it('rejects an input that does not match the flow, naming the fields', async () => {
    s = await startTemp();
    const r = await s.call('POST', '/v1/flows/lead-to-owner/handoffs', { body: { id: 'X', amount: 'big' } });
    expect(r.status).toBe(422);
    expect(r.body.error.code).toBe('validation_failed');
    const paths = r.body.error.details.map((d: { path: string }) => d.path);
    expect(paths).toEqual(expect.arrayContaining(['input.company', 'input.email', 'input.amount']));
    const unknown = await s.call('POST', '/v1/flows/no-such-flow/handoffs', { body: lead('X') });
    expect(unknown.status).toBe(404);
    expect(unknown.body.error.code).toBe('not_found');
  });

  it('lists with filters and pages with a cursor', async () => {
    s = await startTemp();
    const kim: string[] = [];
    for (let i = 0; i < 5; i++) kim.push(await s.send(lead(`K${i}`)));
    const lee = await s.send({ id: 'G1', company: 'Globex', email: 'a@globex.com' });
    const big = await s.send({ id: 'B1', company: 'Big', email: 'x@big.io', amount: 90000 });

    const all = await s.call('GET', '/v1/handoffs');
    expect(handoffPage.safeParse(all.body).error).toBeUndefined();
    expect(all.body.items).toHaveLength(7);
    expect(all.body.nextCursor).toBeNull();
    expect(all.body.items[0].id).toBe(big); // newest first

    const byOwner = await s.call('GET', '/v1/handoffs?owner=user:lee');
    expect(byOwner.body.items.map((h: { id: string }) => h.id)).toEqual([lee]);
    const waiting = await s.call('GET', '/v1/handoffs?state=awaiting_approval');
    expect(waiting.body.items.map((h: { id: string }) => h.id)).toEqual([big]);
    const breached = await s.call('GET', '/v1/handoffs?breached=true');
    expect(breached.body.items).toEqual([]);
    const recent = await s.call('GET', '/v1/handoffs?since=1h&breached=false&flow=lead-to-owner');
    expect(recent.body.items).toHaveLength(7);
    const future = await s.call('GET', `/v1/handoffs?since=${new Date(Date.now() + 60_000).toISOString()}`);
    expect(future.body.items).toEqual([]);
    const otherFlow = await s.call('GET', '/v1/handoffs?flow=invoice-approval');
    expect(otherFlow.body.items).toEqual([]);

    const seen: string[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const q: string = `/v1/handoffs?owner=user:kim&limit=2${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`;
      const page = await s.call('GET', q);
      expect(page.status).toBe(200);
      expect(page.body.items.length).toBeLessThanOrEqual(2);
      seen.push(...page.body.items.map((h: { id: string }) => h.id));
      cursor = page.body.nextCursor;
      pages++;
    } while (cursor);
    expect(pages).toBe(3);
    expect(seen.sort()).toEqual([...kim].sort());
  });

  it('validates list queries with field paths', async () => {
    s = await startTemp();
    const r = await s.call(
      'GET',
      '/v1/handoffs?limit=5000&state=nope&since=yesterday&breached=maybe&owner=kim',
    );
    expect(r.status).toBe(422);
    const byPath = Object.fromEntries(
      r.body.error.details.map((d: { path: string; message: string }) => [d.path, d.message]),
    );
    expect(Object.keys(byPath).sort()).toEqual(['breached', 'limit', 'owner', 'since', 'state']);
    expect(byPath.limit).toMatch(/1000/);
    for (const q of [
      'limit=0',
      'limit=abc',
      'limit=1e400',
      'limit=99999999999999999999999',
      'cursor=garbage',
      'x=1',
    ]) {
      const bad = await s.call('GET', `/v1/handoffs?${q}`);
      expect([q, bad.status, bad.body.error.details[0].path]).toEqual([q, 422, q.split('=')[0]]);
    }
    const repeated = await s.call('GET', '/v1/handoffs?state=received&state=failed');
    expect(repeated.status).toBe(422);
  });

  it('answers 404 JSON for an unknown handoff', async () => {
    s = await startTemp();
    const r = await s.call('GET', '/v1/handoffs/h_nope');
    expect(r.status).toBe(404);
    expect(r.body.error).toMatchObject({ code: 'not_found', details: [] });
    const long = await s.call('GET', `/v1/handoffs/${'x'.repeat(2000)}`);
    expect(long.status).toBe(404);
  });

  it('refuses webhook intake for a flow whose only trigger is manual; a person may still send', async () => {
    const manual = readFileSync(path.join(EXAMPLES, 'flows/lead-to-owner.yaml'), 'utf8')
      .replace('id: lead-to-owner', 'id: desk-leads')
      .replace(/trigger: \{ webhook: \{\} \}.*/, 'trigger: { manual: {} }');
    s = await startTemp({}, { 'flows/desk-leads.yaml': manual });
    const refused = await s.call('POST', '/v1/flows/desk-leads/handoffs', { body: lead('D1') });
    expect(refused.status).toBe(409);
    expect(refused.body.error.code).toBe('trigger_not_enabled');
    expect(refused.body.error.message).toContain('flow desk-leads does not take webhook intake');
    expect(refused.body.error.message).toContain('its triggers: manual');
    expect(refused.body.error.details).toEqual([{ path: 'trigger', message: 'webhook is not among manual' }]);
    expect((await s.call('GET', '/v1/handoffs?flow=desk-leads')).body.items).toEqual([]);

    // Saying "manual" is not enough: a person's token must say who.
    const anonymous = await s.call('POST', '/v1/flows/desk-leads/handoffs?trigger=manual', {
      body: lead('D1'),
    });
    expect([anonymous.status, anonymous.body.error.code]).toEqual([401, 'unauthorized']);
    expect((await s.call('GET', '/v1/handoffs?flow=desk-leads')).body.items).toEqual([]);
    const byPerson = await s.call('POST', '/v1/flows/desk-leads/handoffs?trigger=manual', {
      body: lead('D1'),
      token: await s.token('kim', 'intake'),
    });
    expect(byPerson.status).toBe(202);
    // A webhook flow takes both.
    expect((await s.call('POST', '/v1/flows/lead-to-owner/handoffs', { body: lead('W1') })).status).toBe(202);
    expect(
      (
        await s.call('POST', '/v1/flows/lead-to-owner/handoffs?trigger=manual', {
          body: lead('W2'),
          token: await s.token('lee', 'intake'),
        })
      ).status,
    ).toBe(202);
    const bad = await s.call('POST', '/v1/flows/desk-leads/handoffs?trigger=mail', { body: lead('D2') });
    expect([bad.status, bad.body.error.details[0].path]).toEqual([422, 'trigger']);
  });

  it("finds a handoff by its flow's idempotency key: the id the sender used", async () => {
    s = await startTemp();
    const id = await s.send(lead('L-1'));
    const slashed = await s.send(lead('crm/42 ü'));
    const r = await s.call('GET', '/v1/flows/lead-to-owner/handoffs/L-1');
    expect(r.status).toBe(200);
    expect(handoffView.strict().safeParse(r.body).error).toBeUndefined();
    expect(r.body).toMatchObject({ id, idempotencyKey: 'L-1', owner: 'user:kim' });
    const bySlash = await s.call('GET', `/v1/flows/lead-to-owner/handoffs/${encodeURIComponent('crm/42 ü')}`);
    expect([bySlash.status, bySlash.body.id]).toEqual([200, slashed]);

    const missing = await s.call('GET', '/v1/flows/lead-to-owner/handoffs/L-2');
    expect(missing.status).toBe(404);
    expect(missing.body.error.message).toBe('flow lead-to-owner has no handoff with idempotency key L-2');
    // The key is the flow's: another flow's handoff with that key is not found.
    expect((await s.call('GET', '/v1/flows/support-escalation/handoffs/L-1')).status).toBe(404);

    const scoped = (await s.baton.createToken('ops', 'viewer', { scope: { flows: ['invoice-approval'] } }))
      .token;
    const outside = await s.call('GET', '/v1/flows/lead-to-owner/handoffs/L-1', { token: scoped });
    expect(outside.status).toBe(403);
    const doc = (await s.call('GET', '/v1/openapi.json')).body;
    expect(doc.paths['/v1/flows/{flow}/handoffs/{key}'].get.responses['200']).toBeDefined();
  });
});
