// Amending a handoff's input: the sender (or whoever holds the work) fills in what was missing.
// The input changes by a JSON merge patch, is checked against the flow's schema again, and the
// handoff goes back to Baton: context, decision and contract once more, as if it had just come in.
import { BatonError } from '../core/errors.ts';
import { jsonProblems } from '../core/json-safe.ts';
import { mergePatch } from '../core/merge-patch.ts';
import { agentOwner } from '../core/owner.ts';
import type { HandoffState } from '../core/types.ts';
import { canonicalJson } from '../flow/canonical.ts';
import type { CompiledFlow } from '../flow/compiled.ts';
import type { Work } from './work.ts';
import type { Runtime } from './runtime.ts';
import { actorOf, type Caller } from './commands.ts';

/** Where an amend makes sense: a person holds the work because Baton could not place or finish it. */
const AMENDABLE = new Set<HandoffState>(['escalated', 'returned', 'failed']);

export function amend(
  w: Work,
  flow: CompiledFlow,
  rt: Runtime,
  c: Caller,
  patch: Record<string, unknown>,
  sender: string | undefined,
  comment?: string,
): void {
  const h = w.handoff;
  if (!AMENDABLE.has(h.state))
    throw new BatonError(
      'invalid_transition',
      `Cannot amend: the handoff is ${h.state} (amend works on escalated, returned or failed handoffs)`,
    );
  // Re-deciding would plan actions again beside ones that already ran: only before any action.
  if (w.actions.length > 0)
    throw new BatonError(
      'invalid_transition',
      `Cannot amend handoff ${h.id}: its actions were already planned (${w.actions.map((a) => `${a.id} ${a.state}`).join(', ')}); return or reassign it instead`,
    );
  const standing = rt.directory.standing(c.user, h.owner, h.flow, w.now);
  if (!standing && !c.operator && c.user !== sender)
    throw new BatonError(
      'forbidden',
      `${c.user} cannot amend handoff ${h.id}: only its sender, its owner (${h.owner}) or an operator may`,
    );

  const next = mergePatch(h.input, patch) as Record<string, unknown>;
  const problems = jsonProblems(next);
  const errors = problems.length > 0 ? problems : flow.validateInput(next);
  if (errors.length > 0)
    throw new BatonError('validation_failed', `the amended input does not match flow ${h.flow}'s schema`, {
      details: errors,
    });
  if (canonicalJson(next) === canonicalJson(h.input))
    throw new BatonError('validation_failed', 'the patch changes nothing in the input', {
      details: [{ path: 'input', message: 'the same as the handoff input' }],
    });
  const vars = { input: flow.celInput(next), context: {}, decision: {}, handoff: { id: h.id, flow: h.flow } };
  if (flow.idempotencyKey && String(flow.idempotencyKey.eval(vars)) !== h.idempotencyKey)
    throw new BatonError('validation_failed', 'an amend may not change the idempotency key', {
      details: [
        { path: 'input', message: `the key \`${flow.def.idempotencyKey}\` must stay "${h.idempotencyKey}"` },
      ],
    });

  const requester = flow.requester ? flow.requester.eval(vars) : undefined;
  if (typeof requester === 'string' && requester) h.requester = requester;
  else delete h.requester;
  const changed = Object.keys(patch).sort();
  const from = h.owner;
  h.input = next;
  h.context = null;
  delete h.provenance;
  h.decision = null;
  w.to('building_context', 'amend');
  w.changeOwner(agentOwner(h.flow), 'amended', 'released', c.user);
  w.event('amended', actorOf(c), {
    changed,
    from,
    ...(standing?.for ? { for: standing.for } : {}),
    ...(comment ? { comment } : {}),
  });
}
