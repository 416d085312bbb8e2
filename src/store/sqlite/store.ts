// The embedded store: one SQLite file in WAL mode with synchronous=FULL, so a handoff
// acknowledged with 202 survives a crash or a power cut. Throughput comes from group commit
// (many handoffs' steps in one transaction), not from weaker durability.
import { DatabaseSync } from 'node:sqlite';
import { IntakeStore } from '../intake-store.ts';
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import type { ApprovalRecord, HandoffSnapshot, TaskRecord } from '../../core/types.ts';
import { checkpointHash, GENESIS } from '../../core/hash-chain.ts';
import { BatonError } from '../../core/errors.ts';
import { SqliteBudget } from './budget.ts';
import { HELD_RESERVATIONS_SQL, heldRow } from '../budget-rules.ts';
import type {
  BudgetDay,
  BudgetReservation,
  BudgetSettlement,
  ReserveOutcome,
  CheckpointRow,
  ClaimOptions,
  CommitOutcome,
  FlowVersionRow,
  FlowVersionSummary,
  HandoffCommit,
  BoardFilter,
  HandoffFilter,
  Store,
  TokenRow,
} from '../port.ts';
import type { DeliveryRecord, LinkRecord, OutboxRecord } from '../../core/notices.ts';
import {
  commitToRows,
  type CommitRows,
  decodeCursor,
  encodeCursor,
  chainCommit,
  rowToAction,
  rowToApproval,
  rowToEvent,
  rowToHandoff,
  rowToInbox,
  rowToLedger,
  rowToTask,
  rowToToken,
  tokenValues,
  versionSummary,
} from '../rows.ts';
import { expandBatches } from '../event-batches.ts';
import { eventPage, eventSearchSql, type EventFilter } from '../event-search.ts';
import { deliveryToRow, linkToRow, rowToDelivery, rowToLink, rowToOutbox } from '../notice-rows.ts';
import { applyMigrations } from './migrate.ts';
import { placeholders, prepareBulk, prepareStatements } from './statements.ts';
import {
  addBoardConditions,
  boardCardsStatement,
  boardRow,
  boardStatement,
  type FlowsCondition,
} from '../board-sql.ts';
import { Where } from './where.ts';

type Row = Record<string, unknown>;

export interface SqliteOptions {
  /** A file path, or ':memory:'. */
  file: string;
  /** Milliseconds to wait for another process's write lock. */
  busyTimeoutMs?: number;
  /**
   * WAL pages after which a commit also checkpoints (copies the WAL into the database file).
   * The writer thread sets it high: a checkpoint thread does that work in the background.
   */
  autoCheckpointPages?: number;
}

/** How this store matches a list of flows, for the board's statements. */
const FLOWS: FlowsCondition = (w, flows) =>
  w.add(!!flows, `flow_id IN (${placeholders(flows?.length ?? 0) || 'NULL'})`, ...(flows ?? []));

export class SqliteStore implements Store {
  readonly kind = 'sqlite' as const;
  readonly file: string;
  private readonly db: DatabaseSync;
  private readonly stmts: ReturnType<typeof prepareStatements>;
  private readonly bulk: ReturnType<typeof prepareBulk>;
  private readonly budget: SqliteBudget;
  /** The dead-letter list, trigger fires and schedules (intake-store.ts). */
  readonly intake: IntakeStore;

  constructor(options: SqliteOptions) {
    this.file = options.file;
    if (options.file !== ':memory:') mkdirSync(path.dirname(path.resolve(options.file)), { recursive: true });
    this.db = new DatabaseSync(options.file);
    this.db.exec(`PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL; PRAGMA foreign_keys = OFF;
      PRAGMA busy_timeout = ${options.busyTimeoutMs ?? 10_000}; PRAGMA temp_store = MEMORY; PRAGMA cache_size = -65536; PRAGMA wal_autocheckpoint = ${options.autoCheckpointPages ?? 20_000};`);
    applyMigrations(this.db);
    this.stmts = prepareStatements(this.db);
    this.bulk = prepareBulk(this.db);
    this.budget = new SqliteBudget(this.db, (fn) => this.transaction(fn));
    const db = this.db;
    this.intake = new IntakeStore({
      all: async (sql, params) => db.prepare(sql).all(...(params as never[])),
      run: async (sql, params) => Number(db.prepare(sql).run(...(params as never[])).changes),
    });
  }

  async migrate(): Promise<void> {
    applyMigrations(this.db);
  }

  async close(): Promise<void> {
    if (this.db.isOpen) this.db.close();
  }

  async publishFlow(row: FlowVersionRow): Promise<void> {
    this.stmts.publishFlow.run(
      row.version,
      row.flowId,
      row.name,
      JSON.stringify(row.def),
      row.source,
      row.publishedAt,
    );
  }

  async flowVersion(version: string): Promise<FlowVersionRow | undefined> {
    const r = this.stmts.flowVersion.get(version) as Row | undefined;
    if (!r) return undefined;
    return {
      version: String(r.version),
      flowId: String(r.flow_id),
      name: String(r.name),
      def: JSON.parse(String(r.def)),
      source: String(r.source),
      publishedAt: Number(r.published_at),
    };
  }

  async flowVersions(flowId: string): Promise<FlowVersionSummary[]> {
    return (this.stmts.flowVersions.all(flowId, flowId) as Row[]).map(versionSummary);
  }

  async commit(batch: readonly HandoffCommit[]): Promise<CommitOutcome[]> {
    return this.commitRows(batch.map(commitToRows));
  }

  /** Applies commits already turned into rows (the writer thread receives them this way). */
  commitRows(batch: readonly CommitRows[]): CommitOutcome[] {
    const b = this.bulk;
    return this.transaction(
      () => {
        const s = this.stmts;
        const outcomes: CommitOutcome[] = [];
        const heads: Array<[string, number, string]> = [];
        for (const c of batch) {
          // The events chain onto the head this store holds (a new handoff starts the chain).
          let prev = GENESIS;
          if (c.expectedRev !== 0) {
            const current = s.headOf.get(c.id) as Row | undefined;
            if (!current || Number(current.rev) !== c.expectedRev) {
              outcomes.push({ ok: false, reason: 'conflict' });
              continue;
            }
            prev = String(current.head_hash);
          }
          const chained = chainCommit(c, prev);
          if (c.expectedRev === 0) {
            if (s.insertHandoff.run(...(c.handoff as never[])).changes === 0) {
              const existing = s.byKey.get(c.flow, c.key) as Row;
              outcomes.push({
                ok: false,
                reason: 'duplicate',
                id: String(existing.id),
                state: existing.state as never,
              });
              continue;
            }
          } else if (
            s.updateHandoff.run(...(c.handoff.slice(1) as never[]), c.id, c.expectedRev).changes === 0
          ) {
            outcomes.push({ ok: false, reason: 'conflict' });
            continue;
          }
          if (chained) {
            b.events.addFlat(chained.row);
            heads.push([c.id, chained.lastSeq, chained.lastHash]);
          }
          b.actions.addFlat(c.actions);
          for (let i = 0; i < c.approvals.length; i += 7)
            s.upsertApproval.run(...(c.approvals.slice(i, i + 7) as never[]));
          b.ledger.addFlat(c.ledger);
          b.tasks.addFlat(c.tasks);
          b.inbox.addFlat(c.inbox);
          b.outbox.addFlat(c.outbox);
          outcomes.push({ ok: true });
        }
        for (const bulk of Object.values(b)) bulk.flush();
        if (heads.length > 0) this.appendCheckpoint(heads);
        return outcomes;
      },
      () => {
        for (const bulk of Object.values(b)) bulk.discard();
      },
    );
  }

  private appendCheckpoint(heads: Array<[string, number, string]>): void {
    const last = this.stmts.lastCheckpoint.get() as Row | undefined;
    const seq = last ? Number(last.seq) + 1 : 1;
    const prev = last ? String(last.hash) : GENESIS;
    const at = Date.now();
    const headsJson = JSON.stringify(heads);
    this.stmts.insertCheckpoint.run(seq, at, headsJson, prev, checkpointHash(prev, seq, at, headsJson));
  }

  async claim(o: ClaimOptions): Promise<HandoffSnapshot[]> {
    return this.transaction(() => {
      const rows = this.stmts.due.all(o.now, o.now, o.limit) as Row[];
      const out: HandoffSnapshot[] = [];
      for (const r of rows) {
        const h = rowToHandoff(r);
        h.attempt += 1;
        h.rev += 1;
        h.leaseOwner = o.worker;
        h.leaseUntil = o.now + o.leaseMs;
        this.stmts.lease.run(h.attempt, h.rev, h.leaseOwner, h.leaseUntil, h.leaseUntil, h.id);
        out.push(this.snapshotOf(h));
      }
      return out;
    });
  }

  async leaseHolders(): Promise<string[]> {
    return (this.stmts.leaseHolders.all() as Row[]).map((r) => String(r.lease_owner));
  }

  async releaseLeases(worker: string): Promise<number> {
    return this.transaction(
      () =>
        Number(this.stmts.releaseLeases.run(worker).changes) +
        Number(this.stmts.releaseOutboxLeases.run(worker).changes),
    );
  }

  async nextWake(): Promise<number | undefined> {
    const r = this.stmts.nextWake.get() as Row | undefined;
    return r && r.w !== null ? Number(r.w) : undefined;
  }

  private snapshotOf(h: ReturnType<typeof rowToHandoff>): HandoffSnapshot {
    return {
      handoff: h,
      actions: (this.stmts.actionsOf.all(h.id) as Row[]).map(rowToAction),
      approvals: (this.stmts.approvalsOf.all(h.id) as Row[]).map(rowToApproval),
      ledger: (this.stmts.ledgerOf.all(h.id) as Row[]).map(rowToLedger),
    };
  }

  async get(id: string): Promise<HandoffSnapshot | undefined> {
    const r = this.stmts.get.get(id) as Row | undefined;
    return r ? this.snapshotOf(rowToHandoff(r)) : undefined;
  }

  async byKey(flow: string, key: string) {
    const r = this.stmts.byKeyFull.get(flow, key) as Row | undefined;
    return r ? rowToHandoff(r) : undefined;
  }

  async events(handoffId: string) {
    return expandBatches(this.stmts.eventsOf.all(handoffId) as Row[]).map(rowToEvent);
  }

  async searchEvents(f: EventFilter) {
    const q = eventSearchSql(f, (flows) => ({
      sql: `IN (${placeholders(flows.length)})`,
      params: [...flows],
    }));
    return eventPage(this.db.prepare(q.sql).all(...(q.params as never[])), q.limit);
  }

  async list(f: HandoffFilter) {
    const c = f.cursor ? decodeCursor(f.cursor) : undefined;
    if (f.cursor && !c) {
      throw new BatonError('validation_failed', 'cursor is not valid', {
        details: [{ path: 'cursor', message: 'not a cursor from a previous page' }],
      });
    }
    const where = new Where()
      .add(!!f.flow, 'flow_id = ?', f.flow)
      .add(!!f.flows, `flow_id IN (${placeholders(f.flows?.length ?? 0) || 'NULL'})`, ...(f.flows ?? []))
      .add(!!f.owner, 'owner = ?', f.owner)
      .add(!!f.state, 'state = ?', f.state)
      .add(f.breached !== undefined, 'breached = ?', f.breached ? 1 : 0)
      .add(f.since !== undefined, 'created_at >= ?', f.since)
      .add(!!c, '(created_at < ? OR (created_at = ? AND id < ?))', c?.createdAt, c?.createdAt, c?.id);
    addBoardConditions(where, f);
    const limit = Math.min(Math.max(f.limit ?? 100, 1), 1000);
    const sql = `SELECT * FROM handoffs ${where.sql} ORDER BY created_at DESC, id DESC LIMIT ?`;
    const rows = this.db.prepare(sql).all(...(where.params as never[]), limit + 1) as Row[];
    const items = rows.slice(0, limit).map(rowToHandoff);
    const last = items[items.length - 1];
    return rows.length > limit && last
      ? { items, nextCursor: encodeCursor(last.createdAt, last.id) }
      : { items };
  }

  async board(f: BoardFilter) {
    const { sql, params } = boardStatement(new Where(), f, FLOWS);
    return (this.db.prepare(sql).all(...(params as never[])) as Row[]).map(boardRow);
  }

  async boardCards(f: BoardFilter, perOwner: number) {
    const { sql, params } = boardCardsStatement(new Where(), f, perOwner, FLOWS);
    return (this.db.prepare(sql).all(...(params as never[])) as Row[]).map(rowToHandoff);
  }

  async approval(id: string) {
    const r = this.stmts.approval.get(id) as Row | undefined;
    return r ? rowToApproval(r) : undefined;
  }

  async approvals(f: {
    state?: ApprovalRecord['state'];
    handoffId?: string;
    flows?: readonly string[];
    limit?: number;
  }) {
    const where = new Where()
      .add(!!f.state, 'state = ?', f.state)
      .add(!!f.handoffId, 'handoff_id = ?', f.handoffId)
      .add(!!f.flows, `flow_id IN (${placeholders(f.flows?.length ?? 0) || 'NULL'})`, ...(f.flows ?? []));
    const sql = `SELECT body FROM approvals ${where.sql} ORDER BY requested_at LIMIT ?`;
    return (this.db.prepare(sql).all(...(where.params as never[]), f.limit ?? 1000) as Row[]).map(
      rowToApproval,
    );
  }

  async tasks(f: { assignees?: string[]; state?: TaskRecord['state']; handoffId?: string; limit?: number }) {
    const where = new Where()
      .add(
        !!f.assignees,
        `assignee IN (${placeholders(f.assignees?.length ?? 0) || 'NULL'})`,
        ...(f.assignees ?? []),
      )
      .add(!!f.state, 'state = ?', f.state)
      .add(!!f.handoffId, 'handoff_id = ?', f.handoffId);
    const sql = `SELECT * FROM tasks ${where.sql} ORDER BY created_at DESC LIMIT ?`;
    return (this.db.prepare(sql).all(...(where.params as never[]), f.limit ?? 500) as Row[]).map(rowToTask);
  }

  async inbox(f: { owners?: string[]; limit?: number }) {
    const where = new Where().add(
      !!f.owners,
      `owner IN (${placeholders(f.owners?.length ?? 0) || 'NULL'})`,
      ...(f.owners ?? []),
    );
    const sql = `SELECT * FROM inbox ${where.sql} ORDER BY created_at DESC LIMIT ?`;
    return (this.db.prepare(sql).all(...(where.params as never[]), f.limit ?? 500) as Row[]).map(rowToInbox);
  }

  async createToken(t: TokenRow) {
    this.stmts.createToken.run(...(tokenValues(t) as never[]));
  }

  async createFirstToken(t: TokenRow) {
    // One statement: SQLite holds the write lock for it, so two processes cannot both insert.
    return this.stmts.createFirstToken.run(...(tokenValues(t) as never[])).changes > 0;
  }

  async tokenByHash(hash: string) {
    const r = this.stmts.tokenByHash.get(hash) as Row | undefined;
    return r ? rowToToken(r) : undefined;
  }

  async revokeToken(id: string, at: number, by?: string) {
    return this.stmts.revokeToken.run(at, by ?? null, id).changes > 0;
  }

  async listTokens() {
    return (this.stmts.listTokens.all() as Row[]).map(rowToToken);
  }

  async claimOutbox(o: ClaimOptions): Promise<OutboxRecord[]> {
    return this.transaction(() => {
      const rows = this.stmts.dueOutbox.all(o.now, o.now, o.limit) as Row[];
      const until = o.now + o.leaseMs;
      for (const r of rows) this.stmts.leaseOutbox.run(o.worker, until, r.id as string);
      return rows.map((r) => ({ ...rowToOutbox(r), leaseOwner: o.worker, leaseUntil: until }));
    });
  }

  async settleOutbox(
    id: string,
    worker: string,
    change: Pick<OutboxRecord, 'state' | 'attempts' | 'nextAt'> & { error?: string },
  ): Promise<boolean> {
    const r = this.stmts.settleOutbox.run(
      change.state,
      change.attempts,
      change.nextAt,
      change.error ?? null,
      id,
      worker,
    );
    return r.changes > 0;
  }

  async outbox(f: { handoffId?: string; state?: OutboxRecord['state']; limit?: number }) {
    const where = new Where()
      .add(!!f.handoffId, 'handoff_id = ?', f.handoffId)
      .add(!!f.state, 'state = ?', f.state);
    const sql = `SELECT * FROM outbox ${where.sql} ORDER BY created_at, id LIMIT ?`;
    return (this.db.prepare(sql).all(...(where.params as never[]), f.limit ?? 1000) as Row[]).map(
      rowToOutbox,
    );
  }

  async putDelivery(d: DeliveryRecord): Promise<void> {
    this.stmts.putDelivery.run(...(deliveryToRow(d) as never[]));
  }

  async deliveries(f: { outboxId?: string; approvalId?: string }) {
    const where = new Where()
      .add(!!f.outboxId, 'outbox_id = ?', f.outboxId)
      .add(!!f.approvalId, 'approval_id = ?', f.approvalId);
    const sql = `SELECT * FROM deliveries ${where.sql} ORDER BY updated_at, outbox_id, channel, recipient`;
    return (this.db.prepare(sql).all(...(where.params as never[])) as Row[]).map(rowToDelivery);
  }

  async createLink(l: LinkRecord): Promise<void> {
    this.stmts.createLink.run(...(linkToRow(l) as never[]));
  }

  async link(hash: string) {
    const r = this.stmts.link.get(hash) as Row | undefined;
    return r ? rowToLink(r) : undefined;
  }

  async useLink(hash: string, now: number) {
    const r = this.stmts.useLink.get(now, hash, now) as Row | undefined;
    return r ? rowToLink(r) : undefined;
  }

  async releaseLink(hash: string, usedAt: number): Promise<void> {
    this.stmts.releaseLink.run(hash, usedAt);
  }

  async rememberRequest(key: string, at: number, forgetBefore: number): Promise<boolean> {
    return this.transaction(() => {
      this.stmts.forgetRequests.run(forgetBefore);
      return this.stmts.rememberRequest.run(key, at).changes > 0;
    });
  }

  async heads(after: string | undefined, limit: number) {
    const rows = this.stmts.heads.all(after ?? '', limit) as Row[];
    return rows.map((r) => ({
      id: String(r.id),
      eventSeq: Number(r.event_seq),
      headHash: String(r.head_hash),
    }));
  }

  async checkpoints(afterSeq: number, limit: number): Promise<CheckpointRow[]> {
    return (this.stmts.checkpoints.all(afterSeq, limit) as Row[]).map((r) => ({
      seq: Number(r.seq),
      at: Number(r.at),
      heads: JSON.parse(String(r.heads)) as CheckpointRow['heads'],
      prevHash: String(r.prev_hash),
      hash: String(r.hash),
    }));
  }

  async query<T>(sql: string, params: readonly unknown[] = []): Promise<T[]> {
    return this.db.prepare(sql).all(...(params as never[])) as T[];
  }

  async reserveBudget(r: BudgetReservation): Promise<ReserveOutcome> {
    return this.budget.reserve(r);
  }

  async settleBudget(id: string, s: BudgetSettlement): Promise<{ costUsd: number } | undefined> {
    return this.budget.settle(id, s);
  }

  async budgetDay(flow: string, day: string): Promise<BudgetDay> {
    return this.budget.day(flow, day);
  }

  async heldReservations(before: number, limit: number) {
    return (this.db.prepare(HELD_RESERVATIONS_SQL).all(before, limit) as Row[]).map(heldRow);
  }

  /** Runs `fn` inside BEGIN IMMEDIATE … COMMIT (the write lock is taken up front). */
  private transaction<T>(fn: () => T, onRollback?: () => void): T {
    this.db.exec('BEGIN IMMEDIATE');
    try {
      const result = fn();
      this.db.exec('COMMIT');
      return result;
    } catch (e) {
      onRollback?.();
      if (this.db.isTransaction) this.db.exec('ROLLBACK');
      throw e;
    }
  }

  /** For tests that tamper with the audit log on purpose. */
  unsafeExec(sql: string): void {
    this.db.exec(sql);
  }
}
