// The HubSpot connector through the real @hubspot/api-client against a local HubSpot server that
// keeps state: each source, each action run and rolled back (twice), a retried create that finds
// its marker instead of creating again, and the errors (429, 500, 401) classified as the
// framework needs them, with no retry piling up under the SDK.
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { Registry } from '../../actions/registry.ts';
import { Tables } from '../../actions/tables.ts';
import type { ActionContext } from '../../actions/define.ts';
import { isBatonError } from '../../core/errors.ts';
import { openConnectors, readConnectors } from '../configure.ts';
import type { ConnectorInstance } from '../define.ts';
import { OutboundPolicy } from '../../outbound/policy.ts';
import { connectorContract } from '../../../test/support/connector-contract.ts';
import { startHubSpotServer, type HubSpotServer } from '../../../test/support/hubspot-server.ts';
import { ROOT } from '../../../test/support/project.ts';
import { hubspot, markerOf } from './connector.ts';

const outbound = new OutboundPolicy({ allowHosts: ['127.0.0.1'] });
let server: HubSpotServer;
let crm: ConnectorInstance;

async function open(settings: Record<string, unknown>): Promise<ConnectorInstance> {
  const { configured, problems } = readConnectors({ crm: { type: 'hubspot', ...settings } });
  expect(problems).toEqual([]);
  const [opened] = await openConnectors(configured, new Registry(new Tables(new Map())), {
    outbound,
    projectDir: ROOT,
    people: { usersOf: () => [], person: () => undefined },
  });
  return opened!.instance;
}

const ctx = (key = 'h1:step-1'): ActionContext => ({
  handoffId: 'h1',
  flow: 'renewals',
  actionId: 'x',
  idempotencyKey: key,
  owner: 'ops',
  signal: AbortSignal.timeout(10_000),
  outbound,
});

const action = (id: string) => crm.actions.find((a) => a.id === `crm.${id}`)!;
const source = (id: string) => crm.sources.find((s) => s.id === `crm.${id}`)!;
const fetchSource = async (id: string, params: unknown): Promise<unknown> =>
  source(id).fetch(source(id).params.parse(params), {
    handoffId: 'h1',
    flow: 'f',
    signal: AbortSignal.timeout(10_000),
  });

/** run → rollback → rollback through the wrapped action, as the engine calls them. */
async function runAndUndo(id: string, params: unknown, key?: string) {
  const a = action(id);
  const p = a.params.parse(params);
  const c = ctx(key);
  const undo = a.capture ? await a.capture(p, c) : undefined;
  const result = await a.run(p, c);
  return {
    result,
    undo,
    rollback: () => a.rollback!(p, result, { ...ctx(key), undo }),
  };
}

beforeAll(async () => {
  server = await startHubSpotServer();
  crm = await open({ token: server.token, basePath: server.url });
});
afterAll(async () => server?.close());
beforeEach(() => {
  server.log.length = 0;
});

describe('hubspot sources', () => {
  it('find_company finds by domain and resolves the owner', async () => {
    const co = server.add('companies', { name: 'Acme', domain: 'acme.io', hubspot_owner_id: '101' });
    expect(await fetchSource('find_company', { domain: 'ACME.io' })).toEqual({
      id: co.id,
      name: 'Acme',
      domain: 'acme.io',
      ownerId: '101',
      owner: { id: '101', email: 'ana@example.com', firstName: 'Ana', lastName: 'Lima' },
    });
    expect(server.log.map((l) => `${l.method} ${l.path}`)).toEqual([
      'POST /crm/v3/objects/companies/search',
      'GET /crm/v3/owners/101',
    ]);
  });

  it('find_company without an owner, an unknown owner, and no company', async () => {
    const lone = server.add('companies', { name: 'Lone', domain: 'lone.io' });
    expect(await fetchSource('find_company', { domain: 'lone.io' })).toMatchObject({
      id: lone.id,
      owner: null,
    });
    // An owner who was removed keeps its id on the record: owner is null, not an error.
    server.records.companies.get(lone.id)!.properties.hubspot_owner_id = '999';
    expect(await fetchSource('find_company', { domain: 'lone.io' })).toMatchObject({
      ownerId: '999',
      owner: null,
    });
    expect(await fetchSource('find_company', { domain: 'nobody.io' })).toBeNull();
  });

  it('find_contact finds by email', async () => {
    const co = server.add('contacts', {
      email: 'kim@acme.io',
      firstname: 'Kim',
      lastname: 'Park',
      hubspot_owner_id: '102',
      company: 'Acme',
    });
    expect(await fetchSource('find_contact', { email: 'kim@acme.io' })).toEqual({
      id: co.id,
      email: 'kim@acme.io',
      firstName: 'Kim',
      lastName: 'Park',
      ownerId: '102',
      company: 'Acme',
    });
    expect(await fetchSource('find_contact', { email: 'none@acme.io' })).toBeNull();
    expect(source('find_contact').untrustedFields).toEqual(['firstName', 'lastName', 'company']);
  });

  it('get_deal reads a deal; null when there is none', async () => {
    const deal = server.add('deals', {
      dealname: 'Renewal',
      amount: '1200',
      dealstage: 'qualified',
      pipeline: 'default',
    });
    expect(await fetchSource('get_deal', { id: deal.id })).toEqual({
      id: deal.id,
      name: 'Renewal',
      amount: '1200',
      stage: 'qualified',
      pipeline: 'default',
      ownerId: null,
    });
    expect(await fetchSource('get_deal', { id: '99999' })).toBeNull();
  });

  it('deals_without_owner: unowned deals oldest first, page after page, by age and pipeline', async () => {
    for (const d of server.live('deals')) server.records.deals.delete(d.id);
    const ago = (hours: number) => new Date(Date.now() - hours * 3_600_000).toISOString();
    const unowned = Array.from({ length: 130 }, (_, i) =>
      server.add(
        'deals',
        { dealname: `Deal ${i}`, amount: String(i), pipeline: i % 2 ? 'default' : 'renewals' },
        ago(300 - i),
      ),
    );
    server.add('deals', { dealname: 'Owned', hubspot_owner_id: '101' }, ago(400));
    server.add('deals', { dealname: 'Cleared owner', hubspot_owner_id: '' }, ago(500));
    server.add('deals', { dealname: 'Fresh' }, ago(0.1));
    type Answer = { deals: Array<Record<string, unknown>>; total: number; truncated: boolean };
    const all = (await fetchSource('deals_without_owner', { older_than: '1h', limit: 1000 })) as Answer;
    expect(all.deals.map((d) => d.name)).toEqual([
      'Cleared owner',
      ...unowned.map((d) => d.properties.dealname),
    ]);
    expect(all).toMatchObject({ total: 131, truncated: false });
    expect(all.deals[1]).toMatchObject({
      id: unowned[0]!.id,
      amount: '0',
      pipeline: 'renewals',
      stage: null,
    });
    expect(server.log.filter((l) => l.path === '/crm/v3/objects/deals/search')).toHaveLength(2);
    const some = (await fetchSource('deals_without_owner', { pipeline: 'default', limit: 3 })) as Answer;
    expect(some.deals.map((d) => d.name)).toEqual(['Deal 1', 'Deal 3', 'Deal 5']);
    expect(some).toMatchObject({ total: 65, truncated: true });
    expect(((await fetchSource('deals_without_owner', {})) as Answer).total).toBe(132); // Fresh too
    expect(source('deals_without_owner').untrustedFields).toEqual(['deals']);
  });

  it('check says what it found', async () => {
    expect(await crm.check(AbortSignal.timeout(5000))).toMatch(
      /owners API answered \(first owner ana@example.com\)/,
    );
  });
});

describe('hubspot actions and their rollbacks', () => {
  it('update_deal captures exactly the properties it sets, and rollback restores them', async () => {
    const deal = server.add('deals', { dealname: 'D', amount: '100', dealstage: 'open' });
    const before = structuredClone(server.records.deals.get(deal.id)!.properties);
    const step = await runAndUndo('update_deal', {
      id: deal.id,
      properties: { amount: 250, dealstage: 'won', renewal_risk: 'low' },
    });
    expect(step.undo).toEqual({ previous: { amount: '100', dealstage: 'open', renewal_risk: null } });
    expect(server.records.deals.get(deal.id)!.properties).toEqual({
      dealname: 'D',
      amount: '250',
      dealstage: 'won',
      renewal_risk: 'low',
    });
    await step.rollback();
    expect(server.records.deals.get(deal.id)!.properties).toEqual(before);
    await step.rollback();
    expect(server.records.deals.get(deal.id)!.properties).toEqual(before);
  });

  it('update_deal: an unknown property is a 400, not retried', async () => {
    const deal = server.add('deals', { dealname: 'D' });
    const a = action('update_deal');
    const p = a.params.parse({ id: deal.id, properties: { nosuch: 'x' } });
    const error = await a.capture!(p, ctx())
      .then(() => a.run(p, ctx()))
      .catch((e: unknown) => e);
    expect(isBatonError(error) && !error.retryable).toBe(true);
    expect((error as Error).message).toMatch(/400.*nosuch/);
  });

  it('set_owner on each record type, rollback restores the old owner (or none)', async () => {
    for (const [type, table] of [
      ['company', 'companies'],
      ['contact', 'contacts'],
      ['deal', 'deals'],
    ] as const) {
      const owned = server.add(table, { hubspot_owner_id: '101' });
      const step = await runAndUndo('set_owner', { objectType: type, id: owned.id, ownerId: '102' });
      expect(step.undo).toEqual({ previous: '101' });
      expect(server.records[table].get(owned.id)!.properties.hubspot_owner_id).toBe('102');
      await step.rollback();
      await step.rollback();
      expect(server.records[table].get(owned.id)!.properties).toEqual({ hubspot_owner_id: '101' });

      const unowned = server.add(table, {});
      const step2 = await runAndUndo('set_owner', { objectType: type, id: unowned.id, ownerId: '101' });
      expect(step2.undo).toEqual({ previous: null });
      await step2.rollback();
      expect(server.records[table].get(unowned.id)!.properties).toEqual({});
    }
  });

  it('create_task: associated, one task per key however often it runs, rollback archives it', async () => {
    const deal = server.add('deals', { dealname: 'D' });
    const params = {
      objectType: 'deal',
      id: deal.id,
      subject: 'Call back',
      body: 'About the renewal',
      priority: 'HIGH',
    };
    const step = await runAndUndo('create_task', params, 'h7:task');
    const again = await runAndUndo('create_task', params, 'h7:task');
    expect(again.result).toEqual({ id: (step.result as { id: string }).id, created: false });
    const tasks = server.live('tasks');
    expect(tasks).toHaveLength(1);
    expect(tasks[0]!.associations).toEqual([{ toId: deal.id, typeId: 216 }]);
    expect(tasks[0]!.properties).toMatchObject({
      hs_task_subject: 'Call back',
      hs_task_priority: 'HIGH',
      hs_task_status: 'NOT_STARTED',
      hs_task_body: `About the renewal\n\n[${markerOf('h7:task')}]`,
    });
    // Another step (another key) is another task.
    await runAndUndo('create_task', params, 'h8:task');
    expect(server.live('tasks')).toHaveLength(2);
    await step.rollback();
    await step.rollback();
    expect(server.live('tasks').map((t) => t.id)).not.toContain(tasks[0]!.id);
    expect(server.live('tasks')).toHaveLength(1);
  });

  it('create_note on a contact and a company, rollback archives it', async () => {
    const contact = server.add('contacts', { email: 'n@acme.io' });
    const company = server.add('companies', { name: 'N' });
    const s1 = await runAndUndo(
      'create_note',
      { objectType: 'contact', id: contact.id, body: 'Met at the fair' },
      'n1',
    );
    const s2 = await runAndUndo(
      'create_note',
      { objectType: 'company', id: company.id, body: 'Budget approved' },
      'n2',
    );
    await runAndUndo('create_note', { objectType: 'company', id: company.id, body: 'Budget approved' }, 'n2');
    const notes = server.live('notes');
    expect(notes.map((n) => n.associations)).toEqual([
      [{ toId: contact.id, typeId: 202 }],
      [{ toId: company.id, typeId: 190 }],
    ]);
    await s1.rollback();
    await s2.rollback();
    await s2.rollback();
    expect(server.live('notes')).toEqual([]);
  });

  it('create_task on a record that does not exist is a 400, not retried', async () => {
    const a = action('create_task');
    const error = await a
      .run(a.params.parse({ objectType: 'contact', id: '424242', subject: 'x' }), ctx('missing'))
      .catch((e: unknown) => e);
    expect(isBatonError(error) && !error.retryable).toBe(true);
  });
});

describe('hubspot failures', () => {
  it('a rollback without a capture says so', async () => {
    const a = action('update_deal');
    const p = a.params.parse({ id: '1', properties: { amount: 1 } });
    await expect(a.rollback!(p, {}, { ...ctx(), undo: undefined })).rejects.toThrow(/no captured values/);
  });

  it('a 429 once: the read is retried after Retry-After, by the framework alone', async () => {
    server.add('companies', { name: 'R', domain: 'retry.io' });
    server.failNext(429, { retryAfter: '1' });
    const started = Date.now();
    expect(await fetchSource('find_company', { domain: 'retry.io' })).toMatchObject({ name: 'R' });
    expect(Date.now() - started).toBeGreaterThanOrEqual(900);
    expect(server.log.filter((l) => l.path.endsWith('/search'))).toHaveLength(2);
  });

  it('a 500 on every try: three attempts in all (no SDK retries stacked on them)', async () => {
    server.failNext(500, { times: 10 });
    const error = await fetchSource('find_company', { domain: 'x.io' }).catch((e: unknown) => e);
    expect(isBatonError(error) && error.retryable).toBe(true);
    expect(server.log).toHaveLength(3);
    server.failNext(500, { times: 0 });
  });

  it('a write that gets a 500 is tried once and reported retryable', async () => {
    const deal = server.add('deals', { dealname: 'W' });
    server.failNext(500);
    const a = action('update_deal');
    const error = await a
      .run(a.params.parse({ id: deal.id, properties: { amount: 1 } }), ctx())
      .catch((e: unknown) => e);
    expect(isBatonError(error) && error.retryable).toBe(true);
    expect(server.log).toHaveLength(1);
  });

  it('a wrong token is a 401, tried once, and the token is not in the error', async () => {
    const wrong = await open({ token: 'pat-na1-wrong-secret-xyz', basePath: server.url });
    const error = await wrong.check(AbortSignal.timeout(5000)).catch((e: unknown) => e);
    expect(isBatonError(error) && !error.retryable).toBe(true);
    expect((error as Error).message).toMatch(/401.*credentials/);
    expect(JSON.stringify(error) + String((error as Error).stack)).not.toContain('pat-na1-wrong-secret-xyz');
    expect(server.log).toHaveLength(1);
    // A source's read is retried by the framework, but not after a 401.
    const find = wrong.sources.find((s) => s.id === 'crm.find_company')!;
    const again = await Promise.resolve(
      find.fetch({ domain: 'a.io' }, { handoffId: 'h', flow: 'f', signal: AbortSignal.timeout(5000) }),
    ).catch((e: unknown) => e);
    expect(isBatonError(again) && !again.retryable).toBe(true);
    expect(server.log).toHaveLength(2);
  });

  it('an aborted call ends at once', async () => {
    const controller = new AbortController();
    controller.abort(new Error('stopped'));
    await expect(
      source('find_company').fetch(
        { domain: 'a.io' },
        { handoffId: 'h', flow: 'f', signal: controller.signal },
      ),
    ).rejects.toThrow(/stopped/);
  });
});

describe('the local HubSpot server refuses what HubSpot refuses', () => {
  const call = (path: string, init: { method?: string; body?: string } = {}, token = server.token) =>
    fetch(`${server.url}${path}`, {
      ...init,
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    });
  it('a wrong token, an unknown path, malformed JSON, unknown fields and properties', async () => {
    expect((await call('/crm/v3/owners/', {}, 'nope')).status).toBe(401);
    expect((await call('/crm/v3/objects/widgets/1')).status).toBe(404);
    const bad = await call('/crm/v3/objects/deals/search', { method: 'POST', body: '{"filterGroups":' });
    expect(bad.status).toBe(400);
    expect(await bad.json()).toMatchObject({ status: 'error', category: 'VALIDATION_ERROR' });
    const extra = await call('/crm/v3/objects/deals/search', { method: 'POST', body: '{"filter":[]}' });
    expect(extra.status).toBe(400);
    const deal = server.add('deals', {});
    const notString = await call(`/crm/v3/objects/deals/${deal.id}`, {
      method: 'PATCH',
      body: JSON.stringify({ properties: { amount: 5 } }),
    });
    expect(notString.status).toBe(400);
    const owner = await call(`/crm/v3/objects/deals/${deal.id}`, {
      method: 'PATCH',
      body: JSON.stringify({ properties: { hubspot_owner_id: '5' } }),
    });
    expect(owner.status).toBe(400);
    const noTimestamp = await call('/crm/v3/objects/notes', {
      method: 'POST',
      body: JSON.stringify({ properties: { hs_note_body: 'x' } }),
    });
    expect(noTimestamp.status).toBe(400);
  });
});

connectorContract({
  definition: hubspot as never,
  settings: { token: 'pat-na1-planted-secret-123' },
  hostile: (baseUrl) => ({ token: 'pat-na1-planted-secret-123', basePath: baseUrl }),
  read: async (instance, signal) => {
    const find = instance.sources.find((s) => s.id === 'subject.find_company')!;
    return find.fetch({ domain: 'acme.io' }, { handoffId: 'h', flow: 'f', signal });
  },
});
