// A model decision is an external call, made like an action's: budget is reserved (in the
// store, idempotent on handoff and call number), the call is committed as running together with
// its frozen inputs (exact prompt, context snapshot with provenance, model, parameters), then
// made, then its answer and cost are committed. A call found running under an earlier lease
// may have been billed: its reservation is settled at the estimate before a new call is made,
// so a repeated call is always paid for and a budget is never charged twice for one call.
import type { CompiledFlow } from '../flow/compiled.ts';
import type { ModelAnswer, DecisionRequest } from '../decide/port.ts';
import { ModelUnavailableError } from '../decide/port.ts';
import { checkAnswer } from '../decide/answer.ts';
import { costUsd, estimateUsd, utcDay } from '../decide/cost.ts';
import { hasUntrusted, snapshotFields } from '../decide/fields.ts';
import { allowedFor, requestFor } from '../decide/request.ts';
import { priceOf } from '../decide/settings.ts';
import { errorText } from '../core/errors.ts';
import type { Work } from './work.ts';
import type { Runtime } from './runtime.ts';
import { capsOf, type ModelRuntime } from './models.ts';
import { engineActor, escalate, fail } from './escalate.ts';

export interface ModelCall {
  request: DecisionRequest;
  reservation: string;
  call: number;
}

export type ModelOutcome =
  { ok: true; answer: ModelAnswer; ms: number } | { ok: false; error: unknown; ms: number };

/** The context snapshot a decision sees, from the handoff as stored. */
export function fieldsOf(w: Work, flow: CompiledFlow) {
  const h = w.handoff;
  return snapshotFields(h.input, flow.def.input, h.createdAt, h.context, h.provenance ?? []);
}

/** Reserves budget and records the call as running; escalates with `cost_cap` when refused. */
export async function startModelCall(
  w: Work,
  flow: CompiledFlow,
  rt: Runtime,
  ruleErrors: unknown[],
): Promise<ModelCall | undefined> {
  const h = w.handoff;
  const m = rt.models;
  if (!m) {
    fail(w, flow, rt, 'the flow decides with a model but no model is configured');
    return undefined;
  }
  await settleLostCall(w, flow, m);
  const fields = fieldsOf(w, flow);
  const request = requestFor(flow, m.settings, rt.registry, m.redactor, fields, h.id);
  const held = await reserveCall(w, flow, rt, m, request);
  if (!held) return undefined;
  const { call, reservation, estimate } = held;
  h.model = {
    calls: call,
    running: { call, reservation, model: request.model, estimateUsd: estimate, startedAttempt: h.attempt },
  };
  w.event('model_call_started', engineActor(flow), {
    call,
    reservation,
    model: request.model,
    ...(request.fallbackModel ? { fallbackModel: request.fallbackModel } : {}),
    params: request.params,
    system: request.system,
    prompt: request.prompt,
    owners: request.owners,
    actions: request.actions,
    context: m.redactor.value(fields),
    estimateUsd: estimate,
    ...(ruleErrors.length ? { ruleErrors } : {}),
  });
  return { request, reservation, call };
}

/**
 * Reserves budget for the handoff's next model call. Undefined when refused (the handoff is
 * escalated with `cost_cap`, before any call) or when the model has no price (failed: budgets
 * fail closed).
 */
export async function reserveCall(
  w: Work,
  flow: CompiledFlow,
  rt: Runtime,
  m: ModelRuntime,
  request: DecisionRequest,
  details: Record<string, unknown> = {},
): Promise<{ call: number; reservation: string; estimate: number } | undefined> {
  const h = w.handoff;
  const price = priceOf(m.settings, request.model);
  if (!price) {
    fail(w, flow, rt, `no price for model ${request.model} in baton.yaml models.prices: budgets fail closed`);
    return undefined;
  }
  const call = (h.model?.calls ?? 0) + 1;
  const reservation = `${h.id}:${call}`;
  // The fallback may cost more: hold the dearer estimate.
  const fallbackPrice = request.fallbackModel ? priceOf(m.settings, request.fallbackModel) : undefined;
  const estimate = Math.max(
    estimateUsd(price, request),
    fallbackPrice ? estimateUsd(fallbackPrice, request) : 0,
  );
  const verdict = await m.budget.reserveBudget({
    id: reservation,
    handoffId: h.id,
    flow: flow.def.id,
    day: utcDay(w.now),
    model: request.model,
    estimateUsd: estimate,
    at: w.now,
    caps: capsOf(flow, m),
  });
  if (!verdict.ok) {
    escalate(w, flow, rt, 'cost_cap', {
      cap: verdict.cap,
      used: verdict.used,
      limit: verdict.limit,
      estimateUsd: estimate,
      model: request.model,
      ...details,
    });
    return undefined;
  }
  return { call, reservation, estimate };
}

/** A call that was running when its worker died may have been billed: charge its estimate. */
export async function settleLostCall(w: Work, flow: CompiledFlow, m: ModelRuntime): Promise<void> {
  const h = w.handoff;
  const lost = h.model?.running;
  if (!lost) return;
  const settled = await m.budget.settleBudget(lost.reservation, {
    costUsd: lost.estimateUsd,
    inputTokens: 0,
    outputTokens: 0,
    cachedTokens: 0,
    at: w.now,
  });
  const cost = settled?.costUsd ?? lost.estimateUsd;
  h.costUsd += cost;
  h.model = { calls: h.model!.calls };
  w.event('model_call_outcome_unknown', engineActor(flow), {
    call: lost.call,
    model: lost.model,
    reservation: lost.reservation,
    costUsd: cost,
  });
}

/**
 * Settles the running call's reservation with its reported cost (a timeout may still have been
 * billed: its estimate; a refused call was not: nothing), and records `model_called`.
 */
export async function settleCall(
  w: Work,
  flow: CompiledFlow,
  m: ModelRuntime,
  outcome: ModelOutcome,
  extra: Record<string, unknown> = {},
): Promise<ModelAnswer | undefined> {
  const h = w.handoff;
  const running = h.model!.running!;
  const answered = outcome.ok ? outcome.answer : undefined;
  const price = priceOf(m.settings, answered?.model ?? running.model);
  const timedOut =
    !outcome.ok &&
    outcome.error instanceof ModelUnavailableError &&
    outcome.error.attempts.some((a) => a.error.startsWith('timed out'));
  const cost = answered && price ? costUsd(price, answered.usage) : timedOut ? running.estimateUsd : 0;
  const usage = answered?.usage ?? { inputTokens: 0, outputTokens: 0, cachedInputTokens: 0 };
  const settled = await m.budget.settleBudget(running.reservation, {
    costUsd: cost,
    inputTokens: usage.inputTokens,
    outputTokens: usage.outputTokens,
    cachedTokens: usage.cachedInputTokens,
    at: w.now,
  });
  const charged = settled?.costUsd ?? cost;
  h.costUsd += charged;
  h.model = { calls: h.model!.calls };
  const redact = m.redactor;
  w.event('model_called', engineActor(flow), {
    call: running.call,
    model: answered?.model ?? running.model,
    ms: outcome.ms,
    costUsd: charged,
    usage,
    ...extra,
    ...(answered
      ? { answer: redact.text(answered.text) }
      : { error: redact.text(errorText(outcome.ok ? '' : outcome.error)) }),
    ...(answered?.attempts ? { attempts: redact.value(answered.attempts) } : {}),
  });
  return answered;
}

/** Records a model call's answer and cost, then decides from it (or escalates). */
export async function applyModelOutcome(
  w: Work,
  flow: CompiledFlow,
  rt: Runtime,
  outcome: ModelOutcome,
  adopt: (d: {
    owner: string;
    actions: string[];
    confidence: number;
    rationale: string;
    evidence: string[];
    reads: Record<string, unknown>;
    model: string;
    untrusted: boolean;
  }) => void,
): Promise<void> {
  const h = w.handoff;
  const m = rt.models!;
  if (!h.model?.running) return;
  const answered = await settleCall(w, flow, m, outcome);
  // Cancelled (or otherwise moved on by a person) during the call: the cost is still recorded.
  if (h.state !== 'deciding') return;
  const redact = m.redactor;
  if (!answered) {
    escalate(w, flow, rt, 'invalid_model_answer', {
      problem: redact.text(`no model answered: ${errorText(outcome.ok ? '' : outcome.error)}`),
    });
    return;
  }
  const llm = flow.def.decide.llm!;
  const verdict = checkAnswer(
    answered,
    allowedFor(flow),
    { input: h.input, context: h.context ?? {} },
    llm.minConfidence,
  );
  if (!verdict.ok) {
    escalate(w, flow, rt, verdict.reason, {
      problem: redact.text(verdict.problem),
      model: answered.model,
      ...(verdict.confidence !== undefined ? { confidence: verdict.confidence } : {}),
    });
    return;
  }
  adopt({
    owner: verdict.owner,
    actions: verdict.actions,
    confidence: verdict.confidence,
    rationale: redact.text(verdict.rationale),
    evidence: verdict.evidence,
    reads: redact.value(verdict.reads),
    model: answered.model,
    untrusted: hasUntrusted(fieldsOf(w, flow)),
  });
}
