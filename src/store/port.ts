// The storage port. Two adapters implement it (sqlite/, postgres/) and one contract suite
// (contract.ts) runs against both. Writes go through `commit`, which applies many handoffs'
// changes in one transaction (group commit) and checks each against the revision it read.
import type {
  ActionRecord,
  ApprovalRecord,
  EventRecord,
  HandoffRecord,
  HandoffSnapshot,
  HandoffState,
  InboxRecord,
  LedgerEntry,
  TaskRecord,
} from '../core/types.ts';
import type { AccessLevel } from '../core/project-schema.ts';
import type { DeliveryRecord, LinkRecord, OutboxRecord } from '../core/notices.ts';
import type { IntakeStore } from './intake-store.ts';
import type { EventFilter, EventPage } from './event-search.ts';

/**
 * An event ready to append: `dataJson` is the exact text the store hashes. The store chains the
 * events (each one's prevHash and hash) inside the commit's transaction, from the head it holds:
 * the chain is always computed from what is stored, and off the engine's hot path.
 */
export type NewEvent = Omit<EventRecord, 'prevHash' | 'hash'> & { dataJson: string };

/** Everything one step changed on one handoff; applied atomically. */
export interface HandoffCommit {
  /** The handoff row after the step; its `rev` is above `expectedRev` (by one per coalesced step). */
  handoff: HandoffRecord;
  /** The revision the step read; 0 inserts a new handoff (intake). */
  expectedRev: number;
  events: NewEvent[];
  actions?: ActionRecord[];
  approvals?: ApprovalRecord[];
  ledger?: LedgerEntry[];
  tasks?: TaskRecord[];
  inbox?: InboxRecord[];
  /** Notices for Slack and email, delivered by workers after the commit (state pending). */
  outbox?: OutboxRecord[];
}

export type CommitOutcome =
  | { ok: true }
  /** Another writer changed the handoff since it was read (or a newer worker claimed it). */
  | { ok: false; reason: 'conflict' }
  /** Intake only: the flow already has a handoff with this idempotency key. */
  | { ok: false; reason: 'duplicate'; id: string; state: HandoffState };

export interface FlowVersionRow {
  version: string;
  flowId: string;
  name: string;
  def: unknown;
  source: string;
  publishedAt: number;
}

/** The board's cross-owner queues (board.ts says what each holds). */
export const BOARD_QUEUES = ['unassigned', 'escalated', 'failed', 'outcome_unknown'] as const;
export type BoardQueue = (typeof BOARD_QUEUES)[number];

/** A published version in a flow's history: when it was published and how many handoffs pinned it. */
export interface FlowVersionSummary {
  version: string;
  name: string;
  publishedAt: number;
  handoffs: number;
}

export interface HandoffFilter {
  flow?: string;
  /** Only handoffs crossing this boundary (the flow's from and to). */
  boundary?: { from: string; to: string };
  /** Only open handoffs (not completed, rolled back or cancelled). */
  open?: boolean;
  /** Only the open handoffs of one board queue. */
  queue?: BoardQueue;
  /** Only these flows (a scoped token's reach); an empty list matches nothing. */
  flows?: readonly string[];
  owner?: string;
  state?: HandoffState;
  breached?: boolean;
  since?: number;
  limit?: number;
  /** Opaque cursor from a previous page. */
  cursor?: string;
}

/** What the board counts: open handoffs matching these, by owner. */
export type BoardFilter = Pick<HandoffFilter, 'flow' | 'flows' | 'boundary' | 'state' | 'owner'>;

/** One owner's open handoffs, counted by the store (one GROUP BY over open handoffs). */
export interface BoardOwnerCounts {
  owner: string;
  open: number;
  breached: number;
  /** When the longest-waiting one started waiting (handed off, or received when not yet). */
  oldestSince: number | null;
  unassigned: number;
  escalated: number;
  failed: number;
  outcomeUnknown: number;
}

export interface TokenRow {
  id: string;
  userId: string;
  access: AccessLevel;
  name?: string;
  hash: string;
  createdAt: number;
  revokedAt?: number;
  lastUsedAt?: number;
  /** Scope: only handoffs of these flows (absent: any flow). */
  flows?: string[];
  /** Scope: only flows whose boundary starts or ends at one of these teams (absent: any). */
  teams?: string[];
  /** Who created / revoked the token (a person id, or `first-run`). */
  createdBy?: string;
  revokedBy?: string;
}

export interface CheckpointRow {
  seq: number;
  at: number;
  heads: Array<[string, number, string]>;
  prevHash: string;
  hash: string;
}

/**
 * A budget reservation made before a model call (or any paid call): the estimate is held
 * against the caps until the call's cost is settled. Idempotent on `id`: asking again returns
 * the first answer, so a step repeated after a crash neither reserves twice nor changes its mind.
 */
export interface BudgetReservation {
  id: string;
  handoffId: string;
  flow: string;
  /** The UTC day the cost counts against (YYYY-MM-DD). */
  day: string;
  model: string;
  estimateUsd: number;
  at: number;
  caps: { perHandoffUsd?: number; perDayUsd?: number; maxCalls?: number };
}

export type ReserveOutcome =
  | { ok: true }
  | {
      ok: false;
      cap: 'per_handoff' | 'per_day' | 'model_calls';
      /** What is already spent or held against that cap (USD, or calls for model_calls). */
      used: number;
      limit: number;
    };

export interface BudgetSettlement {
  costUsd: number;
  inputTokens: number;
  outputTokens: number;
  cachedTokens: number;
  at: number;
}

/** One flow's spending on one day: what is settled and what is held for calls in flight. */
export interface BudgetDay {
  reservedUsd: number;
  spentUsd: number;
  calls: number;
}

export interface ClaimOptions {
  worker: string;
  now: number;
  leaseMs: number;
  limit: number;
}

export interface Store {
  readonly kind: 'sqlite' | 'postgres';
  /**
   * How group commit should feed this store: batches of up to `maxBatch` commits, with up to
   * `maxInFlight` batches outstanding (more than one only when the store writes concurrently
   * with the caller, e.g. on another thread or server). Default: 1000 and 1.
   */
  readonly batching?: { maxBatch: number; maxInFlight: number };
  migrate(): Promise<void>;
  close(): Promise<void>;

  publishFlow(row: FlowVersionRow): Promise<void>;
  flowVersion(version: string): Promise<FlowVersionRow | undefined>;
  /** Every published version of one flow, newest first, each with the handoffs that pinned it. */
  flowVersions(flowId: string): Promise<FlowVersionSummary[]>;

  /** Applies the commits in one transaction; one outcome per commit, in order. */
  commit(batch: readonly HandoffCommit[]): Promise<CommitOutcome[]>;
  /**
   * Leases up to `limit` handoffs that are due (wake_at <= now) and not leased by a live
   * worker: bumps attempt and rev, sets the lease, returns their snapshots.
   */
  claim(options: ClaimOptions): Promise<HandoffSnapshot[]>;
  /** The earliest wake_at of any handoff, to sleep until then. */
  nextWake(): Promise<number | undefined>;
  /**
   * Optional: calls `onWake` when another process commits work that is due now (PostgreSQL:
   * LISTEN/NOTIFY), so workers need not wait for their next poll. Resolves to an unsubscribe.
   */
  subscribeWake?(onWake: () => void): Promise<() => Promise<void>>;
  /** The workers that hold leases now (of handoffs or outbox notices). */
  leaseHolders(): Promise<string[]>;
  /**
   * Ends the leases of a worker known to be dead (its process is gone), so its work (and the
   * notices it was delivering) is taken over at once instead of when the leases expire. Bumps
   * handoff revisions: a late commit is fenced. Returns how many leases it ended.
   */
  releaseLeases(worker: string): Promise<number>;

  get(id: string): Promise<HandoffSnapshot | undefined>;
  byKey(flow: string, idempotencyKey: string): Promise<HandoffRecord | undefined>;
  events(handoffId: string): Promise<EventRecord[]>;
  /** Events across handoffs (by handoff, actor, type, flow, time), newest first, in pages. */
  searchEvents(filter: EventFilter): Promise<EventPage>;
  list(filter: HandoffFilter): Promise<{ items: HandoffRecord[]; nextCursor?: string }>;
  /** The board's counts: one row per owner holding open handoffs that match (board-sql.ts). */
  board(filter: BoardFilter): Promise<BoardOwnerCounts[]>;
  /** The newest `perOwner` open handoffs of each owner that match, in list order (board-sql.ts). */
  boardCards(filter: BoardFilter, perOwner: number): Promise<HandoffRecord[]>;
  approval(id: string): Promise<ApprovalRecord | undefined>;
  approvals(filter: {
    state?: ApprovalRecord['state'];
    handoffId?: string;
    /** Only approvals of these flows; an empty list matches nothing. */
    flows?: readonly string[];
    limit?: number;
  }): Promise<ApprovalRecord[]>;
  tasks(filter: {
    assignees?: string[];
    state?: TaskRecord['state'];
    handoffId?: string;
    limit?: number;
  }): Promise<TaskRecord[]>;
  inbox(filter: { owners?: string[]; limit?: number }): Promise<InboxRecord[]>;

  createToken(row: TokenRow): Promise<void>;
  /**
   * Creates the token only when the store has never held one (revoked ones count), atomically
   * also across processes: the first-run admin token is created once. True when created.
   */
  createFirstToken(row: TokenRow): Promise<boolean>;
  tokenByHash(hash: string): Promise<TokenRow | undefined>;
  revokeToken(id: string, at: number, by?: string): Promise<boolean>;
  listTokens(): Promise<TokenRow[]>;

  // ---- channels (Slack, email): the outbox, its deliveries, email link tokens, seen requests

  /** Leases up to `limit` outbox rows that are due (next_at <= now) and not leased by a live worker. */
  claimOutbox(options: ClaimOptions): Promise<OutboxRecord[]>;
  /**
   * Records what became of a leased outbox row and ends the lease. False (and nothing changed)
   * when `worker` no longer holds the lease.
   */
  settleOutbox(
    id: string,
    worker: string,
    change: Pick<OutboxRecord, 'state' | 'attempts' | 'nextAt'> & { error?: string },
  ): Promise<boolean>;
  outbox(filter: {
    handoffId?: string;
    state?: OutboxRecord['state'];
    limit?: number;
  }): Promise<OutboxRecord[]>;
  /** Inserts or replaces the delivery of one notice to one person through one channel. */
  putDelivery(d: DeliveryRecord): Promise<void>;
  deliveries(filter: { outboxId?: string; approvalId?: string }): Promise<DeliveryRecord[]>;
  createLink(link: LinkRecord): Promise<void>;
  link(hash: string): Promise<LinkRecord | undefined>;
  /**
   * Uses a link: atomically marks it used when it is unused and not expired at `now`. Returns
   * the link when this call used it; undefined when it is unknown, used or expired.
   */
  useLink(hash: string, now: number): Promise<LinkRecord | undefined>;
  /** Makes a link usable again (its use at `usedAt` decided nothing, e.g. a write conflict). */
  releaseLink(hash: string, usedAt: number): Promise<void>;
  /**
   * Remembers a signed request's key; false when it was seen before (a replay). Keys older than
   * `forgetBefore` are dropped.
   */
  rememberRequest(key: string, at: number, forgetBefore: number): Promise<boolean>;

  /** Audit: every handoff id with its stored head, in id order, page by page. */
  heads(
    after: string | undefined,
    limit: number,
  ): Promise<Array<{ id: string; eventSeq: number; headHash: string }>>;
  checkpoints(afterSeq: number, limit: number): Promise<CheckpointRow[]>;

  /**
   * Reserves budget in one transaction of its own: refused (and the refusal stored) when the
   * estimate would take the handoff or the flow's day past a cap, or the handoff past its
   * model calls. Concurrent reservations of one flow and day are serialized by the store.
   */
  reserveBudget(r: BudgetReservation): Promise<ReserveOutcome>;
  /**
   * Settles a reservation with the cost actually reported: the estimate is released and the
   * cost spent. Idempotent: a settled reservation keeps its first cost, which is returned.
   * Undefined when there is no such granted reservation.
   */
  settleBudget(id: string, s: BudgetSettlement): Promise<{ costUsd: number } | undefined>;
  budgetDay(flow: string, day: string): Promise<BudgetDay>;
  /** Reservations still held (not settled) that were made before `before`, oldest first. */
  heldReservations(
    before: number,
    limit: number,
  ): Promise<Array<{ id: string; handoffId: string; estimateUsd: number }>>;

  /** Intake's records: the dead-letter list, when triggers fired, the schedules' slots. */
  readonly intake: IntakeStore;

  /** Raw SQL for read-only reports (metrics); parameters are positional. */
  query<T = Record<string, unknown>>(sql: string, params?: readonly unknown[]): Promise<T[]>;
}
