// An error answer of Baton's HTTP API (`{error: {code, message, details}}` with its status) as
// its clients hold it: the CLI over HTTP and the console. Status 0: the server was not reached.
import type { ErrorDetail } from './errors.ts';

export class ApiError extends Error {
  readonly status: number;
  readonly code: string;
  readonly details: ErrorDetail[];
  constructor(status: number, code: string, message: string, details: ErrorDetail[] = []) {
    super(message);
    this.name = 'ApiError';
    this.status = status;
    this.code = code;
    this.details = details;
  }
}
