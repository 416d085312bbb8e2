// A loopback proxy in front of Prism: the SDK under test talks to it, it forwards each request
// to Prism unchanged and records Prism's verdict (`sl-violations`), so a test asserts that the
// SDK sent nothing the vendor's description refuses, even where Prism itself answers anyway.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface Verdict {
  method: string;
  path: string;
  status: number;
  /** Prism's violations of the request (parsed from `sl-violations`), empty when it conforms. */
  violations: Array<{ location: string[]; message: string; severity?: string }>;
}

export interface ValidatingProxy {
  url: string;
  verdicts: Verdict[];
  close(): Promise<void>;
}

/**
 * `extraHeaders`: headers added before forwarding, for a description that still requires
 * something the live API no longer does (each use says why).
 */
export async function startValidatingProxy(
  target: string,
  extraHeaders: (headers: Headers) => Record<string, string> = () => ({}),
): Promise<ValidatingProxy> {
  const verdicts: Verdict[] = [];
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const headers = new Headers();
      for (const [k, v] of Object.entries(req.headers))
        if (typeof v === 'string' && k !== 'host' && k !== 'content-length') headers.set(k, v);
      for (const [k, v] of Object.entries(extraHeaders(headers))) headers.set(k, v);
      const body = chunks.length ? Buffer.concat(chunks) : undefined;
      fetch(`${target}${req.url ?? '/'}`, { method: req.method ?? 'GET', headers, ...(body ? { body } : {}) })
        .then(async (answer) => {
          const text = await answer.text();
          const raw = answer.headers.get('sl-violations');
          let violations: Verdict['violations'] = [];
          try {
            violations = raw ? (JSON.parse(raw) as Verdict['violations']) : [];
          } catch {
            violations = [{ location: [], message: raw ?? '' }];
          }
          verdicts.push({
            method: req.method ?? 'GET',
            path: req.url ?? '/',
            status: answer.status,
            violations,
          });
          res.writeHead(answer.status, {
            'content-type': answer.headers.get('content-type') ?? 'application/json',
          });
          res.end(text);
        })
        .catch((e: unknown) => {
          res.writeHead(502).end(String(e));
        });
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    verdicts,
    close: () => new Promise((r) => server.close(() => r())),
  };
}
