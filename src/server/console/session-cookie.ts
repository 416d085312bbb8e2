// The console's session: the API token itself, kept in an httpOnly, SameSite=Strict cookie, so
// script in the page never holds it (nothing in local storage, nothing in a URL). Revoking the
// token ends the session. A call authenticated by the cookie that changes state must also carry
// the session's CSRF token in `X-CSRF-Token` (and, when the browser sends one, a same-origin
// `Origin`): SameSite keeps other sites' requests from carrying the cookie, the header keeps a
// forged form post out even where SameSite is not honoured. The CSRF token is derived from the
// secret (stateless, the same on every server process) and is useless without the cookie.
import { createHmac, timingSafeEqual } from 'node:crypto';
import { parse, serialize } from 'cookie';
import type { FastifyRequest } from 'fastify';
import { BatonError } from '../../core/errors.ts';

export const SESSION_COOKIE = 'baton_session';
export const CSRF_HEADER = 'x-csrf-token';
/** A session lasts a working day; the token may end it sooner (revoked, expired). */
const MAX_AGE_SECONDS = 12 * 60 * 60;

export function csrfTokenOf(secret: string): string {
  return createHmac('sha256', secret).update('baton-console-csrf').digest('base64url');
}

/** The session's secret from the Cookie header, if any. */
export function sessionSecret(req: FastifyRequest): string | undefined {
  const header = req.headers.cookie;
  if (!header) return undefined;
  let value: string | undefined;
  try {
    value = parse(header)[SESSION_COOKIE];
  } catch {
    return undefined;
  }
  return value && value.length <= 200 ? value : undefined;
}

/** Over HTTPS the cookie is also `Secure` (behind a proxy: when it says the client used https). */
function secure(req: FastifyRequest): boolean {
  return req.protocol === 'https';
}

/** The Set-Cookie value of a session holding `secret`; an empty secret clears the cookie. */
export function sessionCookie(req: FastifyRequest, secret: string): string {
  return serialize(SESSION_COOKIE, secret, {
    httpOnly: true,
    sameSite: 'strict',
    path: '/',
    maxAge: secret === '' ? 0 : MAX_AGE_SECONDS,
    secure: secure(req),
  });
}

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/** Throws 403 csrf_failed when a cookie-authenticated call that changes state is not the console's. */
export function checkCsrf(req: FastifyRequest, secret: string): void {
  if (SAFE_METHODS.has(req.method)) return;
  checkOrigin(req);
  const sent = req.headers[CSRF_HEADER];
  const want = Buffer.from(csrfTokenOf(secret));
  const got = Buffer.from(typeof sent === 'string' ? sent : '');
  if (got.length !== want.length || !timingSafeEqual(got, want)) {
    throw new BatonError(
      'csrf_failed',
      `A call that changes something with the console's session must send the ${CSRF_HEADER} header it was given`,
    );
  }
}

/** Refuses a call a browser made from another site (its `Origin` names another host). */
export function checkOrigin(req: FastifyRequest): void {
  const origin = req.headers.origin;
  if (origin !== undefined && origin !== `${req.protocol}://${req.headers.host ?? ''}`) {
    throw new BatonError(
      'csrf_failed',
      `A call from ${originText(origin)} may not use the console's session`,
    );
  }
}

function originText(origin: string): string {
  return origin.length > 100 ? `${origin.slice(0, 100)}…` : origin;
}
