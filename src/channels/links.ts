// Link tokens for email: 192 random bits, only their sha256 stored, single use, expiring. The
// link opens a confirm page; only a POST from that page acts (mail scanners fetch links).
import { createHash, randomBytes } from 'node:crypto';
import type { LinkRecord } from '../core/notices.ts';
import type { Store } from '../store/port.ts';

export const LINK_PATH = '/v1/email/links/';
const TOKEN = /^bl_[A-Za-z0-9_-]{32}$/;

export const hashLinkToken = (token: string): string => createHash('sha256').update(token).digest('hex');

/** Is this shaped like a token we issue? (Anything else is refused before any lookup.) */
export const isLinkToken = (token: string): boolean => TOKEN.test(token);

export class LinkIssuer {
  private readonly store: Store;
  private readonly base: string;
  private readonly ttlMs: number;

  constructor(store: Store, publicUrl: string, minutes: number) {
    this.store = store;
    this.base = publicUrl.replace(/\/+$/, '');
    this.ttlMs = minutes * 60_000;
  }

  /** A new link for `userId` to act on `subject`; the token is in the URL only. */
  async issue(
    kind: LinkRecord['kind'],
    subject: string,
    handoffId: string,
    userId: string,
  ): Promise<{ url: string; expiresAt: number }> {
    const token = `bl_${randomBytes(24).toString('base64url')}`;
    const now = Date.now();
    const expiresAt = now + this.ttlMs;
    await this.store.createLink({
      hash: hashLinkToken(token),
      kind,
      subject,
      handoffId,
      userId,
      createdAt: now,
      expiresAt,
    });
    return { url: `${this.base}${LINK_PATH}${token}`, expiresAt };
  }
}
