// How a batch of commits is written on PostgreSQL: new handoffs and revision-checked updates as
// multi-row statements, and the child tables (events, actions, approvals, ledger, tasks, inbox,
// outbox) as multi-row inserts or upserts.
import type { CommitOutcome } from '../port.ts';
import { HANDOFF_COLUMNS, OUTBOX_COLUMNS, type CommitRows } from '../rows.ts';
import type { Client, Row } from './db.ts';
import { dollars } from './sql.ts';

/** PostgreSQL allows 65,535 parameters per statement; stay well below. */
export const MAX_PARAMS = 30_000;
/** Handoff rows per INSERT or UPDATE statement (31 parameters each). */
export const RUN_ROWS = 500;

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
export interface TableSpec {
  head: string;
  columns: readonly string[];
  key?: readonly string[];
  update?: readonly string[];
}

export const TABLES = {
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

export type TableName = keyof typeof TABLES;
export const TABLE_NAMES = Object.keys(TABLES) as TableName[];

/** Inserts new handoffs; a taken (flow, idempotency key) is a duplicate naming the holder. */
export async function insertHandoffs(c: Client, run: readonly CommitRows[]): Promise<CommitOutcome[]> {
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
export async function updateHandoffs(c: Client, run: readonly CommitRows[]): Promise<CommitOutcome[]> {
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
export async function writeRows(c: Client, spec: TableSpec, flat: readonly unknown[]): Promise<void> {
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
