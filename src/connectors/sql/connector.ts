// SQL databases (PostgreSQL, MySQL/MariaDB, SQLite) through statements the operator declares in
// baton.yaml, never SQL from a flow: each `lookup` statement becomes a context source, each
// `write` an action, and a flow only supplies the values of their declared, typed parameters,
// which travel as bound parameters. Undo is declared too: a write may name a lookup that
// `capture`s the row before it, and a `rollback` write fed from the captured row, the write's
// parameters and its RETURNING row.
import { z } from 'zod';
import { BatonError } from '../../core/errors.ts';
import type { ActionContext } from '../../actions/define.ts';
import { defineConnector, type ConnectorAction, type ConnectorSource } from '../define.ts';
import { dialectOf, openDatabase, type Answer, type Database } from './client.ts';
import { compileSql, SqlShapeError, type CompiledSql, type Dialect } from './statements.ts';

const NAME = /^[A-Za-z][A-Za-z0-9_]*$/;
const paramType = z.enum(['string', 'integer', 'number', 'boolean']);
const paramDecl = z.union([
  paramType,
  z.strictObject({
    type: paramType,
    required: z.boolean().default(true),
    description: z.string().optional(),
  }),
]);

/** Where a rollback or capture parameter comes from: `params.X`, `captured.X` or `result.X`. */
const SOURCE = /^(params|captured|result)\.([A-Za-z_][A-Za-z0-9_]*)$/;
const mapping = z.record(
  z.string().regex(NAME),
  z.string().regex(SOURCE, 'params.X, captured.X or result.X'),
);

const statement = z.strictObject({
  sql: z.string().min(1),
  kind: z.enum(['lookup', 'write']),
  description: z.string().optional(),
  params: z
    .record(z.string().regex(NAME, 'a parameter name is letters, digits and _'), paramDecl)
    .default({}),
  /** Lookups: whether the rows are the organisation's own data (default trusted). */
  trust: z.enum(['trusted', 'untrusted']).optional(),
  /** Writes: */
  risk: z.enum(['low', 'medium', 'high']).optional(),
  /** `natural`: running it twice with the same values changes nothing (an UPDATE … SET x = :x). */
  idempotency: z.literal('natural').optional(),
  capture: z
    .union([z.string().regex(NAME), z.strictObject({ statement: z.string().regex(NAME), params: mapping })])
    .optional(),
  rollback: z.strictObject({ statement: z.string().regex(NAME), params: mapping.default({}) }).optional(),
  irreversible: z.string().min(1).optional(),
  /** Only used as another statement's capture or rollback: not a source or action of its own. */
  internal: z.boolean().optional(),
});
type Statement = z.infer<typeof statement>;

const settings = z
  .strictObject({
    url: z.string().refine((u) => dialectOf(u) !== undefined, 'postgres://…, mysql://… or sqlite:path'),
    /** The password, when it is kept out of the URL. */
    password: z.string().optional(),
    timeoutMs: z.int().min(100).max(600_000).default(5000),
    maxRows: z.int().min(1).max(10_000).default(100),
    statements: z.record(z.string().regex(NAME, 'a statement name is letters, digits and _'), statement),
  })
  .superRefine((s, ctx) => {
    const dialect = dialectOf(s.url);
    if (!dialect) return;
    for (const [name, st] of Object.entries(s.statements))
      for (const [field, message] of problemsOf(name, st, s.statements, dialect))
        ctx.addIssue({ code: 'custom', path: ['statements', name, ...field], message });
  });
type Settings = z.infer<typeof settings>;

const declOf = (d: z.infer<typeof paramDecl>) =>
  typeof d === 'string' ? { type: d, required: true } : { type: d.type, required: d.required };

/** What is wrong with one statement, each with the field it is about. */
function problemsOf(
  name: string,
  st: Statement,
  all: Record<string, Statement>,
  dialect: Dialect,
): Array<[string[], string]> {
  const out: Array<[string[], string]> = [];
  let compiled: CompiledSql | undefined;
  try {
    compiled = compileSql(st.sql, dialect);
  } catch (e) {
    if (!(e instanceof SqlShapeError)) throw e;
    out.push([['sql'], `${e.message}: one statement per entry, values only as :name parameters`]);
  }
  if (compiled) {
    for (const p of compiled.names)
      if (!(p in st.params)) out.push([['sql'], `:${p} is not declared under params`]);
    for (const p of Object.keys(st.params))
      if (!compiled.names.has(p)) out.push([['params', p], `the SQL does not use :${p}`]);
  }
  const writeOnly = ['risk', 'idempotency', 'capture', 'rollback', 'irreversible'] as const;
  if (st.kind === 'lookup') {
    for (const f of writeOnly)
      if (st[f] !== undefined) out.push([[f], `${f} is for write statements; ${name} is a lookup`]);
    return out;
  }
  if (st.trust !== undefined) out.push([['trust'], 'trust is for lookup statements']);
  if (!st.internal && !st.risk) out.push([['risk'], 'a write declares its risk: low, medium or high']);
  if (!st.internal && !st.rollback && !st.irreversible)
    out.push([['rollback'], 'a write declares a rollback statement, or irreversible: the reason']);
  if (st.rollback && st.irreversible)
    out.push([['irreversible'], 'a write has a rollback or is irreversible, not both']);
  const fromParams = (m: Record<string, string>, field: string[]): void => {
    for (const [k, src] of Object.entries(m)) {
      const [, where, key] = SOURCE.exec(src)!;
      if (where === 'params' && !Object.hasOwn(st.params, key!))
        out.push([[...field, k], `${name} has no parameter ${key}`]);
      if (where === 'captured' && !st.capture)
        out.push([[...field, k], 'captured.X needs a capture statement']);
    }
  };
  const target = (ref: string, kind: 'lookup' | 'write', field: string[]): Statement | undefined => {
    const t = all[ref];
    if (!t) out.push([field, `no statement named ${ref}`]);
    else if (t.kind !== kind) out.push([field, `${ref} is a ${t.kind}; expected a ${kind} statement`]);
    else return t;
    return undefined;
  };
  const covers = (t: Statement, m: Record<string, string>, field: string[], tName: string): void => {
    for (const k of Object.keys(m))
      if (!(k in t.params)) out.push([[...field, k], `${tName} has no parameter ${k}`]);
    for (const [k, d] of Object.entries(t.params))
      if (declOf(d).required && !(k in m)) out.push([field, `${tName}'s parameter ${k} is not given`]);
  };
  if (st.capture) {
    const ref = typeof st.capture === 'string' ? st.capture : st.capture.statement;
    const t = target(ref, 'lookup', typeof st.capture === 'string' ? ['capture'] : ['capture', 'statement']);
    if (t) {
      const m = captureMapping(st.capture, t);
      fromParams(m, ['capture', 'params']);
      if (m && Object.values(m).some((v) => !v.startsWith('params.')))
        out.push([['capture', 'params'], 'a capture reads with the write’s params.X only']);
      covers(t, m, ['capture', 'params'], ref);
    }
  }
  if (st.rollback) {
    const t = target(st.rollback.statement, 'write', ['rollback', 'statement']);
    if (t) {
      fromParams(st.rollback.params, ['rollback', 'params']);
      covers(t, st.rollback.params, ['rollback', 'params'], st.rollback.statement);
    }
  }
  return out;
}

/** A capture named alone reads with the write's parameters of the same names. */
function captureMapping(capture: NonNullable<Statement['capture']>, t: Statement): Record<string, string> {
  if (typeof capture !== 'string') return capture.params;
  return Object.fromEntries(Object.keys(t.params).map((k) => [k, `params.${k}`]));
}

/** The zod schema of a statement's declared parameters (what a flow may send). */
function paramsSchema(st: Statement): z.ZodType<Record<string, unknown>> {
  const shape: Record<string, z.ZodType> = {};
  for (const [k, d] of Object.entries(st.params)) {
    const { type, required } = declOf(d);
    const base =
      type === 'string'
        ? z.string().max(100_000)
        : type === 'integer'
          ? z.int()
          : type === 'number'
            ? z.number()
            : z.boolean();
    const described = typeof d === 'object' && d.description ? base.describe(d.description) : base;
    shape[k] = required ? described : described.nullable().optional();
  }
  return z.strictObject(shape);
}

interface Prepared {
  name: string;
  st: Statement;
  sql: CompiledSql;
  schema: z.ZodType<Record<string, unknown>>;
}

interface WriteResult {
  rowCount: number;
  rows: Record<string, unknown>[];
}

interface Captured {
  /** The first row the capture read, or null when it found none. */
  row: Record<string, unknown> | null;
}

export const sql = defineConnector<Settings>({
  type: 'sql',
  description: 'SQL databases (PostgreSQL, MySQL/MariaDB, SQLite) through declared statements',
  settings,
  // The URL may hold the password (postgres://user:pass@host/db); both are masked.
  secrets: ['url', 'password'],
  open(s, ctx) {
    const db: Database = openDatabase(s.url, s.password, ctx.projectDir);
    const prepared = new Map<string, Prepared>();
    for (const [name, st] of Object.entries(s.statements))
      prepared.set(name, { name, st, sql: compileSql(st.sql, db.dialect), schema: paramsSchema(st) });
    const options = (signal: AbortSignal) => ({ timeoutMs: s.timeoutMs, maxRows: s.maxRows, signal });

    /** Values in placeholder order, after checking them against the declared types again. */
    const bind = (p: Prepared, params: unknown): unknown[] => {
      const parsed = p.schema.safeParse(params);
      if (!parsed.success)
        throw new BatonError('validation_failed', `${p.name}: ${z.prettifyError(parsed.error)}`, {
          fault: 'user',
          retryable: false,
        });
      return p.sql.order.map((k) => parsed.data[k] ?? null);
    };
    const lookup = (p: Prepared, params: unknown, signal: AbortSignal): Promise<Answer> =>
      db.lookup(p.sql, bind(p, params), options(signal));
    const write = async (p: Prepared, params: unknown, signal: AbortSignal): Promise<WriteResult> => {
      const a = await db.write(p.sql, bind(p, params), options(signal));
      return { rowCount: a.rowCount, rows: a.rows };
    };

    const resolve = (
      m: Record<string, string>,
      from: {
        params: Record<string, unknown>;
        captured?: Record<string, unknown> | null;
        result?: WriteResult;
      },
      what: string,
    ): Record<string, unknown> => {
      const out: Record<string, unknown> = {};
      for (const [k, src] of Object.entries(m)) {
        const [, where, key] = SOURCE.exec(src)!;
        const bag =
          where === 'params' ? from.params : where === 'captured' ? from.captured : from.result?.rows[0];
        if (!bag || !Object.hasOwn(bag, key!))
          throw new BatonError(
            'action_failed',
            `${what}: ${src} has no value (no such column in the row read)`,
            {
              fault: 'user',
              retryable: false,
            },
          );
        out[k] = bag[key!];
      }
      return out;
    };

    const sources: ConnectorSource[] = [];
    const actions: ConnectorAction[] = [];
    for (const p of prepared.values()) {
      if (p.st.internal) continue;
      if (p.st.kind === 'lookup') {
        sources.push({
          id: p.name,
          description: p.st.description ?? `rows of the ${p.name} lookup (at most ${s.maxRows})`,
          params: p.schema,
          trust: p.st.trust ?? 'trusted',
          timeoutMs: s.timeoutMs + 1000,
          fetch: (params, c) => lookup(p, params, c.signal),
        });
        continue;
      }
      const st = p.st;
      const capture = st.capture
        ? (() => {
            const ref = typeof st.capture === 'string' ? st.capture : st.capture.statement;
            const target = prepared.get(ref)!;
            return { target, mapping: captureMapping(st.capture, target.st) };
          })()
        : undefined;
      const rollback = st.rollback
        ? { target: prepared.get(st.rollback.statement)!, mapping: st.rollback.params }
        : undefined;
      const action: ConnectorAction = {
        id: p.name,
        description: st.description ?? `the ${p.name} statement, in a transaction`,
        params: p.schema,
        risk: st.risk ?? 'medium',
        idempotent: st.idempotency === 'natural',
        ...(st.idempotency ? { idempotency: st.idempotency } : {}),
        timeoutMs: s.timeoutMs + 1000,
        run: (params: Record<string, unknown>, c: ActionContext) => write(p, params, c.signal),
        ...(capture
          ? {
              capture: async (params: Record<string, unknown>, c: ActionContext): Promise<Captured> => {
                const a = await lookup(
                  capture.target,
                  resolve(capture.mapping, { params }, `${p.name} capture`),
                  c.signal,
                );
                return { row: a.rows[0] ?? null };
              },
            }
          : {}),
        ...(rollback
          ? {
              // Rollback statements restore values (SET x = :old, DELETE … WHERE id = :id): run
              // twice they leave the same state, which is what makes a retried rollback safe.
              rollback: async (params: Record<string, unknown>, result: WriteResult, c) => {
                const captured = capture ? ((c.undo as Captured | undefined)?.row ?? null) : undefined;
                // The write changed nothing, or there was no row before it to restore from.
                const needsRow = Object.values(rollback.mapping).some((v) => v.startsWith('captured.'));
                if (result.rowCount === 0 || (needsRow && captured === null))
                  return { rowCount: 0, skipped: true };
                const values = resolve(rollback.mapping, { params, captured, result }, `${p.name} rollback`);
                return write(rollback.target, values, c.signal);
              },
            }
          : { irreversible: st.irreversible! }),
      };
      actions.push(action);
    }
    return {
      actions,
      sources,
      check: (signal) => db.check(signal),
      close: () => db.close(),
    };
  },
});
