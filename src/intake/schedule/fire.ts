// Firing one slot of a schedule. Without a query: one delivery keyed by the slot's time. With a
// query: the context source is read (its timeout, the worker's abort signal) and each row it
// returns is one delivery keyed by the row's id, not the slot, so a row found again at a later
// slot is the same handoff, and a slot fired twice (a worker killed before it moved the schedule
// on) starts nothing twice.
import { storableJson } from '../../core/json-safe.ts';
import { jsonPayload } from '../payload.ts';
import { errorText } from '../../core/errors.ts';
import type { Registry } from '../../actions/registry.ts';
import type { CompiledFlow } from '../../flow/compiled.ts';
import type { Delivery, DeliveryResult } from '../port.ts';

/** A sweep's answer is held in memory, not stored whole: each row is kept with its handoff. */
const MAX_ANSWER_BYTES = 32 * 1024 * 1024;

export interface SlotVars {
  /** The slot's time, ISO 8601 in UTC. */
  at: string;
  cron: string;
  timezone: string;
}

export interface FireDeps {
  registry: Registry;
  deliver(d: Delivery): Promise<DeliveryResult>;
  /** Deliveries of one sweep at a time (default 8). */
  concurrency?: number;
}

export interface FireOutcome {
  /** Deliveries made (handoffs created or found, or kept in the dead-letter list). */
  delivered: number;
  created: number;
  failed: number;
}

/** A source that could not be read: the slot is tried again later. */
export class SweepSourceError extends Error {
  override readonly cause: unknown;
  constructor(message: string, cause: unknown) {
    super(message);
    this.cause = cause;
  }
}

export const slotVars = (flow: CompiledFlow, at: number): SlotVars => {
  const s = flow.def.trigger.schedule!;
  return { at: new Date(at).toISOString(), cron: s.cron, timezone: s.timezone };
};

export async function fireSlot(
  deps: FireDeps,
  flow: CompiledFlow,
  at: number,
  signal: AbortSignal,
): Promise<FireOutcome> {
  const schedule = flow.triggers.schedule!;
  const slot = slotVars(flow, at);
  const out: FireOutcome = { delivered: 0, created: 0, failed: 0 };
  const count = (r: DeliveryResult): void => {
    out.delivered++;
    if (r.outcome === 'created') out.created++;
    if (r.outcome === 'failed') out.failed++;
  };
  const base = { flow: flow.def.id, trigger: 'schedule' as const };
  if (!schedule.sweep) {
    count(
      await deps.deliver({
        ...base,
        key: slot.at,
        raw: jsonPayload({ slot }),
        parsed: { vars: { slot, row: {} } },
      }),
    );
    return out;
  }
  const rows = await readRows(deps.registry, flow, slot, signal);
  const sweep = schedule.sweep;
  let next = 0;
  const one = async (): Promise<void> => {
    while (next < rows.length) {
      signal.throwIfAborted();
      const i = next++;
      const row = rows[i];
      const raw = jsonPayload({ slot, row });
      let key: string;
      try {
        key = sweep.key(row);
      } catch (e) {
        // No id: kept in the dead-letter list under the slot and its place in the answer.
        count(
          await deps.deliver({
            ...base,
            key: `${slot.at}#${i}`,
            raw,
            refused: { reason: 'map_failed', message: errorText(e) },
          }),
        );
        continue;
      }
      // As the schedule parser reads it back for a replay: a row is an object.
      const vars = { slot, row: isObject(row) ? row : {} };
      count(await deps.deliver({ ...base, key, raw, parsed: { vars } }));
    }
  };
  await Promise.all(Array.from({ length: Math.min(deps.concurrency ?? 8, rows.length) }, one));
  return out;
}

/** Reads the sweep's source the way the engine reads context: parameters checked, a timeout, abortable. */
async function readRows(
  registry: Registry,
  flow: CompiledFlow,
  slot: SlotVars,
  stop: AbortSignal,
): Promise<unknown[]> {
  const sweep = flow.triggers.schedule!.sweep!;
  const source = registry.source(sweep.use);
  if (!source) throw new SweepSourceError(`context source ${sweep.use} is not available`, undefined);
  try {
    const params = source.params.parse(sweep.params(slot as unknown as Record<string, unknown>));
    const value = await source.fetch(params, {
      handoffId: `schedule:${slot.at}`,
      flow: flow.def.id,
      signal: AbortSignal.any([stop, AbortSignal.timeout(source.timeoutMs ?? 10_000)]),
    });
    const plain = storableJson(value, MAX_ANSWER_BYTES);
    if (isObject(plain) && typeof plain.unstorable === 'string' && Object.keys(plain).length === 1)
      throw new Error(`its answer cannot be read: ${plain.unstorable}`);
    return sweep.rows(plain);
  } catch (e) {
    throw new SweepSourceError(`${sweep.use} failed: ${errorText(e)}`, e);
  }
}

const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);
