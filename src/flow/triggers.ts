// The `trigger:` block of a flow, compiled: each trigger's map (trigger-map.ts) and a schedule's
// query (its parameters may read `slot`, `rows` reads `result`, `key` reads `row`). Problems are
// reported at their path in the flow file.
import type { TriggerDef } from '../core/trigger-schema.ts';
import { CelCompileError, FlowCel, type CompiledExpr, type CompiledParams } from './cel.ts';
import { celValue } from './cel-value.ts';
import { toPlain } from './template.ts';
import { compileTriggerMap, type TriggerKind, type TriggerMap } from './trigger-map.ts';
import { isRecord } from './checker.ts';
import type { Path } from './yaml-source.ts';
import { compileCron, CronError, type CronSpec } from '../intake/schedule/cron.ts';

export interface CompiledSweep {
  use: string;
  /** The query's parameters for a slot. */
  params(slot: Record<string, unknown>): Record<string, unknown>;
  /** The rows in the source's answer; throws when it holds no list. */
  rows(result: unknown): unknown[];
  /** A row's key (its id), as text. */
  key(row: unknown): string;
}

export interface CompiledTriggers {
  /** POST /v1/flows/{flow}/handoffs takes the body as input. */
  webhook: boolean;
  manual: boolean;
  email?: TriggerMap;
  slack?: TriggerMap;
  schedule?: {
    map: TriggerMap;
    sweep?: CompiledSweep;
    /** The cron in its time zone (checked at load). */
    spec: CronSpec;
    missed: 'last' | 'all' | 'skip';
  };
  /** By connector name: POST /v1/intake/{connector}/{flow}. */
  webhooks: Record<string, TriggerMap>;
}

export type TriggerProblem = { path: Path; message: string; offset?: number };

export function compileTriggers(
  trigger: TriggerDef | undefined,
  inputSchema: Record<string, unknown>,
): { triggers?: CompiledTriggers; problems: TriggerProblem[] } {
  const t = trigger ?? { webhook: {} };
  const problems: TriggerProblem[] = [];
  const map = (kind: TriggerKind, at: Path, m: Record<string, unknown> | undefined, identity?: string) => {
    const r = compileTriggerMap(kind, m, inputSchema, identity);
    for (const p of r.problems) problems.push({ ...p, path: [...at, 'map', ...p.path] });
    return r.map;
  };
  const out: CompiledTriggers = { webhook: !!t.webhook, manual: !!t.manual, webhooks: {} };
  if (t.email) out.email = map('email', ['trigger', 'email'], t.email.map);
  if (t.slack) out.slack = map('slack', ['trigger', 'slack'], t.slack.map);
  if (t.schedule) {
    const s = t.schedule;
    const m = map('schedule', ['trigger', 'schedule'], s.map, s.query ? 'row' : undefined);
    const sweep = s.query ? compileSweep(s.query, problems) : undefined;
    const spec = cronOf(s.cron, s.timezone, problems);
    if (m && spec) out.schedule = { map: m, ...(sweep ? { sweep } : {}), spec, missed: s.missed };
  }
  for (const [name, hook] of Object.entries(t.webhooks ?? {})) {
    const m = map('webhooks', ['trigger', 'webhooks', name], hook.map, 'body');
    if (m) out.webhooks[name] = m;
  }
  return problems.length ? { problems } : { triggers: out, problems };
}

function cronOf(cron: string, timezone: string, problems: TriggerProblem[]): CronSpec | undefined {
  const check = (tz: string): CronSpec | undefined => {
    try {
      return compileCron(cron, tz);
    } catch (e) {
      if (!(e instanceof CronError)) throw e;
      problems.push({ path: ['trigger', 'schedule', e.field], message: e.message });
      return undefined;
    }
  };
  const spec = check(timezone);
  // An unknown zone stops the check before the cron: read the cron in UTC to report it too.
  if (!spec && problems.at(-1)?.path[2] === 'timezone') check('UTC');
  return spec;
}

const LIST_FIELDS = ['rows', 'items', 'results', 'records', 'tickets', 'deals', 'issues'];

function compileSweep(
  q: NonNullable<NonNullable<TriggerDef['schedule']>['query']>,
  problems: TriggerProblem[],
): CompiledSweep | undefined {
  const at: Path = ['trigger', 'schedule', 'query'];
  const before = problems.length;
  const expr = (cel: FlowCel, path: Path, source: string | undefined): CompiledExpr | undefined => {
    if (source === undefined) return undefined;
    try {
      return cel.expr(source, path.join('.'));
    } catch (e) {
      if (!(e instanceof CelCompileError)) throw e;
      problems.push({
        path,
        message: `CEL: ${e.message}`,
        ...(e.offset !== undefined ? { offset: e.offset } : {}),
      });
      return undefined;
    }
  };
  const params: CompiledParams = FlowCel.over({ slot: 'map' }).params(
    q.with,
    `${at.join('.')}.with`,
    (p, e) => problems.push({ path: [...at, 'with', ...p], message: `CEL: ${e.message}` }),
  );
  const rows = expr(FlowCel.over({ result: 'map' }), [...at, 'rows'], q.rows);
  const key = expr(FlowCel.over({ row: 'map' }), [...at, 'key'], q.key);
  if (problems.length > before || !key) return undefined;
  const evalOn = (e: CompiledExpr, vars: Record<string, unknown>): unknown =>
    toPlain(e.eval(celVars(vars) as never));
  return {
    use: q.use,
    params: (slot) => params.render(celVars({ slot }) as never),
    rows(result) {
      const found = rows ? evalOn(rows, { result }) : defaultRows(result);
      if (!Array.isArray(found))
        throw new Error(
          rows
            ? `query.rows (${rows.source}) gave ${found === null ? 'null' : typeof found}, not a list`
            : `the answer of ${q.use} holds no list of rows (give query.rows, e.g. result.tickets)`,
        );
      return found;
    },
    key(row) {
      const k = evalOn(key, { row });
      if (typeof k === 'string' && k !== '') return k;
      if (typeof k === 'number' || typeof k === 'boolean' || typeof k === 'bigint') return String(k);
      throw new Error(`query.key (${key.source}) gave no id for the row`);
    },
  };
}

function defaultRows(result: unknown): unknown {
  if (Array.isArray(result)) return result;
  if (isRecord(result)) for (const f of LIST_FIELDS) if (Array.isArray(result[f])) return result[f];
  return undefined;
}

const celVars = (vars: Record<string, unknown>): Record<string, unknown> => {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(vars)) out[k] = celValue(v);
  return out;
};
