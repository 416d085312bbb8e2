// The server store: PostgreSQL through a connection pool, for several Baton processes sharing
// one database. Same semantics as the SQLite store: group commit with per-handoff revision
// checks, leases claimed with FOR UPDATE SKIP LOCKED, one checkpoint row per transaction.
import pg from 'pg';
import { listen, wakeChannel } from './wake.ts';
import type { ApprovalRecord, HandoffSnapshot, HandoffRecord, TaskRecord } from '../../core/types.ts';
import { checkpointHash, GENESIS } from '../../core/hash-chain.ts';
import { redactUrl } from '../../core/redact-url.ts';
import { BatonError } from '../../core/errors.ts';
import {
  HANDOFF_HELD_SQL,
  HELD_RESERVATIONS_SQL,
  heldRow,
  judgeReservation,
  refusalOf,
} from '../budget-rules.ts';
import type {
  BudgetDay,
  BudgetReservation,
  BudgetSettlement,
  ReserveOutcome,
  CheckpointRow,
  ClaimOptions,
  CommitOutcome,
  FlowVersionRow,
  HandoffCommit,
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
  HANDOFF_COLUMNS,
  rowToAction,
  rowToApproval,
  rowToEvent,
  rowToHandoff,
  rowToInbox,
  rowToLedger,
  rowToTask,
  rowToToken,
  DELIVERY_COLUMNS,
  deliveryToRow,
  LINK_COLUMNS,
  linkToRow,
  OUTBOX_COLUMNS,
  rowToDelivery,
  rowToLink,
  rowToOutbox,
  TOKEN_COLUMNS,
  tokenValues,
} from '../rows.ts';
import { Where } from '../sqlite/where.ts';
import { applyMigrations, ident, LOCK_CHECKPOINT, LOCK_CLASS, LOCK_FIRST_TOKEN } from './migrate.ts';
import { toPositional } from './sql.ts';
import { isUnavailable } from './unavailable.ts';

type Row = Record<string, unknown>;
type Client = pg.PoolClient;

/** BIGINT (ms times, counts) and NUMERIC (sums) come back as numbers, as from SQLite. */
const TYPES = new pg.TypeOverrides();
TYPES.setTypeParser(pg.types.builtins.INT8, Number);
TYPES.setTypeParser(pg.types.builtins.NUMERIC, Number);

const dollars = (n: number, from = 1): string =>
  Array.from({ length: n }, (_, i) => `$${from + i}`).join(', ');

/** Column types where not text: multi-row updates cast their VALUES to them. */
const HANDOFF_TYPES: Partial<Record<(typeof HANDOFF_COLUMNS)[number], string>> = {
  created_at: 'bigint',
  updated_at: 'bigint',
  handed_off_at: 'bigint',
  accepted_at: 'bigint',
  completed_at: 'bigint',
  wake_at: 'bigint',
  breached: 'integer',
  ladder_step: 'integer',
  rework: 'integer',
  cost_usd: 'double precision',
  rev: 'bigint',
  attempt: 'integer',
  lease_until: 'bigint',
  event_seq: 'integer',
};

/** A child table written with multi-row statements; `update` columns are replaced on conflict. */
interface TableSpec {
  head: string;
  columns: readonly string[];
  key?: readonly string[];
  update?: readonly string[];
}

const TABLES = {
  events: {
    head: 'events',
    columns: [
      'handoff_id',
      'seq',
      'at',
      'type',
      'actor_kind',
      'actor_id',
      'via',
      'data',
      'prev_hash',
      'hash',
    ],
  },
  actions: {
    head: 'actions',
    columns: [
      'handoff_id',
      'id',
      'ord',
      'use',
      'state',
      'risk',
      'idem_key',
      'params',
      'result',
      'error',
      'calls',
      'started_attempt',
      'next_attempt_at',
      'approval_id',
      'updated_at',
    ],
    key: ['handoff_id', 'id'],
    update: [
      'ord',
      'use',
      'state',
      'risk',
      'idem_key',
      'params',
      'result',
      'error',
      'calls',
      'started_attempt',
      'next_attempt_at',
      'approval_id',
      'updated_at',
    ],
  },
  approvals: {
    head: 'approvals',
    columns: ['id', 'handoff_id', 'flow_id', 'state', 'requested_at', 'decided_at', 'body'],
    key: ['id'],
    update: ['state', 'decided_at', 'body'],
  },
  ledger: {
    head: 'ledger',
    columns: ['handoff_id', 'seq', 'owner', 'from_at', 'to_at', 'reason', 'status', 'by_user'],
    key: ['handoff_id', 'seq'],
    update: ['to_at', 'status', 'reason', 'by_user'],
  },
  tasks: {
    head: 'tasks',
    columns: ['id', 'handoff_id', 'kind', 'title', 'body', 'assignee', 'state', 'created_at', 'data'],
    key: ['id'],
    update: ['title', 'body', 'assignee', 'state', 'data'],
  },
  inbox: {
    head: 'inbox',
    columns: ['id', 'owner', 'handoff_id', 'kind', 'text', 'created_at'],
  },
  outbox: { head: 'outbox', columns: OUTBOX_COLUMNS },
} satisfies Record<string, TableSpec>;

type TableName = keyof typeof TABLES;
const TABLE_NAMES = Object.keys(TABLES) as TableName[];

/** PostgreSQL allows 65,535 parameters per statement; stay well below. */
const MAX_PARAMS = 30_000;
/** Deadlocks and serialization failures: the transaction is retried from the start. */
const RETRYABLE = new Set(['40P01', '40001']);
const ATTEMPTS = 3;
/** Handoff rows per INSERT or UPDATE statement (31 parameters each). */
const RUN_ROWS = 500;

export interface PostgresOptions {
  /** A `postgres://` URL; `?schema=NAME` selects (and creates) a schema. */
  url: string;
  /** Pool size (default 10). */
  max?: number;
}

export class PostgresStore implements Store {
  readonly kind = 'postgres' as const;
  readonly batching = { maxBatch: 200, maxInFlight: 2 };
  readonly schema: string | undefined;
  private readonly pool: pg.Pool;
  private readonly checkpointLock: number;
  private readonly firstTokenLock: number;
  private closed = false;

  private readonly connectionString: string;
  private readonly channel: string;

  private constructor(pool: pg.Pool, schema: string | undefined, connectionString: string) {
    this.pool = pool;
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
    try {
      await store.migrate();
    } catch (e) {
      await pool.end().catch(() => undefined);
      throw new BatonError('store_error', `cannot open PostgreSQL store: ${(e as Error).message}`, {
        fault: 'system',
        retryable: true,
        cause: e,
      });
    }
    return store;
  }

  async migrate(): Promise<void> {
    await applyMigrations(this.pool, this.schema);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.pool.end();
  }

  private async rows(sql: string, params: readonly unknown[] = []): Promise<Row[]> {
    return (await this.run(toPositional(sql), params)).rows as Row[];
  }

  /** One statement outside a transaction; a database that is away is a retryable store_error. */
  private async run(text: string | pg.QueryConfig, values?: readonly unknown[]): Promise<pg.QueryResult> {
    try {
      return typeof text === 'string'
        ? await this.pool.query(text, values as unknown[] | undefined)
        : await this.pool.query(text);
    } catch (e) {
      throw storeError(e);
    }
  }

  async publishFlow(row: FlowVersionRow): Promise<void> {
    await this.run(
      `INSERT INTO flow_versions (version, flow_id, name, def, source, published_at)
        VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (version) DO NOTHING`,
      [row.version, row.flowId, row.name, JSON.stringify(row.def), row.source, row.publishedAt],
    );
  }

  async flowVersion(version: string): Promise<FlowVersionRow | undefined> {
    const [r] = await this.rows('SELECT * FROM flow_versions WHERE version = ?', [version]);
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

  async commit(batch: readonly HandoffCommit[]): Promise<CommitOutcome[]> {
    if (batch.length === 0) return [];
    const rows = batch.map(commitToRows);
    // Work due now wakes the workers of other processes (the NOTIFY is sent at COMMIT).
    const soon = Date.now() + 1000;
    const wake = batch.some(
      (c) => c.handoff.wakeAt !== null && c.handoff.wakeAt <= soon && !c.handoff.leaseOwner,
    );
    return this.transaction(async (c) => {
      const outcomes = await this.commitRows(c, rows);
      if (wake) await c.query('SELECT pg_notify($1, $2)', [this.channel, '']);
      return outcomes;
    });
  }

  subscribeWake(onWake: () => void): Promise<() => Promise<void>> {
    return listen(this.connectionString, this.channel, onWake);
  }

  private async commitRows(c: Client, batch: readonly CommitRows[]): Promise<CommitOutcome[]> {
    // Row locks in id order first: concurrent batches touching the same handoffs cannot deadlock.
    const updated = [...new Set(batch.filter((r) => r.expectedRev !== 0).map((r) => r.id))].sort();
    if (updated.length > 1) {
      await c.query({
        name: 'baton_lock_handoffs',
        text: 'SELECT 1 FROM handoffs WHERE id = ANY($1) ORDER BY id FOR UPDATE',
        values: [updated],
      });
    }
    // Consecutive inserts (or updates of distinct handoffs) go in one statement each: the
    // outcome of every commit is the same as applying them one after another.
    const outcomes: CommitOutcome[] = [];
    for (let i = 0; i < batch.length;) {
      const inserting = batch[i]!.expectedRev === 0;
      const run: CommitRows[] = [];
      const ids = new Set<string>();
      while (i < batch.length && run.length < RUN_ROWS) {
        const r = batch[i]!;
        if ((r.expectedRev === 0) !== inserting || ids.has(r.id)) break;
        run.push(r);
        ids.add(r.id);
        i++;
      }
      outcomes.push(...(inserting ? await insertHandoffs(c, run) : await updateHandoffs(c, run)));
    }
    const heads: Array<[string, number, string]> = [];
    const pending = Object.fromEntries(TABLE_NAMES.map((t) => [t, [] as unknown[]])) as Record<
      TableName,
      unknown[]
    >;
    batch.forEach((r, i) => {
      if (!outcomes[i]!.ok) return;
      for (const t of TABLE_NAMES) {
        const values = r[t];
        for (const v of values) pending[t].push(v);
      }
      if (r.head) heads.push(r.head);
    });
    for (const t of TABLE_NAMES) await writeRows(c, TABLES[t], pending[t]);
    if (heads.length > 0) await this.appendCheckpoint(c, heads);
    return outcomes;
  }

  /** Appends to the global chain; the advisory lock orders concurrent transactions' checkpoints. */
  private async appendCheckpoint(c: Client, heads: Array<[string, number, string]>): Promise<void> {
    await c.query({
      name: 'baton_checkpoint_lock',
      text: 'SELECT pg_advisory_xact_lock($1, $2)',
      values: [LOCK_CLASS, this.checkpointLock],
    });
    const last = (
      await c.query({
        name: 'baton_last_checkpoint',
        text: 'SELECT seq, hash FROM checkpoints ORDER BY seq DESC LIMIT 1',
      })
    ).rows[0] as Row | undefined;
    const seq = last ? Number(last.seq) + 1 : 1;
    const prev = last ? String(last.hash) : GENESIS;
    const at = Date.now();
    const headsJson = JSON.stringify(heads);
    await c.query({
      name: 'baton_insert_checkpoint',
      text: 'INSERT INTO checkpoints (seq, at, heads, prev_hash, hash) VALUES ($1, $2, $3, $4, $5)',
      values: [seq, at, headsJson, prev, checkpointHash(prev, seq, at, headsJson)],
    });
  }

  async claim(o: ClaimOptions): Promise<HandoffSnapshot[]> {
    if (o.limit <= 0) return [];
    return this.transaction(async (c) => {
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
    const rows = await this.rows(
      `SELECT lease_owner FROM handoffs WHERE lease_owner IS NOT NULL
        UNION SELECT lease_owner FROM outbox WHERE lease_owner IS NOT NULL ORDER BY lease_owner`,
    );
    return rows.map((r) => String(r.lease_owner));
  }

  async releaseLeases(worker: string): Promise<number> {
    const res = await this.run(
      // Released work is due at once: since its last step (it was in progress).
      'UPDATE handoffs SET lease_owner = NULL, lease_until = NULL, rev = rev + 1, wake_at = updated_at WHERE lease_owner = $1',
      [worker],
    );
    // Notices the dead worker was delivering are taken over at once too.
    const notices = await this.run(
      'UPDATE outbox SET lease_owner = NULL, lease_until = NULL WHERE lease_owner = $1',
      [worker],
    );
    return (res.rowCount ?? 0) + (notices.rowCount ?? 0);
  }

  async nextWake(): Promise<number | undefined> {
    const [r] = await this.rows('SELECT MIN(wake_at) AS w FROM handoffs WHERE wake_at IS NOT NULL');
    return r && r.w !== null ? Number(r.w) : undefined;
  }

  async get(id: string): Promise<HandoffSnapshot | undefined> {
    const [r] = await this.rows('SELECT * FROM handoffs WHERE id = ?', [id]);
    if (!r) return undefined;
    const [s] = await this.snapshotsOf({ query: (q) => this.run(q) }, [rowToHandoff(r)]);
    return s;
  }

  async byKey(flow: string, key: string) {
    const [r] = await this.rows('SELECT * FROM handoffs WHERE flow_id = ? AND idem_key = ?', [flow, key]);
    return r ? rowToHandoff(r) : undefined;
  }

  async events(handoffId: string) {
    return (await this.rows('SELECT * FROM events WHERE handoff_id = ? ORDER BY seq', [handoffId])).map(
      rowToEvent,
    );
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
    const limit = Math.min(Math.max(f.limit ?? 100, 1), 1000);
    const sql = `SELECT * FROM handoffs ${where.sql} ORDER BY created_at DESC, id DESC LIMIT ?`;
    const rows = await this.rows(sql, [...where.params, limit + 1]);
    const items = rows.slice(0, limit).map(rowToHandoff);
    const last = items[items.length - 1];
    return rows.length > limit && last
      ? { items, nextCursor: encodeCursor(last.createdAt, last.id) }
      : { items };
  }

  async approval(id: string) {
    const [r] = await this.rows('SELECT body FROM approvals WHERE id = ?', [id]);
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
    return (await this.rows(sql, [...where.params, f.limit ?? 1000])).map(rowToApproval);
  }

  async tasks(f: { assignees?: string[]; state?: TaskRecord['state']; handoffId?: string; limit?: number }) {
    const where = new Where()
      .add(!!f.assignees, 'assignee = ANY(?)', f.assignees ?? [])
      .add(!!f.state, 'state = ?', f.state)
      .add(!!f.handoffId, 'handoff_id = ?', f.handoffId);
    const sql = `SELECT * FROM tasks ${where.sql} ORDER BY created_at DESC, id DESC LIMIT ?`;
    return (await this.rows(sql, [...where.params, f.limit ?? 500])).map(rowToTask);
  }

  async inbox(f: { owners?: string[]; limit?: number }) {
    const where = new Where().add(!!f.owners, 'owner = ANY(?)', f.owners ?? []);
    const sql = `SELECT * FROM inbox ${where.sql} ORDER BY created_at DESC, id DESC LIMIT ?`;
    return (await this.rows(sql, [...where.params, f.limit ?? 500])).map(rowToInbox);
  }

  async createToken(t: TokenRow) {
    await this.run(
      `INSERT INTO tokens (${TOKEN_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
      tokenValues(t),
    );
  }

  async createFirstToken(t: TokenRow) {
    // INSERT … WHERE NOT EXISTS alone races under READ COMMITTED: serialize on an advisory lock.
    return this.transaction(async (c) => {
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
    const [r] = await this.rows('SELECT * FROM tokens WHERE hash = ?', [hash]);
    return r ? rowToToken(r) : undefined;
  }

  async revokeToken(id: string, at: number, by?: string) {
    const res = await this.run(
      'UPDATE tokens SET revoked_at = $1, revoked_by = $2 WHERE id = $3 AND revoked_at IS NULL',
      [at, by ?? null, id],
    );
    return (res.rowCount ?? 0) > 0;
  }

  async listTokens() {
    return (await this.rows('SELECT * FROM tokens ORDER BY created_at, id')).map(rowToToken);
  }

  async claimOutbox(o: ClaimOptions): Promise<OutboxRecord[]> {
    if (o.limit <= 0) return [];
    const res = await this.run({
      name: 'baton_claim_outbox',
      text: `WITH due AS (
          SELECT id FROM outbox WHERE next_at <= $1 AND (lease_until IS NULL OR lease_until < $1)
          ORDER BY next_at LIMIT $2 FOR UPDATE SKIP LOCKED)
        UPDATE outbox o SET lease_owner = $3, lease_until = $4 FROM due WHERE o.id = due.id RETURNING o.*`,
      values: [o.now, o.limit, o.worker, o.now + o.leaseMs],
    });
    return (res.rows as Row[]).map(rowToOutbox).sort((a, b) => (a.nextAt ?? 0) - (b.nextAt ?? 0));
  }

  async settleOutbox(
    id: string,
    worker: string,
    change: Pick<OutboxRecord, 'state' | 'attempts' | 'nextAt'> & { error?: string },
  ): Promise<boolean> {
    const res = await this.run(
      `UPDATE outbox SET state = $1, attempts = $2, next_at = $3, error = $4, lease_owner = NULL,
        lease_until = NULL WHERE id = $5 AND lease_owner = $6`,
      [change.state, change.attempts, change.nextAt, change.error ?? null, id, worker],
    );
    return (res.rowCount ?? 0) > 0;
  }

  async outbox(f: { handoffId?: string; state?: OutboxRecord['state']; limit?: number }) {
    const where = new Where()
      .add(!!f.handoffId, 'handoff_id = ?', f.handoffId)
      .add(!!f.state, 'state = ?', f.state);
    const sql = `SELECT * FROM outbox ${where.sql} ORDER BY created_at, id LIMIT ?`;
    return (await this.rows(sql, [...where.params, f.limit ?? 1000])).map(rowToOutbox);
  }

  async putDelivery(d: DeliveryRecord): Promise<void> {
    await this.run(
      `INSERT INTO deliveries (${DELIVERY_COLUMNS.join(', ')}) VALUES (${dollars(DELIVERY_COLUMNS.length)})
        ON CONFLICT (outbox_id, channel, recipient) DO UPDATE SET approval_id = excluded.approval_id,
        state = excluded.state, attempts = excluded.attempts, ref = excluded.ref, error = excluded.error,
        updated_at = excluded.updated_at`,
      deliveryToRow(d),
    );
  }

  async deliveries(f: { outboxId?: string; approvalId?: string }) {
    const where = new Where()
      .add(!!f.outboxId, 'outbox_id = ?', f.outboxId)
      .add(!!f.approvalId, 'approval_id = ?', f.approvalId);
    const sql = `SELECT * FROM deliveries ${where.sql} ORDER BY updated_at, outbox_id, channel, recipient`;
    return (await this.rows(sql, where.params)).map(rowToDelivery);
  }

  async createLink(l: LinkRecord): Promise<void> {
    await this.run(
      `INSERT INTO links (${LINK_COLUMNS.join(', ')}) VALUES (${dollars(LINK_COLUMNS.length)})`,
      linkToRow(l),
    );
  }

  async link(hash: string) {
    const [r] = await this.rows('SELECT * FROM links WHERE hash = ?', [hash]);
    return r ? rowToLink(r) : undefined;
  }

  async useLink(hash: string, now: number) {
    const [r] = await this.rows(
      'UPDATE links SET used_at = ? WHERE hash = ? AND used_at IS NULL AND expires_at > ? RETURNING *',
      [now, hash, now],
    );
    return r ? rowToLink(r) : undefined;
  }

  async releaseLink(hash: string, usedAt: number): Promise<void> {
    await this.run('UPDATE links SET used_at = NULL WHERE hash = $1 AND used_at = $2', [hash, usedAt]);
  }

  async rememberRequest(key: string, at: number, forgetBefore: number): Promise<boolean> {
    await this.run('DELETE FROM seen_requests WHERE at < $1', [forgetBefore]);
    const res = await this.run(
      'INSERT INTO seen_requests (key, at) VALUES ($1, $2) ON CONFLICT (key) DO NOTHING',
      [key, at],
    );
    return (res.rowCount ?? 0) > 0;
  }

  async heads(after: string | undefined, limit: number) {
    const rows = await this.rows(
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
    const rows = await this.rows('SELECT * FROM checkpoints WHERE seq > ? ORDER BY seq LIMIT ?', [
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

  /** Accepts `?` placeholders (SQLite style) as well as `$1`…. */
  async query<T>(sql: string, params: readonly unknown[] = []): Promise<T[]> {
    return (await this.rows(sql, params)) as T[];
  }

  async reserveBudget(r: BudgetReservation): Promise<ReserveOutcome> {
    return this.transaction(async (c) => {
      // The flow's day row is the lock: reservations of one flow and day queue behind it, so a
      // concurrent burst is judged one by one against what the previous ones hold.
      await c.query(
        `INSERT INTO budget_days (flow_id, day) VALUES ($1, $2) ON CONFLICT (flow_id, day) DO NOTHING`,
        [r.flow, r.day],
      );
      const day = (
        await c.query<Row>(
          'SELECT reserved_usd + spent_usd AS usd FROM budget_days WHERE flow_id = $1 AND day = $2 FOR UPDATE',
          [r.flow, r.day],
        )
      ).rows[0]!;
      const existing = (
        await c.query<Row>('SELECT state, refused FROM budget_reservations WHERE id = $1', [r.id])
      ).rows[0];
      if (existing) return existing.state === 'refused' ? refusalOf(existing.refused) : { ok: true as const };
      const h = (await c.query<Row>(toPositional(HANDOFF_HELD_SQL), [r.handoffId])).rows[0]!;
      const verdict = judgeReservation(r, {
        handoffUsd: Number(h.usd),
        handoffCalls: Number(h.calls),
        dayUsd: Number(day.usd),
      });
      await c.query(
        `INSERT INTO budget_reservations (id, handoff_id, flow_id, day, model, state, estimate_usd, refused, created_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
        [
          r.id,
          r.handoffId,
          r.flow,
          r.day,
          r.model,
          verdict.ok ? 'reserved' : 'refused',
          r.estimateUsd,
          verdict.ok ? null : JSON.stringify({ cap: verdict.cap, used: verdict.used, limit: verdict.limit }),
          r.at,
        ],
      );
      if (verdict.ok) {
        await c.query(
          `UPDATE budget_days SET reserved_usd = reserved_usd + $3, calls = calls + 1 WHERE flow_id = $1 AND day = $2`,
          [r.flow, r.day, r.estimateUsd],
        );
      }
      return verdict;
    });
  }

  async settleBudget(id: string, s: BudgetSettlement): Promise<{ costUsd: number } | undefined> {
    return this.transaction(async (c) => {
      const r = (await c.query<Row>('SELECT * FROM budget_reservations WHERE id = $1 FOR UPDATE', [id]))
        .rows[0];
      if (!r || r.state === 'refused') return undefined;
      if (r.state === 'settled') return { costUsd: Number(r.cost_usd) };
      await c.query(
        `UPDATE budget_reservations SET state = 'settled', cost_usd = $2, input_tokens = $3, output_tokens = $4,
           cached_tokens = $5, settled_at = $6 WHERE id = $1`,
        [id, s.costUsd, s.inputTokens, s.outputTokens, s.cachedTokens, s.at],
      );
      await c.query(
        `UPDATE budget_days SET reserved_usd = GREATEST(0, reserved_usd - $3), spent_usd = spent_usd + $4
         WHERE flow_id = $1 AND day = $2`,
        [String(r.flow_id), String(r.day), Number(r.estimate_usd), s.costUsd],
      );
      return { costUsd: s.costUsd };
    });
  }

  async budgetDay(flow: string, day: string): Promise<BudgetDay> {
    const r = (
      await this.rows(
        'SELECT reserved_usd, spent_usd, calls FROM budget_days WHERE flow_id = $1 AND day = $2',
        [flow, day],
      )
    )[0];
    return r
      ? { reservedUsd: Number(r.reserved_usd), spentUsd: Number(r.spent_usd), calls: Number(r.calls) }
      : { reservedUsd: 0, spentUsd: 0, calls: 0 };
  }

  async heldReservations(before: number, limit: number) {
    return (await this.rows(toPositional(HELD_RESERVATIONS_SQL), [before, limit])).map(heldRow);
  }

  /** Runs `fn` in one transaction; retried from the start after a deadlock. */
  private async transaction<T>(fn: (c: Client) => Promise<T>): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      const c = await this.pool.connect().catch((e: unknown) => {
        throw storeError(e);
      });
      let broken = false;
      try {
        await c.query('BEGIN');
        const result = await fn(c);
        await c.query('COMMIT');
        return result;
      } catch (e) {
        await c.query('ROLLBACK').catch(() => {
          broken = true;
        });
        const code = (e as { code?: unknown }).code;
        if (attempt < ATTEMPTS && typeof code === 'string' && RETRYABLE.has(code)) continue;
        throw storeError(e);
      } finally {
        c.release(broken);
      }
    }
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
    await this.transaction(async (c) => {
      for (let start = 0; start < rows.length; start += perStatement) {
        const chunk = rows.slice(start, start + perStatement);
        const values = chunk.map((_, r) => `(${dollars(width, r * width + 1)})`).join(', ');
        await c.query(head + values, chunk.flat());
      }
    });
  }

  /** For tests that tamper with the audit log on purpose. */
  async unsafeExec(sql: string): Promise<void> {
    await this.run(sql);
  }
}

/** A driver error that means the database is away becomes a retryable store_error. */
function storeError(e: unknown): unknown {
  if (!isUnavailable(e)) return e;
  return new BatonError('store_error', `PostgreSQL is not available: ${(e as Error).message}`, {
    fault: 'system',
    retryable: true,
    retryAfterMs: 1000,
    cause: e,
  });
}

/** Inserts new handoffs; a taken (flow, idempotency key) is a duplicate naming the holder. */
async function insertHandoffs(c: Client, run: readonly CommitRows[]): Promise<CommitOutcome[]> {
  const width = HANDOFF_COLUMNS.length;
  const values = run.map((_, r) => `(${dollars(width, r * width + 1)})`).join(', ');
  const res = await c.query(
    `INSERT INTO handoffs (${HANDOFF_COLUMNS.join(', ')}) VALUES ${values}
      ON CONFLICT (flow_id, idem_key) DO NOTHING RETURNING id`,
    run.flatMap((r) => r.handoff),
  );
  const inserted = new Set((res.rows as Row[]).map((r) => String(r.id)));
  const taken = run.filter((r) => !inserted.has(r.id));
  const holders = new Map<string, Row>();
  if (taken.length > 0) {
    const found = await c.query(
      `SELECT id, state, flow_id, idem_key FROM handoffs WHERE (flow_id, idem_key) IN (${taken
        .map((_, k) => `($${2 * k + 1}, $${2 * k + 2})`)
        .join(', ')})`,
      taken.flatMap((r) => [r.flow, r.key]),
    );
    for (const h of found.rows as Row[]) holders.set(JSON.stringify([h.flow_id, h.idem_key]), h);
  }
  return run.map((r): CommitOutcome => {
    if (inserted.has(r.id)) return { ok: true };
    const h = holders.get(JSON.stringify([r.flow, r.key]));
    // Not inserted and no holder: the id itself was taken (a unique violation is raised first).
    if (!h) return { ok: false, reason: 'conflict' };
    return { ok: false, reason: 'duplicate', id: String(h.id), state: h.state as never };
  });
}

/** Updates distinct handoffs, each only if it is still at the revision its step read. */
async function updateHandoffs(c: Client, run: readonly CommitRows[]): Promise<CommitOutcome[]> {
  const width = HANDOFF_COLUMNS.length + 1;
  const types = [...HANDOFF_COLUMNS.map((col) => HANDOFF_TYPES[col] ?? 'text'), 'bigint'];
  const values = run
    .map((_, r) => `(${types.map((t, k) => `$${r * width + k + 1}::${t}`).join(', ')})`)
    .join(', ');
  const res = await c.query(
    `UPDATE handoffs h SET ${HANDOFF_COLUMNS.slice(1)
      .map((col) => `${col} = v.${col}`)
      .join(', ')}
      FROM (VALUES ${values}) AS v (${HANDOFF_COLUMNS.join(', ')}, expected_rev)
      WHERE h.id = v.id AND h.rev = v.expected_rev RETURNING h.id`,
    run.flatMap((r) => [...r.handoff, r.expectedRev]),
  );
  const updated = new Set((res.rows as Row[]).map((r) => String(r.id)));
  return run.map((r): CommitOutcome =>
    updated.has(r.id) ? { ok: true } : { ok: false, reason: 'conflict' },
  );
}

/** Multi-row INSERT (or upsert) of flat values; a key written twice in one batch is merged. */
async function writeRows(c: Client, spec: TableSpec, flat: readonly unknown[]): Promise<void> {
  const width = spec.columns.length;
  if (flat.length === 0) return;
  let rows: unknown[][] = [];
  for (let i = 0; i < flat.length; i += width) rows.push(flat.slice(i, i + width));
  if (spec.key && spec.update) rows = mergeByKey(spec, rows);
  const tail =
    spec.key && spec.update
      ? ` ON CONFLICT (${spec.key.join(', ')}) DO UPDATE SET ${spec.update.map((u) => `${u} = excluded.${u}`).join(', ')}`
      : '';
  const perStatement = Math.max(1, Math.floor(MAX_PARAMS / width));
  for (let start = 0; start < rows.length; start += perStatement) {
    const chunk = rows.slice(start, start + perStatement);
    const values = chunk.map((_, r) => `(${dollars(width, r * width + 1)})`).join(', ');
    await c.query(
      `INSERT INTO ${spec.head} (${spec.columns.join(', ')}) VALUES ${values}${tail}`,
      chunk.flat(),
    );
  }
}

/**
 * One statement cannot upsert the same key twice: later writes of a key fold into its first row
 * (their updatable columns win), which is what applying them one after another would leave.
 */
function mergeByKey(spec: TableSpec, rows: unknown[][]): unknown[][] {
  const keyIdx = spec.key!.map((k) => spec.columns.indexOf(k));
  const updIdx = spec.update!.map((u) => spec.columns.indexOf(u));
  const first = new Map<string, unknown[]>();
  const out: unknown[][] = [];
  for (const row of rows) {
    const key = JSON.stringify(keyIdx.map((i) => row[i]));
    const seen = first.get(key);
    if (!seen) {
      first.set(key, row);
      out.push(row);
    } else {
      for (const i of updIdx) seen[i] = row[i];
    }
  }
  return out;
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

const SCHEMA_NAME = /^[A-Za-z_][A-Za-z0-9_]{0,62}$/;

/** Splits `?schema=NAME` off a postgres URL (the driver does not know it). */
export function parseUrl(url: string): {
  connectionString: string;
  schema: string | undefined;
  pool?: number;
} {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw new BatonError('project_invalid', `storage URL "${redactUrl(url)}" is not a valid URL`, {
      details: [{ path: 'storage', message: 'expected postgres://user@host:port/database' }],
    });
  }
  if (u.protocol !== 'postgres:' && u.protocol !== 'postgresql:') {
    throw new BatonError('project_invalid', `storage URL "${redactUrl(url)}" is not a postgres:// URL`, {
      details: [{ path: 'storage', message: 'expected postgres://user@host:port/database' }],
    });
  }
  const schema = u.searchParams.get('schema') ?? undefined;
  if (schema !== undefined && !SCHEMA_NAME.test(schema)) {
    throw new BatonError(
      'project_invalid',
      `storage URL schema "${schema}" is not a valid schema name (letters, digits and _, up to 63)`,
      { details: [{ path: 'storage.schema', message: 'expected a name like baton or baton_prod' }] },
    );
  }
  u.searchParams.delete('schema');
  const poolParam = u.searchParams.get('pool');
  u.searchParams.delete('pool');
  let pool: number | undefined;
  if (poolParam !== null) {
    pool = Number(poolParam);
    if (!Number.isInteger(pool) || pool < 1 || pool > 1000) {
      throw new BatonError(
        'project_invalid',
        `storage URL pool "${poolParam}" is not a number from 1 to 1000`,
        {
          details: [{ path: 'storage.pool', message: 'connections per process, e.g. ?pool=10' }],
        },
      );
    }
  }
  return { connectionString: u.toString(), schema, ...(pool !== undefined ? { pool } : {}) };
}

/** The URL without its password, for messages. */
