// Parsing command-line values: JSON arguments (`'{...}'`, `@file`, `@-` for stdin), times, numbers.
import { readFileSync } from 'node:fs';
import { parseDuration } from '../core/duration.ts';
import { badJsonCharacter, byteOffset, firstInvalidUtf8 } from '../core/json-text.ts';
import { HANDOFF_STATES, type HandoffState } from '../core/types.ts';
import { UsageError } from './errors.ts';

/** The JSON an argument holds: literal text, `@file`, or `@-` (standard input). */
export function readJsonArg(arg: string, what = 'input'): unknown {
  let text = arg;
  let source = 'the argument';
  if (arg.startsWith('@')) {
    const file = arg.slice(1);
    source = file === '-' ? 'standard input' : file;
    try {
      const bytes = readFileSync(file === '-' ? 0 : file);
      // A lenient decoder would turn bad bytes into U+FFFD and store the damage: refuse them.
      const invalid = firstInvalidUtf8(bytes);
      if (invalid >= 0) throw new UsageError(`${what} in ${source} is not valid UTF-8 at byte ${invalid}`);
      text = bytes.toString('utf8');
    } catch (e) {
      if (e instanceof UsageError) throw e;
      const code = (e as NodeJS.ErrnoException).code;
      throw new UsageError(
        code === 'ENOENT'
          ? `${what} file ${file} does not exist`
          : `cannot read ${source}: ${(e as Error).message}`,
      );
    }
  }
  // The same text the HTTP API refuses: NUL characters and lone surrogate escapes.
  const bad = badJsonCharacter(text);
  if (bad) {
    throw new UsageError(`${what} in ${source} has ${bad.what} at byte ${byteOffset(text, bad.index)}`);
  }
  try {
    return JSON.parse(text);
  } catch (e) {
    const hint = arg.startsWith('@') ? '' : ' (pass JSON text, or @FILE to read a file)';
    throw new UsageError(`${what} in ${source} is not valid JSON: ${(e as Error).message}${hint}`);
  }
}

/** `7d`, `24h`, `30m` (that long ago) or an ISO date/time; epoch ms. */
export function parseSince(text: string, now = Date.now()): number {
  const d = parseDuration(text);
  if (d !== undefined) return now - d;
  if (/^\d{4}-\d{2}-\d{2}/.test(text)) {
    const t = Date.parse(text);
    if (!Number.isNaN(t)) return t;
  }
  throw new UsageError(`--since "${text}" is neither a duration (7d, 24h, 30m) nor an ISO date (2026-01-31)`);
}

export function parseCount(text: string, flag: string, max = Number.MAX_SAFE_INTEGER): number {
  const n = Number(text);
  if (!Number.isInteger(n) || n < 1 || n > max)
    throw new UsageError(`${flag} must be a whole number from 1 to ${max}, not "${text}"`);
  return n;
}

export function parsePort(text: string): number {
  const n = Number(text);
  if (!Number.isInteger(n) || n < 0 || n > 65535)
    throw new UsageError(`--port must be a port number from 0 to 65535, not "${text}"`);
  return n;
}

export function parseState(text: string): HandoffState {
  if ((HANDOFF_STATES as readonly string[]).includes(text)) return text as HandoffState;
  throw new UsageError(`--state "${text}" is not a handoff state (one of ${HANDOFF_STATES.join(', ')})`);
}

/** `kim` or `user:kim` → `kim` (the person whose tasks or inbox to show). */
export function personArg(text: string): string {
  return text.startsWith('user:') ? text.slice(5) : text;
}
