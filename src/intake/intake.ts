// The intake service: one path from any trigger to a handoff. A delivery is parsed (when the
// trigger has not already), mapped to the flow's input by its `map:`, and handed to the engine
// with the trigger's own idempotency key, so a redelivery is the same handoff. A reply to a
// handoff's mail becomes a comment on it. Whatever cannot become a handoff (unparseable, the map
// fails, the input schema refuses it, the key conflicts) is kept in the dead-letter list with the
// raw payload and the reason, and can be replayed once the flow is fixed. Nothing is lost: an
// error of the store itself is thrown, so the trigger does not acknowledge what it was given.
import { createHash } from 'node:crypto';
import { BatonError, type ErrorDetail } from '../core/errors.ts';
import type { Actor } from '../core/types.ts';
import type { CompiledFlow } from '../flow/compiled.ts';
import type { TriggerMap } from '../flow/trigger-map.ts';
import type { Engine } from '../engine/engine.ts';
import type { Store } from '../store/port.ts';
import type { IntakeFailureRecord } from '../store/intake-store.ts';
import {
  FileStoreFailed,
  type Delivery,
  type DeliveryResult,
  type ParseContext,
  type Parsed,
  type TriggerName,
  type TriggerParser,
} from './port.ts';

export interface IntakeDeps {
  engine: Engine;
  store: Store;
  /** Counts each arrival (baton_intake_total). */
  count(flow: string, trigger: string, outcome: string): void;
  /** Adds a comment to a handoff (the service's command, committed like any other). */
  comment(handoffId: string, actor: Actor, text: string, data: Record<string, unknown>): Promise<void>;
  /** Each trigger kind's parser, for replays (and for deliveries that come unparsed). */
  parsers: ReadonlyMap<string, TriggerParser>;
  /** What parsers consult; a comment's author is matched to a person by email here too. */
  parse: ParseContext;
}

/** The connector of a vendor webhook trigger (webhooks.zendesk → zendesk); undefined for the others. */
export const hookConnector = (t: string): string | undefined =>
  t.startsWith('webhooks.') ? t.slice('webhooks.'.length) : undefined;

/** The kind of a trigger name: webhooks.zendesk → webhooks. */
export const triggerKind = (t: string): string => (hookConnector(t) !== undefined ? 'webhooks' : t);

/** The dead-letter id of a delivery: the same flow, trigger and key give the same entry. */
export const failureId = (flow: string, trigger: string, key: string): string =>
  `if_${createHash('sha256').update(`${flow}\u0000${trigger}\u0000${key}`).digest('base64url').slice(0, 22)}`;

/** The map of a flow's trigger, or undefined when the flow does not take that trigger. */
export function mapOf(flow: CompiledFlow, trigger: string): TriggerMap | undefined {
  const t = flow.triggers;
  if (trigger === 'email') return t.email;
  if (trigger === 'slack') return t.slack;
  if (trigger === 'schedule') return t.schedule?.map;
  const hook = hookConnector(trigger);
  return hook === undefined ? undefined : t.webhooks[hook];
}

const actorOf = (trigger: string): Actor => ({
  kind: 'system',
  id: `trigger:${trigger}`,
  via: triggerKind(trigger),
});

/** Comments already added, remembered this long (a mail redelivered later than that comments again). */
const COMMENT_MEMORY_MS = 30 * 24 * 3600 * 1000;

export class Intake {
  readonly #d: IntakeDeps;

  constructor(deps: IntakeDeps) {
    this.#d = deps;
  }

  async deliver(d: Delivery): Promise<DeliveryResult> {
    const at = d.receivedAt ?? Date.now();
    const fail = (reason: string, message: string, details: ErrorDetail[] = []) =>
      this.#fail(d, at, reason, message, details);
    let flow: CompiledFlow;
    try {
      flow = this.#d.engine.flow(d.flow);
    } catch {
      return fail('not_accepted', `there is no flow ${d.flow} (any more)`);
    }
    const map = mapOf(flow, d.trigger);
    if (!map) return fail('not_accepted', `flow ${d.flow} has no ${d.trigger} trigger`);
    if (d.refused) return fail(d.refused.reason, d.refused.message);

    let parsed: Parsed;
    try {
      parsed = d.parsed ?? (await this.#parse(d.trigger, d.raw, flow));
    } catch (e) {
      if (e instanceof FileStoreFailed) throw e.cause;
      return fail('unparseable', e instanceof Error ? e.message : String(e));
    }

    const replies = d.trigger === 'email' ? (flow.def.trigger.email?.replies ?? 'comment') : 'comment';
    if (parsed.thread?.length && parsed.comment && replies === 'comment') {
      const handoffId = await this.threadOf(flow, d.trigger, parsed.thread);
      if (handoffId) return this.#comment(d, at, handoffId, parsed.comment);
    }

    let input: Record<string, unknown>;
    try {
      input = map.apply(parsed.vars);
    } catch (e) {
      if (!(e instanceof BatonError)) throw e;
      return fail('map_failed', e.message, e.details ?? []);
    }
    try {
      const r = await this.#d.engine.intake(d.flow, input, actorOf(d.trigger), 'trigger', {
        trigger: d.trigger,
        key: `${d.trigger}:${d.key}`,
      });
      const outcome = r.created ? 'created' : 'duplicate';
      await this.#fired(d.flow, d.trigger, at, outcome, false);
      return { outcome, flow: d.flow, handoffId: r.id, state: r.state };
    } catch (e) {
      if (!(e instanceof BatonError)) throw e;
      if (e.code === 'validation_failed') return fail('invalid_input', e.message, e.details ?? []);
      if (e.code === 'idempotency_conflict') return fail('idempotency_conflict', e.message, e.details ?? []);
      throw e;
    }
  }

  /** The dead-letter list, newest first. */
  failures(filter: Parameters<Store['intake']['failures']>[0]): Promise<IntakeFailureRecord[]> {
    return this.#d.store.intake.failures(filter);
  }

  async failure(id: string): Promise<IntakeFailureRecord> {
    const f = await this.#d.store.intake.failure(id);
    if (!f) throw new BatonError('not_found', `no intake failure ${id} (baton intake failed lists them)`);
    return f;
  }

  /**
   * Runs a kept delivery again against the flow as it is now. Made (or found) a handoff: the
   * entry is marked replayed. Failed again: the entry stays, with the new reason.
   */
  async replay(id: string, by: string): Promise<{ result: DeliveryResult; failure: IntakeFailureRecord }> {
    const f = await this.failure(id);
    if (f.state !== 'failed')
      throw new BatonError(
        'invalid_transition',
        `intake failure ${id} is ${f.state}${f.handoffId ? ` (handoff ${f.handoffId})` : ''}: only a failed one is replayed`,
      );
    const result = await this.deliver({
      flow: f.flow,
      trigger: f.trigger as TriggerName,
      key: f.key,
      raw: f.payload,
      receivedAt: Date.now(),
      ...(f.payload.truncated ? { refused: { reason: 'too_large', message: f.message } } : {}),
    });
    if (result.outcome !== 'failed')
      await this.#d.store.intake.settleFailure(id, {
        state: 'replayed',
        at: Date.now(),
        by,
        handoffId: result.handoffId,
      });
    return { result, failure: await this.failure(id) };
  }

  /** Gives up on a kept delivery (it will not be replayed); false when it was not failed. */
  async drop(id: string, by: string): Promise<IntakeFailureRecord> {
    await this.failure(id);
    const ok = await this.#d.store.intake.settleFailure(id, { state: 'dropped', at: Date.now(), by });
    if (!ok)
      throw new BatonError('invalid_transition', `intake failure ${id} is not failed: nothing to drop`);
    return this.failure(id);
  }

  /**
   * The handoff an earlier message names: the handoff started by that message (its key), or the
   * handoff whose notice it was (an email's Message-ID recorded on delivery).
   */
  async threadOf(flow: CompiledFlow, trigger: string, refs: readonly string[]): Promise<string | undefined> {
    return this.#d.store.intake.threadHandoff(
      flow.def.id,
      refs.map((ref) => `${trigger}:${ref}`),
      trigger === 'email' ? refs : [],
    );
  }

  async #comment(
    d: Delivery,
    at: number,
    handoffId: string,
    c: NonNullable<Parsed['comment']>,
  ): Promise<DeliveryResult> {
    const fresh = await this.#d.store.rememberRequest(
      `comment:${d.trigger}:${d.key}`,
      at,
      at - COMMENT_MEMORY_MS,
    );
    if (fresh) {
      const person = c.person ?? this.#d.parse.people.personByEmail(c.from)?.id;
      const actor: Actor = person
        ? { kind: 'user', id: person, via: triggerKind(d.trigger) }
        : actorOf(d.trigger);
      await this.#d.comment(handoffId, actor, c.text, { from: c.from, trigger: d.trigger, key: d.key });
    }
    await this.#fired(d.flow, d.trigger, at, 'commented', false);
    return { outcome: 'commented', flow: d.flow, handoffId };
  }

  async #parse(trigger: string, raw: Delivery['raw'], flow: CompiledFlow): Promise<Parsed> {
    const parser = this.#d.parsers.get(triggerKind(trigger));
    if (!parser) throw new Error(`no parser for ${trigger} payloads`);
    const store = this.#d.store;
    return parser(raw, {
      ...this.#d.parse,
      trigger: flow.def.trigger,
      files: {
        async put(file) {
          try {
            await store.intake.putAttachment(file);
          } catch (e) {
            throw new FileStoreFailed('the store could not keep an attachment', { cause: e });
          }
        },
      },
    });
  }

  async #fail(
    d: Delivery,
    at: number,
    reason: string,
    message: string,
    details: ErrorDetail[],
  ): Promise<DeliveryResult> {
    const f = await this.#d.store.intake.putFailure({
      id: failureId(d.flow, d.trigger, d.key),
      flow: d.flow,
      trigger: d.trigger,
      key: d.key,
      reason,
      message,
      details,
      payload: d.raw,
      receivedAt: at,
    });
    await this.#fired(d.flow, d.trigger, at, 'failed', true);
    return { outcome: 'failed', flow: d.flow, failureId: f.id, reason, message };
  }

  async #fired(flow: string, trigger: string, at: number, outcome: string, failed: boolean): Promise<void> {
    this.#d.count(flow, trigger, outcome);
    await this.#d.store.intake.recordFire(flow, trigger, at, outcome, failed);
  }
}
