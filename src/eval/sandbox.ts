// What makes an eval run free of side effects: every external action is replaced by a recorder
// that never calls out, and every context source by one that answers from the case's recorded
// context. Built-in sources (project tables) still answer when the case records nothing for
// them; any other source must be recorded, so a case never reaches a CRM or an API.
// Internal built-in actions run as usual: they only write to the throwaway store.
import { BatonError } from '../core/errors.ts';
import { isInternal, type ActionDefinition, type AnyAction, type ContextSource } from '../actions/define.ts';
import type { Registry } from '../actions/registry.ts';
import type { CompiledFlow } from '../flow/compiled.ts';
import { celValue } from '../flow/cel-value.ts';

/** What an external action returns in eval: marks the result as recorded, not real. */
export const RECORDED_RESULT = { eval: 'recorded; not called' } as const;

export class Sandbox {
  /** Problems that make the case unrunnable as written (an unrecorded external source). */
  readonly problems: string[] = [];
  private readonly flow: CompiledFlow;
  private readonly input: Record<string, unknown>;
  private readonly recorded: Record<string, unknown>;
  /** Context fetched so far, by name, and the next context entry the engine may fetch. */
  private readonly fetched: Record<string, unknown> = {};
  private next = 0;

  constructor(flow: CompiledFlow, input: Record<string, unknown>, recorded: Record<string, unknown> = {}) {
    this.flow = flow;
    this.input = input;
    this.recorded = recorded;
  }

  /** The `configure` hook for Baton.open. */
  install(registry: Registry): void {
    for (const id of registry.actionIds()) {
      const a = registry.action(id);
      if (a && !isInternal(a)) registry.replaceAction(this.recorder(a));
    }
    for (const id of registry.sourceIds()) {
      const s = registry.source(id);
      if (s) registry.replaceSource(this.source(s));
    }
  }

  private recorder(a: ActionDefinition<never>): AnyAction {
    const r: ActionDefinition = {
      id: a.id,
      params: a.params,
      risk: a.risk,
      idempotent: a.idempotent,
      // The action record keeps the rendered params: that is what a case compares.
      run: () => Promise.resolve(RECORDED_RESULT),
    };
    if (a.description !== undefined) r.description = a.description;
    if (a.outbound !== undefined) r.outbound = a.outbound;
    // URL parameters render as they would for real, so a case compares the encoded URL.
    if (a.urlParams !== undefined) r.urlParams = a.urlParams;
    if (a.rollback) r.rollback = () => Promise.resolve(RECORDED_RESULT);
    return r as unknown as AnyAction;
  }

  private source(s: ContextSource<never>): ContextSource<never> {
    return {
      id: s.id,
      params: s.params,
      trust: s.trust,
      fetch: async (params, ctx) => {
        const name = this.entryFor(s.id);
        let value: unknown;
        if (name !== undefined && Object.hasOwn(this.recorded, name)) {
          value = this.recorded[name];
        } else if (s.id.startsWith('builtin.')) {
          value = await s.fetch(params, ctx);
        } else {
          const field = name ?? s.id;
          const message = `context.${field} comes from ${s.id}, which eval does not call: record its value in the case (context: {${field}: …})`;
          this.problems.push(message);
          throw new BatonError('validation_failed', message);
        }
        if (name !== undefined) this.fetched[name] = value ?? null;
        return value;
      },
    };
  }

  /**
   * Which context entry of the flow the engine is fetching through source `use`: the engine
   * fetches entries in order and skips those whose `when` does not hold, so it is the first
   * entry from `next` on that uses this source and whose `when` holds on what was fetched so far.
   */
  private entryFor(use: string): string | undefined {
    const entries = this.flow.context;
    for (let j = this.next; j < entries.length; j++) {
      const e = entries[j]!;
      if (e.use !== use && e.fallback?.use !== use) continue;
      if (e.when && !this.holds(e.when)) continue;
      this.next = j + 1;
      return e.name;
    }
    return undefined;
  }

  private holds(when: NonNullable<CompiledFlow['context'][number]['when']>): boolean {
    try {
      return (
        when.eval({
          input: this.flow.celInput(this.input),
          context: celValue(this.fetched),
          decision: {},
          handoff: { id: '', flow: this.flow.def.id },
        }) === true
      );
    } catch {
      return false;
    }
  }
}
