// Bounds on how long a client may hold a connection without finishing: the request line and
// headers (`headersMs`), the whole request with its body (`requestMs`), and the idle time of a
// kept-alive connection between requests (`idleMs`). Node's HTTP server enforces the first two
// (it checks open connections every `connectionsCheckingInterval`) and reports them as a client
// error; the answer is then a `408` with the usual error body and the connection is closed.
// A response already under way (a stream) is not bounded here: its heartbeats keep it alive.
import type { Socket } from 'node:net';
import type { Server } from 'node:http';
import type { FastifyHttpOptions } from 'fastify';
import { errorBody } from './errors.ts';

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
    clientErrorHandler: answerClientError,
  };
}

const TIMEOUT = JSON.stringify(
  errorBody(
    'request_timeout',
    'The request was not received in time: send the headers and body without pausing',
  ),
);
const MALFORMED = JSON.stringify(errorBody('invalid_request', 'The request is not valid HTTP'));
const TOO_LARGE = JSON.stringify(errorBody('too_large', 'The request headers are too large'));

/** A client error before any response: answer it in the usual shape where still possible. */
function answerClientError(err: NodeJS.ErrnoException, socket: Socket): void {
  if (err.code === 'ECONNRESET' || socket.destroyed) return;
  const [status, reason, body] =
    err.code === 'ERR_HTTP_REQUEST_TIMEOUT'
      ? [408, 'Request Timeout', TIMEOUT]
      : err.code === 'HPE_HEADER_OVERFLOW'
        ? [431, 'Request Header Fields Too Large', TOO_LARGE]
        : [400, 'Bad Request', MALFORMED];
  // A response that has begun cannot be replaced: only the connection is closed then.
  const started = (socket as Socket & { _httpMessage?: { headersSent?: boolean } })._httpMessage?.headersSent;
  if (socket.writable && !started) {
    socket.write(
      `HTTP/1.1 ${status} ${reason}\r\nContent-Type: application/json; charset=utf-8\r\n` +
        `Content-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
    );
  }
  socket.destroySoon();
}
