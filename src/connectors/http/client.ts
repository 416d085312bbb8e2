// One internal API under a base URL the operator configured: every call goes to a path below
// it, through the outbound guard (the host's addresses checked when connecting, again on every
// redirect), with the configured headers, a time limit and a size cap on the answer.
import { BatonError } from '../../core/errors.ts';
import type { OutboundPolicy } from '../../outbound/policy.ts';
import { outboundRequest } from '../../outbound/request.ts';
import { httpFailure } from '../failure.ts';

export interface Endpoint {
  /** The connector's name, for messages. */
  name: string;
  base: URL;
  headers: Readonly<Record<string, string>>;
  policy: OutboundPolicy;
  timeoutMs: number;
  maxBytes: number;
}

export interface HttpAnswer {
  status: number;
  body: unknown;
  /** The answer was longer than maxBytes: the call happened, its body is not kept. */
  bodyTooLarge?: true;
}

const SCHEME = /^[a-z][a-z0-9+.-]*:/i;
// A segment a URL parser reads as "." or ".." (it decodes %2e): it would climb out of the base.
const DOT_SEGMENT = /^(?:\.|%2e){1,2}$/i;
// Backslashes are slashes to a WHATWG parser; control characters are stripped by it.
const UNSAFE = /[\\\p{Cc}]/u;

function refusedPath(name: string, why: string): BatonError {
  return new BatonError('action_failed', `${name}: ${why}`, {
    fault: 'user',
    retryable: false,
    context: { sent: 'no' },
  });
}

/**
 * The URL of `path` below the base URL. An absolute URL, a `//host` reference, a `.` or `..`
 * segment (also percent-encoded) or a backslash is refused: a path may not leave the base.
 */
export function resolvePath(ep: Pick<Endpoint, 'name' | 'base'>, path: string): URL {
  if (SCHEME.test(path) || path.startsWith('//'))
    throw refusedPath(ep.name, 'the path must be relative to the base URL, not a URL of its own');
  if (UNSAFE.test(path)) throw refusedPath(ep.name, 'the path holds a backslash or a control character');
  const cut = path.search(/[?#]/);
  const pathname = cut < 0 ? path : path.slice(0, cut);
  if (pathname.split('/').some((s) => DOT_SEGMENT.test(s)))
    throw refusedPath(ep.name, 'the path may not hold "." or ".." segments');
  const basePath = ep.base.pathname.replace(/\/+$/, '');
  const url = new URL(`${ep.base.origin}${basePath}/${path.replace(/^\//, '')}`);
  // What the parser made of it must still be below the base (nothing above slipped through).
  if (url.origin !== ep.base.origin || !`${url.pathname}/`.startsWith(`${basePath}/`))
    throw refusedPath(ep.name, 'the path leaves the base URL');
  url.hash = '';
  return url;
}

const isJson = (type: string | undefined): boolean => !!type && /[/+]json\b/i.test(type);

/** The vendor's own short message from a JSON error body (`message` or `error`), if any. */
function detailOf(body: unknown): string | undefined {
  if (!body || typeof body !== 'object') return undefined;
  for (const key of ['message', 'error', 'detail', 'title']) {
    const v: unknown = Reflect.get(body, key);
    if (typeof v === 'string' && v) return v;
  }
  return undefined;
}

export interface CallOptions {
  body?: unknown;
  headers?: Readonly<Record<string, string>>;
  idempotencyKey?: string;
  signal: AbortSignal;
  /** A read: an answer that says it is JSON but is not is an error (a write keeps the text). */
  strictJson?: boolean;
}

/** One call; a non-2xx answer is a classified BatonError (429 and 5xx retryable). */
export async function call(ep: Endpoint, method: string, path: string, o: CallOptions): Promise<HttpAnswer> {
  const url = resolvePath(ep, path);
  const headers: Record<string, string> = {
    accept: 'application/json',
    ...o.headers,
    // The configured headers (credentials) win over a flow's.
    ...ep.headers,
    ...(o.idempotencyKey ? { 'idempotency-key': o.idempotencyKey } : {}),
  };
  if (o.body !== undefined) headers['content-type'] = 'application/json';
  const signal = AbortSignal.any([o.signal, AbortSignal.timeout(ep.timeoutMs)]);
  const what = `${ep.name}: ${method} ${url.origin}`;
  const answer = await outboundRequest(ep.policy, {
    method,
    url: url.href,
    headers,
    ...(o.body === undefined ? {} : { body: JSON.stringify(o.body) }),
    signal,
    maxBytes: ep.maxBytes,
  });
  const type = answer.headers['content-type'];
  let body: unknown = answer.text;
  let parsed = false;
  if (!answer.tooLarge && answer.text) {
    try {
      body = JSON.parse(answer.text);
      parsed = true;
    } catch {
      // not JSON: kept as text
    }
  }
  if (answer.tooLarge) body = null;
  else if (!answer.text) body = null;
  if (answer.status < 200 || answer.status > 299) {
    const retryAfter = answer.headers['retry-after'];
    throw httpFailure(
      what,
      answer.status,
      typeof retryAfter === 'string' ? retryAfter : undefined,
      detailOf(body),
    );
  }
  if (o.strictJson) {
    if (answer.tooLarge)
      throw new BatonError('action_failed', `${what} answered more than ${ep.maxBytes} bytes (maxBytes)`, {
        fault: 'provider',
        retryable: false,
      });
    if (isJson(type) && answer.text && !parsed)
      throw new BatonError(
        'action_failed',
        `${what} answered ${answer.status} with a body that is not JSON`,
        {
          fault: 'provider',
          retryable: false,
        },
      );
  }
  return answer.tooLarge
    ? { status: answer.status, body, bodyTooLarge: true }
    : { status: answer.status, body };
}
