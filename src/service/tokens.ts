// API tokens: bound to a declared user and an access level; only a hash is stored. The secret
// is shown once, when created.
import { createHash, randomBytes } from 'node:crypto';
import { BatonError } from '../core/errors.ts';
import type { AccessLevel } from '../core/project-schema.ts';
import type { Store, TokenRow } from '../store/port.ts';
import { newId } from '../engine/ids.ts';

export const hashToken = (secret: string): string => createHash('sha256').update(secret).digest('hex');

export interface Principal {
  user: string;
  access: AccessLevel;
  tokenId?: string;
}

export async function createToken(
  store: Store,
  user: string,
  access: AccessLevel,
  name?: string,
): Promise<{ id: string; token: string; row: TokenRow }> {
  const token = `bt_${randomBytes(32).toString('base64url')}`;
  const row: TokenRow = {
    id: newId('tok_'),
    userId: user,
    access,
    hash: hashToken(token),
    createdAt: Date.now(),
    ...(name ? { name } : {}),
  };
  await store.createToken(row);
  return { id: row.id, token, row };
}

export async function authenticate(store: Store, secret: string): Promise<Principal> {
  const row = await store.tokenByHash(hashToken(secret));
  if (!row || row.revokedAt !== undefined)
    throw new BatonError('unauthorized', 'The token is unknown or revoked');
  return { user: row.userId, access: row.access, tokenId: row.id };
}

const RANK: Record<AccessLevel, number> = { intake: 0, viewer: 1, operator: 2, admin: 3 };

/** `intake` may only create handoffs; `viewer` reads; `operator` acts on any handoff; `admin` also manages tokens. */
export function hasAccess(p: Principal, needed: 'intake' | 'read' | 'act' | 'operate' | 'admin'): boolean {
  switch (needed) {
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
