// Undo registry: a whole handoff rolled back, newest action first. Internal actions are undone
// inside a transaction; an external rollback is committed as started before it is called, like
// any other external call, and its outcome recorded after.
import { BatonError, errorText } from '../core/errors.ts';
import type { ActionRecord, HandoffSnapshot } from '../core/types.ts';
import { isInternal, urlParamsOf, type ActionDefinition, type InternalEffects } from '../actions/define.ts';
import type { CompiledFlow } from '../flow/compiled.ts';
import { celValue } from '../flow/cel-value.ts';
import type { Store } from '../store/port.ts';
import { Work } from './work.ts';
import { actorOf, type Caller } from './commands.ts';
import type { Runtime } from './runtime.ts';
import type { Engine } from './engine.ts';

import { newId } from './ids.ts';

const ROLLBACK_FROM = new Set(['handed_off', 'escalated', 'returned', 'accepted', 'failed', 'completed']);

/** Throws unless `c` may roll the handoff back now: its state allows it, and it owns the work or operates. */
export function checkRollback(snap: HandoffSnapshot, rt: Runtime, c: Caller): void {
  const h = snap.handoff;
  if (!ROLLBACK_FROM.has(h.state)) {
    throw new BatonError('invalid_transition', `Cannot roll back: the handoff is ${h.state}`);
  }
  if (!c.operator && !rt.directory.actsFor(c.user, h.owner)) {
    throw new BatonError(
      'forbidden',
      `${c.user} cannot roll back handoff ${h.id}: it belongs to ${h.owner} (only its owner, or a token with operator access, may)`,
    );
  }
}

/** Whether a rollback can undo the action, and how (or why not): what `rollbackHandoff` does with it. */
export function reversibility(
  a: Pick<ActionRecord, 'id' | 'use'>,
  flow: CompiledFlow,
  rt: Runtime,
): { reversible: boolean; how: string } {
  const def = rt.registry.action(a.use);
  if (def && isInternal(def))
    return def.undo ? { reversible: true, how: 'undo' } : { reversible: false, how: 'it declares no undo' };
  const rollbackUse = flow.actions.find((x) => x.def.id === a.id)?.rollback?.use;
  if (rollbackUse && rt.registry.action(rollbackUse)) return { reversible: true, how: rollbackUse };
  const ext = def as ActionDefinition<Record<string, unknown>> | undefined;
  if (ext?.rollback) return { reversible: true, how: 'rollback' };
  // Said so in its declaration (a sent message), or it declares no way back at all.
  return {
    reversible: false,
    how: ext?.irreversible ?? (def ? 'it declares no rollback' : `action ${a.use} is not available`),
  };
}

export async function rollbackHandoff(
  engine: Engine,
  store: Store,
  rt: Runtime,
  id: string,
  c: Caller,
  comment: string | undefined,
  load: () => Promise<{ snap: HandoffSnapshot; flow: CompiledFlow }>,
): Promise<void> {
  const loaded = await load();
  const flow = loaded.flow;
  let snap = loaded.snap;
  checkRollback(snap, rt, c);
  const done = [...snap.actions].filter((a) => a.state === 'succeeded').sort((a, b) => b.order - a.order);
  for (const target of done) {
    const w = new Work(snap);
    const a = w.action(target.id)!;
    const def = rt.registry.action(a.use);
    const compiled = flow.actions.find((x) => x.def.id === a.id);
    if (def && isInternal(def)) {
      if (def.undo) {
        const tasks = await store.tasks({ handoffId: id });
        const fx: InternalEffects = {
          handoffId: id,
          now: w.now,
          owner: snap.handoff.owner,
          newId,
          addTask: (t) => w.addTask(t),
          addInbox: (m) => w.addInbox(m),
          tasksOf: async () => tasks,
        };
        await def.undo(a.params as never, a.result, fx);
        a.state = 'rolled_back';
        w.putAction(a);
        w.event('action_rolled_back', actorOf(c), { action: a.id, use: a.use });
      } else {
        w.event('action_not_reversible', actorOf(c), {
          action: a.id,
          use: a.use,
          reason: 'it declares no undo',
        });
      }
      snap = await commitOrThrow(engine, w, flow);
      continue;
    }
    const rollbackUse = compiled?.rollback?.use;
    const rollbackDef = rollbackUse ? rt.registry.action(rollbackUse) : undefined;
    const ext = def as ActionDefinition<Record<string, unknown>> | undefined;
    const way = reversibility(a, flow, rt);
    if (!way.reversible) {
      w.event('action_not_reversible', actorOf(c), { action: a.id, use: a.use, reason: way.how });
      snap = await commitOrThrow(engine, w, flow);
      continue;
    }
    w.event('action_rollback_started', actorOf(c), { action: a.id, use: rollbackUse ?? a.use });
    snap = await commitOrThrow(engine, w, flow);
    const ctx = {
      handoffId: id,
      flow: snap.handoff.flow,
      actionId: a.id,
      idempotencyKey: `${a.idempotencyKey}:rollback`,
      owner: snap.handoff.owner,
      signal: AbortSignal.timeout(10_000),
      outbound: rt.outbound,
      undo: a.undo,
    };
    const w2 = new Work(snap);
    const a2 = w2.action(a.id)!;
    try {
      if (ext?.rollback) await ext.rollback(a.params, a.result, ctx);
      else if (rollbackDef && !isInternal(rollbackDef)) {
        const params =
          compiled?.rollback?.with?.render(
            {
              input: flow.celInput(snap.handoff.input),
              context: celValue(snap.handoff.context ?? {}),
              decision: {},
              handoff: { id, flow: flow.def.id },
            },
            urlParamsOf(rollbackDef),
          ) ?? a.params;
        await (rollbackDef as ActionDefinition<Record<string, unknown>>).run(params, ctx);
      }
      a2.state = 'rolled_back';
      w2.putAction(a2);
      w2.event('action_rolled_back', actorOf(c), { action: a.id });
    } catch (e) {
      w2.event('action_rollback_failed', actorOf(c), { action: a.id, error: errorText(e) });
      await commitOrThrow(engine, w2, flow);
      throw new BatonError(
        'action_failed',
        `rolling back ${a.id} failed: ${errorText(e)}; the handoff keeps its state`,
        { fault: 'provider' },
      );
    }
    snap = await commitOrThrow(engine, w2, flow);
  }
  const w = new Work(snap);
  w.to('rolled_back');
  const open = w.openLedger();
  if (open) {
    open.to = w.now;
    open.status = 'released';
    w.touchLedger(open);
  }
  w.event('rolled_back', actorOf(c), {
    actions: w.actions.filter((a) => a.state === 'rolled_back').map((a) => a.id),
    notReversible: w.actions.filter((a) => a.state === 'succeeded').map((a) => a.id),
    ...(comment ? { comment } : {}),
  });
  await commitOrThrow(engine, w, flow);
}

async function commitOrThrow(engine: Engine, w: Work, flow: CompiledFlow): Promise<HandoffSnapshot> {
  const outcome = await engine.commitWork(w, flow);
  if (!outcome.ok)
    throw new BatonError('conflict', 'the handoff changed during rollback; try again', { retryable: true });
  return { handoff: w.handoff, actions: w.actions, approvals: w.approvals, ledger: w.ledger };
}
