// The http connector against a local invoices API: each method's call and its declared rollback
// run end to end (state restored exactly, a second rollback harmless), paths stay below the base
// URL, `${…}` in a path is percent-encoded, and the contract with the hostile server.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ActionContext, RollbackContext } from '../../actions/define.ts';
import { Registry } from '../../actions/registry.ts';
import { Tables } from '../../actions/tables.ts';
import { isBatonError } from '../../core/errors.ts';
import { FlowCel } from '../../flow/cel.ts';
import { fixesAuthority, joinUrl } from '../../flow/url-template.ts';
import { OutboundPolicy, type Resolver } from '../../outbound/policy.ts';
import { connectorContract, NO_PEOPLE } from '../../../test/support/connector-contract.ts';
import { startInternalApi, type InternalApi } from '../../../test/support/internal-api.ts';
import { ROOT } from '../../../test/support/project.ts';
import type { ConnectorAction, ConnectorInstance } from '../define.ts';
import { openConnectors, readConnectors } from '../configure.ts';
import { httpConnector } from './connector.ts';

const TOKEN = 'tok-billing-5f1e2d';
let api: InternalApi;

beforeAll(async () => {
  api = await startInternalApi(TOKEN);
});
afterAll(async () => api?.close());

const settingsFor = (extra: Record<string, unknown> = {}) => ({
  baseUrl: `${api.url}/api`,
  headers: { authorization: `Bearer ${TOKEN}` },
  checkPath: '/health',
  rollback: {
    post: { method: 'delete', path: '/invoices/${result.body.id}' },
    put: { method: 'put', path: '${params.path}', body: 'before' },
    patch: { method: 'put', path: '${params.path}', body: 'before' },
    delete: { method: 'put', path: '${params.path}', body: 'before' },
  },
  ...extra,
});

async function open(
  settings: Record<string, unknown>,
  outbound = new OutboundPolicy({ allowHosts: ['127.0.0.1'] }),
  name = 'billing',
): Promise<ConnectorInstance> {
  const { configured, problems } = readConnectors({ [name]: { type: 'http', ...settings } });
  expect(problems).toEqual([]);
  const [opened] = await openConnectors(configured, new Registry(new Tables(new Map())), {
    outbound,
    projectDir: ROOT,
    people: NO_PEOPLE,
  });
  return opened!.instance;
}

let n = 0;
const ctx = (): ActionContext => ({
  handoffId: 'h_1',
  flow: 'invoices',
  actionId: 'bill',
  idempotencyKey: `h_1:bill:${++n}`,
  owner: 'team:billing',
  signal: AbortSignal.timeout(5000),
  outbound: new OutboundPolicy({ allowHosts: ['127.0.0.1'] }),
});

const action = (inst: ConnectorInstance, id: string): ConnectorAction => {
  const a = inst.actions.find((x) => x.id === id);
  if (!a) throw new Error(`no action ${id}`);
  return a;
};

/** run → rollback → rollback, as the engine does it: capture first, its result given as undo. */
async function runAndUndo(a: ConnectorAction, params: unknown) {
  const c = ctx();
  const parsed: unknown = a.params.parse(params);
  const undo: unknown = a.capture ? await a.capture(parsed, c) : undefined;
  const result: unknown = await a.run(parsed, c);
  const snapshot = structuredClone([...api.records.entries()]);
  const rc: RollbackContext = { ...c, undo };
  await a.rollback!(parsed, result, rc);
  const afterOnce = structuredClone([...api.records.entries()]);
  await a.rollback!(parsed, result, rc);
  return { result, snapshot, afterOnce, afterTwice: [...api.records.entries()] };
}

const state = () => structuredClone([...api.records.entries()]);

describe('http connector: actions and their rollbacks', () => {
  it('post creates, its rollback deletes what the answer named (twice is harmless)', async () => {
    const inst = await open(settingsFor());
    const before = state();
    const r = await runAndUndo(action(inst, 'billing.post'), { path: '/invoices', body: { amount: 120 } });
    expect(r.result).toMatchObject({ status: 201, body: { amount: 120 } });
    expect(r.snapshot.length).toBe(before.length + 1);
    expect(r.afterOnce).toEqual(before);
    expect(r.afterTwice).toEqual(before);
    // The id holds a space: the rollback path percent-encoded it.
    expect(api.requests.some((q) => q.method === 'DELETE' && /inv%20\d+$/.test(q.path))).toBe(true);
    expect(api.requests.every((q) => q.auth === `Bearer ${TOKEN}`)).toBe(true);
  });

  it('put restores exactly what a GET answered before; a put that created deletes', async () => {
    const inst = await open(settingsFor());
    api.records.set('a1', { id: 'a1', amount: 10, lines: [{ sku: 'x', qty: 2 }], note: null });
    const before = state();
    const r = await runAndUndo(action(inst, 'billing.put'), {
      path: '/invoices/a1',
      body: { amount: 99 },
    });
    expect(r.snapshot.find(([k]) => k === 'a1')![1]).toEqual({ id: 'a1', amount: 99 });
    expect(r.afterOnce).toEqual(before);
    expect(r.afterTwice).toEqual(before);

    const created = await runAndUndo(action(inst, 'billing.put'), {
      path: '/invoices/new1',
      body: { amount: 1 },
    });
    expect(created.snapshot.some(([k]) => k === 'new1')).toBe(true);
    expect(created.afterOnce).toEqual(before);
    expect(created.afterTwice).toEqual(before);
  });

  it('patch and delete are restored from the captured record', async () => {
    const inst = await open(settingsFor());
    api.records.set('p1', { id: 'p1', amount: 5, status: 'open' });
    const before = state();
    const patched = await runAndUndo(action(inst, 'billing.patch'), {
      path: '/invoices/p1',
      body: { status: 'paid' },
    });
    expect(patched.snapshot.find(([k]) => k === 'p1')![1]).toEqual({ id: 'p1', amount: 5, status: 'paid' });
    expect(patched.afterOnce).toEqual(before);
    const deleted = await runAndUndo(action(inst, 'billing.delete'), { path: '/invoices/p1' });
    expect(deleted.snapshot.some(([k]) => k === 'p1')).toBe(false);
    expect(deleted.afterOnce).toEqual(before);
    expect(deleted.afterTwice).toEqual(before);
  });

  it('declares risk, idempotency and undo per method; no rollback entry is irreversible, saying where to declare one', async () => {
    const inst = await open(settingsFor({ rollback: { delete: 'the ledger keeps no deleted invoices' } }));
    const post = action(inst, 'billing.post');
    expect([post.risk, post.idempotent, post.irreversible]).toEqual([
      'medium',
      false,
      'no rollback is declared for billing.post (connectors.billing.rollback.post in baton.yaml)',
    ]);
    expect('rollback' in post).toBe(false);
    const del = action(inst, 'billing.delete');
    expect([del.risk, del.idempotent, del.idempotency, del.irreversible]).toEqual([
      'high',
      true,
      'natural',
      'the ledger keeps no deleted invoices',
    ]);
    const keyed = await open(settingsFor({ idempotencyKeys: true }));
    expect([action(keyed, 'billing.post').idempotent, action(keyed, 'billing.post').idempotency]).toEqual([
      true,
      'native-key',
    ]);
    const c = ctx();
    await action(keyed, 'billing.post').run({ path: '/invoices', body: { amount: 3 } }, c);
    expect(api.requests.at(-1)!.key).toBe(c.idempotencyKey);
  });

  it('refuses a rollback path with references it cannot fill', () => {
    const { problems } = readConnectors({
      billing: {
        type: 'http',
        ...settingsFor({ rollback: { post: { method: 'delete', path: '/x/${input.id}' } } }),
      },
    });
    expect(problems).toHaveLength(1);
    const bare = readConnectors({
      billing: { type: 'http', ...settingsFor({ rollback: { post: { method: 'delete', path: 'x' } } }) },
    });
    expect(bare.problems).toHaveLength(1);
  });

  it('a rollback whose answer lacks the named field fails without sending', async () => {
    const inst = await open(
      settingsFor({ rollback: { post: { method: 'delete', path: '/invoices/${result.body.nope}' } } }),
    );
    const a = action(inst, 'billing.post');
    const c = ctx();
    const result = await a.run({ path: '/invoices', body: { amount: 1 } }, c);
    const sent = api.requests.length;
    const e = await a.rollback!({ path: '/invoices' }, result, { ...c, undo: undefined }).catch(
      (x: unknown) => x,
    );
    expect(isBatonError(e) && e.context.sent).toBe('no');
    expect(api.requests.length).toBe(sent);
  });
});

describe('http connector: the get source and check', () => {
  it('reads a path, trusted by default or untrusted when configured', async () => {
    const inst = await open(settingsFor());
    api.records.set('g1', { id: 'g1', amount: 7 });
    const get = inst.sources.find((s) => s.id === 'billing.get')!;
    expect(get.trust).toBe('trusted');
    const sctx = { handoffId: 'h', flow: 'f', signal: AbortSignal.timeout(3000) };
    expect(await get.fetch({ path: '/invoices/g1' }, sctx)).toEqual({
      status: 200,
      body: { id: 'g1', amount: 7 },
    });
    const missing = await Promise.resolve(get.fetch({ path: '/invoices/none' }, sctx)).catch(
      (e: unknown) => e,
    );
    expect(isBatonError(missing) && !missing.retryable && missing.context.status).toBe(404);
    const untrusted = await open(settingsFor({ trust: 'untrusted' }));
    expect(untrusted.sources[0]!.trust).toBe('untrusted');
  });

  it('check GETs the check path; a wrong token fails it without showing the token', async () => {
    const inst = await open(settingsFor());
    expect(await inst.check(AbortSignal.timeout(3000))).toMatch(/GET \/health answered 200/);
    const wrong = await open(settingsFor({ headers: { authorization: 'Bearer wrong-token-777' } }));
    const e = await wrong.check(AbortSignal.timeout(3000)).catch((x: unknown) => x);
    expect((e as Error).message).toMatch(/401.*check the credentials/);
    expect((e as Error).message).not.toContain('wrong-token-777');
  });

  it('a connector named http is refused: http.post is the built-in', async () => {
    await expect(open(settingsFor(), undefined, 'http')).rejects.toThrow(
      /name this connector after the system/,
    );
  });
});

describe('http connector: paths stay below the base URL', () => {
  const refused = [
    'https://evil.example/x',
    'http://127.0.0.1/api/invoices',
    '//evil.example/x',
    '/../admin',
    '/invoices/../../admin',
    '/invoices/%2e%2e/%2E%2E/admin',
    '/./invoices',
    '/invoices/.%2e/x',
    '\\\\evil.example\\x',
    '/invoices\\..\\..\\admin',
    '/invoices/\u0000',
    '/invoices\t/x',
    'javascript:alert(1)',
    'file:///etc/passwd',
  ];
  it.each(refused)('refuses %j without sending', async (path) => {
    const inst = await open(settingsFor());
    const sent = api.requests.length;
    const e = await action(inst, 'billing.post')
      .run({ path, body: {} }, ctx())
      .catch((x: unknown) => x);
    expect(isBatonError(e) && e.context.sent).toBe('no');
    expect(api.requests.length).toBe(sent);
  });

  it('percent-encodes a ${…} of a flow in the path (urlParams), so a value cannot climb', () => {
    const cel = new FlowCel({ type: 'object', properties: { id: { type: 'string' } } });
    const p = cel.params({ path: '/invoices/${input.id}', body: { a: 1 } }, 'with', () => {});
    const vars = (id: string) => ({
      input: cel.celInput({ id }),
      context: {},
      decision: {},
      handoff: { id: 'h1', flow: 'f' },
    });
    const urls = new Set(['path']);
    expect(p.render(vars('../../admin?x=1#y'), urls).path).toBe('/invoices/..%2F..%2Fadmin%3Fx%3D1%23y');
    expect(() => p.render(vars('..'), urls)).toThrow(/may not be a path segment/);
  });

  it('a connector allowHosts entry reaches a private host the project does not list', async () => {
    const resolve: Resolver = async (host) => {
      if (host === 'billing.internal') return [{ address: '127.0.0.1', family: 4 }];
      throw Object.assign(new Error(`no such host ${host}`), { code: 'ENOTFOUND' });
    };
    const project = new OutboundPolicy({ allowHosts: [] }, resolve);
    const port = new URL(api.url).port;
    const base = { ...settingsFor(), baseUrl: `http://billing.internal:${port}/api` };
    const blocked = await open(base, project);
    const e = await blocked.check(AbortSignal.timeout(3000)).catch((x: unknown) => x);
    expect((e as Error).message).toMatch(/resolves to 127\.0\.0\.1, a loopback address/);
    const allowed = await open({ ...base, allowHosts: ['billing.internal'] }, project);
    expect(await allowed.check(AbortSignal.timeout(3000))).toMatch(/answered 200/);
  });
});

connectorContract({
  definition: httpConnector as never,
  settings: { baseUrl: 'https://billing.example/api', headers: { authorization: `Bearer ${TOKEN}` } },
  hostile: (baseUrl) => ({ baseUrl, headers: { authorization: `Bearer ${TOKEN}` }, timeoutMs: 2000 }),
  read: (inst, signal) =>
    inst.sources[0]!.fetch({ path: '/thing' }, { handoffId: 'h', flow: 'f', signal }) as Promise<unknown>,
});

describe('relative URL templates', () => {
  it('a path starting with one / fixes the authority; //host and a bare ${…} prefix do not', () => {
    expect(fixesAuthority('/invoices/')).toBe(true);
    expect(fixesAuthority('/')).toBe(true);
    expect(fixesAuthority('//evil.example/')).toBe(false);
    expect(fixesAuthority('')).toBe(false);
    expect(joinUrl(['/a/', '?q=', ''], ['x/y', 'a&b'], 'with.path')).toBe('/a/x%2Fy?q=a%26b');
  });
});
