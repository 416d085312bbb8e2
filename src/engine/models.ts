// What the engine needs to let a model decide: the decider, the model settings and prices of
// baton.yaml, the redactor that keeps secrets out of prompts and events, and the store's budget
// reservations.
import type { ModelsDef } from '../core/project-schema.ts';
import type { CompiledFlow } from '../flow/compiled.ts';
import type { Decider } from '../decide/port.ts';
import type { Redactor } from '../decide/redact.ts';
import type { Store } from '../store/port.ts';

export interface ModelRuntime {
  decider: Decider;
  settings: ModelsDef;
  redactor: Redactor;
  budget: Pick<Store, 'reserveBudget' | 'settleBudget'>;
  /** baton.yaml's guardrails: caps where the flow sets none. */
  costCap: { perHandoff?: number; perDay?: number };
  maxModelCalls: number;
}

export function capsOf(flow: CompiledFlow, m: ModelRuntime) {
  const cap = flow.def.guardrails.costCap;
  const perHandoff = cap?.perHandoff ?? m.costCap.perHandoff;
  const perDay = cap?.perDay ?? m.costCap.perDay;
  return {
    ...(perHandoff !== undefined ? { perHandoffUsd: perHandoff } : {}),
    ...(perDay !== undefined ? { perDayUsd: perDay } : {}),
    maxCalls: flow.def.guardrails.maxModelCalls ?? m.maxModelCalls,
  };
}
