// A YAML file kept with its positions, so every problem found later (by zod, by the CEL
// compiler, by reference checks) can name the file, line, column and field path.
import {
  isAlias,
  isMap,
  isNode,
  isScalar,
  isSeq,
  LineCounter,
  parseDocument,
  type Document,
  type Node as YamlNode,
} from 'yaml';
import type { z } from 'zod';
import type { ErrorDetail } from '../core/errors.ts';

export type PathSeg = string | number;
export type Path = readonly PathSeg[];

export interface Position {
  line: number;
  column: number;
}

const IDENT = /^[A-Za-z_][A-Za-z0-9_-]*$/;

/** `decide.rules[1].when`; odd keys as `["a.b"]`. */
export function formatPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const seg of path) {
    if (typeof seg === 'number') out += `[${seg}]`;
    else if (typeof seg === 'string' && IDENT.test(seg)) out += out ? `.${seg}` : seg;
    else out += `[${JSON.stringify(String(seg))}]`;
  }
  return out;
}

interface Located {
  /** The node at the end of the path, when the whole path exists. */
  node: YamlNode | null | undefined;
  found: boolean;
  /** The key of the last map entry on the path (points at `key:`). */
  pos: Position;
}

export class YamlSource {
  readonly file: string;
  readonly text: string;
  readonly doc: Document;
  readonly #lines = new LineCounter();

  constructor(text: string, file: string) {
    this.file = file;
    this.text = text;
    this.doc = parseDocument(text, { lineCounter: this.#lines, prettyErrors: false, uniqueKeys: true });
  }

  position(offset: number): Position {
    const { line, col } = this.#lines.linePos(offset);
    return { line: Math.max(line, 1), column: Math.max(col, 1) };
  }

  detail(path: Path, message: string, at?: Position): ErrorDetail {
    const pos = at ?? this.locate(path);
    return { file: this.file, line: pos.line, column: pos.column, path: formatPath(path), message };
  }

  /** YAML syntax errors (and the errors of turning it into data), as details. */
  syntaxErrors(): ErrorDetail[] {
    return this.doc.errors.map((e) => {
      const pos = this.position(e.pos[0]);
      const message = e.message.split('\n')[0]!.replace(/ at line \d+, column \d+:?$/, '');
      return { file: this.file, line: pos.line, column: pos.column, path: '', message: `YAML: ${message}` };
    });
  }

  /** The document as plain data; throws a detail when aliases cannot be resolved. */
  toJS(): unknown {
    return this.doc.toJS({ maxAliasCount: 1000 });
  }

  #resolve(node: unknown): YamlNode | null | undefined {
    if (isAlias(node)) return node.resolve(this.doc) ?? null;
    return isNode(node) ? node : null;
  }

  #start(node: unknown, fallback: Position): Position {
    const r = isNode(node) ? node.range : undefined;
    return r ? this.position(r[0]) : fallback;
  }

  #walk(path: Path): Located {
    let node = this.#resolve(this.doc.contents);
    let pos = this.#start(node, { line: 1, column: 1 });
    for (const seg of path) {
      if (isMap(node)) {
        const pair = node.items.find((p) => {
          const k = isScalar(p.key) ? p.key.value : p.key;
          return String(k) === String(seg);
        });
        if (!pair) return { node: undefined, found: false, pos };
        pos = this.#start(pair.key, pos);
        node = this.#resolve(pair.value);
      } else if (isSeq(node) && typeof seg === 'number') {
        const item = node.items[seg];
        if (item === undefined) return { node: undefined, found: false, pos };
        node = this.#resolve(item);
        pos = this.#start(node, pos);
      } else {
        return { node: undefined, found: false, pos };
      }
    }
    return { node, found: true, pos };
  }

  /**
   * Where the value at `path` is: a scalar's own position; for a collection, the `key:` that
   * holds it (or the list item). A missing field is reported at its parent's key.
   */
  locate(path: Path): Position {
    const { node, found, pos } = this.#walk(path);
    if (found && isScalar(node)) return this.#start(node, pos);
    return pos;
  }

  /** Position of the key of a map entry (for unknown fields). */
  locateKey(path: Path, key: string): Position {
    return this.#walk([...path, key]).pos;
  }

  /**
   * Position of character `offset` of the string at `path`, when the scalar is written on one
   * line without escapes (so offsets map exactly); otherwise the scalar's own position.
   */
  locateInString(path: Path, offset: number | undefined): Position {
    const { node, found } = this.#walk(path);
    if (!found || !isScalar(node) || !node.range) return this.locate(path);
    const start = node.range[0];
    const fallback = this.position(start);
    if (offset === undefined || typeof node.value !== 'string') return fallback;
    const raw = this.text.slice(start, node.range[1]);
    const value = node.value;
    if (value.includes('\n')) return fallback;
    if (node.type === 'PLAIN' && raw === value) return this.position(start + offset);
    if ((node.type === 'QUOTE_DOUBLE' || node.type === 'QUOTE_SINGLE') && raw.slice(1, -1) === value) {
      return this.position(start + 1 + offset);
    }
    return fallback;
  }

  /** zod issues as details, each at the line of its field (a missing field: at its parent). */
  zodDetails(error: z.ZodError, prefix: Path = []): ErrorDetail[] {
    const out: ErrorDetail[] = [];
    for (const issue of error.issues) {
      const path = [...prefix, ...issue.path.map((p) => (typeof p === 'symbol' ? String(p) : p))];
      if (issue.code === 'unrecognized_keys') {
        for (const key of issue.keys) {
          out.push(this.detail([...path, key], `unknown field "${key}"`, this.locateKey(path, key)));
        }
        continue;
      }
      out.push(this.detail(path, issueMessage(issue, this.#walk(path).found)));
    }
    return out;
  }
}

type Issue = z.ZodError['issues'][number];

function issueMessage(issue: Issue, present: boolean): string {
  if (issue.code === 'invalid_type' && !present) return `missing required field (${issue.expected})`;
  // A field that must stay absent (`z.never`) carries its own reason.
  if (issue.code === 'invalid_type' && issue.expected === 'never') return issue.message;
  if (issue.code === 'invalid_type') {
    const got = /received (\w+)/.exec(issue.message)?.[1];
    return `expected ${issue.expected}${got ? `, got ${got}` : ''}`;
  }
  if (issue.code === 'invalid_union') {
    const expected = new Set<string>();
    for (const branch of issue.errors) {
      for (const sub of branch)
        if (sub.code === 'invalid_type' && sub.path.length === 0) expected.add(sub.expected);
    }
    if (expected.size > 0) return `expected ${[...expected].join(' or ')}`;
    const first = issue.errors.flat()[0];
    return first ? first.message : issue.message;
  }
  if (issue.code === 'invalid_value' && 'values' in issue) {
    return `expected one of ${issue.values.map((v) => JSON.stringify(v)).join(', ')}`;
  }
  return issue.message;
}

/** Sorts details by file, line and column (stable). */
export function sortDetails(details: ErrorDetail[]): ErrorDetail[] {
  return details.sort(
    (a, b) =>
      (a.file ?? '').localeCompare(b.file ?? '') ||
      (a.line ?? 0) - (b.line ?? 0) ||
      (a.column ?? 0) - (b.column ?? 0),
  );
}

/** `file:line:col field: message` — one line per detail, for error messages. */
export function formatDetail(d: ErrorDetail): string {
  const where = [d.file, d.line, d.column].filter((x) => x !== undefined).join(':');
  return `${where ? `${where} ` : ''}${d.path ? `${d.path}: ` : ''}${d.message}`;
}

/** The message of an error carrying these details: the count and the first few problems. */
export function summarize(what: string, details: ErrorDetail[]): string {
  const n = details.length;
  const head = details.slice(0, 5).map((d) => `  ${formatDetail(d)}`);
  const more = n > 5 ? [`  … and ${n - 5} more`] : [];
  return [`${what}: ${n} problem${n === 1 ? '' : 's'}`, ...head, ...more].join('\n');
}
