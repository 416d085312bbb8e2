// A database that is away (restarting, failed over, unreachable) is not a bug in Baton: its
// driver errors become `store_error` (HTTP 503, retryable) with a message that says so, instead
// of an internal error. The connection pool replaces broken connections on the next checkout.

/** Socket errors and SQLSTATEs that mean "no usable connection", not "bad statement". */
const NETWORK = new Set(['ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENOTFOUND']);
const SQLSTATE = new Set([
  '57P01', // admin_shutdown (the server is stopping)
  '57P02', // crash_shutdown
  '57P03', // cannot_connect_now (starting up or in recovery)
  '53300', // too_many_connections
]);

export function isUnavailable(e: unknown): boolean {
  if (!(e instanceof Error)) return false;
  const code = (e as { code?: unknown }).code;
  if (typeof code === 'string' && (NETWORK.has(code) || SQLSTATE.has(code) || code.startsWith('08'))) {
    return true;
  }
  // pg's own messages when a connection ends under a query or cannot be made in time.
  return /^Connection terminated|^timeout expired|Client has encountered a connection error/.test(e.message);
}
