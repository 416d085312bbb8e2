// Slack request signing (v0): HMAC-SHA256 with the app's signing secret over
// `v0:<timestamp>:<raw body>`, compared in constant time, within five minutes of now. Checked on
// the raw bytes before anything parses the body.
import { createHmac, timingSafeEqual } from 'node:crypto';

export const SLACK_WINDOW_S = 300;

export type Verdict = { ok: true; signature: string; timestamp: number } | { ok: false; reason: string };

export function signSlack(secret: string, timestamp: number | string, body: string | Buffer): string {
  return `v0=${createHmac('sha256', secret).update(`v0:${timestamp}:`).update(body).digest('hex')}`;
}

export function verifySlackSignature(
  secret: string,
  headers: Record<string, string | string[] | undefined>,
  body: Buffer,
  nowMs = Date.now(),
): Verdict {
  const ts = headers['x-slack-request-timestamp'];
  const sig = headers['x-slack-signature'];
  if (typeof ts !== 'string' || !/^\d{1,12}$/.test(ts))
    return { ok: false, reason: 'no valid X-Slack-Request-Timestamp' };
  if (typeof sig !== 'string' || !/^v0=[0-9a-f]{64}$/.test(sig))
    return { ok: false, reason: 'no valid X-Slack-Signature' };
  const timestamp = Number(ts);
  if (Math.abs(nowMs / 1000 - timestamp) > SLACK_WINDOW_S)
    return { ok: false, reason: 'the request is too old or from the future' };
  const expected = Buffer.from(signSlack(secret, ts, body));
  const given = Buffer.from(sig);
  if (expected.length !== given.length || !timingSafeEqual(expected, given)) {
    return { ok: false, reason: 'the signature does not match' };
  }
  return { ok: true, signature: sig, timestamp };
}
