import { afterEach, describe, expect, it } from 'vitest';
import { bearerSecret, isLocalCaller, isLoopbackAddress } from '../../src/server/auth.ts';
import { startTemp, type TempServer } from './helpers.ts';

let s: TempServer | undefined;
afterEach(async () => {
  await s?.close();
  s = undefined;
});

const INTAKE = '/v1/flows/lead-to-owner/handoffs';
const lead = { id: 'Z1', company: 'Acme', email: 'jo@acme.com' };

describe('who counts as a local caller', () => {
  it('accepts 127.0.0.0/8 and ::1 (also IPv4-mapped), nothing else', () => {
    for (const a of [
      '127.0.0.1',
      '127.1.2.3',
      '127.255.255.255',
      '::1',
      '::ffff:127.0.0.1',
      '0:0:0:0:0:0:0:1',
    ])
      expect([a, isLoopbackAddress(a)]).toEqual([a, true]);
    for (const a of [
      undefined,
      '',
      '10.0.0.1',
      '192.168.1.10',
      '128.0.0.1',
      '127.0.0.256',
      '1127.0.0.1',
      '::2',
      '::ffff:10.0.0.1',
      'fe80::1',
      '0.0.0.0',
    ])
      expect([a, isLoopbackAddress(a)]).toEqual([a, false]);
  });

  it('treats a loopback peer that forwards for someone else as remote', () => {
    expect(isLocalCaller('127.0.0.1', {})).toBe(true);
    expect(isLocalCaller('127.0.0.1', { 'x-forwarded-for': '203.0.113.9' })).toBe(false);
    expect(isLocalCaller('::1', { forwarded: 'for=203.0.113.9' })).toBe(false);
    expect(isLocalCaller('10.1.1.1', {})).toBe(false);
  });

  it('parses bearer headers strictly', () => {
    expect(bearerSecret(undefined)).toBeUndefined();
    expect(bearerSecret('Bearer bt_abc')).toBe('bt_abc');
    expect(bearerSecret('bearer  bt_abc ')).toBe('bt_abc');
    for (const bad of ['', 'Bearer', 'Basic abc', 'bt_abc', 'Bearer a b'])
      expect(() => bearerSecret(bad)).toThrow(/Bearer/);
  });
});

describe('access over HTTP', () => {
  it('lets anonymous loopback callers intake and read by default, but not through a proxy', async () => {
    s = await startTemp();
    expect((await s.call('POST', INTAKE, { body: lead })).status).toBe(202);
    expect((await s.call('GET', '/v1/handoffs')).status).toBe(200);
    expect((await s.call('GET', '/metrics')).status).toBe(200);
    const proxied = await s.call('GET', '/v1/handoffs', { headers: { 'x-forwarded-for': '203.0.113.9' } });
    expect(proxied.status).toBe(401);
    const proxiedIntake = await s.call('POST', INTAKE, {
      body: lead,
      headers: { 'x-real-ip': '203.0.113.9' },
    });
    expect(proxiedIntake.status).toBe(401);
  });

  it('grants anonymous callers only the configured rights', async () => {
    s = await startTemp({ anonymous: ['intake'] });
    expect((await s.call('POST', INTAKE, { body: lead })).status).toBe(202);
    const read = await s.call('GET', '/v1/handoffs');
    expect(read.status).toBe(401);
    expect(read.body.error.code).toBe('unauthorized');
    await s.close();

    s = await startTemp({ anonymous: [] });
    expect((await s.call('POST', INTAKE, { body: lead })).status).toBe(401);
    expect((await s.call('GET', '/v1/flows')).status).toBe(401);
    expect((await s.call('GET', '/v1/stream')).status).toBe(401);
    // Probes and the API description need no token.
    expect((await s.call('GET', '/healthz')).status).toBe(200);
    expect((await s.call('GET', '/readyz')).status).toBe(200);
    expect((await s.call('GET', '/v1/openapi.json')).status).toBe(200);
    const viewer = await s.token('kim', 'viewer');
    expect((await s.call('GET', '/v1/flows', { token: viewer })).status).toBe(200);
  });

  it('checks access levels: 403 when the level is too low, 401 for unknown or revoked tokens', async () => {
    s = await startTemp({ anonymous: [] });
    const intake = await s.token('ops', 'intake');
    const viewer = await s.token('kim', 'viewer');
    const operator = await s.token('ops', 'operator');
    const admin = await s.token('dana', 'admin');

    expect((await s.call('POST', INTAKE, { body: lead, token: intake })).status).toBe(202);
    expect((await s.call('POST', INTAKE, { body: { ...lead, id: 'Z2' }, token: operator })).status).toBe(202);
    expect((await s.call('POST', INTAKE, { body: { ...lead, id: 'Z3' }, token: admin })).status).toBe(202);
    const viewerIntake = await s.call('POST', INTAKE, { body: lead, token: viewer });
    expect(viewerIntake.status).toBe(403);
    expect(viewerIntake.body.error.code).toBe('forbidden');

    for (const path of ['/v1/handoffs', '/v1/approvals', '/v1/tasks', '/v1/audit/verify', '/metrics']) {
      const denied = (await s.call('GET', path, { token: intake })).status;
      const allowed = (await s.call('GET', path, { token: viewer })).status;
      expect([path, denied, allowed]).toEqual([path, 403, 200]);
    }
    const someId = (await s.call('GET', '/v1/handoffs', { token: viewer })).body.items[0].id;
    const observed = await s.call('POST', `/v1/handoffs/${someId}/observed`, {
      token: viewer,
      body: { owner: 'user:kim' },
    });
    expect(observed.status).toBe(403);

    expect((await s.call('GET', '/v1/handoffs', { token: 'bt_unknown' })).status).toBe(401);
    const created = await s.baton.createToken('lee', 'viewer');
    expect((await s.call('GET', '/v1/handoffs', { token: created.token })).status).toBe(200);
    await s.baton.store.revokeToken(created.id, Date.now());
    const revoked = await s.call('GET', '/v1/handoffs', { token: created.token });
    expect(revoked.status).toBe(401);
    expect(revoked.body.error.message).toMatch(/revoked/);
  });
});
