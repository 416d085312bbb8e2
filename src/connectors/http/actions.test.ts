// The generic HTTP actions against a local server answering in every awkward way a receiver can:
// each answer becomes a result or a classified error, never a crash or an unbounded read.
import { createServer, type Server } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BatonError } from '../../core/errors.ts';
import type { ActionContext } from '../../actions/define.ts';
import { httpPost, httpPut } from './actions.ts';
import { OutboundPolicy } from '../../outbound/policy.ts';

// The local server is loopback: the test project allows it, as a project must.
const outbound = new OutboundPolicy({ allowHosts: ['127.0.0.1'] });

let server: Server;
let base = '';
const keys: string[] = [];

beforeAll(async () => {
  server = createServer((req, res) => {
    keys.push(String(req.headers['idempotency-key']));
    req.resume();
    req.on('end', () => {
      switch (req.url) {
        case '/json':
          return res.writeHead(200, { 'content-type': 'application/json' }).end('{"a":1}');
        case '/text':
          return res.writeHead(200).end('hello');
        case '/empty':
          return res.writeHead(204).end();
        case '/big':
          return res.writeHead(200).end('x'.repeat(1024 * 1024));
        case '/endless': {
          res.writeHead(200);
          const t = setInterval(() => res.write('y'.repeat(16 * 1024)), 1);
          res.on('close', () => clearInterval(t));
          return;
        }
        case '/reset':
          res.writeHead(200, { 'content-length': '100' });
          res.write('partial');
          return setTimeout(() => req.socket.destroy(), 10);
        case '/slow':
          return; // never answers
        default:
          return res.writeHead(Number(req.url!.slice(1))).end('{"error":"no"}');
      }
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const a = server.address();
  base = `http://127.0.0.1:${typeof a === 'object' && a ? a.port : 0}`;
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise((r) => server.close(r));
});

const ctx = (timeoutMs = 2000): ActionContext => ({
  handoffId: 'h_1',
  flow: 'f',
  actionId: 'effect',
  idempotencyKey: `h_1:effect:${keys.length}`,
  owner: 'team:x',
  signal: AbortSignal.timeout(timeoutMs),
  outbound,
});

describe('http.post and http.put', () => {
  it('keep JSON and text answers and send the idempotency key', async () => {
    const c = ctx();
    expect(await httpPost.run({ url: `${base}/json`, body: { id: 1 } }, c)).toEqual({
      status: 200,
      body: { a: 1 },
    });
    expect(keys.at(-1)).toBe(c.idempotencyKey);
    expect(await httpPut.run({ url: `${base}/text` }, ctx())).toEqual({ status: 200, body: 'hello' });
    expect(await httpPut.run({ url: `${base}/empty` }, ctx())).toEqual({ status: 204, body: null });
  });

  it('record an answer too large to keep without storing it, also an endless one', async () => {
    expect(await httpPost.run({ url: `${base}/big` }, ctx())).toEqual({
      status: 200,
      body: null,
      bodyTooLarge: true,
    });
    const t0 = Date.now();
    expect(await httpPost.run({ url: `${base}/endless` }, ctx(10_000))).toMatchObject({ bodyTooLarge: true });
    expect(Date.now() - t0).toBeLessThan(5000);
  });

  it('classify error answers: 429 and 5xx may be retried, 4xx not', async () => {
    for (const [status, retryable] of [
      [429, true],
      [500, true],
      [503, true],
      [400, false],
      [404, false],
    ] as const) {
      const e = await httpPost.run({ url: `${base}/${status}` }, ctx()).catch((x: unknown) => x);
      expect(e).toBeInstanceOf(BatonError);
      expect((e as BatonError).code).toBe('action_failed');
      expect((e as BatonError).retryable, String(status)).toBe(retryable);
      expect((e as BatonError).message).toContain(String(status));
    }
  });

  it('fail (outcome unknown to the engine) on a dropped connection or a timeout', async () => {
    const reset = await httpPost.run({ url: `${base}/reset` }, ctx()).catch((x: unknown) => x);
    expect(reset).toBeInstanceOf(Error);
    expect(reset).not.toBeInstanceOf(BatonError);
    expect(String(reset)).toMatch(/aborted|terminated|socket|closed|reset/i);
    const e = await httpPost.run({ url: `${base}/slow` }, ctx(200)).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(Error);
    expect(e).not.toBeInstanceOf(BatonError);
  });

  it('refuse parameters that are not an http(s) URL', () => {
    for (const url of [
      'file:///etc/passwd',
      'ftp://x',
      'not a url',
      'javascript:alert(1)',
      'http://user:pass@example.com/',
      'http://user@example.com/',
    ]) {
      expect(httpPost.params.safeParse({ url }).success, url).toBe(false);
    }
  });
});
