// Compiles the expressions of one flow file and collects every problem with its position.
// Compiled values are cached by field path, so the semantic checks (which walk the raw data
// defensively, even when the schema check failed) and the final assembly share one compilation.
import type { ErrorDetail } from '../core/errors.ts';
import { isOwnerRef } from '../core/owner.ts';
import {
  CelCompileError,
  type CompiledExpr,
  type CompiledParams,
  type CompiledTemplate,
  type ExprKind,
  FlowCel,
} from './cel.ts';
import { inputReadsIn } from './input-schema.ts';
import { formatPath, type Path, type YamlSource } from './yaml-source.ts';

const OWNER_PREFIX = /^(user|team|role):[A-Za-z0-9._@-]*$/;
const OWNER_CHARS = /^[A-Za-z0-9._@-]*$/;

export const isRecord = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);
export const asArray = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);

/** The `input.…` paths mentioned anywhere in the flow outside its input schema. */
function inputReads(data: Record<string, unknown>): string[][] {
  const reads: string[][] = [];
  const visit = (v: unknown): void => {
    if (typeof v === 'string') inputReadsIn(v, reads);
    else if (Array.isArray(v)) v.forEach(visit);
    else if (isRecord(v)) Object.values(v).forEach(visit);
  };
  for (const [k, v] of Object.entries(data)) if (k !== 'input') visit(v);
  return reads;
}

export class FlowChecker {
  readonly src: YamlSource;
  readonly errors: ErrorDetail[] = [];
  readonly cel: FlowCel | undefined;
  readonly #exprs = new Map<string, CompiledExpr | undefined>();
  readonly #templates = new Map<string, CompiledTemplate | undefined>();
  readonly #owners = new Map<string, CompiledTemplate | undefined>();
  readonly #params = new Map<string, CompiledParams | undefined>();

  constructor(src: YamlSource, data: Record<string, unknown>) {
    this.src = src;
    const inputSchema = data['input'];
    let cel: FlowCel | undefined;
    if (isRecord(inputSchema)) {
      try {
        cel = new FlowCel(inputSchema, inputReads(data));
      } catch (e) {
        this.error(['input'], `cannot be used for CEL: ${e instanceof Error ? e.message : String(e)}`);
      }
    }
    this.cel = cel;
  }

  error(path: Path, message: string, at?: { line: number; column: number }): void {
    this.errors.push(this.src.detail(path, message, at));
  }

  #celError(path: Path, e: unknown): undefined {
    if (!(e instanceof CelCompileError)) throw e;
    this.error(path, `CEL: ${e.message}`, this.src.locateInString(path, e.offset));
    return undefined;
  }

  #cached<T>(cache: Map<string, T | undefined>, path: Path, make: () => T | undefined): T | undefined {
    const key = formatPath(path);
    if (cache.has(key)) return cache.get(key);
    const value = make();
    cache.set(key, value);
    return value;
  }

  /** A CEL expression at `path` (skipped when not a string: the schema check reports that). */
  expr(path: Path, source: unknown, kind: ExprKind = 'value'): CompiledExpr | undefined {
    return this.#cached(this.#exprs, path, () => {
      if (typeof source !== 'string' || source === '' || !this.cel) return undefined;
      try {
        // Approval conditions (actions[i].approval…) and costs may read the action's `params` too.
        const approval = path[0] === 'actions' && (path[2] === 'approval' || path[2] === 'cost');
        return this.cel.expr(source, formatPath(path), kind, approval);
      } catch (e) {
        return this.#celError(path, e);
      }
    });
  }

  template(path: Path, source: unknown): CompiledTemplate | undefined {
    return this.#cached(this.#templates, path, () => {
      if (typeof source !== 'string' || !this.cel) return undefined;
      try {
        return this.cel.template(source, formatPath(path));
      } catch (e) {
        return this.#celError(path, e);
      }
    });
  }

  /** An owner, literal (`team:sales`) or templated (`user:${context.account.owner}`). */
  owner(path: Path, source: unknown): CompiledTemplate | undefined {
    return this.#cached(this.#owners, path, () => {
      if (typeof source !== 'string' || source === '') return undefined;
      if (!source.includes('${')) {
        if (!isOwnerRef(source))
          this.error(path, `"${source}" is not an owner: use user:<id>, team:<id> or role:<id>`);
      }
      const t = this.template(path, source);
      if (!t) return undefined;
      const literal = t.literal;
      if (literal !== undefined) return isOwnerRef(literal) ? t : undefined;
      const [first, ...rest] = t.literals;
      const prefixOk = first === '' || OWNER_PREFIX.test(first!);
      if (!prefixOk || !rest.every((l) => OWNER_CHARS.test(l))) {
        this.error(
          path,
          `"${source}" does not make an owner: write user:\${…}, team:\${…}, role:\${…} or one \${…}`,
        );
        return undefined;
      }
      return t;
    });
  }

  params(path: Path, value: unknown): CompiledParams | undefined {
    return this.#cached(this.#params, path, () => {
      if (!isRecord(value) || !this.cel) return undefined;
      return this.cel.params(value, formatPath(path), (sub, e) => this.#celError([...path, ...sub], e));
    });
  }

  /** The cached compiled value; for the final assembly, which runs only when nothing failed. */
  must<T>(value: T | undefined, path: Path): T {
    if (value === undefined) throw new Error(`internal: ${formatPath(path)} was not compiled`);
    return value;
  }
}
