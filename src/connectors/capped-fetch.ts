// One HTTP call to a connector's configured base URL (trusted: the operator wrote it, and it was
// checked against the outbound policy at start), with what `outboundRequest` would add but the
// answer's headers kept: Retry-After decides when a rate-limited call may be tried again. Every
// call has its own time limit besides the caller's signal, and an answer longer than the cap is
// cut off instead of filling memory.
import { BatonError } from '../core/errors.ts';
import type { OutboundPolicy } from '../outbound/policy.ts';
import { httpFailure, sdkFailure } from './failure.ts';
import { readCapped } from './bounded-fetch.ts';

export interface CappedRequest {
  method: string;
  headers?: Record<string, string>;
  body?: string;
  signal: AbortSignal;
  /** This call's own limit, besides the signal (default 10 s). */
  timeoutMs?: number;
  /** Longer answers fail (default 4 MiB). */
  maxBytes?: number;
}

export interface CappedAnswer {
  status: number;
  statusText: string;
  headers: Headers;
  text: string;
}

export const DEFAULT_MAX_BYTES = 4 * 1024 * 1024;

/**
 * The project's outbound policy applied to a connector's base URL, once: the first call waits
 * for the check (a host with a private address is refused unless `outbound.allowHosts` lists
 * it), later calls reuse a passed verdict; a failed check (DNS down) is tried again next call.
 */
export function baseUrlGate(policy: OutboundPolicy, baseUrl: string): () => Promise<void> {
  let passed: Promise<void> | undefined;
  return () => {
    passed ??= policy.target(new URL(baseUrl)).then(
      () => undefined,
      (e: unknown) => {
        passed = undefined;
        throw e;
      },
    );
    return passed;
  };
}

export async function fetchCapped(url: string, req: CappedRequest): Promise<CappedAnswer> {
  const signal = AbortSignal.any([req.signal, AbortSignal.timeout(req.timeoutMs ?? 10_000)]);
  const res = await fetch(url, {
    method: req.method,
    ...(req.headers ? { headers: req.headers } : {}),
    ...(req.body !== undefined ? { body: req.body } : {}),
    signal,
    redirect: 'error',
  });
  const bytes = await readCapped(res, req.maxBytes ?? DEFAULT_MAX_BYTES, url);
  const text = Buffer.from(bytes).toString('utf8');
  return { status: res.status, statusText: res.statusText, headers: res.headers, text };
}

/** The answer's JSON; a body that is not JSON is the provider's fault (a proxy's error page). */
export function jsonOf(what: string, answer: CappedAnswer): unknown {
  if (answer.text.trim() === '') return null;
  try {
    return JSON.parse(answer.text);
  } catch {
    throw new BatonError('action_failed', `${what}: the answer (${answer.status}) is not JSON`, {
      fault: 'provider',
      retryable: true,
      context: { status: answer.status },
    });
  }
}

/**
 * A non-2xx answer as the BatonError that says whether to retry and when (Retry-After), with
 * the vendor's own error message (`detail` reads a vendor's richer shape: which field is wrong);
 * the request (which may hold personal data) is never in it.
 */
export function failureOf(
  what: string,
  answer: CappedAnswer,
  detail?: (body: unknown) => string | undefined,
): unknown {
  let text: string | undefined;
  if (detail) {
    try {
      text = detail(JSON.parse(answer.text));
    } catch {
      text = undefined;
    }
  }
  if (text) return httpFailure(what, answer.status, answer.headers.get('retry-after'), text);
  return sdkFailure(what, { status: answer.status, headers: answer.headers, body: answer.text });
}
