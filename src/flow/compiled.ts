// What a loaded flow looks like to the engine: every expression compiled and type-checked once,
// when the flow loads, so a handoff never meets a CEL syntax or type error at run time.
import type { ActionDef, FlowDef } from '../core/flow-schema.ts';
import type { CompiledTriggers } from './triggers.ts';
import type { ErrorDetail } from '../core/errors.ts';
import type { OwnerRef } from '../core/owner.ts';

export type LadderDecision = 'complete' | 'cancel' | { reassign: OwnerRef };

/**
 * The variables every expression sees, as CEL values (cel-value.ts: objects are Maps, whatever
 * their keys are named). `input` is converted for CEL: JSON Schema `integer` fields become
 * BigInt (CEL int), `number` fields stay JS numbers (CEL double). `context` and `decision` are
 * maps (dyn); `handoff` is `{id, flow}`.
 */
export interface CelVars {
  input: unknown;
  context: unknown;
  decision: unknown;
  handoff: { id: string; flow: string };
  /** Approval conditions only: the action's parameters. */
  params?: unknown;
}

export interface Expr {
  source: string;
  /** Evaluates; throws a BatonError('validation_failed') naming the expression on a run-time error. */
  eval(vars: CelVars): unknown;
  /** `input.x.y` / `context.a.b` paths the expression reads (for decision evidence). */
  paths: string[];
}

/** A string with `${…}` interpolations. */
export interface Template {
  source: string;
  /** Interpolates; CEL values are turned into text (BigInt → decimal, null → ""). */
  render(vars: CelVars): string;
}

/**
 * A `with:` block. Strings are templates; a string that is exactly one `${expr}` yields the raw
 * value (a number stays a number, BigInt becomes a JS number when safe); nested objects and
 * arrays are rendered recursively; other values pass through.
 */
export interface ParamsTemplate {
  /**
   * `urls`: the top-level parameters that are URLs (the action's `urlParams`): values
   * interpolated into them are percent-encoded for the part of the URL they land in.
   */
  render(vars: CelVars, urls?: ReadonlySet<string>): Record<string, unknown>;
  /** The literal text of a top-level template parameter, split around its `${…}` (for load checks). */
  literals(key: string): readonly string[] | undefined;
}

export interface CompiledApproval {
  when?: Expr;
  levels: Array<{ name?: string; approvers: string[]; quorum: number; when?: Expr; fallback?: true }>;
  timeoutMs?: number;
  /** Reminders, in ms before the timeout (longest first). */
  remindBeforeMs: number[];
  onTimeout: 'escalate' | 'approve' | 'approve-all' | 'reject';
  onReject: 'stop' | 'skip';
  /** sha256 of the canonical JSON of the approval block: the policy version. */
  version: string;
}

export interface CompiledAction {
  def: ActionDef;
  with: ParamsTemplate;
  when?: Expr;
  idempotencyKey?: Expr;
  approval?: CompiledApproval;
  rollback?: { use: string; with?: ParamsTemplate };
  /** What runs instead when the connector of `def.use` is not configured. */
  fallback?: { use: string; with: ParamsTemplate };
  retry: { attempts: number; backoffMs: number };
  /** The flow's price of one call (USD, or CEL over `params`); wins over the action's own. */
  cost?: { usd: number } | { expr: Expr };
}

export interface CompiledRule {
  index: number;
  name?: string;
  when: Expr;
  owner: Template;
  actions?: string[];
}

export interface CompiledFlow {
  def: FlowDef;
  /** Content hash (sha256 hex of the canonical JSON of `def`). */
  version: string;
  /** Where it was loaded from, for messages. */
  file: string;
  /** The flow file's text, stored with the published version. */
  source: string;
  /** JSON Schema validation of an intake payload; empty when valid. Paths like `input.amount`. */
  validateInput(input: unknown): ErrorDetail[];
  /** How work arrives: each trigger's map from what arrived to the input (triggers.ts). */
  triggers: CompiledTriggers;
  /** Converts a validated intake payload for CEL (integers → BigInt). */
  celInput(input: Record<string, unknown>): unknown;
  idempotencyKey?: Expr;
  requester?: Expr;
  context: Array<{
    name: string;
    use: string;
    with: ParamsTemplate;
    when?: Expr;
    /** The flow's override of the source's declared trust. */
    trust?: 'trusted' | 'untrusted';
    /** What is read instead when the connector of `use` is not configured. */
    fallback?: { use: string; with: ParamsTemplate };
  }>;
  rules: CompiledRule[];
  otherwise: { owner: Template; actions?: string[] };
  actions: CompiledAction[];
  handoffTo: Template;
  acceptWithinMs?: number;
  fallbackOwner?: OwnerRef;
  ladder: Array<{
    afterMs: number;
    remind?: 'owner';
    to?: OwnerRef | 'manager';
    /** The last rung: the default decision when nobody accepted. */
    decide?: LadderDecision;
  }>;
  /** Contract paths (CEL paths like `input.company`, `decision.owner`). */
  contract: string[];
  /** The contract paths that are missing or empty for these variables. */
  missingContract(vars: CelVars): string[];
}
