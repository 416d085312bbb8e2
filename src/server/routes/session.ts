// The console's sign-in: a person pastes an API token once; the server keeps it in an httpOnly
// cookie (server/console/session-cookie.ts) and answers who the caller is, what they may do and
// the CSRF token the console sends with every state-changing call. On loopback, without a token,
// the anonymous `read` right gives a read-only console.
import { z } from 'zod';
import { BatonError } from '../../core/errors.ts';
import type { BatonApi } from '../../service/api.ts';
import { tokenCaller, type Caller } from '../auth.ts';
import { defineRoute, type Route } from '../route.ts';
import { checkOrigin, csrfTokenOf, sessionCookie, sessionSecret } from '../console/session-cookie.ts';

const sessionBody = z.strictObject({
  token: z.string().min(1).max(200).describe('An API token (`baton token create`)'),
});

export const sessionView = z.object({
  user: z.string().nullable().describe('The person, or null for an anonymous loopback caller'),
  name: z.string().nullable(),
  access: z.enum(['admin', 'operator', 'viewer', 'intake', 'anonymous']),
  teams: z.array(z.string()).describe('Teams the person belongs to (team:ID)'),
  roles: z.array(z.string()).describe('Roles the person holds (role:ID)'),
  scope: z
    .object({ flows: z.array(z.string()).optional(), teams: z.array(z.string()).optional() })
    .nullable()
    .describe('Set for a token limited to some flows or teams'),
  csrf: z
    .string()
    .nullable()
    .describe('Send as X-CSRF-Token with every state-changing call made with the session cookie'),
});
export type SessionView = z.infer<typeof sessionView>;

function viewOf(baton: BatonApi, caller: Caller, secret: string | undefined): SessionView {
  if (caller.kind !== 'token') {
    return { user: null, name: null, access: 'anonymous', teams: [], roles: [], scope: null, csrf: null };
  }
  const { user, access, scope } = caller.principal;
  const def = baton.project.def;
  const person = def.people.find((p) => p.id === user);
  return {
    user,
    name: person?.name ?? null,
    access,
    teams: def.teams.filter((t) => t.members.includes(user) || t.manager === user).map((t) => `team:${t.id}`),
    roles: (person?.roles ?? []).map((r) => `role:${r}`),
    scope: scope ? { ...scope } : null,
    csrf: secret === undefined ? null : csrfTokenOf(secret),
  };
}

export function sessionRoutes(): Route[] {
  return [
    defineRoute({
      method: 'GET',
      url: '/v1/session',
      access: 'read',
      scoped: 'checked',
      tag: 'session',
      summary: 'Who the caller is (the console asks on load)',
      response: { description: 'The caller', schema: sessionView },
      async handler({ caller, baton, req }) {
        return viewOf(baton, caller, sessionSecret(req));
      },
    }),
    defineRoute({
      method: 'POST',
      url: '/v1/session',
      access: 'public',
      tag: 'session',
      summary: 'Sign in to the console with an API token (sets the session cookie)',
      description:
        'The token is kept in an httpOnly, SameSite=Strict cookie (Secure over HTTPS) that lasts ' +
        '12 hours or until the token is revoked. 401 for an unknown or revoked token.',
      body: sessionBody,
      response: {
        description: 'The caller, with the CSRF token',
        schema: sessionView,
        headers: { 'set-cookie': { description: 'The session cookie', required: true } },
      },
      errors: [401, 403],
      async handler({ body, baton, req, reply }) {
        checkOrigin(req);
        const principal = await baton.authenticate(body.token);
        if (principal.access === 'intake') {
          throw new BatonError(
            'forbidden',
            'An intake token cannot sign in to the console: use a viewer, operator or admin token',
          );
        }
        void reply.header('set-cookie', sessionCookie(req, body.token));
        return viewOf(baton, tokenCaller(baton, principal), body.token);
      },
    }),
    defineRoute({
      method: 'DELETE',
      url: '/v1/session',
      access: 'public',
      tag: 'session',
      summary: 'Sign out (clears the session cookie)',
      status: 204,
      response: {
        description: 'Signed out',
        headers: { 'set-cookie': { description: 'The cleared cookie', required: true } },
      },
      async handler({ req, reply }) {
        checkOrigin(req);
        void reply.header('set-cookie', sessionCookie(req, ''));
        return undefined;
      },
    }),
  ];
}
