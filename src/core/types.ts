// Glossary — the words Baton uses everywhere:
//
//   flow        one handoff boundary declared in a flow file (see flow-schema.ts); published to the
//               store under its content hash (the flow *version*), which every handoff pins.
//   handoff     one piece of work crossing a flow's boundary: a durable record with input, context,
//               decision, actions, approvals, the current owner and the ownership ledger.
//   owner       who holds the work now (owner.ts): user:, team:, role: or agent:<flow>.
//   event       an append-only, hash-chained record of everything that happened to a handoff.
//               The audit log *is* the event log.
//   action      a call a flow may make, only from its allowlist; it has a state, risk, an
//               idempotency key and optionally a rollback.
//   approval    a human gate before an action runs (kind `action`) or, in suggest mode, before a
//               decision is carried out (kind `decision`).
//   ledger      every owner a handoff had, from when to when, why it changed and whether the new
//               owner accepted or declined.
//   rev         the handoff row's revision; every commit must name the revision it read
//               (optimistic concurrency), which also fences stale workers.
//   attempt     bumped on every claim of a handoff by a worker (the lease fence).
import type { OwnerRef } from './owner.ts';
import type { FlowMode, RiskLevel } from './flow-schema.ts';

export const HANDOFF_STATES = [
  'received',
  'building_context',
  'deciding',
  'acting',
  'awaiting_approval',
  'handed_off',
  'accepted',
  'completed',
  'escalated',
  'returned',
  'failed',
  'rolled_back',
  'cancelled',
] as const;
export type HandoffState = (typeof HANDOFF_STATES)[number];

export const TERMINAL_STATES: ReadonlySet<HandoffState> = new Set(['completed', 'rolled_back', 'cancelled']);
/** States in which a person holds the work and the engine only watches clocks. */
export const WAITING_FOR_OWNER: ReadonlySet<HandoffState> = new Set(['handed_off', 'escalated', 'returned']);

export const ACTION_STATES = [
  'pending',
  'awaiting_approval',
  'running',
  'succeeded',
  'failed',
  'outcome_unknown',
  'skipped',
  'rolled_back',
] as const;
export type ActionState = (typeof ACTION_STATES)[number];

export const RETURN_REASONS = [
  'missing_info',
  'wrong_owner',
  'wrong_priority',
  'duplicate',
  'not_actionable',
  'other',
] as const;
export type ReturnReason = (typeof RETURN_REASONS)[number];

export const ESCALATION_REASONS = [
  'low_confidence',
  'approval_timeout',
  'sla_breach',
  'action_failed',
  'cost_cap',
  'contract_unmet',
  'invalid_model_answer',
  'no_rule',
  'approval_unreachable',
  'requester_unknown',
] as const;
export type EscalationReason = (typeof ESCALATION_REASONS)[number];

/** Who did something: a person, the engine (rules, timers) or the system. */
export interface Actor {
  kind: 'user' | 'engine' | 'system';
  id: string;
  /** Through which channel a person acted: api, cli, slack, email, console. */
  via?: string;
}

export interface Decision {
  owner: OwnerRef;
  /** Allowlisted action ids the decision selected. */
  actions: string[];
  /** How the decision was made: a rule, the otherwise branch, the model, or a person. */
  by: 'rule' | 'otherwise' | 'llm' | 'human';
  /** A person's correction: how the decision they corrected was made (its rework counts there). */
  overrides?: 'rule' | 'otherwise' | 'llm';
  rule?: { index: number; name?: string; when: string };
  /** The input/context paths the deciding expression read, with their values. */
  reads: Record<string, unknown>;
  confidence?: number;
  rationale?: string;
  evidence?: string[];
  /** The model that decided (`by: llm`). */
  model?: string;
  /**
   * The model decided while untrusted text was in its context. Outbound and high-risk actions
   * need a person's approval while untrusted text is in the context whoever decided (the trust
   * boundary); this flag records it for the model's decision.
   */
  untrusted?: boolean;
  /** Hashes of the approval policies in force for this decision (policy versions). */
  policyVersions: Record<string, string>;
}

export interface LedgerEntry {
  seq: number;
  owner: OwnerRef;
  from: number;
  to: number | null;
  reason: string;
  status: 'pending' | 'accepted' | 'declined' | 'returned' | 'reassigned' | 'completed' | 'released';
  by?: string;
}

export interface ActionRecord {
  id: string;
  use: string;
  state: ActionState;
  risk: RiskLevel;
  idempotencyKey: string;
  params: Record<string, unknown>;
  result?: unknown;
  /** What the action's `capture` read before the call: what its rollback restores. */
  undo?: unknown;
  error?: string;
  /** How many times the call was started. */
  calls: number;
  /** The handoff attempt (lease) during which the current call started. */
  startedAttempt?: number;
  nextAttemptAt?: number;
  approvalId?: string;
  order: number;
  updatedAt: number;
}

export interface ApprovalVote {
  user: string;
  /** The person `user` stood in for (a delegation in baton.yaml); the vote counts as theirs. */
  for?: string;
  decision: 'approve' | 'reject';
  level: number;
  at: number;
  comment?: string;
  via?: string;
}

export interface ApprovalLevelState {
  name?: string;
  approvers: string[];
  quorum: number;
  /** The approvers are the flow's fallback owner standing in (nobody was named): decisions are labelled fallback. */
  fallback?: true;
}

export interface ApprovalRecord {
  id: string;
  handoffId: string;
  flow: string;
  kind: 'action' | 'decision';
  actionId?: string;
  state: 'pending' | 'approved' | 'rejected' | 'timed_out' | 'voided';
  policyVersion: string;
  levels: ApprovalLevelState[];
  level: number;
  votes: ApprovalVote[];
  /** The first of `requesters` (kept for display). */
  requester?: string;
  /** Everyone who asked for this (the flow's requester, the intake's token person): none of them may vote. */
  requesters?: string[];
  /** Levels a timeout decided (onTimeout approve decides its own level only). */
  timedOutLevels?: number[];
  /** How long each level may wait (a timeout that decides a level starts the next one's clock). */
  timeoutMs?: number;
  requestedAt: number;
  timeoutAt?: number;
  /** Reminder times still to come (epoch ms, earliest first); each fires once. */
  remindAt?: number[];
  onTimeout: 'escalate' | 'approve' | 'approve-all' | 'reject';
  onReject: 'stop' | 'skip';
  decidedAt?: number;
  /** human | rule | fallback | timeout, and who. */
  decidedBy?: {
    label: 'human' | 'rule' | 'fallback' | 'timeout';
    user?: string;
    /** The person `user` stood in for, when deciding by delegation. */
    for?: string;
    via?: string;
  };
  comment?: string;
  /** What is being approved, shown to the approver. */
  summary: string;
  params?: Record<string, unknown>;
  /**
   * sha256 of the canonical JSON of {handoff, action, params}: the approval holds only for
   * exactly these parameters (an approver's edit re-binds it; any other change voids it).
   */
  binding?: string;
  /** Approvers' edits of the parameters, oldest first (each is also an `overridden` event). */
  overrides?: ApprovalOverride[];
  /** How many reminders went out before the timeout. */
  remindersSent?: number;
}

export interface ApprovalOverride {
  by: string;
  /** The person `by` stood in for, if any. */
  for?: string;
  at: number;
  level: number;
  previous: Record<string, unknown>;
  params: Record<string, unknown>;
  binding: string;
  /** Levels the edit made necessary (a stricter policy level now applies). */
  addedLevels?: ApprovalLevelState[];
}

export interface EventRecord {
  handoffId: string;
  seq: number;
  at: number;
  type: string;
  actor: Actor;
  data: Record<string, unknown>;
  prevHash: string;
  hash: string;
}

/** Where a context field came from and how far it is trusted (SPEC §3.11). */
export interface ContextProvenance {
  name: string;
  /** The context source, e.g. `crm.findCompany`. */
  use: string;
  trust: 'trusted' | 'untrusted';
  /** Top-level fields of the answer written by outsiders (a ticket's description): untrusted. */
  untrustedFields?: string[];
  at: number;
  found: boolean;
}

/** A handoff's model calls: how many started, and the one in flight (committed before the call). */
export interface ModelCallState {
  calls: number;
  running?: {
    call: number;
    /** The budget reservation held for it. */
    reservation: string;
    model: string;
    estimateUsd: number;
    /** The handoff attempt (lease) during which the call started. */
    startedAttempt: number;
  };
}

export interface HandoffRecord {
  id: string;
  flow: string;
  flowVersion: string;
  mode: FlowMode;
  idempotencyKey: string;
  state: HandoffState;
  owner: OwnerRef;
  input: Record<string, unknown>;
  context: Record<string, unknown> | null;
  decision: Decision | null;
  boundary: { from: string; to: string };
  /** Who asked, as the flow's `requester` names them (a person id when it names a known person). */
  requester?: string;
  createdAt: number;
  updatedAt: number;
  handedOffAt?: number;
  acceptedAt?: number;
  completedAt?: number;
  /** When the engine must look at this handoff next (timers, retries); null: nothing due. */
  wakeAt: number | null;
  breached: boolean;
  /** Index of the next escalation-ladder step to fire. */
  ladderStep: number;
  rework: number;
  costUsd: number;
  /** Provenance of each context field (set when the context is built). */
  provenance?: ContextProvenance[];
  model?: ModelCallState;
  /** Shadow mode: what people did, and whether Baton agreed. */
  /** Shadow mode: where people routed the work, recorded once (`by`: who recorded it). */
  observed?: { owner: string; agreed: boolean; at: number; by?: string };
  rev: number;
  attempt: number;
  leaseOwner?: string;
  leaseUntil?: number;
  eventSeq: number;
  /** The hash of the last event, as stored: the store computes it when it commits events, so an
   * engine's working copy may hold an older one. */
  headHash: string;
}

export interface TaskRecord {
  id: string;
  handoffId: string;
  kind: 'task' | 'ticket' | 'draft';
  title: string;
  body?: string;
  assignee: string;
  state: 'open' | 'done' | 'cancelled';
  createdAt: number;
  data?: Record<string, unknown>;
}

export interface InboxRecord {
  id: string;
  owner: string;
  handoffId: string;
  kind: 'handoff' | 'reminder' | 'notification' | 'approval' | 'escalation';
  text: string;
  createdAt: number;
}

/** Everything known about one handoff. */
export interface HandoffSnapshot {
  handoff: HandoffRecord;
  actions: ActionRecord[];
  approvals: ApprovalRecord[];
  ledger: LedgerEntry[];
}
