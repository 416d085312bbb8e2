// Prometheus metrics (SPEC §6), fed by the engine's `committed` events: each commit's events are
// counted as they become durable, so the figures match the audit log. Per-owner and per-period
// figures come from the store instead (summary.ts); labels here are bounded (flow, boundary,
// reason, outcome, state, action, type), never a person or an id.
//
// The listener runs for every commit (thousands a second): one switch on the event type, and each
// labelled value is a plain cell (cells.ts) cached per flow, so the hot path adds to numbers and
// allocates nothing; prom-client reads the cells only when Prometheus scrapes.
import { collectDefaultMetrics, Registry } from 'prom-client';
import { CellCounter, CellHistogram, type Cell, type HistogramCell } from './cells.ts';
import { ESCALATION_REASONS, RETURN_REASONS, type HandoffRecord, type HandoffState } from '../core/types.ts';
import type { Engine } from '../engine/engine.ts';

/** The Prometheus text exposition format's content type. */
export const PROMETHEUS_CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8';
import type { HandoffCommit, NewEvent } from '../store/port.ts';

/** Seconds: from a second to a week. */
const LATENCY_BUCKETS = [
  1, 5, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 14400, 28800, 86400, 259200, 604800,
];

const REWORK_REASONS = new Set<string>([...RETURN_REASONS, 'reassigned', 'overridden']);
const ESCALATIONS = new Set<string>([...ESCALATION_REASONS, 'approval_rejected']);

export interface PromMetricsOptions {
  /** Also export the process's CPU, memory and event-loop metrics (as baton_process_*, baton_nodejs_*). Default true. */
  processMetrics?: boolean;
}

/** The cells and histogram children of one flow, created on first use. */
interface FlowChildren {
  from: string;
  to: string;
  handoffLatency: HistogramCell;
  queueWait: HistogramCell;
  approvalLatency: HistogramCell;
  slaBreaches: Cell;
  cost: Cell;
  states: Map<string, Cell>;
  rework: Map<string, Cell>;
  escalations: Map<string, Cell>;
  approvals: Map<string, Cell>;
  approvalTimeouts: Map<string, Cell>;
  approvalOverrides: Map<string, Cell>;
  approvalReminders: Cell;
  actions: Map<string, Map<string, Cell>>;
  tokens: Map<string, Cell>;
  /** Latency cells per boundary the flow has had (a flow's boundary may change between versions). */
  byBoundary: Map<string, [HistogramCell, HistogramCell]>;
}

export class PromMetrics {
  readonly registry: Registry;
  readonly contentType: string;
  private readonly engine: Engine;
  private readonly byFlow = new Map<string, FlowChildren>();
  private readonly m;

  constructor(engine: Engine, options: PromMetricsOptions = {}) {
    this.engine = engine;
    const registry = new Registry();
    this.registry = registry;
    this.contentType = registry.contentType;
    const counter = (name: string, help: string, labelNames: string[]) =>
      new CellCounter(name, help, labelNames, registry);
    const histogram = (name: string, help: string, labelNames: string[]) =>
      new CellHistogram(name, help, labelNames, LATENCY_BUCKETS, registry);
    this.m = {
      handoffLatency: histogram(
        'baton_handoff_latency_seconds',
        'Received → first accepted by the new owner, per handoff',
        ['flow', 'boundary'],
      ),
      queueWait: histogram(
        'baton_queue_wait_seconds',
        'First handed off → first accepted: how long the work waited for its new owner',
        ['flow', 'boundary'],
      ),
      approvalLatency: histogram(
        'baton_approval_latency_seconds',
        'Approval requested → decided (approved, rejected or timed out)',
        ['flow'],
      ),
      rework: counter(
        'baton_rework_total',
        'Work sent back or re-routed: declined/returned (by return reason), reassigned, overridden',
        ['flow', 'reason'],
      ),
      escalations: counter('baton_escalations_total', 'Escalations to a person, by reason', [
        'flow',
        'reason',
      ]),
      handoffs: counter(
        'baton_handoffs_total',
        'Handoffs entering each state (the transient building_context, deciding and acting are not counted)',
        ['flow', 'state'],
      ),
      actions: counter('baton_actions_total', 'Action outcomes, by the action it uses', [
        'flow',
        'action',
        'outcome',
      ]),
      cost: counter('baton_cost_usd_total', 'Model and paid API cost, USD', ['flow']),
      slaBreaches: counter('baton_sla_breaches_total', 'Handoffs not accepted within their SLA', ['flow']),
      approvals: counter('baton_approvals_total', 'Approvals closed, by outcome', ['flow', 'outcome']),
      approvalTimeouts: counter(
        'baton_approval_timeouts_total',
        'Approvals decided by their timeout, by what the timeout did (escalate, approve, reject)',
        ['flow', 'outcome'],
      ),
      approvalOverrides: counter(
        'baton_approval_overrides_total',
        "Approvers' corrections: edited action parameters (type params) or a corrected owner (type owner)",
        ['flow', 'type'],
      ),
      approvalReminders: counter(
        'baton_approval_reminders_total',
        'Reminders sent to approvers before an approval timed out',
        ['flow'],
      ),
      intake: counter(
        'baton_intake_total',
        'What arrived through each trigger, by outcome (created, duplicate, commented, failed: kept in the dead-letter list)',
        ['flow', 'trigger', 'outcome'],
      ),
      tokens: counter(
        'baton_llm_tokens_total',
        'Model tokens, by type (input, output, cached: input read from the prompt cache)',
        ['flow', 'type'],
      ),
    };
    if (options.processMetrics ?? true) {
      collectDefaultMetrics({ register: registry, prefix: 'baton_' });
      // Gauges named `_total` break Prometheus naming (promtool refuses them); each is the sum of
      // its labelled sibling without the suffix (baton_nodejs_active_handles{type=…}).
      for (const name of ['active_handles_total', 'active_requests_total', 'active_resources_total'])
        registry.removeSingleMetric(`baton_nodejs_${name}`);
    }
    // Zero series for every known flow, so rates work from the first increment.
    for (const f of engine.flowList()) {
      const c = this.flow({ flow: f.def.id, boundary: f.def.boundary });
      for (const type of ['input', 'output', 'cached'])
        this.cell(c.tokens, this.m.tokens, f.def.id, 'type', type);
    }
    engine.on('committed', this.onCommit);
  }

  /** The exposition text for `GET /metrics`. */
  text(): Promise<string> {
    return this.registry.metrics();
  }

  /** Stops listening to the engine. */
  close(): void {
    this.engine.off('committed', this.onCommit);
  }

  private readonly onCommit = (c: HandoffCommit): void => {
    const h = c.handoff;
    const f = this.flow(h);
    const m = this.m;
    // Several approvals requested in one step are one entry into awaiting_approval.
    let awaiting = false;
    for (const e of c.events) {
      switch (e.type) {
        case 'received':
          this.state(f, h.flow, 'received');
          break;
        case 'approval_requested':
          if (!awaiting) this.state(f, h.flow, 'awaiting_approval');
          awaiting = true;
          break;
        case 'handed_off':
          this.state(f, h.flow, 'handed_off');
          break;
        case 'accepted':
          this.state(f, h.flow, 'accepted');
          // Only the first acceptance (acceptedAt is set once) measures the boundary's latency.
          if (h.acceptedAt === e.at) {
            f.handoffLatency.observe((e.at - h.createdAt) / 1000);
            if (h.handedOffAt !== undefined) f.queueWait.observe((e.at - h.handedOffAt) / 1000);
          }
          break;
        case 'completed':
        case 'shadow_recorded':
          this.state(f, h.flow, 'completed');
          break;
        case 'returned':
        case 'declined':
          this.state(f, h.flow, 'returned');
          this.cell(f.rework, m.rework, h.flow, 'reason', reasonOf(e, REWORK_REASONS)).value++;
          break;
        case 'reassigned':
          this.state(f, h.flow, 'handed_off');
          this.cell(f.rework, m.rework, h.flow, 'reason', 'reassigned').value++;
          break;
        case 'overridden':
          this.cell(f.rework, m.rework, h.flow, 'reason', 'overridden').value++;
          if (typeof e.data.approval === 'string')
            this.cell(
              f.approvalOverrides,
              m.approvalOverrides,
              h.flow,
              'type',
              e.data.what === 'params' ? 'params' : 'owner',
            ).value++;
          break;
        case 'approval_timed_out':
          this.cell(f.approvalTimeouts, m.approvalTimeouts, h.flow, 'outcome', timeoutOutcome(e)).value++;
          break;
        case 'approval_reminded':
          f.approvalReminders.value++;
          break;
        case 'escalated':
          // A failed action escalates while the handoff stays `failed` (its own event counts that).
          if (e.data.state !== 'failed') this.state(f, h.flow, 'escalated');
          this.cell(f.escalations, m.escalations, h.flow, 'reason', reasonOf(e, ESCALATIONS)).value++;
          break;
        case 'sla_breached':
          f.slaBreaches.value++;
          break;
        case 'failed':
          this.state(f, h.flow, 'failed');
          break;
        case 'cancelled':
          this.state(f, h.flow, 'cancelled');
          break;
        case 'rolled_back':
          this.state(f, h.flow, 'rolled_back');
          break;
        case 'action_succeeded':
          this.action(f, c, e, 'succeeded');
          this.paid(f, e);
          break;
        case 'action_failed':
          this.action(f, c, e, 'failed');
          this.paid(f, e);
          break;
        case 'action_retry_scheduled':
          this.action(f, c, e, 'retry_scheduled');
          this.paid(f, e);
          break;
        case 'action_outcome_unknown':
          this.action(f, c, e, 'outcome_unknown');
          this.paid(f, e);
          break;
        case 'action_rolled_back':
          this.action(f, c, e, 'rolled_back');
          break;
        case 'action_rollback_failed':
          this.action(f, c, e, 'rollback_failed');
          break;
        case 'model_called':
          this.modelCall(f, h.flow, e);
          break;
        case 'action_cost_settled':
          this.paid(f, e);
          break;
      }
    }
    if (c.approvals) {
      for (const a of c.approvals) {
        // Closed in this commit: closing stamps decidedAt with the commit's time.
        if (a.state === 'pending' || a.decidedAt !== h.updatedAt) continue;
        this.cell(f.approvals, m.approvals, h.flow, 'outcome', a.state).value++;
        if (a.state !== 'voided') f.approvalLatency.observe((a.decidedAt - a.requestedAt) / 1000);
      }
    }
  };

  private flow(h: Pick<HandoffRecord, 'flow' | 'boundary'>): FlowChildren {
    const f = this.byFlow.get(h.flow);
    if (f && f.from === h.boundary.from && f.to === h.boundary.to) return f;
    // First commit of this flow, or one under a version with another boundary.
    const boundary = `${h.boundary.from}->${h.boundary.to}`;
    const flow = { flow: h.flow };
    const byBoundary = f?.byBoundary ?? new Map<string, [HistogramCell, HistogramCell]>();
    let latency = byBoundary.get(boundary);
    if (!latency) {
      latency = [
        this.m.handoffLatency.cell({ flow: h.flow, boundary }),
        this.m.queueWait.cell({ flow: h.flow, boundary }),
      ];
      byBoundary.set(boundary, latency);
    }
    const next: FlowChildren = {
      from: h.boundary.from,
      to: h.boundary.to,
      handoffLatency: latency[0],
      queueWait: latency[1],
      approvalLatency: f?.approvalLatency ?? this.m.approvalLatency.cell(flow),
      slaBreaches: f?.slaBreaches ?? this.m.slaBreaches.cell(flow),
      cost: f?.cost ?? this.m.cost.cell(flow),
      states: f?.states ?? new Map(),
      rework: f?.rework ?? new Map(),
      escalations: f?.escalations ?? new Map(),
      approvals: f?.approvals ?? new Map(),
      approvalTimeouts: f?.approvalTimeouts ?? new Map(),
      approvalOverrides: f?.approvalOverrides ?? new Map(),
      approvalReminders: f?.approvalReminders ?? this.m.approvalReminders.cell(flow),
      actions: f?.actions ?? new Map(),
      tokens: f?.tokens ?? new Map(),
      byBoundary,
    };
    this.byFlow.set(h.flow, next);
    return next;
  }

  /** The cell for (flow, label=value), created on first use. */
  private readonly intakeCells = new Map<string, { value: number }>();

  /** Counts one arrival through a trigger (intake service, HTTP intake). */
  countIntake(flow: string, trigger: string, outcome: string): void {
    const key = `${flow}\u0000${trigger}\u0000${outcome}`;
    let c = this.intakeCells.get(key);
    if (!c) {
      c = this.m.intake.cell({ flow, trigger, outcome });
      this.intakeCells.set(key, c);
    }
    c.value++;
  }

  private cell(
    cells: Map<string, Cell>,
    counter: CellCounter,
    flow: string,
    label: string,
    value: string,
  ): Cell {
    let cell = cells.get(value);
    if (!cell) cells.set(value, (cell = counter.cell({ flow, [label]: value })));
    return cell;
  }

  private state(f: FlowChildren, flow: string, state: HandoffState): void {
    this.cell(f.states, this.m.handoffs, flow, 'state', state).value++;
  }

  private action(f: FlowChildren, c: HandoffCommit, e: NewEvent, outcome: string): void {
    const action = actionUse(c, e);
    let byOutcome = f.actions.get(action);
    if (!byOutcome) f.actions.set(action, (byOutcome = new Map()));
    let cell = byOutcome.get(outcome);
    if (!cell)
      byOutcome.set(outcome, (cell = this.m.actions.cell({ flow: c.handoff.flow, action, outcome })));
    cell.value++;
  }

  /** A paid action's outcome reports what its call was charged (`costUsd`). */
  private paid(f: FlowChildren, e: NewEvent): void {
    const cost = e.data.costUsd;
    if (typeof cost === 'number' && cost > 0 && Number.isFinite(cost)) f.cost.value += cost;
  }

  /** A model call reports `{costUsd, usage: {inputTokens, outputTokens, cachedInputTokens}}` in its event. */
  private modelCall(f: FlowChildren, flow: string, e: NewEvent): void {
    const cost = e.data.costUsd;
    if (typeof cost === 'number' && cost > 0 && Number.isFinite(cost)) f.cost.value += cost;
    const usage = e.data.usage as Record<string, unknown> | undefined;
    if (!usage || typeof usage !== 'object') return;
    const input = usage.inputTokens;
    const output = usage.outputTokens;
    if (typeof input === 'number' && input > 0 && Number.isFinite(input))
      this.cell(f.tokens, this.m.tokens, flow, 'type', 'input').value += input;
    if (typeof output === 'number' && output > 0 && Number.isFinite(output))
      this.cell(f.tokens, this.m.tokens, flow, 'type', 'output').value += output;
    const cached = usage.cachedInputTokens;
    if (typeof cached === 'number' && cached > 0 && Number.isFinite(cached))
      this.cell(f.tokens, this.m.tokens, flow, 'type', 'cached').value += cached;
  }
}

function timeoutOutcome(e: NewEvent): string {
  const o = e.data.onTimeout === 'approve-all' ? 'approve' : e.data.onTimeout;
  return o === 'escalate' || o === 'approve' || o === 'reject' ? o : 'other';
}

function reasonOf(e: NewEvent, known: ReadonlySet<string>): string {
  const r = e.data.reason;
  return typeof r === 'string' && known.has(r) ? r : 'other';
}

/** The action's `use` (e.g. builtin.create_task): from the event, else from the commit's action rows. */
function actionUse(c: HandoffCommit, e: NewEvent): string {
  if (typeof e.data.use === 'string') return e.data.use;
  const id = e.data.action;
  if (c.actions) for (const a of c.actions) if (a.id === id) return a.use;
  return 'unknown';
}
