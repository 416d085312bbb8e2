// The undo registry's first half: before a write is called, its `capture` reads what reversing
// it needs (the fields it will overwrite) and that is committed with the action. Only then is
// the action marked running and called, so a crash after the call still leaves the undo data,
// and a retried call keeps the first capture (never the values the first call wrote).
// A capture is a read: while it runs the action stays `pending`, so a crash repeats it safely.
import { errorText, isBatonError } from '../core/errors.ts';
import { storableJson } from '../core/json-safe.ts';
import type { ActionRecord } from '../core/types.ts';
import { isInternal, type ActionDefinition, type AnyAction } from '../actions/define.ts';
import type { CompiledFlow } from '../flow/compiled.ts';
import type { Work } from './work.ts';
import type { Runtime } from './runtime.ts';
import { engineActor, failAction } from './escalate.ts';
import { safeErrorText } from './unsent.ts';

/** The action must capture before its call: it declares `capture` and has not captured yet. */
export const needsCapture = (a: ActionRecord, def: AnyAction): boolean =>
  !isInternal(def) && typeof def.capture === 'function' && a.undo === undefined;

export type CaptureOutcome = { ok: true; undo: unknown } | { ok: false; error: unknown };

/** Records what a capture read, or its failure (retried like a call that was never sent). */
export function applyCapture(
  w: Work,
  flow: CompiledFlow,
  rt: Runtime,
  actionId: string,
  outcome: CaptureOutcome,
): void {
  const a = w.action(actionId);
  if (!a || a.state !== 'pending' || a.undo !== undefined) return;
  if (outcome.ok) {
    // `null` marks "captured, nothing to keep", so the capture is not repeated.
    a.undo = storableJson(outcome.undo ?? null);
    w.putAction(a);
    w.event('action_undo_captured', engineActor(flow), { action: a.id, use: a.use });
    return;
  }
  const error = `reading what undoing ${a.id} needs failed: ${safeErrorText(outcome.error)}`;
  const retryable = isBatonError(outcome.error) ? outcome.error.retryable : true;
  const retry = flow.actions.find((x) => x.def.id === a.id)?.retry ?? { attempts: 3, backoffMs: 1000 };
  a.calls += 1;
  if (retryable && a.calls < retry.attempts) {
    const hinted = isBatonError(outcome.error) ? outcome.error.retryAfterMs : undefined;
    const delay = hinted ?? Math.round(retry.backoffMs * 2 ** (a.calls - 1) * (0.5 + Math.random()));
    a.error = error;
    a.nextAttemptAt = w.now + delay;
    w.putAction(a);
    w.event('action_retry_scheduled', engineActor(flow), {
      action: a.id,
      use: a.use,
      error,
      call: a.calls,
      retryInMs: delay,
      sent: false,
    });
    return;
  }
  failAction(w, flow, rt, a, errorText(error));
}

/** Runs the capture of `a` (a read, with the action's timeout). */
export async function runCapture(
  def: ActionDefinition<Record<string, unknown>>,
  a: ActionRecord,
  ctx: Parameters<NonNullable<ActionDefinition<Record<string, unknown>>['capture']>>[1],
): Promise<CaptureOutcome> {
  try {
    return { ok: true, undo: await def.capture!(a.params, ctx) };
  } catch (error) {
    return { ok: false, error };
  }
}
