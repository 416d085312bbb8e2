// Risk levels that require approval by themselves (`guardrails.riskApproval`, in the flow or in
// baton.yaml): an action at or above the level waits for a person even when its own `approval:`
// block is missing or does not apply. Nothing a flow's rules or a model decide can skip it.
import type { RiskLevel, RiskApprovalDef } from '../core/flow-schema.ts';
import { parseDuration } from '../core/duration.ts';
import type { CompiledApproval, CompiledFlow } from '../flow/compiled.ts';
import { contentHash } from '../flow/canonical.ts';
import { fallbackOwner, type Runtime } from './runtime.ts';

const RANK: Record<RiskLevel, number> = { low: 0, medium: 1, high: 2 };

const compiled = new WeakMap<CompiledFlow, CompiledApproval | null>();

/** The risk approval policy of a flow (its own, else the project's), compiled once per flow version. */
export function riskPolicy(
  flow: CompiledFlow,
  rt: Runtime,
): (CompiledApproval & { atLeast: RiskLevel }) | undefined {
  const def = flow.def.guardrails.riskApproval ?? rt.riskApproval;
  if (!def) return undefined;
  let policy = compiled.get(flow);
  if (policy === undefined) {
    policy = compile(def, flow, rt);
    compiled.set(flow, policy);
  }
  return policy ? { ...policy, atLeast: def.atLeast } : undefined;
}

export function atLeast(risk: RiskLevel, level: RiskLevel): boolean {
  return RANK[risk] >= RANK[level];
}

function compile(def: RiskApprovalDef, flow: CompiledFlow, rt: Runtime): CompiledApproval {
  const named = def.approvers !== undefined;
  const timeoutMs = def.timeout === undefined ? undefined : parseDuration(def.timeout);
  return {
    levels: [
      {
        name: `risk ${def.atLeast} or higher`,
        approvers: def.approvers ?? [fallbackOwner(flow, rt)],
        quorum: def.quorum,
        ...(named ? {} : { fallback: true as const }),
      },
    ],
    ...(timeoutMs !== undefined ? { timeoutMs } : {}),
    remindBeforeMs: [],
    onTimeout: def.onTimeout,
    onReject: def.onReject,
    version: contentHash({ riskApproval: def }),
  };
}
