// What intake keeps besides handoffs, on either store: the dead-letter list (what arrived and
// could not become a handoff), when each trigger last fired, and the schedules' next slots. The
// SQL is the same on SQLite and PostgreSQL (`?` placeholders, ON CONFLICT, RETURNING); each store
// passes its own way to run it. Every write is one statement, so each is atomic on its own.
import type { ErrorDetail } from '../core/errors.ts';

/** What arrived, as it arrived (the body as base64 unless it is text). */
export interface RawPayload {
  /** message/rfc822, application/json, … */
  contentType: string;
  encoding: 'utf8' | 'base64';
  body: string;
  /** The size of what arrived, in bytes (more than the body holds when `truncated`). */
  bytes: number;
  /** Only the start was kept: what arrived was over the size limit. */
  truncated?: boolean;
  /** Facts about the arrival worth keeping (the recipient, the event's type, a delivery id). */
  meta?: Record<string, string>;
}

export type IntakeFailureState = 'failed' | 'replayed' | 'dropped';

export interface IntakeFailureRecord {
  /** if_ + a hash of flow, trigger and key: a redelivery finds the same entry. */
  id: string;
  flow: string;
  /** email, slack, schedule or webhooks.CONNECTOR */
  trigger: string;
  /** The trigger's own idempotency key (Message-ID, event_id, delivery id, slot). */
  key: string;
  /** unparseable | map_failed | invalid_input | too_large | idempotency_conflict | not_accepted */
  reason: string;
  message: string;
  details: ErrorDetail[];
  payload: RawPayload;
  receivedAt: number;
  lastSeenAt: number;
  /** How many times it arrived. */
  seen: number;
  state: IntakeFailureState;
  settledAt?: number;
  settledBy?: string;
  /** The handoff a replay made (or found). */
  handoffId?: string;
}

export interface TriggerFireRow {
  flow: string;
  trigger: string;
  lastAt: number;
  lastOutcome: string;
  /** Deliveries that made or found a handoff (or a comment), and ones that failed. */
  fired: number;
  failed: number;
}

export interface ScheduleRow {
  flow: string;
  /** The schedule's settings as text: a change of cron or time zone starts the schedule over. */
  spec: string;
  nextAt: number;
  lastSlotAt?: number;
  leaseOwner?: string;
  leaseUntil?: number;
}

/** A file that came with what arrived (an email attachment), kept by its content hash. */
export interface IntakeAttachment {
  /** att_ + the sha256 of the bytes (hex). */
  ref: string;
  bytes: Uint8Array;
  size: number;
  contentType: string;
  filename?: string;
  createdAt: number;
}

/** How a store runs a statement: rows for a query (or RETURNING), changes for the rest. */
export interface SqlRunner {
  all(sql: string, params: readonly unknown[]): Promise<Array<Record<string, unknown>>>;
  run(sql: string, params: readonly unknown[]): Promise<number>;
}

const text = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);
const num = (v: unknown): number | undefined => (v === null || v === undefined ? undefined : Number(v));

function toFailure(r: Record<string, unknown>): IntakeFailureRecord {
  const settledAt = num(r.settled_at);
  return {
    id: String(r.id),
    flow: String(r.flow),
    trigger: String(r.via),
    key: String(r.key),
    reason: String(r.reason),
    message: String(r.message),
    details: JSON.parse(String(r.details)) as ErrorDetail[],
    payload: JSON.parse(String(r.payload)) as RawPayload,
    receivedAt: Number(r.received_at),
    lastSeenAt: Number(r.last_seen_at),
    seen: Number(r.seen),
    state: String(r.state) as IntakeFailureState,
    ...(settledAt !== undefined ? { settledAt } : {}),
    ...(text(r.settled_by) !== undefined ? { settledBy: text(r.settled_by)! } : {}),
    ...(text(r.handoff_id) !== undefined ? { handoffId: text(r.handoff_id)! } : {}),
  };
}

function toSchedule(r: Record<string, unknown>): ScheduleRow {
  const lastSlotAt = num(r.last_slot_at);
  const leaseUntil = num(r.lease_until);
  return {
    flow: String(r.flow),
    spec: String(r.spec),
    nextAt: Number(r.next_at),
    ...(lastSlotAt !== undefined ? { lastSlotAt } : {}),
    ...(text(r.lease_owner) !== undefined ? { leaseOwner: text(r.lease_owner)! } : {}),
    ...(leaseUntil !== undefined ? { leaseUntil } : {}),
  };
}

export class IntakeStore {
  readonly #sql: SqlRunner;

  constructor(sql: SqlRunner) {
    this.#sql = sql;
  }

  // ---- the dead-letter list

  /**
   * Keeps what could not become a handoff. When the entry exists and is still failed, it is
   * seen once more and takes the newest reason; a replayed or dropped one is opened again.
   */
  async putFailure(
    f: Omit<IntakeFailureRecord, 'lastSeenAt' | 'seen' | 'state'>,
  ): Promise<IntakeFailureRecord> {
    const rows = await this.#sql.all(
      `INSERT INTO intake_failures (id, flow, via, key, reason, message, details, payload, received_at,
         last_seen_at, seen, state)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 1, 'failed')
       ON CONFLICT (id) DO UPDATE SET reason = excluded.reason, message = excluded.message,
         details = excluded.details, payload = excluded.payload, last_seen_at = excluded.last_seen_at,
         seen = intake_failures.seen + 1, state = 'failed', settled_at = NULL, settled_by = NULL,
         handoff_id = NULL
       RETURNING *`,
      [
        f.id,
        f.flow,
        f.trigger,
        f.key,
        f.reason,
        f.message,
        JSON.stringify(f.details),
        JSON.stringify(f.payload),
        f.receivedAt,
        f.receivedAt,
      ],
    );
    return toFailure(rows[0]!);
  }

  async failure(id: string): Promise<IntakeFailureRecord | undefined> {
    const [r] = await this.#sql.all('SELECT * FROM intake_failures WHERE id = ?', [id]);
    return r ? toFailure(r) : undefined;
  }

  /** Newest first. `flows`: only these (a scoped token's reach; empty matches nothing). */
  async failures(filter: {
    flow?: string;
    flows?: readonly string[];
    state?: IntakeFailureState;
    before?: number;
    limit?: number;
  }): Promise<IntakeFailureRecord[]> {
    const where: string[] = [];
    const params: unknown[] = [];
    const add = (sql: string, ...values: unknown[]): void => {
      where.push(sql);
      params.push(...values);
    };
    if (filter.flow !== undefined) add('flow = ?', filter.flow);
    if (filter.flows !== undefined) {
      if (filter.flows.length === 0) return [];
      add(`flow IN (${filter.flows.map(() => '?').join(', ')})`, ...filter.flows);
    }
    if (filter.state !== undefined) add('state = ?', filter.state);
    if (filter.before !== undefined) add('last_seen_at < ?', filter.before);
    const sql = `SELECT * FROM intake_failures ${where.length ? `WHERE ${where.join(' AND ')}` : ''}
      ORDER BY last_seen_at DESC, id LIMIT ?`;
    return (await this.#sql.all(sql, [...params, filter.limit ?? 100])).map(toFailure);
  }

  /** Marks a failed entry replayed (with its handoff) or dropped; false when it was not failed. */
  async settleFailure(
    id: string,
    change: { state: 'replayed' | 'dropped'; at: number; by?: string; handoffId?: string },
  ): Promise<boolean> {
    const n = await this.#sql.run(
      `UPDATE intake_failures SET state = ?, settled_at = ?, settled_by = ?, handoff_id = ?
       WHERE id = ? AND state = 'failed'`,
      [change.state, change.at, change.by ?? null, change.handoffId ?? null, id],
    );
    return n > 0;
  }

  // ---- attachments, by reference

  /** Keeps a file; the same content (the same ref) is kept once. */
  async putAttachment(a: IntakeAttachment): Promise<void> {
    await this.#sql.run(
      `INSERT INTO intake_attachments (ref, bytes, size, content_type, filename, created_at)
       VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (ref) DO NOTHING`,
      [a.ref, a.bytes, a.size, a.contentType, a.filename ?? null, a.createdAt],
    );
  }

  async attachment(ref: string): Promise<IntakeAttachment | undefined> {
    const [r] = await this.#sql.all('SELECT * FROM intake_attachments WHERE ref = ?', [ref]);
    if (!r) return undefined;
    const b = r.bytes as Uint8Array;
    return {
      ref: String(r.ref),
      bytes: new Uint8Array(b.buffer, b.byteOffset, b.byteLength),
      size: Number(r.size),
      contentType: String(r.content_type),
      ...(text(r.filename) !== undefined ? { filename: text(r.filename)! } : {}),
      createdAt: Number(r.created_at),
    };
  }

  // ---- threads

  /**
   * The handoff a reply names: one of the flow's handoffs keyed by an earlier message (`keys`),
   * else the handoff whose email notice had one of `messageIds` (a delivery's ref is stored as
   * the JSON the email channel returns, `{"messageId": "<…>"}`: see notice-rows.ts).
   */
  async threadHandoff(
    flow: string,
    keys: readonly string[],
    messageIds: readonly string[],
  ): Promise<string | undefined> {
    const marks = (n: number) => Array.from({ length: n }, () => '?').join(', ');
    if (keys.length) {
      const [h] = await this.#sql.all(
        `SELECT id FROM handoffs WHERE flow_id = ? AND idem_key IN (${marks(keys.length)}) ORDER BY created_at LIMIT 1`,
        [flow, ...keys],
      );
      if (h) return text(h.id);
    }
    if (!messageIds.length) return undefined;
    const [n] = await this.#sql.all(
      `SELECT o.handoff_id FROM deliveries d JOIN outbox o ON o.id = d.outbox_id
       WHERE d.channel = 'email' AND d.ref IN (${marks(messageIds.length)}) LIMIT 1`,
      messageIds.map((messageId) => JSON.stringify({ messageId })),
    );
    return text(n?.handoff_id);
  }

  // ---- when triggers fired

  async recordFire(
    flow: string,
    trigger: string,
    at: number,
    outcome: string,
    failed: boolean,
  ): Promise<void> {
    await this.#sql.run(
      `INSERT INTO trigger_fires (flow, via, last_at, last_outcome, fired, failed) VALUES (?, ?, ?, ?, ?, ?)
       ON CONFLICT (flow, via) DO UPDATE SET last_at = excluded.last_at, last_outcome = excluded.last_outcome,
         fired = trigger_fires.fired + excluded.fired, failed = trigger_fires.failed + excluded.failed`,
      [flow, trigger, at, outcome, failed ? 0 : 1, failed ? 1 : 0],
    );
  }

  async fires(flow?: string): Promise<TriggerFireRow[]> {
    const rows = await this.#sql.all(
      `SELECT * FROM trigger_fires ${flow !== undefined ? 'WHERE flow = ?' : ''} ORDER BY flow, via`,
      flow !== undefined ? [flow] : [],
    );
    return rows.map((r) => ({
      flow: String(r.flow),
      trigger: String(r.via),
      lastAt: Number(r.last_at),
      lastOutcome: String(r.last_outcome),
      fired: Number(r.fired),
      failed: Number(r.failed),
    }));
  }

  // ---- schedules

  async schedule(flow: string): Promise<ScheduleRow | undefined> {
    const [r] = await this.#sql.all('SELECT * FROM schedules WHERE flow = ?', [flow]);
    return r ? toSchedule(r) : undefined;
  }

  /**
   * Makes sure the flow's schedule exists with this spec: created with `nextAt` when absent,
   * started over from `nextAt` when its spec changed, left alone otherwise. Returns the row.
   */
  async ensureSchedule(flow: string, spec: string, nextAt: number): Promise<ScheduleRow> {
    await this.#sql.run(
      `INSERT INTO schedules (flow, spec, next_at) VALUES (?, ?, ?)
       ON CONFLICT (flow) DO UPDATE SET spec = excluded.spec, next_at = excluded.next_at,
         lease_owner = NULL, lease_until = NULL
       WHERE schedules.spec <> excluded.spec`,
      [flow, spec, nextAt],
    );
    return (await this.schedule(flow))!;
  }

  /** Removes the schedules of flows that no longer have one. */
  async dropSchedules(keep: readonly string[]): Promise<number> {
    if (keep.length === 0) return this.#sql.run('DELETE FROM schedules', []);
    return this.#sql.run(`DELETE FROM schedules WHERE flow NOT IN (${keep.map(() => '?').join(', ')})`, [
      ...keep,
    ]);
  }

  /**
   * Leases the schedules whose slot is due and that no live worker holds (one statement per
   * row: a row is leased by exactly one worker, on either store).
   */
  async claimSchedules(o: {
    worker: string;
    now: number;
    leaseMs: number;
    limit: number;
  }): Promise<ScheduleRow[]> {
    const due = await this.#sql.all(
      `SELECT flow FROM schedules WHERE next_at <= ? AND (lease_until IS NULL OR lease_until < ?)
       ORDER BY next_at LIMIT ?`,
      [o.now, o.now, o.limit],
    );
    const claimed: ScheduleRow[] = [];
    for (const d of due) {
      const rows = await this.#sql.all(
        `UPDATE schedules SET lease_owner = ?, lease_until = ?
         WHERE flow = ? AND next_at <= ? AND (lease_until IS NULL OR lease_until < ?) RETURNING *`,
        [o.worker, o.now + o.leaseMs, d.flow, o.now, o.now],
      );
      if (rows[0]) claimed.push(toSchedule(rows[0]));
    }
    return claimed;
  }

  /** Extends a held lease (a long sweep); false when `worker` no longer holds it. */
  async renewSchedule(flow: string, worker: string, until: number): Promise<boolean> {
    return (
      (await this.#sql.run('UPDATE schedules SET lease_until = ? WHERE flow = ? AND lease_owner = ?', [
        until,
        flow,
        worker,
      ])) > 0
    );
  }

  /**
   * Moves a leased schedule on after its slot fired (or was skipped) and ends the lease. False,
   * and nothing changed, when `worker` no longer holds it or its slot moved meanwhile.
   */
  async advanceSchedule(
    flow: string,
    worker: string,
    fromNextAt: number,
    change: { nextAt: number; lastSlotAt?: number },
  ): Promise<boolean> {
    const n = await this.#sql.run(
      `UPDATE schedules SET next_at = ?, last_slot_at = COALESCE(?, last_slot_at), lease_owner = NULL, lease_until = NULL
       WHERE flow = ? AND lease_owner = ? AND next_at = ?`,
      [change.nextAt, change.lastSlotAt ?? null, flow, worker, fromNextAt],
    );
    return n > 0;
  }

  /** Ends a lease without moving the schedule (the sweep failed: the slot is tried again). */
  async releaseSchedule(flow: string, worker: string, retryAt: number): Promise<boolean> {
    const n = await this.#sql.run(
      'UPDATE schedules SET lease_owner = NULL, lease_until = ? WHERE flow = ? AND lease_owner = ?',
      [retryAt, flow, worker],
    );
    return n > 0;
  }

  /** The earliest time a schedule is due (or its lease ends). */
  async nextScheduleAt(): Promise<number | undefined> {
    const [r] = await this.#sql.all(
      'SELECT MIN(CASE WHEN lease_until IS NOT NULL AND lease_until > next_at THEN lease_until ELSE next_at END) AS at FROM schedules',
      [],
    );
    return num(r?.at);
  }
}
