// What a notice says, the same on every channel: a subject, a few lines of detail, and what the
// person can do from the message (approve or reject an approval, accept handed-off work).
import { WAITING_FOR_OWNER, type ApprovalRecord, type HandoffRecord } from '../core/types.ts';
import type { OutboxRecord } from '../core/notices.ts';

export type MessageAction = { kind: 'approve'; approvalId: string } | { kind: 'accept'; handoffId: string };

export interface NoticeMessage {
  subject: string;
  lines: string[];
  action?: MessageAction;
}

const KIND_TITLE: Record<OutboxRecord['kind'], string> = {
  approval: 'Approval needed',
  handoff: 'New work for you',
  reminder: 'Reminder',
  escalation: 'Escalated to you',
  notification: 'Notice',
  approval_closed: 'Approval decided',
};

/** A short, single-line JSON of a value (parameters shown to an approver). */
export function brief(value: unknown, max = 300): string {
  const text = JSON.stringify(value) ?? '';
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}

/** The message for `notice`, as it stands now (a decided approval offers nothing to do). */
export function messageFor(notice: OutboxRecord, h: HandoffRecord, approval?: ApprovalRecord): NoticeMessage {
  const lines = [notice.text, `Handoff ${h.id} (${h.flow}), owner ${h.owner}, state ${h.state}`];
  if (approval) {
    const level = approval.levels[approval.level];
    if (approval.params) lines.push(`Parameters: ${brief(approval.params)}`);
    if (approval.requester) lines.push(`Requested by ${approval.requester}`);
    if (level && approval.levels.length > 1)
      lines.push(`Level ${approval.level + 1} of ${approval.levels.length}: ${level.approvers.join(', ')}`);
    if (approval.timeoutAt)
      lines.push(`Times out ${new Date(approval.timeoutAt).toISOString()} (${approval.onTimeout})`);
    lines.push(closedLine(approval) ?? '');
    // An approval reminder (remindBefore) reads as a reminder, with the same buttons.
    const subject = `${notice.kind === 'reminder' ? 'Reminder, approval needed' : KIND_TITLE.approval}: ${approval.summary}`;
    return {
      subject,
      lines: lines.filter(Boolean),
      ...(approval.state === 'pending' ? { action: { kind: 'approve', approvalId: approval.id } } : {}),
    };
  }
  const acceptable = WAITING_FOR_OWNER.has(h.state) && h.owner === notice.owner;
  return {
    subject: `${KIND_TITLE[notice.kind]}: ${notice.text}`,
    lines,
    ...(acceptable && notice.kind !== 'notification' ? { action: { kind: 'accept', handoffId: h.id } } : {}),
  };
}

/** "Approved by dana via slack" for a closed approval; undefined while pending. */
export function closedLine(a: ApprovalRecord): string | undefined {
  if (a.state === 'pending') return undefined;
  const by = a.decidedBy;
  const who = by?.user ? ` by ${by.user}${by.for ? ` for ${by.for}` : ''}` : '';
  const via = by?.via ? ` via ${by.via}` : '';
  const label = by && by.label !== 'human' ? ` (${by.label})` : '';
  const state = a.state.replace('_', ' ');
  return `${state.charAt(0).toUpperCase()}${state.slice(1)}${who}${via}${label}${a.comment ? `: "${a.comment}"` : ''}`;
}
