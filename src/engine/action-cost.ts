// Paid calls besides the model's: an action (or a flow, for an action it uses) declares what one
// call costs. The cost is reserved in the store's budget before the call is committed as
// running, under the same per-handoff and per-flow-per-day caps as model calls (over budget: the
// handoff goes to a person with `cost_cap`, nothing is called), and settled with the call's
// outcome. Reservations are idempotent on (handoff, action, call number), so a step repeated
// after a crash neither reserves twice nor changes its verdict.
import { BatonError } from '../core/errors.ts';
import type { ActionRecord } from '../core/types.ts';
import type { CompiledAction, CompiledFlow } from '../flow/compiled.ts';
import { celValue } from '../flow/cel-value.ts';
import { toPlain } from '../flow/template.ts';
import { isInternal, type AnyAction } from '../actions/define.ts';
import { utcDay } from '../decide/cost.ts';
import type { Work } from './work.ts';
import { celVars, type Runtime } from './runtime.ts';
import { escalate } from './escalate.ts';

/** The `model` column of an action's reservation: never a model, so never a model call. */
export const ACTION_RESERVATION_PREFIX = 'action:';

/** The reservation of an action's call number `call`. */
export const actionReservation = (handoffId: string, a: ActionRecord, call = a.calls): string =>
  `${handoffId}:${a.id}:${call}`;

/**
 * What one call of this action costs (USD), or undefined when nothing declares a price. The
 * flow's `cost:` wins over the action's own. A price that is not a finite number ≥ 0 is an error.
 */
export function declaredCost(
  w: Work,
  flow: CompiledFlow,
  compiled: CompiledAction | undefined,
  def: AnyAction,
  a: ActionRecord,
): number | undefined {
  let usd: unknown;
  const cost = compiled?.cost;
  if (cost && 'usd' in cost) usd = cost.usd;
  else if (cost) usd = toPlain(cost.expr.eval({ ...celVars(w.handoff, flow), params: celValue(a.params) }));
  else if (!isInternal(def) && def.cost) usd = def.cost(a.params as never);
  else return undefined;
  if (typeof usd !== 'number' || !Number.isFinite(usd) || usd < 0)
    throw new BatonError(
      'validation_failed',
      `the cost of action ${a.id} is not an amount in USD: ${String(usd)}`,
    );
  return usd;
}

/** Caps of a flow: its own, else baton.yaml's. */
function capsOf(flow: CompiledFlow, rt: Runtime) {
  const cap = flow.def.guardrails.costCap;
  const perHandoff = cap?.perHandoff ?? rt.budget.costCap.perHandoff;
  const perDay = cap?.perDay ?? rt.budget.costCap.perDay;
  return {
    ...(perHandoff !== undefined ? { perHandoffUsd: perHandoff } : {}),
    ...(perDay !== undefined ? { perDayUsd: perDay } : {}),
  };
}

/**
 * Reserves the cost of the action's next call. False when refused: the handoff is escalated
 * with `cost_cap` and the action is not called.
 */
export async function reserveActionCost(
  w: Work,
  flow: CompiledFlow,
  rt: Runtime,
  a: ActionRecord,
  usd: number,
): Promise<boolean> {
  const verdict = await rt.budget.store.reserveBudget({
    id: actionReservation(w.handoff.id, a, a.calls + 1),
    handoffId: w.handoff.id,
    flow: flow.def.id,
    day: utcDay(w.now),
    model: `${ACTION_RESERVATION_PREFIX}${a.use}`,
    estimateUsd: usd,
    at: w.now,
    caps: capsOf(flow, rt),
  });
  if (verdict.ok) return true;
  escalate(w, flow, rt, 'cost_cap', {
    cap: verdict.cap,
    used: verdict.used,
    limit: verdict.limit,
    estimateUsd: usd,
    action: a.id,
    use: a.use,
  });
  return false;
}

/**
 * Settles the reservation of the action's current call, if its cost is declared: at that cost
 * when the call may have been billed (it succeeded, or its outcome is unknown), at nothing when
 * it was refused or never sent. Adds what was charged to the handoff and returns it.
 */
export async function settleActionCost(
  w: Work,
  flow: CompiledFlow,
  rt: Runtime,
  a: ActionRecord,
  billed: boolean,
): Promise<number | undefined> {
  const def = rt.registry.action(a.use);
  if (!def) return undefined;
  const compiled = flow.actions.find((x) => x.def.id === a.id);
  // The same inputs as when the call was reserved: the same price.
  const usd = declaredCost(w, flow, compiled, def, a);
  if (usd === undefined) return undefined;
  const settled = await rt.budget.store.settleBudget(actionReservation(w.handoff.id, a), {
    costUsd: billed ? usd : 0,
    inputTokens: 0,
    outputTokens: 0,
    cachedTokens: 0,
    at: w.now,
  });
  if (!settled) return undefined;
  w.handoff.costUsd += settled.costUsd;
  return settled.costUsd;
}
