// Requests Node's HTTP parser refuses before they reach a route (a URL or headers over the
// limit, `Content-Length: abc`, a request that is not HTTP): answered in the one error shape,
// then the connection is closed, since the parser cannot tell where the next request starts.
import { maxHeaderSize } from 'node:http';
import type { Socket } from 'node:net';
import { errorBody } from './errors.ts';

interface Refusal {
  status: number;
  reason: string;
  code: string;
  message: string;
}

function refusalOf(code: string | undefined): Refusal {
  switch (code) {
    case 'HPE_HEADER_OVERFLOW':
      return {
        status: 431,
        reason: 'Request Header Fields Too Large',
        code: 'too_large',
        message: `The URL and headers are larger than the limit of ${maxHeaderSize} bytes`,
      };
    case 'ERR_HTTP_REQUEST_TIMEOUT':
      return {
        status: 408,
        reason: 'Request Timeout',
        code: 'request_timeout',
        message: 'The request did not arrive in time',
      };
    case 'HPE_INVALID_CONTENT_LENGTH':
    case 'HPE_UNEXPECTED_CONTENT_LENGTH':
      return {
        status: 400,
        reason: 'Bad Request',
        code: 'invalid_request',
        message: 'The Content-Length header is not valid (a number of bytes, given once)',
      };
    case 'HPE_INVALID_TRANSFER_ENCODING':
    case 'HPE_INVALID_CHUNK_SIZE':
      return {
        status: 400,
        reason: 'Bad Request',
        code: 'invalid_request',
        message: 'The Transfer-Encoding or a chunk of the body is not valid',
      };
    default:
      return {
        status: 400,
        reason: 'Bad Request',
        code: 'invalid_request',
        message: 'The request is not valid HTTP',
      };
  }
}

/** Fastify's clientErrorHandler: Node's `clientError` event, with the socket of the request. */
export function answerClientError(err: NodeJS.ErrnoException, socket: Socket): void {
  // A reset connection has nobody left to answer.
  if (err.code === 'ECONNRESET' || socket.destroyed) return;
  const r = refusalOf(err.code);
  // A response already begun (a refusal sent before the body arrived) cannot be replaced.
  const begun = (socket as Socket & { _httpMessage?: { headersSent?: boolean } })._httpMessage?.headersSent;
  if (socket.writable && !begun) {
    const body = JSON.stringify(errorBody(r.code, r.message));
    socket.write(
      `HTTP/1.1 ${r.status} ${r.reason}\r\n` +
        'Content-Type: application/json; charset=utf-8\r\n' +
        `Content-Length: ${Buffer.byteLength(body)}\r\n` +
        'Connection: close\r\n\r\n' +
        body,
    );
  }
  socket.destroy();
}
