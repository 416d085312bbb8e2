// A generic signed webhook (connector type `webhook`): the sender computes
//   signature = hex(HMAC-SHA256(secret, `${timestamp}.${body}`))
// sends it in the signature header (optionally `sha256=` prefixed) with the Unix-seconds
// timestamp in the timestamp header, and its delivery id in the id header. A timestamp more than
// `toleranceS` from now is refused. `events:` matches the body's `type`, when it has one.
import { createHmac } from 'node:crypto';
import { header, isObj, refuse, sameText, setting, type WebhookVendor } from './vendor.ts';
import type { WebhookSettings } from '../../connectors/webhook/connector.ts';

export const genericSignature = (secret: string, timestamp: string, body: Buffer | string): string =>
  createHmac('sha256', secret).update(`${timestamp}.`).update(body).digest('hex');

const settingsOf = (s: unknown): WebhookSettings => s as WebhookSettings;

export const genericVendor: WebhookVendor = {
  type: 'webhook',
  secretSetting: 'secret',
  secretOf: (s) => setting(s, 'secret'),
  verify(settings, req) {
    const s = settingsOf(settings);
    if (!setting(settings, 'secret')) return refuse('the connector has no secret');
    const given = header(req, s.signatureHeader);
    const ts = header(req, s.timestampHeader);
    if (!given) return refuse(`no ${s.signatureHeader}`);
    if (!ts || !/^\d{1,12}$/.test(ts)) return refuse(`no valid ${s.timestampHeader} (Unix seconds)`);
    if (Math.abs(req.nowMs / 1000 - Number(ts)) > s.toleranceS)
      return refuse(`the timestamp is more than ${s.toleranceS} s away`);
    const sig = given.replace(/^sha256=/i, '').toLowerCase();
    if (!sameText(genericSignature(s.secret, ts, req.body), sig))
      return refuse('the signature does not match');
    return { ok: true, seen: sig, rememberMs: 2 * s.toleranceS * 1000 };
  },
  events(body, req, settings) {
    const id = header(req, settingsOf(settings).idHeader);
    return [
      {
        ...(id ? { key: id } : {}),
        ...(isObj(body) && typeof body.type === 'string' ? { type: body.type } : {}),
        event: body,
      },
    ];
  },
};
