// The three databases behind one small interface: a lookup runs in a read-only transaction under
// a statement timeout and returns at most maxRows rows; a write runs in its own transaction.
// Every call also has a watchdog on the client side: past its time (or when the step is
// aborted) the server is told to cancel the statement (pg_cancel_backend, KILL QUERY), or the
// SQLite child process that runs it is killed, so a runaway statement never outlives its step.
import { fork, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import pg from 'pg';
import mysql from 'mysql2/promise';
import { BatonError } from '../../core/errors.ts';
import type { CompiledSql, Dialect } from './statements.ts';

export interface RunOptions {
  timeoutMs: number;
  maxRows: number;
  signal: AbortSignal;
}

export interface Answer {
  rows: Record<string, unknown>[];
  /** Rows returned (lookups, capped) or changed (writes). */
  rowCount: number;
  /** More rows matched than maxRows: the rest were not read. */
  truncated: boolean;
}

export interface Database {
  readonly dialect: Dialect;
  lookup(sql: CompiledSql, values: unknown[], o: RunOptions): Promise<Answer>;
  write(sql: CompiledSql, values: unknown[], o: RunOptions): Promise<Answer>;
  /** One round trip: what the server is ("PostgreSQL 15.2"). */
  check(signal: AbortSignal): Promise<string>;
  close(): Promise<void>;
}

/** The dialect of a connection URL, or undefined for one Baton does not speak. */
export function dialectOf(url: string): Dialect | undefined {
  if (/^postgres(ql)?:\/\//i.test(url)) return 'postgres';
  if (/^(mysql|mariadb):\/\//i.test(url)) return 'mysql';
  if (/^sqlite:/i.test(url)) return 'sqlite';
  return undefined;
}

export function openDatabase(url: string, password: string | undefined, projectDir: string): Database {
  const dialect = dialectOf(url);
  if (dialect === 'sqlite') {
    const file = url.replace(/^sqlite:(\/\/)?/i, '');
    return new SqliteDatabase(path.resolve(projectDir, file));
  }
  const u = new URL(url);
  const conn = {
    host: u.hostname.replace(/^\[(.*)\]$/, '$1'),
    port: u.port ? Number(u.port) : undefined,
    user: decodeURIComponent(u.username) || undefined,
    password: password ?? (u.password ? decodeURIComponent(u.password) : undefined),
    database: decodeURIComponent(u.pathname.replace(/^\//, '')) || undefined,
  };
  if (dialect === 'postgres') return new PostgresDatabase(conn);
  if (dialect === 'mysql') return new MysqlDatabase(conn);
  throw new BatonError('project_invalid', 'sql: url must start with postgres://, mysql:// or sqlite:');
}

interface Conn {
  host: string;
  port: number | undefined;
  user: string | undefined;
  password: string | undefined;
  database: string | undefined;
}

const timedOut = (ms: number): BatonError =>
  new BatonError('action_failed', `sql: the statement did not finish within ${ms} ms and was cancelled`, {
    fault: 'provider',
    retryable: true,
  });

const notAQuery = (): BatonError =>
  new BatonError('action_failed', 'sql: a lookup must be a query that returns rows (SELECT …)', {
    fault: 'user',
    retryable: false,
  });

/** Server errors a retry can get past: lost connections, deadlocks, serialisation failures. */
const RETRYABLE_PG = /^(08|40001|40P01|53|57P0[123]|SQLITE_[56]$)/;
const RETRYABLE_MYSQL = new Set([1205, 1213, 1040, 1053, 2006, 2013]);

/** A database error as a BatonError (the server's message, never the values or the URL). */
function dbFailure(e: unknown): unknown {
  if (e instanceof BatonError || !(e instanceof Error)) return e;
  const code = Reflect.get(e, 'code') as unknown;
  const errno = Reflect.get(e, 'errno') as unknown;
  // No answer from the server (refused, reset): left as is, so reads retry and a write whose
  // outcome is unknown waits for a person.
  if (typeof code === 'string' && /^E[A-Z]+$/.test(code) && errno === undefined) return e;
  if (typeof code === 'string' && /^E[A-Z]+$/.test(code) && typeof errno === 'number' && errno < 0) return e;
  const retryable =
    (typeof code === 'string' && RETRYABLE_PG.test(code)) ||
    (typeof errno === 'number' && RETRYABLE_MYSQL.has(errno));
  return new BatonError('action_failed', `sql: ${e.message.slice(0, 300)}`, {
    fault: retryable ? 'provider' : 'user',
    retryable,
    context: typeof code === 'string' ? { code } : {},
  });
}

/**
 * Runs `work` with a watchdog: when the time passes or the signal aborts, `cancel` is called
 * and the call rejects (with a timeout error, or the signal's reason).
 */
async function guarded<T>(
  o: RunOptions,
  cancel: () => void,
  work: () => Promise<T>,
  timeoutErrors: (e: unknown) => boolean,
): Promise<T> {
  if (o.signal.aborted) throw o.signal.reason;
  let stop: ((e: unknown) => void) | undefined;
  const stopped = new Promise<never>((_, reject) => (stop = reject));
  // The server's own limit fires at timeoutMs; the watchdog a little later, for what it misses.
  const timer = setTimeout(() => {
    cancel();
    stop!(timedOut(o.timeoutMs));
  }, o.timeoutMs + 500);
  const onAbort = (): void => {
    cancel();
    stop!(o.signal.reason);
  };
  o.signal.addEventListener('abort', onAbort, { once: true });
  const running = work();
  try {
    return await Promise.race([running, stopped]);
  } catch (e) {
    if (timeoutErrors(e)) throw timedOut(o.timeoutMs);
    throw dbFailure(e);
  } finally {
    clearTimeout(timer);
    o.signal.removeEventListener('abort', onAbort);
    running.catch(() => undefined);
  }
}

const capped = (rows: Record<string, unknown>[], max: number): Answer => ({
  rows: rows.slice(0, max).map(plain),
  rowCount: Math.min(rows.length, max),
  truncated: rows.length > max,
});

/** A row with JSON-safe values: dates as ISO text, bytes as base64, big integers as text. */
function plain(row: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(row)) {
    if (v instanceof Date) out[k] = Number.isNaN(v.getTime()) ? null : v.toISOString();
    else if (v instanceof Uint8Array) out[k] = Buffer.from(v).toString('base64');
    else if (typeof v === 'bigint') out[k] = Number.isSafeInteger(Number(v)) ? Number(v) : v.toString();
    else out[k] = v;
  }
  return out;
}

class PostgresDatabase implements Database {
  readonly dialect = 'postgres' as const;
  readonly #pool: pg.Pool;

  constructor(c: Conn) {
    this.#pool = new pg.Pool({
      ...c,
      max: 4,
      connectionTimeoutMillis: 5000,
      idleTimeoutMillis: 30_000,
      application_name: 'baton',
    });
    // An idle connection the server drops must not crash the process.
    this.#pool.on('error', () => undefined);
  }

  async #run(sql: CompiledSql, values: unknown[], o: RunOptions, readOnly: boolean): Promise<Answer> {
    const client = await this.#pool.connect();
    let broken = false;
    const pid = (client as unknown as { processID: number }).processID;
    const cancel = (): void => {
      broken = true;
      this.#pool.query('SELECT pg_cancel_backend($1)', [pid]).catch(() => undefined);
    };
    try {
      return await guarded(
        o,
        cancel,
        async () => {
          await client.query(readOnly ? 'BEGIN READ ONLY' : 'BEGIN');
          // A validated integer from the settings: SET takes no bound parameters.
          await client.query(`SET LOCAL statement_timeout = ${Math.trunc(o.timeoutMs)}`);
          try {
            const r = await client.query({ text: sql.text, values });
            if (readOnly) {
              if (r.fields.length === 0) throw notAQuery();
              // Rolling back also undoes any session setting the statement changed.
              await client.query('ROLLBACK');
              return capped(r.rows, o.maxRows);
            }
            await client.query('COMMIT');
            return { ...capped(r.rows, o.maxRows), rowCount: r.rowCount ?? 0 };
          } catch (e) {
            await client.query('ROLLBACK').catch(() => undefined);
            throw e;
          }
        },
        (e) => Reflect.get(e as object, 'code') === '57014',
      );
    } finally {
      client.release(broken);
    }
  }

  lookup(sql: CompiledSql, values: unknown[], o: RunOptions): Promise<Answer> {
    return this.#run(sql, values, o, true);
  }

  write(sql: CompiledSql, values: unknown[], o: RunOptions): Promise<Answer> {
    return this.#run(sql, values, o, false);
  }

  async check(signal: AbortSignal): Promise<string> {
    const r = await guarded(
      { timeoutMs: 5000, maxRows: 1, signal },
      () => undefined,
      () => this.#pool.query<{ v: string }>('SELECT version() AS v'),
      () => false,
    );
    return `connected: ${String(r.rows[0]?.v).split(' on ')[0]}`;
  }

  async close(): Promise<void> {
    await this.#pool.end();
  }
}

class MysqlDatabase implements Database {
  readonly dialect = 'mysql' as const;
  readonly #pool: mysql.Pool;
  #mariadb: Promise<boolean> | undefined;

  constructor(c: Conn) {
    this.#pool = mysql.createPool({
      host: c.host,
      ...(c.port ? { port: c.port } : {}),
      ...(c.user ? { user: c.user } : {}),
      ...(c.password ? { password: c.password } : {}),
      ...(c.database ? { database: c.database } : {}),
      connectionLimit: 4,
      connectTimeout: 5000,
      dateStrings: true,
      supportBigNumbers: true,
      bigNumberStrings: true,
      multipleStatements: false,
    });
  }

  /** MariaDB limits statements by max_statement_time (seconds), MySQL by max_execution_time. */
  #isMariadb(): Promise<boolean> {
    this.#mariadb ??= this.#pool
      .query('SELECT VERSION() AS v')
      .then(([rows]) => /mariadb/i.test(String((rows as Array<{ v: string }>)[0]?.v)));
    this.#mariadb.catch(() => (this.#mariadb = undefined));
    return this.#mariadb;
  }

  async #run(sql: CompiledSql, values: unknown[], o: RunOptions, readOnly: boolean): Promise<Answer> {
    const mariadb = await this.#isMariadb();
    const conn = await this.#pool.getConnection();
    let broken = false;
    const cancel = (): void => {
      broken = true;
      this.#pool.query(`KILL QUERY ${conn.threadId}`).catch(() => undefined);
    };
    const ms = Math.trunc(o.timeoutMs);
    try {
      return await guarded(
        o,
        cancel,
        async () => {
          await conn.query(
            mariadb
              ? `SET SESSION max_statement_time = ${ms / 1000}`
              : `SET SESSION max_execution_time = ${ms}`,
          );
          await conn.query(readOnly ? 'START TRANSACTION READ ONLY' : 'START TRANSACTION');
          try {
            let result: unknown;
            if (readOnly) {
              // MySQL and MariaDB run DDL (DROP TABLE) even inside a READ ONLY transaction, as it
              // commits implicitly: a lookup must also be a statement that returns columns,
              // which the server tells when it prepares it (DDL, SET, DO, CALL, INTO OUTFILE do not).
              const prepared = await conn.prepare(sql.text);
              try {
                const columns = (prepared as unknown as { statement?: { columns?: unknown[] } }).statement
                  ?.columns;
                if (!Array.isArray(columns) || columns.length === 0) throw notAQuery();
                [result] = await prepared.execute(values);
              } finally {
                await prepared.close();
              }
            } else [result] = await conn.execute({ sql: sql.text, values });
            await conn.query(readOnly ? 'ROLLBACK' : 'COMMIT');
            if (Array.isArray(result)) return capped(result as Record<string, unknown>[], o.maxRows);
            const affected = (result as { affectedRows?: number }).affectedRows ?? 0;
            return { rows: [], rowCount: affected, truncated: false };
          } catch (e) {
            await conn.query('ROLLBACK').catch(() => undefined);
            throw e;
          }
        },
        (e) => [1969, 3024, 1317].includes(Reflect.get(e as object, 'errno') as number),
      );
    } finally {
      if (broken) conn.destroy();
      else conn.release();
    }
  }

  lookup(sql: CompiledSql, values: unknown[], o: RunOptions): Promise<Answer> {
    return this.#run(sql, values.map(mysqlValue), o, true);
  }

  write(sql: CompiledSql, values: unknown[], o: RunOptions): Promise<Answer> {
    return this.#run(sql, values.map(mysqlValue), o, false);
  }

  async check(signal: AbortSignal): Promise<string> {
    const [rows] = await guarded(
      { timeoutMs: 5000, maxRows: 1, signal },
      () => undefined,
      () => this.#pool.query('SELECT VERSION() AS v'),
      () => false,
    );
    return `connected: ${String((rows as Array<{ v: string }>)[0]?.v)}`;
  }

  async close(): Promise<void> {
    await this.#pool.end();
  }
}

const mysqlValue = (v: unknown): unknown => (typeof v === 'boolean' ? (v ? 1 : 0) : (v ?? null));

interface Pending {
  resolve: (a: Answer) => void;
  reject: (e: unknown) => void;
}

interface ChildAnswer {
  id: number;
  answer?: Answer;
  error?: { message: string; code?: string };
}

/**
 * SQLite runs synchronously, so it cannot be interrupted from the thread that runs it: each
 * statement runs in a child process (one, reused), which is killed when the statement overruns.
 * A write it was in the middle of is rolled back by SQLite's journal when the file next opens.
 */
class SqliteDatabase implements Database {
  readonly dialect = 'sqlite' as const;
  readonly #file: string;
  #child: ChildProcess | undefined;
  #next = 1;
  #pending = new WeakMap<ChildProcess, Map<number, Pending>>();
  #queue: Promise<unknown> = Promise.resolve();

  constructor(file: string) {
    this.#file = file;
  }

  #spawn(): ChildProcess {
    if (this.#child && this.#child.exitCode === null && !this.#child.killed) return this.#child;
    this.#child = undefined;
    const child = fork(path.join(import.meta.dirname, 'sqlite-child.ts'), [this.#file], {
      execArgv: ['--disable-warning=ExperimentalWarning'],
      stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
      serialization: 'advanced',
    });
    let stderr = '';
    const pending = new Map<number, Pending>();
    this.#pending.set(child, pending);
    child.stderr!.on('data', (d: Buffer) => (stderr = (stderr + d.toString()).slice(-2000)));
    child.on('message', (m: ChildAnswer) => {
      const p = pending.get(m.id);
      if (!p) return;
      pending.delete(m.id);
      if (m.error) p.reject(Object.assign(new Error(m.error.message), { code: m.error.code }));
      else p.resolve(m.answer!);
    });
    child.on('exit', () => {
      if (this.#child === child) this.#child = undefined;
      for (const p of pending.values())
        p.reject(new Error(`the SQLite process ended${stderr ? `: ${stderr.trim().slice(-300)}` : ''}`));
      pending.clear();
    });
    this.#child = child;
    return child;
  }

  #call(op: 'lookup' | 'write', sql: CompiledSql, values: unknown[], o: RunOptions): Promise<Answer> {
    // One statement at a time: SQLite has one writer, and a kill must hit only the overrunning one.
    const turn = this.#queue.then(() => {
      const child = this.#spawn();
      const id = this.#next++;
      const done = new Promise<Answer>((resolve, reject) =>
        this.#pending.get(child)!.set(id, { resolve, reject }),
      );
      child.send({ id, op, sql: sql.text, values, maxRows: o.maxRows });
      return guarded(
        o,
        () => child.kill('SIGKILL'),
        () => done,
        () => false,
      );
    });
    this.#queue = turn.catch(() => undefined);
    return turn;
  }

  lookup(sql: CompiledSql, values: unknown[], o: RunOptions): Promise<Answer> {
    return this.#call('lookup', sql, values, o);
  }

  write(sql: CompiledSql, values: unknown[], o: RunOptions): Promise<Answer> {
    return this.#call('write', sql, values, o);
  }

  async check(signal: AbortSignal): Promise<string> {
    const a = await this.#call(
      'lookup',
      { text: 'SELECT sqlite_version() AS v', order: [], names: new Set() },
      [],
      { timeoutMs: 5000, maxRows: 1, signal },
    );
    return `opened ${path.basename(this.#file)} (SQLite ${String(a.rows[0]?.v)})`;
  }

  async close(): Promise<void> {
    const child = this.#child;
    this.#child = undefined;
    if (!child || child.exitCode !== null) return;
    await new Promise<void>((resolve) => {
      child.once('exit', () => resolve());
      child.kill('SIGTERM');
    });
  }
}
