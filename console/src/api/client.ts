// The console's only way to the server: the public HTTP API, same origin, with the session
// cookie the browser sends by itself. State-changing calls carry the session's CSRF token (held
// in memory only; a reload asks GET /v1/session for it again). Errors come back as ApiError
// with the API's code, message and field details, for the page to show as they are.
import { ApiError } from '../../../src/core/api-error.ts';
import type { ErrorDetail } from '../../../src/core/errors.ts';

export { ApiError };
export type { ErrorDetail };

let csrf: string | null = null;

/** Set by the session when it learns the CSRF token (sign-in or load). */
export function setCsrfToken(token: string | null): void {
  csrf = token;
}

export type Query = Record<string, string | number | boolean | undefined | null>;

export function withQuery(path: string, query?: Query): string {
  if (!query) return path;
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(query))
    if (v !== undefined && v !== null && v !== '') q.set(k, String(v));
  const s = q.toString();
  return s ? `${path}?${s}` : path;
}

async function call<T>(method: string, path: string, body?: unknown, signal?: AbortSignal): Promise<T> {
  const headers: Record<string, string> = { accept: 'application/json' };
  if (body !== undefined) headers['content-type'] = 'application/json';
  if (method !== 'GET' && csrf) headers['x-csrf-token'] = csrf;
  let res: Response;
  try {
    res = await fetch(path, {
      method,
      headers,
      credentials: 'same-origin',
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
      ...(signal ? { signal } : {}),
    });
  } catch (e) {
    if ((e as Error).name === 'AbortError') throw e;
    throw new ApiError(0, 'unreachable', 'The Baton server cannot be reached. Is it running?');
  }
  if (res.status === 204) return undefined as T;
  const text = await res.text();
  let json: unknown;
  try {
    json = text ? JSON.parse(text) : undefined;
  } catch {
    throw new ApiError(
      res.status,
      'bad_answer',
      `The server answered ${res.status} with something that is not JSON`,
    );
  }
  if (!res.ok) {
    const err = (json as { error?: { code?: string; message?: string; details?: ErrorDetail[] } })?.error;
    throw new ApiError(
      res.status,
      err?.code ?? 'error',
      err?.message ?? `HTTP ${res.status}`,
      err?.details ?? [],
    );
  }
  return json as T;
}

export const api = {
  get: <T>(path: string, query?: Query, signal?: AbortSignal) =>
    call<T>('GET', withQuery(path, query), undefined, signal),
  post: <T>(path: string, body?: unknown) => call<T>('POST', path, body ?? {}),
  put: <T>(path: string, body?: unknown) => call<T>('PUT', path, body ?? {}),
  patch: <T>(path: string, body?: unknown) => call<T>('PATCH', path, body ?? {}),
  del: <T>(path: string) => call<T>('DELETE', path),
};
