// What an action approval holds for: a hash of (handoff, action, exact parameters); and an
// approver's edit of those parameters. It is an override: recorded on the approval and
// as an `overridden` event, re-validated against the action's parameter schema and re-checked
// against the approval policy with the new parameters. A level the edit makes necessary (say,
// a larger amount now needs the CFO) is added to the approval, so it must be approved too. The
// approval is then bound to the edited parameters.
import { BatonError } from '../core/errors.ts';
import type { ApprovalLevelState, ApprovalRecord } from '../core/types.ts';
import { canonicalJson } from '../flow/canonical.ts';
import type { CompiledFlow } from '../flow/compiled.ts';
import type { Work } from './work.ts';
import { celVars, type Runtime } from './runtime.ts';
import { celValue } from '../flow/cel-value.ts';
import { contentHash } from '../flow/canonical.ts';
import { approvalRequesters } from '../core/requester.ts';
import { unreachableLevel } from './approval-reach.ts';

/** The hash an action approval binds to: (handoff, action, exact parameters). */
export function approvalBinding(
  handoffId: string,
  actionId: string,
  params: Record<string, unknown>,
): string {
  return contentHash({ handoff: handoffId, action: actionId, params });
}

const levelKey = (l: ApprovalLevelState): string =>
  canonicalJson({ name: l.name ?? null, approvers: l.approvers, quorum: l.quorum });

/** Applies `edits` to the approval's action; returns the levels it added (none when nothing changed). */
export function editParams(
  w: Work,
  flow: CompiledFlow,
  rt: Runtime,
  approval: ApprovalRecord,
  edits: Record<string, unknown>,
  by: { user: string; for?: string; via?: string },
): { changed: boolean; addedLevels: ApprovalLevelState[] } {
  if (approval.kind !== 'action') {
    throw new BatonError(
      'validation_failed',
      'edits.params applies to action approvals; a routing confirmation takes edits.owner',
      {
        details: [{ path: 'edits.params', message: 'only for approvals of kind action' }],
      },
    );
  }
  const action = w.action(approval.actionId ?? '');
  const def = action ? rt.registry.action(action.use) : undefined;
  const compiled = flow.actions.find((a) => a.def.id === approval.actionId);
  if (!action || !def || !compiled?.approval)
    throw new BatonError('invalid_transition', `approval ${approval.id} has no action to edit`);
  const previous = action.params;
  const parsed = def.params.safeParse({ ...previous, ...edits });
  if (!parsed.success) {
    const details = parsed.error.issues.map((i) => ({
      path: ['edits', 'params', ...i.path.map(String)].join('.'),
      message: i.message,
    }));
    throw new BatonError(
      'validation_failed',
      `The edited parameters are not valid for ${action.use}: ${details.map((d) => `${d.path}: ${d.message}`).join('; ')}`,
      { details },
    );
  }
  const params = parsed.data as Record<string, unknown>;
  if (canonicalJson(params) === canonicalJson(previous)) return { changed: false, addedLevels: [] };

  // The policy, again, for the edited parameters: levels that now apply and are not yet part
  // of this approval are appended after the current ones.
  const vars = { ...celVars(w.handoff, flow), params: celValue(params) };
  const policy = compiled.approval;
  const required = !policy.when || policy.when.eval(vars) === true;
  const have = new Set(approval.levels.map(levelKey));
  const addedLevels = required
    ? policy.levels
        .filter((l) => !l.when || l.when.eval(vars) === true)
        .map((l) => ({ ...(l.name ? { name: l.name } : {}), approvers: l.approvers, quorum: l.quorum }))
        .filter((l) => !have.has(levelKey(l)))
    : [];
  // A level the edit adds must be one people can decide (the requesters still do not count).
  const unreachable = unreachableLevel(addedLevels, approvalRequesters(approval), rt.directory);
  if (unreachable)
    throw new BatonError(
      'validation_failed',
      `The edit would add a level nobody could approve: ${unreachable.message.replace(/^level \d+/, `the added level`)}`,
      { details: [{ path: 'edits.params', message: unreachable.message }] },
    );
  approval.levels.push(...addedLevels);

  const binding = approvalBinding(w.handoff.id, action.id, params);
  action.params = params;
  w.putAction(action);
  approval.params = params;
  approval.binding = binding;
  (approval.overrides ??= []).push({
    by: by.user,
    ...(by.for ? { for: by.for } : {}),
    at: w.now,
    level: approval.level,
    previous,
    params,
    binding,
    ...(addedLevels.length ? { addedLevels } : {}),
  });
  w.handoff.rework += 1;
  w.event(
    'overridden',
    { kind: 'user', id: by.user, ...(by.via ? { via: by.via } : {}) },
    {
      approval: approval.id,
      action: action.id,
      what: 'params',
      previous,
      params,
      binding,
      ...(by.for ? { for: by.for } : {}),
      ...(addedLevels.length ? { addedLevels } : {}),
    },
  );
  return { changed: true, addedLevels };
}
