// What a token scoped to flows or teams may see (service/scope.ts defines the reach). A route
// opts in with `scoped: 'checked'` and checks here; every other route refuses scoped tokens
// (app.ts), so a route added later cannot leak across a scope by being forgotten.
import { BatonError } from '../core/errors.ts';
import type { BatonApi } from '../service/api.ts';
import { describeScope } from '../service/scope.ts';
import { inReach, type Caller } from './auth.ts';

const scopeOf = (c: Caller): string => describeScope(c.kind === 'token' ? c.principal.scope : undefined);

/** 403 unless the caller reaches `flow` (intake, flow details: flow ids are not secret). */
export function requireFlow(c: Caller, flow: string): void {
  if (!inReach(c, flow)) {
    throw new BatonError('forbidden', `This token reaches only ${scopeOf(c)}: flow ${flow} is outside it`);
  }
}

/**
 * 404 unless the caller reaches the handoff: a scoped token learns nothing of handoffs outside
 * its scope, not even that they exist (the answer is the one for a missing id).
 */
export async function requireHandoff(baton: BatonApi, c: Caller, id: string): Promise<void> {
  if (c.kind !== 'token' || !c.reach) return;
  const s = await baton.store.get(id);
  if (!s || !c.reach.has(s.handoff.flow)) throw new BatonError('not_found', `handoff ${id} does not exist`);
}

/** The same for an approval id, or a handoff id standing for its one pending approval. */
export async function requireApproval(baton: BatonApi, c: Caller, id: string): Promise<void> {
  if (c.kind !== 'token' || !c.reach) return;
  if (!id.startsWith('apr_')) return requireHandoff(baton, c, id);
  const a = await baton.store.approval(id);
  if (!a || !c.reach.has(a.flow)) throw new BatonError('not_found', `approval ${id} does not exist`);
}

/** Keeps the items whose handoff the caller reaches (tasks, inbox messages). */
export async function keepReached<T extends { handoffId: string }>(
  baton: BatonApi,
  c: Caller,
  items: T[],
): Promise<T[]> {
  if (c.kind !== 'token' || !c.reach) return items;
  const reach = c.reach;
  const flowOf = new Map<string, string | undefined>();
  for (const id of new Set(items.map((i) => i.handoffId)))
    flowOf.set(id, (await baton.store.get(id))?.handoff.flow);
  return items.filter((i) => {
    const f = flowOf.get(i.handoffId);
    return f !== undefined && reach.has(f);
  });
}

/** For whole-project views (summary, stream): a scoped caller must name one of its flows. */
export function requireNamedFlow(c: Caller, flow: string | undefined): void {
  if (c.kind !== 'token' || !c.reach) return;
  if (flow === undefined) {
    throw new BatonError(
      'forbidden',
      `This token reaches only ${scopeOf(c)}: name one of its flows (?flow=${[...c.reach][0] ?? 'ID'})`,
    );
  }
  requireFlow(c, flow);
}

/** A route that does not check reach refuses scoped tokens. */
export function refuseScoped(c: Caller, what: string): void {
  if (c.kind === 'token' && c.reach) {
    throw new BatonError(
      'forbidden',
      `This token reaches only ${scopeOf(c)}; ${what} spans every flow and needs an unscoped token`,
    );
  }
}
