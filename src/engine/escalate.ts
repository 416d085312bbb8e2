// Moving work to a person when Baton cannot or must not go on by itself.
import type { ActionRecord, Actor, EscalationReason } from '../core/types.ts';
import type { OwnerRef } from '../core/owner.ts';
import type { CompiledFlow } from '../flow/compiled.ts';
import type { Work } from './work.ts';
import { fallbackOwner, type Runtime } from './runtime.ts';
import { newId } from './ids.ts';

export function engineActor(flow: CompiledFlow): Actor {
  return { kind: 'engine', id: flow.def.id };
}

/**
 * Tells an owner: a message in the Baton inbox, and a notice for the channels (Slack, email)
 * that reach the owner's people; the engine keeps the notice only when a channel does.
 */
export function notify(
  w: Work,
  owner: string,
  kind: 'handoff' | 'reminder' | 'notification' | 'approval' | 'escalation',
  text: string,
  approvalId?: string,
): void {
  w.addInbox({ id: newId('msg_'), owner, handoffId: w.handoff.id, kind, text, createdAt: w.now });
  w.addNotice({ kind, owner, text, ...(approvalId ? { approvalId } : {}) });
}

/** Escalates to `to` (default: the fallback owner) with a reason from SPEC §6. */
export function escalate(
  w: Work,
  flow: CompiledFlow,
  rt: Runtime,
  reason: EscalationReason | 'approval_rejected',
  details: Record<string, unknown> = {},
  to?: OwnerRef,
  actor: Actor = engineActor(flow),
): void {
  const target = to ?? fallbackOwner(flow, rt);
  const from = w.handoff.owner;
  w.to('escalated', `escalate (${reason})`);
  w.changeOwner(target, `escalated:${reason}`, from.startsWith('agent:') ? 'released' : 'reassigned');
  w.handoff.handedOffAt ??= w.now;
  w.event('escalated', actor, { reason, from, to: target, ...details });
  notify(w, target, 'escalation', `Escalated to you (${reason}): ${flow.def.name} ${w.handoff.id}`);
}

/**
 * The handoff needs a person: state `failed`, owned by the fallback owner, never dropped. A
 * failed action (after its retries, not available, bad parameters, or an outcome a crash made
 * unknown: `details.reason` is `action_failed`) is also an escalation: an `escalated` event with
 * that reason, counted like any other, while the state stays `failed` so `baton retry` and
 * `baton resolve` apply.
 */
export function fail(
  w: Work,
  flow: CompiledFlow,
  rt: Runtime,
  error: string,
  details: Record<string, unknown> = {},
): void {
  const target = fallbackOwner(flow, rt);
  const from = w.handoff.owner;
  w.to('failed', 'fail');
  if (from !== target) w.changeOwner(target, 'failed', from.startsWith('agent:') ? 'released' : 'reassigned');
  w.event('failed', engineActor(flow), { error, ...details, to: target });
  if (details['reason'] === 'action_failed') {
    w.event('escalated', engineActor(flow), {
      reason: 'action_failed',
      from,
      to: target,
      state: 'failed',
      ...(details['action'] !== undefined ? { action: details['action'] } : {}),
    });
  }
  notify(w, target, 'escalation', `Needs a person: ${flow.def.name} ${w.handoff.id}: ${error}`);
}

/**
 * An action that failed before it ran (its parameters, its price): recorded `failed` with an
 * `action_failed` event that says a retry cannot help, and the handoff goes to a person.
 */
export function failAction(
  w: Work,
  flow: CompiledFlow,
  rt: Runtime,
  a: ActionRecord,
  error: string,
  message = `action ${a.id} failed: ${error}`,
): void {
  a.state = 'failed';
  a.error = error;
  w.putAction(a);
  w.event('action_failed', engineActor(flow), { action: a.id, use: a.use, error, retryable: false });
  fail(w, flow, rt, message, { action: a.id, reason: 'action_failed' });
}
