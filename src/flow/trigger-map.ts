// A trigger's `map:` compiled against the flow's input schema: one CEL expression per input
// field, over the variables that trigger provides (trigger-schema.ts lists them). Checked when the
// flow loads: every field must be declared by the input schema, every required field mapped, an
// expression whose type is known must fit its field, and a field filled from text that came from
// outside (a mail body, a chat message, a webhook body) may not be declared `x-trust: trusted`.
// What still fails at run time (a value of the wrong shape, an absent key) is the dead-letter
// list's business: `TriggerMap.apply` names the field.
import { BatonError } from '../core/errors.ts';
import { CelCompileError, FlowCel, type CompiledExpr } from './cel.ts';
import { celValue } from './cel-value.ts';
import { toPlain } from './template.ts';
import { isRecord } from './checker.ts';
import type { Path } from './yaml-source.ts';

export type TriggerKind = 'email' | 'slack' | 'schedule' | 'webhooks';

/** The variables each trigger's map reads, and which of them carry text from outside. */
export const TRIGGER_VARIABLES: Record<
  TriggerKind,
  { vars: Record<string, 'map' | 'string' | 'list'>; untrusted: readonly string[] }
> = {
  email: {
    vars: { mail: 'map', recipient: 'string' },
    untrusted: [
      'mail.subject',
      'mail.text',
      'mail.html',
      'mail.headers',
      'mail.attachments',
      'mail.from.name',
      'mail',
    ],
  },
  slack: { vars: { slack: 'map', event: 'map' }, untrusted: ['slack.text', 'slack', 'event'] },
  schedule: { vars: { slot: 'map', row: 'map' }, untrusted: ['row'] },
  webhooks: { vars: { body: 'map', headers: 'map' }, untrusted: ['body', 'headers'] },
};

export interface MapProblem {
  path: Path;
  message: string;
  /** Offset of the problem inside the expression's text, when CEL knows it. */
  offset?: number;
}

/** A failed map at run time: which field, and why. */
export class MapFailure extends BatonError {
  readonly field: string;
  constructor(field: string, message: string) {
    super('validation_failed', `map.${field}: ${message}`, { details: [{ path: `map.${field}`, message }] });
    this.field = field;
  }
}

export class TriggerMap {
  readonly kind: TriggerKind;
  readonly #fields: ReadonlyArray<readonly [string, CompiledExpr]>;
  /** No `map:` given: the trigger's whole value (`identity`) is the input. */
  readonly #identity: string | undefined;
  /** Input fields filled from outside text (untrusted whatever the schema says). */
  readonly untrustedFields: readonly string[];

  constructor(
    kind: TriggerKind,
    fields: ReadonlyArray<readonly [string, CompiledExpr]>,
    identity: string | undefined,
    untrustedFields: readonly string[],
  ) {
    this.kind = kind;
    this.#fields = fields;
    this.#identity = identity;
    this.untrustedFields = untrustedFields;
  }

  /** The flow's input from what arrived; throws MapFailure naming the field. */
  apply(vars: Record<string, unknown>): Record<string, unknown> {
    if (this.#identity !== undefined) {
      const whole = vars[this.#identity];
      if (!isRecord(whole)) throw new MapFailure(this.#identity, `is not an object (${describe(whole)})`);
      return whole;
    }
    const cel: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(vars)) cel[k] = celValue(v);
    const out: Record<string, unknown> = {};
    for (const [field, expr] of this.#fields) {
      let value: unknown;
      try {
        value = toPlain(expr.eval(cel as never));
      } catch (e) {
        throw new MapFailure(field, `${expr.source}: ${e instanceof Error ? e.message : String(e)}`);
      }
      // null and absent fields are left out, so an optional field may be mapped from an optional value.
      if (value !== undefined && value !== null) out[field] = value;
    }
    return out;
  }
}

const describe = (v: unknown): string => (v === null ? 'null' : Array.isArray(v) ? 'a list' : typeof v);

const CEL_FOR_JSON: Record<string, readonly string[]> = {
  string: ['string'],
  integer: ['int', 'uint'],
  number: ['double', 'int', 'uint'],
  boolean: ['bool'],
  array: ['list'],
  object: ['map'],
};

/**
 * Compiles `map` (undefined: the trigger's default, `identity` when it has one) against the
 * input schema. Problems are reported with paths relative to the map (`[field]`).
 */
export function compileTriggerMap(
  kind: TriggerKind,
  map: Record<string, unknown> | undefined,
  inputSchema: Record<string, unknown>,
  identity?: string,
): { map?: TriggerMap; problems: MapProblem[] } {
  const problems: MapProblem[] = [];
  const props = isRecord(inputSchema['properties']) ? inputSchema['properties'] : {};
  const required = Array.isArray(inputSchema['required']) ? (inputSchema['required'] as unknown[]) : [];
  if (map === undefined) {
    if (identity !== undefined) return { map: new TriggerMap(kind, [], identity, []), problems };
    return { map: new TriggerMap(kind, [], undefined, []), problems };
  }
  const spec = TRIGGER_VARIABLES[kind];
  const cel = FlowCel.over(spec.vars);
  const fields: Array<readonly [string, CompiledExpr]> = [];
  const untrusted: string[] = [];
  for (const [field, source] of Object.entries(map)) {
    if (typeof source !== 'string' || source === '') continue; // the schema check reports it
    const schema = isRecord(props[field]) ? props[field] : undefined;
    if (!schema) {
      problems.push({
        path: [field],
        message: `the input schema has no field "${field}" (fields: ${Object.keys(props).join(', ') || 'none'})`,
      });
      continue;
    }
    let expr: CompiledExpr;
    try {
      expr = cel.expr(source, `map.${field}`);
    } catch (e) {
      if (!(e instanceof CelCompileError)) throw e;
      problems.push({
        path: [field],
        message: `CEL: ${e.message}`,
        ...(e.offset !== undefined ? { offset: e.offset } : {}),
      });
      continue;
    }
    fields.push([field, expr]);
    const type = safeType(cel, source);
    const jsonTypes = schema ? [schema['type']].flat().filter((t): t is string => typeof t === 'string') : [];
    if (type && type !== 'dyn' && jsonTypes.length > 0 && !jsonTypes.includes('null')) {
      const fits = jsonTypes.some((t) =>
        (CEL_FOR_JSON[t] ?? []).some((c) => type === c || type.startsWith(`${c}<`)),
      );
      if (!fits)
        problems.push({
          path: [field],
          message: `yields ${type}, but input.${field} is ${jsonTypes.join(' | ')}`,
        });
    }
    const fromOutside = expr.paths.some((p) =>
      spec.untrusted.some((u) => p === u || p.startsWith(`${u}.`) || p.startsWith(`${u}[`)),
    );
    if (fromOutside) {
      untrusted.push(field);
      if (schema?.['x-trust'] === 'trusted')
        problems.push({
          path: [field],
          message: `reads text from outside (${expr.paths.join(', ')}): input.${field} cannot be \`x-trust: trusted\``,
        });
    }
  }
  const mapped = new Set(Object.keys(map));
  for (const r of required) {
    if (typeof r === 'string' && !mapped.has(r))
      problems.push({
        path: [],
        message: `the input requires "${r}": map it (${r}: <CEL over ${Object.keys(spec.vars).join(', ')}>)`,
      });
  }
  return { map: problems.length ? undefined : new TriggerMap(kind, fields, undefined, untrusted), problems };
}

function safeType(cel: FlowCel, source: string): string | undefined {
  try {
    return cel.typeOf(source);
  } catch {
    return undefined;
  }
}
