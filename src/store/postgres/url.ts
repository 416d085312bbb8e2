// Storage URLs of the PostgreSQL store: `?schema=NAME` and `?pool=N` are Baton's, taken off
// before the driver sees the URL.
import { BatonError } from '../../core/errors.ts';
import { redactUrl } from '../../core/redact-url.ts';

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
