// The CEL layer. One environment per flow declares the variables every expression sees:
//
//   input     typed from the flow's `input` JSON Schema (see input-schema.ts): integer → int,
//             number → double, string, boolean → bool, arrays → list, declared object properties
//             → typed fields (a misspelt field is a load-time type error); open objects → map
//   context   map (dyn values)      decision   map (dyn values)      handoff   map ({id, flow})
//
// Each expression is parsed and type-checked once, when the flow loads; evaluation calls the
// compiled function directly, so a rule costs a few hundred nanoseconds.
//
// `has()` on a missing parent: CEL's `has(a.b.c)` raises `no_such_key` when `a.b` itself is
// absent. At compile time every `has(x.y.z)` is rewritten to `(has(x.y) && has(x.y.z))` (for each
// selection prefix), so it is simply false when any parent is missing: no run-time cost, no caught
// exceptions. In `${…}` interpolation a plain path (`${input.company}`) that is absent renders
// as "" (a raw parameter as null). Other reads of an absent field (`input.amount > 5.0` without
// `has`) remain CEL errors; `Expr.eval` turns them into a BatonError('validation_failed') naming
// the expression, with `context.cel` set to the CEL error code (`no_such_key`) so callers can
// tell them apart (the rules layer treats a failing rule as not matching).
import { Environment, type ASTNode } from '@marcbachmann/cel-js';
import { BatonError } from '../core/errors.ts';
import type { CelVars, Expr, ParamsTemplate, Template } from './compiled.ts';
import { celInputType, inputConverter, type Converter } from './input-schema.ts';
import { celValue } from './cel-value.ts';
import { setOwn } from '../core/json-safe.ts';
import { scanTemplate, TemplateSyntaxError, toPlain, toText } from './template.ts';
import { joinUrl } from './url-template.ts';

/** A parse or type error in an expression; `offset` is where in the source text it points. */
export class CelCompileError extends Error {
  readonly code: string;
  readonly offset: number | undefined;
  constructor(message: string, code: string, offset?: number) {
    super(message);
    this.name = 'CelCompileError';
    this.code = code;
    this.offset = offset;
  }
}

/** What an expression must yield: `bool` for conditions, anything otherwise. */
export type ExprKind = 'bool' | 'value';

const PATH_ROOTS = new Set(['input', 'context', 'decision']);
const IDENT_SEG = /^[A-Za-z_][A-Za-z0-9_]*$/;

let baseEnv: Environment | undefined;
function base(): Environment {
  baseEnv ??= new Environment({ homogeneousAggregateLiterals: false })
    .registerVariable('context', 'map', { description: 'Context built by the flow sources' })
    .registerVariable('decision', 'map', { description: 'The decision: owner, actions, …' })
    .registerVariable('handoff', 'map', { description: 'The handoff: id, flow' });
  return baseEnv;
}

/** The AST nodes directly under a node, whatever its operator. */
const isAstNode = (a: unknown): a is ASTNode =>
  typeof a === 'object' && a !== null && 'op' in a && 'range' in a;

function children(node: ASTNode): ASTNode[] {
  const out: ASTNode[] = [];
  const visit = (a: unknown): void => {
    if (Array.isArray(a)) for (const x of a) visit(x);
    else if (isAstNode(a)) out.push(a);
  };
  visit(node.args);
  return out;
}

/** The segments of a member chain (`a.b["c"]`) rooted at one of `roots`, or undefined. */
function chain(node: ASTNode, roots: ReadonlySet<string> = PATH_ROOTS): string[] | undefined {
  switch (node.op) {
    case 'id':
      return roots.has(node.args) ? [node.args] : undefined;
    case '.':
    case '.?': {
      const inner = chain(node.args[0], roots);
      return inner && [...inner, node.args[1]];
    }
    case '[]':
    case '[?]': {
      const key = node.args[1];
      if (key.op !== 'value' || typeof key.args !== 'string') return undefined;
      const inner = chain(node.args[0], roots);
      return inner && [...inner, key.args];
    }
    default:
      return undefined;
  }
}

const VAR_ROOTS = new Set(['input', 'context', 'decision', 'handoff']);

function readSeg(v: unknown, seg: string): unknown {
  if (v instanceof Map) return v.get(seg);
  if (typeof v === 'object' && v !== null) return Reflect.get(v, seg);
  return undefined;
}

export function formatCelPath(segs: readonly string[]): string {
  let s = segs[0] ?? '';
  for (let i = 1; i < segs.length; i++) {
    const seg = segs[i]!;
    s += IDENT_SEG.test(seg) ? `.${seg}` : `[${JSON.stringify(seg)}]`;
  }
  return s;
}

/** The input/context/decision paths an expression reads; a path is dropped when a longer one extends it. */
export function readPaths(ast: ASTNode, roots: ReadonlySet<string> = PATH_ROOTS): string[] {
  const found = new Set<string>();
  const walk = (node: ASTNode): void => {
    const segs = chain(node, roots);
    if (segs) {
      found.add(formatCelPath(segs));
      return;
    }
    for (const c of children(node)) walk(c);
  };
  walk(ast);
  const all = [...found];
  return all.filter((p) => !all.some((q) => q !== p && (q.startsWith(`${p}.`) || q.startsWith(`${p}[`))));
}

/** Rewrites `has(a.b.c)` to `(has(a.b) && has(a.b.c))`; undefined when nothing changes. */
export function rewriteHas(source: string, ast: ASTNode): string | undefined {
  const edits: Array<{ start: number; end: number; text: string }> = [];
  const walk = (node: ASTNode): void => {
    if (node.op === 'call' && node.args[0] === 'has' && node.args[1].length === 1) {
      const prefixes: string[] = [];
      const arg = node.args[1][0]!;
      let n: ASTNode | undefined = arg.op === '.' ? arg.args[0] : undefined;
      while (n && n.op === '.') {
        prefixes.unshift(source.slice(n.range.start, n.range.end));
        n = n.args[0];
      }
      if (prefixes.length > 0) {
        const own = source.slice(node.range.start, node.range.end);
        edits.push({
          start: node.range.start,
          end: node.range.end,
          text: `(${[...prefixes.map((p) => `has(${p})`), own].join(' && ')})`,
        });
      }
      return;
    }
    for (const c of children(node)) walk(c);
  };
  walk(ast);
  if (edits.length === 0) return undefined;
  edits.sort((a, b) => b.start - a.start);
  let out = source;
  for (const e of edits) out = out.slice(0, e.start) + e.text + out.slice(e.end);
  return out;
}

interface CelErrorLike {
  code?: unknown;
  summary?: unknown;
  range?: { start: number } | undefined;
  message?: unknown;
}

function describe(e: unknown): { code: string; summary: string; offset: number | undefined } {
  const err = (typeof e === 'object' && e !== null ? e : {}) as CelErrorLike;
  const summary =
    typeof err.summary === 'string' ? err.summary : typeof err.message === 'string' ? err.message : String(e);
  return {
    code: typeof err.code === 'string' ? err.code : 'error',
    summary: summary.split('\n')[0]!,
    offset: err.range?.start,
  };
}

class CompiledExpr implements Expr {
  readonly source: string;
  readonly paths: string[];
  /** The field that holds the expression (`decide.rules[1].when`), for error messages. */
  readonly where: string;
  readonly #fn: (vars: CelVars) => unknown;
  /** When the expression is a plain member path (`input.company`): its segments. */
  readonly #segs: readonly string[] | undefined;

  constructor(
    source: string,
    where: string,
    paths: string[],
    fn: (vars: CelVars) => unknown,
    segs: readonly string[] | undefined,
  ) {
    this.source = source;
    this.where = where;
    this.paths = paths;
    this.#fn = fn;
    this.#segs = segs;
  }

  /**
   * For interpolation: a plain path (`${input.company}`, `${decision.owner}`) reads the value
   * directly and yields undefined when any part is absent (rendered "" or null); any other
   * expression is evaluated as CEL.
   */
  read(vars: CelVars): unknown {
    const segs = this.#segs;
    if (segs === undefined) return this.eval(vars);
    let v: unknown = vars;
    for (let i = 0; i < segs.length && v !== undefined; i++) v = readSeg(v, segs[i]!);
    return v;
  }

  eval(vars: CelVars): unknown {
    try {
      return this.#fn(vars);
    } catch (e) {
      throw this.#runtimeError(e);
    }
  }

  #runtimeError(e: unknown): BatonError {
    const { code, summary } = describe(e);
    return new BatonError('validation_failed', `${this.where}: \`${this.source}\` failed: ${summary}`, {
      details: [{ path: this.where, message: `\`${this.source}\`: ${summary}` }],
      context: { expression: this.source, field: this.where, cel: code },
      cause: e,
    });
  }
}

class CompiledTemplate implements Template {
  readonly source: string;
  readonly #lits: string[];
  readonly #exprs: CompiledExpr[];

  constructor(source: string, lits: string[], exprs: CompiledExpr[]) {
    this.source = source;
    this.#lits = lits;
    this.#exprs = exprs;
  }

  /** The single expression when the template is exactly `${expr}`. */
  get rawExpr(): CompiledExpr | undefined {
    return this.#exprs.length === 1 && this.#lits[0] === '' && this.#lits[1] === ''
      ? this.#exprs[0]
      : undefined;
  }

  /** The text around the interpolations: one more than there are expressions. */
  get literals(): readonly string[] {
    return this.#lits;
  }

  get exprs(): readonly CompiledExpr[] {
    return this.#exprs;
  }

  /** The literal text when the template has no interpolation. */
  get literal(): string | undefined {
    return this.#exprs.length === 0 ? this.#lits[0] : undefined;
  }

  /** Interpolates into a URL: each value percent-encoded for the part it lands in (url-template.ts). */
  renderUrl(vars: CelVars, where: string): string {
    return joinUrl(
      this.#lits,
      this.#exprs.map((e) => toText(e.read(vars))),
      where,
    );
  }

  render(vars: CelVars): string {
    const lits = this.#lits;
    const exprs = this.#exprs;
    let s = lits[0]!;
    for (let i = 0; i < exprs.length; i++) s += toText(exprs[i]!.read(vars)) + lits[i + 1]!;
    return s;
  }
}

/** A compiled `with:` value. */
type ParamNode =
  | { k: 'const'; v: unknown }
  | { k: 'lit'; v: string }
  | { k: 'text'; t: CompiledTemplate }
  | { k: 'raw'; e: CompiledExpr }
  | { k: 'obj'; entries: Array<[string, ParamNode]> }
  | { k: 'arr'; items: ParamNode[] };

function renderNode(n: ParamNode, vars: CelVars): unknown {
  switch (n.k) {
    case 'const':
    case 'lit':
      return n.v;
    case 'text':
      return n.t.render(vars);
    case 'raw':
      return toPlain(n.e.read(vars)) ?? null;
    case 'obj': {
      const out: Record<string, unknown> = {};
      for (const [k, c] of n.entries) setOwn(out, k, renderNode(c, vars));
      return out;
    }
    case 'arr':
      return n.items.map((c) => renderNode(c, vars));
    default:
      return undefined;
  }
}

class CompiledParams implements ParamsTemplate {
  readonly #root: Array<[string, ParamNode]>;
  readonly #where: string;
  constructor(root: Array<[string, ParamNode]>, where: string) {
    this.#root = root;
    this.#where = where;
  }
  render(vars: CelVars, urls?: ReadonlySet<string>): Record<string, unknown> {
    const out: Record<string, unknown> = {};
    for (const [k, c] of this.#root)
      out[k] =
        urls?.has(k) && c.k === 'text'
          ? c.t.renderUrl(vars, `${this.#where}${formatSuffix([k])}`)
          : renderNode(c, vars);
    return out;
  }

  literals(key: string): readonly string[] | undefined {
    const node = this.#root.find(([k]) => k === key)?.[1];
    return node?.k === 'text' ? node.t.literals : undefined;
  }
}

/** Reports a compile error at a path inside a `with:` block (`[]` is the block itself). */
export type ParamsErrorReporter = (path: Array<string | number>, error: CelCompileError) => void;

/** The CEL environment of one flow. */
export class FlowCel {
  readonly #env: Environment;
  /** Approval conditions also see `params`: the action's parameters (as planned, or as edited). */
  readonly #approvalEnv: Environment;
  /** The variables whose paths `paths` reports, and that a plain-path read may read directly. */
  readonly #pathRoots: ReadonlySet<string> = PATH_ROOTS;
  readonly #varRoots: ReadonlySet<string> = VAR_ROOTS;
  /** Converts a validated intake payload for CEL (integer fields → BigInt, objects → Maps). */
  readonly celInput: Converter;

  /**
   * `inputReads`: the `input` member paths the flow's expressions use (see celInputType), so
   * undeclared fields of open input objects are known to the type checker as dyn.
   */
  constructor(
    inputSchema: unknown,
    inputReads: ReadonlyArray<readonly string[]> = [],
    /** Instead of the flow's variables, only these (a trigger's map sees what arrived). */
    variables?: Readonly<Record<string, 'map' | 'string' | 'list'>>,
  ) {
    if (variables) {
      let env = new Environment({ homogeneousAggregateLiterals: false });
      for (const [name, type] of Object.entries(variables)) env = env.registerVariable(name, type);
      this.#env = env;
      this.#pathRoots = this.#varRoots = new Set(Object.keys(variables));
    } else {
      this.#env = base().clone().registerVariable('input', celInputType(inputSchema, inputReads));
    }
    this.#approvalEnv = this.#env.clone().registerVariable('params', 'map', {
      description: "The action's parameters (approval conditions only)",
    });
    const convert = inputConverter(inputSchema);
    this.celInput = (v) => celValue(convert(v));
  }

  /** An environment where expressions read only `variables` (a trigger's map, a sweep's query). */
  static over(variables: Readonly<Record<string, 'map' | 'string' | 'list'>>): FlowCel {
    return new FlowCel({ type: 'object' }, [], variables);
  }

  /** The static type the checker gives an expression (`string`, `int`, `dyn`, …); throws CelCompileError. */
  typeOf(source: string): string | undefined {
    return this.#env.check(source).type;
  }

  /**
   * Parses and type-checks an expression; throws CelCompileError. `approval`: an approval
   * condition, which may also read `params`.
   */
  expr(source: string, where: string, kind: ExprKind = 'value', approval = false): CompiledExpr {
    const env = approval ? this.#approvalEnv : this.#env;
    let parsed;
    try {
      parsed = env.parse(source);
    } catch (e) {
      const d = describe(e);
      throw new CelCompileError(`syntax error: ${d.summary}`, d.code, d.offset);
    }
    const checked = parsed.check();
    if (!checked.valid) {
      const d = describe(checked.error);
      throw new CelCompileError(d.summary, d.code, d.offset);
    }
    if (kind === 'bool' && checked.type !== undefined && !/^(bool|dyn)\b/.test(checked.type)) {
      throw new CelCompileError(`must be a condition (bool), but it yields ${checked.type}`, 'not_bool', 0);
    }
    const rewritten = rewriteHas(source, parsed.ast);
    const fn = rewritten === undefined ? parsed : env.parse(rewritten);
    return new CompiledExpr(
      source,
      where,
      readPaths(parsed.ast, this.#pathRoots),
      fn,
      chain(parsed.ast, this.#varRoots),
    );
  }

  /** Compiles a `${…}` template; throws CelCompileError with the offset in the template text. */
  template(source: string, where: string): CompiledTemplate {
    let parts;
    try {
      parts = scanTemplate(source);
    } catch (e) {
      if (e instanceof TemplateSyntaxError) throw new CelCompileError(e.message, 'template_syntax', e.offset);
      throw e;
    }
    const exprs = parts.exprs.map(({ source: src, offset }) => {
      try {
        return this.expr(src, where);
      } catch (e) {
        if (e instanceof CelCompileError) {
          throw new CelCompileError(`in \${${src}}: ${e.message}`, e.code, offset + (e.offset ?? 0));
        }
        throw e;
      }
    });
    return new CompiledTemplate(source, parts.lits, exprs);
  }

  /**
   * Compiles a `with:` block: strings are templates (exactly `${expr}` yields the raw value),
   * objects and arrays recursively, anything else is passed through. Errors go to `report`; the
   * result is still usable (failed strings render as their source). Each render returns a new
   * top-level object; nested parts without interpolation are shared between renders (read-only).
   */
  params(value: Record<string, unknown>, where: string, report: ParamsErrorReporter): CompiledParams {
    const compile = (v: unknown, path: Array<string | number>): ParamNode => {
      if (typeof v === 'string') {
        if (!v.includes('${')) return { k: 'const', v };
        try {
          const t = this.template(v, `${where}${formatSuffix(path)}`);
          const raw = t.rawExpr;
          if (raw) return { k: 'raw', e: raw };
          return t.literal === undefined ? { k: 'text', t } : { k: 'lit', v: t.literal };
        } catch (e) {
          if (e instanceof CelCompileError) {
            report(path, e);
            return { k: 'const', v };
          }
          throw e;
        }
      }
      if (Array.isArray(v)) {
        const items = v.map((x, i) => compile(x, [...path, i]));
        return items.every((n) => n.k === 'const') ? { k: 'const', v } : { k: 'arr', items };
      }
      if (typeof v === 'object' && v !== null) {
        const entries = Object.entries(v).map(([k, x]): [string, ParamNode] => [k, compile(x, [...path, k])]);
        return entries.every(([, n]) => n.k === 'const') ? { k: 'const', v } : { k: 'obj', entries };
      }
      return { k: 'const', v };
    };
    return new CompiledParams(
      Object.entries(value).map(([k, v]): [string, ParamNode] => [k, compile(v, [k])]),
      where,
    );
  }
}

function formatSuffix(path: Array<string | number>): string {
  let s = '';
  for (const seg of path)
    s += typeof seg === 'number' ? `[${seg}]` : IDENT_SEG.test(seg) ? `.${seg}` : `[${JSON.stringify(seg)}]`;
  return s;
}

export type { CompiledExpr, CompiledTemplate, CompiledParams };
