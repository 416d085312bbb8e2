// The rules layer: CEL rules in order, first match wins, then `otherwise`. The decision records
// which rule matched and the input/context values the rule read (its evidence).
import type { Decision } from '../core/types.ts';
import type { OwnerRef } from '../core/owner.ts';
import type { CompiledFlow, CelVars } from '../flow/compiled.ts';
import { toPlain } from '../flow/template.ts';

export interface RulesResult {
  decision: Omit<Decision, 'policyVersions'>;
  /** Rules whose expression failed at run time (treated as not matching). */
  errors: Array<{ rule: number; error: string }>;
}

export function decide(flow: CompiledFlow, vars: CelVars): RulesResult {
  const errors: RulesResult['errors'] = [];
  const all = flow.actions.map((a) => a.def.id);
  for (const rule of flow.rules) {
    let matched = false;
    try {
      matched = rule.when.eval(vars) === true;
    } catch (e) {
      errors.push({ rule: rule.index, error: e instanceof Error ? e.message : String(e) });
    }
    if (!matched) continue;
    return {
      decision: {
        owner: rule.owner.render(vars) as OwnerRef,
        actions: rule.actions ?? all,
        by: 'rule',
        rule: { index: rule.index, ...(rule.name ? { name: rule.name } : {}), when: rule.when.source },
        reads: readPaths(vars, rule.when.paths),
      },
      errors,
    };
  }
  return {
    decision: {
      owner: flow.otherwise.owner.render(vars) as OwnerRef,
      actions: flow.otherwise.actions ?? all,
      by: 'otherwise',
      reads: {},
    },
    errors,
  };
}

/** The values at the given CEL paths (`input.amount`), JSON-safe (BigInt → number or string, Maps → objects). */
export function readPaths(vars: CelVars, paths: readonly string[]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const p of paths) {
    let v: unknown = vars;
    for (const part of p.split('.')) {
      if (v === null || typeof v !== 'object') {
        v = undefined;
        break;
      }
      v = v instanceof Map ? v.get(part) : (v as Record<string, unknown>)[part];
    }
    out[p] = toPlain(v) ?? null;
  }
  return out;
}
