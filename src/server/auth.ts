// Who is calling. Bearer tokens (`Authorization: Bearer bt_…`) name a user and an access level.
// Without a header, a call is anonymous: allowed only from loopback, and only for the rights the
// project grants anonymous callers (`server.auth.anonymous`). Runs as an onRequest hook, before
// the body is read and before anything is looked up, so a missing token never reveals whether
// a handoff exists.
import type { FastifyRequest } from 'fastify';
import { BatonError } from '../core/errors.ts';
import type { Actor } from '../core/types.ts';
import type { CallerInfo } from '../service/baton.ts';
import type { BatonApi } from '../service/api.ts';
import { hasAccess, type Principal } from '../service/tokens.ts';
import { checkCsrf, sessionSecret } from './console/session-cookie.ts';

export type AnonymousRight = 'intake' | 'read';

/**
 * What a route needs: `public` (no check), `intake` (create handoffs), `read` (GET), `act`
 * (decide or act on owned work; the service checks ownership and approver rights), `amend` (any
 * token, intake ones too: the service lets only the sender, the owner or an operator amend),
 * `operate` (any handoff), `admin`.
 */
export type Access = 'public' | 'intake' | 'read' | 'act' | 'amend' | 'operate' | 'admin';

/**
 * The caller of a route. `reach` is set for a token scoped to flows or teams: the flow ids it
 * may read or act on (see service/scope.ts). Every call of these routes is recorded `via: api`:
 * the label comes from the route, never from a header the caller chooses (Baton's own CLI over
 * HTTP is an API client like any other).
 */
export type Caller =
  { kind: 'token'; principal: Principal; reach?: ReadonlySet<string> } | { kind: 'anonymous' };

const VIA = 'api';

const PROXY_HEADERS = ['forwarded', 'x-forwarded-for', 'x-real-ip'] as const;

/** 127.0.0.0/8 and ::1, also as IPv4-mapped IPv6. */
export function isLoopbackAddress(addr: string | undefined): boolean {
  if (!addr) return false;
  const a = addr.toLowerCase();
  if (a === '::1' || a === '0:0:0:0:0:0:0:1') return true;
  const v4 = a.startsWith('::ffff:') ? a.slice(7) : a;
  const m = /^127\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(v4);
  return !!m && m.slice(1).every((o) => Number(o) <= 255);
}

/**
 * A loopback peer that forwards for someone else (a reverse proxy on the same machine) is not
 * a local caller: its requests carry a forwarding header.
 */
export function isLocalCaller(addr: string | undefined, headers: FastifyRequest['headers']): boolean {
  if (!isLoopbackAddress(addr)) return false;
  return PROXY_HEADERS.every((h) => headers[h] === undefined);
}

export function bearerSecret(header: string | undefined): string | undefined {
  if (header === undefined) return undefined;
  const m = /^\s*bearer\s+(\S+)\s*$/i.exec(header);
  if (!m) throw new BatonError('unauthorized', 'The Authorization header must be "Bearer <token>"');
  return m[1]!;
}

const ANONYMOUS_RIGHT: Partial<Record<Access, AnonymousRight>> = { intake: 'intake', read: 'read' };

/** Resolves and checks the caller for a route; throws 401/403 BatonErrors. */
export async function authorize(
  baton: BatonApi,
  req: FastifyRequest,
  access: Access,
  anonymous: ReadonlySet<AnonymousRight>,
): Promise<Caller> {
  if (access === 'public') return { kind: 'anonymous' };
  let secret = bearerSecret(req.headers.authorization);
  // The console's session cookie stands in for the header; its state-changing calls need the
  // CSRF token too (checked before the token is looked up, like a missing token).
  const cookie = secret === undefined ? sessionSecret(req) : undefined;
  if (cookie !== undefined) {
    checkCsrf(req, cookie);
    secret = cookie;
  }
  if (secret === undefined) {
    const right = ANONYMOUS_RIGHT[access];
    if (right && anonymous.has(right) && isLocalCaller(req.socket.remoteAddress, req.headers)) {
      return { kind: 'anonymous' };
    }
    throw new BatonError(
      'unauthorized',
      right && anonymous.has(right)
        ? 'A token is required for calls from other machines: send "Authorization: Bearer <token>"'
        : 'A token is required: send "Authorization: Bearer <token>" (create one with `baton token create`)',
    );
  }
  const principal = await baton.authenticate(secret);
  if (!hasAccess(principal, access)) {
    throw new BatonError('forbidden', `A token with ${principal.access} access may not ${DOING[access]}`);
  }
  return tokenCaller(baton, principal);
}

/** The caller a token makes, with the flows it reaches when it is scoped. */
export function tokenCaller(baton: BatonApi, principal: Principal): Caller {
  const reach = baton.reachOf(principal);
  return { kind: 'token', principal, ...(reach ? { reach } : {}) };
}

const DOING: Record<Access, string> = {
  public: 'call this',
  intake: 'create handoffs',
  read: 'read',
  act: 'act on handoffs or approvals',
  amend: 'amend handoffs',
  operate: 'do this (operator access needed)',
  admin: 'do this (admin access needed)',
};

/** May this caller reach handoffs of `flow`? Unscoped callers reach every flow. */
export const inReach = (c: Caller, flow: string): boolean =>
  c.kind !== 'token' || !c.reach || c.reach.has(flow);

/** The flows a scoped caller reaches, as a list for store filters; undefined when unscoped. */
export const reachList = (c: Caller): string[] | undefined =>
  c.kind === 'token' && c.reach ? [...c.reach] : undefined;

/** The service's caller for commands (commands always have a token). */
export function callerInfo(c: Caller): CallerInfo {
  if (c.kind !== 'token') throw new BatonError('unauthorized', 'A token is required');
  return { user: c.principal.user, access: c.principal.access, via: VIA };
}

/** Who an intake is recorded as. */
export function intakeActor(c: Caller): Actor {
  return c.kind === 'token'
    ? { kind: 'user', id: c.principal.user, via: VIA }
    : { kind: 'system', id: 'anonymous', via: VIA };
}

/** The caller's user id, if any (default for tasks and inbox). */
export const callerUser = (c: Caller): string | undefined =>
  c.kind === 'token' ? c.principal.user : undefined;
