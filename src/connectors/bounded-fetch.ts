// fetch with the limits a connector's SDK call needs and most SDKs do not give: the caller's
// abort signal joined with a per-request timeout (neither jira.js 6 nor @notionhq/client passes
// one to fetch), and an answer cut off at a byte limit, so a hostile or broken server can hold a
// call neither forever nor with a body that fills the memory.
import { BatonError } from '../core/errors.ts';

export interface FetchLimits {
  /** The step's signal (its timeout, the worker's shutdown). */
  signal: AbortSignal;
  /** One request's own limit. */
  timeoutMs: number;
  /** The longest answer read; a longer one is an error. */
  maxBytes: number;
}

/** An answer no API call of a connector needs (a page of issues is well under 1 MB). */
export const DEFAULT_MAX_BYTES = 8 * 1024 * 1024;

const NO_BODY = new Set([204, 205, 304]);

/** `fetch(url, init)` under the limits; the answer's body is read in full before it returns. */
export async function boundedFetch(url: string, init: RequestInit, limits: FetchLimits): Promise<Response> {
  const signal = AbortSignal.any([limits.signal, AbortSignal.timeout(limits.timeoutMs)]);
  const res = await fetch(url, { ...init, signal, redirect: 'error' });
  const bytes = await readCapped(res, limits.maxBytes, url);
  const body = NO_BODY.has(res.status) ? null : bytes;
  return new Response(body, { status: res.status, statusText: res.statusText, headers: res.headers });
}

/** The answer's body, in full, or a BatonError once it passes `maxBytes` (the rest is not read). */
export async function readCapped(
  res: Response,
  maxBytes: number,
  url: string,
): Promise<Uint8Array<ArrayBuffer>> {
  if (!res.body) return new Uint8Array(0);
  const reader = res.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > maxBytes) {
      await reader.cancel().catch(() => undefined);
      throw new BatonError(
        'action_failed',
        `${new URL(url).origin} answered more than ${maxBytes} bytes: the answer was dropped`,
        { fault: 'provider', retryable: false, context: { status: res.status } },
      );
    }
    chunks.push(value);
  }
  const out = new Uint8Array(size);
  let at = 0;
  for (const c of chunks) {
    out.set(c, at);
    at += c.byteLength;
  }
  return out;
}
