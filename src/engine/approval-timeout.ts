// An approval's timeout. `onTimeout: approve` decides the level that timed out, and only that
// one: the next level is asked, with a clock of its own, and a high-risk action still needs
// each later level (or its timeout) in turn. `approve-all` is the explicit opt-in for a timeout
// that approves the whole gate at once; `escalate` and `reject` close the whole gate.
import type { ApprovalRecord } from '../core/types.ts';
import type { CompiledFlow } from '../flow/compiled.ts';
import type { Work } from './work.ts';
import type { Runtime } from './runtime.ts';
import { engineActor, escalate } from './escalate.ts';
import { applyActionApproval, close, levelText } from './approvals.ts';
import { notifyApprovers, reminderTimes } from './approval-notices.ts';

/** An approval's timeout passed: decide it by its `onTimeout` (labelled `timeout`). */
export function timeOutApproval(w: Work, flow: CompiledFlow, rt: Runtime, approval: ApprovalRecord): void {
  const actor = engineActor(flow);
  const level = approval.level;
  const nextLevel = approval.onTimeout === 'approve' && level + 1 < approval.levels.length;
  w.event('approval_timed_out', actor, {
    approval: approval.id,
    onTimeout: approval.onTimeout,
    level,
    levelNumber: level + 1,
    decidedBy: { label: 'timeout' },
    ...(nextLevel ? { decides: 'level', next: level + 1 } : {}),
  });
  if (approval.onTimeout === 'escalate') {
    close(approval, 'timed_out', w.now, { label: 'timeout' });
    w.putApproval(approval);
    if (approval.kind === 'action') {
      const action = w.action(approval.actionId ?? '');
      if (action) {
        action.state = 'skipped';
        action.error = 'approval timed out';
        w.putAction(action);
      }
    }
    escalate(w, flow, rt, 'approval_timeout', { approval: approval.id });
    return;
  }
  if (nextLevel) {
    (approval.timedOutLevels ??= []).push(level);
    approval.level += 1;
    startLevelClock(w, flow, approval);
    w.putApproval(approval);
    notifyApprovers(
      w,
      rt,
      approval,
      'approval',
      `Approval needed at ${levelText(approval)} (level ${level + 1} timed out): ${approval.summary} (${approval.id})`,
    );
    return;
  }
  if (approval.onTimeout !== 'reject') (approval.timedOutLevels ??= []).push(level);
  close(approval, approval.onTimeout === 'reject' ? 'rejected' : 'approved', w.now, { label: 'timeout' });
  w.putApproval(approval);
  if (approval.kind === 'action') applyActionApproval(w, flow, rt, approval, actor);
}

/**
 * A new level is being asked. Under `onTimeout: approve` each level gets the whole timeout
 * (and its reminders) from now, so a level is never decided by a clock that ran out on
 * another; otherwise the timeout covers the gate and keeps running.
 */
export function startLevelClock(w: Work, flow: CompiledFlow, approval: ApprovalRecord): void {
  if (approval.onTimeout !== 'approve' || approval.timeoutAt === undefined) return;
  const timeoutMs = approval.timeoutMs ?? approval.timeoutAt - approval.requestedAt;
  approval.timeoutAt = w.now + timeoutMs;
  const policy = flow.actions.find((a) => a.def.id === approval.actionId)?.approval;
  const remindAt = reminderTimes(approval.timeoutAt, policy?.remindBeforeMs ?? [], w.now);
  if (remindAt.length) approval.remindAt = remindAt;
  else delete approval.remindAt;
}
