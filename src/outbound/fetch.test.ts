// The pinned fetch: the policy decides, the connection goes to the checked address, answers
// stream, and a redirect is handed back rather than followed.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isBatonError } from '../core/errors.ts';
import { pinnedFetch } from './fetch.ts';
import { OutboundPolicy, type Resolver } from './policy.ts';

let server: Server;
let port = 0;
const hosts: string[] = [];

beforeAll(async () => {
  server = createServer((req, res) => {
    hosts.push(String(req.headers.host));
    if (req.url === '/redirect') return res.writeHead(302, { location: 'http://169.254.169.254/' }).end();
    if (req.url === '/stream') {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      res.write('data: one\n\n');
      setTimeout(() => res.end('data: two\n\n'), 50);
      return;
    }
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => res.writeHead(200, { 'x-echo': body }).end(`${req.method} ${body}`));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  port = (server.address() as AddressInfo).port;
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise((r) => server.close(r));
});

const resolve: Resolver = async (host) => {
  if (host === 'mcp.internal') return [{ address: '127.0.0.1', family: 4 }];
  throw Object.assign(new Error('no such host'), { code: 'ENOTFOUND' });
};

describe('pinnedFetch', () => {
  it('refuses what the policy refuses, before connecting', async () => {
    const f = pinnedFetch(new OutboundPolicy({ allowHosts: [] }, resolve));
    const before = hosts.length;
    for (const url of [
      `http://mcp.internal:${port}/`,
      `http://127.0.0.1:${port}/`,
      `http://[::ffff:7f00:1]:${port}/`,
    ]) {
      const e = await f(url).catch((x: unknown) => x);
      expect(isBatonError(e) && e.context.sent).toBe('no');
    }
    expect(hosts.length).toBe(before);
  });

  it('connects to the checked address with the URL’s host, sends the body, streams the answer', async () => {
    const f = pinnedFetch(new OutboundPolicy({ allowHosts: ['mcp.internal'] }, resolve));
    const r = await f(`http://mcp.internal:${port}/echo`, { method: 'POST', body: '{"a":1}' });
    expect(await r.text()).toBe('POST {"a":1}');
    expect(r.headers.get('x-echo')).toBe('{"a":1}');
    expect(hosts.at(-1)).toBe(`mcp.internal:${port}`);
    const s = await f(`http://mcp.internal:${port}/stream`);
    expect(await s.text()).toBe('data: one\n\ndata: two\n\n');
  });

  it('hands a redirect back instead of following it', async () => {
    const f = pinnedFetch(new OutboundPolicy({ allowHosts: ['mcp.internal'] }, resolve));
    const r = await f(`http://mcp.internal:${port}/redirect`);
    expect(r.status).toBe(302);
    expect(r.headers.get('location')).toBe('http://169.254.169.254/');
  });
});
