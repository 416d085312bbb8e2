// The editor's changes: the same operations the draft route applies to the file, applied here to
// a copy of the definition so the form shows the draft at once, and collected in order to send.
import type { FlowChange } from '../../api/types.ts';

export type PathSeg = string | number;

type Json = Record<string | number, unknown>;

/** The definition with one change applied (a copy; the original is left alone). */
export function applyChange<T>(root: T, c: FlowChange): T {
  const out = structuredClone(root) as Json;
  let parent = out;
  c.path.slice(0, -1).forEach((seg, i) => {
    if (parent[seg] === undefined || parent[seg] === null)
      parent[seg] = typeof c.path[i + 1] === 'number' ? [] : {};
    parent = parent[seg] as Json;
  });
  const last = c.path.at(-1)!;
  const list = Array.isArray(parent) ? (parent as unknown[]) : null;
  switch (c.op) {
    case 'set':
      parent[last] = structuredClone(c.value);
      break;
    case 'delete':
      if (list && typeof last === 'number') list.splice(last, 1);
      else delete parent[last];
      break;
    case 'insert':
      if (list && typeof last === 'number') list.splice(last, 0, structuredClone(c.value));
      break;
    case 'move':
      if (list && typeof last === 'number') {
        const [item] = list.splice(last, 1);
        list.splice(c.to, 0, item);
      }
      break;
  }
  return out as T;
}

const samePath = (a: readonly PathSeg[], b: readonly PathSeg[]) =>
  a.length === b.length && a.every((s, i) => s === b[i]);

/**
 * The list of changes with one more. Typing in a field sets its path again and again: the new
 * value replaces the last set of that path when no list was reshaped since (paths still mean
 * the same thing), so the draft stays short.
 */
export function addChange(ops: readonly FlowChange[], c: FlowChange): FlowChange[] {
  if (c.op === 'set' || c.op === 'delete') {
    for (let i = ops.length - 1; i >= 0; i--) {
      const o = ops[i]!;
      if (o.op === 'insert' || o.op === 'move' || (o.op === 'delete' && !samePath(o.path, c.path))) break;
      if ((o.op === 'set' || o.op === 'delete') && samePath(o.path, c.path))
        return [...ops.slice(0, i), ...ops.slice(i + 1), c];
    }
  }
  return [...ops, c];
}

const IDENT = /^[A-Za-z_][A-Za-z0-9_-]*$/;

/** `decide.rules[1].when`: how the server names a field in its problems. */
export function fieldPath(path: readonly PathSeg[]): string {
  let out = '';
  for (const seg of path) {
    if (typeof seg === 'number') out += `[${seg}]`;
    else if (IDENT.test(seg)) out += out ? `.${seg}` : seg;
    else out += `[${JSON.stringify(seg)}]`;
  }
  return out;
}

/** An element id for a field (labels and error descriptions point at it). */
export const fieldId = (path: readonly PathSeg[]) => `f-${fieldPath(path).replace(/[^A-Za-z0-9_-]+/g, '-')}`;

/** "a, b ,c" → ["a", "b", "c"]. */
export const splitList = (text: string): string[] =>
  text
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');

export const set = (path: PathSeg[], value: unknown): FlowChange => ({ op: 'set', path, value });
export const clear = (path: PathSeg[]): FlowChange => ({ op: 'delete', path });
/** An optional text: empty removes the key from the file. */
export const text = (path: PathSeg[], t: string): FlowChange =>
  t.trim() === '' ? clear(path) : set(path, t);
/** An optional number: an empty field removes the key. */
export const amount = (path: PathSeg[], v: unknown): FlowChange =>
  typeof v === 'string' && v.trim() === '' ? clear(path) : set(path, v);
