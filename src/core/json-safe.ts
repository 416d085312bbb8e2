// Intake payloads come from outside: they must be plain JSON of bounded depth, with finite
// numbers, before anything recursive (validation, hashing, storage) touches them.
import type { ErrorDetail } from './errors.ts';

export const MAX_DEPTH = 64;

/** Problems that make `value` unfit to store as JSON; empty when it is fine. Iterative on purpose. */
export function jsonProblems(value: unknown, root = 'input', maxDepth = MAX_DEPTH): ErrorDetail[] {
  // The usual answer is "fine": find that out without building a path for every value.
  if (isPlainJson(value, maxDepth)) return [];
  const problems: ErrorDetail[] = [];
  const stack: Array<{ v: unknown; path: string; depth: number }> = [{ v: value, path: root, depth: 0 }];
  while (stack.length > 0 && problems.length < 20) {
    const { v, path, depth } = stack.pop()!;
    if (typeof v === 'number' && !Number.isFinite(v)) {
      problems.push({ path, message: 'must be a finite number' });
    } else if (typeof v === 'bigint' || typeof v === 'function' || typeof v === 'symbol') {
      problems.push({ path, message: `a ${typeof v} is not JSON` });
    } else if (v !== null && typeof v === 'object') {
      if (depth >= maxDepth) {
        problems.push({ path, message: `nested deeper than ${maxDepth} levels` });
        continue;
      }
      if (Array.isArray(v))
        v.forEach((x, i) => stack.push({ v: x, path: `${path}[${i}]`, depth: depth + 1 }));
      else
        for (const [k, x] of Object.entries(v)) stack.push({ v: x, path: `${path}.${k}`, depth: depth + 1 });
    }
  }
  return problems;
}

function isPlainJson(value: unknown, maxDepth: number): boolean {
  const values: unknown[] = [value];
  const depths: number[] = [0];
  while (values.length > 0) {
    const v = values.pop();
    const depth = depths.pop()!;
    if (typeof v === 'number') {
      if (!Number.isFinite(v)) return false;
    } else if (typeof v === 'bigint' || typeof v === 'function' || typeof v === 'symbol') {
      return false;
    } else if (v !== null && typeof v === 'object') {
      if (depth >= maxDepth) return false;
      const children = Array.isArray(v) ? v : Object.values(v);
      for (const x of children) {
        values.push(x);
        depths.push(depth + 1);
      }
    }
  }
  return true;
}

/** How much of an action's result or a context value is kept. */
export const MAX_STORED_BYTES = 256 * 1024;

/**
 * What comes back from code Baton does not control (a project's action or context source) as it
 * will be stored: plain JSON (Dates become strings, undefined and functions drop out), or, when
 * it cannot be stored (circular, a BigInt, too deep, too large), a note saying why — never an
 * exception later, in the commit, that would leave the handoff stuck and the call repeated.
 */
export function storableJson(value: unknown, maxBytes = MAX_STORED_BYTES): unknown {
  let text: string | undefined;
  try {
    text = JSON.stringify(value ?? null);
  } catch (e) {
    return { unstorable: `not JSON: ${e instanceof Error ? e.message : String(e)}` };
  }
  if (text === undefined) return null;
  if (text.length > maxBytes) return { unstorable: `larger than ${maxBytes} bytes (${text.length})` };
  const plain: unknown = JSON.parse(text);
  const problems = jsonProblems(plain, 'value');
  return problems.length > 0 ? { unstorable: `${problems[0]!.path} ${problems[0]!.message}` } : plain;
}

/** Sets `key` as an own data property, even `__proto__` (an assignment would set the prototype). */
export function setOwn(target: Record<string, unknown>, key: string, value: unknown): void {
  Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
}
