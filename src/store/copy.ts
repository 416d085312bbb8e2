// Copies a whole store from SQLite into an empty PostgreSQL store (`baton migrate --from --to`).
// Rows are read in primary-key pages inside one read transaction (a consistent snapshot, memory
// bounded by the page size) and written page by page, each in its own transaction. Values go
// across untouched: event data and checkpoint heads are hashed over their stored text, so the
// audit chain verifies on the target only if that text is copied byte for byte.
import { existsSync, statSync } from 'node:fs';
import path from 'node:path';
import { verifyAudit, type AuditResult } from '../audit/verify.ts';
import { redactUrl } from '../core/redact-url.ts';
import { BatonError } from '../core/errors.ts';
import { openStore } from './open.ts';
import type { Store } from './port.ts';
import type { PostgresStore } from './postgres/store.ts';

/** Every table of the schema (schema_migrations aside), with its primary key: the page order. */
export const TABLES = [
  { table: 'flow_versions', count: 'flowVersions', key: ['version'], label: 'flow versions' },
  { table: 'handoffs', count: 'handoffs', key: ['id'], label: 'handoffs' },
  { table: 'event_batches', count: 'eventBatches', key: ['handoff_id', 'seq'], label: 'event batches' },
  { table: 'actions', count: 'actions', key: ['handoff_id', 'id'], label: 'actions' },
  { table: 'approvals', count: 'approvals', key: ['id'], label: 'approvals' },
  { table: 'ledger', count: 'ledger', key: ['handoff_id', 'seq'], label: 'ledger entries' },
  { table: 'tasks', count: 'tasks', key: ['id'], label: 'tasks' },
  { table: 'inbox', count: 'inbox', key: ['id'], label: 'inbox messages' },
  { table: 'tokens', count: 'tokens', key: ['id'], label: 'tokens' },
  { table: 'checkpoints', count: 'checkpoints', key: ['seq'], label: 'checkpoints' },
  { table: 'outbox', count: 'outbox', key: ['id'], label: 'notices' },
  {
    table: 'deliveries',
    count: 'deliveries',
    key: ['outbox_id', 'channel', 'recipient'],
    label: 'deliveries',
  },
  { table: 'links', count: 'links', key: ['hash'], label: 'email links' },
  { table: 'budget_days', count: 'budgetDays', key: ['flow_id', 'day'], label: 'budget days' },
  {
    table: 'budget_reservations',
    count: 'budgetReservations',
    key: ['id'],
    label: 'budget reservations',
  },
] as const;

type CountName = (typeof TABLES)[number]['count'];
export type CopyCounts = Record<CountName, number>;

export interface CopyResult extends CopyCounts {
  /** `verifyAudit` on the target after the copy. */
  audit: AuditResult;
  /** The source's last checkpoint: the target's audit head must be the same. */
  sourceHead: { seq: number; hash: string } | null;
  ms: number;
}

export interface CopyOptions {
  /** Rows per read and per write transaction (default 1000). */
  pageSize?: number;
}

type Row = Record<string, unknown>;
const PAGE = 1000;

/**
 * Copies every row of the SQLite store `from` into the PostgreSQL store `to` (migrated first,
 * and refused unless it is empty), then verifies the audit chain on the target.
 */
export async function copyStore(
  from: string,
  to: string,
  progress?: (done: number, total: number) => void,
  options: CopyOptions = {},
): Promise<CopyResult> {
  const started = Date.now();
  const pageSize = Math.max(1, Math.floor(options.pageSize ?? PAGE));
  const sourceFile = checkSource(from);
  await checkTarget(to);
  let source: Store;
  try {
    source = await openStore(`sqlite:${sourceFile}`);
  } catch (e) {
    throw new BatonError('validation_failed', `--from: ${sourceFile} is not a Baton SQLite store`, {
      details: [{ path: 'from', message: (e as Error).message }],
      cause: e,
    });
  }
  let target: Store | undefined;
  try {
    target = await openStore(to);
    const pg = target as PostgresStore;
    await refuseNonEmpty(pg, to);
    const counts = Object.fromEntries(TABLES.map((t) => [t.count, 0])) as CopyCounts;
    let sourceHead: CopyResult['sourceHead'] = null;
    // One read transaction: a store still being written to is copied as of one moment.
    await source.query('BEGIN');
    try {
      const columns = new Map<string, string[]>();
      let total = 0;
      for (const { table } of TABLES) {
        columns.set(table, await sameColumns(source, pg, table));
        total += await countRows(source, table);
      }
      let done = 0;
      progress?.(done, total);
      const existingVersions = new Set(
        (await pg.query<Row>('SELECT version FROM flow_versions')).map((r) => String(r.version)),
      );
      for (const { table, count, key } of TABLES) {
        const cols = columns.get(table)!;
        for await (const page of pages(source, table, cols, key, pageSize)) {
          // Opening a project publishes its flow versions; a version is its content's hash.
          const rows =
            table === 'flow_versions' ? page.filter((r) => !existingVersions.has(String(r.version))) : page;
          try {
            await pg.copyRows(
              table,
              cols,
              rows.map((r) => cols.map((c) => r[c] ?? null)),
            );
          } catch (e) {
            const at = key.map((k) => `${k} ${String(page[0]![k])}`).join(', ');
            throw new BatonError(
              'store_error',
              `copying ${table} (the page from ${at}) failed: ${(e as Error).message}; ` +
                `the target now holds a partial copy: drop its schema and run again`,
              { cause: e },
            );
          }
          counts[count] += page.length;
          done += page.length;
          if (table === 'checkpoints') {
            const last = page[page.length - 1]!;
            sourceHead = { seq: Number(last.seq), hash: String(last.hash) };
          }
          progress?.(done, total);
        }
      }
    } finally {
      await source.query('COMMIT');
    }
    const audit = await verifyAudit(pg);
    if (audit.head?.hash !== sourceHead?.hash) {
      audit.ok = false;
      audit.problems.push({
        kind: 'unanchored',
        problem: `the target's last checkpoint (${audit.head?.seq ?? 'none'}) is not the source's (${sourceHead?.seq ?? 'none'})`,
      });
    }
    return { ...counts, audit, sourceHead, ms: Date.now() - started };
  } finally {
    await source.close();
    await target?.close();
  }
}

/** The source's file: it must be an existing SQLite file (opening a missing one would create it). */
function checkSource(from: string): string {
  if (!from.startsWith('sqlite:')) {
    throw new BatonError('validation_failed', `--from "${redactUrl(from)}" is not a SQLite store URL`, {
      details: [{ path: 'from', message: 'expected sqlite:PATH (e.g. sqlite:./data/baton.db)' }],
    });
  }
  const file = from.slice('sqlite:'.length).replace(/^\/\/(?=\/)/, '');
  if (!file || file === ':memory:') {
    throw new BatonError('validation_failed', `--from "${from}" names no file`, {
      details: [{ path: 'from', message: 'expected sqlite:PATH (e.g. sqlite:./data/baton.db)' }],
    });
  }
  const abs = path.resolve(file);
  if (!existsSync(abs) || !statSync(abs).isFile()) {
    throw new BatonError('validation_failed', `--from: there is no SQLite store at ${abs}`, {
      details: [{ path: 'from', message: 'the file does not exist' }],
    });
  }
  return abs;
}

async function checkTarget(to: string): Promise<void> {
  const expected = 'expected postgres://user@host:port/database?schema=NAME';
  if (!/^postgres(ql)?:\/\//i.test(to)) {
    throw new BatonError('validation_failed', `--to "${redactUrl(to)}" is not a PostgreSQL store URL`, {
      details: [{ path: 'to', message: expected }],
    });
  }
  const { parseUrl } = await import('./postgres/url.ts');
  try {
    parseUrl(to);
  } catch (e) {
    throw new BatonError('validation_failed', `--to: ${(e as Error).message}`, {
      details: [{ path: 'to', message: expected }],
    });
  }
}

/** The copy goes into an empty store only: merging two stores' audit chains is not possible. */
async function refuseNonEmpty(target: Store, to: string): Promise<void> {
  const held: string[] = [];
  for (const { table, label } of TABLES) {
    if (table === 'flow_versions') continue;
    const n = await countRows(target, table);
    if (n > 0) held.push(`${n} ${label}`);
  }
  if (held.length === 0) return;
  throw new BatonError(
    'validation_failed',
    `the target ${redactUrl(to)} already holds data: migrate copies into an empty store only; ` +
      'name a new schema (?schema=NAME) or drop this one',
    { details: [{ path: 'to', message: `holds ${held.join(', ')}` }] },
  );
}

async function countRows(store: Store, table: string): Promise<number> {
  const [r] = await store.query<Row>(`SELECT COUNT(*) AS n FROM ${table}`);
  return Number(r?.n ?? 0);
}

/** The source table's columns, which the target's must match (both are at the latest schema). */
async function sameColumns(source: Store, target: Store, table: string): Promise<string[]> {
  const mine = (await source.query<Row>(`PRAGMA table_info(${table})`)).map((r) => String(r.name));
  const theirs = new Set(
    (
      await target.query<Row>(
        'SELECT column_name FROM information_schema.columns WHERE table_schema = current_schema() AND table_name = ?',
        [table],
      )
    ).map((r) => String(r.column_name)),
  );
  const missing = mine.filter((c) => !theirs.has(c));
  const extra = [...theirs].filter((c) => !mine.includes(c));
  if (mine.length === 0 || missing.length > 0 || extra.length > 0) {
    const what = [
      mine.length === 0 ? 'missing in the source' : '',
      missing.length ? `not in the target: ${missing.join(', ')}` : '',
      extra.length ? `not in the source: ${extra.join(', ')}` : '',
    ].filter(Boolean);
    throw new BatonError('store_error', `the two stores' ${table} tables differ (${what.join('; ')})`, {
      details: [{ path: table, message: 'both stores must be at the same schema version' }],
    });
  }
  return mine;
}

/** A table's rows in primary-key order, page by page (keyset paging: each page is one query). */
async function* pages(
  source: Store,
  table: string,
  columns: readonly string[],
  key: readonly string[],
  pageSize: number,
): AsyncGenerator<Row[]> {
  const order = key.join(', ');
  const after = key.length === 1 ? `${key[0]} > ?` : `(${order}) > (${key.map(() => '?').join(', ')})`;
  let last: unknown[] | undefined;
  for (;;) {
    const rows = await source.query<Row>(
      `SELECT ${columns.join(', ')} FROM ${table} ${last ? `WHERE ${after}` : ''} ORDER BY ${order} LIMIT ?`,
      [...(last ?? []), pageSize],
    );
    if (rows.length > 0) yield rows;
    if (rows.length < pageSize) return;
    const end = rows[rows.length - 1]!;
    last = key.map((k) => end[k]);
  }
}

/** A store URL without its password, for messages. */
