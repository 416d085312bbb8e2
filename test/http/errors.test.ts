import http from 'node:http';
import net from 'node:net';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { z } from 'zod';
import { defineRoute } from '../../src/server/route.ts';
import { startTemp, type TempServer } from './helpers.ts';

let s: TempServer | undefined;
afterEach(async () => {
  vi.restoreAllMocks();
  await s?.close();
  s = undefined;
});

const INTAKE = '/v1/flows/lead-to-owner/handoffs';

/** Sends a body in chunks without a Content-Length (Transfer-Encoding: chunked). */
function chunked(url: string, chunks: string[], headers: Record<string, string> = {}) {
  return new Promise<{ status: number; body: string }>((resolve, reject) => {
    const req = http.request(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...headers },
    });
    req.on('response', (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => (body += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    // The server may answer 413 and stop reading before every chunk is written.
    req.on('error', (e: NodeJS.ErrnoException) =>
      e.code === 'EPIPE' || e.code === 'ECONNRESET' ? undefined : reject(e),
    );
    for (const c of chunks) req.write(c);
    req.end();
  });
}

describe('errors over HTTP: one shape, never a 5xx for bad input', () => {
  it('400 invalid_json for malformed JSON, with any JSON-ish content type', async () => {
    s = await startTemp();
    for (const type of [
      'application/json',
      'application/json; charset=utf-8',
      'text/plain',
      'application/x-www-form-urlencoded',
    ]) {
      const r = await s.call('POST', INTAKE, { raw: '{"id": "x",', headers: { 'content-type': type } });
      expect([type, r.status, r.body.error.code, r.body.error.details]).toEqual([
        type,
        400,
        'invalid_json',
        [],
      ]);
    }
    const deep = await s.call('POST', INTAKE, {
      raw: `{"id":"x","company":"c","email":"e","n":${'['.repeat(5000)}${']'.repeat(5000)}}`,
      headers: { 'content-type': 'application/json' },
    });
    expect(deep.status).toBe(400);
    expect(deep.body.error.message).toMatch(/deeper/);
    const proto = await s.call('POST', INTAKE, {
      raw: '{"id":"x","company":"c","email":"e","__proto__":{"admin":true}}',
      headers: { 'content-type': 'application/json' },
    });
    expect(proto.status).toBe(400);
  });

  it('reads curl -d bodies (form content type) and bodies without a type as JSON', async () => {
    s = await startTemp();
    const body = JSON.stringify({ id: 'C1', company: 'Acme', email: 'a@acme.com' });
    const form = await s.call('POST', INTAKE, {
      raw: body,
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
    });
    expect(form.status).toBe(202);
    const res = await fetch(s.url + INTAKE, { method: 'POST', body: new Blob([body]) });
    expect(res.status).toBe(202);
  });

  it('415 for bodies that are not JSON', async () => {
    s = await startTemp();
    for (const type of ['application/xml', 'multipart/form-data; boundary=x', 'image/png']) {
      const r = await s.call('POST', INTAKE, { raw: '<a/>', headers: { 'content-type': type } });
      expect([type, r.status, r.body.error.code]).toEqual([type, 415, 'unsupported_media_type']);
    }
  });

  it('400 invalid_json with the byte position for invalid UTF-8, NUL and lone surrogates; nothing stored', async () => {
    s = await startTemp();
    const post = async (path: string, bytes: Buffer, token?: string) => {
      const res = await fetch(s!.url + path, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          ...(token ? { authorization: `Bearer ${token}` } : {}),
        },
        body: new Uint8Array(bytes),
      });
      return {
        status: res.status,
        body: (await res.json()) as { error: { code: string; message: string; details: unknown[] } },
      };
    };
    const head = '{"id":"U1","company":"Ac';
    const tail = 'me","email":"a@acme.com"}';
    const at = Buffer.byteLength(head);
    const cases: Array<[string, Buffer, RegExp]> = [
      [
        'invalid UTF-8',
        Buffer.concat([Buffer.from(head), Buffer.from([0xff, 0xfe]), Buffer.from(tail)]),
        /not valid UTF-8/,
      ],
      [
        'a UTF-8 encoded surrogate',
        Buffer.concat([Buffer.from(head), Buffer.from([0xed, 0xa0, 0x80]), Buffer.from(tail)]),
        /not valid UTF-8/,
      ],
      [
        'a cut-off sequence',
        Buffer.concat([Buffer.from(head), Buffer.from([0xe2, 0x82]), Buffer.from(tail)]),
        /not valid UTF-8/,
      ],
      ['a lone high surrogate escape', Buffer.from(`${head}\\ud800${tail}`), /lone surrogate/],
      ['a lone low surrogate escape', Buffer.from(`${head}\\udc00${tail}`), /lone surrogate/],
      ['a high surrogate without its pair', Buffer.from(`${head}\\ud83d\\u0041${tail}`), /lone surrogate/],
      ['a NUL escape', Buffer.from(`${head}\\u0000${tail}`), /NUL/],
      ['a raw NUL', Buffer.concat([Buffer.from(head), Buffer.from([0]), Buffer.from(tail)]), /NUL/],
    ];
    for (const [what, bytes, message] of cases) {
      const r = await post(INTAKE, bytes);
      expect([what, r.status, r.body.error.code]).toEqual([what, 400, 'invalid_json']);
      expect(r.body.error.message).toMatch(message);
      expect(r.body.error.message).toContain(`at byte ${at}`);
      expect(r.body.error.details).toEqual([expect.objectContaining({ path: 'input', byte: at })]);
    }
    // The byte position counts bytes, not characters: two-byte "é" before the damage.
    const wide = await post(INTAKE, Buffer.from('{"id":"U2","company":"é\\udfff"}'));
    expect(wide.body.error.message).toContain(`at byte ${Buffer.byteLength('{"id":"U2","company":"é')}`);
    expect((await s.call('GET', '/v1/handoffs')).body.items).toEqual([]);

    // Proper pairs, raw characters outside the BMP and an escaped backslash before "ud800" pass.
    const fine = await post(
      INTAKE,
      Buffer.from('{"id":"U3","company":"Ac\\ud83d\\ude00me 😀 \\\\ud800","email":"a@acme.com"}'),
    );
    expect(fine.status).toBe(202);
    const stored = await s.call('GET', `/v1/handoffs/${(fine.body as unknown as { id: string }).id}`);
    expect(stored.body.input.company).toBe('Ac😀me 😀 \\ud800');

    // Every JSON route, not only intake.
    const kim = await s.token('kim', 'viewer');
    const id = (fine.body as unknown as { id: string }).id;
    const decline = await post(
      `/v1/handoffs/${id}/decline`,
      Buffer.from('{"reason":"other","comment":"x\\ud800"}'),
      kim,
    );
    expect([decline.status, decline.body.error.code]).toEqual([400, 'invalid_json']);
    expect(decline.body.error.details).toEqual([
      expect.objectContaining({ path: 'body', byte: '{"reason":"other","comment":"x'.length }),
    ]);
  });

  it('requests the HTTP parser refuses get the one error shape: 431 for a huge URL, 400 for a bad Content-Length', async () => {
    s = await startTemp();
    const { port } = new URL(s.url);
    /** Writes raw bytes to the server and reads the whole answer (the server closes). */
    const raw = (text: string) =>
      new Promise<string>((resolve, reject) => {
        const socket = net.connect(Number(port), '127.0.0.1', () => socket.write(text));
        let answer = '';
        socket.setEncoding('utf8');
        socket.on('data', (d: string) => (answer += d));
        socket.on('end', () => resolve(answer));
        socket.on('error', (e: NodeJS.ErrnoException) =>
          e.code === 'ECONNRESET' ? resolve(answer) : reject(e),
        );
      });
    const parse = (answer: string) => {
      const [head, body] = answer.split('\r\n\r\n', 2) as [string, string];
      return { status: Number(head.split(' ')[1]), head: head.toLowerCase(), body: JSON.parse(body) };
    };
    const huge = parse(await raw(`GET /v1/handoffs?flow=${'x'.repeat(40_000)} HTTP/1.1\r\nHost: a\r\n\r\n`));
    expect(huge.status).toBe(431);
    expect(huge.head).toContain('content-type: application/json');
    expect(huge.body).toEqual({
      error: {
        code: 'too_large',
        message: expect.stringMatching(/URL and headers are larger than/),
        details: [],
      },
    });
    const length = parse(
      await raw(
        `POST ${INTAKE} HTTP/1.1\r\nHost: a\r\nContent-Type: application/json\r\nContent-Length: abc\r\n\r\n{}`,
      ),
    );
    expect(length.status).toBe(400);
    expect(length.body).toEqual({
      error: { code: 'invalid_request', message: expect.stringMatching(/Content-Length/), details: [] },
    });
    const garbage = parse(await raw('NOT HTTP AT ALL\r\n\r\n'));
    expect([garbage.status, garbage.body.error.code]).toEqual([400, 'invalid_request']);
    // The server keeps serving.
    expect((await s.call('GET', '/healthz')).status).toBe(200);
  });

  it('413 too_large over 1 MiB, with a Content-Length or chunked', async () => {
    s = await startTemp();
    const big = JSON.stringify({ id: 'x', company: 'c', email: 'e', blob: 'x'.repeat(1024 * 1024) });
    const r = await s.call('POST', INTAKE, { raw: big, headers: { 'content-type': 'application/json' } });
    expect(r.status).toBe(413);
    expect(r.body.error).toMatchObject({ code: 'too_large', message: expect.stringMatching(/1048576/) });

    const chunks = [JSON.stringify({ id: 'x', company: 'c', email: 'e' }).slice(0, -1) + ',"blob":"'];
    for (let i = 0; i < 40; i++) chunks.push('y'.repeat(32 * 1024));
    chunks.push('"}');
    const c = await chunked(s.url + INTAKE, chunks);
    expect(c.status).toBe(413);
    expect(JSON.parse(c.body).error.code).toBe('too_large');

    // Just under the limit is fine, also chunked.
    const ok = await chunked(s.url + INTAKE, [
      JSON.stringify({ id: 'ok', company: 'c', email: 'e@acme.com', note: 'z'.repeat(1000) }),
    ]);
    expect(ok.status).toBe(202);
  });

  it('honours a smaller bodyLimit option', async () => {
    s = await startTemp({ bodyLimit: 2048 });
    const r = await s.call('POST', INTAKE, {
      body: { id: 'x', company: 'c', email: 'e', pad: 'p'.repeat(3000) },
    });
    expect(r.status).toBe(413);
  });

  it('422 validation_failed for wrong shapes, with a detail per field', async () => {
    s = await startTemp();
    const kim = await s.token('kim', 'viewer');
    const id = (await s.call('POST', INTAKE, { body: { id: 'V1', company: 'Acme', email: 'a@acme.com' } }))
      .body.id;
    const cases: Array<[string, string, string[]]> = [
      [`/v1/handoffs/${id}/decline`, '[1, 2]', ['body']],
      [`/v1/handoffs/${id}/decline`, '"wrong_owner"', ['body']],
      [`/v1/handoffs/${id}/decline`, 'null', ['body']],
      [`/v1/handoffs/${id}/decline`, '{"reason": 12345678901234567890}', ['reason']],
      [`/v1/handoffs/${id}/accept`, JSON.stringify({ comment: 'x'.repeat(20_000) }), ['comment']],
      [`/v1/handoffs/${id}/reassign`, '{"to": {"user": "lee"}}', ['to']],
      [`/v1/handoffs/${id}/actions/task/resolve`, '{}', ['outcome']],
      [`/v1/approvals/${id}`, '{"decision": "approve", "edits": []}', ['edits']],
    ];
    for (const [path, raw, paths] of cases) {
      const r = await s.call('POST', path, {
        raw,
        token: kim,
        headers: { 'content-type': 'application/json' },
      });
      const got = [path, raw.slice(0, 40), r.status, r.body.error.code];
      expect(got).toEqual([path, raw.slice(0, 40), 422, 'validation_failed']);
      expect(r.body.error.details.map((d: { path: string }) => d.path)).toEqual(paths);
      expect(r.body.error.message).toMatch(/not valid/);
    }
    for (const raw of ['[]', '"text"', '42', 'null', '']) {
      const r = await s.call('POST', INTAKE, { raw, headers: { 'content-type': 'application/json' } });
      expect([raw, r.status, r.body.error.details]).toEqual([
        raw,
        422,
        [{ path: 'input', message: raw ? 'must be an object' : 'is required' }],
      ]);
    }
    const huge = await s.call('POST', INTAKE, {
      raw: '{"id":"H","company":"Acme","email":"a@acme.com","amount":1e400}',
      headers: { 'content-type': 'application/json' },
    });
    // 1e400 is Infinity to JSON.parse, which would be stored as null: refused instead.
    expect(huge.status).toBe(422);
    expect(huge.body.error.details).toEqual([
      { path: 'input.amount', message: expect.stringMatching(/too large/) },
    ]);
    const nested = await s.call('POST', `/v1/handoffs/${id}/decline`, {
      raw: '{"reason":"other","comment":"ok","x":[1,-1e999]}',
      token: kim,
      headers: { 'content-type': 'application/json' },
    });
    expect(nested.status).toBe(422);
    expect(nested.body.error.details[0].path).toBe('x[1]');
  });

  it('one rule for unknown query parameters on every route: 422 naming the parameter', async () => {
    const extra = defineRoute({
      method: 'GET',
      url: '/v1/extra',
      access: 'read',
      tag: 'ops',
      summary: 'A route added by an extension',
      response: { description: 'ok', schema: z.object({ ok: z.boolean() }) },
      async handler() {
        return { ok: true };
      },
    });
    s = await startTemp({ routes: [extra] });
    const id = await s.send({ id: 'Q1', company: 'Acme', email: 'a@acme.com' });
    const admin = await s.token('dana', 'admin');
    for (const path of [
      '/v1/flows?x=1',
      '/v1/flows/lead-to-owner?x=1',
      `/v1/handoffs/${id}?x=1`,
      '/v1/handoffs?x=1',
      '/v1/audit/verify?x=1',
      '/v1/audit/export?x=1',
      '/v1/approvals?x=1',
      '/v1/tasks?x=1',
      '/v1/inbox?x=1',
      '/v1/metrics/summary?x=1',
      '/v1/stream?x=1',
      '/metrics?x=1',
      '/healthz?x=1',
      '/readyz?x',
      '/v1/openapi.json?x=1',
      '/v1/extra?x=1',
    ]) {
      const r = await s.call('GET', path, { token: admin });
      expect([path, r.status, r.body?.error.code, r.body?.error.details]).toEqual([
        path,
        422,
        'validation_failed',
        [{ path: 'x', message: 'is not an allowed field' }],
      ]);
    }
    const kim = await s.token('kim', 'viewer');
    const post = await s.call('POST', `/v1/handoffs/${id}/accept?x=1`, { token: kim, body: {} });
    expect([post.status, post.body.error.details]).toEqual([
      422,
      [{ path: 'x', message: 'is not an allowed field' }],
    ]);
    expect((await s.call('GET', `/v1/handoffs/${id}`)).body.state).toBe('handed_off');
    const intake = await s.call('POST', `${INTAKE}?x=1`, {
      body: { id: 'Q2', company: 'Acme', email: 'a@acme.com' },
    });
    expect(intake.status).toBe(422);
    // Known parameters still work, and the query is checked after the token.
    expect((await s.call('GET', '/v1/handoffs?limit=1', { token: admin })).status).toBe(200);
    expect(
      (await s.call('GET', '/v1/flows?x=1', { headers: { authorization: 'Bearer bt_nope' } })).status,
    ).toBe(401);
  });

  it('404 JSON for unknown routes and methods', async () => {
    s = await startTemp();
    for (const [method, path] of [
      ['GET', '/nope'],
      ['GET', '/v1/handoffs/x/y/z'],
      ['POST', '/v1/handoffs'],
      ['DELETE', '/v1/handoffs/x'],
      ['PUT', '/v1/flows/lead-to-owner/handoffs'],
      ['POST', '/v1/handoffs/x/explode'],
    ] as const) {
      const r = await s.call(method, path, method === 'GET' ? {} : { body: {} });
      expect([method, path, r.status, r.body.error.code]).toEqual([method, path, 404, 'not_found']);
      expect(r.headers.get('content-type')).toMatch(/application\/json/);
    }
    const badEscape = await s.call('GET', '/v1/handoffs/%E0%A4%A');
    expect(badEscape.status).toBe(400);
    expect(badEscape.body.error.code).toBe('invalid_request');
  });

  it('500 internal with a generic message when something unexpected breaks, logged without secrets', async () => {
    s = await startTemp();
    const spy = vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
    vi.spyOn(s.baton.store, 'list').mockRejectedValue(new Error('disk on fire'));
    const withToken = await s.call('GET', '/v1/handoffs', {
      headers: { authorization: 'Bearer bt_secret_value' },
    });
    expect(withToken.status).toBe(401); // the unknown token is refused before anything else
    const r = await s.call('GET', '/v1/handoffs', { headers: { 'x-note': 'bt_secret_value' } });
    const logged = spy.mock.calls.map((c) => String(c[0])).join('');
    spy.mockRestore();
    expect(r.status).toBe(500);
    expect(r.body).toEqual({
      error: { code: 'internal', message: expect.not.stringMatching(/fire/), details: [] },
    });
    expect(logged).toMatch(/GET \/v1\/handoffs: Error: disk on fire/);
    expect(logged).not.toMatch(/bt_secret_value/);
  });
});
