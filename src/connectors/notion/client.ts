// @notionhq/client wiring. The SDK takes a custom fetch but passes it no signal, so Baton makes
// one client per call with a fetch bound to that call's signal, a timeout and an answer size
// limit (bounded-fetch.ts). A non-2xx answer becomes a BatonError right there (429 with its
// Retry-After, 5xx retryable, other 4xx not), so the framework's read retries see the class of
// the failure, not the SDK's unclassified error. The SDK's own retries are off: the framework retries reads after a
// 429 (honouring Retry-After) or a 5xx, and a write is never sent twice behind the engine's back.
import { Client } from '@notionhq/client';
import { boundedFetch, DEFAULT_MAX_BYTES } from '../bounded-fetch.ts';
import { httpFailure } from '../failure.ts';

export interface NotionOptions {
  token: string;
  /** Without /v1 (the SDK adds it): https://api.notion.com. */
  baseUrl: string;
  notionVersion: string;
  timeoutMs: number;
}

/** The Notion-Version this connector is written against (the SDK's default, the data sources edition). */
export const NOTION_VERSION = Client.defaultNotionVersion;

export type NotionFor = (signal: AbortSignal) => Client;

export function notionClient(o: NotionOptions, signal: AbortSignal): Client {
  return new Client({
    auth: o.token,
    baseUrl: o.baseUrl.replace(/\/+$/, ''),
    notionVersion: o.notionVersion,
    timeoutMs: o.timeoutMs,
    retry: false,
    // The SDK logs failed bodies at debug level and warnings to the console: Baton reports errors itself.
    logger: () => undefined,
    fetch: async (url, init) => {
      const res = await boundedFetch(url, init ?? {}, {
        signal,
        timeoutMs: o.timeoutMs,
        maxBytes: DEFAULT_MAX_BYTES,
      });
      if (res.ok) return res;
      const method = init?.method ?? 'GET';
      // The path names the call; the body (page content, personal data) stays out of the error.
      throw httpFailure(
        `notion: ${method} ${new URL(url).pathname}`,
        res.status,
        res.headers.get('retry-after'),
        notionDetail(await res.text()),
      );
    },
  });
}

/** Notion's own message from an error body ({object: "error", code, message}). */
function notionDetail(text: string): string | undefined {
  try {
    const body: unknown = JSON.parse(text);
    const message: unknown = body && typeof body === 'object' ? Reflect.get(body, 'message') : undefined;
    const code: unknown = body && typeof body === 'object' ? Reflect.get(body, 'code') : undefined;
    if (typeof message !== 'string') return undefined;
    return typeof code === 'string' ? `${code}: ${message}` : message;
  } catch {
    return undefined;
  }
}
