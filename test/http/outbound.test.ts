// Outbound calls over the real server: a flow whose http.post URL comes from the intake payload
// cannot reach loopback, private or metadata addresses in any spelling, redirects are checked
// hop by hop, the flow's headers and body never go to another origin, values interpolated into
// a URL stay data, and a call that provably never left is a plain failure, not an unknown one.
import { createServer, type IncomingMessage, type Server } from 'node:http';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { isBatonError } from '../../src/core/errors.ts';
import { freePort } from '../support/server.ts';
import { ALLOW_LOOPBACK, EXAMPLES, openTemp, ROOT } from '../support/project.ts';
import { startTemp, type TempServer } from './helpers.ts';
import { readFileSync } from 'node:fs';

interface Seen {
  method: string;
  url: string;
  headers: IncomingMessage['headers'];
  body: string;
}

/** A listener on every local address (IPv4 and IPv6) that records what reaches it. */
async function listener(answer: (req: IncomingMessage) => [number, Record<string, string>?] = () => [200]) {
  const seen: Seen[] = [];
  const server: Server = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      seen.push({ method: req.method!, url: req.url!, headers: req.headers, body });
      const [status, headers] = answer(req);
      res.writeHead(status, headers).end('{"ok":true}');
    });
  });
  await new Promise<void>((r) => server.listen(0, '::', r));
  const a = server.address();
  const port = typeof a === 'object' && a ? a.port : 0;
  return {
    seen,
    port,
    close: () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}
type Listener = Awaited<ReturnType<typeof listener>>;

const SECRET = 'k-secret-7f3a';
// The payloads are marked trusted so the trust boundary (an approval before an outbound call on
// untrusted input) stays out of the way: these tests are about where an approved call may go.
const HOOK_FLOW = `id: hook
name: Hook
boundary: { from: team:ops, to: team:finance }
input: { type: object, required: [id, url], properties: { id: { type: string, x-trust: trusted }, url: { type: string, x-trust: trusted } } }
idempotencyKey: input.id
decide:
  otherwise: { owner: team:finance }
actions:
  - { id: call, use: http.post, with: { url: "\${input.url}", headers: { x-api-key: "${SECRET}" }, body: { id: "\${input.id}" } }, retry: { attempts: 1 } }
handoff: { to: "\${decision.owner}" }
`;

const pathFlow = (port: number) => `id: items
name: Items
boundary: { from: team:ops, to: team:finance }
input: { type: object, required: [id, path, q], properties: { id: { type: string, x-trust: trusted }, path: { type: string, x-trust: trusted }, q: { type: string, x-trust: trusted } } }
idempotencyKey: input.id
decide:
  otherwise: { owner: team:finance }
actions:
  - { id: call, use: http.put, with: { url: "http://127.0.0.1:${port}/items/\${input.path}?q=\${input.q}&n=1" }, retry: { attempts: 1 } }
handoff: { to: "\${decision.owner}" }
`;

const zodUrl = pathToFileURL(path.join(ROOT, 'node_modules/zod/index.js')).href;
/** A project's own action that calls fetch with the URL it is given. */
const FETCH_ACTION = `import { z } from '${zodUrl}';
export const raw = {
  id: 'test.fetch', risk: 'low', idempotent: false, params: z.object({ url: z.string() }),
  async run(p) { const r = await fetch(p.url, { method: 'POST' }); return { status: r.status }; },
};`;
const FETCH_FLOW = `id: rawfetch
name: Raw fetch
boundary: { from: team:ops, to: team:finance }
input: { type: object, required: [id, url], properties: { id: { type: string, x-trust: trusted }, url: { type: string, x-trust: trusted } } }
idempotencyKey: input.id
decide:
  otherwise: { owner: team:finance }
actions:
  - { id: call, use: test.fetch, with: { url: "\${input.url}" }, retry: { attempts: 1 } }
handoff: { to: "\${decision.owner}" }
`;

/** A project's own action that calls out through the guard, imported from the package. */
const GUARDED_ACTION = `import { outboundRequest, z } from 'baton';
export const guarded = {
  id: 'test.guarded', risk: 'low', idempotent: false, params: z.object({ url: z.string() }),
  async run(p, ctx) {
    const a = await outboundRequest(ctx.outbound, { method: 'POST', url: p.url, signal: ctx.signal, maxBytes: 1024 });
    return { status: a.status };
  },
};`;
const GUARDED_FLOW = FETCH_FLOW.replace('id: rawfetch', 'id: guarded').replace(
  'use: test.fetch',
  'use: test.guarded',
);

const projectWith = (allow: string) => readFileSync(path.join(EXAMPLES, 'baton.yaml'), 'utf8') + allow;

let s: TempServer | undefined;
let n = 0;
/** Sends a handoff and returns it once settled. */
async function run(flow: string, input: Record<string, unknown>) {
  const id = await s!.send({ id: `h${++n}`, ...input }, flow);
  return (await s!.call('GET', `/v1/handoffs/${id}`)).body as {
    state: string;
    actions: Array<{ state: string; error: string | null }>;
    events: Array<{ type: string; data: Record<string, unknown> }>;
  };
}

describe('without an allowance', () => {
  let sink: Listener;
  beforeAll(async () => {
    sink = await listener();
    s = await startTemp({}, { 'flows/hook.yaml': HOOK_FLOW });
  });
  afterAll(async () => {
    await s?.close();
    s = undefined;
    await sink.close();
  });

  it('a payload URL reaches no local, private or metadata address, in any spelling', async () => {
    const p = sink.port;
    const forms = [
      `http://127.0.0.1:${p}/`,
      `http://localhost:${p}/`,
      `http://localhost.:${p}/`,
      `http://LocalHost:${p}/`,
      `http://127.1:${p}/`,
      `http://127.0.0.1.:${p}/`,
      `http://2130706433:${p}/`,
      `http://0x7f000001:${p}/`,
      `http://0x7f.1:${p}/`,
      `http://0177.0.0.1:${p}/`,
      `http://017700000001:${p}/`,
      `http://%31%32%37.0.0.1:${p}/`,
      `http://[::1]:${p}/`,
      `http://[0:0:0:0:0:0:0:1]:${p}/`,
      `http://[::ffff:127.0.0.1]:${p}/`,
      `http://[::ffff:7f00:1]:${p}/`,
      `http://0.0.0.0:${p}/`,
      `http://0:${p}/`,
      `http://[::]:${p}/`,
      `http://10.0.0.1:${p}/`,
      `http://172.16.0.1:${p}/`,
      `http://192.168.0.1:${p}/`,
      `http://169.254.169.254/latest/meta-data/`,
      `http://[fd00:ec2::254]/`,
      `http://metadata.google.internal/computeMetadata/v1/`,
      `http://[fe80::1]:${p}/`,
      `http://[fc00::1]:${p}/`,
      `http://100.64.0.1:${p}/`,
    ];
    for (const url of forms) {
      const h = await run('hook', { url });
      expect(h.state, url).toBe('failed');
      expect(h.actions[0]!.state, url).toBe('failed');
      expect(h.actions[0]!.error, url).toMatch(/may not be reached/);
      expect(h.actions[0]!.error, url).not.toContain(SECRET);
    }
    expect(sink.seen).toEqual([]);
  });
});

describe('redirects', () => {
  let a: Listener;
  let b: Listener;
  beforeAll(async () => {
    b = await listener();
    a = await listener((req) => {
      const to = (port: number, p: string) => ({ location: `http://127.0.0.1:${port}${p}` });
      switch (req.url) {
        case '/same':
          return [307, to(a.port, '/final')];
        case '/cross-302':
          return [302, to(b.port, '/landed')];
        case '/cross-307':
          return [307, to(b.port, '/reposted')];
        case '/to-ipv6-loopback':
          return [302, { location: `http://[::1]:${b.port}/` }];
        case '/to-metadata':
          return [302, { location: 'http://169.254.169.254/latest/meta-data/' }];
        case '/loop':
          return [302, to(a.port, '/loop')];
        default:
          return [200];
      }
    });
    s = await startTemp({}, { 'baton.yaml': projectWith(ALLOW_LOOPBACK), 'flows/hook.yaml': HOOK_FLOW });
  });
  afterAll(async () => {
    await s?.close();
    s = undefined;
    await a.close();
    await b.close();
  });
  afterEach(() => {
    a.seen.length = 0;
    b.seen.length = 0;
  });

  it('within the origin keep the headers and (307) the body', async () => {
    const h = await run('hook', { url: `http://127.0.0.1:${a.port}/same` });
    expect(h.state).toBe('handed_off');
    expect(a.seen.map((r) => [r.method, r.url])).toEqual([
      ['POST', '/same'],
      ['POST', '/final'],
    ]);
    expect(a.seen[1]!.headers['x-api-key']).toBe(SECRET);
    expect(JSON.parse(a.seen[1]!.body)).toMatchObject({ id: expect.any(String) });
  });

  it('to another origin carry none of the flow headers and no body', async () => {
    const h = await run('hook', { url: `http://127.0.0.1:${a.port}/cross-302` });
    expect(h.state).toBe('handed_off');
    expect(b.seen).toHaveLength(1);
    expect(b.seen[0]).toMatchObject({ method: 'GET', url: '/landed', body: '' });
    expect(b.seen[0]!.headers['x-api-key']).toBeUndefined();
    expect(b.seen[0]!.headers['idempotency-key']).toBeUndefined();
  });

  it('a 307 to another origin is not followed: the body is not re-posted there', async () => {
    const h = await run('hook', { url: `http://127.0.0.1:${a.port}/cross-307` });
    expect(h.state).toBe('failed');
    expect(h.actions[0]).toMatchObject({ state: 'failed' });
    expect(h.actions[0]!.error).toMatch(/not sent to another origin/);
    expect(b.seen).toEqual([]);
  });

  it('each hop is checked: a redirect to a refused host goes nowhere', async () => {
    for (const p of ['/to-ipv6-loopback', '/to-metadata']) {
      const h = await run('hook', { url: `http://127.0.0.1:${a.port}${p}` });
      expect(h.actions[0], p).toMatchObject({ state: 'failed' });
      expect(h.actions[0]!.error, p).toMatch(/may not be reached/);
    }
    expect(b.seen).toEqual([]);
  });

  it('stop after five', async () => {
    const h = await run('hook', { url: `http://127.0.0.1:${a.port}/loop` });
    expect(h.actions[0]!.error).toMatch(/more than 5 redirects/);
    expect(a.seen).toHaveLength(6);
  });
});

describe('URL parameters and calls that never left', () => {
  let a: Listener;
  beforeAll(async () => {
    a = await listener();
    s = await startTemp(
      {},
      {
        'baton.yaml': projectWith(ALLOW_LOOPBACK),
        'flows/hook.yaml': HOOK_FLOW,
        'flows/items.yaml': pathFlow(a.port),
        'flows/rawfetch.yaml': FETCH_FLOW,
        'actions/raw.mjs': FETCH_ACTION,
        'flows/guarded.yaml': GUARDED_FLOW,
        'actions/guarded.mjs': GUARDED_ACTION,
      },
    );
  });
  afterAll(async () => {
    await s?.close();
    s = undefined;
    await a.close();
  });

  it('percent-encodes interpolated values for the path segment or query value they land in', async () => {
    const cases: Array<[string, string, string]> = [
      ['../../admin', 'x', '/items/..%2F..%2Fadmin?q=x&n=1'],
      ['%2e%2e/%2e%2e/secret', 'x', '/items/%252e%252e%2F%252e%252e%2Fsecret?q=x&n=1'],
      ['x?injected=1', 'x', '/items/x%3Finjected%3D1?q=x&n=1'],
      ['a#b', 'x&injected=1#f', '/items/a%23b?q=x%26injected%3D1%23f&n=1'],
    ];
    for (const [p, q, expected] of cases) {
      a.seen.length = 0;
      const h = await run('items', { path: p, q });
      expect(h.state, p).toBe('handed_off');
      expect(a.seen.map((r) => r.url)).toEqual([expected]);
    }
  });

  it('refuses a value that would be a "." or ".." segment', async () => {
    a.seen.length = 0;
    const h = await run('items', { path: '..', q: 'x' });
    expect(h.state).toBe('failed');
    expect(h.actions[0]!.error).toMatch(/may not be a path segment/);
    expect(a.seen).toEqual([]);
  });

  it('a URL with a user and password is refused as a plain failure, its password kept out', async () => {
    const h = await run('hook', { url: `http://user:pw-9q@127.0.0.1:${a.port}/` });
    expect(h.state).toBe('failed');
    expect(h.actions[0]!.state).toBe('failed');
    expect(h.actions[0]!.error).toMatch(/user name or password/);
    expect(JSON.stringify(h.events)).not.toContain('pw-9q');
  });

  it("a project action whose fetch fails before connecting fails plainly, not 'outcome unknown'", async () => {
    const closed = await freePort();
    for (const url of [`http://user:pw-9q@127.0.0.1:${a.port}/`, `http://127.0.0.1:${closed}/`]) {
      const h = await run('rawfetch', { url });
      expect(h.state, url).toBe('failed');
      expect(h.actions[0]!.state, url).toBe('failed');
      expect(h.actions[0]!.error, url).toMatch(/^not sent: /);
      expect(
        h.events.map((e) => e.type),
        url,
      ).not.toContain('action_outcome_unknown');
      expect(h.actions[0]!.error).not.toContain('pw-9q');
      expect(JSON.stringify(h.events)).not.toContain('pw-9q');
    }
  });

  it("a project's own action calling through outboundRequest gets the same guard", async () => {
    a.seen.length = 0;
    const allowed = await run('guarded', { url: `http://127.0.0.1:${a.port}/ok` });
    expect(allowed.state).toBe('handed_off');
    const refused = await run('guarded', { url: `http://[::1]:${a.port}/no` });
    expect(refused.actions[0]).toMatchObject({ state: 'failed' });
    expect(refused.actions[0]!.error).toMatch(/may not be reached: ::1, a loopback address/);
    expect(a.seen.map((r) => r.url)).toEqual(['/ok']);
  });

  it('http.post to a port nobody listens on fails plainly', async () => {
    const closed = await freePort();
    const h = await run('hook', { url: `http://127.0.0.1:${closed}/` });
    expect(h.actions[0]).toMatchObject({ state: 'failed' });
    expect(h.actions[0]!.error).toMatch(/could not connect \(ECONNREFUSED\)/);
    const failed = h.events.find((e) => e.type === 'action_failed');
    expect(failed?.data).toMatchObject({ sent: false, retryable: true });
  });
});

describe('loading a flow', () => {
  it('refuses a ${…} in the scheme or host of a URL, with file, line and field', async () => {
    const flow = HOOK_FLOW.replace('"${input.url}"', '"https://${input.url}.example.com/x"');
    const e = await openTemp({ 'flows/hook.yaml': flow }).catch((x: unknown) => x);
    expect(isBatonError(e) && e.code).toBe('flow_invalid');
    const d = isBatonError(e) ? e.details.find((x) => x.path === 'actions[0].with.url') : undefined;
    expect(d?.message).toMatch(/may not set the scheme or host/);
    expect(d?.file).toMatch(/hook\.yaml$/);
    expect(d?.line).toBe(9);
  });

  it('refuses an allowHosts entry that is not a host, address or range', async () => {
    const e = await openTemp({
      'baton.yaml': projectWith('\noutbound: { allowHosts: ["http://x/"] }\n'),
    }).catch((x: unknown) => x);
    expect(isBatonError(e) && e.code).toBe('project_invalid');
    const d = isBatonError(e) ? e.details.find((x) => x.path.startsWith('outbound.allowHosts')) : undefined;
    expect(d?.message).toMatch(/a host name/);
    expect(d?.line).toBeGreaterThan(0);
  });
});
