// How a connector says a call failed: one BatonError that tells whether a retry can help and
// when. 429 and 5xx answers are retryable (429 after its Retry-After), other 4xx answers are
// not: the request itself is wrong. Errors that carry no answer (a timeout, a reset connection)
// are left as they are, so the engine treats a write that may have arrived as unknown.
import { BatonError, isBatonError } from '../core/errors.ts';

/** The longest Retry-After Baton waits for; a longer one is capped (the action retries later). */
export const MAX_RETRY_AFTER_MS = 10 * 60_000;

/** Retry-After in ms: delay-seconds or an HTTP date; undefined when absent or unreadable. */
export function retryAfterMs(value: string | null | undefined, now = Date.now()): number | undefined {
  if (value === null || value === undefined) return undefined;
  const text = value.trim();
  if (/^\d+(\.\d+)?$/.test(text)) return Math.min(Math.round(Number(text) * 1000), MAX_RETRY_AFTER_MS);
  const at = Date.parse(text);
  if (Number.isNaN(at)) return undefined;
  return Math.min(Math.max(0, at - now), MAX_RETRY_AFTER_MS);
}

/**
 * The error for a non-2xx answer. `what` names the call ("zendesk: update ticket 42"); `detail`
 * is the vendor's message, if any (never the request, which may hold personal data).
 */
export function httpFailure(
  what: string,
  status: number,
  retryAfter?: string | null,
  detail?: string,
): BatonError {
  const retryable = status === 429 || status >= 500 || status === 408;
  const wait = status === 429 || status === 503 ? retryAfterMs(retryAfter) : undefined;
  const hint =
    status === 401
      ? ': check the credentials in baton.yaml'
      : status === 403
        ? ': the credentials lack a permission this call needs'
        : status === 404
          ? ': not found'
          : status === 429
            ? ': rate limited'
            : '';
  const text = detail ? `${hint}: ${detail.slice(0, 300)}` : hint;
  return new BatonError('action_failed', `${what} answered ${status}${text}`, {
    fault: status >= 500 || status === 429 ? 'provider' : 'user',
    retryable,
    ...(wait !== undefined ? { retryAfterMs: wait } : {}),
    context: { status },
  });
}

const read = (o: unknown, ...keys: string[]): unknown => {
  let v: unknown = o;
  for (const k of keys) {
    if (!v || typeof v !== 'object') return undefined;
    v = Reflect.get(v, k);
  }
  return v;
};

const headerOf = (headers: unknown, name: string): string | undefined => {
  if (!headers || typeof headers !== 'object') return undefined;
  if (typeof (headers as { get?: unknown }).get === 'function') {
    const v = (headers as { get(n: string): unknown }).get(name);
    return typeof v === 'string' ? v : undefined;
  }
  for (const [k, v] of Object.entries(headers))
    if (k.toLowerCase() === name)
      return typeof v === 'string' ? v : Array.isArray(v) ? v.join(', ') : undefined;
  return undefined;
};

/**
 * An SDK's error as a BatonError when it carries an HTTP answer (axios, gaxios, fetch-based
 * clients put the status in different places); the error unchanged when it carries none.
 */
export function sdkFailure(what: string, e: unknown): unknown {
  if (isBatonError(e)) return e;
  const status = [
    read(e, 'response', 'status'),
    read(e, 'status'),
    read(e, 'statusCode'),
    read(e, 'code'),
  ].find((s) => typeof s === 'number' && s >= 400 && s <= 599) as number | undefined;
  if (status === undefined) return e;
  const headers = read(e, 'response', 'headers') ?? read(e, 'headers');
  const body = read(e, 'response', 'data') ?? read(e, 'body');
  const detail = vendorMessage(body);
  return httpFailure(what, status, headerOf(headers, 'retry-after'), detail);
}

/** The vendor's own error text from a JSON error body, if it has one. */
function vendorMessage(body: unknown): string | undefined {
  if (typeof body === 'string') {
    try {
      return vendorMessage(JSON.parse(body));
    } catch {
      return undefined;
    }
  }
  for (const key of ['message', 'error', 'description', 'errorMessages']) {
    const v = read(body, key);
    if (typeof v === 'string' && v) return v;
    if (Array.isArray(v) && typeof v[0] === 'string') return v.join('; ');
    const nested = read(v, 'message');
    if (typeof nested === 'string') return nested;
  }
  return undefined;
}
