// What a case run produced, and how it compares with the case's `expect`. Each mismatch is one
// line saying what was expected and what the run gave.
import { isDeepStrictEqual } from 'node:util';
import type { ActionRecord, EventRecord, HandoffSnapshot } from '../core/types.ts';
import type { CompiledFlow } from '../flow/compiled.ts';
import { celVars } from '../engine/runtime.ts';
import type { CaseExpect } from './cases.ts';

export interface ObservedApproval {
  action: string;
  /** The approvers of each level that applies. */
  levels: string[][];
  /** Requested (a record exists), or still ahead: the run stopped at an earlier gate. */
  requested: boolean;
}

export interface ObservedEscalation {
  reason: string;
  to: string;
  missing?: string[];
}

export interface Observed {
  state: string;
  /** Where the work goes (see `routedOwner`). */
  owner: string;
  rule: string | undefined;
  /** The actions run or planned, in order (not those whose `when` did not hold). */
  actions: ActionRecord[];
  approvals: ObservedApproval[];
  escalations: ObservedEscalation[];
  /** Why the handoff failed, when it did. */
  failure?: string;
}

/**
 * Where the work goes: the owner it was handed or escalated to; while Baton still holds it (an
 * approval gate before the hand-off), the owner the decision chose.
 */
function routedOwner(s: HandoffSnapshot): string {
  const h = s.handoff;
  if (h.owner.startsWith('agent:') && h.decision) return h.decision.owner;
  return h.owner;
}

function ruleOf(s: HandoffSnapshot): string | undefined {
  const d = s.handoff.decision;
  if (!d) return undefined;
  if (d.by === 'rule' && d.rule) return d.rule.name ?? `rules[${d.rule.index}]`;
  return d.by;
}

/** The approval gates of the planned actions: requested ones, and those the run had not reached. */
function approvalsOf(s: HandoffSnapshot, flow: CompiledFlow, actions: ActionRecord[]): ObservedApproval[] {
  const out: ObservedApproval[] = [];
  const vars = celVars(s.handoff, flow);
  for (const a of actions) {
    const ap = a.approvalId ? s.approvals.find((x) => x.id === a.approvalId) : undefined;
    if (ap) {
      out.push({ action: a.id, levels: ap.levels.map((l) => l.approvers), requested: true });
      continue;
    }
    const policy = flow.actions.find((x) => x.def.id === a.id)?.approval;
    if (!policy || a.state !== 'pending' || s.handoff.state !== 'awaiting_approval') continue;
    try {
      if (policy.when && policy.when.eval(vars) !== true) continue;
      const levels = policy.levels.filter((l) => !l.when || l.when.eval(vars) === true);
      out.push({ action: a.id, levels: levels.map((l) => l.approvers), requested: false });
    } catch {
      // The engine evaluates the policy when it reaches the action; an error shows up then.
    }
  }
  return out;
}

export function observe(s: HandoffSnapshot, events: EventRecord[], flow: CompiledFlow): Observed {
  const actions = [...s.actions].filter((a) => a.state !== 'skipped').sort((x, y) => x.order - y.order);
  const escalations = events
    .filter((e) => e.type === 'escalated')
    .map((e): ObservedEscalation => {
      const d = e.data;
      const esc: ObservedEscalation = { reason: String(d['reason']), to: String(d['to']) };
      if (Array.isArray(d['missing'])) esc.missing = d['missing'].map(String);
      return esc;
    });
  const failed = [...events].reverse().find((e) => e.type === 'failed');
  const o: Observed = {
    state: s.handoff.state,
    owner: routedOwner(s),
    rule: ruleOf(s),
    actions,
    approvals: approvalsOf(s, flow, actions),
    escalations,
  };
  if (s.handoff.state === 'failed' && failed) o.failure = String(failed.data['error']);
  return o;
}

const list = (xs: readonly unknown[]): string => `[${xs.map((x) => String(x)).join(', ')}]`;
const json = (v: unknown): string => JSON.stringify(v) ?? 'undefined';

function describeEscalation(e: ObservedEscalation): string {
  return `${e.reason} (to ${e.to}${e.missing?.length ? `; missing ${e.missing.join(', ')}` : ''})`;
}

/** Every key of `expected` must equal the same key of `actual` (recursively for objects). */
function subsetMismatches(expected: unknown, actual: unknown, path: string, out: string[]): void {
  if (
    typeof expected === 'object' &&
    expected !== null &&
    !Array.isArray(expected) &&
    typeof actual === 'object' &&
    actual !== null &&
    !Array.isArray(actual)
  ) {
    for (const [k, v] of Object.entries(expected)) {
      subsetMismatches(v, (actual as Record<string, unknown>)[k], `${path}.${k}`, out);
    }
    return;
  }
  if (!isDeepStrictEqual(expected, actual))
    out.push(`${path}: expected ${json(expected)}, got ${json(actual)}`);
}

function compareActions(expected: NonNullable<CaseExpect['actions']>, o: Observed, out: string[]): void {
  const want = expected.map((a) => (typeof a === 'string' ? a : a.id));
  const got = o.actions.map((a) => a.id);
  const missing = want.filter((id) => !got.includes(id));
  const extra = got.filter((id) => !want.includes(id));
  if (missing.length || extra.length) {
    const notes = [
      ...(missing.length ? [`missing ${list(missing)}`] : []),
      ...(extra.length ? [`unexpected ${list(extra)}`] : []),
    ];
    out.push(`actions: expected ${list(want)}, got ${list(got)} (${notes.join('; ')})`);
  }
  for (const a of expected) {
    if (typeof a === 'string' || a.params === undefined) continue;
    const rec = o.actions.find((x) => x.id === a.id);
    if (rec) subsetMismatches(a.params, rec.params, `actions.${a.id}.params`, out);
  }
}

function compareApprovals(expected: NonNullable<CaseExpect['approvals']>, o: Observed, out: string[]): void {
  const got = o.approvals;
  const describe = (xs: ObservedApproval[]): string =>
    xs.length === 0
      ? 'none'
      : xs.map((a) => `${a.action} (${a.levels.length} level${a.levels.length === 1 ? '' : 's'})`).join(', ');
  if (typeof expected === 'number') {
    if (got.length !== expected)
      out.push(`approvals: expected ${expected}, got ${got.length}: ${describe(got)}`);
    return;
  }
  const want = expected.map((a) => a.action);
  const have = got.map((a) => a.action);
  const missing = want.filter((id) => !have.includes(id));
  const extra = have.filter((id) => !want.includes(id));
  if (missing.length || extra.length) {
    out.push(`approvals: expected gates on ${want.length ? list(want) : 'no action'}, got ${describe(got)}`);
  }
  for (const e of expected) {
    const g = got.find((a) => a.action === e.action);
    if (!g) continue;
    if (e.levels !== undefined && g.levels.length !== e.levels) {
      out.push(
        `approvals.${e.action}.levels: expected ${e.levels}, got ${g.levels.length} (${json(g.levels)})`,
      );
    }
    if (e.approvers !== undefined && !isDeepStrictEqual(e.approvers, g.levels)) {
      out.push(`approvals.${e.action}.approvers: expected ${json(e.approvers)}, got ${json(g.levels)}`);
    }
  }
}

function compareEscalation(
  expected: NonNullable<CaseExpect['escalation']>,
  o: Observed,
  out: string[],
): void {
  const got = o.escalations;
  const gotText = got.length ? got.map(describeEscalation).join(', ') : 'none';
  if (expected === false) {
    if (got.length) out.push(`escalation: expected none, got ${gotText}`);
    return;
  }
  if (expected === true) {
    if (!got.length) out.push('escalation: expected one, got none');
    return;
  }
  const e = typeof expected === 'string' ? { reason: expected } : expected;
  const match = got.find(
    (g) =>
      (e.reason === undefined || g.reason === e.reason) &&
      (e.to === undefined || g.to === e.to) &&
      (e.missing === undefined || isDeepStrictEqual([...e.missing].sort(), [...(g.missing ?? [])].sort())),
  );
  if (match) return;
  const parts = [
    ...(e.reason !== undefined ? [e.reason] : []),
    ...(e.to !== undefined ? [`to ${e.to}`] : []),
    ...(e.missing !== undefined ? [`missing ${e.missing.join(', ') || 'nothing'}`] : []),
  ];
  out.push(`escalation: expected ${parts.join('; ')}, got ${gotText}`);
}

/** The mismatches between a run and a case's expectations; empty when the case passes. */
export function compare(expect: CaseExpect, o: Observed): string[] {
  const out: string[] = [];
  if (expect.state !== undefined && expect.state !== o.state) {
    out.push(`state: expected ${expect.state}, got ${o.state}`);
  }
  if (expect.owner !== undefined && expect.owner !== o.owner) {
    out.push(`owner: expected ${expect.owner}, got ${o.owner}`);
  }
  if (expect.rule !== undefined && expect.rule !== o.rule) {
    out.push(
      `rule: expected ${json(expect.rule)}, got ${o.rule === undefined ? 'no decision' : json(o.rule)}`,
    );
  }
  if (expect.actions !== undefined) compareActions(expect.actions, o, out);
  if (expect.approvals !== undefined) compareApprovals(expect.approvals, o, out);
  if (expect.escalation !== undefined) compareEscalation(expect.escalation, o, out);
  if (out.length > 0 && o.failure !== undefined && expect.state !== 'failed') {
    out.push(`(the handoff failed: ${o.failure})`);
  }
  return out;
}
