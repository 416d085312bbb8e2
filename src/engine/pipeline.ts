// The automatic part of a handoff: received → building_context → deciding → acting →
// handed_off. `step` advances a working copy as far as it can without an external call and
// returns the action to call next, if any (acting itself is in act.ts).
import { BatonError, errorText } from '../core/errors.ts';
import { isOwnerRef } from '../core/owner.ts';
import { storableJson } from '../core/json-safe.ts';
import { celValue } from '../flow/cel-value.ts';
import type { ActionRecord, Actor, ApprovalRecord, ContextProvenance, Decision } from '../core/types.ts';
import type { CompiledFlow } from '../flow/compiled.ts';
import { urlParamsOf } from '../actions/define.ts';
import type { Work } from './work.ts';
import { celVars, fallbackOwner, type Runtime } from './runtime.ts';
import { engineActor, escalate, fail, failAction } from './escalate.ts';
import { requestDecisionApproval } from './approvals.ts';
import { act, type ExternalCall } from './act.ts';
import { decide } from '../decide/rules.ts';
import { startModelCall, type ModelCall } from './model-step.ts';
import { resolveAction, resolveSource } from './fallback.ts';

export async function step(w: Work, flow: CompiledFlow, rt: Runtime): Promise<ExternalCall | undefined> {
  const h = w.handoff;
  for (let guard = 0; guard < 64; guard++) {
    switch (h.state) {
      case 'received':
        w.to('building_context');
        continue;
      case 'building_context':
        if (!(await buildContext(w, flow, rt))) return undefined;
        w.to('deciding');
        continue;
      case 'deciding': {
        const call = await makeDecision(w, flow, rt);
        if (call) return { model: call };
        continue;
      }
      case 'acting': {
        const next = await act(w, flow, rt);
        if (next === 'wait') return undefined;
        if (next) return next;
        continue;
      }
      default:
        return undefined;
    }
  }
  throw new BatonError('internal', `handoff ${h.id} did not settle`);
}

async function buildContext(w: Work, flow: CompiledFlow, rt: Runtime): Promise<boolean> {
  const context: Record<string, unknown> = {};
  const sources: ContextProvenance[] = [];
  const vars = celVars(w.handoff, flow);
  vars.context = celValue(context);
  for (const c of flow.context) {
    let wanted: boolean;
    try {
      wanted = !c.when || c.when.eval(vars) === true;
    } catch (e) {
      fail(w, flow, rt, `context ${c.name}: its \`when\` failed: ${errorText(e)}`, { context: c.name });
      return false;
    }
    if (!wanted) continue;
    const used = resolveSource(c, rt.registry);
    const source = rt.registry.source(used.use);
    if (!source) {
      fail(w, flow, rt, `context source ${used.use} is not available`, { context: c.name });
      return false;
    }
    try {
      const params = source.params.parse(used.with.render(vars));
      const value = await source.fetch(params, {
        handoffId: w.handoff.id,
        flow: flow.def.id,
        signal: AbortSignal.timeout(source.timeoutMs ?? 10_000),
      });
      context[c.name] = storableJson(value);
      vars.context = celValue(context); // later sources' `when` and `with` see this answer
      sources.push({
        name: c.name,
        use: used.use,
        trust: c.trust ?? source.trust,
        ...(source.untrustedFields?.length ? { untrustedFields: [...source.untrustedFields] } : {}),
        at: w.now,
        found: value !== null && value !== undefined,
      });
    } catch (e) {
      fail(w, flow, rt, `context ${c.name} (${used.use}) failed: ${errorText(e)}`, { context: c.name });
      return false;
    }
  }
  w.handoff.context = context;
  if (sources.length) w.handoff.provenance = sources;
  w.event('context_built', engineActor(flow), { sources });
  return true;
}

/** Rules first; where none matched and the flow has `decide.llm`, a model call (returned). */
async function makeDecision(w: Work, flow: CompiledFlow, rt: Runtime): Promise<ModelCall | undefined> {
  const d = decide(flow, celVars(w.handoff, flow));
  if (d.decision.by === 'otherwise' && flow.def.decide.llm) {
    const call = await startModelCall(w, flow, rt, d.errors);
    // No call (refused by a budget, or failed): the handoff has left `deciding`.
    return call;
  }
  adoptDecision(w, flow, rt, d.decision, d.errors.length ? { ruleErrors: d.errors } : {});
  return undefined;
}

/** Records a decision (rules, otherwise, model) and goes on: contract, mode, actions. */
export function adoptDecision(
  w: Work,
  flow: CompiledFlow,
  rt: Runtime,
  made: Omit<Decision, 'policyVersions'>,
  extra: Record<string, unknown> = {},
): void {
  const h = w.handoff;
  const policyVersions: Record<string, string> = {};
  for (const a of flow.actions) if (a.approval) policyVersions[a.def.id] = a.approval.version;
  const decision: Decision = { ...made, policyVersions };
  w.event('decided', engineActor(flow), { ...decision, ...extra });
  // A rendered owner (`user:${context.account.owner}`) may name nobody the project knows.
  const unknown = rt.directory.unknownOwner(decision.owner);
  if (unknown) {
    escalate(w, flow, rt, 'no_rule', { invalidOwner: decision.owner, why: unknown });
    return;
  }
  h.decision = decision;
  const missing = flow.missingContract(celVars(h, flow));
  if (missing.length > 0) {
    escalate(w, flow, rt, 'contract_unmet', { missing });
    return;
  }
  if (h.mode === 'shadow') {
    w.event('shadow_recorded', engineActor(flow), { wouldOwn: decision.owner, wouldRun: decision.actions });
    w.to('completed', 'record a shadow decision');
    w.handoff.completedAt = w.now;
    return;
  }
  planActions(w, flow, rt);
  if (w.handoff.state !== 'deciding') return;
  if (h.mode === 'suggest') {
    requestDecisionApproval(w, flow, rt, [fallbackOwner(flow, rt)]);
    return;
  }
  w.to('acting');
}

/** Creates the action records the decision selected, with their parameters rendered now, so an
 * approval binds to exactly what will run. */
function planActions(w: Work, flow: CompiledFlow, rt: Runtime): void {
  const h = w.handoff;
  const selected = new Set(h.decision!.actions);
  const vars = celVars(h, flow);
  const max = flow.def.guardrails.maxActions ?? rt.maxActions;
  let order = w.actions.length;
  for (const a of flow.actions) {
    if (!selected.has(a.def.id) || w.action(a.def.id)) continue;
    const used = resolveAction(a, rt.registry);
    const def = rt.registry.action(used.use);
    const record: ActionRecord = {
      id: a.def.id,
      use: used.use,
      state: 'pending',
      risk: a.def.risk ?? def?.risk ?? 'high',
      idempotencyKey: `${h.id}:${a.def.id}`,
      params: {},
      calls: 0,
      order: order++,
      updatedAt: w.now,
    };
    try {
      if (a.when && a.when.eval(vars) !== true) {
        record.state = 'skipped';
        record.error = 'its `when` did not hold';
        w.putAction(record);
        continue;
      }
      if (!def) throw new BatonError('validation_failed', `action ${used.use} is not available`);
      if (a.idempotencyKey) record.idempotencyKey = String(a.idempotencyKey.eval(vars));
      const parsed = def.params.safeParse(used.with.render(vars, urlParamsOf(def)));
      if (!parsed.success) {
        const issue = parsed.error.issues[0];
        throw new BatonError(
          'validation_failed',
          `parameter ${['with', ...(issue?.path ?? [])].join('.')}: ${issue?.message ?? 'invalid'}`,
        );
      }
      record.params = parsed.data;
    } catch (e) {
      const error = errorText(e);
      failAction(w, flow, rt, record, error, `action ${record.id}: ${error}`);
      return;
    }
    w.putAction(record);
  }
  const planned = w.actions.filter((x) => x.state === 'pending').length;
  if (planned > max) {
    fail(w, flow, rt, `the decision selected ${planned} actions; guardrails allow ${max}`);
  }
}

/** Suggest mode: a person confirmed or corrected the decision. */
export function applyDecisionApproval(
  w: Work,
  flow: CompiledFlow,
  rt: Runtime,
  approval: ApprovalRecord,
  actor: Actor,
  editedOwner?: string,
): void {
  const h = w.handoff;
  if (approval.state !== 'approved') {
    h.rework += 1;
    w.event('overridden', actor, {
      approval: approval.id,
      previous: h.decision?.owner,
      label: approval.decidedBy?.label,
      decidedBy: approval.decidedBy,
    });
    escalate(w, flow, rt, approval.state === 'timed_out' ? 'approval_timeout' : 'approval_rejected', {
      approval: approval.id,
    });
    return;
  }
  if (editedOwner && editedOwner !== h.decision?.owner) {
    if (!isOwnerRef(editedOwner)) {
      throw new BatonError('validation_failed', `edits.owner "${editedOwner}" is not an owner`, {
        details: [{ path: 'edits.owner', message: 'an owner like user:dana or team:sales' }],
      });
    }
    rt.directory.requireKnown(editedOwner, 'edits.owner');
    const previous = h.decision!.owner;
    // The rework counts against the decision a person corrected (rule, otherwise or model).
    const d = h.decision!;
    const overrides = d.overrides ?? (d.by === 'human' ? undefined : d.by);
    h.decision = { ...d, owner: editedOwner, by: 'human', ...(overrides ? { overrides } : {}) };
    h.rework += 1;
    w.event('overridden', actor, { approval: approval.id, previous, owner: editedOwner, overrides });
  }
  w.to('acting');
}
