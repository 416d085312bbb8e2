// The server store: PostgreSQL through a connection pool, for several Baton processes sharing
// one database. Same semantics as the SQLite store: group commit with per-handoff revision
// checks, leases claimed with FOR UPDATE SKIP LOCKED, one checkpoint row per transaction.
import pg from 'pg';
import { toPositional } from './sql.ts';
import { IntakeStore } from '../intake-store.ts';
import { listen, wakeChannel } from './wake.ts';
import type { ApprovalRecord, HandoffSnapshot, HandoffRecord, TaskRecord } from '../../core/types.ts';
import { BatonError } from '../../core/errors.ts';
import { missingStore } from '../missing.ts';
import type {
  BudgetReservation,
  BudgetSettlement,
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
import type { DeliveryRecord, LinkRecord } from '../../core/notices.ts';
import {
  commitToRows,
  decodeCursor,
  encodeCursor,
  rowToAction,
  rowToApproval,
  rowToEvent,
  rowToHandoff,
  rowToInbox,
  rowToLedger,
  rowToTask,
  rowToToken,
  TOKEN_COLUMNS,
  tokenValues,
  FLOW_VERSIONS_SQL,
  versionSummary,
} from '../rows.ts';
import { EVENT_BATCH_COLUMNS, expandBatches } from '../event-batches.ts';
import {
  addBoardConditions,
  boardCardsStatement,
  boardRow,
  boardStatement,
  type FlowsCondition,
} from '../board-sql.ts';
import { eventPage, eventSearchSql, type EventFilter } from '../event-search.ts';
import { Where } from '../sqlite/where.ts';
import { applyMigrations, ident, LOCK_CHECKPOINT, LOCK_CLASS, LOCK_FIRST_TOKEN } from './migrate.ts';
import { dollars } from './sql.ts';
import { Db, type Row } from './db.ts';
import { writeCommits } from './commit.ts';
import { parseUrl } from './url.ts';
import * as ch from './channels.ts';
import * as budgets from './budgets.ts';

/** BIGINT (ms times, counts) and NUMERIC (sums) come back as numbers, as from SQLite. */
const TYPES = new pg.TypeOverrides();
TYPES.setTypeParser(pg.types.builtins.INT8, Number);
TYPES.setTypeParser(pg.types.builtins.NUMERIC, Number);

/** PostgreSQL allows 65,535 parameters per statement; stay well below (bulk copies). */
const MAX_PARAMS = 30_000;

export interface PostgresOptions {
  /** A `postgres://` URL; `?schema=NAME` selects (and creates) a schema. */
  url: string;
  /** Pool size (default 10). */
  max?: number;
  /** Create the schema and its tables when missing (default true); false: refuse a missing store. */
  create?: boolean;
}

/** How this store matches a list of flows, for the board's statements. */
const FLOWS: FlowsCondition = (w, flows) => w.add(!!flows, 'flow_id = ANY(?)', flows ?? []);

export class PostgresStore implements Store {
  readonly kind = 'postgres' as const;
  readonly batching = { maxBatch: 200, maxInFlight: 2 };
  readonly schema: string | undefined;
  private readonly db: Db;
  /** The dead-letter list, trigger fires and schedules (intake-store.ts). */
  readonly intake: IntakeStore;
  private readonly checkpointLock: number;
  private readonly firstTokenLock: number;
  private closed = false;

  private readonly connectionString: string;
  private readonly channel: string;

  private constructor(pool: pg.Pool, schema: string | undefined, connectionString: string) {
    this.db = new Db(pool);
    const db = this.db;
    this.intake = new IntakeStore({
      all: (sql, params) => db.rows(sql, params),
      run: async (sql, params) => (await db.run(toPositional(sql), params)).rowCount ?? 0,
    });
    this.schema = schema;
    this.connectionString = connectionString;
    this.channel = wakeChannel(schema);
    this.checkpointLock = lockKey(`${LOCK_CHECKPOINT}:${schema ?? ''}`);
    this.firstTokenLock = lockKey(`${LOCK_FIRST_TOKEN}:${schema ?? ''}`);
  }

  /** Connects, creates the schema if asked and applies pending migrations. */
  static async open(options: PostgresOptions): Promise<PostgresStore> {
    const { connectionString, schema, pool: size } = parseUrl(options.url);
    const pool = new pg.Pool({
      connectionString,
      max: options.max ?? size ?? 10,
      types: TYPES,
      // A process stopped inside a transaction (SIGSTOP, a frozen VM) must not hold the checkpoint
      // lock and stall every commit: the server ends such a session after 10 s, its transaction
      // rolls back, and the stopped worker's late commit then fails (its lease is long gone).
      options: [
        ...(schema !== undefined ? [`-c search_path=${ident(schema)}`] : []),
        '-c idle_in_transaction_session_timeout=10000',
      ].join(' '),
    });
    // An idle connection that breaks (server restart) is replaced on the next checkout. A
    // checked-out one that breaks between statements emits 'error' on the client, which would
    // end the process: its next statement fails instead, and the transaction releases it broken.
    pool.on('error', () => undefined);
    pool.on('connect', (client) => client.on('error', () => undefined));
    const store = new PostgresStore(pool, schema, connectionString);
    let exists = true;
    try {
      // search_path names the schema, so this finds the table only inside it.
      if (options.create === false)
        exists = (await pool.query("SELECT to_regclass('schema_migrations') IS NOT NULL AS found")).rows[0]
          .found as boolean;
      if (exists) await store.migrate();
    } catch (e) {
      await pool.end().catch(() => undefined);
      throw new BatonError('store_error', `cannot open PostgreSQL store: ${(e as Error).message}`, {
        fault: 'system',
        retryable: true,
        cause: e,
      });
    }
    if (!exists) {
      await pool.end().catch(() => undefined);
      throw missingStore(options.url);
    }
    return store;
  }

  async migrate(): Promise<void> {
    await applyMigrations(this.db.pool, this.schema);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.db.pool.end();
  }

  async publishFlow(row: FlowVersionRow): Promise<void> {
    await this.db.run(
      `INSERT INTO flow_versions (version, flow_id, name, def, source, published_at)
        VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (version) DO NOTHING`,
      [row.version, row.flowId, row.name, JSON.stringify(row.def), row.source, row.publishedAt],
    );
  }

  async flowVersion(version: string): Promise<FlowVersionRow | undefined> {
    const [r] = await this.db.rows('SELECT * FROM flow_versions WHERE version = ?', [version]);
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
    return (await this.db.rows(FLOW_VERSIONS_SQL, [flowId, flowId])).map(versionSummary);
  }

  async commit(batch: readonly HandoffCommit[]): Promise<CommitOutcome[]> {
    if (batch.length === 0) return [];
    const rows = batch.map(commitToRows);
    // Work due now wakes the workers of other processes (the NOTIFY is sent at COMMIT).
    const soon = Date.now() + 1000;
    const wake = batch.some(
      (c) => c.handoff.wakeAt !== null && c.handoff.wakeAt <= soon && !c.handoff.leaseOwner,
    );
    return this.db.transaction(async (c) => {
      const outcomes = await writeCommits(c, rows, this.checkpointLock);
      if (wake) await c.query('SELECT pg_notify($1, $2)', [this.channel, '']);
      return outcomes;
    });
  }

  subscribeWake(onWake: () => void): Promise<() => Promise<void>> {
    return listen(this.connectionString, this.channel, onWake);
  }

  async claim(o: ClaimOptions): Promise<HandoffSnapshot[]> {
    if (o.limit <= 0) return [];
    return this.db.transaction(async (c) => {
      const res = await c.query({
        name: 'baton_claim',
        text: `WITH due AS (
            SELECT id FROM handoffs WHERE wake_at <= $1 AND (lease_until IS NULL OR lease_until < $1)
            ORDER BY wake_at LIMIT $2 FOR UPDATE SKIP LOCKED)
          UPDATE handoffs h SET attempt = h.attempt + 1, rev = h.rev + 1, lease_owner = $3, lease_until = $4,
            wake_at = $4
          FROM due WHERE h.id = due.id RETURNING h.*`,
        values: [o.now, o.limit, o.worker, o.now + o.leaseMs],
      });
      const handoffs = (res.rows as Row[])
        .map(rowToHandoff)
        .sort((a, b) => (a.wakeAt ?? 0) - (b.wakeAt ?? 0) || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
      return this.snapshotsOf(c, handoffs);
    });
  }

  /** Snapshots with their actions, approvals and ledger, read in three statements. */
  private async snapshotsOf(
    c: { query(q: pg.QueryConfig): Promise<pg.QueryResult> },
    handoffs: readonly HandoffRecord[],
  ): Promise<HandoffSnapshot[]> {
    if (handoffs.length === 0) return [];
    const ids = handoffs.map((h) => h.id);
    const group = async (name: string, text: string): Promise<Map<string, Row[]>> => {
      const by = new Map<string, Row[]>();
      for (const r of (await c.query({ name, text, values: [ids] })).rows as Row[]) {
        const id = String(r.handoff_id);
        let list = by.get(id);
        if (!list) by.set(id, (list = []));
        list.push(r);
      }
      return by;
    };
    const actions = await group(
      'baton_actions_of',
      'SELECT * FROM actions WHERE handoff_id = ANY($1) ORDER BY handoff_id, ord',
    );
    const approvals = await group(
      'baton_approvals_of',
      'SELECT handoff_id, body FROM approvals WHERE handoff_id = ANY($1) ORDER BY handoff_id, requested_at, id',
    );
    const ledger = await group(
      'baton_ledger_of',
      'SELECT * FROM ledger WHERE handoff_id = ANY($1) ORDER BY handoff_id, seq',
    );
    return handoffs.map((h) => ({
      handoff: h,
      actions: (actions.get(h.id) ?? []).map(rowToAction),
      approvals: (approvals.get(h.id) ?? []).map(rowToApproval),
      ledger: (ledger.get(h.id) ?? []).map(rowToLedger),
    }));
  }

  async leaseHolders(): Promise<string[]> {
    const rows = await this.db.rows(
      `SELECT lease_owner FROM handoffs WHERE lease_owner IS NOT NULL
        UNION SELECT lease_owner FROM outbox WHERE lease_owner IS NOT NULL ORDER BY lease_owner`,
    );
    return rows.map((r) => String(r.lease_owner));
  }

  async releaseLeases(worker: string): Promise<number> {
    const res = await this.db.run(
      // Released work is due at once: since its last step (it was in progress).
      'UPDATE handoffs SET lease_owner = NULL, lease_until = NULL, rev = rev + 1, wake_at = updated_at WHERE lease_owner = $1',
      [worker],
    );
    // Notices the dead worker was delivering are taken over at once too.
    const notices = await this.db.run(
      'UPDATE outbox SET lease_owner = NULL, lease_until = NULL WHERE lease_owner = $1',
      [worker],
    );
    return (res.rowCount ?? 0) + (notices.rowCount ?? 0);
  }

  async nextWake(): Promise<number | undefined> {
    const [r] = await this.db.rows('SELECT MIN(wake_at) AS w FROM handoffs WHERE wake_at IS NOT NULL');
    return r && r.w !== null ? Number(r.w) : undefined;
  }

  async get(id: string): Promise<HandoffSnapshot | undefined> {
    const [r] = await this.db.rows('SELECT * FROM handoffs WHERE id = ?', [id]);
    if (!r) return undefined;
    const [s] = await this.snapshotsOf({ query: (q) => this.db.run(q) }, [rowToHandoff(r)]);
    return s;
  }

  async byKey(flow: string, key: string) {
    const [r] = await this.db.rows('SELECT * FROM handoffs WHERE flow_id = ? AND idem_key = ?', [flow, key]);
    return r ? rowToHandoff(r) : undefined;
  }

  async events(handoffId: string) {
    const rows = await this.db.rows(
      `SELECT ${EVENT_BATCH_COLUMNS} FROM event_batches WHERE handoff_id = ? ORDER BY seq`,
      [handoffId],
    );
    return expandBatches(rows).map(rowToEvent);
  }

  async searchEvents(f: EventFilter) {
    const q = eventSearchSql(f, (flows) => ({ sql: '= ANY(?)', params: [[...flows]] }));
    return eventPage(await this.db.rows(q.sql, q.params), q.limit);
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
      .add(!!f.flows, 'flow_id = ANY(?)', f.flows ?? [])
      .add(!!f.owner, 'owner = ?', f.owner)
      .add(!!f.state, 'state = ?', f.state)
      .add(f.breached !== undefined, 'breached = ?', f.breached ? 1 : 0)
      .add(f.since !== undefined, 'created_at >= ?', f.since)
      .add(!!c, '(created_at < ? OR (created_at = ? AND id < ?))', c?.createdAt, c?.createdAt, c?.id);
    addBoardConditions(where, f);
    const limit = Math.min(Math.max(f.limit ?? 100, 1), 1000);
    const sql = `SELECT * FROM handoffs ${where.sql} ORDER BY created_at DESC, id DESC LIMIT ?`;
    const rows = await this.db.rows(sql, [...where.params, limit + 1]);
    const items = rows.slice(0, limit).map(rowToHandoff);
    const last = items[items.length - 1];
    return rows.length > limit && last
      ? { items, nextCursor: encodeCursor(last.createdAt, last.id) }
      : { items };
  }

  async board(f: BoardFilter) {
    const { sql, params } = boardStatement(new Where(), f, FLOWS);
    return (await this.db.rows(sql, params)).map(boardRow);
  }

  async boardCards(f: BoardFilter, perOwner: number) {
    const { sql, params } = boardCardsStatement(new Where(), f, perOwner, FLOWS);
    return (await this.db.rows(sql, params)).map(rowToHandoff);
  }

  async approval(id: string) {
    const [r] = await this.db.rows('SELECT body FROM approvals WHERE id = ?', [id]);
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
      .add(!!f.flows, 'flow_id = ANY(?)', f.flows ?? []);
    const sql = `SELECT body FROM approvals ${where.sql} ORDER BY requested_at, id LIMIT ?`;
    return (await this.db.rows(sql, [...where.params, f.limit ?? 1000])).map(rowToApproval);
  }

  async tasks(f: { assignees?: string[]; state?: TaskRecord['state']; handoffId?: string; limit?: number }) {
    const where = new Where()
      .add(!!f.assignees, 'assignee = ANY(?)', f.assignees ?? [])
      .add(!!f.state, 'state = ?', f.state)
      .add(!!f.handoffId, 'handoff_id = ?', f.handoffId);
    const sql = `SELECT * FROM tasks ${where.sql} ORDER BY created_at DESC, id DESC LIMIT ?`;
    return (await this.db.rows(sql, [...where.params, f.limit ?? 500])).map(rowToTask);
  }

  async inbox(f: { owners?: string[]; limit?: number }) {
    const where = new Where().add(!!f.owners, 'owner = ANY(?)', f.owners ?? []);
    const sql = `SELECT * FROM inbox ${where.sql} ORDER BY created_at DESC, id DESC LIMIT ?`;
    return (await this.db.rows(sql, [...where.params, f.limit ?? 500])).map(rowToInbox);
  }

  async createToken(t: TokenRow) {
    await this.db.run(
      `INSERT INTO tokens (${TOKEN_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
      tokenValues(t),
    );
  }

  async createFirstToken(t: TokenRow) {
    // INSERT … WHERE NOT EXISTS alone races under READ COMMITTED: serialize on an advisory lock.
    return this.db.transaction(async (c) => {
      await c.query('SELECT pg_advisory_xact_lock($1, $2)', [LOCK_CLASS, this.firstTokenLock]);
      const res = await c.query(
        `INSERT INTO tokens (${TOKEN_COLUMNS}) SELECT $1, $2, $3, $4, $5, $6, $7, $8, $9
         WHERE NOT EXISTS (SELECT 1 FROM tokens)`,
        tokenValues(t),
      );
      return (res.rowCount ?? 0) > 0;
    });
  }

  async tokenByHash(hash: string) {
    const [r] = await this.db.rows('SELECT * FROM tokens WHERE hash = ?', [hash]);
    return r ? rowToToken(r) : undefined;
  }

  async revokeToken(id: string, at: number, by?: string) {
    const res = await this.db.run(
      'UPDATE tokens SET revoked_at = $1, revoked_by = $2 WHERE id = $3 AND revoked_at IS NULL',
      [at, by ?? null, id],
    );
    return (res.rowCount ?? 0) > 0;
  }

  async listTokens() {
    return (await this.db.rows('SELECT * FROM tokens ORDER BY created_at, id')).map(rowToToken);
  }

  async heads(after: string | undefined, limit: number) {
    const rows = await this.db.rows(
      'SELECT id, event_seq, head_hash FROM handoffs WHERE id > ? ORDER BY id LIMIT ?',
      [after ?? '', limit],
    );
    return rows.map((r) => ({
      id: String(r.id),
      eventSeq: Number(r.event_seq),
      headHash: String(r.head_hash),
    }));
  }

  async checkpoints(afterSeq: number, limit: number): Promise<CheckpointRow[]> {
    const rows = await this.db.rows('SELECT * FROM checkpoints WHERE seq > ? ORDER BY seq LIMIT ?', [
      afterSeq,
      limit,
    ]);
    return rows.map((r) => ({
      seq: Number(r.seq),
      at: Number(r.at),
      heads: JSON.parse(String(r.heads)) as CheckpointRow['heads'],
      prevHash: String(r.prev_hash),
      hash: String(r.hash),
    }));
  }

  // ---- notices, deliveries, email links, replay memory (channels.ts)

  claimOutbox(o: ClaimOptions) {
    return ch.claimOutbox(this.db, o);
  }

  settleOutbox(id: string, worker: string, change: Parameters<typeof ch.settleOutbox>[3]) {
    return ch.settleOutbox(this.db, id, worker, change);
  }

  outbox(f: Parameters<typeof ch.outbox>[1]) {
    return ch.outbox(this.db, f);
  }

  putDelivery(d: DeliveryRecord) {
    return ch.putDelivery(this.db, d);
  }

  deliveries(f: Parameters<typeof ch.deliveries>[1]) {
    return ch.deliveries(this.db, f);
  }

  createLink(l: LinkRecord) {
    return ch.createLink(this.db, l);
  }

  link(hash: string) {
    return ch.link(this.db, hash);
  }

  useLink(hash: string, now: number) {
    return ch.useLink(this.db, hash, now);
  }

  releaseLink(hash: string, usedAt: number) {
    return ch.releaseLink(this.db, hash, usedAt);
  }

  rememberRequest(key: string, at: number, forgetBefore: number) {
    return ch.rememberRequest(this.db, key, at, forgetBefore);
  }

  // ---- model budgets (budgets.ts)

  reserveBudget(r: BudgetReservation) {
    return budgets.reserveBudget(this.db, r);
  }

  settleBudget(id: string, s: BudgetSettlement) {
    return budgets.settleBudget(this.db, id, s);
  }

  budgetDay(flow: string, day: string) {
    return budgets.budgetDay(this.db, flow, day);
  }

  heldReservations(before: number, limit: number) {
    return budgets.heldReservations(this.db, before, limit);
  }

  /** Accepts `?` placeholders (SQLite style) as well as `$1`…. */
  async query<T>(sql: string, params: readonly unknown[] = []): Promise<T[]> {
    return (await this.db.rows(sql, params)) as T[];
  }

  /**
   * Bulk load for copying a whole store (`baton migrate --from`): inserts the rows exactly as
   * given, in one transaction. Nothing is re-serialized: hashed text stays byte for byte.
   */
  async copyRows(
    table: string,
    columns: readonly string[],
    rows: ReadonlyArray<readonly unknown[]>,
  ): Promise<void> {
    const width = columns.length;
    if (rows.length === 0 || width === 0) return;
    if (rows.some((r) => r.length !== width)) {
      throw new BatonError('internal', `copyRows ${table}: every row must have ${width} values`);
    }
    const head = `INSERT INTO ${ident(table)} (${columns.map(ident).join(', ')}) VALUES `;
    const perStatement = Math.max(1, Math.floor(MAX_PARAMS / width));
    await this.db.transaction(async (c) => {
      for (let start = 0; start < rows.length; start += perStatement) {
        const chunk = rows.slice(start, start + perStatement);
        const values = chunk.map((_, r) => `(${dollars(width, r * width + 1)})`).join(', ');
        await c.query(head + values, chunk.flat());
      }
    });
  }

  /** For tests that tamper with the audit log on purpose. */
  async unsafeExec(sql: string): Promise<void> {
    await this.db.run(sql);
  }
}

/** A 31-bit key for an advisory lock, stable for a name. */
function lockKey(name: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < name.length; i++) {
    h ^= name.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h & 0x7fffffff;
}
