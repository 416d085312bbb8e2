// Wake-ups across processes: a commit that leaves work due now sends a NOTIFY in its own
// transaction (delivered only if it commits); every worker LISTENs on one dedicated connection
// and looks for work at once instead of at its next poll. Polling remains the fallback, so a
// lost notification or a dropped listener only costs latency.
import pg from 'pg';

/** One channel per schema, so projects sharing a database do not wake each other. */
export function wakeChannel(schema: string | undefined): string {
  return `baton_work_${schema ?? 'public'}`.slice(0, 63).toLowerCase();
}

const quote = (name: string): string => `"${name.replace(/"/g, '""')}"`;

/**
 * Listens on `channel` over its own connection until the returned function is called;
 * reconnects with backoff when the connection drops (e.g. a database restart).
 */
export async function listen(
  connectionString: string,
  channel: string,
  onWake: () => void,
): Promise<() => Promise<void>> {
  let stopped = false;
  let client: pg.Client | undefined;
  let retry: NodeJS.Timeout | undefined;
  let delay = 250;

  const again = (): void => {
    if (stopped || retry) return;
    client = undefined;
    retry = setTimeout(() => {
      retry = undefined;
      connect().catch(again);
    }, delay);
    retry.unref();
    delay = Math.min(delay * 2, 10_000);
  };
  const connect = async (): Promise<void> => {
    const c = new pg.Client({ connectionString });
    c.on('notification', () => onWake());
    c.on('error', () => undefined);
    c.on('end', again);
    await c.connect();
    await c.query(`LISTEN ${quote(channel)}`);
    if (stopped) {
      await c.end();
      return;
    }
    client = c;
    delay = 250;
    onWake(); // anything committed while nobody listened
  };

  await connect();
  return async () => {
    stopped = true;
    if (retry) clearTimeout(retry);
    await client?.end().catch(() => undefined);
  };
}
