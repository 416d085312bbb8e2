// Wiring of jsforce. jsforce's own transport retries 429 and 5xx up to five times with its own
// back-off (ignoring Retry-After), and takes no abort signal. Each call here gets a Connection
// whose transport is ours: one fetch per request under the call's signal, the answer's size
// capped, no retries of its own (the framework retries reads; the engine decides about writes),
// and an error answer turned into a BatonError with the status (jsforce's errors drop it).
import { PassThrough } from 'node:stream';
import { Connection } from 'jsforce';
import { Transport } from 'jsforce/lib/transport.js';
// The package root re-exports StreamPromise in a way Node's ESM import of CommonJS cannot see.
import { StreamPromise } from 'jsforce/lib/util/promise.js';
import type { HttpRequest, HttpResponse } from 'jsforce/lib/types/common.js';
import { isBatonError } from '../../core/errors.ts';
import { httpFailure } from '../failure.ts';

/** The largest answer read from Salesforce (a query page of 2,000 short records is far below it). */
export const MAX_ANSWER_BYTES = 8 * 1024 * 1024;

export interface SalesforceSettings {
  instanceUrl: string;
  accessToken: string;
  apiVersion: string;
}

/** A non-2xx answer, before it is named: the status, Retry-After, and Salesforce's message. */
class AnswerError extends Error {
  readonly status: number;
  readonly retryAfter: string | null;
  readonly detail: string | undefined;
  constructor(status: number, retryAfter: string | null, detail: string | undefined) {
    super(`Salesforce answered ${status}`);
    this.status = status;
    this.retryAfter = retryAfter;
    this.detail = detail;
  }
}

/** Salesforce's error text: `[{message, errorCode}]` (REST) or `{error, error_description}`. */
function detailOf(body: string): string | undefined {
  try {
    const parsed: unknown = JSON.parse(body);
    const first: unknown = Array.isArray(parsed) ? parsed[0] : parsed;
    if (first && typeof first === 'object') {
      const code = Reflect.get(first, 'errorCode') ?? Reflect.get(first, 'error');
      const message = Reflect.get(first, 'message') ?? Reflect.get(first, 'error_description');
      const text = [code, message].filter((v) => typeof v === 'string').join(': ');
      return text || undefined;
    }
  } catch {
    // not JSON: no detail
  }
  return undefined;
}

async function readCapped(res: Response, signal: AbortSignal): Promise<string> {
  if (!res.body) return '';
  const reader = res.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    signal.throwIfAborted();
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > MAX_ANSWER_BYTES) {
      await reader.cancel();
      throw new Error(`Salesforce's answer is larger than ${MAX_ANSWER_BYTES} bytes`);
    }
    chunks.push(value);
  }
  return Buffer.concat(chunks).toString('utf8');
}

/** jsforce's transport for one call: fetch under the signal, nothing retried, errors kept whole. */
class CallTransport extends Transport {
  readonly signal: AbortSignal;
  constructor(signal: AbortSignal) {
    super();
    this.signal = signal;
  }

  override httpRequest(req: HttpRequest): StreamPromise<HttpResponse> {
    return StreamPromise.create(() => {
      const stream = new PassThrough();
      const promise = this.send(req).finally(() => stream.end());
      return { stream, promise };
    });
  }

  private async send(req: HttpRequest): Promise<HttpResponse> {
    if (req.body !== undefined && typeof req.body !== 'string')
      throw new Error('this connector sends JSON bodies only');
    const res = await fetch(req.url, {
      method: req.method,
      headers: req.headers ?? {},
      ...(req.body !== undefined ? { body: req.body } : {}),
      redirect: 'manual',
      signal: this.signal,
    });
    const body = await readCapped(res, this.signal);
    if (res.status >= 400) {
      // A query's error message quotes the query, values (an email) included: keep its code only.
      const detail = detailOf(body);
      const safe = /\/query\b/.test(new URL(req.url).pathname) ? detail?.split(':')[0] : detail;
      throw new AnswerError(res.status, res.headers.get('retry-after'), safe);
    }
    const headers: Record<string, string> = {};
    res.headers.forEach((v, k) => {
      headers[k] = v;
    });
    return { statusCode: res.status, headers, body };
  }
}

/**
 * Runs one jsforce call under the signal; `what` names it in errors ("salesforce: update
 * Opportunity 006…"). Never contains a query's values: they may be personal data.
 */
export async function withSalesforce<T>(
  settings: SalesforceSettings,
  what: string,
  signal: AbortSignal,
  call: (conn: Connection) => Promise<T>,
): Promise<T> {
  signal.throwIfAborted();
  const conn = new Connection({
    instanceUrl: settings.instanceUrl.replace(/\/+$/, ''),
    accessToken: settings.accessToken,
    version: settings.apiVersion,
  });
  conn._transport = new CallTransport(signal);
  try {
    return await call(conn);
  } catch (e) {
    if (e instanceof AnswerError) throw httpFailure(`salesforce: ${what}`, e.status, e.retryAfter, e.detail);
    throw e;
  }
}

/** The HTTP status of a failed call, if it got an answer. */
export const statusOf = (e: unknown): number | undefined => {
  const status = isBatonError(e) ? e.context.status : undefined;
  return typeof status === 'number' ? status : undefined;
};
