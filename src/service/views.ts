// The public shapes of the HTTP API and `--json` output (SPEC §5).
import type {
  ApprovalRecord,
  EventRecord,
  HandoffRecord,
  HandoffSnapshot,
  InboxRecord,
  TaskRecord,
} from '../core/types.ts';
import type { CompiledFlow } from '../flow/compiled.ts';
import { submittedBy } from '../core/requester.ts';
import type { NoticeView } from '../channels/notices-view.ts';

export interface HandoffSummaryView {
  id: string;
  flow: string;
  flowVersion: string;
  state: HandoffRecord['state'];
  owner: string;
  mode: HandoffRecord['mode'];
  boundary: string;
  breached: boolean;
  rework: number;
  createdAt: string;
  updatedAt: string;
  handedOffAt?: string;
  acceptedAt?: string;
  completedAt?: string;
}

/** A handoff in a list or on the board: the summary and a little more. */
export interface HandoffListView extends HandoffSummaryView {
  /** One line from the input (subject.ts). */
  subject?: string;
  /** When the SLA runs out (handed off + acceptWithin), while an owner must accept. */
  slaDueAt?: string;
}

const iso = (ms: number): string => new Date(ms).toISOString();

/** An approval as the API shows it: every time an ISO string, like the rest of the API. */
export function approvalView(a: ApprovalRecord) {
  const { requestedAt, timeoutAt, remindAt, decidedAt, votes, overrides, ...rest } = a;
  return {
    ...rest,
    votes: votes.map((v) => ({ ...v, at: iso(v.at) })),
    requestedAt: iso(requestedAt),
    ...(timeoutAt !== undefined ? { timeoutAt: iso(timeoutAt) } : {}),
    ...(remindAt !== undefined ? { remindAt: remindAt.map(iso) } : {}),
    ...(decidedAt !== undefined ? { decidedAt: iso(decidedAt) } : {}),
    ...(overrides !== undefined ? { overrides: overrides.map((o) => ({ ...o, at: iso(o.at) })) } : {}),
  };
}

export type ApprovalView = ReturnType<typeof approvalView>;

export function taskView(t: TaskRecord) {
  return { ...t, createdAt: iso(t.createdAt) };
}

export type TaskView = ReturnType<typeof taskView>;

export function inboxView(m: InboxRecord) {
  return { ...m, createdAt: iso(m.createdAt) };
}

export type InboxView = ReturnType<typeof inboxView>;

export function summaryView(h: HandoffRecord): HandoffSummaryView {
  const v: HandoffSummaryView = {
    id: h.id,
    flow: h.flow,
    flowVersion: h.flowVersion,
    state: h.state,
    owner: h.owner,
    mode: h.mode,
    boundary: `${h.boundary.from}->${h.boundary.to}`,
    breached: h.breached,
    rework: h.rework,
    createdAt: iso(h.createdAt),
    updatedAt: iso(h.updatedAt),
  };
  if (h.handedOffAt !== undefined) v.handedOffAt = iso(h.handedOffAt);
  if (h.acceptedAt !== undefined) v.acceptedAt = iso(h.acceptedAt);
  if (h.completedAt !== undefined) v.completedAt = iso(h.completedAt);
  return v;
}

export function handoffView(s: HandoffSnapshot, events: EventRecord[], notices: NoticeView[] = []) {
  const h = s.handoff;
  return {
    ...summaryView(h),
    idempotencyKey: h.idempotencyKey,
    input: h.input,
    context: h.context,
    decision: h.decision,
    provenance: h.provenance?.map((p) => ({ ...p, at: iso(p.at) })) ?? null,
    costUsd: h.costUsd,
    requester: h.requester ?? null,
    submittedBy: submittedBy(s.ledger) ?? null,
    observed: h.observed ? { ...h.observed, at: iso(h.observed.at) } : null,
    actions: s.actions.map((a) => ({
      id: a.id,
      use: a.use,
      state: a.state,
      risk: a.risk,
      idempotencyKey: a.idempotencyKey,
      params: a.params,
      result: a.result ?? null,
      undo: a.undo ?? null,
      error: a.error ?? null,
      calls: a.calls,
      approvalId: a.approvalId ?? null,
    })),
    approvals: s.approvals.map(approvalView),
    ledger: s.ledger.map((l) => ({ ...l, from: iso(l.from), to: l.to === null ? null : iso(l.to) })),
    events: events.map((e) => ({
      seq: e.seq,
      at: iso(e.at),
      type: e.type,
      actor: e.actor,
      data: eventData(e),
      hash: e.hash,
    })),
    // Slack and email notices with their deliveries (only when channels are configured).
    ...(notices.length > 0 ? { notices } : {}),
  };
}

export type HandoffView = ReturnType<typeof handoffView>;

/**
 * An event's data as the API shows it. The log keeps what was written (and hashed); the one time
 * inside event data, each context source's `at`, is shown as an ISO string like every time.
 */
function eventData(e: EventRecord): EventRecord['data'] {
  const sources = (e.data as { sources?: unknown } | undefined)?.sources;
  if (e.type !== 'context_built' || !Array.isArray(sources)) return e.data;
  return {
    ...e.data,
    sources: sources.map((x: unknown) =>
      x !== null && typeof x === 'object' && typeof (x as { at?: unknown }).at === 'number'
        ? { ...x, at: iso((x as { at: number }).at) }
        : x,
    ),
  };
}

/** One event in `GET /v1/events` (the audit search): with its handoff and the hash it links to. */
export function auditEventView(e: EventRecord) {
  return {
    handoffId: e.handoffId,
    seq: e.seq,
    at: iso(e.at),
    type: e.type,
    actor: e.actor,
    data: eventData(e),
    prevHash: e.prevHash,
    hash: e.hash,
  };
}

/** A flow in `GET /v1/flows`. */
export function flowView(f: CompiledFlow) {
  return {
    id: f.def.id,
    name: f.def.name,
    mode: f.def.mode,
    version: f.version,
    boundary: `${f.def.boundary.from}->${f.def.boundary.to}`,
    trigger: Object.keys(f.def.trigger),
    actions: f.def.actions.map((a) => a.id),
  };
}

/** One flow in `GET /v1/flows/{flow}`. */
export function flowDetailView(f: CompiledFlow) {
  return { id: f.def.id, version: f.version, file: f.file, definition: f.def };
}
