// Accumulators for one group of handoffs (all of them, one flow, or one boundary): counts by
// state, latencies, rework, escalation, SLA and cost, filled row by row from the store.
import { HANDOFF_STATES, type HandoffState } from '../core/types.ts';
import { Quantiles, type Percentiles } from './quantiles.ts';

export const DECISION_KINDS = ['rule', 'otherwise', 'llm', 'human', 'none'] as const;
/** How the handoff's decision was made; `none` when it has no decision (yet). */
export type DecisionKind = (typeof DECISION_KINDS)[number];

export const REWORK_TYPES = ['returned', 'declined', 'reassigned', 'overridden'] as const;
export type ReworkType = (typeof REWORK_TYPES)[number];

/** Durations in seconds, nearest-rank percentiles. */
export interface LatencyFigures {
  /** Received → first handed to a person (handed off or escalated). */
  receivedToHandedOff: Percentiles;
  /** First handed off → first accepted: how long the boundary waited for its new owner. */
  handedOffToAccepted: Percentiles;
  /** First accepted → completed. */
  acceptedToCompleted: Percentiles;
  /** Received → first accepted (baton_handoff_latency_seconds). */
  receivedToAccepted: Percentiles;
  /** Received → completed. */
  receivedToCompleted: Percentiles;
}

export interface ReworkFigures {
  returned: number;
  declined: number;
  reassigned: number;
  overridden: number;
  /** Rework events (the sum of the four above). */
  total: number;
  /** Handoffs with at least one rework event. */
  handoffs: number;
  /** handoffs / all handoffs of the group; null for an empty group. */
  rate: number | null;
}

export interface DecisionFigures {
  handoffs: number;
  /** Handoffs with rework, and their rework events. */
  reworked: number;
  reworkEvents: number;
  rate: number | null;
}

export interface GroupFigures {
  handoffs: number;
  /** Current state of each handoff (every state listed, zero when none). */
  states: Record<HandoffState, number>;
  latency: LatencyFigures;
  rework: ReworkFigures;
  /** Rework by how the decision was made (SPEC §3.3: rule, model, human). */
  byDecision: Record<DecisionKind, DecisionFigures>;
  escalations: { events: number; handoffs: number; rate: number | null };
  slaBreaches: { handoffs: number; rate: number | null };
  /** Cost of all handoffs of the group, per completed one. */
  cost: { totalUsd: number; completed: number; perCompletedUsd: number | null };
}

/** One handoff row as the summary reads it. */
export interface HandoffFacts {
  mode: string;
  state: HandoffState;
  createdAt: number;
  handedOffAt: number | null;
  acceptedAt: number | null;
  completedAt: number | null;
  breached: boolean;
  rework: number;
  costUsd: number;
  decidedBy: DecisionKind;
}

export const rate = (part: number, whole: number): number | null =>
  whole > 0 ? Number((part / whole).toFixed(4)) : null;

const seconds = (from: number | null, to: number | null): number | null =>
  from === null || to === null ? null : Math.max(0, to - from) / 1000;

export class Group {
  handoffs = 0;
  private readonly states = new Map<HandoffState, number>();
  private readonly lat = {
    receivedToHandedOff: new Quantiles(),
    handedOffToAccepted: new Quantiles(),
    acceptedToCompleted: new Quantiles(),
    receivedToAccepted: new Quantiles(),
    receivedToCompleted: new Quantiles(),
  };
  private readonly reworkEvents: Record<ReworkType, number> = {
    returned: 0,
    declined: 0,
    reassigned: 0,
    overridden: 0,
  };
  private reworked = 0;
  private readonly decisions = new Map<
    DecisionKind,
    { handoffs: number; reworked: number; events: number }
  >();
  escalationEvents = 0;
  escalatedHandoffs = 0;
  private breached = 0;
  private costUsd = 0;
  private completed = 0;

  add(h: HandoffFacts): void {
    this.handoffs += 1;
    this.states.set(h.state, (this.states.get(h.state) ?? 0) + 1);
    if (h.breached) this.breached += 1;
    this.costUsd += h.costUsd;
    if (h.rework > 0) this.reworked += 1;
    let d = this.decisions.get(h.decidedBy);
    if (!d) this.decisions.set(h.decidedBy, (d = { handoffs: 0, reworked: 0, events: 0 }));
    d.handoffs += 1;
    d.events += h.rework;
    if (h.rework > 0) d.reworked += 1;
    // Shadow handoffs are "completed" when Baton records what it would have done: they hold no
    // real work, so they stay out of latencies and out of cost per completed handoff.
    if (h.mode === 'shadow') return;
    if (h.state === 'completed') this.completed += 1;
    const l = this.lat;
    addIf(l.receivedToHandedOff, seconds(h.createdAt, h.handedOffAt));
    addIf(l.handedOffToAccepted, seconds(h.handedOffAt, h.acceptedAt));
    addIf(l.acceptedToCompleted, seconds(h.acceptedAt, h.completedAt));
    addIf(l.receivedToAccepted, seconds(h.createdAt, h.acceptedAt));
    addIf(l.receivedToCompleted, seconds(h.createdAt, h.completedAt));
  }

  addRework(type: ReworkType, count: number): void {
    this.reworkEvents[type] += count;
  }

  figures(): GroupFigures {
    const states = {} as Record<HandoffState, number>;
    for (const s of HANDOFF_STATES) states[s] = this.states.get(s) ?? 0;
    const byDecision = {} as Record<DecisionKind, DecisionFigures>;
    for (const k of DECISION_KINDS) {
      const d = this.decisions.get(k) ?? { handoffs: 0, reworked: 0, events: 0 };
      byDecision[k] = {
        handoffs: d.handoffs,
        reworked: d.reworked,
        reworkEvents: d.events,
        rate: rate(d.reworked, d.handoffs),
      };
    }
    const r = this.reworkEvents;
    const cost = Number(this.costUsd.toFixed(6));
    return {
      handoffs: this.handoffs,
      states,
      latency: {
        receivedToHandedOff: this.lat.receivedToHandedOff.summary(),
        handedOffToAccepted: this.lat.handedOffToAccepted.summary(),
        acceptedToCompleted: this.lat.acceptedToCompleted.summary(),
        receivedToAccepted: this.lat.receivedToAccepted.summary(),
        receivedToCompleted: this.lat.receivedToCompleted.summary(),
      },
      rework: {
        ...r,
        total: r.returned + r.declined + r.reassigned + r.overridden,
        handoffs: this.reworked,
        rate: rate(this.reworked, this.handoffs),
      },
      byDecision,
      escalations: {
        events: this.escalationEvents,
        handoffs: this.escalatedHandoffs,
        rate: rate(this.escalatedHandoffs, this.handoffs),
      },
      slaBreaches: { handoffs: this.breached, rate: rate(this.breached, this.handoffs) },
      cost: {
        totalUsd: cost,
        completed: this.completed,
        perCompletedUsd: this.completed > 0 ? Number((cost / this.completed).toFixed(6)) : null,
      },
    };
  }
}

function addIf(q: Quantiles, v: number | null): void {
  if (v !== null) q.add(v);
}
