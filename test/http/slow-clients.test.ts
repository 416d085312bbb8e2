// Slow clients over a raw socket against the real listener, with short limits: a client that
// never finishes its headers or its body gets 408 with the usual error body and the connection
// is closed, on every route (also the channel routes that need no token); an idle connection is
// closed. Before these bounds, such connections were kept open for ever.
import { connect, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { projectSchema } from '../../src/core/project-schema.ts';
import { startTemp, type TempServer } from './helpers.ts';

const LIMITS = { headersMs: 300, requestMs: 700, idleMs: 400 };
let s: TempServer;
let port: number;

beforeAll(async () => {
  s = await startTemp({ timeouts: LIMITS });
  port = Number(new URL(s.url).port);
});
afterAll(async () => {
  await s.close();
});

interface Outcome {
  text: string;
  /** When the server closed the connection, from the first byte sent (or the connect). */
  closedAfterMs: number;
}

/** Connects, writes `first`, then nothing more; resolves when the server closes. */
function stall(first: string, giveUpMs = 10_000): Promise<Outcome> {
  return new Promise((resolve, reject) => {
    const socket: Socket = connect(port, '127.0.0.1');
    let text = '';
    let start = 0;
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`still open after ${giveUpMs} ms; received: ${text}`));
    }, giveUpMs);
    socket.setEncoding('utf8');
    socket.on('connect', () => {
      start = Date.now();
      if (first) socket.write(first);
    });
    socket.on('data', (d: string) => (text += d));
    socket.on('error', () => {});
    socket.on('close', () => {
      clearTimeout(timer);
      resolve({ text, closedAfterMs: Date.now() - start });
    });
  });
}

const bodyOf = (text: string): unknown => JSON.parse(text.slice(text.indexOf('\r\n\r\n') + 4));

function expect408(o: Outcome, boundMs: number): void {
  expect(o.text).toMatch(/^HTTP\/1\.1 408 Request Timeout\r\n/);
  expect(o.text).toMatch(/\r\ncontent-type: application\/json; charset=utf-8\r\n/i);
  expect(bodyOf(o.text)).toEqual({
    error: {
      code: 'request_timeout',
      message: 'The request did not arrive in time',
      details: [],
    },
  });
  expect(o.closedAfterMs).toBeGreaterThanOrEqual(boundMs - 50);
  // The bound plus the check interval, with room for a loaded machine.
  expect(o.closedAfterMs).toBeLessThan(boundMs + 3000);
}

const partialBody = (path: string, type: string, extra = '') =>
  `POST ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\n${extra}Content-Type: ${type}\r\nContent-Length: 100\r\n\r\n{"id":"S`;

describe('slow clients', () => {
  it('headers that never finish get 408 after server.headersTimeoutMs', async () => {
    const o = await stall('POST /v1/flows/lead-to-owner/handoffs HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-');
    expect(o.text).not.toBe('');
    expect408(o, LIMITS.headersMs);
  });

  it('a body that never finishes gets 408 after server.requestTimeoutMs, on every route', async () => {
    const operator = `Authorization: Bearer ${await s.token('ops', 'operator')}\r\n`;
    const routes: Array<[string, string, string?]> = [
      ['/v1/flows/lead-to-owner/handoffs', 'application/json'], // anonymous intake
      ['/v1/intake/slack/interactions', 'application/x-www-form-urlencoded'], // no token needed
      [`/v1/email/links/bl_${'A'.repeat(32)}`, 'application/x-www-form-urlencoded'], // no token needed
      ['/v1/handoffs/h_00000000000000_nobody/reassign', 'application/json', operator],
    ];
    const outcomes = await Promise.all(
      routes.map(([path, type, extra]) => stall(partialBody(path, type, extra))),
    );
    for (const o of outcomes) expect408(o, LIMITS.requestMs);
    // Nothing was recorded from the half-sent intake.
    expect((await s.call('GET', '/v1/handoffs')).body.items).toEqual([]);
  });

  it('a connection that sends nothing is closed', async () => {
    const o = await stall('');
    expect(o.closedAfterMs).toBeLessThan(LIMITS.headersMs + 3000);
  });

  it('a kept-alive connection idle after its request is closed after server.idleTimeoutMs', async () => {
    const o = await stall('GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n');
    expect(o.text).toMatch(/^HTTP\/1\.1 200 OK\r\n/);
    expect(o.text).not.toContain('408');
    expect(o.closedAfterMs).toBeGreaterThanOrEqual(LIMITS.idleMs - 50);
    expect(o.closedAfterMs).toBeLessThan(LIMITS.idleMs + 3000);
  });

  it('a client that sends its body in pieces within the limits is served', async () => {
    const body = JSON.stringify({ id: 'SLOW1', company: 'Acme', email: 'jo@acme.com' });
    const answer = await new Promise<string>((resolve, reject) => {
      const socket = connect(port, '127.0.0.1');
      let text = '';
      socket.setEncoding('utf8');
      socket.on('data', (d: string) => {
        text += d;
        if (text.includes('\r\n\r\n')) {
          socket.destroy();
          resolve(text);
        }
      });
      socket.on('error', reject);
      socket.on('connect', () => {
        socket.write(
          `POST /v1/flows/lead-to-owner/handoffs HTTP/1.1\r\nHost: 127.0.0.1\r\n` +
            `Content-Type: application/json\r\nContent-Length: ${body.length}\r\n\r\n${body.slice(0, 10)}`,
        );
        setTimeout(() => socket.write(body.slice(10)), 150);
      });
    });
    expect(answer).toMatch(/^HTTP\/1\.1 202 Accepted\r\n/);
  });

  it('the limits are baton.yaml settings with defaults; headers cannot outlast the request', () => {
    const server = projectSchema.parse({}).server;
    expect([server.headersTimeoutMs, server.requestTimeoutMs, server.idleTimeoutMs]).toEqual([
      10_000, 30_000, 65_000,
    ]);
    const bad = projectSchema.safeParse({ server: { headersTimeoutMs: 5000, requestTimeoutMs: 1000 } });
    expect(bad.error?.issues).toEqual([
      expect.objectContaining({
        path: ['server', 'headersTimeoutMs'],
        message: expect.stringMatching(/not be longer than server\.requestTimeoutMs/),
      }),
    ]);
  });
});
