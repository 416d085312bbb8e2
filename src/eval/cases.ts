// Eval cases: `flows/NAME.cases.yaml` beside `flows/NAME.yaml`, a list of cases:
//
//   - name: existing account goes to its owner      # unique in the file
//     input: { id: L1, company: Acme, email: jo@acme.com }
//     context: { account: { owner: kim } }          # optional: recorded context, by context name
//     model:                                        # optional: recorded model answers, in call order
//       - { owner: team:smb, actions: [task], confidence: 0.9, rationale: small, evidence: [input.amount] }
//       - "Thanks, we will call you."               # text: a draft, or an unparseable answer
//     expect:                                       # at least one of:
//       owner: user:kim          # where the work goes (see compare.ts)
//       state: handed_off        # the handoff's state once nothing more runs by itself
//       rule: existing account   # the rule that decided (its name, rules[N], llm, or otherwise)
//       actions: [task, tell]    # the actions run or planned (a `when` that did not hold: not listed);
//                                # an entry may be {id: task, params: {title: Call Acme}} (a subset)
//       approvals: 0             # how many approval gates, or a list:
//                                # [{action: quote, levels: 1, approvers: [[role:sales-manager]]}]
//       escalation: false        # false (none), true (any), a reason, or {reason, to, missing}
//
// A case's input must match the flow's input schema, its context names and the actions,
// approvals and rules it names must exist in the flow: problems are reported like flow errors,
// with file, line, column and field.
import { casesFileOf } from '../flow/file-names.ts';
import { readdirSync, readFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { z } from 'zod';
import { BatonError, type ErrorDetail } from '../core/errors.ts';
import { isOwnerRef } from '../core/owner.ts';
import { ESCALATION_REASONS, HANDOFF_STATES } from '../core/types.ts';
import type { CompiledFlow } from '../flow/compiled.ts';
import { errnoCode, errorMessage } from '../flow/io.ts';
import { sortDetails, summarize, YamlSource, type Path, type PathSeg } from '../flow/yaml-source.ts';
import type { Project } from '../project/load.ts';

const ownerRef = z.string().refine(isOwnerRef, 'an owner like user:dana, team:sales, role:cfo');
const actionId = z.string().min(1);

/** Reasons an escalation can carry: SPEC §6's, plus a rejected approval with `onReject: stop`. */
export const EVAL_ESCALATION_REASONS = [...ESCALATION_REASONS, 'approval_rejected'] as const;
const reason = z
  .string()
  .refine(
    (r) => (EVAL_ESCALATION_REASONS as readonly string[]).includes(r),
    `expected false, true, {reason, to, missing} or a reason: ${EVAL_ESCALATION_REASONS.join(', ')}`,
  );

const actionExpect = z.union([
  actionId,
  z.strictObject({
    id: actionId,
    params: z.record(z.string(), z.unknown()).optional().describe('Expected parameters (a subset)'),
  }),
]);

const approvalExpect = z.strictObject({
  action: actionId,
  levels: z.int().min(1).optional().describe('How many levels apply'),
  approvers: z.array(z.array(ownerRef).min(1)).optional().describe('The approvers of each level'),
});

const escalationExpect = z.union([
  z.boolean(),
  reason,
  z.strictObject({
    reason: reason.optional(),
    to: ownerRef.optional(),
    missing: z.array(z.string()).optional().describe('contract_unmet: the missing contract paths'),
  }),
]);

const EXPECT_KEYS = ['owner', 'state', 'rule', 'actions', 'approvals', 'escalation'] as const;

export const expectSchema = z
  .strictObject({
    owner: ownerRef.optional(),
    state: z.enum(HANDOFF_STATES).optional(),
    rule: z.string().min(1).optional(),
    actions: z.array(actionExpect).optional(),
    approvals: z.union([z.int().min(0), z.array(approvalExpect)]).optional(),
    escalation: escalationExpect.optional(),
  })
  .refine((e) => EXPECT_KEYS.some((k) => e[k] !== undefined), {
    message: `name at least one of ${EXPECT_KEYS.join(', ')}`,
  });

export const caseSchema = z.strictObject({
  name: z.string().min(1),
  description: z.string().optional(),
  input: z.record(z.string(), z.unknown()).describe("The intake payload (the flow's input schema)"),
  context: z
    .record(z.string(), z.unknown())
    .optional()
    .describe('Recorded context by name; it replaces what those sources would return'),
  model: z
    .array(z.union([z.string(), z.record(z.string(), z.unknown())]))
    .optional()
    .describe('Recorded model answers in call order (the decision, then drafts); eval never calls a model'),
  expect: expectSchema,
});

export const casesFileSchema = z.array(caseSchema);

export type CaseExpect = z.infer<typeof expectSchema>;
export type ActionExpect = z.infer<typeof actionExpect>;
export type ApprovalExpect = z.infer<typeof approvalExpect>;
export type EscalationExpect = z.infer<typeof escalationExpect>;

export interface EvalCase {
  name: string;
  description?: string;
  input: Record<string, unknown>;
  context?: Record<string, unknown>;
  /** Recorded model answers, in call order: an object is a structured answer, a string text. */
  model?: Array<string | Record<string, unknown>>;
  expect: CaseExpect;
  /** Where the case starts in its file. */
  line: number;
}

export interface CasesFile {
  file: string;
  flow: string;
  cases: EvalCase[];
}

/** Whether a file name is an eval-cases file. */
export function isCasesFileName(name: string): boolean {
  return /\.cases\.ya?ml$/i.test(name);
}

/** `flows/NAME.cases.yaml` → NAME. */
export function casesBaseName(file: string): string {
  return basename(file).replace(/\.cases\.ya?ml$/i, '');
}

/** Turns `input.items[0]["a.b"]` (formatPath's output) back into segments. */
function parsePath(text: string): PathSeg[] {
  const out: PathSeg[] = [];
  const re = /\.?([A-Za-z_][A-Za-z0-9_-]*)|\[(\d+)\]|\["((?:[^"\\]|\\.)*)"\]/gy;
  let m: RegExpExecArray | null;
  while ((m = re.exec(text)) !== null) {
    if (m[1] !== undefined) out.push(m[1]);
    else if (m[2] !== undefined) out.push(Number(m[2]));
    else out.push(JSON.parse(`"${m[3]}"`) as string);
  }
  return out;
}

function ruleNames(flow: CompiledFlow): string[] {
  return [
    ...flow.rules.map((r) => r.name ?? `rules[${r.index}]`),
    ...(flow.def.decide.llm ? ['llm'] : []),
    'otherwise',
  ];
}

/** Checks the cases against their flow: input, context names, actions, approvals, rules. */
function checkCase(src: YamlSource, i: number, c: EvalCase, flow: CompiledFlow): ErrorDetail[] {
  const errors: ErrorDetail[] = [];
  const at = (path: Path, message: string): void => {
    errors.push(src.detail([i, ...path], message));
  };
  for (const d of flow.validateInput(c.input)) {
    const segs = parsePath(d.path);
    at(segs[0] === 'input' ? segs : ['input', ...segs], d.message);
  }
  const contextNames = flow.context.map((s) => s.name);
  for (const name of Object.keys(c.context ?? {})) {
    if (!contextNames.includes(name)) {
      at(
        ['context', name],
        `unknown context "${name}": ${contextNames.length ? `the flow's context is ${contextNames.join(', ')}` : 'the flow has no context sources'}`,
      );
    }
  }
  const actionIds = flow.actions.map((a) => a.def.id);
  const unknownAction = (id: string): string =>
    `unknown action "${id}": ${actionIds.length ? `the flow's actions are ${actionIds.join(', ')}` : 'the flow declares no actions'}`;
  const e = c.expect;
  e.actions?.forEach((a, j) => {
    const id = typeof a === 'string' ? a : a.id;
    if (!actionIds.includes(id))
      at(['expect', 'actions', j, ...(typeof a === 'string' ? [] : ['id'])], unknownAction(id));
  });
  if (Array.isArray(e.approvals)) {
    e.approvals.forEach((a, j) => {
      const action = flow.actions.find((x) => x.def.id === a.action);
      if (!action) at(['expect', 'approvals', j, 'action'], unknownAction(a.action));
      else if (!action.approval)
        at(['expect', 'approvals', j, 'action'], `action "${a.action}" has no approval policy in the flow`);
      if (a.levels !== undefined && a.approvers !== undefined && a.levels !== a.approvers.length) {
        at(
          ['expect', 'approvals', j, 'approvers'],
          `lists ${a.approvers.length} level(s) of approvers but levels is ${a.levels}`,
        );
      }
    });
  }
  if (e.rule !== undefined) {
    const names = ruleNames(flow);
    if (!names.includes(e.rule))
      at(['expect', 'rule'], `unknown rule "${e.rule}": the flow's rules are ${names.join(', ')}`);
  }
  return errors;
}

/** Checks one cases text against its flow; never throws for problems in the text. */
export function checkCasesText(
  text: string,
  file: string,
  flow: CompiledFlow,
): { cases?: EvalCase[]; errors: ErrorDetail[] } {
  const src = new YamlSource(text, file);
  const syntax = src.syntaxErrors();
  if (syntax.length > 0) return { errors: syntax };
  let data: unknown;
  try {
    data = src.toJS();
  } catch (e) {
    return { errors: [src.detail([], `YAML: ${errorMessage(e)}`)] };
  }
  if (data === null || data === undefined) return { cases: [], errors: [] };
  if (!Array.isArray(data)) {
    return {
      errors: [src.detail([], 'a cases file is a YAML list of cases: - { name: …, input: …, expect: … }')],
    };
  }
  const parsed = casesFileSchema.safeParse(data);
  if (!parsed.success) return { errors: sortDetails(src.zodDetails(parsed.error)) };
  const errors: ErrorDetail[] = [];
  const seen = new Map<string, number>();
  const cases = parsed.data.map((raw, i): EvalCase => {
    const c: EvalCase = { ...raw, line: src.locate([i]).line };
    const prev = seen.get(c.name);
    if (prev !== undefined) {
      errors.push(src.detail([i, 'name'], `duplicate case name "${c.name}" (also case ${prev + 1})`));
    } else seen.set(c.name, i);
    errors.push(...checkCase(src, i, c, flow));
    return c;
  });
  if (errors.length > 0) return { errors: sortDetails(errors) };
  return { cases, errors: [] };
}

function invalid(what: string, details: ErrorDetail[]): BatonError {
  return new BatonError('flow_invalid', summarize(what, details), { details });
}

/** Parses and checks one cases text; throws BatonError('flow_invalid') listing every problem. */
export function parseCases(text: string, file: string, flow: CompiledFlow): EvalCase[] {
  const { cases, errors } = checkCasesText(text, file, flow);
  if (!cases) throw invalid(`eval cases ${file} are invalid`, errors);
  return cases;
}

/** The flow a cases file belongs to: the one loaded from NAME.yaml (or NAME.flow.ts) beside it, else the flow with id NAME. */
function flowForCases(project: Project, file: string): CompiledFlow | undefined {
  const name = casesBaseName(file);
  const flows = [...project.flows.values()];
  return (
    flows.find((f) => f.file === join(project.flowsDir, `${name}.yaml`)) ??
    flows.find((f) => f.file === join(project.flowsDir, `${name}.yml`)) ??
    flows.find((f) => casesFileOf(f.file) === file) ??
    project.flows.get(name)
  );
}

/**
 * Every cases file of the project's flows folder (or only those of `flowId`), checked against
 * its flow. Throws BatonError('flow_invalid') with the problems of every file.
 */
export function loadProjectCases(project: Project, flowId?: string): CasesFile[] {
  let names: string[];
  try {
    names = readdirSync(project.flowsDir).filter(isCasesFileName).sort();
  } catch (e) {
    if (errnoCode(e) !== 'ENOENT') {
      throw new BatonError(
        'flow_invalid',
        `cannot read the flows folder ${project.flowsDir}: ${errorMessage(e)}`,
      );
    }
    names = [];
  }
  const out: CasesFile[] = [];
  const errors: ErrorDetail[] = [];
  for (const name of names) {
    const file = join(project.flowsDir, name);
    const flow = flowForCases(project, file);
    if (flowId !== undefined && flow?.def.id !== flowId) continue;
    if (!flow) {
      const base = casesBaseName(file);
      errors.push({
        file,
        line: 1,
        column: 1,
        path: '',
        message: `no flow for these cases: expected ${base}.yaml or ${base}.flow.ts beside it, or a flow with id "${base}"`,
      });
      continue;
    }
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch (e) {
      errors.push({ file, path: '', message: `cannot read: ${errorMessage(e)}` });
      continue;
    }
    const result = checkCasesText(text, file, flow);
    errors.push(...result.errors);
    if (result.cases) out.push({ file, flow: flow.def.id, cases: result.cases });
  }
  if (errors.length > 0) throw invalid(`eval cases in ${project.flowsDir} are invalid`, errors);
  return out;
}

export const CASES_SCHEMA_ID = 'https://baton.dev/schemas/cases.schema.json';

/** The JSON Schema of cases files (for editors), generated from the zod schema that checks them. */
export function casesJsonSchema(): Record<string, unknown> {
  const generated = z.toJSONSchema(casesFileSchema, {
    target: 'draft-2020-12',
    io: 'input',
    unrepresentable: 'any',
  });
  return {
    $schema: generated.$schema,
    $id: CASES_SCHEMA_ID,
    title: 'Baton eval cases',
    description:
      'A list of eval cases: an input, optional recorded context, and what the flow must do with it.',
    ...generated,
  };
}
