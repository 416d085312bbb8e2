// Access levels and token scopes over HTTP. The level test is table-driven over the OpenAPI
// document, which is generated from the route registry: a route added later is covered too.
import { afterEach, describe, expect, it } from 'vitest';
import type { AccessLevel } from '../../src/core/project-schema.ts';
import { createToken } from '../../src/service/tokens.ts';
import { startTemp, type TempServer } from './helpers.ts';
import { invoice } from '../support/project.ts';

let s: TempServer | undefined;
afterEach(async () => {
  await s?.close();
  s = undefined;
});

const LEVELS: AccessLevel[] = ['intake', 'viewer', 'operator', 'admin'];
/** Which token levels each route access admits (tokens.ts `hasAccess`). */
const ADMITS: Record<string, AccessLevel[]> = {
  intake: ['intake', 'operator', 'admin'],
  read: ['viewer', 'operator', 'admin'],
  act: ['viewer', 'operator', 'admin'],
  amend: ['intake', 'viewer', 'operator', 'admin'],
  operate: ['operator', 'admin'],
  admin: ['admin'],
};

interface Op {
  method: string;
  path: string;
  access: string;
  scoped: boolean;
}

/**
 * Routes that take no bearer token: Slack's requests (the Slack signature), vendors' webhooks
 * (the vendor's signature) and email link pages (the link's token). Their refusals are tested in test/channels/.
 */
const CHANNEL_AUTH = new Set(['slack-signature', 'link-token', 'vendor-signature']);

async function operations(t: TempServer): Promise<Op[]> {
  const doc = (await t.call('GET', '/v1/openapi.json')).body as {
    paths: Record<string, Record<string, { 'x-baton-access': string; 'x-baton-scoped': boolean }>>;
  };
  const out: Op[] = [];
  const channel: string[] = [];
  for (const [path, ops] of Object.entries(doc.paths))
    for (const [method, op] of Object.entries(ops))
      if (CHANNEL_AUTH.has(op['x-baton-access'])) channel.push(`${method.toUpperCase()} ${path}`);
      else
        out.push({
          method: method.toUpperCase(),
          path,
          access: op['x-baton-access'],
          scoped: op['x-baton-scoped'],
        });
  expect(channel.sort()).toEqual([
    'GET /v1/email/links/{token}',
    'HEAD /v1/email/links/{token}',
    'POST /v1/email/links/{token}',
    'POST /v1/intake/slack/events',
    'POST /v1/intake/slack/interactions',
    'POST /v1/intake/{connector}/{flow}',
  ]);
  return out;
}

/** A concrete URL for a documented path (ids need not exist: access is checked before any lookup). */
const concrete = (path: string): string =>
  path
    .replace('{flow}', 'lead-to-owner')
    .replace('{id}', 'h_00000000000000_nobody')
    .replace('{action}', 'quote');

const bodyFor = (op: Op): unknown =>
  op.method === 'POST' ? { id: 'A1', company: 'A', email: 'a@a.io' } : undefined;

describe('access levels on every route', () => {
  it('every state-changing route needs a token of the right level: 401 without, 403 below it', async () => {
    s = await startTemp({ anonymous: [] });
    const ops = await operations(s);
    // Signing in and out of the console are the only public state-changing calls: they take a
    // token (or clear the cookie) and act on nothing.
    const session = ops.filter((o) => o.path === '/v1/session' && o.method !== 'GET');
    expect(session.map((o) => [o.method, o.access])).toEqual([
      ['POST', 'public'],
      ['DELETE', 'public'],
    ]);
    const posts = ops.filter((o) => o.method !== 'GET' && o.path !== '/v1/session');
    // The commands, approvals, intake and shadow-mode routes at least.
    expect(posts.length).toBeGreaterThanOrEqual(12);
    const tokens = Object.fromEntries(
      await Promise.all(LEVELS.map(async (l) => [l, await s!.token('ops', l)] as const)),
    ) as Record<AccessLevel, string>;
    const seen: string[] = [];
    for (const op of posts) {
      expect([op.method, op.path, op.access]).not.toContain('public');
      expect(Object.keys(ADMITS)).toContain(op.access);
      const url = concrete(op.path);
      const body = bodyFor(op);
      const anonymous = await s.call(op.method, url, { body });
      expect([op.path, anonymous.status, anonymous.body?.error?.code]).toEqual([
        op.path,
        401,
        'unauthorized',
      ]);
      for (const level of LEVELS) {
        const r = await s.call(op.method, url, { body, token: tokens[level] });
        const refused = r.status === 403 && /may not/.test(r.body?.error?.message ?? '');
        const admitted = ADMITS[op.access]!.includes(level);
        expect([op.method, op.path, level, refused]).toEqual([op.method, op.path, level, !admitted]);
      }
      seen.push(`${op.method} ${op.path}`);
    }
    expect(seen).toContain('POST /v1/handoffs/{id}/accept');
    expect(seen).toContain('POST /v1/approvals/{id}');
    expect(seen).toContain('POST /v1/flows/{flow}/handoffs');
  });

  it('every read needs a token of the right level too (no anonymous rights configured)', async () => {
    s = await startTemp({ anonymous: [] });
    const intake = await s.token('ops', 'intake');
    for (const op of (await operations(s)).filter((o) => o.method === 'GET' && o.access !== 'public')) {
      const url = concrete(op.path) + (op.path === '/v1/stream' ? '?flow=nope' : '');
      expect([op.path, (await s.call('GET', url)).status]).toEqual([op.path, 401]);
      expect([op.path, (await s.call('GET', url, { token: intake })).status]).toEqual([op.path, 403]);
    }
  });

  it('a viewer reads, acts on its own work and votes where the flow names it; refusals name the level', async () => {
    s = await startTemp();
    const kim = await s.token('kim', 'viewer');
    const lee = await s.token('lee', 'viewer');
    const id = await s.send({ id: 'VW1', company: 'Acme', email: 'jo@acme.com' });
    const intake = await s.call('POST', '/v1/flows/lead-to-owner/handoffs', {
      token: kim,
      body: { id: 'VW2', company: 'Acme', email: 'jo@acme.com' },
    });
    expect([intake.status, intake.body.error.message]).toEqual([
      403,
      'A token with viewer access may not create handoffs',
    ]);
    const cancel = await s.call('POST', `/v1/handoffs/${id}/cancel`, { token: lee, body: {} });
    expect(cancel.status).toBe(403);
    expect(cancel.body.error.message).toMatch(
      /belongs to user:kim \(only its owner, or a token with operator access, may\)/,
    );
    expect((await s.call('POST', `/v1/handoffs/${id}/cancel`, { token: kim, body: {} })).status).toBe(200);
    const big = await s.send({ id: 'VW3', company: 'Big', email: 'x@big.io', amount: 90000 });
    const vote = await s.call('POST', `/v1/approvals/${big}`, { token: kim, body: { decision: 'approve' } });
    expect(vote.status).toBe(403);
    expect(vote.body.error.message).toMatch(
      /not an approver .*the flow names approvers, no token access level does/,
    );
  });

  it('a token whose person is no longer in baton.yaml is refused with 401 on every route', async () => {
    s = await startTemp({ anonymous: ['intake', 'read'] });
    // A token row for a person the project does not declare: what is left when someone is
    // removed from baton.yaml after their token was made.
    const gone = (await createToken(s.baton.store, 'former-admin', 'admin')).token;
    const ops = (await operations(s)).filter((o) => o.access !== 'public');
    expect(ops.length).toBeGreaterThanOrEqual(20);
    for (const op of ops) {
      const url = concrete(op.path) + (op.path === '/v1/stream' ? '?flow=nope' : '');
      const r = await s.call(op.method, url, { body: bodyFor(op), token: gone });
      expect([op.method, op.path, r.status, r.body?.error?.code]).toEqual([
        op.method,
        op.path,
        401,
        'unauthorized',
      ]);
      expect(r.body.error.message).toMatch(/former-admin\) is no longer declared in baton\.yaml/);
    }
    // Nothing was recorded in that person's name.
    expect((await s.call('GET', '/v1/handoffs')).body.items).toEqual([]);
  });

  it('a route that does not check scopes refuses scoped tokens', async () => {
    s = await startTemp({ anonymous: [] });
    const scoped = (await s.baton.createToken('ops', 'admin', { scope: { flows: ['lead-to-owner'] } })).token;
    const unchecked = (await operations(s)).filter((o) => !o.scoped && o.access !== 'public');
    expect(unchecked.map((o) => `${o.method} ${o.path}`).sort()).toEqual([
      'GET /metrics',
      'GET /v1/audit/verify',
      'GET /v1/connectors',
      'GET /v1/intake/attachments/{ref}',
      'POST /v1/connectors/check',
      'POST /v1/connectors/{name}/check',
      'POST /v1/flows/reload',
      // Editing a flow file changes the project for everyone: like a reload, it needs a whole-project token.
      'POST /v1/flows/{flow}/draft',
      'PUT /v1/flows/{flow}',
    ]);
    for (const op of unchecked) {
      const r = await s.call(op.method, concrete(op.path), { token: scoped });
      expect([op.path, r.status, r.body.error.message]).toEqual([
        op.path,
        403,
        expect.stringMatching(/reaches only flows lead-to-owner; .* needs an unscoped token/),
      ]);
    }
  });
});

describe('the audit log names the actor of every state change', () => {
  it('intake, commands and votes over HTTP are events with the calling person', async () => {
    s = await startTemp({ anonymous: [] });
    const tok = async (u: string, l: AccessLevel) => s!.token(u, l);
    const [intake, kim, ops, sam] = await Promise.all([
      tok('olga', 'intake'),
      tok('kim', 'viewer'),
      tok('ops', 'operator'),
      tok('sam', 'viewer'),
    ]);
    const post = (path: string, token: string, body: unknown = {}) => s!.call('POST', path, { token, body });
    const lead = { id: 'AU1', company: 'Big', email: 'x@big.io', amount: 90000 };
    const id = (await post('/v1/flows/lead-to-owner/handoffs', intake, lead)).body.id as string;
    await s.baton.engine.drain();
    expect((await post(`/v1/approvals/${id}`, sam, { decision: 'approve' })).status).toBe(200);
    await s.baton.engine.drain();
    expect((await post(`/v1/handoffs/${id}/accept`, kim)).status).toBe(200);
    expect((await post(`/v1/handoffs/${id}/return`, kim, { reason: 'wrong_owner' })).status).toBe(200);
    expect((await post(`/v1/handoffs/${id}/reassign`, ops, { to: 'user:kim' })).status).toBe(200);
    expect((await post(`/v1/handoffs/${id}/complete`, kim)).status).toBe(200);
    const lines = (await s.call('GET', `/v1/audit/export?handoff=${id}`, { token: ops })).text
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { type: string; actor: { kind: string; id: string; via?: string } });
    const byPeople = lines
      .filter((e) => e.actor.kind === 'user')
      .map((e) => [e.type, e.actor.id, e.actor.via]);
    expect(byPeople).toEqual([
      ['received', 'olga', 'api'],
      ['approval_vote', 'sam', 'api'],
      ['action_approved', 'sam', 'api'],
      ['accepted', 'kim', 'api'],
      ['returned', 'kim', 'api'],
      ['reassigned', 'ops', 'api'],
      ['accepted', 'kim', 'api'],
      ['completed', 'kim', 'api'],
    ]);
  });
});

describe('the channel label of an event comes from the route, not from the caller', () => {
  it('a User-Agent claiming to be the CLI is still recorded via api', async () => {
    s = await startTemp();
    const kim = await s.token('kim', 'viewer');
    const cli = { 'user-agent': 'baton-cli/9.9' };
    const lead = { id: 'UA1', company: 'Acme', email: 'jo@acme.com' };
    const sent = await s.call('POST', '/v1/flows/lead-to-owner/handoffs', { body: lead, headers: cli });
    expect(sent.status).toBe(202);
    const id = sent.body.id as string;
    await s.baton.engine.drain();
    const accepted = await s.call('POST', `/v1/handoffs/${id}/accept`, {
      token: kim,
      headers: cli,
      body: {},
    });
    expect(accepted.status).toBe(200);
    const events = (await s.call('GET', `/v1/audit/export?handoff=${id}`)).text
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { type: string; actor: { id: string; via?: string } });
    const labelled = events.filter((e) => e.type === 'received' || e.type === 'accepted');
    expect(labelled.map((e) => [e.type, e.actor.id, e.actor.via])).toEqual([
      ['received', 'anonymous', 'api'],
      ['accepted', 'kim', 'api'],
    ]);
  });
});

describe('token scopes', () => {
  const lead = (id: string, extra: Record<string, unknown> = {}) => ({
    id,
    company: 'Big',
    email: 'x@big.io',
    amount: 90000,
    ...extra,
  });

  it('a token scoped to flows reads and acts only on those flows; the rest looks missing', async () => {
    s = await startTemp({ anonymous: [] });
    const admin = await s.token('dana', 'admin');
    const leadOnly = (await s.baton.createToken('sam', 'operator', { scope: { flows: ['lead-to-owner'] } }))
      .token;
    const post = (path: string, body: unknown, token = admin) => s!.call('POST', path, { body, token });
    const l = (await post('/v1/flows/lead-to-owner/handoffs', lead('S1'))).body.id as string;
    const inv = (await post('/v1/flows/invoice-approval/handoffs', invoice('I1'))).body.id as string;
    await s.baton.engine.drain();

    // Listing, flows, approvals, tasks and inbox are filtered.
    const list = await s.call('GET', '/v1/handoffs', { token: leadOnly });
    expect(list.body.items.map((h: { id: string }) => h.id)).toEqual([l]);
    const byFlow = await s.call('GET', '/v1/handoffs?flow=invoice-approval', { token: leadOnly });
    expect(byFlow.body.items).toEqual([]);
    const flows = await s.call('GET', '/v1/flows', { token: leadOnly });
    expect(flows.body.items.map((f: { id: string }) => f.id)).toEqual(['lead-to-owner']);
    expect((await s.call('GET', '/v1/flows/invoice-approval', { token: leadOnly })).status).toBe(403);
    const approvals = await s.call('GET', '/v1/approvals?state=pending', { token: admin });
    expect(approvals.body.items.map((a: { flow: string }) => a.flow).sort()).toEqual([
      'invoice-approval',
      'lead-to-owner',
    ]);
    const mine = await s.call('GET', '/v1/approvals?state=pending', { token: leadOnly });
    expect(mine.body.items.map((a: { flow: string }) => a.flow)).toEqual(['lead-to-owner']);
    const inbox = await s.call('GET', '/v1/inbox?owner=role:finance-manager', { token: leadOnly });
    expect(inbox.body.items).toEqual([]);
    expect(
      (await s.call('GET', '/v1/inbox?owner=role:finance-manager', { token: admin })).body.items.length,
    ).toBe(1);

    // A handoff of another flow answers exactly like one that does not exist.
    const missing = await s.call('GET', '/v1/handoffs/h_00000000000000_nobody', { token: leadOnly });
    const hidden = await s.call('GET', `/v1/handoffs/${inv}`, { token: leadOnly });
    expect(hidden.status).toBe(404);
    expect(hidden.body.error.message).toBe(
      missing.body.error.message.replace('h_00000000000000_nobody', inv),
    );
    expect((await post(`/v1/handoffs/${inv}/cancel`, {}, leadOnly)).status).toBe(404);
    const invApproval = approvals.body.items.find((a: { flow: string }) => a.flow === 'invoice-approval').id;
    expect((await post(`/v1/approvals/${invApproval}`, { decision: 'approve' }, leadOnly)).status).toBe(404);
    expect((await post(`/v1/approvals/${inv}`, { decision: 'approve' }, leadOnly)).status).toBe(404);
    expect((await s.call('GET', `/v1/audit/export?handoff=${inv}`, { token: leadOnly })).status).toBe(404);
    expect((await s.call('GET', '/v1/audit/export', { token: leadOnly })).status).toBe(403);
    // The audit search shows the events of its flows only, whatever it asks for.
    const handoffsOf = (r: { body: { items: Array<{ handoffId: string }> } }) => [
      ...new Set(r.body.items.map((e) => e.handoffId)),
    ];
    expect(handoffsOf(await s.call('GET', '/v1/events', { token: admin })).sort()).toEqual([inv, l].sort());
    expect(handoffsOf(await s.call('GET', '/v1/events', { token: leadOnly }))).toEqual([l]);
    expect((await s.call('GET', `/v1/events?handoff=${inv}`, { token: leadOnly })).body.items).toEqual([]);
    expect((await s.call('GET', '/v1/events?flow=invoice-approval', { token: leadOnly })).body.items).toEqual(
      [],
    );
    // Intake into another flow is refused; into its own it works.
    expect((await post('/v1/flows/invoice-approval/handoffs', invoice('I2'), leadOnly)).status).toBe(403);
    expect((await post('/v1/flows/lead-to-owner/handoffs', lead('S2'), leadOnly)).status).toBe(202);
    // Figures: only for a flow it reaches.
    expect((await s.call('GET', '/v1/metrics/summary', { token: leadOnly })).status).toBe(403);
    expect(
      (await s.call('GET', '/v1/metrics/summary?flow=invoice-approval', { token: leadOnly })).status,
    ).toBe(403);
    expect((await s.call('GET', '/v1/metrics/summary?flow=lead-to-owner', { token: leadOnly })).status).toBe(
      200,
    );
    expect((await s.call('GET', '/v1/stream', { token: leadOnly })).status).toBe(403);
    expect((await s.call('GET', '/v1/stream?flow=invoice-approval', { token: leadOnly })).status).toBe(403);

    // Within its scope the token works as any other: sam approves the lead's quote.
    const decided = await post(`/v1/approvals/${l}`, { decision: 'approve' }, leadOnly);
    expect(decided.status).toBe(200);
    expect(decided.body.approval.state).toBe('approved');
    // And the invoice is untouched.
    expect((await s.call('GET', `/v1/handoffs/${inv}`, { token: admin })).body.state).toBe(
      'awaiting_approval',
    );
  });

  it('a token scoped to a team reaches the flows whose boundary starts or ends there', async () => {
    s = await startTemp({ anonymous: [] });
    const admin = await s.token('dana', 'admin');
    const finance = (await s.baton.createToken('ari', 'viewer', { scope: { teams: ['finance'] } })).token;
    await s.call('POST', '/v1/flows/lead-to-owner/handoffs', { body: lead('T1'), token: admin });
    await s.call('POST', '/v1/flows/invoice-approval/handoffs', { body: invoice('T2'), token: admin });
    await s.baton.engine.drain();
    const list = await s.call('GET', '/v1/handoffs', { token: finance });
    expect(list.body.items.map((h: { flow: string }) => h.flow)).toEqual(['invoice-approval']);
    const flows = await s.call('GET', '/v1/flows', { token: finance });
    expect(flows.body.items.map((f: { id: string }) => f.id)).toEqual(['invoice-approval']);
    // Both limits together: a flow must satisfy both.
    const none = (
      await s.baton.createToken('ari', 'viewer', { scope: { teams: ['finance'], flows: ['lead-to-owner'] } })
    ).token;
    expect((await s.call('GET', '/v1/handoffs', { token: none })).body.items).toEqual([]);
  });

  it('refuses a scope naming an unknown flow or team, with the field', async () => {
    s = await startTemp();
    await expect(s.baton.createToken('sam', 'viewer', { scope: { flows: ['nope'] } })).rejects.toMatchObject({
      code: 'validation_failed',
      details: [{ path: 'flows[0]', message: expect.stringMatching(/no flow nope/) }],
    });
    await expect(
      s.baton.createToken('sam', 'viewer', { scope: { teams: ['finance', 'ghosts'] } }),
    ).rejects.toMatchObject({
      details: [{ path: 'teams[1]', message: expect.stringMatching(/no team ghosts/) }],
    });
    await expect(s.baton.createToken('sam', 'viewer', { scope: { flows: [] } })).rejects.toMatchObject({
      details: [{ path: 'flows' }],
    });
  });
});
