// Line diffs of flow files: the matching lines of two texts (Myers' O(ND) algorithm) and the
// unified diff a person reads before saving an edit. Flow files are small; past a size where
// the search would be slow, two texts are treated as sharing no lines (still a correct diff).

/** Pairs [i, j]: line i of `a` is kept as line j of `b`, in order. */
export type Matches = Array<[number, number]>;

/** Beyond this many differing lines the search stops and the middle counts as replaced. */
const MAX_EDITS = 1000;

export function matchLines(a: readonly string[], b: readonly string[]): Matches {
  let start = 0;
  while (start < a.length && start < b.length && a[start] === b[start]) start++;
  let endA = a.length;
  let endB = b.length;
  while (endA > start && endB > start && a[endA - 1] === b[endB - 1]) {
    endA--;
    endB--;
  }
  const out: Matches = [];
  for (let i = 0; i < start; i++) out.push([i, i]);
  out.push(...middle(a, b, start, endA, start, endB));
  for (let i = 0; endA + i < a.length; i++) out.push([endA + i, endB + i]);
  return out;
}

/** Myers' greedy search with a trace of each round, walked back to the matching lines. */
function middle(a: readonly string[], b: readonly string[], a0: number, a1: number, b0: number, b1: number) {
  const n = a1 - a0;
  const m = b1 - b0;
  if (n === 0 || m === 0) return [];
  const max = Math.min(n + m, MAX_EDITS);
  const off = max + 1;
  let v: Int32Array = new Int32Array(2 * max + 3);
  const trace: Int32Array[] = [];
  let found = false;
  for (let d = 0; d <= max && !found; d++) {
    trace.push(v.slice());
    for (let k = -d; k <= d; k += 2) {
      let x =
        k === -d || (k !== d && v[k - 1 + off]! < v[k + 1 + off]!) ? v[k + 1 + off]! : v[k - 1 + off]! + 1;
      let y = x - k;
      while (x < n && y < m && a[a0 + x] === b[b0 + y]) {
        x++;
        y++;
      }
      v[k + off] = x;
      if (x >= n && y >= m) {
        found = true;
        break;
      }
    }
  }
  if (!found) return [];
  const pairs: Matches = [];
  let x = n;
  let y = m;
  for (let d = trace.length - 1; d >= 0; d--) {
    v = trace[d]!;
    const k = x - y;
    const prevK = k === -d || (k !== d && v[k - 1 + off]! < v[k + 1 + off]!) ? k + 1 : k - 1;
    const prevX = d === 0 ? 0 : v[prevK + off]!;
    const prevY = d === 0 ? 0 : prevX - prevK;
    while (x > prevX && y > prevY) {
      pairs.push([a0 + x - 1, b0 + y - 1]);
      x--;
      y--;
    }
    x = prevX;
    y = prevY;
  }
  return pairs.reverse();
}

/** A run of changed lines: `a[aStart, aEnd)` became `b[bStart, bEnd)`. */
export interface Hunk {
  aStart: number;
  aEnd: number;
  bStart: number;
  bEnd: number;
}

/** The changed runs between matching lines. */
export function hunksOf(matches: Matches, aLength: number, bLength: number): Hunk[] {
  const hunks: Hunk[] = [];
  let i = 0;
  let j = 0;
  for (const [mi, mj] of [...matches, [aLength, bLength] as [number, number]]) {
    if (mi > i || mj > j) hunks.push({ aStart: i, aEnd: mi, bStart: j, bEnd: mj });
    i = mi + 1;
    j = mj + 1;
  }
  return hunks;
}

export const splitLines = (text: string): string[] => {
  const lines = text.split('\n');
  if (lines.at(-1) === '') lines.pop();
  return lines;
};

/** `a` → `b` as a unified diff with `context` lines around each change; '' when they are equal. */
export function unifiedDiff(a: string, b: string, name: string, context = 3): string {
  const la = splitLines(a);
  const lb = splitLines(b);
  const hunks = hunksOf(matchLines(la, lb), la.length, lb.length);
  if (hunks.length === 0) return '';
  // Hunks closer than twice the context share one block.
  const blocks: Hunk[][] = [];
  for (const h of hunks) {
    const last = blocks.at(-1);
    if (last && h.aStart - last.at(-1)!.aEnd <= 2 * context) last.push(h);
    else blocks.push([h]);
  }
  const out = [`--- a/${name}`, `+++ b/${name}`];
  for (const block of blocks) {
    const first = block[0]!;
    const last = block.at(-1)!;
    const aFrom = Math.max(0, first.aStart - context);
    const bFrom = first.bStart - (first.aStart - aFrom);
    const aTo = Math.min(la.length, last.aEnd + context);
    const bTo = last.bEnd + (aTo - last.aEnd);
    const range = (from: number, to: number) => `${to - from === 0 ? from : from + 1},${to - from}`;
    out.push(`@@ -${range(aFrom, aTo)} +${range(bFrom, bTo)} @@`);
    let i = aFrom;
    for (const h of block) {
      for (; i < h.aStart; i++) out.push(` ${la[i]}`);
      for (let k = h.aStart; k < h.aEnd; k++) out.push(`-${la[k]}`);
      for (let k = h.bStart; k < h.bEnd; k++) out.push(`+${lb[k]}`);
      i = h.aEnd;
    }
    for (; i < aTo; i++) out.push(` ${la[i]}`);
  }
  return `${out.join('\n')}\n`;
}
