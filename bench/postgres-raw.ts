// The raw limit on PostgreSQL: plain `pg` clients writing the same rows a lead-to-owner handoff
// writes (bench/raw.ts), 200 handoffs per transaction with one multi-row INSERT per table, as
// the store batches them. `connections` clients write at once, each its own handoffs.
import pg from 'pg';
import { HANDOFF_COLUMNS } from '../src/store/rows.ts';
import { rawRows, type RawRows } from './raw.ts';

const TABLES: Array<[Exclude<keyof RawRows, 'handoff'>, number]> = [
  ['events', 4],
  ['actions', 15],
  ['ledger', 8],
  ['tasks', 9],
  ['inbox', 6],
];

function insert(table: string, width: number, rows: unknown[][], columns?: readonly string[]) {
  const values = rows
    .map((_, r) => `(${Array.from({ length: width }, (_v, k) => `$${r * width + k + 1}`).join(', ')})`)
    .join(', ');
  return {
    text: `INSERT INTO ${table}${columns ? ` (${columns.join(', ')})` : ''} VALUES ${values}`,
    values: rows.flat(),
  };
}

/** Writes `total` handoffs into `url` (a `?schema=` URL: the store's tables must exist there). */
export async function runRawPostgres(
  connectionString: string,
  schema: string,
  total: number,
  batch: number,
  connections: number,
): Promise<{ perSecond: number; seconds: number; walBytes: number }> {
  const clients = await Promise.all(
    Array.from({ length: connections }, async () => {
      const c = new pg.Client({ connectionString, options: `-c search_path="${schema}"` });
      await c.connect();
      return c;
    }),
  );
  try {
    const each = Math.ceil(total / connections);
    const lsn = async (): Promise<bigint> => {
      const r = await clients[0]!.query(`SELECT (pg_current_wal_lsn() - '0/0'::pg_lsn)::text AS b`);
      return BigInt((r.rows[0] as { b: string }).b.split('.')[0]!);
    };
    const wal0 = await lsn();
    const t0 = performance.now();
    await Promise.all(
      clients.map(async (c, k) => {
        for (let i = 0; i < each; i += batch) {
          const rows = Array.from({ length: Math.min(batch, each - i) }, (_, j) =>
            rawRows(i + j, `h_raw${k}_`),
          );
          await c.query('BEGIN');
          const h = HANDOFF_COLUMNS.length;
          await c.query(
            insert(
              'handoffs',
              h,
              rows.map((r) => r.handoff),
              HANDOFF_COLUMNS,
            ),
          );
          for (const [t, width] of TABLES)
            await c.query(
              insert(
                t === 'events' ? 'event_batches' : t,
                width,
                rows.flatMap((r) => r[t]),
              ),
            );
          await c.query('COMMIT');
        }
      }),
    );
    const seconds = (performance.now() - t0) / 1000;
    const walBytes = Math.round(Number((await lsn()) - wal0) / (each * connections));
    return { perSecond: (each * connections) / seconds, seconds, walBytes };
  } finally {
    await Promise.all(clients.map((c) => c.end()));
  }
}
