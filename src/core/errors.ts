// One error base class with stable codes. Every error says whose fault it is (user, system,
// provider), whether retrying can help, and carries context (handoff, flow, file, field).

export type Fault = 'user' | 'system' | 'provider';

export type ErrorCode =
  | 'invalid_json'
  | 'too_large'
  | 'validation_failed'
  | 'unauthorized'
  | 'forbidden'
  | 'csrf_failed'
  | 'not_found'
  | 'invalid_transition'
  | 'already_decided'
  | 'trigger_not_enabled'
  | 'idempotency_conflict'
  | 'conflict'
  | 'busy'
  | 'flow_invalid'
  | 'project_invalid'
  | 'action_failed'
  | 'store_error'
  | 'internal';

export interface ErrorDetail {
  path: string;
  message: string;
  file?: string;
  line?: number;
  column?: number;
  /** Byte offset in a request body (invalid UTF-8, NUL, lone surrogates). */
  byte?: number;
}

const STATUS: Record<ErrorCode, number> = {
  invalid_json: 400,
  too_large: 413,
  validation_failed: 422,
  unauthorized: 401,
  forbidden: 403,
  csrf_failed: 403,
  not_found: 404,
  invalid_transition: 409,
  already_decided: 409,
  trigger_not_enabled: 409,
  idempotency_conflict: 409,
  conflict: 409,
  busy: 429,
  flow_invalid: 422,
  project_invalid: 422,
  action_failed: 502,
  store_error: 503,
  internal: 500,
};

export interface BatonErrorOptions {
  details?: ErrorDetail[];
  fault?: Fault;
  retryable?: boolean;
  /** When a retry may help, how long to wait first. */
  retryAfterMs?: number;
  context?: Record<string, string | number | undefined>;
  cause?: unknown;
}

export class BatonError extends Error {
  readonly code: ErrorCode;
  readonly details: ErrorDetail[];
  readonly fault: Fault;
  readonly retryable: boolean;
  readonly retryAfterMs: number | undefined;
  readonly context: Record<string, string | number | undefined>;

  constructor(code: ErrorCode, message: string, options: BatonErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'BatonError';
    this.code = code;
    this.details = options.details ?? [];
    this.fault = options.fault ?? (STATUS[code] < 500 ? 'user' : 'system');
    this.retryable = options.retryable ?? false;
    this.retryAfterMs = options.retryAfterMs;
    this.context = options.context ?? {};
  }

  get status(): number {
    return STATUS[this.code];
  }

  toJSON(): { error: { code: ErrorCode; message: string; details: ErrorDetail[] } } {
    return { error: { code: this.code, message: this.message, details: this.details } };
  }
}

export function isBatonError(e: unknown): e is BatonError {
  return e instanceof BatonError;
}

/** An error's message, for events and logs (anything thrown, not only Errors). */
export function errorText(e: unknown): string {
  if (e instanceof Error) return e.message;
  return String(e);
}

/** An error as it crosses a thread boundary (structured clone keeps data, not classes). */
export interface WireError {
  message: string;
  code?: ErrorCode;
  details?: ErrorDetail[];
  retryable?: boolean;
  retryAfterMs?: number;
}

export function toWire(e: unknown): WireError {
  const w: WireError = { message: errorText(e) };
  if (isBatonError(e)) {
    w.code = e.code;
    w.details = e.details;
    w.retryable = e.retryable;
    if (e.retryAfterMs !== undefined) w.retryAfterMs = e.retryAfterMs;
  }
  return w;
}

/** Rebuilds the error on the other side; an error that was not a BatonError gets `fallback`. */
export function fromWire(w: WireError | undefined, fallback: ErrorCode): BatonError {
  return new BatonError(w?.code ?? fallback, w?.message ?? 'the other thread failed', {
    details: w?.details ?? [],
    retryable: w?.retryable ?? false,
    ...(w?.retryAfterMs !== undefined ? { retryAfterMs: w.retryAfterMs } : {}),
  });
}
