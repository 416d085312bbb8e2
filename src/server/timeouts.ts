// Bounds on how long a client may hold a connection without finishing: the request line and
// headers (`headersMs`), the whole request with its body (`requestMs`), and the idle time of a
// kept-alive connection between requests (`idleMs`). Node's HTTP server enforces the first two
// (it checks open connections every `connectionsCheckingInterval`) and reports them as a client
// error, answered `408` in the one error shape (client-error.ts) before the connection closes.
// A response already under way (a stream) is not bounded here: its heartbeats keep it alive.
import type { Server } from 'node:http';
import type { FastifyHttpOptions } from 'fastify';

export interface Timeouts {
  headersMs: number;
  requestMs: number;
  idleMs: number;
}

/** The fastify (and Node http server) options that enforce the bounds. */
export function timeoutOptions(t: Timeouts): FastifyHttpOptions<Server> {
  // Often enough that a bound is kept to within a quarter of itself (at most a second late).
  const checkEvery = Math.max(10, Math.min(1000, Math.floor(Math.min(t.headersMs, t.requestMs) / 4)));
  return {
    requestTimeout: t.requestMs,
    keepAliveTimeout: t.idleMs,
    http: {
      headersTimeout: t.headersMs,
      requestTimeout: t.requestMs,
      connectionsCheckingInterval: checkEvery,
    },
  };
}
