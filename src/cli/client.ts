// The one interface every handoff command is written against. Two implementations: direct.ts
// (opens the project's store through the Baton service) and http.ts (talks to a server).
import type { FailureView } from '../service/intake-view.ts';
import type { TriggerView } from '../service/triggers-view.ts';
import type { ApprovalRecord, HandoffState } from '../core/types.ts';
import type { ApprovalView, InboxView, TaskView } from '../service/views.ts';
import type { HandoffSummaryView, HandoffView } from '../service/views.ts';
import type { AuditResult } from '../audit/verify.ts';
import type { FlowReload } from '../service/reload.ts';
import type { ConnectorCheck, ConnectorsView } from '../service/connectors.ts';

export interface ListFilter {
  flow?: string;
  owner?: string;
  state?: HandoffState;
  breached?: boolean;
  /** Epoch milliseconds. */
  since?: number;
  limit?: number;
  cursor?: string;
}

export interface Page<T> {
  items: T[];
  nextCursor: string | null;
}

export interface SendResult {
  id: string;
  state: HandoffState;
  /** False when the idempotency key named an existing handoff. */
  created?: boolean;
}

/** What a person does to a handoff; `kind` is also the HTTP route's last segment. */
export type HandoffCommand =
  | { kind: 'accept'; comment?: string }
  | { kind: 'decline'; reason: string; comment?: string }
  | { kind: 'return'; reason: string; comment?: string }
  | { kind: 'reassign'; to: string; comment?: string }
  | { kind: 'amend'; input: Record<string, unknown>; comment?: string }
  | { kind: 'complete'; comment?: string }
  | { kind: 'cancel'; comment?: string }
  | { kind: 'rollback'; comment?: string }
  | { kind: 'retry'; comment?: string }
  | { kind: 'resolve'; action: string; outcome: 'succeeded' | 'failed' | 'retry'; comment?: string };

export interface Decision {
  decision: 'approve' | 'reject';
  comment?: string;
  edits?: { owner?: string; params?: Record<string, unknown> };
}

export interface DecideResult {
  approval: ApprovalView;
  handoff: { id: string; state: HandoffState; owner: string };
}

/** Tasks and inbox items as the API shows them (times may be epoch ms or ISO text). */
export type TaskItem = TaskView;
export type InboxItem = InboxView;

export interface FlowItem {
  id: string;
  name: string;
  mode: string;
  version: string;
  boundary?: string;
}

export interface ReplayResult {
  outcome: 'created' | 'duplicate' | 'commented' | 'failed';
  handoffId?: string;
  reason?: string;
  message?: string;
  failure: FailureView;
}

export interface Client {
  readonly mode: 'direct' | 'http';
  /** The server URL, or the project folder and its store. */
  readonly where: string;

  /** Intake. `settle` (default true) lets the handoff advance before answering, in direct mode. */
  send(flow: string, input: unknown, options?: { settle?: boolean }): Promise<SendResult>;
  /** Runs due work now (direct mode; over HTTP the server's worker does it). */
  settle(): Promise<void>;
  list(filter: ListFilter): Promise<Page<HandoffSummaryView>>;
  get(id: string): Promise<HandoffView>;
  /** The handoff a flow's idempotency key names (`lead-to-owner` + `L-1`). */
  getByKey(flow: string, key: string): Promise<HandoffView>;
  act(id: string, command: HandoffCommand): Promise<HandoffView>;
  /** Shadow mode: where people routed the work (once per handoff). */
  observed(id: string, owner: string): Promise<HandoffView>;
  approvals(filter: { state?: ApprovalRecord['state']; handoffId?: string }): Promise<ApprovalView[]>;
  /** `id` is an approval id, or a handoff id with exactly one pending approval. */
  decide(id: string, decision: Decision): Promise<DecideResult>;
  tasks(filter: { owner?: string; state?: TaskView['state'] }): Promise<TaskItem[]>;
  inbox(filter: { owner?: string }): Promise<InboxItem[]>;
  flows(): Promise<FlowItem[]>;
  /** A running server reads its flow files again (HTTP mode only). */
  reload(): Promise<FlowReload>;
  connectors(): Promise<ConnectorsView>;
  /** One read call per connector (or the one named). */
  checkConnectors(name?: string): Promise<ConnectorCheck[]>;
  /** `boundary` is `from->to`; `since` and `until` are epoch ms. */
  summary(filter: { since?: number; until?: number; flow?: string; boundary?: string }): Promise<unknown>;
  /** The dead-letter list of intake, newest first. */
  intakeFailures(filter: {
    flow?: string;
    state?: FailureView['state'];
    limit?: number;
  }): Promise<FailureView[]>;
  /** One entry, with its whole payload. */
  intakeFailure(id: string): Promise<FailureView>;
  replayIntake(id: string): Promise<ReplayResult>;
  dropIntake(id: string): Promise<FailureView>;
  /** Each flow's triggers: live or not, where they listen, when they last fired. */
  triggers(): Promise<Array<{ flow: string; triggers: TriggerView[] }>>;
  auditVerify(): Promise<AuditResult>;
  /** Writes NDJSON lines; returns how many. */
  auditExport(write: (line: string) => void, options: { handoffId?: string }): Promise<number>;
  close(): Promise<void>;
}
