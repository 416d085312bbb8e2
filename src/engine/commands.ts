// What people do to a handoff: accept, decline, return, reassign, complete, cancel, retry,
// resolve, observe (shadow mode). Each is a pure change of a working copy; the service commits it.
import { BatonError } from '../core/errors.ts';
import { isOwnerRef } from '../core/owner.ts';
import { TERMINAL_STATES, WAITING_FOR_OWNER } from '../core/types.ts';
import type { Actor, ReturnReason } from '../core/types.ts';
import type { CompiledFlow } from '../flow/compiled.ts';
import type { Work } from './work.ts';
import { fallbackOwner, type Runtime } from './runtime.ts';
import { notify } from './escalate.ts';

export interface Caller {
  user: string;
  /** May act on any handoff (operator or admin access), not only on work it owns. */
  operator: boolean;
  via?: string;
}

export const actorOf = (c: Caller): Actor => ({ kind: 'user', id: c.user, ...(c.via ? { via: c.via } : {}) });

/** The owner (or whoever stands in for them by delegation), or an operator; `for` names the absent owner. */
function requireOwner(w: Work, rt: Runtime, c: Caller, what: string): { for?: string } {
  const h = w.handoff;
  const standing = rt.directory.standing(c.user, h.owner, h.flow, w.now);
  if (standing) return standing.for ? { for: standing.for } : {};
  if (c.operator) return {};
  throw new BatonError(
    'forbidden',
    `${c.user} cannot ${what} handoff ${h.id}: it belongs to ${h.owner} (only its owner, or a token with operator access, may)`,
  );
}

export function accept(w: Work, rt: Runtime, c: Caller, comment?: string): void {
  const h = w.handoff;
  if (!WAITING_FOR_OWNER.has(h.state))
    throw new BatonError('invalid_transition', `Cannot accept: the handoff is ${h.state}`);
  // Only the owner accepts (or someone standing in for them): an operator reassigns instead.
  const standing = rt.directory.standing(c.user, h.owner, h.flow, w.now);
  if (!standing) {
    throw new BatonError('forbidden', `${c.user} cannot accept work owned by ${h.owner}`);
  }
  w.to('accepted');
  h.acceptedAt ??= w.now;
  const open = w.openLedger();
  if (open) {
    open.status = 'accepted';
    open.by = c.user;
    w.touchLedger(open);
  }
  w.event('accepted', actorOf(c), {
    owner: h.owner,
    ...(standing.for ? { for: standing.for } : {}),
    ...(comment ? { comment } : {}),
  });
}

export function decline(
  w: Work,
  flow: CompiledFlow,
  rt: Runtime,
  c: Caller,
  reason: ReturnReason,
  comment?: string,
): void {
  const h = w.handoff;
  if (!WAITING_FOR_OWNER.has(h.state))
    throw new BatonError(
      'invalid_transition',
      `Cannot decline: the handoff is ${h.state} (decline is a return before acceptance)`,
    );
  const standing = requireOwner(w, rt, c, 'decline');
  sendBack(w, flow, rt, c, 'declined', reason, comment, standing);
}

export function giveBack(
  w: Work,
  flow: CompiledFlow,
  rt: Runtime,
  c: Caller,
  reason: ReturnReason,
  comment?: string,
): void {
  const h = w.handoff;
  if (!['accepted', 'handed_off', 'escalated', 'completed'].includes(h.state)) {
    throw new BatonError('invalid_transition', `Cannot return: the handoff is ${h.state}`);
  }
  const standing = requireOwner(w, rt, c, 'return');
  sendBack(w, flow, rt, c, 'returned', reason, comment, standing);
}

function sendBack(
  w: Work,
  flow: CompiledFlow,
  rt: Runtime,
  c: Caller,
  how: 'declined' | 'returned',
  reason: ReturnReason,
  comment?: string,
  standing: { for?: string } = {},
): void {
  const h = w.handoff;
  const from = h.owner;
  const to = fallbackOwner(flow, rt);
  w.to('returned');
  delete h.completedAt; // a returned handoff is not complete any more
  h.rework += 1;
  w.changeOwner(to, `${how}:${reason}`, how, c.user);
  w.event(how, actorOf(c), { reason, from, to, ...standing, ...(comment ? { comment } : {}) });
  notify(
    w,
    to,
    'handoff',
    `${from} ${how} ${flow.def.name} ${h.id} (${reason})${comment ? `: ${comment}` : ''}`,
  );
}

export function reassign(
  w: Work,
  flow: CompiledFlow,
  rt: Runtime,
  c: Caller,
  to: string,
  comment?: string,
): void {
  const h = w.handoff;
  if (!isOwnerRef(to) || to.startsWith('agent:')) {
    throw new BatonError('validation_failed', `"${to}" is not an owner`, {
      details: [{ path: 'to', message: 'an owner like user:dana, team:sales or role:cfo' }],
    });
  }
  rt.directory.requireKnown(to, 'to');
  if (!['handed_off', 'escalated', 'returned', 'accepted', 'failed'].includes(h.state)) {
    throw new BatonError('invalid_transition', `Cannot reassign: the handoff is ${h.state}`);
  }
  requireOwner(w, rt, c, 'reassign');
  const from = h.owner;
  if (h.state !== 'failed' || w.actions.every((a) => a.state !== 'failed' && a.state !== 'outcome_unknown')) {
    w.to('handed_off');
  } else {
    throw new BatonError(
      'invalid_transition',
      'Cannot reassign while an action is failed or its outcome unknown: `baton retry` or `baton resolve` it first',
    );
  }
  h.rework += 1;
  h.handedOffAt ??= w.now;
  w.changeOwner(to, 'reassigned', 'reassigned', c.user);
  w.event('reassigned', actorOf(c), { from, to, ...(comment ? { comment } : {}) });
  notify(w, to, 'handoff', `Reassigned to you: ${flow.def.name} (${h.id})`);
}

export function complete(w: Work, rt: Runtime, c: Caller, comment?: string): void {
  const h = w.handoff;
  if (!['accepted', 'handed_off', 'escalated', 'returned'].includes(h.state)) {
    throw new BatonError('invalid_transition', `Cannot complete: the handoff is ${h.state}`);
  }
  const standing = requireOwner(w, rt, c, 'complete');
  if (h.state !== 'accepted') accept(w, rt, { ...c });
  markCompleted(w, actorOf(c), { owner: h.owner, ...standing, ...(comment ? { comment } : {}) });
}

/** Completes the handoff and closes its ownership (a person's `complete`, or a ladder's default decision). */
export function markCompleted(w: Work, actor: Actor, data: Record<string, unknown>): void {
  w.to('completed');
  w.handoff.completedAt = w.now;
  const open = w.openLedger();
  if (open) {
    open.to = w.now;
    open.status = 'completed';
    w.touchLedger(open);
  }
  w.event('completed', actor, data);
}

export function cancel(w: Work, rt: Runtime, c: Caller, comment?: string): void {
  const h = w.handoff;
  if (TERMINAL_STATES.has(h.state))
    throw new BatonError('invalid_transition', `Cannot cancel: the handoff is ${h.state}`);
  requireOwner(w, rt, c, 'cancel');
  if (w.actions.some((a) => a.state === 'running')) {
    throw new BatonError(
      'invalid_transition',
      'Cannot cancel while an action is running; try again in a moment',
    );
  }
  markCancelled(w, actorOf(c), comment ? { comment } : {});
}

/** Cancels: open actions skipped, pending approvals voided, ownership released. */
export function markCancelled(w: Work, actor: Actor, data: Record<string, unknown>): void {
  w.to('cancelled');
  for (const a of w.actions) {
    if (a.state === 'pending' || a.state === 'awaiting_approval') {
      a.state = 'skipped';
      a.error = 'cancelled';
      w.putAction(a);
    }
  }
  for (const ap of w.approvals) {
    if (ap.state === 'pending') {
      ap.state = 'voided';
      ap.decidedAt = w.now;
      w.putApproval(ap);
    }
  }
  const open = w.openLedger();
  if (open) {
    open.to = w.now;
    open.status = 'released';
    w.touchLedger(open);
  }
  w.event('cancelled', actor, data);
}

/** Failed actions go back to pending and the handoff to acting; the worker runs them again. */
export function retry(w: Work, rt: Runtime, c: Caller, comment?: string): void {
  const h = w.handoff;
  if (h.state !== 'failed')
    throw new BatonError('invalid_transition', `Cannot retry: the handoff is ${h.state}, not failed`);
  requireOwner(w, rt, c, 'retry');
  const failed = w.actions.filter((a) => a.state === 'failed');
  if (w.actions.some((a) => a.state === 'outcome_unknown')) {
    throw new BatonError(
      'invalid_transition',
      'An action has an unknown outcome: check the target system and `baton resolve` it (a blind retry could repeat its effect)',
    );
  }
  for (const a of failed) {
    a.state = 'pending';
    delete a.nextAttemptAt;
    a.calls = 0;
    w.putAction(a);
  }
  w.to('acting');
  w.event('retried', actorOf(c), { actions: failed.map((a) => a.id), ...(comment ? { comment } : {}) });
  if (h.owner !== `agent:${h.flow}`) w.changeOwner(`agent:${h.flow}`, 'retried', 'released', c.user);
}

export function resolve(
  w: Work,
  rt: Runtime,
  c: Caller,
  actionId: string,
  outcome: 'succeeded' | 'failed' | 'retry',
  comment?: string,
): void {
  const h = w.handoff;
  const a = w.action(actionId);
  if (!a) throw new BatonError('not_found', `handoff ${h.id} has no action ${actionId}`);
  if (a.state !== 'outcome_unknown' && a.state !== 'failed') {
    throw new BatonError(
      'invalid_transition',
      `Cannot resolve action ${actionId}: it is ${a.state} (only outcome_unknown or failed actions are resolved)`,
    );
  }
  requireOwner(w, rt, c, 'resolve');
  w.event('resolved', actorOf(c), {
    action: actionId,
    outcome,
    previous: a.state,
    ...(comment ? { comment } : {}),
  });
  if (outcome === 'failed') {
    a.state = 'failed';
    w.putAction(a);
    return;
  }
  a.state = outcome === 'succeeded' ? 'succeeded' : 'pending';
  if (outcome === 'retry') {
    a.calls = 0;
    delete a.nextAttemptAt;
  }
  delete a.error;
  w.putAction(a);
  if (h.state === 'failed' && w.actions.every((x) => x.state !== 'failed' && x.state !== 'outcome_unknown')) {
    w.to('acting');
    if (h.owner !== `agent:${h.flow}`) w.changeOwner(`agent:${h.flow}`, 'resolved', 'released', c.user);
  }
}

/** Shadow mode: what people actually did, beside what Baton would have done. */
export function observe(w: Work, rt: Runtime, c: Caller, owner: string): void {
  const h = w.handoff;
  if (!isOwnerRef(owner)) {
    throw new BatonError('validation_failed', `"${owner}" is not an owner`, {
      details: [{ path: 'owner', message: 'an owner like user:dana or team:sales' }],
    });
  }
  rt.directory.requireKnown(owner, 'owner');
  if (h.mode !== 'shadow')
    throw new BatonError('invalid_transition', `Handoff ${h.id} is not a shadow-mode handoff`);
  // One observation per handoff: a second would silently rewrite the agreement figures.
  const earlier = h.observed;
  if (earlier) {
    throw new BatonError(
      'already_decided',
      `Handoff ${h.id} was observed already: people routed it to ${earlier.owner}` +
        `${earlier.by ? ` (recorded by ${earlier.by} ` : ' ('}at ${new Date(earlier.at).toISOString()}); ` +
        'an observation is recorded once',
      { details: [{ path: 'owner', message: `observed already as ${earlier.owner}` }] },
    );
  }
  const agreed = h.decision?.owner === owner;
  h.observed = { owner, agreed, at: w.now, by: c.user };
  w.event('observed', actorOf(c), { owner, wouldOwn: h.decision?.owner ?? null, agreed });
}

/**
 * A note on the handoff from outside it (a reply to its mail, a message in its thread): recorded
 * in the audit log with who wrote it; nothing else changes, in any state.
 */
export function addComment(w: Work, actor: Actor, text: string, data: Record<string, unknown>): void {
  w.event('commented', actor, { text, ...data });
}
