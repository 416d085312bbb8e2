// The process that runs SQLite statements for the sql connector (see SqliteDatabase in
// client.ts): killed from outside when a statement overruns its time. Lookups use a connection
// opened read-only whose authorizer allows reading only (no ATTACH, PRAGMA or VACUUM INTO,
// which a read-only connection would still run); writes use a read-write connection, each in
// its own transaction.
import { DatabaseSync, constants } from 'node:sqlite';

const file = process.argv[2]!;
let reader: DatabaseSync | undefined;
let writer: DatabaseSync | undefined;

const READ_ONLY_ACTIONS = new Set([
  constants.SQLITE_SELECT,
  constants.SQLITE_READ,
  constants.SQLITE_FUNCTION,
  constants.SQLITE_RECURSIVE,
]);

function openReader(): DatabaseSync {
  if (reader) return reader;
  const db = new DatabaseSync(file, { readOnly: true, timeout: 2000, defensive: true });
  db.exec('PRAGMA query_only = 1');
  db.setAuthorizer((action) => (READ_ONLY_ACTIONS.has(action) ? constants.SQLITE_OK : constants.SQLITE_DENY));
  reader = db;
  return db;
}

function openWriter(): DatabaseSync {
  writer ??= new DatabaseSync(file, { timeout: 2000, defensive: true });
  return writer;
}

type Value = string | number | null | bigint | Uint8Array;
const bind = (v: unknown): Value => (typeof v === 'boolean' ? (v ? 1 : 0) : ((v ?? null) as Value));

interface Request {
  id: number;
  op: 'lookup' | 'write';
  sql: string;
  values: unknown[];
  maxRows: number;
}

function run(m: Request): { rows: Record<string, unknown>[]; rowCount: number; truncated: boolean } {
  const values = m.values.map(bind);
  if (m.op === 'lookup') {
    const stmt = openReader().prepare(m.sql);
    // Only a statement that returns columns is a query (not PRAGMA x = 1, VACUUM INTO, ATTACH).
    if (stmt.columns().length === 0) throw new Error('a lookup must be a query that returns rows (SELECT …)');
    const rows: Record<string, unknown>[] = [];
    let truncated = false;
    for (const row of stmt.iterate(...values)) {
      if (rows.length >= m.maxRows) {
        truncated = true;
        break;
      }
      rows.push(row);
    }
    return { rows, rowCount: rows.length, truncated };
  }
  const db = openWriter();
  db.exec('BEGIN IMMEDIATE');
  try {
    const stmt = db.prepare(m.sql);
    let rows: Record<string, unknown>[] = [];
    let changes = 0;
    if (stmt.columns().length > 0) {
      // RETURNING: the rows it returns; each one is a changed row.
      rows = stmt.all(...values);
      changes = rows.length;
    } else changes = Number(stmt.run(...values).changes);
    db.exec('COMMIT');
    return { rows: rows.slice(0, m.maxRows), rowCount: changes, truncated: rows.length > m.maxRows };
  } catch (e) {
    if (db.isTransaction) db.exec('ROLLBACK');
    throw e;
  }
}

process.on('message', (m: Request) => {
  try {
    process.send!({ id: m.id, answer: run(m) });
  } catch (e) {
    const err = e as Error & { errcode?: number };
    const code = err.errcode === undefined ? undefined : `SQLITE_${err.errcode & 0xff}`;
    process.send!({ id: m.id, error: { message: err.message, ...(code ? { code } : {}) } });
  }
});
process.on('disconnect', () => process.exit(0));
