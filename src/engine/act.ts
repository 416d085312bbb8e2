// Running a handoff's actions, in order: the approval gate, internal actions inline (inside the
// step's transaction), external ones committed as `running` before they are called, their
// outcomes with retries, and calls whose outcome a crash made unknown.
import { errorText, isBatonError } from '../core/errors.ts';
import type { OwnerRef } from '../core/owner.ts';
import type { ActionRecord } from '../core/types.ts';
import type { CompiledApproval, CompiledFlow } from '../flow/compiled.ts';
import { isInternal, type AnyAction, type InternalEffects } from '../actions/define.ts';
import type { Work } from './work.ts';
import { celVars, fallbackOwner, type Runtime } from './runtime.ts';
import { celValue } from '../flow/cel-value.ts';
import { engineActor, fail, failAction } from './escalate.ts';
import { requestActionApproval, voidApproval } from './approvals.ts';
import { approvalBinding } from './approval-binding.ts';
import { atLeast, riskPolicy } from './risk-gate.ts';

import { newId } from './ids.ts';
import { fieldsOf, type ModelCall } from './model-step.ts';
import { hasUntrusted } from '../decide/fields.ts';
import { safeErrorText, unsentFailure } from './unsent.ts';
import { declaredCost, reserveActionCost, settleActionCost } from './action-cost.ts';
import { draftsWithModel, startDraft, type DraftCall } from './draft-step.ts';
import { needsCapture } from './capture.ts';

/** What the engine must call once the step is committed: an action, a model decision, a draft. */
export type ExternalCall =
  { actionId: string } | { capture: string } | { model: ModelCall } | { draft: DraftCall };

async function startDraftCall(
  w: Work,
  flow: CompiledFlow,
  rt: Runtime,
  a: ActionRecord,
): Promise<ExternalCall | undefined> {
  const call = await startDraft(w, flow, rt, a);
  return call ? { draft: call } : undefined;
}

/** Runs the next pending action. Returns `wait` when the handoff must wait (approval, backoff). */
export async function act(
  w: Work,
  flow: CompiledFlow,
  rt: Runtime,
): Promise<ExternalCall | 'wait' | undefined> {
  for (const a of [...w.actions].sort((x, y) => x.order - y.order)) {
    if (a.state === 'succeeded' || a.state === 'skipped' || a.state === 'rolled_back') continue;
    if (a.state === 'awaiting_approval') {
      w.to('awaiting_approval');
      return 'wait';
    }
    if (a.state === 'running') {
      if (a.startedAttempt === w.handoff.attempt) return 'wait';
      if (draftsWithModel(a, flow, rt)) {
        // Nothing is written before the draft's outcome: drafting again is safe.
        a.state = 'pending';
        w.putAction(a);
        w.event('action_outcome_unknown', engineActor(flow), { action: a.id, use: a.use, retry: true });
        return (await startDraftCall(w, flow, rt, a)) ?? 'wait';
      }
      await outcomeUnknown(w, flow, rt, a);
      return w.handoff.state === 'acting' ? undefined : 'wait';
    }
    if (a.state === 'failed' || a.state === 'outcome_unknown') {
      fail(w, flow, rt, `action ${a.id} is ${a.state}`, { action: a.id });
      return 'wait';
    }
    // pending
    if (a.nextAttemptAt !== undefined && a.nextAttemptAt > w.now) return 'wait';
    const compiled = flow.actions.find((x) => x.def.id === a.id);
    const vars = { ...celVars(w.handoff, flow), params: celValue(a.params) };
    if (compiled?.approval && !approvalSettled(w, flow, a)) {
      if (!compiled.approval.when || compiled.approval.when.eval(vars) === true) {
        // No level applies (every level's `when` is false): nobody must approve, the action runs.
        if (requestActionApproval(w, flow, rt, a, compiled.approval, vars)) return 'wait';
      }
    }
    const risk = riskPolicy(flow, rt);
    if (risk && atLeast(a.risk, risk.atLeast) && !approvalSettled(w, flow, a)) {
      requestActionApproval(w, flow, rt, a, risk, vars);
      return 'wait';
    }
    const def = rt.registry.action(a.use);
    if (def && trustGated(w, flow, a, def) && !approvalSettled(w, flow, a)) {
      requestActionApproval(w, flow, rt, a, trustBoundaryPolicy(flow, rt), vars);
      return 'wait';
    }
    if (!def) {
      a.state = 'failed';
      a.error = `action ${a.use} is not available`;
      w.putAction(a);
      fail(w, flow, rt, a.error, { action: a.id, reason: 'action_failed' });
      return 'wait';
    }
    if (isInternal(def) && draftsWithModel(a, flow, rt))
      return (await startDraftCall(w, flow, rt, a)) ?? 'wait';
    if (isInternal(def)) {
      try {
        const result = def.apply(a.params as never, effects(w, rt));
        a.state = 'succeeded';
        a.calls += 1;
        a.result = result;
        w.putAction(a);
        w.event('action_succeeded', engineActor(flow), {
          action: a.id,
          use: a.use,
          idempotencyKey: a.idempotencyKey,
          result,
        });
      } catch (e) {
        failAction(w, flow, rt, a, errorText(e));
        return 'wait';
      }
      continue;
    }
    // A write that can be undone reads what undoing it needs first (committed before the call).
    if (needsCapture(a, def)) return { capture: a.id };
    // A paid call: its cost is reserved first (refused over budget: escalated, not called).
    let usd: number | undefined;
    try {
      usd = declaredCost(w, flow, compiled, def, a);
    } catch (e) {
      failAction(w, flow, rt, a, errorText(e));
      return 'wait';
    }
    if (usd !== undefined && !(await reserveActionCost(w, flow, rt, a, usd))) return 'wait';
    a.state = 'running';
    a.calls += 1;
    a.startedAttempt = w.handoff.attempt;
    delete a.nextAttemptAt;
    w.putAction(a);
    w.event('action_started', engineActor(flow), {
      action: a.id,
      use: a.use,
      idempotencyKey: a.idempotencyKey,
      call: a.calls,
    });
    return { actionId: a.id };
  }
  handOff(w, flow, rt);
  return undefined;
}

/**
 * The trust boundary (SPEC §3.11): the action sends something out or is high-risk, and
 * untrusted text (an email body, ticket text, chat, a free-text input field) is in the
 * handoff's context. Whoever decided - a rule, `otherwise`, a model or a person - a person
 * approves first: the text may have steered the decision, or ride along in the parameters.
 */
function trustGated(w: Work, flow: CompiledFlow, a: ActionRecord, def: AnyAction): boolean {
  if (a.risk !== 'high' && (isInternal(def) || def.outbound !== true)) return false;
  return hasUntrusted(fieldsOf(w, flow));
}

function trustBoundaryPolicy(flow: CompiledFlow, rt: Runtime): CompiledApproval {
  return {
    levels: [{ name: 'trust boundary', approvers: [fallbackOwner(flow, rt)], quorum: 1, fallback: true }],
    remindBeforeMs: [],
    onTimeout: 'escalate',
    onReject: 'stop',
    version: 'trust-boundary',
  };
}

/**
 * Was this action's approval given (or decided by timeout as approve) for exactly the
 * parameters it has now? An approval binds to a hash of (handoff, action, parameters): if the
 * parameters changed since by anything but an approver's edit, the approval is void and a new
 * one is requested.
 */
function approvalSettled(w: Work, flow: CompiledFlow, a: ActionRecord): boolean {
  if (!a.approvalId) return false;
  const ap = w.approvals.find((x) => x.id === a.approvalId);
  if (ap?.state !== 'approved') return false;
  if (ap.binding === undefined || ap.binding === approvalBinding(w.handoff.id, a.id, a.params)) return true;
  voidApproval(w, flow, ap, a);
  return false;
}

/** A call started under an earlier lease never reported back: did it happen? */
async function outcomeUnknown(w: Work, flow: CompiledFlow, rt: Runtime, a: ActionRecord): Promise<void> {
  const def = rt.registry.action(a.use);
  const idempotent = !!def && !isInternal(def) && def.idempotent;
  // It may have been billed: a paid call is charged.
  const costUsd = await settleActionCost(w, flow, rt, a, true);
  w.event('action_outcome_unknown', engineActor(flow), {
    action: a.id,
    use: a.use,
    idempotencyKey: a.idempotencyKey,
    retry: idempotent,
    ...(costUsd !== undefined ? { costUsd } : {}),
  });
  if (idempotent) {
    a.state = 'pending';
    w.putAction(a);
    return;
  }
  a.state = 'outcome_unknown';
  a.error =
    'the call started but its outcome was not recorded (crash or lost lease); check the target system, then `baton resolve`';
  w.putAction(a);
  fail(w, flow, rt, `action ${a.id} has an unknown outcome and is not idempotent`, {
    action: a.id,
    reason: 'action_failed',
  });
}

/** Records the outcome of an external call made for `actionId`, and settles its cost. */
export async function applyOutcome(
  w: Work,
  flow: CompiledFlow,
  rt: Runtime,
  actionId: string,
  outcome: { ok: true; result: unknown } | { ok: false; error: unknown },
): Promise<void> {
  const a = w.action(actionId);
  if (!a || a.state !== 'running') return;
  const actor = engineActor(flow);
  if (outcome.ok) {
    const costUsd = await settleActionCost(w, flow, rt, a, true);
    a.state = 'succeeded';
    a.result = outcome.result;
    delete a.error;
    w.putAction(a);
    w.event('action_succeeded', actor, {
      action: a.id,
      use: a.use,
      idempotencyKey: a.idempotencyKey,
      call: a.calls,
      ...(costUsd !== undefined ? { costUsd } : {}),
    });
    return;
  }
  // A failure that provably happened before sending (unsent.ts) is a plain failure. Otherwise
  // only the action can say a failure left nothing behind (a BatonError, e.g. a 429 or 503
  // answer). Any other error - a timeout, a dropped connection - may come after the call
  // reached the other side: an idempotent action is tried again with the same key, any other
  // has an unknown outcome and waits for a person.
  const failure = unsentFailure(outcome.error) ?? outcome.error;
  const error = safeErrorText(failure);
  const def = rt.registry.action(a.use);
  const idempotent = !!def && !isInternal(def) && def.idempotent;
  // A refused or unsent call was not billed; any other failure may have been.
  const charged = await settleActionCost(w, flow, rt, a, !isBatonError(failure));
  const cost = charged !== undefined ? { costUsd: charged } : {};
  if (!isBatonError(failure) && !idempotent) {
    a.state = 'outcome_unknown';
    a.error = `${error} (the call may have reached the target: check it, then \`baton resolve\`)`;
    w.putAction(a);
    w.event('action_outcome_unknown', actor, {
      action: a.id,
      use: a.use,
      idempotencyKey: a.idempotencyKey,
      error,
      retry: false,
      ...cost,
    });
    fail(w, flow, rt, `action ${a.id} has an unknown outcome and is not idempotent: ${error}`, {
      action: a.id,
      reason: 'action_failed',
    });
    return;
  }
  const retryable = isBatonError(failure) ? failure.retryable : true;
  const retry = flow.actions.find((x) => x.def.id === a.id)?.retry ?? { attempts: 3, backoffMs: 1000 };
  if (retryable && a.calls < retry.attempts) {
    const hinted = isBatonError(failure) ? failure.retryAfterMs : undefined;
    const delay = hinted ?? Math.round(retry.backoffMs * 2 ** (a.calls - 1) * (0.5 + Math.random()));
    a.state = 'pending';
    a.error = error;
    a.nextAttemptAt = w.now + delay;
    w.putAction(a);
    w.event('action_retry_scheduled', actor, {
      action: a.id,
      use: a.use,
      error,
      call: a.calls,
      retryInMs: delay,
      ...cost,
    });
    return;
  }
  a.state = 'failed';
  a.error = error;
  w.putAction(a);
  w.event('action_failed', actor, {
    action: a.id,
    use: a.use,
    error,
    call: a.calls,
    retryable,
    // Provably never reached the target: nothing to check there before `baton retry`.
    ...(isBatonError(failure) && failure.context.sent === 'no' ? { sent: false } : {}),
    ...cost,
  });
  fail(w, flow, rt, `action ${a.id} failed: ${error}`, { action: a.id, reason: 'action_failed' });
}

export function effects(w: Work, rt: Runtime): InternalEffects {
  const owner = w.handoff.decision?.owner ?? w.handoff.owner;
  void rt;
  return {
    handoffId: w.handoff.id,
    now: w.now,
    owner,
    newId,
    addTask: (t) => w.addTask(t),
    addInbox: (m) => w.addInbox(m),
    tasksOf: async () => [],
  };
}

function handOff(w: Work, flow: CompiledFlow, rt: Runtime): void {
  const h = w.handoff;
  let target = flow.handoffTo.render(celVars(h, flow));
  if (rt.directory.unknownOwner(target)) target = fallbackOwner(flow, rt);
  const from = h.owner;
  w.to('handed_off');
  w.changeOwner(target as OwnerRef, `decision:${h.decision?.by ?? 'rule'}`, 'released');
  h.handedOffAt ??= w.now;
  w.event('handed_off', engineActor(flow), { from, to: target });
  // The queue is the inbox of handed-off work (no inbox copy); channels still reach the owner.
  w.addNotice({ kind: 'handoff', owner: target, text: `Handed to you: ${flow.def.name} (${h.id})` });
}
