// What a step needs besides the handoff: the project's people, the action registry, and the
// flow version the handoff pinned.
import type { CompiledFlow, CelVars } from '../flow/compiled.ts';
import type { HandoffRecord } from '../core/types.ts';
import type { RiskApprovalDef } from '../core/flow-schema.ts';
import type { OwnerRef } from '../core/owner.ts';
import { isOwnerRef } from '../core/owner.ts';
import { celValue } from '../flow/cel-value.ts';
import type { Directory } from './directory.ts';
import type { Registry } from '../actions/registry.ts';
import type { ModelRuntime } from './models.ts';
import type { OutboundPolicy } from '../outbound/policy.ts';
import type { Store } from '../store/port.ts';

export interface Runtime {
  directory: Directory;
  registry: Registry;
  /** The flow version a handoff pinned (loaded from the store if this process has not seen it). */
  flowFor(version: string): Promise<CompiledFlow>;
  /** Project-wide cap on actions per handoff, where the flow sets none. */
  maxActions: number;
  /** Project-wide risk level that needs approval by itself, where the flow sets none. */
  riskApproval?: RiskApprovalDef;
  /** The model decision layer; absent when no flow decides with a model. */
  models?: ModelRuntime;
  /** Channels outside Baton (Slack, email); absent when none is configured. */
  channels?: ChannelReach;
  /** Where actions' outbound calls may go (baton.yaml `outbound`). */
  outbound: OutboundPolicy;
  /** The store's budget reservations and baton.yaml's caps, for paid actions (action-cost.ts). */
  budget: {
    store: Pick<Store, 'reserveBudget' | 'settleBudget'>;
    costCap: { perHandoff?: number; perDay?: number };
  };
}

/** What the engine must know of the channels to write notices to the outbox. */
export interface ChannelReach {
  /** Does any channel reach a person of this owner (user:, team:, role:)? */
  reaches(owner: string): boolean;
  /** Do channels show approvals in a way that must be updated once decided (Slack messages)? */
  updatesClosedApprovals: boolean;
}

export function celVars(h: HandoffRecord, flow: CompiledFlow): CelVars {
  const d = h.decision;
  return {
    input: flow.celInput(h.input),
    context: celValue(h.context ?? {}),
    decision: celValue(
      d
        ? {
            owner: d.owner,
            actions: d.actions,
            by: d.by,
            ...(d.confidence !== undefined ? { confidence: d.confidence } : {}),
          }
        : {},
    ),
    handoff: { id: h.id, flow: h.flow },
  };
}

/** The owner that receives work Baton cannot place: the flow's, then otherwise's, then the project's. */
export function fallbackOwner(flow: CompiledFlow, rt: Runtime): OwnerRef {
  if (flow.fallbackOwner) return flow.fallbackOwner;
  const o = flow.def.decide.otherwise.owner;
  if (isOwnerRef(o)) return o;
  return rt.directory.fallbackOwner;
}
