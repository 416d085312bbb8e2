// Notices become outbox rows in the same commit as the step that wrote them, so a notification
// is never lost (it is durable with its cause) and never sent for a step that did not commit.
import type { OutboxRecord } from '../core/notices.ts';
import type { Work } from './work.ts';
import type { Runtime } from './runtime.ts';
import { newId } from './ids.ts';

export function outboxOf(w: Work, rt: Runtime): OutboxRecord[] {
  const channels = rt.channels;
  if (!channels) return [];
  const out: OutboxRecord[] = [];
  const row = (n: Pick<OutboxRecord, 'kind' | 'owner' | 'text' | 'approvalId'>): OutboxRecord => ({
    id: newId('ntc_'),
    handoffId: w.handoff.id,
    kind: n.kind,
    owner: n.owner,
    text: n.text,
    ...(n.approvalId ? { approvalId: n.approvalId } : {}),
    createdAt: w.now,
    state: 'pending',
    attempts: 0,
    nextAt: w.now,
  });
  for (const n of w.notices) if (channels.reaches(n.owner)) out.push(row(n));
  if (channels.updatesClosedApprovals) {
    for (const a of w.closedApprovals()) {
      out.push(row({ kind: 'approval_closed', owner: '', text: `${a.id} ${a.state}`, approvalId: a.id }));
    }
  }
  return out;
}
