// `builtin.draft_reply` with a model: where the flow has a model (its `decide.llm` model or
// baton.yaml's `models.default`), the reply is written by the model from the action's `body`
// (the template, used as it is when no model is configured) and the handoff's fields, untrusted
// text delimited as for decisions. The draft is always a proposal: a task of kind `draft` for a
// person to send. The model call is made like a decision's: budget reserved, the action committed
// as running, the call, then the draft written and the cost settled in one step. Writing the
// draft happens only with the outcome, so a call lost in a crash is simply made again (its
// reservation is charged at the estimate first).
import type { ActionRecord } from '../core/types.ts';
import type { CompiledFlow } from '../flow/compiled.ts';
import { draftRequestFor } from '../decide/request.ts';
import { modelsOf } from '../decide/settings.ts';
import { isInternal } from '../actions/define.ts';
import type { Work } from './work.ts';
import type { Runtime } from './runtime.ts';
import { engineActor, fail } from './escalate.ts';
import {
  fieldsOf,
  reserveCall,
  settleCall,
  settleLostCall,
  type ModelCall,
  type ModelOutcome,
} from './model-step.ts';
import type { InternalEffects } from '../actions/define.ts';

export interface DraftCall extends ModelCall {
  actionId: string;
}

export function draftsWithModel(a: ActionRecord, flow: CompiledFlow, rt: Runtime): boolean {
  return a.use === 'builtin.draft_reply' && !!rt.models && !!modelsOf(flow, rt.models.settings).model;
}

/** Starts the model call for a draft; undefined when the handoff cannot go on (budget, price). */
export async function startDraft(
  w: Work,
  flow: CompiledFlow,
  rt: Runtime,
  a: ActionRecord,
): Promise<DraftCall | undefined> {
  const h = w.handoff;
  const m = rt.models!;
  await settleLostCall(w, flow, m);
  const fields = fieldsOf(w, flow);
  const guidance = a.params as { body: string; to?: string; subject?: string };
  const request = draftRequestFor(flow, m.settings, m.redactor, fields, `${h.id}:${a.id}`, guidance);
  const held = await reserveCall(w, flow, rt, m, request, { action: a.id });
  if (!held) {
    a.state = 'skipped';
    a.error = 'the model draft was not started: a budget cap';
    w.putAction(a);
    return undefined;
  }
  const { call, reservation, estimate } = held;
  h.model = {
    calls: call,
    running: { call, reservation, model: request.model, estimateUsd: estimate, startedAttempt: h.attempt },
  };
  a.state = 'running';
  a.calls += 1;
  a.startedAttempt = h.attempt;
  w.putAction(a);
  w.event('model_call_started', engineActor(flow), {
    kind: 'draft',
    action: a.id,
    call,
    reservation,
    model: request.model,
    params: request.params,
    system: request.system,
    prompt: request.prompt,
    context: m.redactor.value(fields),
    estimateUsd: estimate,
  });
  w.event('action_started', engineActor(flow), {
    action: a.id,
    use: a.use,
    idempotencyKey: a.idempotencyKey,
    call: a.calls,
  });
  return { request, reservation, call, actionId: a.id };
}

/** Writes the draft (the model's text, or the template when no model answered). */
export async function applyDraftOutcome(
  w: Work,
  flow: CompiledFlow,
  rt: Runtime,
  actionId: string,
  outcome: ModelOutcome,
  fx: InternalEffects,
): Promise<void> {
  const a = w.action(actionId);
  const m = rt.models;
  if (!a || a.state !== 'running' || !m || !w.handoff.model?.running) return;
  const answered = await settleCall(w, flow, m, outcome, { kind: 'draft', action: a.id });
  const def = rt.registry.action(a.use);
  if (!def || !isInternal(def)) {
    fail(w, flow, rt, `action ${a.use} is not available`, { action: a.id });
    return;
  }
  const text = answered ? m.redactor.text(answered.text.trim()) : '';
  const params = { ...a.params, ...(text ? { body: text } : {}) };
  const result = def.apply(params as never, fx);
  a.state = 'succeeded';
  a.result = result;
  w.putAction(a);
  w.event('action_succeeded', engineActor(flow), {
    action: a.id,
    use: a.use,
    idempotencyKey: a.idempotencyKey,
    result,
    draftedBy: text ? `model:${answered!.model}` : 'template',
  });
}
