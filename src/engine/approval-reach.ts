// Can people decide an approval at all? Checked when it opens, so a gate nobody can pass does
// not sit until its timeout: the requesters are placed among the people of baton.yaml (no
// self-approval needs to know who asked), and each level must have at least `quorum` people
// who could vote, not counting the requesters (nor anyone voting in their place).
import { personNamed, submittedBy } from '../core/requester.ts';
import type { ActionRecord, ApprovalLevelState, HandoffRecord, LedgerEntry } from '../core/types.ts';
import type { CompiledApproval, CompiledFlow } from '../flow/compiled.ts';
import type { Directory } from './directory.ts';
import type { Runtime } from './runtime.ts';
import type { Work } from './work.ts';
import { engineActor, escalate } from './escalate.ts';

export interface Refusal {
  reason: 'requester_unknown' | 'approval_unreachable';
  message: string;
  details: Record<string, unknown>;
}

/** The people who asked for this handoff, or why the approval cannot tell (the flow's requester names nobody known). */
export function requestersFor(
  h: HandoffRecord,
  ledger: readonly LedgerEntry[],
  flow: CompiledFlow,
  directory: Directory,
): { requesters: string[] } | Refusal {
  const requesters: string[] = [];
  // An empty requester means the flow knows of none (e.g. `has(input.by) ? input.by : ''`);
  // text that names nobody is refused: it must not switch no-self-approval off.
  if (flow.requester && h.requester !== undefined) {
    const person = personNamed(h.requester, directory.personIds());
    if (!person)
      return {
        reason: 'requester_unknown',
        message: `the requester "${h.requester}" is not a person of baton.yaml, so no self-approval cannot be checked`,
        details: { requester: h.requester },
      };
    requesters.push(person);
  }
  const sender = submittedBy(ledger);
  if (sender && !requesters.includes(sender)) requesters.push(sender);
  return { requesters };
}

/** The first level fewer people could approve than its quorum needs, if any. */
export function unreachableLevel(
  levels: readonly ApprovalLevelState[],
  requesters: readonly string[],
  directory: Directory,
): Refusal | undefined {
  const exclude = new Set(requesters);
  for (const [i, level] of levels.entries()) {
    const possible = directory.possibleVoters(level.approvers, exclude);
    if (possible.length >= level.quorum) continue;
    const left = requesters.length ? ` once the requesters (${requesters.join(', ')}) are left out` : '';
    return {
      reason: 'approval_unreachable',
      message:
        `level ${i + 1}${level.name ? ` (${level.name})` : ''} needs ${level.quorum} approval${level.quorum === 1 ? '' : 's'} ` +
        `from ${level.approvers.join(', ')}, but only ${possible.length} ${possible.length === 1 ? 'person' : 'people'} could give one${left}`,
      details: {
        level: i + 1,
        ...(level.name ? { levelName: level.name } : {}),
        approvers: level.approvers,
        quorum: level.quorum,
        possibleVoters: possible,
        requesters,
      },
    };
  }
  return undefined;
}

/** Nobody could decide the approval: it is not opened, the action is skipped, a person takes over. */
export function refuseApproval(
  w: Work,
  flow: CompiledFlow,
  rt: Runtime,
  action: ActionRecord,
  policy: CompiledApproval,
  refusal: Refusal,
): void {
  action.state = 'skipped';
  action.error = `approval not opened: ${refusal.message}`;
  w.putAction(action);
  w.event('approval_refused', engineActor(flow), {
    action: action.id,
    policyVersion: policy.version,
    reason: refusal.reason,
    problem: refusal.message,
    ...refusal.details,
  });
  escalate(w, flow, rt, refusal.reason, { action: action.id, problem: refusal.message, ...refusal.details });
}
