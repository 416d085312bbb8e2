// API tokens: bound to a declared user and an access level; only a hash is stored. The secret
// is shown once, when created.
import { createHash, randomBytes } from 'node:crypto';
import { BatonError } from '../core/errors.ts';
import type { AccessLevel } from '../core/project-schema.ts';
import type { Store, TokenRow } from '../store/port.ts';
import { newId } from '../engine/ids.ts';

export const hashToken = (secret: string): string => createHash('sha256').update(secret).digest('hex');

/** A token's reach: only these flows and/or the flows whose boundary touches these teams. */
export interface TokenScope {
  flows?: string[];
  teams?: string[];
}

export interface Principal {
  user: string;
  access: AccessLevel;
  tokenId?: string;
  scope?: TokenScope;
}

export interface NewToken {
  name?: string;
  scope?: TokenScope;
  /** Who creates it (a person id, or `first-run`). */
  createdBy?: string;
}

export function newTokenRow(
  user: string,
  access: AccessLevel,
  o: NewToken = {},
): { token: string; row: TokenRow } {
  const token = `bt_${randomBytes(32).toString('base64url')}`;
  const row: TokenRow = {
    id: newId('tok_'),
    userId: user,
    access,
    hash: hashToken(token),
    createdAt: Date.now(),
    ...(o.name ? { name: o.name } : {}),
    ...(o.scope?.flows ? { flows: o.scope.flows } : {}),
    ...(o.scope?.teams ? { teams: o.scope.teams } : {}),
    ...(o.createdBy ? { createdBy: o.createdBy } : {}),
  };
  return { token, row };
}

export async function createToken(
  store: Store,
  user: string,
  access: AccessLevel,
  o: NewToken = {},
): Promise<{ id: string; token: string; row: TokenRow }> {
  const { token, row } = newTokenRow(user, access, o);
  await store.createToken(row);
  return { id: row.id, token, row };
}

/**
 * The principal behind a secret. A token whose person is no longer declared in baton.yaml
 * (`isPerson` false) is refused like a revoked one: removing a person removes their access.
 */
export async function authenticate(
  store: Store,
  secret: string,
  isPerson: (id: string) => boolean,
): Promise<Principal> {
  const row = await store.tokenByHash(hashToken(secret));
  if (!row || row.revokedAt !== undefined)
    throw new BatonError('unauthorized', 'The token is unknown or revoked');
  if (!isPerson(row.userId))
    throw new BatonError(
      'unauthorized',
      `The token's person (${row.userId}) is no longer declared in baton.yaml: ask an admin for a new token`,
    );
  const scope: TokenScope | undefined =
    row.flows || row.teams
      ? { ...(row.flows ? { flows: row.flows } : {}), ...(row.teams ? { teams: row.teams } : {}) }
      : undefined;
  return { user: row.userId, access: row.access, tokenId: row.id, ...(scope ? { scope } : {}) };
}

const RANK: Record<AccessLevel, number> = { intake: 0, viewer: 1, operator: 2, admin: 3 };

/** `intake` may only create handoffs; `viewer` reads; `operator` acts on any handoff; `admin` also manages tokens. */
export function hasAccess(
  p: Principal,
  needed: 'intake' | 'read' | 'act' | 'amend' | 'operate' | 'admin',
): boolean {
  switch (needed) {
    case 'amend':
      return true;
    case 'intake':
      return p.access !== 'viewer';
    case 'read':
      return RANK[p.access] >= RANK.viewer;
    case 'act':
      return RANK[p.access] >= RANK.viewer;
    case 'operate':
      return RANK[p.access] >= RANK.operator;
    case 'admin':
      return p.access === 'admin';
  }
}
