// Freshdesk's REST API v2 over fetch: its official SDK on npm is an empty placeholder. Basic auth
// with the API key as user name and `X` as password (as Freshdesk documents); JSON both ways.
// Each call is bounded by the caller's signal and the configured timeout, its answer by a size
// cap, and a non-2xx answer becomes the classified failure (429 keeps its Retry-After).
import { fetchCapped, failureOf, jsonOf } from '../capped-fetch.ts';

export interface FreshdeskSettings {
  baseUrl: string;
  apiKey: string;
  timeoutMs: number;
}

export interface FreshdeskAnswer {
  status: number;
  body: unknown;
  /** The `Link: <…>; rel="next"` of a paged list, if there is a next page. */
  next: string | undefined;
}

export type FreshdeskCall = (method: string, path: string, body?: unknown) => Promise<FreshdeskAnswer>;

/** Calls under one signal; `what` names them in errors ("freshdesk: update ticket 42"). */
export function freshdeskCall(
  s: FreshdeskSettings,
  what: string,
  signal: AbortSignal,
  gate: () => Promise<void>,
): FreshdeskCall {
  const base = s.baseUrl.replace(/\/+$/, '');
  const auth = `Basic ${Buffer.from(`${s.apiKey}:X`).toString('base64')}`;
  return async (method, path, body) => {
    await gate();
    const answer = await fetchCapped(path.startsWith(base) ? path : `${base}${path}`, {
      method,
      headers: {
        authorization: auth,
        accept: 'application/json',
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      signal,
      timeoutMs: s.timeoutMs,
    });
    if (answer.status < 200 || answer.status > 299) throw failureOf(what, answer, freshdeskDetail);
    const link = answer.headers.get('link') ?? '';
    const next = /<([^>]+)>\s*;\s*rel="?next"?/.exec(link)?.[1];
    // Only a next page on the same API is followed: the key must not go anywhere else.
    return {
      status: answer.status,
      body: jsonOf(what, answer),
      next: next?.startsWith(base) ? next : undefined,
    };
  };
}

/** Freshdesk's error: `{description, errors: [{field, message, code}]}` or `{code, message}`. */
function freshdeskDetail(body: unknown): string | undefined {
  const b = (body ?? {}) as { description?: unknown; message?: unknown; errors?: unknown };
  const head =
    typeof b.description === 'string' ? b.description : typeof b.message === 'string' ? b.message : undefined;
  const fields = Array.isArray(b.errors)
    ? b.errors
        .map(
          (e: { field?: unknown; message?: unknown }) =>
            `${typeof e.field === 'string' ? e.field : ''}: ${typeof e.message === 'string' ? e.message : ''}`,
        )
        .slice(0, 5)
    : [];
  return [head, ...fields].filter(Boolean).join('; ') || undefined;
}
