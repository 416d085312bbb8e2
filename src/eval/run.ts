// `baton eval [FLOW]`: runs every eval case of a project (flows/*.cases.yaml) with no side
// effects and compares each run with the case's expectations.
//
// Each case runs in a project opened on its own in-memory store (so inputs may repeat across
// cases without meeting the idempotency key of another case), with the sandbox in place of every
// external action and context source (sandbox.ts). The handoff is taken in and run until nothing
// more happens by itself (an approval gate, a hand-off, an escalation); no clock advances.
//
// A shadow flow decides and acts on nothing: its cases judge the decision, that is what the
// flow would do once promoted. They run with the flow in auto mode (the sandbox keeps actions
// without effect either way), so `owner`, `actions`, `state: handed_off` mean the same as for an
// auto flow.
import { BatonError } from '../core/errors.ts';
import { errorMessage } from '../flow/io.ts';
import { loadProject, type Project } from '../project/load.ts';
import { Baton } from '../service/baton.ts';
import { Registry } from '../actions/registry.ts';
import { Tables } from '../actions/tables.ts';
import { scriptedDecider } from '../decide/scripted.ts';
import { loadProjectCases, type CasesFile, type EvalCase } from './cases.ts';
import type { CompiledFlow } from '../flow/compiled.ts';
import { compare, observe } from './compare.ts';
import { Sandbox } from './sandbox.ts';

export interface EvalCaseResult {
  flow: string;
  /** The flow's mode; a shadow flow's cases are run as it would run once promoted. */
  mode: string;
  name: string;
  passed: boolean;
  /** One line per mismatch: what was expected and what the run gave. */
  failures: string[];
}

export interface EvalReport {
  cases: EvalCaseResult[];
  passed: number;
  failed: number;
}

export interface EvalOptions {
  /** Only this flow's cases. */
  flow?: string;
}

const EVAL_ACTOR = { kind: 'system' as const, id: 'eval', via: 'eval' };

/** The project with one flow in auto mode: how a shadow flow would act once promoted. */
function promoted(project: Project, flowId: string): Project {
  const flow = project.flows.get(flowId)!;
  const flows = new Map(project.flows).set(flowId, { ...flow, def: { ...flow.def, mode: 'auto' } });
  return { ...project, flows };
}

async function runCase(project: Project, flowId: string, c: EvalCase): Promise<string[]> {
  const flow = project.flows.get(flowId)!;
  const sandbox = new Sandbox(flow, c.input, c.context);
  // Eval never calls a model: the case's recorded answers stand in, in call order.
  const modelProblems: string[] = [];
  const decider = scriptedDecider((req, n) => {
    const recorded = c.model?.[n];
    if (recorded === undefined) {
      modelProblems.push(
        `the flow asked a model (${req.kind === 'draft' ? 'a draft' : 'a decision'}, call ${n + 1}) but the case records no answer for it: add it under model:`,
      );
      return { error: 'no recorded answer' };
    }
    return typeof recorded === 'string' ? { text: recorded } : { object: recorded };
  });
  const baton = await Baton.open({
    dir: project.file,
    project: flow.def.mode === 'shadow' ? promoted(project, flowId) : project,
    storage: 'sqlite::memory:',
    worker: false,
    decider,
    configure: (registry) => sandbox.install(registry),
  });
  try {
    let id: string;
    try {
      id = (await baton.send(flowId, c.input, EVAL_ACTOR)).id;
    } catch (e) {
      return [`intake refused the input: ${errorMessage(e)}`];
    }
    await baton.engine.drain();
    const snap = await baton.snapshot(id);
    const events = await baton.store.events(id);
    const observed = observe(snap, events, await baton.runtime.flowFor(snap.handoff.flowVersion));
    return [...sandbox.problems, ...modelProblems, ...compare(c.expect, observed)];
  } finally {
    await baton.close();
  }
}

/** Runs the eval cases of the project in `projectDir` (all flows, or `opts.flow`). */
export async function runEval(projectDir: string, opts: EvalOptions = {}): Promise<EvalReport> {
  const project = await loadProject(projectDir);
  if (opts.flow !== undefined && !project.flows.has(opts.flow)) {
    throw new BatonError(
      'not_found',
      `flow ${opts.flow} does not exist (flows: ${[...project.flows.keys()].join(', ') || 'none'})`,
    );
  }
  // A project module that does not load is the project's problem, not every case's: say it once.
  await new Registry(new Tables(project.tables)).loadProjectModules(project.actionsDir, project.dir);
  const files = loadProjectCases(project, opts.flow);
  if (opts.flow !== undefined && files.every((f) => f.cases.length === 0)) {
    throw new BatonError(
      'not_found',
      `flow ${opts.flow} has no eval cases: write them in ${opts.flow}.cases.yaml beside its flow file`,
    );
  }
  return runCases(project, files);
}

/**
 * Runs one flow's cases in an already loaded project (the server's), on its live definition or
 * on `draft` (a compiled edit of the same file), with the same sandbox as `baton eval`. A flow
 * without a cases file has no cases to run.
 */
export async function evalFlow(project: Project, flowId: string, draft?: CompiledFlow): Promise<EvalReport> {
  if (!project.flows.has(flowId)) throw new BatonError('not_found', `flow ${flowId} does not exist`);
  const target = draft ? { ...project, flows: new Map(project.flows).set(flowId, draft) } : project;
  return runCases(target, loadProjectCases(target, flowId));
}

async function runCases(project: Project, files: CasesFile[]): Promise<EvalReport> {
  const report: EvalReport = { cases: [], passed: 0, failed: 0 };
  for (const f of files) {
    for (const c of f.cases) {
      let failures: string[];
      try {
        failures = await runCase(project, f.flow, c);
      } catch (e) {
        failures = [`the case could not run: ${errorMessage(e)}`];
      }
      const passed = failures.length === 0;
      report.cases.push({
        flow: f.flow,
        mode: project.flows.get(f.flow)!.def.mode,
        name: c.name,
        passed,
        failures,
      });
      if (passed) report.passed++;
      else report.failed++;
    }
  }
  return report;
}

/** The report as a table: one row per case, each failure under its case, then a summary line. */
export function formatEvalReport(report: EvalReport): string {
  if (report.cases.length === 0) {
    return 'No eval cases found: write them in flows/NAME.cases.yaml beside each flow.\n';
  }
  const flowW = Math.max(4, ...report.cases.map((c) => c.flow.length));
  const nameW = Math.max(4, ...report.cases.map((c) => c.name.length));
  const row = (flow: string, name: string, result: string): string =>
    `${flow.padEnd(flowW)}  ${name.padEnd(nameW)}  ${result}`.trimEnd();
  const lines = [row('FLOW', 'CASE', 'RESULT')];
  for (const c of report.cases) {
    lines.push(row(c.flow, c.name, c.passed ? 'pass' : 'FAIL'));
    for (const f of c.failures) lines.push(`${' '.repeat(flowW + 2)}  - ${f}`);
  }
  const flows = new Set(report.cases.map((c) => c.flow)).size;
  const total = report.cases.length;
  const shadow = [...new Set(report.cases.filter((c) => c.mode === 'shadow').map((c) => c.flow))];
  if (shadow.length > 0)
    lines.push(
      '',
      `${shadow.join(', ')} ${shadow.length === 1 ? 'is a shadow flow' : 'are shadow flows'}: ` +
        'its cases judge the decision, run as the flow would act once promoted to auto',
    );
  lines.push(
    '',
    `${total} case${total === 1 ? '' : 's'} in ${flows} flow${flows === 1 ? '' : 's'}: ${report.passed} passed, ${report.failed} failed`,
  );
  return `${lines.join('\n')}\n`;
}
