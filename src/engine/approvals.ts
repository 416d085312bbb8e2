// Approval gates: created when an action (or, in suggest mode, a decision) needs a person,
// decided by votes from the flow's approvers only, level by level, with a quorum per level.
import { BatonError } from '../core/errors.ts';
import type { Actor, ApprovalRecord, ActionRecord } from '../core/types.ts';
import type { CompiledApproval, CompiledFlow, CelVars } from '../flow/compiled.ts';
import type { Work } from './work.ts';
import type { Runtime } from './runtime.ts';
import { engineActor, escalate, notify } from './escalate.ts';
import { newId } from './ids.ts';

export function requestActionApproval(
  w: Work,
  flow: CompiledFlow,
  rt: Runtime,
  action: ActionRecord,
  policy: CompiledApproval,
  vars: CelVars,
): ApprovalRecord | undefined {
  const levels = policy.levels
    .filter((l) => !l.when || l.when.eval(vars) === true)
    .map((l) => ({ ...(l.name ? { name: l.name } : {}), approvers: l.approvers, quorum: l.quorum }));
  if (levels.length === 0) {
    w.event('approval_not_required', engineActor(flow), { action: action.id, policyVersion: policy.version });
    return undefined;
  }
  const a: ApprovalRecord = {
    id: newId('apr_'),
    handoffId: w.handoff.id,
    flow: flow.def.id,
    kind: 'action',
    actionId: action.id,
    state: 'pending',
    policyVersion: policy.version,
    levels,
    level: 0,
    votes: [],
    requestedAt: w.now,
    onTimeout: policy.onTimeout,
    onReject: policy.onReject,
    summary: `${flow.def.name}: run ${action.id} (${action.use})`,
    params: action.params,
    ...(w.handoff.requester ? { requester: w.handoff.requester } : {}),
    ...(policy.timeoutMs !== undefined ? { timeoutAt: w.now + policy.timeoutMs } : {}),
  };
  action.state = 'awaiting_approval';
  action.approvalId = a.id;
  w.putAction(action);
  w.putApproval(a);
  w.to('awaiting_approval');
  w.event('approval_requested', engineActor(flow), {
    approval: a.id,
    action: action.id,
    policyVersion: a.policyVersion,
    levels: a.levels,
  });
  for (const approver of levels[0]?.approvers ?? [])
    notify(w, approver, 'approval', `Approval needed: ${a.summary} (${a.id})`, a.id);
  void rt;
  return a;
}

/** Suggest mode: a person confirms (or corrects) the decision before anything runs. */
export function requestDecisionApproval(w: Work, flow: CompiledFlow, approvers: string[]): ApprovalRecord {
  const d = w.handoff.decision!;
  const a: ApprovalRecord = {
    id: newId('apr_'),
    handoffId: w.handoff.id,
    flow: flow.def.id,
    kind: 'decision',
    state: 'pending',
    policyVersion: 'suggest',
    levels: [{ approvers, quorum: 1 }],
    level: 0,
    votes: [],
    requestedAt: w.now,
    onTimeout: 'escalate',
    onReject: 'stop',
    summary: `${flow.def.name}: route to ${d.owner} with ${d.actions.join(', ') || 'no actions'}`,
    params: { owner: d.owner, actions: d.actions },
  };
  w.putApproval(a);
  w.to('awaiting_approval');
  w.event('approval_requested', engineActor(flow), {
    approval: a.id,
    kind: 'decision',
    suggestion: a.params,
  });
  for (const approver of approvers)
    notify(w, approver, 'approval', `Confirm routing: ${a.summary} (${a.id})`, a.id);
  return a;
}

export interface Vote {
  user: string;
  decision: 'approve' | 'reject';
  comment?: string;
  via?: string;
  /** Suggest mode: a corrected owner. */
  edits?: { owner?: string };
}

/**
 * Records a vote. Throws 409 already_decided when the approval is closed, 403 when the user is
 * not an approver of the current level or is the requester (no self-approval).
 * Returns the approval's state after the vote.
 */
export function castVote(
  w: Work,
  rt: Runtime,
  approval: ApprovalRecord,
  vote: Vote,
): ApprovalRecord['state'] {
  if (approval.state !== 'pending') {
    const by = approval.decidedBy?.user
      ? ` by ${approval.decidedBy.user}`
      : ` (${approval.decidedBy?.label ?? approval.state})`;
    throw new BatonError(
      'already_decided',
      `Approval ${approval.id} was already decided${by}: ${approval.state}`,
    );
  }
  const level = approval.levels[approval.level];
  if (!level) throw new BatonError('internal', `approval ${approval.id} has no level ${approval.level}`);
  if (approval.requester && approval.requester === vote.user) {
    throw new BatonError(
      'forbidden',
      `${vote.user} requested this handoff and cannot approve it (no self-approval)`,
    );
  }
  if (!level.approvers.some((o) => rt.directory.actsFor(vote.user, o))) {
    throw new BatonError(
      'forbidden',
      `${vote.user} is not an approver of ${approval.id} at level ${approval.level + 1} (approvers: ${level.approvers.join(', ')})`,
    );
  }
  if (approval.votes.some((v) => v.user === vote.user && v.level === approval.level)) {
    throw new BatonError('already_decided', `${vote.user} already voted on ${approval.id} at this level`);
  }
  approval.votes.push({
    user: vote.user,
    decision: vote.decision,
    level: approval.level,
    at: w.now,
    ...(vote.comment ? { comment: vote.comment } : {}),
    ...(vote.via ? { via: vote.via } : {}),
  });
  const actor: Actor = { kind: 'user', id: vote.user, ...(vote.via ? { via: vote.via } : {}) };
  w.event('approval_vote', actor, {
    approval: approval.id,
    decision: vote.decision,
    level: approval.level,
    ...(vote.comment ? { comment: vote.comment } : {}),
    ...(vote.edits ? { edits: vote.edits } : {}),
  });
  if (vote.decision === 'reject') {
    close(
      approval,
      'rejected',
      w.now,
      { label: 'human', user: vote.user, ...(vote.via ? { via: vote.via } : {}) },
      vote.comment,
    );
  } else {
    const approvals = approval.votes.filter(
      (v) => v.level === approval.level && v.decision === 'approve',
    ).length;
    if (approvals >= level.quorum) {
      if (approval.level + 1 < approval.levels.length) {
        approval.level += 1;
        for (const approver of approval.levels[approval.level]!.approvers) {
          notify(
            w,
            approver,
            'approval',
            `Approval needed (level ${approval.level + 1}): ${approval.summary} (${approval.id})`,
            approval.id,
          );
        }
      } else {
        close(
          approval,
          'approved',
          w.now,
          { label: 'human', user: vote.user, ...(vote.via ? { via: vote.via } : {}) },
          vote.comment,
        );
      }
    }
  }
  w.putApproval(approval);
  return approval.state;
}

function close(
  a: ApprovalRecord,
  state: ApprovalRecord['state'],
  at: number,
  by: NonNullable<ApprovalRecord['decidedBy']>,
  comment?: string,
): void {
  a.state = state;
  a.decidedAt = at;
  a.decidedBy = by;
  if (comment) a.comment = comment;
}

/** Applies a closed action approval to its action and the handoff. */
export function applyActionApproval(
  w: Work,
  flow: CompiledFlow,
  rt: Runtime,
  approval: ApprovalRecord,
  actor: Actor,
): void {
  const action = w.action(approval.actionId ?? '');
  if (!action) return;
  if (approval.state === 'approved') {
    action.state = 'pending';
    w.putAction(action);
    w.event('action_approved', actor, {
      action: action.id,
      approval: approval.id,
      label: approval.decidedBy?.label,
      decidedBy: approval.decidedBy,
    });
    w.to('acting');
    return;
  }
  w.event('action_rejected', actor, {
    action: action.id,
    approval: approval.id,
    label: approval.decidedBy?.label,
    decidedBy: approval.decidedBy,
    onReject: approval.onReject,
  });
  action.state = 'skipped';
  action.error = `approval ${approval.state}`;
  w.putAction(action);
  if (approval.onReject === 'skip') {
    w.to('acting');
  } else {
    for (const a of w.actions) {
      if (a.state === 'pending') {
        a.state = 'skipped';
        a.error = 'an earlier action was rejected';
        w.putAction(a);
      }
    }
    escalate(w, flow, rt, 'approval_rejected', { approval: approval.id, action: action.id });
  }
}

/** An approval's timeout passed: decide it by its `onTimeout` (labelled `timeout`). */
export function timeOutApproval(w: Work, flow: CompiledFlow, rt: Runtime, approval: ApprovalRecord): void {
  const actor = engineActor(flow);
  w.event('approval_timed_out', actor, {
    approval: approval.id,
    onTimeout: approval.onTimeout,
    decidedBy: { label: 'timeout' },
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
  close(approval, approval.onTimeout === 'approve' ? 'approved' : 'rejected', w.now, { label: 'timeout' });
  w.putApproval(approval);
  if (approval.kind === 'action') applyActionApproval(w, flow, rt, approval, actor);
}
