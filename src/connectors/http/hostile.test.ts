// Hostile targets, generated as a table: every non-public IPv4 address in every spelling a URL
// parser accepts (decimal, octal, hex, short forms, IPv4-mapped, -compatible, NAT64, 6to4),
// IPv6 loopback, link-local, unique-local and multicast, names that resolve to them, metadata
// names, and schemes other than http(s); reached three ways: the built-in http.post's `url`, an
// http connector's base URL, and a redirect from an allowed host. Every one must be refused
// before a connection is made.
//
// Nothing here may connect outside loopback: names resolve through a stub (no DNS), and the
// policy's connect guard records and refuses every target it is handed. The loopback forms all
// point at sink listeners that count connections: with loopback not allowed, they stay at zero.
import { createServer, type Server } from 'node:net';
import { createServer as createHttpServer, type Server as HttpServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ActionContext } from '../../actions/define.ts';
import { Registry } from '../../actions/registry.ts';
import { Tables } from '../../actions/tables.ts';
import { isBatonError } from '../../core/errors.ts';
import { OutboundPolicy, type Resolver, type Target } from '../../outbound/policy.ts';
import { NO_PEOPLE } from '../../../test/support/connector-contract.ts';
import { ROOT } from '../../../test/support/project.ts';
import { openConnectors, readConnectors } from '../configure.ts';
import { httpPost } from './actions.ts';

// ── The table ────────────────────────────────────────────────────────────────────────────────

/** Non-public IPv4 addresses: loopback, private, metadata, CGNAT, unspecified, multicast, reserved. */
const V4 = [
  '127.0.0.1',
  '127.1.2.3',
  '10.0.0.1',
  '172.16.5.4',
  '192.168.0.1',
  '169.254.169.254',
  '100.64.0.1',
  '0.0.0.0',
  '224.0.0.1',
  '198.18.0.1',
];

const hex16 = (a: number, b: number) => ((a << 8) | b).toString(16);

/** Every spelling of an IPv4 address a WHATWG URL parser reads as that address. */
function v4Spellings(ip: string): Array<[string, string]> {
  const o = ip.split('.').map(Number) as [number, number, number, number];
  const int = ((o[0] << 24) >>> 0) + (o[1] << 16) + (o[2] << 8) + o[3];
  return [
    ['dotted', ip],
    ['decimal', String(int)],
    ['hex', `0x${int.toString(16)}`],
    ['octal', `0${int.toString(8)}`],
    ['octal dotted', o.map((x) => `0${x.toString(8)}`).join('.')],
    ['hex dotted', o.map((x) => `0x${x.toString(16)}`).join('.')],
    ['two parts', `${o[0]}.${(o[1] << 16) | (o[2] << 8) | o[3]}`],
    ['three parts', `${o[0]}.${o[1]}.${(o[2] << 8) | o[3]}`],
    ['trailing dot', `${ip}.`],
    ['IPv4-mapped', `[::ffff:${ip}]`],
    ['IPv4-mapped hex', `[::ffff:${hex16(o[0], o[1])}:${hex16(o[2], o[3])}]`],
    ['IPv4-mapped long', `[0:0:0:0:0:ffff:${ip}]`],
    ['IPv4-compatible', `[::${ip}]`],
    ['NAT64', `[64:ff9b::${ip}]`],
    ['6to4', `[2002:${hex16(o[0], o[1])}:${hex16(o[2], o[3])}::1]`],
  ];
}

const V6 = [
  '[::1]',
  '[::]',
  '[0:0:0:0:0:0:0:1]',
  '[0000::0001]',
  '[fe80::1]',
  '[fe80::abcd:1234]',
  '[febf::1]',
  '[fc00::1]',
  '[fd12:3456::1]',
  '[fd00:ec2::254]',
  '[ff02::1]',
  '[2001:db8::1]',
  '[fec0::1]',
];

/** Names the stub resolver answers: each to a non-public address (or a mix with a public one). */
const NAMES: Record<string, string[]> = {
  localhost: ['127.0.0.1', '::1'],
  'localhost.localdomain': ['127.0.0.1'],
  'v6-loopback.corp.test': ['::1'],
  'v6-linklocal.corp.test': ['fe80::1'],
  'v6-ula.corp.test': ['fd00::1'],
  'v6-mapped.corp.test': ['::ffff:10.0.0.1'],
  'mixed.corp.test': ['93.184.216.34', '10.0.0.1'],
  'mixed-v6.corp.test': ['2606:4700::1111', 'fd00::2'],
  'rebind.attacker.test': ['169.254.169.254'],
  ...Object.fromEntries(V4.map((ip, i) => [`private-${i}.corp.test`, [ip]])),
};

const METADATA = [
  'metadata.google.internal',
  'METADATA.GOOGLE.INTERNAL',
  'metadata.google.internal.',
  'metadata.goog',
];

interface Case {
  label: string;
  url: string;
}

const PORT = { v4: 0, v6: 0 };

function httpCases(): Case[] {
  const out: Case[] = [];
  for (const ip of V4)
    for (const [form, host] of v4Spellings(ip))
      out.push({ label: `${ip} ${form}`, url: `http://${host}:${PORT.v4}/x` });
  for (const host of V6) out.push({ label: `IPv6 ${host}`, url: `http://${host}:${PORT.v6}/x` });
  for (const name of Object.keys(NAMES))
    out.push({ label: `name ${name}`, url: `http://${name}:${PORT.v4}/x` });
  for (const name of METADATA)
    out.push({ label: `metadata ${name}`, url: `http://${name}/computeMetadata/v1/` });
  out.push({ label: 'https to loopback', url: `https://127.0.0.1:${PORT.v4}/x` });
  out.push({ label: 'https decimal loopback', url: `https://2130706433:${PORT.v4}/x` });
  return out;
}

const SCHEMES: Case[] = [
  'file:///etc/passwd',
  'file://localhost/etc/shadow',
  'gopher://127.0.0.1:6379/_FLUSHALL',
  'ftp://127.0.0.1/pub',
  'ftp://example.com/file',
  'data:text/plain,hello',
  'data:application/json;base64,e30=',
  'javascript:alert(1)',
  'dict://127.0.0.1:11211/stat',
  'ldap://127.0.0.1/dc=corp',
  'ws://127.0.0.1/socket',
  'wss://example.com/socket',
  'sftp://127.0.0.1/x',
  'tftp://127.0.0.1/x',
  'jar:http://127.0.0.1/x.jar!/',
  'http://[fe80::1%25eth0]/x',
].map((url) => ({ label: `scheme ${url.slice(0, url.indexOf(':'))}`, url }));

// ── The sinks, the stub resolver and the guard ──────────────────────────────────────────────

let sink4: Server;
let sink6: Server | undefined;
let redirector: HttpServer;
let redirectPort = 0;
const sinkConnections: string[] = [];
/** Every target the policy let through to the point of connecting, but for the redirector. */
const connected: Target[] = [];
const redirects = new Map<string, string>();

const resolve: Resolver = async (host) => {
  if (host === 'redirector.test') return [{ address: '127.0.0.1', family: 4 }];
  const answer = NAMES[host];
  if (!answer) throw Object.assign(new Error(`stub resolver: no such host ${host}`), { code: 'ENOTFOUND' });
  return answer.map((address) => ({ address, family: address.includes(':') ? 6 : 4 }));
};

const guard = (t: Target): void => {
  if (t.host === 'redirector.test') return;
  connected.push(t);
  throw new Error(`test guard: refused to connect to ${t.address}`);
};

/** The project's policy: loopback and the rest not allowed; only the redirector, where a test says so. */
const policy = (allowHosts: string[] = []) => new OutboundPolicy({ allowHosts }, resolve, guard);

const listen = (server: Server, host: string) =>
  new Promise<number>((res, rej) => {
    server.once('error', rej);
    server.listen(0, host, () => res((server.address() as AddressInfo).port));
  });

beforeAll(async () => {
  sink4 = createServer((s) => {
    sinkConnections.push('127.0.0.1');
    s.destroy();
  });
  PORT.v4 = await listen(sink4, '127.0.0.1');
  const six = createServer((s) => {
    sinkConnections.push('::1');
    s.destroy();
  });
  try {
    PORT.v6 = await listen(six, '::1');
    sink6 = six;
  } catch {
    PORT.v6 = PORT.v4; // no IPv6 loopback here: the guard still proves nothing connects
  }
  redirector = createHttpServer((req, res) => {
    const to = redirects.get(req.url ?? '');
    if (to) res.writeHead(302, { location: to }).end();
    else res.writeHead(200, { 'content-type': 'application/json' }).end('{"ok":true}');
  });
  await new Promise<void>((r) => redirector.listen(0, '127.0.0.1', r));
  redirectPort = (redirector.address() as AddressInfo).port;
});

afterAll(async () => {
  await new Promise((r) => sink4?.close(r));
  await new Promise((r) => (sink6 ? sink6.close(r) : r(undefined)));
  redirector?.closeAllConnections();
  await new Promise((r) => redirector?.close(r));
});

const ctx = (outbound: OutboundPolicy): ActionContext => ({
  handoffId: 'h_1',
  flow: 'f',
  actionId: 'a',
  idempotencyKey: 'h_1:a',
  owner: 'team:x',
  signal: AbortSignal.timeout(3000),
  outbound,
});

/** A refusal by the guard's policy: not sent, not retryable, saying why. */
function expectRefused(e: unknown): void {
  expect(isBatonError(e), String(e)).toBe(true);
  if (!isBatonError(e)) return;
  expect(e.message).toMatch(/may not be reached|is not http or https/);
  expect(e.retryable).toBe(false);
  expect(e.context.sent).toBe('no');
}

async function openBilling(settings: Record<string, unknown>, outbound: OutboundPolicy) {
  const { configured, problems } = readConnectors({ billing: { type: 'http', ...settings } });
  if (problems.length > 0) return { problems };
  const [opened] = await openConnectors(configured, new Registry(new Tables(new Map())), {
    outbound,
    projectDir: ROOT,
    people: NO_PEOPLE,
  });
  return { instance: opened!.instance };
}

// Built after the sinks listen (the table's ports are theirs).
const table = { http: [] as Case[] };

describe('hostile targets', () => {
  beforeAll(() => {
    table.http = httpCases();
  });

  it('the table is large and every entry parses as the URL it disguises', () => {
    const all = [...table.http, ...SCHEMES];
    expect(all.length).toBeGreaterThanOrEqual(200);
    expect(new Set(all.map((c) => c.url)).size).toBe(all.length);
    for (const c of table.http) expect(URL.canParse(c.url), c.url).toBe(true);
  });

  it('http.post refuses every one before connecting', async () => {
    for (const c of [...table.http, ...SCHEMES]) {
      const parsed = httpPost.params.safeParse({ url: c.url, body: { a: 1 } });
      if (!parsed.success) {
        // Only what is not an http(s) URL may stop at the schema.
        expect(c.url, c.label).not.toMatch(/^https?:\/\/[^[%]/);
        continue;
      }
      const e = await httpPost.run(parsed.data, ctx(policy())).catch((x: unknown) => x);
      expectRefused(e);
    }
    expect(connected).toEqual([]);
    expect(sinkConnections).toEqual([]);
  });

  it('an http connector refuses every one as its base URL, at connect time', async () => {
    let counted = 0;
    for (const c of [...table.http, ...SCHEMES]) {
      const opened = await openBilling({ baseUrl: c.url.replace(/\/x$/, ''), checkPath: '/x' }, policy());
      if ('problems' in opened) {
        expect(c.url, c.label).not.toMatch(/^https?:\/\/[^[%]/);
        continue;
      }
      const e = await opened.instance.check(AbortSignal.timeout(3000)).catch((x: unknown) => x);
      expectRefused(e);
      const get = await Promise.resolve(
        opened.instance.sources[0]!.fetch(
          { path: '/x' },
          { handoffId: 'h', flow: 'f', signal: AbortSignal.timeout(3000) },
        ),
      ).catch((x: unknown) => x);
      expectRefused(get);
      counted++;
    }
    expect(counted).toBe(table.http.length);
    expect(connected).toEqual([]);
    expect(sinkConnections).toEqual([]);
  });

  it('a redirect from an allowed host to any of them is refused at the next hop', async () => {
    const base = `http://redirector.test:${redirectPort}`;
    const opened = await openBilling({ baseUrl: base, allowHosts: ['redirector.test'] }, policy());
    const inst = opened.instance!;
    const post = inst.actions.find((a) => a.id === 'billing.put')!;
    // The redirector itself is reachable (the allowed host), so a refusal below is the next hop's.
    expect(await inst.check(AbortSignal.timeout(3000))).toMatch(/answered 200/);
    let i = 0;
    for (const c of [...table.http, ...SCHEMES.filter((s) => URL.canParse(s.url))]) {
      const path = `/go/${i++}`;
      redirects.set(path, c.url);
      const e = await Promise.resolve(
        inst.sources[0]!.fetch({ path }, { handoffId: 'h', flow: 'f', signal: AbortSignal.timeout(3000) }),
      ).catch((x: unknown) => x);
      expectRefused(e);
    }
    // A write's redirect is refused too (a PUT is never re-sent to another origin).
    redirects.set('/put', 'http://169.254.169.254/latest/meta-data/');
    const e = await post.run({ path: '/put', body: { a: 1 } }, ctx(policy())).catch((x: unknown) => x);
    expect(isBatonError(e) && e.context.sent).not.toBe('yes');
    expect(connected).toEqual([]);
    expect(sinkConnections).toEqual([]);
  });

  it('the sinks do count a connection: loopback allowed by address reaches them', async () => {
    const allowed = new OutboundPolicy({ allowHosts: ['127.0.0.1'] }, resolve);
    const e = await httpPost
      .run({ url: `http://2130706433:${PORT.v4}/x` }, ctx(allowed))
      .catch((x: unknown) => x);
    expect(e).toBeInstanceOf(Error); // the sink hangs up
    expect(sinkConnections).toEqual(['127.0.0.1']);
    sinkConnections.length = 0;
  });
});
