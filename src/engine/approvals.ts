// Approval gates: created when an action (or, in suggest mode, a decision) needs a person,
// decided by votes from the flow's approvers only, level by level, with a quorum per level.
import { BatonError } from '../core/errors.ts';
import type { Actor, ApprovalRecord, ActionRecord } from '../core/types.ts';
import type { CompiledApproval, CompiledFlow, CelVars } from '../flow/compiled.ts';
import type { Work } from './work.ts';
import type { Runtime } from './runtime.ts';
import { engineActor, escalate } from './escalate.ts';
import { newId } from './ids.ts';
import { approvalBinding, editParams } from './approval-binding.ts';
import { notifyApprovers, reminderTimes } from './approval-notices.ts';
import { refuseApproval, requestersFor, unreachableLevel } from './approval-reach.ts';
import { approvalRequesters } from '../core/requester.ts';
import { startLevelClock } from './approval-timeout.ts';
import type { Directory } from './directory.ts';

/**
 * Opens an approval for the action; true when the action must wait (the approval is open, or it
 * could not be opened and the handoff escalated), false when no level applies and it may run.
 */
export function requestActionApproval(
  w: Work,
  flow: CompiledFlow,
  rt: Runtime,
  action: ActionRecord,
  policy: CompiledApproval,
  vars: CelVars,
): boolean {
  const levels = policy.levels
    .filter((l) => !l.when || l.when.eval(vars) === true)
    .map((l) => ({
      ...(l.name ? { name: l.name } : {}),
      approvers: l.approvers,
      quorum: l.quorum,
      ...(l.fallback ? { fallback: true as const } : {}),
    }));
  if (levels.length === 0) {
    w.event('approval_not_required', engineActor(flow), { action: action.id, policyVersion: policy.version });
    return false;
  }
  const who = requestersFor(w.handoff, w.ledger, flow, rt.directory);
  const refusal = 'reason' in who ? who : unreachableLevel(levels, who.requesters, rt.directory);
  if (refusal) {
    refuseApproval(w, flow, rt, action, policy, refusal);
    return true;
  }
  const requesters = 'requesters' in who ? who.requesters : [];
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
    binding: approvalBinding(w.handoff.id, action.id, action.params),
    ...(requesters.length ? { requester: requesters[0], requesters } : {}),
    ...(policy.timeoutMs !== undefined
      ? { timeoutAt: w.now + policy.timeoutMs, timeoutMs: policy.timeoutMs }
      : {}),
  };
  const remindAt = reminderTimes(a.timeoutAt, policy.remindBeforeMs, w.now);
  if (remindAt.length) a.remindAt = remindAt;
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
  notifyApprovers(w, rt, a, 'approval', `Approval needed: ${a.summary} (${a.id})`);
  return true;
}

/** Suggest mode: a person confirms (or corrects) the decision before anything runs. */
export function requestDecisionApproval(
  w: Work,
  flow: CompiledFlow,
  rt: Runtime,
  approvers: string[],
): ApprovalRecord | undefined {
  const d = w.handoff.decision!;
  const levels = [{ approvers, quorum: 1 }];
  // Nobody confirms the routing of their own request either.
  const who = requestersFor(w.handoff, w.ledger, flow, rt.directory);
  const refusal = 'reason' in who ? who : unreachableLevel(levels, who.requesters, rt.directory);
  if (refusal) {
    w.event('approval_refused', engineActor(flow), {
      kind: 'decision',
      reason: refusal.reason,
      problem: refusal.message,
      ...refusal.details,
    });
    escalate(w, flow, rt, refusal.reason, { kind: 'decision', problem: refusal.message, ...refusal.details });
    return undefined;
  }
  const requesters = 'requesters' in who ? who.requesters : [];
  const a: ApprovalRecord = {
    id: newId('apr_'),
    handoffId: w.handoff.id,
    flow: flow.def.id,
    kind: 'decision',
    state: 'pending',
    policyVersion: 'suggest',
    levels,
    ...(requesters.length ? { requester: requesters[0], requesters } : {}),
    level: 0,
    votes: [],
    requestedAt: w.now,
    onTimeout: 'escalate',
    onReject: 'stop',
    summary:
      `${flow.def.name}: route to ${d.owner} with ${d.actions.join(', ') || 'no actions'}` +
      (d.by === 'llm'
        ? ` (model ${d.model ?? ''}, confidence ${d.confidence ?? '?'}): ${d.rationale ?? ''}`
        : ` (${d.by}${d.rule?.name ? ` ${d.rule.name}` : ''})`),
    // What the person confirms or corrects: the decision, and for a model its reasons.
    params: {
      owner: d.owner,
      actions: d.actions,
      by: d.by,
      ...(d.by === 'llm'
        ? {
            model: d.model,
            confidence: d.confidence,
            rationale: d.rationale,
            evidence: d.evidence,
            reads: d.reads,
          }
        : {}),
    },
  };
  w.putApproval(a);
  w.to('awaiting_approval');
  w.event('approval_requested', engineActor(flow), {
    approval: a.id,
    kind: 'decision',
    suggestion: a.params,
  });
  notifyApprovers(w, rt, a, 'approval', `Confirm routing: ${a.summary} (${a.id})`);
  return a;
}

/** The action's parameters changed after approval (not by an approver's edit): the approval is void. */
export function voidApproval(
  w: Work,
  flow: CompiledFlow,
  approval: ApprovalRecord,
  action: ActionRecord,
): void {
  const previous = approval.binding;
  approval.state = 'voided';
  approval.decidedAt = w.now;
  w.putApproval(approval);
  delete action.approvalId;
  w.putAction(action);
  w.event('approval_voided', engineActor(flow), {
    approval: approval.id,
    action: action.id,
    reason: 'the parameters changed after approval',
    binding: previous,
    now: approvalBinding(w.handoff.id, action.id, action.params),
  });
}

export interface Vote {
  user: string;
  decision: 'approve' | 'reject';
  comment?: string;
  via?: string;
  /** Suggest mode: a corrected owner. Action approvals: parameters to change (an override). */
  edits?: { owner?: string; params?: Record<string, unknown> };
}

/** How a user may vote on an approval now (the approver they act as), or why they may not. */
export type VoterStanding =
  | { ok: true; as: string; for?: string }
  | { ok: false; code: 'already_decided' | 'forbidden'; message: string };

/**
 * The right to vote: an approver of the current level, or standing in for one (a delegation in
 * baton.yaml). Never the requester, and one vote per person per level, also by proxy. The inbox
 * asks it to show what waits for a person; castVote enforces it.
 */
export function voterStanding(
  approval: ApprovalRecord,
  user: string,
  directory: Directory,
  now: number,
): VoterStanding {
  if (approval.state !== 'pending') {
    const by = approval.decidedBy?.user
      ? ` by ${approval.decidedBy.user}`
      : ` (${approval.decidedBy?.label ?? approval.state})`;
    return {
      ok: false,
      code: 'already_decided',
      message: `Approval ${approval.id} was already decided${by}: ${approval.state}`,
    };
  }
  const level = approval.levels[approval.level];
  if (!level) throw new BatonError('internal', `approval ${approval.id} has no level ${approval.level}`);
  const requester = new Set(approvalRequesters(approval));
  if (requester.has(user)) {
    return {
      ok: false,
      code: 'forbidden',
      message: `${user} requested this handoff and cannot approve it (no self-approval)`,
    };
  }
  const stand = (exclude: ReadonlySet<string>) => {
    for (const o of level.approvers) {
      const s = directory.standing(user, o, approval.flow, now, exclude);
      if (s) return { as: o, ...s };
    }
    return undefined;
  };
  if (!stand(requester)) {
    return {
      ok: false,
      code: 'forbidden',
      message: stand(new Set())
        ? `${user} stands in for ${[...requester].join(', ')}, who requested this handoff: no self-approval, also not by delegation`
        : `${user} is not an approver of ${approval.id} at ${levelText(approval)} (approvers: ${level.approvers.join(', ')}; the flow names approvers, no token access level does)`,
    };
  }
  const atLevel = approval.votes.filter((v) => v.level === approval.level);
  const voted = new Set(atLevel.flatMap((v) => (v.for ? [v.user, v.for] : [v.user])));
  const standing = voted.has(user) ? undefined : stand(new Set([...voted, ...requester]));
  if (!standing) {
    return {
      ok: false,
      code: 'already_decided',
      message: `${user} already voted on ${approval.id} at ${levelText(approval)} (or someone voted in their place)`,
    };
  }
  return { ok: true, ...standing };
}

/**
 * Records a vote. Throws 409 already_decided when the approval is closed, 403 when the user is
 * not an approver of the current level or is the requester (no self-approval).
 * Returns the approval's state after the vote.
 */
export function castVote(
  w: Work,
  flow: CompiledFlow,
  rt: Runtime,
  approval: ApprovalRecord,
  vote: Vote,
): ApprovalRecord['state'] {
  const standing = voterStanding(approval, vote.user, rt.directory, w.now);
  if (!standing.ok) throw new BatonError(standing.code, standing.message);
  const level = approval.levels[approval.level]!;
  if (vote.edits?.owner !== undefined && approval.kind === 'action')
    throw new BatonError(
      'validation_failed',
      'edits.owner corrects a routing confirmation; an action takes edits.params',
      {
        details: [{ path: 'edits.owner', message: 'only for approvals of kind decision' }],
      },
    );
  if (vote.edits?.params !== undefined) {
    if (vote.decision !== 'approve')
      throw new BatonError('validation_failed', 'Edits come with an approval: reject without edits', {
        details: [{ path: 'edits', message: 'only with decision approve' }],
      });
    editParams(w, flow, rt, approval, vote.edits.params, {
      user: vote.user,
      ...(standing.for ? { for: standing.for } : {}),
      ...(vote.via ? { via: vote.via } : {}),
    });
  }
  approval.votes.push({
    user: vote.user,
    ...(standing.for ? { for: standing.for } : {}),
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
    levelNumber: approval.level + 1,
    ...(standing.for ? { for: standing.for } : {}),
    ...(vote.comment ? { comment: vote.comment } : {}),
    ...(vote.edits ? { edits: vote.edits } : {}),
  });
  if (vote.decision === 'reject') {
    close(
      approval,
      'rejected',
      w.now,
      {
        label: level.fallback ? 'fallback' : 'human',
        user: vote.user,
        ...(standing.for ? { for: standing.for } : {}),
        ...(vote.via ? { via: vote.via } : {}),
      },
      vote.comment,
    );
  } else {
    const approvals = approval.votes.filter(
      (v) => v.level === approval.level && v.decision === 'approve',
    ).length;
    if (approvals >= level.quorum) {
      if (approval.level + 1 < approval.levels.length) {
        approval.level += 1;
        startLevelClock(w, flow, approval);
        notifyApprovers(
          w,
          rt,
          approval,
          'approval',
          `Approval needed at ${levelText(approval)}: ${approval.summary} (${approval.id})`,
        );
      } else {
        close(
          approval,
          'approved',
          w.now,
          {
            label: level.fallback ? 'fallback' : 'human',
            user: vote.user,
            ...(standing.for ? { for: standing.for } : {}),
            ...(vote.via ? { via: vote.via } : {}),
          },
          vote.comment,
        );
      }
    }
  }
  w.putApproval(approval);
  return approval.state;
}

/**
 * How messages name the current level: counted from 1, of how many (`level 2 of 2`), its name
 * when it has one. Data and events keep `level` as the index into `levels` (from 0); events also
 * carry `levelNumber`, the number these messages show.
 */
export function levelText(a: ApprovalRecord): string {
  const name = a.levels[a.level]?.name;
  return `level ${a.level + 1} of ${a.levels.length}${name ? ` (${name})` : ''}`;
}

export function close(
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
