// Database rows ↔ domain records. Row types are kept apart from domain types: columns are
// snake_case, JSON is text, booleans are 0/1, and absent values are NULL.
import type {
  ActionRecord,
  ApprovalRecord,
  EventRecord,
  HandoffRecord,
  InboxRecord,
  LedgerEntry,
  TaskRecord,
} from '../core/types.ts';
import type { FlowVersionSummary, HandoffCommit, TokenRow } from './port.ts';
import { chainBatch, unchained, type ChainedBatch, type UnchainedEvent } from './event-batches.ts';
import type { OwnerRef } from '../core/owner.ts';
import { json, num, optJson, optNum, optStr, type Row } from './row-values.ts';
import { outboxToRow } from './notice-rows.ts';

export const HANDOFF_COLUMNS = [
  'id',
  'flow_id',
  'flow_version',
  'mode',
  'idem_key',
  'state',
  'owner',
  'boundary_from',
  'boundary_to',
  'input',
  'context',
  'decision',
  'requester',
  'observed',
  'created_at',
  'updated_at',
  'handed_off_at',
  'accepted_at',
  'completed_at',
  'wake_at',
  'breached',
  'ladder_step',
  'rework',
  'cost_usd',
  'rev',
  'attempt',
  'lease_owner',
  'lease_until',
  'event_seq',
  'head_hash',
  'provenance',
  'model_state',
] as const;

/** Where head_hash sits in a handoff row. */
const HEAD_HASH_AT = HANDOFF_COLUMNS.indexOf('head_hash');

/**
 * Chains a commit's events onto the head the store holds (`prevHash`) and sets the handoff row's
 * head_hash to the new head; the batch row to write, or undefined when no events are appended.
 */
export function chainCommit(c: CommitRows, prevHash: string): ChainedBatch | undefined {
  const b = c.events.length > 0 ? chainBatch(c.id, prevHash, c.events) : undefined;
  c.handoff[HEAD_HASH_AT] = b ? b.lastHash : prevHash;
  return b;
}

/**
 * A handoff's input, context and decision are replaced, never changed in place, so their JSON
 * is computed once per object rather than at every commit of the handoff.
 */
const jsonCache = new WeakMap<object, string>();
function jsonOnce(value: object): string {
  let text = jsonCache.get(value);
  if (text === undefined) {
    text = JSON.stringify(value);
    jsonCache.set(value, text);
  }
  return text;
}

/**
 * The `wake_at` a store keeps: when someone should next look at the handoff. While a worker
 * holds the lease, that is no earlier than the lease's end (when it would be taken over), so
 * claims never scan past the handoffs other workers are running, however many are in flight.
 * The engine computes `wakeAt` afresh before every commit; this is only the store's schedule.
 */
export function storedWake(h: HandoffRecord): number | null {
  if (h.leaseOwner === undefined || h.leaseUntil === undefined) return h.wakeAt;
  return h.wakeAt === null ? h.leaseUntil : Math.max(h.wakeAt, h.leaseUntil);
}
export function handoffToRow(h: HandoffRecord): unknown[] {
  return [
    h.id,
    h.flow,
    h.flowVersion,
    h.mode,
    h.idempotencyKey,
    h.state,
    h.owner,
    h.boundary.from,
    h.boundary.to,
    jsonOnce(h.input),
    h.context === null ? null : jsonOnce(h.context),
    h.decision === null ? null : jsonOnce(h.decision),
    h.requester ?? null,
    h.observed ? JSON.stringify(h.observed) : null,
    h.createdAt,
    h.updatedAt,
    h.handedOffAt ?? null,
    h.acceptedAt ?? null,
    h.completedAt ?? null,
    storedWake(h),
    h.breached ? 1 : 0,
    h.ladderStep,
    h.rework,
    h.costUsd,
    h.rev,
    h.attempt,
    h.leaseOwner ?? null,
    h.leaseUntil ?? null,
    h.eventSeq,
    h.headHash,
    h.provenance ? jsonOnce(h.provenance) : null,
    h.model ? JSON.stringify(h.model) : null,
  ];
}

export function rowToHandoff(r: Row): HandoffRecord {
  const h: HandoffRecord = {
    id: String(r.id),
    flow: String(r.flow_id),
    flowVersion: String(r.flow_version),
    mode: String(r.mode) as HandoffRecord['mode'],
    idempotencyKey: String(r.idem_key),
    state: String(r.state) as HandoffRecord['state'],
    owner: String(r.owner) as OwnerRef,
    boundary: { from: String(r.boundary_from), to: String(r.boundary_to) },
    input: json(r.input),
    context: r.context === null ? null : json(r.context),
    decision: r.decision === null ? null : json(r.decision),
    createdAt: num(r.created_at),
    updatedAt: num(r.updated_at),
    wakeAt: r.wake_at === null ? null : num(r.wake_at),
    breached: Boolean(num(r.breached)),
    ladderStep: num(r.ladder_step),
    rework: num(r.rework),
    costUsd: num(r.cost_usd),
    rev: num(r.rev),
    attempt: num(r.attempt),
    eventSeq: num(r.event_seq),
    headHash: String(r.head_hash),
  };
  const requester = optStr(r.requester);
  if (requester !== undefined) h.requester = requester;
  const observed = optJson<HandoffRecord['observed']>(r.observed);
  if (observed) h.observed = observed;
  const handedOffAt = optNum(r.handed_off_at);
  if (handedOffAt !== undefined) h.handedOffAt = handedOffAt;
  const acceptedAt = optNum(r.accepted_at);
  if (acceptedAt !== undefined) h.acceptedAt = acceptedAt;
  const completedAt = optNum(r.completed_at);
  if (completedAt !== undefined) h.completedAt = completedAt;
  const leaseOwner = optStr(r.lease_owner);
  if (leaseOwner !== undefined) h.leaseOwner = leaseOwner;
  const leaseUntil = optNum(r.lease_until);
  if (leaseUntil !== undefined) h.leaseUntil = leaseUntil;
  const provenance = optJson<HandoffRecord['provenance']>(r.provenance);
  if (provenance) h.provenance = provenance;
  const model = optJson<HandoffRecord['model']>(r.model_state);
  if (model) h.model = model;
  return h;
}

export function actionToRow(handoffId: string, a: ActionRecord): unknown[] {
  return [
    handoffId,
    a.id,
    a.order,
    a.use,
    a.state,
    a.risk,
    a.idempotencyKey,
    JSON.stringify(a.params),
    a.result === undefined ? null : JSON.stringify(a.result),
    a.error ?? null,
    a.calls,
    a.startedAttempt ?? null,
    a.nextAttemptAt ?? null,
    a.approvalId ?? null,
    a.updatedAt,
    a.undo === undefined ? null : JSON.stringify(a.undo),
  ];
}

export function rowToAction(r: Row): ActionRecord {
  const a: ActionRecord = {
    id: String(r.id),
    use: String(r.use),
    state: String(r.state) as ActionRecord['state'],
    risk: String(r.risk) as ActionRecord['risk'],
    idempotencyKey: String(r.idem_key),
    params: json(r.params),
    calls: num(r.calls),
    order: num(r.ord),
    updatedAt: num(r.updated_at),
  };
  const result = optJson<unknown>(r.result);
  if (result !== undefined) a.result = result;
  const error = optStr(r.error);
  if (error !== undefined) a.error = error;
  const startedAttempt = optNum(r.started_attempt);
  if (startedAttempt !== undefined) a.startedAttempt = startedAttempt;
  const next = optNum(r.next_attempt_at);
  if (next !== undefined) a.nextAttemptAt = next;
  const approvalId = optStr(r.approval_id);
  if (approvalId !== undefined) a.approvalId = approvalId;
  // NULL: nothing captured; the JSON text `null`: captured, and there was nothing to keep.
  if (typeof r.undo === 'string') a.undo = JSON.parse(r.undo) as unknown;
  return a;
}

export const rowToApproval = (r: Row): ApprovalRecord => json<ApprovalRecord>(r.body);

export function rowToLedger(r: Row): LedgerEntry {
  const e: LedgerEntry = {
    seq: num(r.seq),
    owner: String(r.owner) as OwnerRef,
    from: num(r.from_at),
    to: r.to_at === null ? null : num(r.to_at),
    reason: String(r.reason),
    status: String(r.status) as LedgerEntry['status'],
  };
  const by = optStr(r.by_user);
  if (by !== undefined) e.by = by;
  return e;
}

export function rowToEvent(r: Row): EventRecord {
  const actor: EventRecord['actor'] = {
    kind: String(r.actor_kind) as EventRecord['actor']['kind'],
    id: String(r.actor_id),
  };
  const via = optStr(r.via);
  if (via !== undefined) actor.via = via;
  return {
    handoffId: String(r.handoff_id),
    seq: num(r.seq),
    at: num(r.at),
    type: String(r.type),
    actor,
    data: json(r.data),
    prevHash: String(r.prev_hash),
    hash: String(r.hash),
  };
}

export function rowToTask(r: Row): TaskRecord {
  const t: TaskRecord = {
    id: String(r.id),
    handoffId: String(r.handoff_id),
    kind: String(r.kind) as TaskRecord['kind'],
    title: String(r.title),
    assignee: String(r.assignee),
    state: String(r.state) as TaskRecord['state'],
    createdAt: num(r.created_at),
  };
  const body = optStr(r.body);
  if (body !== undefined) t.body = body;
  const data = optJson<Record<string, unknown>>(r.data);
  if (data !== undefined) t.data = data;
  return t;
}

export function rowToInbox(r: Row): InboxRecord {
  return {
    id: String(r.id),
    owner: String(r.owner),
    handoffId: String(r.handoff_id),
    kind: String(r.kind) as InboxRecord['kind'],
    text: String(r.text),
    createdAt: num(r.created_at),
  };
}

/** A flow's published versions, newest first, with how many handoffs pinned each (one scan of its handoffs). */
export const FLOW_VERSIONS_SQL = `SELECT v.version, v.name, v.published_at, COALESCE(c.n, 0) AS handoffs
  FROM flow_versions v
  LEFT JOIN (SELECT flow_version, COUNT(*) AS n FROM handoffs WHERE flow_id = ? GROUP BY flow_version) c
    ON c.flow_version = v.version
  WHERE v.flow_id = ?
  ORDER BY v.published_at DESC, v.version DESC`;

export function versionSummary(r: Row): FlowVersionSummary {
  return {
    version: String(r.version),
    name: String(r.name),
    publishedAt: Number(r.published_at),
    handoffs: Number(r.handoffs),
  };
}

export function rowToToken(r: Row): TokenRow {
  const t: TokenRow = {
    id: String(r.id),
    userId: String(r.user_id),
    access: String(r.access) as TokenRow['access'],
    hash: String(r.hash),
    createdAt: num(r.created_at),
  };
  const name = optStr(r.name);
  if (name !== undefined) t.name = name;
  const revokedAt = optNum(r.revoked_at);
  if (revokedAt !== undefined) t.revokedAt = revokedAt;
  const lastUsedAt = optNum(r.last_used_at);
  if (lastUsedAt !== undefined) t.lastUsedAt = lastUsedAt;
  const flows = optStr(r.flows);
  if (flows !== undefined) t.flows = JSON.parse(flows) as string[];
  const teams = optStr(r.teams);
  if (teams !== undefined) t.teams = JSON.parse(teams) as string[];
  const createdBy = optStr(r.created_by);
  if (createdBy !== undefined) t.createdBy = createdBy;
  const revokedBy = optStr(r.revoked_by);
  if (revokedBy !== undefined) t.revokedBy = revokedBy;
  return t;
}

/** The tokens row's values, in the column order of TOKEN_COLUMNS. */
export const TOKEN_COLUMNS = 'id, user_id, access, name, hash, created_at, flows, teams, created_by';
export function tokenValues(t: TokenRow): unknown[] {
  return [
    t.id,
    t.userId,
    t.access,
    t.name ?? null,
    t.hash,
    t.createdAt,
    t.flows ? JSON.stringify(t.flows) : null,
    t.teams ? JSON.stringify(t.teams) : null,
    t.createdBy ?? null,
  ];
}

/** Cursor for keyset pagination over (created_at, id). */
export function encodeCursor(createdAt: number, id: string): string {
  return Buffer.from(`${createdAt}:${id}`).toString('base64url');
}

export function decodeCursor(cursor: string): { createdAt: number; id: string } | undefined {
  const text = Buffer.from(cursor, 'base64url').toString();
  const i = text.indexOf(':');
  const createdAt = Number(text.slice(0, i));
  if (i < 1 || !Number.isFinite(createdAt)) return undefined;
  return { createdAt, id: text.slice(i + 1) };
}

/** A commit as plain rows (flat value lists per table): cheap to pass to a writer thread. */
export interface CommitRows {
  id: string;
  flow: string;
  key: string;
  expectedRev: number;
  handoff: unknown[];
  /** The events to append, not yet hash-chained (the store chains them onto its stored head). */
  events: UnchainedEvent[];
  actions: unknown[];
  approvals: unknown[];
  ledger: unknown[];
  tasks: unknown[];
  inbox: unknown[];
  outbox: unknown[];
}

export function commitToRows(c: HandoffCommit): CommitRows {
  const h = c.handoff;
  if (h.rev <= c.expectedRev)
    throw new Error(`commit for ${h.id}: rev ${h.rev} does not follow ${c.expectedRev}`);
  const events = unchained(c.events);
  const actions: unknown[] = [];
  for (const a of c.actions ?? []) actions.push(...actionToRow(h.id, a));
  const approvals: unknown[] = [];
  for (const a of c.approvals ?? []) {
    approvals.push(a.id, a.handoffId, a.flow, a.state, a.requestedAt, a.decidedAt ?? null, JSON.stringify(a));
  }
  const ledger: unknown[] = [];
  for (const l of c.ledger ?? [])
    ledger.push(h.id, l.seq, l.owner, l.from, l.to, l.reason, l.status, l.by ?? null);
  const tasks: unknown[] = [];
  for (const t of c.tasks ?? []) {
    tasks.push(
      t.id,
      t.handoffId,
      t.kind,
      t.title,
      t.body ?? null,
      t.assignee,
      t.state,
      t.createdAt,
      t.data === undefined ? null : JSON.stringify(t.data),
    );
  }
  const inbox: unknown[] = [];
  for (const m of c.inbox ?? []) inbox.push(m.id, m.owner, m.handoffId, m.kind, m.text, m.createdAt);
  const outbox: unknown[] = [];
  for (const o of c.outbox ?? []) for (const v of outboxToRow(o)) outbox.push(v);
  return {
    id: h.id,
    flow: h.flow,
    key: h.idempotencyKey,
    expectedRev: c.expectedRev,
    handoff: handoffToRow(h),
    events,
    actions,
    approvals,
    ledger,
    tasks,
    inbox,
    outbox,
  };
}
