// Durable timers. Nothing is kept in memory: every timer is a time stored with the handoff
// (SLA from the first hand-off, ladder steps, approval timeouts, retry backoff); `wakeAt` is the
// earliest of them, and whichever worker claims the handoff then fires what is due, once.
import { WAITING_FOR_OWNER } from '../core/types.ts';
import type { HandoffRecord } from '../core/types.ts';
import type { CompiledFlow, LadderDecision } from '../flow/compiled.ts';
import type { OwnerRef } from '../core/owner.ts';
import type { Work } from './work.ts';
import { fallbackOwner, type Runtime } from './runtime.ts';
import { engineActor, escalate, notify } from './escalate.ts';
import { timeOutApproval } from './approval-timeout.ts';
import { remindApprovers } from './approval-notices.ts';
import { markCancelled, markCompleted } from './commands.ts';

const ACTIVE = new Set<HandoffRecord['state']>(['received', 'building_context', 'deciding', 'acting']);

export function fireTimers(w: Work, flow: CompiledFlow, rt: Runtime): void {
  const h = w.handoff;
  if (h.state === 'awaiting_approval') {
    for (const ap of w.approvals) {
      if (ap.state !== 'pending') continue;
      if (ap.timeoutAt !== undefined && ap.timeoutAt <= w.now) {
        delete ap.remindAt; // the timeout decides: no reminder after it
        timeOutApproval(w, flow, rt, ap);
        if (h.state !== 'awaiting_approval') break;
        continue;
      }
      if (ap.remindAt?.[0] !== undefined && ap.remindAt[0] <= w.now) remindApprovers(w, flow, rt, ap);
    }
    return;
  }
  if (!WAITING_FOR_OWNER.has(h.state) || h.handedOffAt === undefined) return;
  const since = w.now - h.handedOffAt;
  if (flow.acceptWithinMs !== undefined && !h.breached && since >= flow.acceptWithinMs) {
    h.breached = true;
    w.event('sla_breached', engineActor(flow), {
      owner: h.owner,
      acceptWithinMs: flow.acceptWithinMs,
      waitedMs: since,
    });
  }
  while (h.ladderStep < flow.ladder.length) {
    const s = flow.ladder[h.ladderStep]!;
    if (since < s.afterMs) break;
    h.ladderStep += 1;
    if (s.decide) {
      decideByTimeout(w, flow, rt, s.decide, h.ladderStep);
      return;
    }
    if (s.remind) {
      w.event('reminded', engineActor(flow), { owner: h.owner, step: h.ladderStep });
      notify(w, h.owner, 'reminder', `Reminder: ${flow.def.name} ${h.id} is waiting for you to accept`);
      continue;
    }
    const to: OwnerRef | undefined = s.to === 'manager' ? rt.directory.managerOf(h.owner) : s.to;
    const target = to ?? fallbackOwner(flow, rt);
    if (target === h.owner) {
      w.event('ladder_step_skipped', engineActor(flow), {
        step: h.ladderStep,
        owner: h.owner,
        reason: to ? 'already the owner' : `no manager for ${h.owner}`,
      });
      continue;
    }
    escalate(
      w,
      flow,
      rt,
      'sla_breach',
      { step: h.ladderStep, ...(to ? {} : { note: `no manager for ${h.owner}` }) },
      target,
    );
  }
}

/**
 * The ladder's last rung: nobody accepted in time, so the flow's default decision applies -
 * complete, cancel, or reassign to a declared owner - recorded with the label `timeout`.
 */
function decideByTimeout(
  w: Work,
  flow: CompiledFlow,
  rt: Runtime,
  decide: LadderDecision,
  step: number,
): void {
  const h = w.handoff;
  const actor = engineActor(flow);
  const label = { label: 'timeout', step } as const;
  if (decide === 'complete') {
    const owner = h.owner;
    markCompleted(w, actor, { owner, ...label });
    notify(w, owner, 'notification', `Completed by timeout (nobody accepted): ${flow.def.name} ${h.id}`);
    return;
  }
  if (decide === 'cancel') {
    const owner = h.owner;
    markCancelled(w, actor, label);
    notify(w, owner, 'notification', `Cancelled by timeout (nobody accepted): ${flow.def.name} ${h.id}`);
    return;
  }
  const to = decide.reassign;
  const unknown = rt.directory.unknownOwner(to);
  if (unknown || to === h.owner) {
    // The project changed since this flow version loaded, or the rung names the owner already.
    w.event('ladder_step_skipped', actor, { step, owner: h.owner, reason: unknown ?? 'already the owner' });
    if (unknown) escalate(w, flow, rt, 'sla_breach', { step, note: unknown });
    return;
  }
  const from = h.owner;
  w.to('handed_off', 'reassign by timeout');
  h.rework += 1;
  w.changeOwner(to, 'reassigned:timeout', 'reassigned');
  w.event('reassigned', actor, { from, to, ...label });
  notify(w, to, 'handoff', `Reassigned to you (nobody accepted in time): ${flow.def.name} (${h.id})`);
}

/** When the engine must look at this handoff next; null when only a person can move it. */
export function computeWake(w: Work, flow: CompiledFlow): number | null {
  const h = w.handoff;
  if (ACTIVE.has(h.state)) {
    const waits = w.actions
      .filter((a) => a.state === 'pending' && a.nextAttemptAt !== undefined)
      .map((a) => a.nextAttemptAt!);
    const ready = w.actions.some((a) => a.state === 'pending' && a.nextAttemptAt === undefined);
    return waits.length > 0 && !ready ? Math.min(...waits) : w.now;
  }
  if (h.state === 'awaiting_approval') {
    // A closed approval whose action still waits on it (a voided one no longer counts).
    const ready = w.approvals.some((a) => {
      const action = w.action(a.actionId ?? '');
      return a.state !== 'pending' && action?.state === 'awaiting_approval' && action.approvalId === a.id;
    });
    if (ready) return w.now;
    const t = w.approvals
      .filter((a) => a.state === 'pending')
      .flatMap((a) => [
        ...(a.timeoutAt !== undefined ? [a.timeoutAt] : []),
        ...(a.remindAt ?? []).slice(0, 1),
      ]);
    return t.length ? Math.min(...t) : null;
  }
  if (WAITING_FOR_OWNER.has(h.state) && h.handedOffAt !== undefined) {
    const times: number[] = [];
    if (flow.acceptWithinMs !== undefined && !h.breached) times.push(h.handedOffAt + flow.acceptWithinMs);
    const next = flow.ladder[h.ladderStep];
    if (next) times.push(h.handedOffAt + next.afterMs);
    return times.length ? Math.min(...times) : null;
  }
  return null;
}
