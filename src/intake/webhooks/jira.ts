// Jira webhooks, as the connector's `webhookAuth` says:
//  - hmac (a webhook registered with a secret; Atlassian's "Webhooks" docs, secure webhooks):
//      X-Hub-Signature: sha256=<hex HMAC-SHA256(secret, body)>. No timestamp is signed, so a
//      replay is told by its signature alone (remembered 30 days).
//  - jwt (a Connect app; "Understanding JWT for Connect apps"): Authorization: JWT <token>,
//      HS256 with the shared secret, `qsh` = sha256 of the canonical request
//      (METHOD&path&sorted query), `exp` in the future, `iat` not in it. Verified with Atlassian's
//      atlassian-jwt library.
// The delivery id is X-Atlassian-Webhook-Identifier; `events:` matches the body's `webhookEvent`.
import { createHmac } from 'node:crypto';
import {
  createQueryStringHash,
  decodeSymmetric,
  fromMethodAndUrl,
  getAlgorithm,
  SymmetricAlgorithm,
} from 'atlassian-jwt';
import {
  header,
  isObj,
  refuse,
  sameText,
  setting,
  type Verdict,
  type WebhookRequest,
  type WebhookVendor,
} from './vendor.ts';

const HMAC_MEMORY_MS = 30 * 24 * 3600 * 1000;
/** Clock skew allowed on `exp` and `iat`. */
const LEEWAY_S = 30;

export const jiraHmac = (secret: string, body: Buffer | string): string =>
  `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`;

function verifyHmac(secret: string, req: WebhookRequest): Verdict {
  const sig = header(req, 'x-hub-signature');
  if (!sig || !/^sha256=[0-9a-f]{64}$/i.test(sig)) return refuse('no valid X-Hub-Signature (sha256=…)');
  if (!sameText(jiraHmac(secret, req.body), sig.toLowerCase())) return refuse('the signature does not match');
  return { ok: true, seen: sig.toLowerCase(), rememberMs: HMAC_MEMORY_MS };
}

function verifyJwt(secret: string, req: WebhookRequest): Verdict {
  const auth = header(req, 'authorization');
  const m = auth ? /^JWT\s+(\S+)$/.exec(auth) : null;
  if (!m) return refuse('no Authorization: JWT token');
  const token = m[1]!;
  let claims: Record<string, unknown>;
  try {
    if (getAlgorithm(token) !== 'HS256') return refuse('the JWT is not signed with HS256');
    claims = decodeSymmetric(token, secret, SymmetricAlgorithm.HS256) as Record<string, unknown>;
  } catch {
    return refuse('the JWT does not verify');
  }
  const now = req.nowMs / 1000;
  if (typeof claims.exp !== 'number' || claims.exp + LEEWAY_S < now) return refuse('the JWT has expired');
  if (typeof claims.iat !== 'number' || claims.iat - LEEWAY_S > now)
    return refuse('the JWT is issued in the future');
  const qsh = createQueryStringHash(fromMethodAndUrl(req.method, req.url));
  if (typeof claims.qsh !== 'string' || !sameText(qsh, claims.qsh))
    return refuse('the JWT is for another request (qsh)');
  const rememberMs = Math.max(1000, (claims.exp + LEEWAY_S - now) * 1000 * 2);
  return { ok: true, seen: token.slice(token.lastIndexOf('.') + 1), rememberMs };
}

export const jiraVendor: WebhookVendor = {
  type: 'jira',
  secretSetting: 'webhookSecret',
  secretOf: (s) => setting(s, 'webhookSecret'),
  verify(settings, req) {
    const secret = setting(settings, 'webhookSecret');
    if (!secret) return refuse('the connector has no webhookSecret');
    return setting(settings, 'webhookAuth') === 'jwt' ? verifyJwt(secret, req) : verifyHmac(secret, req);
  },
  events(body, req) {
    if (!isObj(body)) throw new Error('the Jira body is not a JSON object');
    const id = header(req, 'x-atlassian-webhook-identifier');
    return [
      {
        ...(id ? { key: id } : {}),
        ...(typeof body.webhookEvent === 'string' ? { type: body.webhookEvent } : {}),
        event: body,
      },
    ];
  },
};
