// The Salesforce connector through the real jsforce against a local Salesforce REST server that
// keeps state and parses SOQL: each source, each action run and rolled back (twice), a retried
// create that finds its key instead of creating again, hostile values in every looked-up field
// (they match only themselves), and errors classified with no retry piling up under jsforce.
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { Registry } from '../../actions/registry.ts';
import { Tables } from '../../actions/tables.ts';
import type { ActionContext } from '../../actions/define.ts';
import { isBatonError } from '../../core/errors.ts';
import { openConnectors, readConnectors } from '../configure.ts';
import type { ConnectorInstance } from '../define.ts';
import { OutboundPolicy } from '../../outbound/policy.ts';
import { connectorContract } from '../../../test/support/connector-contract.ts';
import {
  startSalesforceServer,
  type SalesforceServer,
  type SfRecord,
} from '../../../test/support/salesforce-server.ts';
import { ROOT } from '../../../test/support/project.ts';
import { keyOf, salesforce } from './connector.ts';
import { containing, quote } from './soql.ts';

const outbound = new OutboundPolicy({ allowHosts: ['127.0.0.1'] });
let server: SalesforceServer;
let crm: ConnectorInstance;
let ana: SfRecord;
let bo: SfRecord;

async function open(settings: Record<string, unknown>): Promise<ConnectorInstance> {
  const { configured, problems } = readConnectors({ sf: { type: 'salesforce', ...settings } });
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

const action = (id: string) => crm.actions.find((a) => a.id === `sf.${id}`)!;
const source = (id: string) => crm.sources.find((s) => s.id === `sf.${id}`)!;
const fetchSource = async (id: string, params: unknown): Promise<unknown> =>
  source(id).fetch(source(id).params.parse(params), {
    handoffId: 'h1',
    flow: 'f',
    signal: AbortSignal.timeout(10_000),
  });

async function runAndUndo(id: string, params: unknown, key?: string) {
  const a = action(id);
  const p = a.params.parse(params);
  const undo = a.capture ? await a.capture(p, ctx(key)) : undefined;
  const result = await a.run(p, ctx(key));
  return { result, undo, rollback: () => a.rollback!(p, result, { ...ctx(key), undo }) };
}

const snapshot = (type: string, id: string) => structuredClone(server.records[type]!.get(id));

beforeAll(async () => {
  server = await startSalesforceServer();
  crm = await open({ instanceUrl: server.url, accessToken: server.token });
  ana = server.add('User', { Name: 'Ana Lima', Email: 'ana@example.com', IsActive: true });
  bo = server.add('User', { Name: 'Bo Chen', Email: 'bo@example.com', IsActive: true });
});
afterAll(async () => server?.close());
beforeEach(() => {
  server.log.length = 0;
});

describe('salesforce sources', () => {
  it('find_account by domain matches the Website host, with the owner from the same query', async () => {
    server.add('Account', { Name: 'Not Acme', Website: 'https://notacme.com', OwnerId: bo.Id });
    const acme = server.add('Account', { Name: 'Acme', Website: 'https://www.acme.com/', OwnerId: ana.Id });
    expect(await fetchSource('find_account', { domain: 'acme.com' })).toEqual({
      id: acme.Id,
      name: 'Acme',
      website: 'https://www.acme.com/',
      ownerId: ana.Id,
      owner: { id: ana.Id, name: 'Ana Lima', email: 'ana@example.com' },
    });
    expect(server.log).toHaveLength(1);
    expect(server.log[0]!.path).toBe('/services/data/v62.0/query');
    expect(await fetchSource('find_account', { domain: 'nobody.com' })).toBeNull();
  });

  it('find_account by name', async () => {
    const globex = server.add('Account', { Name: 'Globex', Website: null, OwnerId: bo.Id });
    expect(await fetchSource('find_account', { name: 'globex' })).toMatchObject({
      id: globex.Id,
      owner: { name: 'Bo Chen' },
    });
    expect(await fetchSource('find_account', { name: 'Initech' })).toBeNull();
  });

  it('find_contact by email, with the account name', async () => {
    const acct = server.add('Account', { Name: 'Hooli', OwnerId: ana.Id });
    const c = server.add('Contact', {
      FirstName: 'Kim',
      LastName: 'Park',
      Email: 'kim@hooli.com',
      OwnerId: ana.Id,
      AccountId: acct.Id,
    });
    expect(await fetchSource('find_contact', { email: 'kim@hooli.com' })).toEqual({
      id: c.Id,
      email: 'kim@hooli.com',
      firstName: 'Kim',
      lastName: 'Park',
      ownerId: ana.Id,
      accountId: acct.Id,
      accountName: 'Hooli',
    });
    expect(await fetchSource('find_contact', { email: 'nobody@hooli.com' })).toBeNull();
  });

  it('get_opportunity reads one; null when there is none', async () => {
    const opp = server.add('Opportunity', {
      Name: 'Renewal',
      Amount: 1200,
      StageName: 'Prospecting',
      CloseDate: '2027-01-31',
      OwnerId: ana.Id,
    });
    expect(await fetchSource('get_opportunity', { id: opp.Id })).toEqual({
      id: opp.Id,
      name: 'Renewal',
      amount: 1200,
      stage: 'Prospecting',
      closeDate: '2027-01-31',
      ownerId: ana.Id,
      accountId: null,
    });
    expect(await fetchSource('get_opportunity', { id: '006000000000999AAA' })).toBeNull();
  });

  it('check says what it found', async () => {
    expect(await crm.check(AbortSignal.timeout(5000))).toBe(
      'authenticated: 14990 of 15000 daily API requests left',
    );
  });
});

describe('hostile values in SOQL', () => {
  const HOSTILE = [
    "x' OR Name != null OR Name = 'y",
    "\\' OR Id != null OR Name = '",
    "' OR Id != null",
    'ends with a backslash \\',
    'O\'Brien \\\\\' "quoted"',
    'line\nbreak\ttab',
    'Ünïcødé 名前 🚀',
    "%' OR Name LIKE '%",
  ];

  it('each value finds only the record with exactly that name, and the server read one comparison', async () => {
    const bait = server.add('Account', { Name: 'Bait', Website: 'https://bait.example', OwnerId: ana.Id });
    for (const name of HOSTILE) {
      server.parsed.length = 0;
      expect(await fetchSource('find_account', { name }), name).toBeNull();
      expect(server.parsed, name).toEqual([{ field: 'Name', op: '=', value: name }]);
      const rec = server.add('Account', { Name: name, OwnerId: bo.Id });
      expect(await fetchSource('find_account', { name }), name).toMatchObject({ id: rec.Id, name });
    }
    expect(server.records.Account!.get(bait.Id)!.Name).toBe('Bait');
  });

  it('an email with quotes is one comparison and finds only its contact', async () => {
    const decoy = server.add('Contact', { LastName: 'Any', Email: 'any@x.com' });
    const email = "o'brien'or'x@hooli.com";
    server.parsed.length = 0;
    expect(await fetchSource('find_contact', { email })).toBeNull();
    expect(server.parsed).toEqual([{ field: 'Email', op: '=', value: email }]);
    const c = server.add('Contact', { LastName: "O'Brien", Email: email });
    expect(await fetchSource('find_contact', { email })).toMatchObject({ id: c.Id, lastName: "O'Brien" });
    expect(server.records.Contact!.get(decoy.Id)!.Email).toBe('any@x.com');
  });

  it('quote and containing escape each SOQL escape sequence, and refuse control characters', () => {
    expect(quote('a\'b\\c"d\ne\rf\tg\bh\fi')).toBe("'a\\'b\\\\c\\\"d\\ne\\rf\\tg\\bh\\fi'");
    expect(containing('50%_off')).toBe("'%50\\%\\_off%'");
    expect(quote('名前')).toBe("'名前'");
    expect(() => quote('nul\u0000byte')).toThrow(/control characters/);
  });

  it('the domain is checked before any query', () => {
    expect(source('find_account').params.safeParse({ domain: "acme.com' OR Name != '" }).success).toBe(false);
  });
});

describe('salesforce actions and their rollbacks', () => {
  it('update_opportunity captures exactly the fields it sets; rollback restores them, twice', async () => {
    const opp = server.add('Opportunity', {
      Name: 'O',
      Amount: 100,
      StageName: 'Prospecting',
      CloseDate: '2027-03-01',
      OwnerId: ana.Id,
    });
    const before = snapshot('Opportunity', opp.Id);
    const step = await runAndUndo('update_opportunity', {
      id: opp.Id,
      fields: { Amount: 250, StageName: 'Closed Won', NextStep: 'Kick-off' },
    });
    expect(step.undo).toEqual({ previous: { Amount: 100, StageName: 'Prospecting', NextStep: null } });
    expect(server.records.Opportunity!.get(opp.Id)).toMatchObject({
      Amount: 250,
      StageName: 'Closed Won',
      NextStep: 'Kick-off',
    });
    await step.rollback();
    expect(snapshot('Opportunity', opp.Id)).toEqual(before);
    await step.rollback();
    expect(snapshot('Opportunity', opp.Id)).toEqual(before);
  });

  it('update_opportunity: an unknown field is a 400, not retried; OwnerId is refused by the schema', async () => {
    const opp = server.add('Opportunity', { Name: 'O', StageName: 'Prospecting', CloseDate: '2027-03-01' });
    const a = action('update_opportunity');
    const error = await a
      .run(a.params.parse({ id: opp.Id, fields: { NoSuch__c: 'x' } }), ctx())
      .catch((e: unknown) => e);
    expect(isBatonError(error) && !error.retryable).toBe(true);
    expect((error as Error).message).toMatch(/400.*INVALID_FIELD/);
    expect(server.log).toHaveLength(1);
    expect(a.params.safeParse({ id: opp.Id, fields: { OwnerId: bo.Id } }).success).toBe(false);
  });

  it('set_owner on an account, a contact and an opportunity; rollback restores the owner', async () => {
    const records = [
      server.add('Account', { Name: 'A', OwnerId: ana.Id }),
      server.add('Contact', { LastName: 'C', OwnerId: ana.Id }),
      server.add('Opportunity', {
        Name: 'O',
        StageName: 'Prospecting',
        CloseDate: '2027-03-01',
        OwnerId: ana.Id,
      }),
    ];
    for (const [i, objectType] of (['Account', 'Contact', 'Opportunity'] as const).entries()) {
      const rec = records[i]!;
      const before = snapshot(objectType, rec.Id);
      const step = await runAndUndo('set_owner', { objectType, id: rec.Id, ownerId: bo.Id });
      expect(step.undo).toEqual({ previous: ana.Id });
      expect(server.records[objectType]!.get(rec.Id)!.OwnerId).toBe(bo.Id);
      await step.rollback();
      await step.rollback();
      expect(snapshot(objectType, rec.Id)).toEqual(before);
    }
  });

  it('set_owner to a user that does not exist is a 400, not retried', async () => {
    const acct = server.add('Account', { Name: 'A', OwnerId: ana.Id });
    const a = action('set_owner');
    const error = await a
      .run(a.params.parse({ objectType: 'Account', id: acct.Id, ownerId: '005000000000777AAA' }), ctx())
      .catch((e: unknown) => e);
    expect(isBatonError(error) && !error.retryable).toBe(true);
    expect((error as Error).message).toMatch(/INVALID_CROSS_REFERENCE_KEY/);
  });

  it('create_task: linked, one task per key however often it runs, rollback deletes it', async () => {
    const opp = server.add('Opportunity', { Name: 'O', StageName: 'Prospecting', CloseDate: '2027-03-01' });
    const contact = server.add('Contact', { LastName: 'C' });
    const params = {
      relatedTo: { objectType: 'Opportunity', id: opp.Id },
      subject: 'Call back',
      dueDate: '2027-02-01',
      priority: 'High',
    };
    const step = await runAndUndo('create_task', params, 'h7:task');
    const again = await runAndUndo('create_task', params, 'h7:task');
    const id = (step.result as { id: string }).id;
    expect(again.result).toEqual({ id, created: false });
    expect([...server.records.Task!.values()].filter((t) => t.WhatId === opp.Id)).toHaveLength(1);
    expect(server.records.Task!.get(id)).toMatchObject({
      Subject: 'Call back',
      WhatId: opp.Id,
      WhoId: null,
      ActivityDate: '2027-02-01',
      Priority: 'High',
      Status: 'Not Started',
      Baton_Key__c: keyOf('h7:task'),
    });
    const onContact = await runAndUndo(
      'create_task',
      { relatedTo: { objectType: 'Contact', id: contact.Id }, subject: 'Hi' },
      'h8',
    );
    expect(server.records.Task!.get((onContact.result as { id: string }).id)).toMatchObject({
      WhoId: contact.Id,
      WhatId: null,
    });
    await step.rollback();
    await step.rollback();
    expect(server.records.Task!.has(id)).toBe(false);
    await onContact.rollback();
    expect([...server.records.Task!.values()].filter((t) => t.WhoId === contact.Id)).toEqual([]);
  });
});

describe('salesforce failures', () => {
  it('a query refused keeps only its error code: Salesforce quotes the query, values and all', async () => {
    const other = await open({
      instanceUrl: server.url,
      accessToken: server.token,
      taskKeyField: 'Missing_Key__c',
    });
    const a = other.actions.find((x) => x.id === 'sf.create_task')!;
    const acct = server.add('Account', { Name: 'Q' });
    const error = await a
      .run(
        a.params.parse({ relatedTo: { objectType: 'Account', id: acct.Id }, subject: 's' }),
        ctx('pii-key'),
      )
      .catch((e: unknown) => e);
    expect(isBatonError(error) && !error.retryable).toBe(true);
    expect((error as Error).message).toBe(
      'salesforce: find the task of this step answered 400: INVALID_FIELD',
    );
    expect(JSON.stringify(error)).not.toContain(keyOf('pii-key'));
  });

  it('a rollback without a capture says so', async () => {
    const a = action('set_owner');
    const p = a.params.parse({ objectType: 'Account', id: ana.Id.replace('005', '001'), ownerId: bo.Id });
    await expect(a.rollback!(p, {}, { ...ctx(), undo: undefined })).rejects.toThrow(/no captured values/);
  });

  it('a 429 once: the read is retried after Retry-After, by the framework alone', async () => {
    const opp = server.add('Opportunity', { Name: 'R', StageName: 'Prospecting', CloseDate: '2027-03-01' });
    server.failNext(429, { retryAfter: '1' });
    const started = Date.now();
    expect(await fetchSource('get_opportunity', { id: opp.Id })).toMatchObject({ name: 'R' });
    expect(Date.now() - started).toBeGreaterThanOrEqual(900);
    expect(server.log).toHaveLength(2);
  });

  it('a 500 on every try: three attempts in all (jsforce retries nothing under them)', async () => {
    server.failNext(500, { times: 10 });
    const error = await fetchSource('find_contact', { email: 'a@b.com' }).catch((e: unknown) => e);
    expect(isBatonError(error) && error.retryable).toBe(true);
    expect((error as Error).message).toMatch(/500/);
    expect(server.log).toHaveLength(3);
    server.failNext(500, { times: 0 });
  });

  it('a write that gets a 500 is tried once and reported retryable', async () => {
    const opp = server.add('Opportunity', { Name: 'W', StageName: 'Prospecting', CloseDate: '2027-03-01' });
    server.failNext(500);
    const a = action('update_opportunity');
    const error = await a
      .run(a.params.parse({ id: opp.Id, fields: { Amount: 1 } }), ctx())
      .catch((e: unknown) => e);
    expect(isBatonError(error) && error.retryable).toBe(true);
    expect(server.log).toHaveLength(1);
    expect(server.records.Opportunity!.get(opp.Id)!.Amount).toBeNull();
  });

  it('a wrong token is a 401, tried once, and the token is not in the error', async () => {
    const wrong = await open({ instanceUrl: server.url, accessToken: '00Dwrong!secret-token-value' });
    const find = wrong.sources.find((s) => s.id === 'sf.find_contact')!;
    const error = await Promise.resolve(
      find.fetch({ email: 'a@b.com' }, { handoffId: 'h', flow: 'f', signal: AbortSignal.timeout(5000) }),
    ).catch((e: unknown) => e);
    expect(isBatonError(error) && !error.retryable).toBe(true);
    expect((error as Error).message).toMatch(/401.*credentials/);
    expect(JSON.stringify(error) + String((error as Error).stack)).not.toContain('secret-token-value');
    expect(server.log).toHaveLength(1);
  });

  it('an aborted call ends at once', async () => {
    const controller = new AbortController();
    controller.abort(new Error('stopped'));
    await expect(
      Promise.resolve(
        source('find_contact').fetch(
          { email: 'a@b.com' },
          { handoffId: 'h', flow: 'f', signal: controller.signal },
        ),
      ),
    ).rejects.toThrow(/stopped/);
  });
});

describe('the local Salesforce server refuses what Salesforce refuses', () => {
  const call = (path: string, init: { method?: string; body?: string } = {}, token = server.token) =>
    fetch(`${server.url}/services/data/v62.0${path}`, {
      ...init,
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    });
  it('a wrong token, an unknown path, bad SOQL, unknown fields, a filter on a long text field', async () => {
    expect((await call('/limits', {}, 'nope')).status).toBe(401);
    expect((await call('/sobjects/Widget__c/001000000000001AAA')).status).toBe(404);
    const bad = await call(`/query?q=${encodeURIComponent("SELECT Id FROM Account WHERE Name = 'x")}`);
    expect(bad.status).toBe(400);
    expect(await bad.json()).toEqual([
      { message: 'unterminated string literal', errorCode: 'MALFORMED_QUERY' },
    ]);
    const escape = await call(`/query?q=${encodeURIComponent("SELECT Id FROM Account WHERE Name = '\\q'")}`);
    expect(escape.status).toBe(400);
    expect((await call(`/query?q=${encodeURIComponent('SELECT Nope FROM Account')}`)).status).toBe(400);
    expect(
      (await call(`/query?q=${encodeURIComponent("SELECT Id FROM Task WHERE Description = 'x'")}`)).status,
    ).toBe(400);
    const acct = server.add('Account', { Name: 'A' });
    expect((await call(`/sobjects/Account/${acct.Id}`, { method: 'PATCH', body: '{"Name":' })).status).toBe(
      400,
    );
    expect((await call(`/sobjects/Account/${acct.Id}`, { method: 'PATCH', body: '{"Name":5}' })).status).toBe(
      400,
    );
    expect((await call('/sobjects/Opportunity', { method: 'POST', body: '{"Name":"x"}' })).status).toBe(400);
    // The parser does widen a query when a literal is broken out of: what the hostile tests rely on.
    const widened = await call(
      `/query?q=${encodeURIComponent("SELECT Id FROM Account WHERE Name = 'x' OR Name != null")}`,
    );
    expect(((await widened.json()) as { totalSize: number }).totalSize).toBeGreaterThan(0);
  });
});

connectorContract({
  definition: salesforce as never,
  settings: { instanceUrl: 'https://acme.my.salesforce.com', accessToken: '00Dplanted!secret-456' },
  hostile: (baseUrl) => ({ instanceUrl: baseUrl, accessToken: '00Dplanted!secret-456' }),
  read: async (instance, signal) => {
    const find = instance.sources.find((s) => s.id === 'subject.find_contact')!;
    return find.fetch({ email: 'a@b.com' }, { handoffId: 'h', flow: 'f', signal });
  },
});
