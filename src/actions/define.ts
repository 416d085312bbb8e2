// The public action interface. A project adds its own actions in TypeScript files under
// `actions/` of the project:
//
//   import { defineAction } from 'baton';            // or a relative import of src/actions/define.ts
//   import { z } from 'zod';
//   export default defineAction({
//     id: 'acme.charge', risk: 'high', idempotent: false,
//     params: z.object({ customer: z.string(), cents: z.int() }),
//     async run(params, ctx) { ...; return { chargeId } },
//     async rollback(params, result, ctx) { ... },
//   });
//
// `run` receives an idempotency key derived from the handoff and the step (ctx.idempotencyKey);
// pass it on to the external system. `idempotent: true` declares that calling again with the
// same key is safe, so Baton retries after a crash; otherwise an unknown outcome waits for a
// person (`baton resolve`).
import type { z } from 'zod';
import type { RiskLevel } from '../core/flow-schema.ts';
import type { InboxRecord, TaskRecord } from '../core/types.ts';
import type { OutboundPolicy } from '../outbound/policy.ts';

export interface ActionContext {
  handoffId: string;
  flow: string;
  actionId: string;
  idempotencyKey: string;
  /** The current owner (the decided owner while acting). */
  owner: string;
  /** Aborted when the call's timeout passes or the worker shuts down. */
  signal: AbortSignal;
  /**
   * Where the project lets outbound calls go (baton.yaml `outbound`): pass it to
   * `outboundRequest` so a URL from a payload cannot reach a private address.
   */
  outbound: OutboundPolicy;
}

export interface ActionDefinition<P = Record<string, unknown>, R = unknown> {
  id: string;
  description?: string;
  params: z.ZodType<P>;
  risk: RiskLevel;
  idempotent: boolean;
  /** Sends something out of the organisation (mail, chat, web): gated while untrusted text is in context. */
  outbound?: boolean;
  /**
   * Top-level parameters that are URLs. A flow's `${…}` in them is percent-encoded for the part
   * of the URL it lands in, and may not set the scheme or host (refused when the flow loads).
   */
  urlParams?: readonly string[];
  /**
   * What one call costs in USD (a paid API), from its parameters (`cost: () => 0.02` for a fixed
   * price): reserved before the call under the same caps as model calls, settled after. A
   * flow's `cost:` overrides it.
   */
  cost?(params: P): number;
  /**
   * How a repeated call is made safe, when `idempotent` is true: `native-key` (the system applies
   * one idempotency key once), `lookup` (before creating, the action searches for the key Baton
   * stored in the remote record), `natural` (writing the same values twice changes nothing).
   */
  idempotency?: 'native-key' | 'lookup' | 'natural';
  /** Default 10 s; kept below the worker lease. */
  timeoutMs?: number;
  /**
   * Reads, before the call, what reversing it needs (the fields it will overwrite). Committed
   * with the action before `run` is called, once: a retried call keeps the first capture.
   */
  capture?(params: P, ctx: ActionContext): Promise<unknown>;
  run(params: P, ctx: ActionContext): Promise<R>;
  /** Reverses a succeeded call: must be safe to call twice (a retried rollback). */
  rollback?(params: P, result: R, ctx: RollbackContext): Promise<unknown>;
  /** Why the action cannot be undone (a sent message): `baton rollback` reports it as not reversible. */
  irreversible?: string;
}

export interface RollbackContext extends ActionContext {
  /** What `capture` read before the call (undefined when the action has no capture). */
  undo: unknown;
}

export function defineAction<P, R>(def: ActionDefinition<P, R>): ActionDefinition<P, R> {
  return def;
}

/** What an internal action may write: rows in Baton's own store, inside the step's transaction. */
export interface InternalEffects {
  readonly handoffId: string;
  readonly now: number;
  readonly owner: string;
  newId(prefix: string): string;
  addTask(t: TaskRecord): void;
  addInbox(m: InboxRecord): void;
  /** Existing tasks of this handoff (for undo). */
  tasksOf(): Promise<TaskRecord[]>;
}

/**
 * A built-in whose only effect is on Baton's own database: it runs inside the step's
 * transaction, so it happens exactly once with the transition that caused it.
 */
export interface InternalAction<P = Record<string, unknown>> {
  id: string;
  description?: string;
  params: z.ZodType<P>;
  risk: RiskLevel;
  internal: true;
  apply(params: P, fx: InternalEffects): unknown;
  undo?(params: P, result: unknown, fx: InternalEffects): Promise<void> | void;
}

export type AnyAction = ActionDefinition<never> | InternalAction<never>;

export const isInternal = (a: AnyAction): a is InternalAction<never> => 'internal' in a && a.internal;

const NO_URLS: ReadonlySet<string> = new Set();
/** The URL parameters of an action (see ActionDefinition.urlParams). */
export const urlParamsOf = (a: AnyAction | undefined): ReadonlySet<string> =>
  a && !isInternal(a) && a.urlParams ? new Set(a.urlParams) : NO_URLS;

export interface SourceContext {
  handoffId: string;
  flow: string;
  /** Aborted when the read's timeout (`timeoutMs`, default 10 s) passes or the worker shuts down. */
  signal: AbortSignal;
}

/** A context source: reads data for the decision. Reads have no side effects, so they may repeat. */
export interface ContextSource<P = Record<string, unknown>> {
  id: string;
  description?: string;
  params: z.ZodType<P>;
  trust: 'trusted' | 'untrusted';
  /**
   * Top-level fields of the answer written by people outside the organisation (a ticket's
   * description, its comments): `untrusted` even when the source is `trusted`.
   */
  untrustedFields?: readonly string[];
  timeoutMs?: number;
  fetch(params: P, ctx: SourceContext): unknown;
}

export function defineContextSource<P>(def: ContextSource<P>): ContextSource<P> {
  return def;
}
