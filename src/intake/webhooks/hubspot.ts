// HubSpot webhooks, signature v3 (developers.hubspot.com, "Validating requests", v3):
//   X-HubSpot-Signature-v3 = base64(HMAC-SHA256(clientSecret, method + uri + body + timestamp))
// where `uri` is the full URL HubSpot called (with a few percent-escapes decoded, as documented)
// and X-HubSpot-Request-Timestamp is Unix milliseconds; a request older than 5 minutes is refused.
// The body is an array of events, each with its own `eventId` and `subscriptionType`.
import { createHmac } from 'node:crypto';
import { header, isObj, refuse, sameText, setting, type WebhookVendor } from './vendor.ts';

export const HUBSPOT_WINDOW_MS = 5 * 60 * 1000;

/** HubSpot decodes these escapes in the URI before signing. */
const DECODED: Record<string, string> = {
  '%3A': ':',
  '%2F': '/',
  '%3F': '?',
  '%40': '@',
  '%21': '!',
  '%24': '$',
  '%27': "'",
  '%28': '(',
  '%29': ')',
  '%2A': '*',
  '%2C': ',',
  '%3B': ';',
};
const decodeUri = (uri: string) =>
  uri.replace(/%(3A|2F|3F|40|21|24|27|28|29|2A|2C|3B)/gi, (m) => DECODED[m.toUpperCase()]!);

export function hubspotSignature(
  secret: string,
  method: string,
  uri: string,
  body: Buffer | string,
  timestamp: string,
): string {
  return createHmac('sha256', secret)
    .update(`${method.toUpperCase()}${decodeUri(uri)}`)
    .update(body)
    .update(timestamp)
    .digest('base64');
}

/** The URI HubSpot called: the public URL's origin and path prefix, then the path as received. */
export function calledUri(publicUrl: string | undefined, url: string, host: string | undefined): string {
  const base = (publicUrl ?? `http://${host ?? 'localhost'}`).replace(/\/+$/, '');
  return `${base}${url}`;
}

export const hubspotVendor: WebhookVendor = {
  type: 'hubspot',
  secretSetting: 'clientSecret',
  secretOf: (s) => setting(s, 'clientSecret'),
  verify(settings, req) {
    const secret = setting(settings, 'clientSecret');
    if (!secret) return refuse('the connector has no clientSecret');
    const sig = header(req, 'x-hubspot-signature-v3');
    const ts = header(req, 'x-hubspot-request-timestamp');
    if (!sig) return refuse('no X-HubSpot-Signature-v3');
    if (!ts || !/^\d{1,15}$/.test(ts)) return refuse('no valid X-HubSpot-Request-Timestamp');
    if (Math.abs(req.nowMs - Number(ts)) > HUBSPOT_WINDOW_MS)
      return refuse('the timestamp is more than 5 minutes away');
    const expected = hubspotSignature(
      secret,
      req.method,
      calledUri(req.publicUrl, req.url, header(req, 'host')),
      req.body,
      ts,
    );
    if (!sameText(expected, sig)) return refuse('the signature does not match');
    return { ok: true, seen: sig, rememberMs: 2 * HUBSPOT_WINDOW_MS };
  },
  events(body) {
    const list = Array.isArray(body) ? body : [body];
    return list.map((e, i) => {
      if (!isObj(e)) throw new Error(`event ${i} of the batch is not an object`);
      const id = e.eventId;
      return {
        ...(typeof id === 'number' || typeof id === 'string' ? { key: String(id) } : {}),
        ...(typeof e.subscriptionType === 'string' ? { type: e.subscriptionType } : {}),
        event: e,
      };
    });
  },
};
