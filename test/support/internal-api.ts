// A small internal REST API (an invoices service) for the http connector's tests: records under
// /api/invoices/:id, created by POST (the server picks the id), replaced by PUT, merged by PATCH,
// removed by DELETE. Every request must carry the expected bearer token and, with a body, a JSON
// content type: what a real service would refuse, this one refuses too.
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface InternalApi {
  url: string;
  /** The records by id (the test compares them before and after a rollback). */
  records: Map<string, Record<string, unknown>>;
  /** Every request: method, path (as sent), idempotency key. */
  requests: Array<{ method: string; path: string; key: string | undefined; auth: string | undefined }>;
  close(): Promise<void>;
}

const readBody = async (req: IncomingMessage): Promise<string> => {
  const chunks: Buffer[] = [];
  for await (const c of req as AsyncIterable<Buffer>) chunks.push(c);
  return Buffer.concat(chunks).toString('utf8');
};

export async function startInternalApi(token: string): Promise<InternalApi> {
  const records = new Map<string, Record<string, unknown>>();
  const requests: InternalApi['requests'] = [];
  let next = 1;
  const server: Server = createServer((req, res) => {
    void (async () => {
      const text = await readBody(req);
      const path = req.url ?? '';
      const key = req.headers['idempotency-key'];
      requests.push({
        method: req.method ?? '',
        path,
        key: typeof key === 'string' ? key : undefined,
        auth: req.headers.authorization,
      });
      const send = (status: number, body?: unknown) =>
        res
          .writeHead(status, body === undefined ? {} : { 'content-type': 'application/json' })
          .end(body === undefined ? undefined : JSON.stringify(body));
      if (req.headers.authorization !== `Bearer ${token}`) return send(401, { error: 'invalid token' });
      let body: unknown;
      if (text) {
        if (!/^application\/json/.test(req.headers['content-type'] ?? ''))
          return send(415, { error: 'json only' });
        try {
          body = JSON.parse(text);
        } catch {
          return send(400, { error: 'invalid JSON' });
        }
      }
      const isObject = (v: unknown): v is Record<string, unknown> =>
        typeof v === 'object' && v !== null && !Array.isArray(v);
      if (path === '/api/health' && req.method === 'GET') return send(200, { ok: true });
      if (path === '/api/invoices' && req.method === 'POST') {
        if (!isObject(body)) return send(400, { error: 'an invoice object' });
        const id = `inv ${next++}`; // a space: the rollback path must percent-encode it
        records.set(id, { ...body, id });
        return send(201, { ...body, id });
      }
      const m = /^\/api\/invoices\/([^/?]+)$/.exec(path);
      if (!m) return send(404, { error: `no route ${req.method} ${path}` });
      const id = decodeURIComponent(m[1]!);
      const rec = records.get(id);
      switch (req.method) {
        case 'GET':
          return rec ? send(200, rec) : send(404, { error: 'no such invoice' });
        case 'PUT':
          if (!isObject(body)) return send(400, { error: 'an invoice object' });
          records.set(id, { ...body, id });
          return send(rec ? 200 : 201, { ...body, id });
        case 'PATCH':
          if (!rec) return send(404, { error: 'no such invoice' });
          if (!isObject(body)) return send(400, { error: 'a merge patch object' });
          records.set(id, { ...rec, ...body, id });
          return send(200, records.get(id));
        case 'DELETE':
          if (!rec) return send(404, { error: 'no such invoice' });
          records.delete(id);
          return send(204);
        default:
          return send(405, { error: 'method not allowed' });
      }
    })();
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}`,
    records,
    requests,
    close: () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}
