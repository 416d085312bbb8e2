// Editing a flow file's text: each change sets, inserts, moves or deletes the node at a path of
// the yaml Document, so comments and the layout of what is not changed stay as written.
//
// The yaml package prints a whole document in its own style (`[a, b]` as `[ a, b ]`, a flow
// map on its own line joined to its key). So the edited document is not written out as a whole:
// the lines that changed between the original printed by the package and the edited one printed
// by it are carried onto the file's own text, and only where a change touches a line the
// package prints differently is that line written in the package's style (a three-way merge
// whose base is the original as printed). The result is checked to mean exactly what the
// edited document means; if it ever did not, the package's whole print is used instead.
import { isDeepStrictEqual } from 'node:util';
import {
  isCollection,
  isNode,
  isScalar,
  isSeq,
  parseDocument,
  visit,
  type Document,
  type Node as YamlNode,
  type YAMLSeq,
} from 'yaml';
import { BatonError, type ErrorDetail } from '../core/errors.ts';
import { hunksOf, matchLines, splitLines } from './line-diff.ts';
import { formatPath, type PathSeg } from './yaml-source.ts';
import { padLists, paddingOf, type Padding } from './yaml-style.ts';

export type FlowChange =
  /** Sets the value at `path` (a missing map key is added; a scalar keeps its quoting). */
  | { op: 'set'; path: PathSeg[]; value: unknown }
  /** Removes the map key (none there: nothing to do) or list item at `path`. */
  | { op: 'delete'; path: PathSeg[] }
  /** Inserts into a list: `path` ends with the index the value takes (the list's length appends). */
  | { op: 'insert'; path: PathSeg[]; value: unknown }
  /** Moves a list item (with its comments) to index `to` of the same list. */
  | { op: 'move'; path: PathSeg[]; to: number };

const PRINT = { lineWidth: 0 } as const;

const parse = (text: string): Document => parseDocument(text, { uniqueKeys: true });

/**
 * `text` with the changes applied in order (each path as the earlier changes left the document).
 * Throws BatonError('validation_failed') naming the change whose path does not fit the file.
 */
export function applyFlowChanges(text: string, changes: readonly FlowChange[]): string {
  const doc = parse(text);
  if (doc.errors.length > 0)
    throw new BatonError('validation_failed', 'the flow file is not valid YAML: fix it in the file first', {
      details: doc.errors.map((e) => ({ path: '', message: e.message.split('\n')[0]! })),
    });
  const problems: ErrorDetail[] = [];
  changes.forEach((c, i) => {
    const why = apply(doc, c);
    if (why)
      problems.push({ path: `changes[${i}].path`, message: `${formatPath(c.path) || '(root)'}: ${why}` });
  });
  if (problems.length > 0)
    throw new BatonError('validation_failed', problems.map((p) => p.message).join('; '), {
      details: problems,
    });
  const [base, edited] = printBoth(parse(text), doc, paddingOf(text));
  const merged = carryOnto(text, base, edited);
  const check = parse(merged);
  if (check.errors.length === 0 && isDeepStrictEqual(check.toJS(), doc.toJS())) return merged;
  return edited;
}

/** The original and the edited document printed alike, in the file's padding where that is safe. */
function printBoth(original: Document, edited: Document, style: Padding): [string, string] {
  const printed = [original, edited].map((d) => d.toString({ ...PRINT, flowCollectionPadding: style.maps }));
  if (style.lists === style.maps) return printed as [string, string];
  const restyled = printed.map((t) => padLists(t, style.lists));
  const same = restyled.every((t, i) => {
    const d = parse(t);
    return d.errors.length === 0 && isDeepStrictEqual(d.toJS(), [original, edited][i]!.toJS());
  });
  return (same ? restyled : printed) as [string, string];
}

/** Applies one change; the reason when its path does not fit the document. */
function apply(doc: Document, c: FlowChange): string | undefined {
  if (c.path.length === 0) return 'a change needs a path into the flow';
  const parentPath = c.path.slice(0, -1);
  const last = c.path.at(-1)!;
  const parent = parentPath.length === 0 ? doc.contents : doc.getIn(parentPath, true);
  try {
    switch (c.op) {
      case 'set': {
        if (isSeq(parent) && (typeof last !== 'number' || last > parent.items.length))
          return `a list index from 0 to ${parent.items.length} is needed here`;
        const old = doc.getIn(c.path, true);
        // A scalar of the same kind keeps its node: its quoting and its comment stay.
        if (
          isScalar(old) &&
          c.value !== null &&
          typeof old.value === typeof c.value &&
          typeof c.value !== 'object'
        ) {
          old.value = c.value;
          return undefined;
        }
        doc.setIn(c.path, replacing(old, newNode(doc, c.value)));
        return undefined;
      }
      case 'delete':
        // A key that is not there is already deleted (a form clears a field the file left out);
        // a list item that is not there is a mistake.
        if (!doc.hasIn(c.path)) return isSeq(parent) ? 'nothing is there to delete' : undefined;
        doc.deleteIn(c.path);
        return undefined;
      case 'insert': {
        if (parent === undefined) {
          if (last !== 0) return 'a new list starts at index 0';
          doc.setIn(parentPath, doc.createNode([c.value]));
          return undefined;
        }
        if (!isSeq(parent)) return 'insert works on a list';
        if (typeof last !== 'number' || last < 0 || last > parent.items.length)
          return `a list index from 0 to ${parent.items.length} is needed here`;
        parent.items.splice(last, 0, likeSiblings(parent, newNode(doc, c.value)));
        return undefined;
      }
      case 'move': {
        if (!isSeq(parent)) return 'move works on a list';
        const n = parent.items.length;
        if (typeof last !== 'number' || last < 0 || last >= n) return `no item ${String(last)} in this list`;
        if (!Number.isInteger(c.to) || c.to < 0 || c.to >= n) return `\`to\` must be from 0 to ${n - 1}`;
        const [item] = parent.items.splice(last, 1);
        parent.items.splice(c.to, 0, item);
        return undefined;
      }
    }
  } catch (e) {
    // The yaml package refuses a path through a scalar ("Expected YAML collection at …").
    return e instanceof Error ? e.message.split('\n')[0]! : String(e);
  }
}

/** A node for a new value; lists of plain values in flow style, as flow files write them (`[task, tell]`). */
function newNode(doc: Document, value: unknown): YamlNode {
  const node = doc.createNode(value);
  visit(node, {
    Seq(_, seq) {
      if (seq.items.length > 0 && seq.items.every(isScalar)) seq.flow = true;
    },
  });
  return node;
}

/** A new list item written as its siblings are: in flow style when they are (`- { after: 4h, … }`). */
function likeSiblings(list: YAMLSeq, node: YamlNode): YamlNode {
  const sibling = list.items.find(isCollection);
  if (isCollection(node) && sibling?.flow) node.flow = true;
  return node;
}

/** The new node keeps the comments of the one it replaces, and its flow or block style. */
function replacing(old: unknown, node: YamlNode): YamlNode {
  if (!isNode(old)) return node;
  if (old.commentBefore) node.commentBefore = old.commentBefore;
  if (old.comment) node.comment = old.comment;
  if (old.spaceBefore) node.spaceBefore = true;
  if (isCollection(old) && isCollection(node) && old.flow !== undefined) node.flow = old.flow;
  return node;
}

/**
 * The changes from `base` to `edited` (both printed by the yaml package) carried onto `own` (the
 * file as written, which `base` prints the same document as). Theirs wins where they overlap.
 */
export function carryOnto(own: string, base: string, edited: string): string {
  const o = splitLines(own);
  const b = splitLines(base);
  const e = splitLines(edited);
  const ownOf = new Map(matchLines(b, o)); // base line → own line
  /** Where in `own` the replaced base lines [s, t) begin and end; undefined when not known. */
  const place = (s: number, t: number): [number | undefined, number | undefined] => {
    if (s === t) {
      const at = s === 0 ? 0 : ownOf.has(s - 1) ? ownOf.get(s - 1)! + 1 : ownOf.get(s);
      return [at, at];
    }
    const from = ownOf.has(s)
      ? ownOf.get(s)
      : s === 0
        ? 0
        : ownOf.has(s - 1)
          ? ownOf.get(s - 1)! + 1
          : undefined;
    const to = ownOf.has(t - 1) ? ownOf.get(t - 1)! + 1 : t === b.length ? o.length : ownOf.get(t);
    return [from, to];
  };
  const hunks = hunksOf(matchLines(b, e), b.length, e.length);
  const out: string[] = [];
  let ownAt = 0; // own lines before this are written
  let baseAt = 0; // base lines before this are handled
  for (let h = 0; h < hunks.length; h++) {
    let { aStart, aEnd, bStart, bEnd } = hunks[h]!;
    let [from, to] = place(aStart, aEnd);
    // A base line the file writes differently (no own line matches it) at the edge of a change:
    // take it into the change, printed as edited. The lines taken are unchanged between base
    // and edited, so the same count widens both sides.
    while (from === undefined || to === undefined) {
      if (from === undefined) {
        if (aStart - 1 < baseAt) return edited;
        aStart--;
        bStart--;
      }
      if (to === undefined) {
        aEnd++;
        bEnd++;
      }
      // Hunks that now meet are one.
      for (let next = hunks[h + 1]; next && next.aStart <= aEnd; next = hunks[h + 1]) {
        h++;
        bEnd = next.bEnd + Math.max(0, aEnd - next.aEnd);
        aEnd = Math.max(aEnd, next.aEnd);
      }
      [from, to] = place(aStart, aEnd);
    }
    if (from < ownAt || to < from) return edited; // cannot place it: the package's print it is
    out.push(...o.slice(ownAt, from), ...e.slice(bStart, bEnd));
    ownAt = to;
    baseAt = aEnd;
  }
  out.push(...o.slice(ownAt));
  return out.length === 0 ? '' : `${out.join('\n')}\n`;
}
