// What an email link does. GET shows (changes nothing: mail scanners fetch links); a POST from
// the confirm page uses the link: once, before it expires, as the person it was issued to, whose
// right is then checked exactly as for the API (approver of the level, no self-approval, owner
// of the work). Only a decision uses the link up: a refusal changed nothing, so the link stays as
// it was, and its page shows the current state (no button once there is nothing left to do).
import { isBatonError } from '../core/errors.ts';
import type { ApprovalRecord } from '../core/types.ts';
import type { LinkRecord } from '../core/notices.ts';
import type { Store } from '../store/port.ts';
import type { CallerInfo } from '../service/baton.ts';
import { hashLinkToken, isLinkToken } from './links.ts';
import { closedLine } from './message.ts';

export type LinkState = 'valid' | 'used' | 'expired' | 'unknown';

export interface LinkView {
  state: LinkState;
  link?: Omit<LinkRecord, 'hash'>;
  approval?: ApprovalRecord;
  handoff?: { id: string; flow: string; state: string; owner: string };
}

export async function viewLink(store: Store, token: string, now = Date.now()): Promise<LinkView> {
  if (!isLinkToken(token)) return { state: 'unknown' };
  const row = await store.link(hashLinkToken(token));
  if (!row) return { state: 'unknown' };
  const { hash: _hash, ...link } = row;
  const state: LinkState = row.usedAt !== undefined ? 'used' : row.expiresAt <= now ? 'expired' : 'valid';
  const snap = await store.get(row.handoffId);
  const approval = row.kind === 'approve' ? snap?.approvals.find((a) => a.id === row.subject) : undefined;
  const h = snap?.handoff;
  return {
    state,
    link,
    ...(approval ? { approval } : {}),
    ...(h ? { handoff: { id: h.id, flow: h.flow, state: h.state, owner: h.owner } } : {}),
  };
}

export type LinkChoice = 'approve' | 'reject' | 'accept';

export interface LinkOutcome {
  ok: boolean;
  /** One sentence for the person: what happened, or why nothing did. */
  message: string;
  code?: string;
}

interface Service {
  store: Store;
  decide(
    id: string,
    p: CallerInfo,
    decision: 'approve' | 'reject',
    comment?: string,
  ): Promise<{ approval: ApprovalRecord }>;
  accept(id: string, p: CallerInfo, comment?: string): Promise<unknown>;
}

export async function useLink(
  svc: Service,
  token: string,
  choice: LinkChoice,
  comment: string | undefined,
  now = Date.now(),
): Promise<LinkOutcome> {
  if (!isLinkToken(token)) return { ok: false, code: 'not_found', message: 'This link is not valid.' };
  const hash = hashLinkToken(token);
  const known = await svc.store.link(hash);
  if (!known) return { ok: false, code: 'not_found', message: 'This link is not valid.' };
  const fits = known.kind === 'approve' ? choice === 'approve' || choice === 'reject' : choice === 'accept';
  if (!fits) return { ok: false, code: 'validation_failed', message: `This link cannot ${choice}.` };
  const link = await svc.store.useLink(hash, now);
  if (!link) {
    const used = (await svc.store.link(hash))?.usedAt !== undefined;
    return {
      ok: false,
      code: used ? 'already_used' : 'expired',
      message: used
        ? 'This link was already used.'
        : 'This link has expired: ask for a new one or use Baton directly.',
    };
  }
  const caller: CallerInfo = { user: link.userId, access: 'viewer', via: 'email' };
  try {
    if (link.kind === 'approve') {
      const r = await svc.decide(link.subject, caller, choice as 'approve' | 'reject', comment);
      return { ok: true, message: outcomeText(r.approval, link.userId) };
    }
    await svc.accept(link.subject, caller, comment);
    return { ok: true, message: `Accepted: handoff ${link.subject} is yours (${link.userId}).` };
  } catch (e) {
    // Nothing was decided (the service commits a decision whole or not at all): the link is
    // released, whether the refusal was a write conflict, a closed approval or a missing right.
    await svc.store.releaseLink(hash, now);
    if (isBatonError(e) && e.code === 'already_decided' && link.kind === 'approve') {
      const a = await svc.store.approval(link.subject);
      const line = a ? closedLine(a) : undefined;
      return { ok: false, code: 'already_decided', message: `Already decided${line ? `: ${line}` : ''}.` };
    }
    if (isBatonError(e)) return { ok: false, code: e.code, message: e.message };
    throw e;
  }
}

function outcomeText(a: ApprovalRecord, user: string): string {
  if (a.state === 'pending') return `Your vote is recorded (${user}); the approval waits for more approvers.`;
  return `${closedLine(a) ?? a.state}.`;
}
