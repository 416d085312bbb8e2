// Reservations nobody will settle. A worker that died during a model (or paid action) call leaves its reservation
// held; the worker that takes the handoff over settles it (model-step.ts), but a handoff a person
// closed in the meantime is never taken over. Once no live worker can still hold such a call
// (twice the lease), the sweep settles it: at its estimate when the call was committed as
// running (it may have been billed), at nothing when it never was (a call is made only after
// that commit).
import type { CompiledFlow } from '../flow/compiled.ts';
import type { CommitOutcome, Store } from '../store/port.ts';
import { Work } from './work.ts';
import type { Runtime } from './runtime.ts';
import { engineActor } from './escalate.ts';
import { actionReservation } from './action-cost.ts';

export async function sweepReservations(
  store: Store,
  rt: Runtime,
  commit: (w: Work, flow: CompiledFlow) => Promise<CommitOutcome>,
  now: number,
  olderThanMs: number,
): Promise<number> {
  let settled = 0;
  for (const r of await store.heldReservations(now - olderThanMs, 200)) {
    const snap = await store.get(r.handoffId);
    const running = snap?.handoff.model?.running;
    const mine = running?.reservation === r.id;
    // A paid action's call committed as running (action-cost.ts).
    const action = snap?.actions.find(
      (a) => a.state === 'running' && actionReservation(snap.handoff.id, a) === r.id,
    );
    // Still the engine's to settle: the next claim of the handoff does it (for an action's
    // reservation also when its step never committed: the step is repeated and reuses it).
    const live = snap && (snap.handoff.state === 'deciding' || snap.handoff.state === 'acting');
    const actionsOwn = snap?.actions.some((a) => r.id.startsWith(`${snap.handoff.id}:${a.id}:`));
    if (live && (mine || actionsOwn)) continue;
    const cost = mine || action ? r.estimateUsd : 0;
    const done = await store.settleBudget(r.id, {
      costUsd: cost,
      inputTokens: 0,
      outputTokens: 0,
      cachedTokens: 0,
      at: now,
    });
    settled++;
    if (snap && action && done) {
      const flow = await rt.flowFor(snap.handoff.flowVersion);
      const w = new Work(snap, now);
      w.handoff.costUsd += done.costUsd;
      w.event('action_cost_settled', engineActor(flow), {
        action: action.id,
        use: action.use,
        reservation: r.id,
        costUsd: done.costUsd,
        swept: true,
      });
      await commit(w, flow);
      continue;
    }
    if (!snap || !mine || !done) continue;
    const flow = await rt.flowFor(snap.handoff.flowVersion);
    const w = new Work(snap, now);
    w.handoff.costUsd += done.costUsd;
    w.handoff.model = { calls: w.handoff.model!.calls };
    w.event('model_call_outcome_unknown', engineActor(flow), {
      call: running.call,
      model: running.model,
      reservation: r.id,
      costUsd: done.costUsd,
      swept: true,
    });
    // A conflict (someone changed the handoff meanwhile) leaves the row for the next sweep to
    // tidy; the budget is already settled, once.
    await commit(w, flow);
  }
  return settled;
}
