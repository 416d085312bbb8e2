// The pool's three ways in, shared by the parts of the PostgreSQL store: `rows` for SQL written
// with `?` placeholders, `run` for `$n` or a named statement, and `transaction` (retried from
// the start after a deadlock). A database that is away becomes a retryable store_error.
import type pg from 'pg';
import { BatonError } from '../../core/errors.ts';
import { toPositional } from './sql.ts';
import { isUnavailable } from './unavailable.ts';

export type Row = Record<string, unknown>;
export type Client = pg.PoolClient;

/** Deadlocks and serialization failures: the transaction is retried from the start. */
const RETRYABLE = new Set(['40P01', '40001']);
const ATTEMPTS = 3;

export class Db {
  readonly pool: pg.Pool;

  constructor(pool: pg.Pool) {
    this.pool = pool;
  }

  async rows(sql: string, params: readonly unknown[] = []): Promise<Row[]> {
    return (await this.run(toPositional(sql), params)).rows as Row[];
  }

  /** One statement outside a transaction; a database that is away is a retryable store_error. */
  async run(text: string | pg.QueryConfig, values?: readonly unknown[]): Promise<pg.QueryResult> {
    try {
      return typeof text === 'string'
        ? await this.pool.query(text, values as unknown[] | undefined)
        : await this.pool.query(text);
    } catch (e) {
      throw storeError(e);
    }
  }

  /** Runs `fn` in one transaction; retried from the start after a deadlock. */
  async transaction<T>(fn: (c: Client) => Promise<T>): Promise<T> {
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
}

/** A driver error that means the database is away becomes a retryable store_error. */
export function storeError(e: unknown): unknown {
  if (!isUnavailable(e)) return e;
  return new BatonError('store_error', `PostgreSQL is not available: ${(e as Error).message}`, {
    fault: 'system',
    retryable: true,
    retryAfterMs: 1000,
    cause: e,
  });
}
