// One outbound HTTP call under the project's policy: every hop's host is checked (policy.ts) and
// the connection made to the very address that was checked; redirects are followed by hand, at
// most MAX_REDIRECTS, each hop checked again. The caller's headers (API keys) go only to the
// origin they were meant for: a hop to another origin carries none of them, and a redirect that
// would re-send the body to another origin is refused. An error before the connection stood
// (refused target, DNS, connection refused) is a BatonError marked as not sent, so the engine
// knows the call provably did not happen.
import http from 'node:http';
import https from 'node:https';
import type { IncomingHttpHeaders, IncomingMessage } from 'node:http';
import { BatonError } from '../core/errors.ts';
import type { OutboundPolicy, Target } from './policy.ts';

export interface OutboundRequest {
  method: string;
  url: string;
  headers?: Record<string, string>;
  body?: string;
  signal: AbortSignal;
  /** Longer answers are cut off (the connection dropped) and reported as too large. */
  maxBytes: number;
}

export interface OutboundAnswer {
  status: number;
  /** The URL that answered (after redirects). */
  url: string;
  text: string;
  tooLarge: boolean;
  /** The answer's headers (Retry-After, content-type). */
  headers: IncomingHttpHeaders;
}

export const MAX_REDIRECTS = 5;
const REDIRECTS = new Set([301, 302, 303, 307, 308]);

/**
 * Codes of errors raised before any byte of a request could have left: the connection never
 * stood (node's and undici's). Shared with the engine, which treats such a call as not made.
 */
export const NO_CONNECTION_CODES: ReadonlySet<string> = new Set([
  'ECONNREFUSED',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EADDRNOTAVAIL',
  'ENOTFOUND',
  'EAI_AGAIN',
  'UND_ERR_CONNECT_TIMEOUT',
]);

export async function outboundRequest(policy: OutboundPolicy, req: OutboundRequest): Promise<OutboundAnswer> {
  const first = new URL(req.url);
  if (first.username || first.password)
    throw new BatonError(
      'action_failed',
      `${first.origin}: a URL may not carry a user name or password; send credentials in a header`,
      {
        fault: 'user',
        context: { sent: 'no' },
      },
    );
  let url = first;
  let method = req.method;
  let body = req.body;
  let headers = req.headers ?? {};
  for (let hop = 0; ; hop++) {
    const target = await policy.target(url);
    const res = await send(target, method, headers, body, req.signal);
    const location = res.headers.location;
    if (!REDIRECTS.has(res.statusCode ?? 0) || location === undefined) {
      const { text, tooLarge } = await readCapped(res, req.maxBytes);
      return { status: res.statusCode ?? 0, url: url.href, text, tooLarge, headers: res.headers };
    }
    res.resume();
    if (hop >= MAX_REDIRECTS)
      throw new BatonError('action_failed', `${first.origin}: more than ${MAX_REDIRECTS} redirects`, {
        fault: 'provider',
      });
    let next: URL;
    try {
      next = new URL(location, url);
    } catch {
      throw new BatonError('action_failed', `${url.origin} redirected to an invalid URL`, {
        fault: 'provider',
      });
    }
    const status = res.statusCode!;
    // 303, and 301/302 after a POST, continue as GET without the body (what browsers do).
    if (status === 303 || ((status === 301 || status === 302) && method === 'POST')) {
      if (method !== 'HEAD') method = 'GET';
      body = undefined;
    }
    if (next.origin !== first.origin) {
      if (body !== undefined)
        throw new BatonError(
          'action_failed',
          `${url.origin} answered ${status}, a redirect to ${next.origin}: the body is not sent to another origin`,
          { fault: 'provider', context: { status } },
        );
      headers = {};
    }
    url = next;
  }
}

/** One request to a checked target, connecting to its checked address. */
function send(
  t: Target,
  method: string,
  headers: Record<string, string>,
  body: string | undefined,
  signal: AbortSignal,
): Promise<IncomingMessage> {
  const secure = t.url.protocol === 'https:';
  const out: Record<string, string | number> = { ...headers, host: t.url.host };
  if (body !== undefined) out['content-length'] = Buffer.byteLength(body);
  return new Promise((resolve, reject) => {
    let connected = false;
    const r = (secure ? https : http).request(
      {
        host: t.address,
        family: t.family,
        port: t.url.port || (secure ? 443 : 80),
        path: `${t.url.pathname}${t.url.search}`,
        method,
        headers: out,
        signal,
        agent: false,
        // TLS names and checks the certificate of the host, not of the address.
        ...(secure && t.address !== t.host ? { servername: t.host } : {}),
      },
      resolve,
    );
    r.on('socket', (s) => {
      s.once(secure ? 'secureConnect' : 'connect', () => (connected = true));
    });
    r.on('error', (e: NodeJS.ErrnoException) => {
      if (connected) return reject(e);
      // Nothing leaves before the connection stands (for https: before the TLS handshake ends).
      const retryable = NO_CONNECTION_CODES.has(e.code ?? '') || signal.aborted;
      reject(
        new BatonError('action_failed', `${t.url.origin}: could not connect (${e.code ?? e.message})`, {
          fault: 'provider',
          retryable,
          context: { sent: 'no' },
          cause: e,
        }),
      );
    });
    r.end(body);
  });
}

/** Reads at most `max` bytes of the body; a longer one is cut off (and the connection dropped). */
async function readCapped(res: IncomingMessage, max: number): Promise<{ text: string; tooLarge: boolean }> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of res as AsyncIterable<Buffer>) {
    size += chunk.byteLength;
    if (size > max) {
      res.destroy();
      return { text: '', tooLarge: true };
    }
    chunks.push(chunk);
  }
  return { text: Buffer.concat(chunks).toString('utf8'), tooLarge: false };
}
