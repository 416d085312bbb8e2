// A fetch for SDKs that take one (the MCP client's streamable HTTP transport): each request's
// host is checked by the project's policy and the connection made to the checked address, as
// outboundRequest does, but the answer streams (an MCP server answers with server-sent events),
// so it is handed back as a Response whose body is read as it arrives. Redirects are never
// followed: a 3xx is the answer (an SDK treats it as an error).
import http from 'node:http';
import https from 'node:https';
import { Readable } from 'node:stream';
import type { OutboundPolicy } from './policy.ts';

export type PinnedFetch = (input: string | URL, init?: RequestInit) => Promise<Response>;

const bodyOf = (body: RequestInit['body']): string | Uint8Array | undefined => {
  if (body === undefined || body === null) return undefined;
  if (typeof body === 'string' || body instanceof Uint8Array) return body;
  throw new TypeError('pinned fetch sends string or byte bodies only');
};

export function pinnedFetch(policy: OutboundPolicy): PinnedFetch {
  return async (input, init = {}) => {
    const url = new URL(String(input));
    const t = await policy.target(url);
    const secure = url.protocol === 'https:';
    const headers: Record<string, string> = {};
    new Headers(init.headers).forEach((v, k) => (headers[k] = v));
    headers.host = url.host;
    const body = bodyOf(init.body);
    if (body !== undefined) headers['content-length'] = String(Buffer.byteLength(body));
    const method = (init.method ?? 'GET').toUpperCase();
    return new Promise<Response>((resolve, reject) => {
      const req = (secure ? https : http).request(
        {
          host: t.address,
          family: t.family,
          port: url.port || (secure ? 443 : 80),
          path: `${url.pathname}${url.search}`,
          method,
          headers,
          agent: false,
          ...(init.signal ? { signal: init.signal } : {}),
          // TLS names and checks the certificate of the host, not of the address.
          ...(secure && t.address !== t.host ? { servername: t.host } : {}),
        },
        (res) => {
          const status = res.statusCode ?? 0;
          const out = new Headers();
          for (let i = 0; i + 1 < res.rawHeaders.length; i += 2)
            out.append(res.rawHeaders[i]!, res.rawHeaders[i + 1]!);
          const empty = method === 'HEAD' || status === 204 || status === 304;
          if (empty) res.resume();
          try {
            resolve(
              new Response(empty ? null : (Readable.toWeb(res) as ReadableStream<Uint8Array>), {
                status,
                statusText: res.statusMessage ?? '',
                headers: out,
              }),
            );
          } catch (e) {
            res.destroy();
            reject(e);
          }
        },
      );
      req.on('error', reject);
      req.end(body);
    });
  };
}
