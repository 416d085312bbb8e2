// How a batch of commits is written on PostgreSQL: new handoffs and revision-checked updates as
// multi-row statements, and the child tables (event batches, actions, approvals, ledger, tasks, inbox,
// outbox) as multi-row inserts or upserts.
import type { CommitOutcome } from '../port.ts';
import { HANDOFF_COLUMNS, type CommitRows } from '../rows.ts';
import { OUTBOX_COLUMNS } from '../notice-rows.ts';
import type { Client, Row } from './db.ts';

/** Handoff rows per INSERT or UPDATE statement. */
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

const ACTION_COLUMNS = [
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
  'undo',
] as const;

/** A child table written with multi-row statements; `update` columns are replaced on conflict. */
export interface TableSpec {
  head: string;
  columns: readonly string[];
  /** Column types where not text (the arrays of the unnest insert are cast to them). */
  types?: Readonly<Record<string, string>>;
  key?: readonly string[];
  update?: readonly string[];
}

export const TABLES = {
  eventBatches: {
    head: 'event_batches',
    types: { seq: 'integer' },
    columns: ['handoff_id', 'seq', 'events', 'prev_hash'],
  },
  actions: {
    head: 'actions',
    types: {
      ord: 'integer',
      calls: 'integer',
      started_attempt: 'integer',
      next_attempt_at: 'bigint',
      updated_at: 'bigint',
    },
    columns: ACTION_COLUMNS,
    key: ['handoff_id', 'id'],
    update: ACTION_COLUMNS.slice(2),
  },
  approvals: {
    head: 'approvals',
    types: { requested_at: 'bigint', decided_at: 'bigint' },
    columns: ['id', 'handoff_id', 'flow_id', 'state', 'requested_at', 'decided_at', 'body'],
    key: ['id'],
    update: ['state', 'decided_at', 'body'],
  },
  ledger: {
    head: 'ledger',
    types: { seq: 'integer', from_at: 'bigint', to_at: 'bigint' },
    columns: ['handoff_id', 'seq', 'owner', 'from_at', 'to_at', 'reason', 'status', 'by_user'],
    key: ['handoff_id', 'seq'],
    update: ['to_at', 'status', 'reason', 'by_user'],
  },
  tasks: {
    head: 'tasks',
    types: { created_at: 'bigint' },
    columns: ['id', 'handoff_id', 'kind', 'title', 'body', 'assignee', 'state', 'created_at', 'data'],
    key: ['id'],
    update: ['title', 'body', 'assignee', 'state', 'data'],
  },
  inbox: {
    head: 'inbox',
    types: { created_at: 'bigint' },
    columns: ['id', 'owner', 'handoff_id', 'kind', 'text', 'created_at'],
  },
  outbox: {
    head: 'outbox',
    types: { created_at: 'bigint', attempts: 'integer', next_at: 'bigint', lease_until: 'bigint' },
    columns: OUTBOX_COLUMNS,
  },
} satisfies Record<string, TableSpec>;

/** The tables whose rows a commit carries ready to write (its events are chained first). */
export const CHILD_TABLES = ['actions', 'approvals', 'ledger', 'tasks', 'inbox', 'outbox'] as const;
export type ChildTable = (typeof CHILD_TABLES)[number];

/** `$1::text[], $2::bigint[], …` for the handoff columns. */
function handoffArrays(): string {
  return HANDOFF_COLUMNS.map((col, k) => `$${k + 1}::${HANDOFF_TYPES[col] ?? 'text'}[]`).join(', ');
}

/** Rows of `width` values as one array per column (what `unnest` takes). */
function byColumn(rows: ReadonlyArray<readonly unknown[]>, width: number): unknown[][] {
  const columns: unknown[][] = Array.from({ length: width }, () => new Array<unknown>(rows.length));
  rows.forEach((row, r) => {
    for (let k = 0; k < width; k++) columns[k]![r] = row[k];
  });
  return columns;
}

/** Inserts new handoffs; a taken (flow, idempotency key) is a duplicate naming the holder. */
export async function insertHandoffs(c: Client, run: readonly CommitRows[]): Promise<CommitOutcome[]> {
  const res = await c.query({
    name: 'baton_insert_handoffs',
    text: `INSERT INTO handoffs (${HANDOFF_COLUMNS.join(', ')}) SELECT * FROM unnest(${handoffArrays()})
      ON CONFLICT (flow_id, idem_key) DO NOTHING RETURNING id`,
    values: byColumn(
      run.map((r) => r.handoff),
      HANDOFF_COLUMNS.length,
    ),
  });
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
  const res = await c.query({
    name: 'baton_update_handoffs',
    text: `UPDATE handoffs h SET ${HANDOFF_COLUMNS.slice(1)
      .map((col) => `${col} = v.${col}`)
      .join(', ')}
      FROM unnest(${handoffArrays()}, $${HANDOFF_COLUMNS.length + 1}::bigint[])
        AS v (${HANDOFF_COLUMNS.join(', ')}, expected_rev)
      WHERE h.id = v.id AND h.rev = v.expected_rev RETURNING h.id`,
    values: byColumn(
      run.map((r) => [...r.handoff, r.expectedRev]),
      HANDOFF_COLUMNS.length + 1,
    ),
  });
  const updated = new Set((res.rows as Row[]).map((r) => String(r.id)));
  return run.map((r): CommitOutcome =>
    updated.has(r.id) ? { ok: true } : { ok: false, reason: 'conflict' },
  );
}

/**
 * INSERT (or upsert) of flat values as one array per column through `unnest`: one short named
 * statement per table, parsed once per connection, whatever the number of rows (a multi-row
 * VALUES list would be a new, long statement text for PostgreSQL to parse at every batch). A key
 * written twice in one batch is merged.
 */
export async function writeRows(c: Client, spec: TableSpec, flat: readonly unknown[]): Promise<void> {
  const width = spec.columns.length;
  if (flat.length === 0) return;
  let rows: unknown[][] = [];
  for (let i = 0; i < flat.length; i += width) rows.push(flat.slice(i, i + width));
  if (spec.key && spec.update) rows = mergeByKey(spec, rows);
  await c.query({
    name: `baton_write_${spec.head}`,
    text: unnestInsert(spec),
    values: byColumn(rows, width),
  });
}

const unnestText = new Map<string, string>();
function unnestInsert(spec: TableSpec): string {
  let text = unnestText.get(spec.head);
  if (text === undefined) {
    const arrays = spec.columns.map((col, k) => `$${k + 1}::${spec.types?.[col] ?? 'text'}[]`).join(', ');
    const tail =
      spec.key && spec.update
        ? ` ON CONFLICT (${spec.key.join(', ')}) DO UPDATE SET ${spec.update.map((u) => `${u} = excluded.${u}`).join(', ')}`
        : '';
    text = `INSERT INTO ${spec.head} (${spec.columns.join(', ')}) SELECT * FROM unnest(${arrays})${tail}`;
    unnestText.set(spec.head, text);
  }
  return text;
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
