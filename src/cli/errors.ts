// How the CLI reports failures and which exit code each gets:
//   0 ok · 1 failure (not found, conflict, forbidden, failed eval cases, audit problems,
//   server unreachable) · 2 bad usage or input (unknown command or option, invalid JSON,
//   validation errors, HTTP 400/413/422).
import { ApiError } from '../core/api-error.ts';
import { isBatonError, type ErrorDetail } from '../core/errors.ts';

export const EXIT_OK = 0;
export const EXIT_FAILURE = 1;
export const EXIT_USAGE = 2;

/** Bad usage or input found by the CLI itself (exit 2). */
export class UsageError extends Error {
  readonly details: ErrorDetail[];
  constructor(message: string, details: ErrorDetail[] = []) {
    super(message);
    this.name = 'UsageError';
    this.details = details;
  }
}

/** A failure that has already been reported (e.g. failed eval cases): only the exit code is left. */
export class ExitError extends Error {
  readonly exitCode: number;
  constructor(exitCode: number, message = '') {
    super(message);
    this.name = 'ExitError';
    this.exitCode = exitCode;
  }
}

const BAD_INPUT_CODES = new Set([
  'invalid_json',
  'too_large',
  'validation_failed',
  'flow_invalid',
  'project_invalid',
]);

export function exitCodeOf(e: unknown): number {
  if (e instanceof ExitError) return e.exitCode;
  if (e instanceof UsageError) return EXIT_USAGE;
  if (isBatonError(e)) return BAD_INPUT_CODES.has(e.code) ? EXIT_USAGE : EXIT_FAILURE;
  if (e instanceof ApiError) {
    if (BAD_INPUT_CODES.has(e.code)) return EXIT_USAGE;
    return e.status === 400 || e.status === 413 || e.status === 422 ? EXIT_USAGE : EXIT_FAILURE;
  }
  return EXIT_FAILURE;
}

/** `file:line:col: path: message`, leaving out the parts a detail does not have. */
export function formatDetail(d: ErrorDetail): string {
  const where = d.file ? [d.file, d.line, d.column].filter((x) => x !== undefined).join(':') : '';
  return [where, d.path, d.message].filter((x) => x !== undefined && x !== '').join(': ');
}

function detailsOf(e: unknown): ErrorDetail[] {
  if (isBatonError(e) || e instanceof UsageError || e instanceof ApiError) return e.details;
  return [];
}

/** `baton: message` and one indented line per detail; a stack trace only with BATON_DEBUG=1. */
export function formatError(e: unknown, debug = process.env.BATON_DEBUG === '1'): string {
  const message = e instanceof Error ? e.message : String(e);
  const details = detailsOf(e);
  const lines = message.split('\n');
  let out: string;
  if (details.length > 0) {
    // The message may already summarize its details: print the headline and every detail once.
    const formatted = details.map(formatDetail);
    const code = isBatonError(e) || e instanceof ApiError ? e.code : '';
    const what =
      code === 'flow_invalid' ? 'invalid flows' : code === 'project_invalid' ? 'invalid project' : 'invalid';
    const head = formatted.includes(lines[0]!)
      ? `${what}: ${details.length} problem${details.length === 1 ? '' : 's'}`
      : lines[0]!;
    out = `baton: ${head}\n${formatted.map((l) => `  ${l}\n`).join('')}`;
  } else {
    out = `baton: ${lines[0]}\n${lines
      .slice(1)
      .map((l) => `  ${l.trimStart()}\n`)
      .join('')}`;
  }
  if (e instanceof ApiError) out += `  (HTTP ${e.status}${e.code ? ` ${e.code}` : ''})\n`;
  if (debug && e instanceof Error && e.stack) out += `${e.stack}\n`;
  return out;
}
