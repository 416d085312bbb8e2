// What a caller may do to a handoff now, and what waits for a person. Each command is tried on a
// throwaway copy of the handoff with the very checks the command runs, so what the console
// offers never disagrees with what the server then allows.
import { BatonError } from '../core/errors.ts';
import { approvalRequesters } from '../core/requester.ts';
import { WAITING_FOR_OWNER, type ApprovalRecord, type HandoffSnapshot } from '../core/types.ts';
import type { CompiledFlow } from '../flow/compiled.ts';
import * as cmd from '../engine/commands.ts';
import { castVote, voterStanding } from '../engine/approvals.ts';
import { checkRollback, reversibility } from '../engine/rollback.ts';
import type { Runtime } from '../engine/runtime.ts';
import { Work } from '../engine/work.ts';
import type { Store } from '../store/port.ts';
import { approvalView, summaryView } from './views.ts';

export const COMMANDS = [
  'accept',
  'decline',
  'return',
  'reassign',
  'complete',
  'cancel',
  'rollback',
  'retry',
] as const;
export type CommandName = (typeof COMMANDS)[number];

export interface Verdict {
  allowed: boolean;
  /** Why not (the message the command itself would answer with). */
  why?: string;
}

/** Refusals a person can get from a command; anything else is a fault and is thrown. */
const REFUSALS = new Set(['forbidden', 'invalid_transition', 'already_decided', 'validation_failed']);

function verdict(run: () => void): Verdict {
  try {
    run();
    return { allowed: true };
  } catch (e) {
    if (e instanceof BatonError && REFUSALS.has(e.code)) return { allowed: false, why: e.message };
    throw e;
  }
}

export function permittedCommands(
  snap: HandoffSnapshot,
  flow: CompiledFlow,
  rt: Runtime,
  who: cmd.Caller | { refused: string },
) {
  const refuse = 'refused' in who ? { allowed: false, why: who.refused } : undefined;
  // A fresh deep copy each time: commands change what they are given.
  const work = () => new Work(structuredClone(snap));
  const on = (run: (w: Work, c: cmd.Caller) => void): Verdict =>
    refuse ?? verdict(() => run(work(), who as cmd.Caller));
  const to = rt.directory.fallbackOwner;
  const commands: Record<CommandName, Verdict> = {
    accept: on((w, c) => cmd.accept(w, rt, c)),
    decline: on((w, c) => cmd.decline(w, flow, rt, c, 'other')),
    return: on((w, c) => cmd.giveBack(w, flow, rt, c, 'other')),
    reassign: on((w, c) => cmd.reassign(w, flow, rt, c, to)),
    complete: on((w, c) => cmd.complete(w, rt, c)),
    cancel: on((w, c) => cmd.cancel(w, rt, c)),
    rollback: on((_, c) => checkRollback(snap, rt, c)),
    retry: on((w, c) => cmd.retry(w, rt, c)),
  };
  const unsettled = snap.actions.filter((a) => a.state === 'outcome_unknown' || a.state === 'failed');
  return {
    id: snap.handoff.id,
    state: snap.handoff.state,
    commands,
    resolve: unsettled.map((a) => ({
      action: a.id,
      state: a.state,
      // `failed` changes the least; every outcome needs the same right.
      ...on((w, c) => cmd.resolve(w, rt, c, a.id, 'failed')),
    })),
    votes: snap.approvals
      .filter((a) => a.state === 'pending')
      .map((a) => ({
        approval: a.id,
        ...on((w, c) => {
          castVote(
            w,
            flow,
            rt,
            w.approvals.find((x) => x.id === a.id)!,
            { user: c.user, decision: 'approve' },
          );
        }),
      })),
    actions: snap.actions.map((a) => ({ action: a.id, state: a.state, ...reversibility(a, flow, rt) })),
    reassignTo: rt.directory.assignableOwners(),
  };
}

/** Who else could still give the votes the current level needs (not the caller, not who voted or asked). */
function stillToVote(a: ApprovalRecord, user: string, rt: Runtime) {
  const level = a.levels[a.level]!;
  const atLevel = a.votes.filter((v) => v.level === a.level);
  const approvals = atLevel.filter((v) => v.decision === 'approve').length;
  const exclude = new Set([
    user,
    ...approvalRequesters(a),
    ...atLevel.flatMap((v) => (v.for ? [v.user, v.for] : [v.user])),
  ]);
  return {
    needed: Math.max(0, level.quorum - approvals),
    others: rt.directory.possibleVoters(level.approvers, exclude),
  };
}

const WAITING_LIMIT = 200;

/**
 * What waits for `user`: pending approvals they may vote on now, and work handed to them, their
 * teams or roles (or to someone they stand in for) that waits for acceptance. Each names the
 * owner or approver it came through (`as`), so a person can tell mine from my team's.
 */
export async function waitingFor(
  store: Store,
  rt: Runtime,
  flows: Iterable<string>,
  user: string,
  reach?: readonly string[],
) {
  const now = Date.now();
  const scope = reach ? { flows: reach } : {};
  const pending = await store.approvals({ state: 'pending', ...scope });
  const approvals = pending.flatMap((a) => {
    const s = voterStanding(a, user, rt.directory, now);
    if (!s.ok) return [];
    return [{ ...approvalView(a), as: s.as, ...(s.for ? { for: s.for } : {}), ...stillToVote(a, user, rt) }];
  });
  const absent = new Set([...flows].flatMap((f) => rt.directory.standsInFor(user, f, now)));
  const owners = [...new Set([user, ...absent].flatMap((u) => rt.directory.ownersOf(u)))];
  const handoffs = [];
  for (const owner of owners) {
    for (const state of WAITING_FOR_OWNER) {
      const page = await store.list({ owner, state, limit: WAITING_LIMIT, ...scope });
      for (const h of page.items) {
        const s = rt.directory.standing(user, h.owner, h.flow, now);
        if (s) handoffs.push({ ...summaryView(h), as: owner, ...(s.for ? { for: s.for } : {}) });
      }
    }
  }
  handoffs.sort((a, b) => (a.handedOffAt ?? a.updatedAt).localeCompare(b.handedOffAt ?? b.updatedAt));
  return { user, owners: rt.directory.ownersOf(user), approvals, handoffs };
}
