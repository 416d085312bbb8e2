// `baton replay`: re-decides past handoffs against a changed flow, prompt or model, from their
// frozen inputs (the stored input, context and provenance). No action runs, no context source
// or connector is called, nothing is written; a model is called only when the request differs
// from the one stored (otherwise the stored answer is reused), and its cost is reported.
import { BatonError, errorText } from '../core/errors.ts';
import type { EventRecord, HandoffRecord } from '../core/types.ts';
import type { CompiledFlow } from '../flow/compiled.ts';
import { loadFlowFile } from '../flow/load.ts';
import { decide } from '../decide/rules.ts';
import { checkAnswer } from '../decide/answer.ts';
import { costUsd } from '../decide/cost.ts';
import { snapshotFields } from '../decide/fields.ts';
import { allowedFor, requestFor } from '../decide/request.ts';
import { priceOf } from '../decide/settings.ts';
import { SdkDecider } from '../decide/providers.ts';
import { Redactor } from '../decide/redact.ts';
import type { Decider, DecisionRequest, ModelAnswer } from '../decide/port.ts';
import { celVars } from '../engine/runtime.ts';
import type { Baton } from './baton.ts';

export interface ReplayOptions {
  /** A flow file to decide with instead of the version the handoff pinned. */
  flowFile?: string;
  /** A model to decide with instead of the flow's. */
  model?: string;
}

export interface DecisionOutcome {
  owner?: string;
  actions?: string[];
  by?: string;
  model?: string;
  confidence?: number;
  /** The decision went to a person: low_confidence, invalid_model_answer, cost_cap. */
  escalated?: string;
  problem?: string;
}

export interface ReplayItem {
  id: string;
  flow: string;
  before: DecisionOutcome;
  after: DecisionOutcome;
  changed: boolean;
  /** Human-readable lines: what differs. */
  differences: string[];
  /** none: rules decided; stored: the request was unchanged and the stored answer reused. */
  answer: 'none' | 'stored' | 'called';
  costUsd: number;
}

export interface ReplaySummary {
  replayed: number;
  changed: number;
  skipped: Array<{ id: string; reason: string }>;
  costUsd: number;
  items: ReplayItem[];
}

const DECISION_ESCALATIONS = new Set(['low_confidence', 'invalid_model_answer', 'cost_cap']);

export class Replayer {
  private readonly baton: Baton;
  /** Loaded once, when first needed; a load failure is reported by the first replay. */
  private readonly overrideFlow: Promise<CompiledFlow> | undefined;
  private readonly model: string | undefined;
  private readonly decider: Decider;
  private readonly redactor: Redactor;

  constructor(
    baton: Baton,
    o: ReplayOptions,
    env: Readonly<Record<string, string | undefined>> = baton.project.env,
  ) {
    this.baton = baton;
    this.overrideFlow = o.flowFile ? loadFlowFile(o.flowFile) : undefined;
    // Handled here so that a bad file is not an unhandled rejection before a replay awaits it.
    this.overrideFlow?.catch(() => undefined);
    this.model = o.model;
    const m = baton.runtime.models;
    this.decider = m?.decider ?? new SdkDecider(baton.project.def.models.providers, env);
    this.redactor = m?.redactor ?? Redactor.fromEnv(env);
    if (o.model && this.decider instanceof SdkDecider) this.decider.check(o.model);
  }

  async one(id: string): Promise<ReplayItem> {
    const override = await this.overrideFlow;
    const snap = await this.baton.snapshot(id);
    const h = snap.handoff;
    const flow = override ?? (await this.baton.runtime.flowFor(h.flowVersion));
    if (override && override.def.id !== h.flow) {
      throw new BatonError(
        'validation_failed',
        `handoff ${id} belongs to flow ${h.flow}, not ${override.def.id}`,
      );
    }
    const events = await this.baton.store.events(id);
    const before = outcomeBefore(h, events);
    if (!before)
      throw new BatonError('invalid_transition', `handoff ${id} has no decision to replay yet (${h.state})`);
    const r = await this.redecide(h, flow, events);
    const differences = differ(before, r.after);
    return {
      id,
      flow: h.flow,
      before,
      after: r.after,
      changed: differences.length > 0,
      differences,
      answer: r.answer,
      costUsd: r.costUsd,
    };
  }

  async since(since: number, flowId?: string): Promise<ReplaySummary> {
    const out: ReplaySummary = { replayed: 0, changed: 0, skipped: [], costUsd: 0, items: [] };
    const flow = flowId ?? (await this.overrideFlow)?.def.id;
    let cursor: string | undefined;
    do {
      const page = await this.baton.store.list({
        since,
        limit: 500,
        ...(flow ? { flow } : {}),
        ...(cursor ? { cursor } : {}),
      });
      for (const h of page.items) {
        try {
          const item = await this.one(h.id);
          out.replayed++;
          out.costUsd += item.costUsd;
          if (item.changed) out.changed++;
          out.items.push(item);
        } catch (e) {
          out.skipped.push({ id: h.id, reason: errorText(e) });
        }
      }
      cursor = page.nextCursor;
    } while (cursor);
    return out;
  }

  private async redecide(
    h: HandoffRecord,
    flow: CompiledFlow,
    events: EventRecord[],
  ): Promise<{ after: DecisionOutcome; answer: ReplayItem['answer']; costUsd: number }> {
    const d = decide(flow, celVars({ ...h, decision: null }, flow));
    if (d.decision.by !== 'otherwise' || !flow.def.decide.llm) {
      return {
        after: { owner: d.decision.owner, actions: d.decision.actions, by: d.decision.by },
        answer: 'none',
        costUsd: 0,
      };
    }
    const settings = this.baton.project.def.models;
    const fields = snapshotFields(h.input, flow.def.input, h.createdAt, h.context, h.provenance ?? []);
    const request = requestFor(flow, settings, this.baton.registry, this.redactor, fields, h.id, this.model);
    let answer: ModelAnswer;
    let how: ReplayItem['answer'] = 'stored';
    let cost = 0;
    const stored = storedAnswer(events, request);
    if (stored) answer = stored;
    else {
      how = 'called';
      try {
        answer = await this.decider.decide(request, AbortSignal.timeout(request.params.timeoutMs * 3));
      } catch (e) {
        return {
          after: { escalated: 'invalid_model_answer', problem: this.redactor.text(errorText(e)), by: 'llm' },
          answer: how,
          costUsd: 0,
        };
      }
      const price = priceOf(settings, answer.model);
      cost = price ? costUsd(price, answer.usage) : 0;
    }
    const verdict = checkAnswer(
      answer,
      allowedFor(flow),
      { input: h.input, context: h.context ?? {} },
      flow.def.decide.llm.minConfidence,
    );
    if (!verdict.ok) {
      return {
        after: {
          by: 'llm',
          model: answer.model,
          escalated: verdict.reason,
          problem: verdict.problem,
          ...(verdict.confidence !== undefined ? { confidence: verdict.confidence } : {}),
        },
        answer: how,
        costUsd: cost,
      };
    }
    return {
      after: {
        owner: verdict.owner,
        actions: verdict.actions,
        by: 'llm',
        model: answer.model,
        confidence: verdict.confidence,
      },
      answer: how,
      costUsd: cost,
    };
  }
}

/** What was decided: the decision, or the escalation that stood in for one. */
function outcomeBefore(h: HandoffRecord, events: EventRecord[]): DecisionOutcome | undefined {
  const esc = events.find((e) => e.type === 'escalated' && DECISION_ESCALATIONS.has(String(e.data.reason)));
  if (esc) {
    const model = [...events].reverse().find((e) => e.type === 'model_called')?.data.model;
    return {
      by: 'llm',
      escalated: String(esc.data.reason),
      ...(typeof model === 'string' ? { model } : {}),
      ...(typeof esc.data.problem === 'string' ? { problem: esc.data.problem } : {}),
      ...(typeof esc.data.confidence === 'number' ? { confidence: esc.data.confidence } : {}),
    };
  }
  // A person's correction is not the decision being replayed: take the decided event.
  const decided = events.find((e) => e.type === 'decided');
  const d: Record<string, unknown> | null = decided ? decided.data : h.decision ? { ...h.decision } : null;
  if (!d) return undefined;
  return {
    owner: String(d.owner),
    actions: (d.actions as string[] | undefined) ?? [],
    by: String(d.by),
    ...(typeof d.model === 'string' ? { model: d.model } : {}),
    ...(typeof d.confidence === 'number' ? { confidence: d.confidence } : {}),
  };
}

/** The stored answer, when the new request is exactly the one the decision was made with. */
function storedAnswer(events: EventRecord[], r: DecisionRequest): ModelAnswer | undefined {
  for (let i = events.length - 1; i >= 0; i--) {
    const e = events[i]!;
    if (e.type !== 'model_call_started') continue;
    const s = e.data;
    const same =
      s.model === r.model &&
      s.system === r.system &&
      s.prompt === r.prompt &&
      JSON.stringify(s.owners) === JSON.stringify(r.owners) &&
      JSON.stringify(s.actions) === JSON.stringify(r.actions);
    if (!same) return undefined;
    const answered = events.slice(i + 1).find((x) => x.type === 'model_called');
    if (!answered || typeof answered.data.answer !== 'string') return undefined;
    const text = answered.data.answer;
    let object: unknown;
    try {
      object = JSON.parse(text);
    } catch {
      object = undefined;
    }
    const model = typeof answered.data.model === 'string' ? answered.data.model : r.model;
    return { model, object, text, usage: { inputTokens: 0, outputTokens: 0, cachedInputTokens: 0 } };
  }
  return undefined;
}

function differ(a: DecisionOutcome, b: DecisionOutcome): string[] {
  const out: string[] = [];
  const show = (o: DecisionOutcome) => (o.escalated ? `escalated (${o.escalated})` : (o.owner ?? '-'));
  if (show(a) !== show(b)) out.push(`owner: ${show(a)} -> ${show(b)}`);
  const acts = (o: DecisionOutcome) => [...(o.actions ?? [])].sort().join(', ');
  if (!a.escalated && !b.escalated && acts(a) !== acts(b)) out.push(`actions: [${acts(a)}] -> [${acts(b)}]`);
  if (a.by !== b.by) out.push(`decided by: ${a.by ?? '-'} -> ${b.by ?? '-'}`);
  return out;
}
