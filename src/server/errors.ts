// One error shape for every failure: `{error: {code, message, details}}` (SPEC §5). Framework
// errors (body parsing, size, bad URLs) and validation errors are mapped here; anything else
// unexpected is a 500 with a generic message, logged without headers or body.
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import type { z } from 'zod';
import { BatonError, type ErrorDetail } from '../core/errors.ts';

export interface ErrorBody {
  error: { code: string; message: string; details: unknown[] };
}

export const errorBody = (code: string, message: string, details: unknown[] = []): ErrorBody => ({
  error: { code, message, details },
});

/** Framework error codes that mean "the client sent something wrong". */
const FRAMEWORK: Record<string, { status: number; code: string; message: string }> = {
  FST_ERR_CTP_BODY_TOO_LARGE: { status: 413, code: 'too_large', message: '' },
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: {
    status: 400,
    code: 'invalid_request',
    message: 'Content-Length does not match the body',
  },
  FST_ERR_CTP_INVALID_MEDIA_TYPE: { status: 415, code: 'unsupported_media_type', message: '' },
  FST_ERR_CTP_INVALID_TYPE: {
    status: 415,
    code: 'unsupported_media_type',
    message: 'Send the body as application/json',
  },
  FST_ERR_CTP_EMPTY_JSON_BODY: { status: 400, code: 'invalid_json', message: 'The body is empty' },
  FST_ERR_CTP_INVALID_JSON_BODY: { status: 400, code: 'invalid_json', message: 'The body is not valid JSON' },
  FST_ERR_BAD_URL: { status: 400, code: 'invalid_request', message: 'The URL is not valid' },
  FST_ERR_MAX_PARAM_LENGTH: { status: 404, code: 'not_found', message: 'No such resource' },
  FST_ERR_ASYNC_CONSTRAINT: { status: 400, code: 'invalid_request', message: 'The request is not valid' },
};

export interface Mapped {
  status: number;
  body: ErrorBody;
  headers?: Record<string, string>;
  /** Unexpected: log it. */
  internal?: boolean;
}

export function mapError(err: unknown, bodyLimit: number): Mapped {
  if (err instanceof BatonError) {
    const status = err.status;
    const headers: Record<string, string> = {};
    if (status === 401) headers['www-authenticate'] = 'Bearer';
    if (err.retryable && err.retryAfterMs !== undefined)
      headers['retry-after'] = String(Math.max(1, Math.ceil(err.retryAfterMs / 1000)));
    // A store or action failure is a server-side problem: say so without internals.
    if (status >= 500 && err.code !== 'store_error' && err.code !== 'action_failed') {
      return {
        status: 500,
        body: errorBody('internal', 'Internal error; see the server log'),
        internal: true,
      };
    }
    return { status, body: err.toJSON(), headers, internal: status >= 500 };
  }
  const fe = err as Partial<FastifyError> | undefined;
  const known = fe?.code ? FRAMEWORK[fe.code] : undefined;
  if (known) {
    const message =
      known.code === 'too_large'
        ? `The body is larger than the limit of ${bodyLimit} bytes`
        : known.message || (fe?.message ?? 'Bad request');
    return { status: known.status, body: errorBody(known.code, message) };
  }
  // Parse errors raised by the body parser (see body.ts) carry statusCode 400.
  if (fe && typeof fe.statusCode === 'number' && fe.statusCode >= 400 && fe.statusCode < 500) {
    const code =
      fe.statusCode === 400 ? 'invalid_request' : fe.statusCode === 404 ? 'not_found' : 'invalid_request';
    return { status: fe.statusCode, body: errorBody(code, fe.message ?? 'Bad request') };
  }
  return { status: 500, body: errorBody('internal', 'Internal error; see the server log'), internal: true };
}

export function sendError(reply: FastifyReply, m: Mapped): FastifyReply {
  if (m.headers) reply.headers(m.headers);
  return reply.code(m.status).type('application/json; charset=utf-8').send(m.body);
}

/** Logs an unexpected error: method, route and stack only, never headers or bodies. */
export function logInternal(req: FastifyRequest, err: unknown, useLogger: boolean): void {
  const where = `${req.method} ${req.routeOptions.url ?? req.url.split('?')[0]}`;
  if (useLogger) {
    req.log.error({ err }, `internal error on ${where}`);
    return;
  }
  // A BatonError (a store that does not answer) is explained by its message; a bug needs its stack.
  const text =
    err instanceof BatonError ? err.message : err instanceof Error ? (err.stack ?? err.message) : String(err);
  process.stderr.write(`baton: internal error on ${where}: ${text}\n`);
}

// ---- zod issues → details [{path, message}]

type Seg = PropertyKey;

export function formatPath(segs: readonly Seg[], root: string): string {
  let out = '';
  for (const s of segs) {
    if (typeof s === 'number') out += `[${s}]`;
    else out += out ? `.${String(s)}` : String(s);
  }
  return out || root;
}

function valueAt(data: unknown, segs: readonly Seg[]): unknown {
  let v = data;
  for (const s of segs) {
    if (v === null || typeof v !== 'object') return undefined;
    v = (v as Record<PropertyKey, unknown>)[s];
  }
  return v;
}

function messageOf(issue: z.core.$ZodIssue, present: boolean): string {
  if (!present && (issue.code === 'invalid_type' || issue.code === 'invalid_value')) return 'is required';
  switch (issue.code) {
    case 'invalid_value':
      return `must be one of ${issue.values.map((v) => String(v)).join(' | ')}`;
    case 'too_big':
      return issue.origin === 'string'
        ? `must be at most ${String(issue.maximum)} characters`
        : `must be at most ${String(issue.maximum)}`;
    case 'too_small':
      return issue.origin === 'string'
        ? `must be at least ${String(issue.minimum)} characters`
        : `must be at least ${String(issue.minimum)}`;
    default:
      return issue.message.replace(/^Invalid input: /, '');
  }
}

/** Turns zod issues into SPEC §5 details; paths are relative to the body or query (`reason`, `limit`). */
export function issuesToDetails(
  issues: readonly z.core.$ZodIssue[],
  data: unknown,
  root: string,
): ErrorDetail[] {
  const out: ErrorDetail[] = [];
  for (const issue of issues) {
    if (issue.code === 'unrecognized_keys') {
      for (const k of issue.keys)
        out.push({ path: formatPath([...issue.path, k], root), message: 'is not an allowed field' });
      continue;
    }
    const present = issue.path.length === 0 ? data !== undefined : valueAt(data, issue.path) !== undefined;
    out.push({ path: formatPath(issue.path, root), message: messageOf(issue, present) });
  }
  return out;
}

export function validationError(
  issues: readonly z.core.$ZodIssue[],
  data: unknown,
  root: 'body' | 'query' | 'params',
): BatonError {
  const details = issuesToDetails(issues, data, root);
  const first = details[0];
  const where = root === 'body' ? 'request body' : root === 'query' ? 'query string' : 'URL';
  const message = first
    ? `The ${where} is not valid: ${first.path} ${first.message}${details.length > 1 ? ` (and ${details.length - 1} more)` : ''}`
    : `The ${where} is not valid`;
  return new BatonError('validation_failed', message, { details });
}
