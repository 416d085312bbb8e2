// Zendesk webhooks (developer.zendesk.com, "Verifying webhook authenticity"):
//   X-Zendesk-Webhook-Signature = base64(HMAC-SHA256(signing secret, timestamp + body))
// with X-Zendesk-Webhook-Signature-Timestamp (ISO 8601). Zendesk names no window; Baton refuses
// a timestamp more than 5 minutes from now. The delivery id is X-Zendesk-Webhook-Invocation-Id
// (or the body's `id`, an event's id); `events:` matches the body's `type`.
import { createHmac } from 'node:crypto';
import { header, isObj, refuse, sameText, setting, type WebhookVendor } from './vendor.ts';

export const ZENDESK_WINDOW_MS = 5 * 60 * 1000;

export function zendeskSignature(secret: string, timestamp: string, body: Buffer | string): string {
  return createHmac('sha256', secret).update(timestamp).update(body).digest('base64');
}

export const zendeskVendor: WebhookVendor = {
  type: 'zendesk',
  secretSetting: 'webhookSecret',
  secretOf: (s) => setting(s, 'webhookSecret'),
  verify(settings, req) {
    const secret = setting(settings, 'webhookSecret');
    if (!secret) return refuse('the connector has no webhookSecret');
    const sig = header(req, 'x-zendesk-webhook-signature');
    const ts = header(req, 'x-zendesk-webhook-signature-timestamp');
    if (!sig) return refuse('no X-Zendesk-Webhook-Signature');
    const at = ts ? Date.parse(ts) : Number.NaN;
    if (!ts || Number.isNaN(at)) return refuse('no valid X-Zendesk-Webhook-Signature-Timestamp');
    if (Math.abs(req.nowMs - at) > ZENDESK_WINDOW_MS)
      return refuse('the timestamp is more than 5 minutes away');
    if (!sameText(zendeskSignature(secret, ts, req.body), sig)) return refuse('the signature does not match');
    return { ok: true, seen: sig, rememberMs: 2 * ZENDESK_WINDOW_MS };
  },
  events(body, req) {
    if (!isObj(body)) throw new Error('the Zendesk body is not a JSON object');
    const id =
      header(req, 'x-zendesk-webhook-invocation-id') ?? (typeof body.id === 'string' ? body.id : undefined);
    return [
      {
        ...(id ? { key: id } : {}),
        ...(typeof body.type === 'string' ? { type: body.type } : {}),
        event: body,
      },
    ];
  },
};
