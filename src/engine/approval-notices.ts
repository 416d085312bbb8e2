// Telling approvers: the request and each new level (in their Baton inbox, and in the inbox of
// whoever stands in for them), and reminders before the approval times out.
import { formatDuration } from '../core/duration.ts';
import type { ApprovalRecord } from '../core/types.ts';
import type { CompiledFlow } from '../flow/compiled.ts';
import type { Work } from './work.ts';
import type { Runtime } from './runtime.ts';
import { engineActor, notify } from './escalate.ts';

/** When to remind: each `remindBefore` ahead of the timeout that is still in the future. */
export function reminderTimes(
  timeoutAt: number | undefined,
  beforeMs: readonly number[],
  now: number,
): number[] {
  if (timeoutAt === undefined) return [];
  return [...new Set(beforeMs.map((b) => timeoutAt - b))].filter((t) => t > now).sort((x, y) => x - y);
}

/**
 * A reminder is due: tell the approvers of the current level who have not voted (and whoever
 * stands in for them) in their inbox, once. Reminders that fell due together (the process was
 * down) are sent as one.
 */
export function remindApprovers(w: Work, flow: CompiledFlow, rt: Runtime, approval: ApprovalRecord): void {
  const due = (approval.remindAt ?? []).filter((t) => t <= w.now);
  if (due.length === 0) return;
  const rest = (approval.remindAt ?? []).filter((t) => t > w.now);
  if (rest.length) approval.remindAt = rest;
  else delete approval.remindAt;
  const voted = new Set(
    approval.votes
      .filter((v) => v.level === approval.level)
      .flatMap((v) => (v.for ? [v.user, v.for] : [v.user])),
  );
  const level = approval.levels[approval.level];
  const waitingFor = (level?.approvers ?? []).filter(
    (o) => !(o.startsWith('user:') && voted.has(o.slice(5))),
  );
  const left = approval.timeoutAt === undefined ? undefined : Math.max(0, approval.timeoutAt - w.now);
  approval.remindersSent = (approval.remindersSent ?? 0) + 1;
  w.event('approval_reminded', engineActor(flow), {
    approval: approval.id,
    level: approval.level,
    levelNumber: approval.level + 1,
    approvers: waitingFor,
    ...(left !== undefined ? { timeoutInMs: left } : {}),
  });
  w.putApproval(approval);
  notifyApprovers(
    w,
    rt,
    {
      ...approval,
      levels: approval.levels.map((l, i) => (i === approval.level ? { ...l, approvers: waitingFor } : l)),
    },
    'reminder',
    `Reminder: approval still needed${left !== undefined ? ` (times out in ${formatDuration(left)})` : ''}: ${approval.summary} (${approval.id})`,
  );
}

/**
 * Tells the approvers of the approval's current level, and whoever stands in for one of them
 * (a delegation that holds now for this flow), in their Baton inbox.
 */
export function notifyApprovers(
  w: Work,
  rt: Runtime,
  approval: ApprovalRecord,
  kind: 'approval' | 'reminder',
  text: string,
): void {
  const approvers = approval.levels[approval.level]?.approvers ?? [];
  const told = new Set<string>();
  for (const approver of approvers) {
    notify(w, approver, kind, text, approval.id);
    for (const user of rt.directory.usersOf(approver)) {
      for (const delegate of rt.directory.delegatesOf(user, approval.flow, w.now)) {
        if (told.has(delegate) || approvers.some((o) => rt.directory.actsFor(delegate, o))) continue;
        told.add(delegate);
        notify(w, `user:${delegate}`, kind, `${text} (standing in for ${user})`, approval.id);
      }
    }
  }
}
