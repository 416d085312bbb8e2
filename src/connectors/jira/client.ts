// jira.js 6 wiring. Its endpoint functions (createIssue, addComment, …) take any `Client` with a
// `sendRequest`; the one jira.js builds calls the global fetch with no signal and no timeout, so
// Baton gives the functions its own small transport instead: one per call, bound to the call's
// abort signal, with a timeout and an answer size limit, and Jira's errors turned into
// BatonErrors (429 with its Retry-After, 5xx retryable, other 4xx not).
import type { Client, SendRequestOptions } from 'jira.js/core';
import { httpFailure } from '../failure.ts';
import { boundedFetch, DEFAULT_MAX_BYTES } from '../bounded-fetch.ts';

export interface JiraAuth {
  email?: string | undefined;
  apiToken?: string | undefined;
  token?: string | undefined;
}

export interface JiraTransportOptions {
  /** The site's base URL, e.g. https://acme.atlassian.net (the API path belongs to each call). */
  host: string;
  auth: JiraAuth;
  timeoutMs: number;
}

/** The Authorization header: Basic email:apiToken, or Bearer token. */
export function authorization(auth: JiraAuth): string {
  if (auth.token) return `Bearer ${auth.token}`;
  return `Basic ${Buffer.from(`${auth.email ?? ''}:${auth.apiToken ?? ''}`, 'utf8').toString('base64')}`;
}

/** Query parameters as jira.js's own client writes them (arrays repeated, objects as JSON). */
function withQuery(url: string, search: Record<string, unknown> | undefined): string {
  if (!search) return url;
  const params = new URLSearchParams();
  for (const [k, v] of Object.entries(search)) {
    if (v === undefined || v === null) continue;
    if (Array.isArray(v)) for (const item of v) params.append(k, String(item));
    else params.set(k, typeof v === 'string' ? v : JSON.stringify(v));
  }
  const q = params.toString();
  return q ? `${url}?${q}` : url;
}

/** Jira's own words from an error body ({errorMessages, errors}), never the request. */
export function jiraDetail(text: string): string | undefined {
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (!body || typeof body !== 'object') return undefined;
  const parts: string[] = [];
  const messages: unknown = Reflect.get(body, 'errorMessages');
  if (Array.isArray(messages)) parts.push(...messages.filter((m): m is string => typeof m === 'string'));
  const errors: unknown = Reflect.get(body, 'errors');
  if (errors && typeof errors === 'object')
    for (const [field, m] of Object.entries(errors)) if (typeof m === 'string') parts.push(`${field}: ${m}`);
  const message: unknown = Reflect.get(body, 'message') ?? Reflect.get(body, 'errorMessage');
  if (typeof message === 'string') parts.push(message);
  return parts.length ? parts.join('; ') : undefined;
}

/** A jira.js `Client` for one call under `signal`. */
export function jiraClient(o: JiraTransportOptions, signal: AbortSignal): Client {
  const host = o.host.replace(/\/+$/, '');
  return {
    async sendRequest<T>(req: SendRequestOptions<T>): Promise<T> {
      const method = req.method ?? 'GET';
      const path = req.url.startsWith('/') ? req.url : `/${req.url}`;
      const url = withQuery(host + path, req.searchParams);
      const hasBody = req.body !== undefined && req.body !== null;
      const res = await boundedFetch(
        url,
        {
          method,
          headers: {
            accept: 'application/json',
            authorization: authorization(o.auth),
            ...(hasBody ? { 'content-type': 'application/json' } : {}),
            ...req.headers,
          },
          ...(hasBody ? { body: JSON.stringify(req.body) } : {}),
        },
        { signal, timeoutMs: o.timeoutMs, maxBytes: DEFAULT_MAX_BYTES },
      );
      const text = await res.text();
      // The path names the call; the query (JQL) and the body stay out of the error.
      if (!res.ok)
        throw httpFailure(
          `jira: ${method} ${path}`,
          res.status,
          res.headers.get('retry-after'),
          jiraDetail(text),
        );
      if (res.status === 204 || text.trim() === '') return undefined as T;
      try {
        return JSON.parse(text) as T;
      } catch {
        throw new Error(`jira: ${method} ${path} answered ${res.status} with a body that is not JSON`);
      }
    },
  };
}
