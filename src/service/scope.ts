// Token scopes: a token limited to some flows and/or teams reaches only the handoffs of those
// flows. `teams: [t]` means the flows whose boundary starts or ends at `team:t`; with both
// `flows` and `teams`, a flow must be in both. The reach is resolved against the project's
// flows when the token is used, so a new flow crossing a scoped team is in reach at once.
import { BatonError } from '../core/errors.ts';
import type { FlowDef } from '../core/flow-schema.ts';
import type { TokenScope } from './tokens.ts';

/** The flow ids a scope reaches; undefined: no scope (every flow). */
export function flowsInReach(
  scope: TokenScope | undefined,
  flows: Iterable<Pick<FlowDef, 'id' | 'boundary'>>,
): ReadonlySet<string> | undefined {
  if (!scope || (!scope.flows && !scope.teams)) return undefined;
  const teams = scope.teams ? new Set(scope.teams.map((t) => `team:${t}`)) : undefined;
  const named = scope.flows ? new Set(scope.flows) : undefined;
  const out = new Set<string>();
  for (const f of flows) {
    if (named && !named.has(f.id)) continue;
    if (teams && !teams.has(f.boundary.from) && !teams.has(f.boundary.to)) continue;
    out.add(f.id);
  }
  return out;
}

/** Checks a scope against the project when a token is created: every flow and team must exist. */
export function checkScope(
  scope: TokenScope,
  known: { flows: ReadonlySet<string>; teams: ReadonlySet<string> },
): TokenScope {
  const details: Array<{ path: string; message: string }> = [];
  const clean = (list: string[] | undefined, field: 'flows' | 'teams') => {
    if (list === undefined) return undefined;
    const ids = [...new Set(list.map((x) => x.trim()).filter(Boolean))];
    if (ids.length === 0) details.push({ path: field, message: 'name at least one id (or leave it out)' });
    for (const [i, id] of ids.entries()) {
      if (!known[field].has(id))
        details.push({
          path: `${field}[${i}]`,
          message: `no ${field === 'flows' ? 'flow' : 'team'} ${id} in this project (have: ${[...known[field]].join(', ') || 'none'})`,
        });
    }
    return ids;
  };
  const flows = clean(scope.flows, 'flows');
  const teams = clean(scope.teams, 'teams');
  if (details.length) {
    throw new BatonError(
      'validation_failed',
      `The token scope is not valid: ${details.map((d) => `${d.path}: ${d.message}`).join('; ')}`,
      { details },
    );
  }
  return { ...(flows ? { flows } : {}), ...(teams ? { teams } : {}) };
}

/** How a scope reads in messages and listings. */
export function describeScope(scope: TokenScope | undefined): string {
  if (!scope) return 'all flows';
  const parts: string[] = [];
  if (scope.flows) parts.push(`flows ${scope.flows.join(', ')}`);
  if (scope.teams) parts.push(`teams ${scope.teams.join(', ')}`);
  return parts.join('; ') || 'all flows';
}
