// What a vendor's webhooks are to intake: how a request is verified (on the raw bytes, before
// anything parses them) and how a verified body splits into events, each its own delivery with
// the vendor's own id as key. One file per vendor holds its documented algorithm.
import { createHash, timingSafeEqual } from 'node:crypto';

export interface WebhookRequest {
  method: string;
  /** The path and query as received (`/v1/intake/hubspot/leads?x=1`). */
  url: string;
  /** The server's public URL (baton.yaml server.publicUrl), for schemes that sign the full URI. */
  publicUrl: string | undefined;
  headers: Record<string, string | string[] | undefined>;
  body: Buffer;
  nowMs: number;
}

export type Verdict =
  /** `seen`: what identifies this very request (a replay repeats it), remembered for `rememberMs`. */
  { ok: true; seen: string; rememberMs: number } | { ok: false; reason: string };

/** One event of a verified body. */
export interface WebhookEvent {
  /** The vendor's delivery id (a redelivery repeats it); undefined: the hash of the event's JSON. */
  key?: string;
  /** The vendor's event type, matched against the trigger's `events:`. */
  type?: string;
  event: unknown;
}

export interface WebhookVendor {
  /** The connector type (hubspot, zendesk, jira, webhook). */
  type: string;
  /** The setting that holds the secret, named in errors when it is missing. */
  secretSetting: string;
  /** The secret, from the connector's settings (undefined when not configured). */
  secretOf(settings: unknown): string | undefined;
  verify(settings: unknown, req: WebhookRequest): Verdict;
  /** A verified, parsed body as events; throws with a message when its shape is not the vendor's. */
  events(body: unknown, req: WebhookRequest, settings: unknown): WebhookEvent[];
}

/** Equal in constant time (for equal lengths; a length difference is not secret). */
export function sameText(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

export const header = (req: WebhookRequest, name: string): string | undefined => {
  const v = req.headers[name.toLowerCase()];
  return typeof v === 'string' ? v : Array.isArray(v) ? v[0] : undefined;
};

export const sha256Hex = (data: string | Buffer): string => createHash('sha256').update(data).digest('hex');

export const isObj = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

export const setting = (settings: unknown, name: string): string | undefined => {
  const v = isObj(settings) ? settings[name] : undefined;
  return typeof v === 'string' && v !== '' ? v : undefined;
};

export const refuse = (reason: string): Verdict => ({ ok: false, reason });
