import { readFileSync, writeFileSync } from 'node:fs';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { parse } from 'yaml';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { BatonError } from '../core/errors.ts';
import { loadProject } from '../project/load.ts';
import { EXAMPLES, tempProject } from '../../test/support/project.ts';
import { casesJsonSchema, checkCasesText, loadProjectCases } from './cases.ts';
import { runEval } from './run.ts';

let cleanup: (() => void) | undefined;
afterEach(() => {
  cleanup?.();
  cleanup = undefined;
});

async function leadFlow() {
  const p = tempProject();
  cleanup = p.cleanup;
  const project = await loadProject(p.dir);
  return { project, flow: project.flows.get('lead-to-owner')!, dir: p.dir };
}

const problems = (text: string, flow: Parameters<typeof checkCasesText>[2]) =>
  checkCasesText(text, 'lead-to-owner.cases.yaml', flow).errors.map(
    (e) => `${e.line}:${e.column} ${e.path}: ${e.message}`,
  );

describe('eval cases files', () => {
  it('parses a list of cases with their lines', async () => {
    const { flow } = await leadFlow();
    const r = checkCasesText(
      [
        '- name: a',
        '  input: { id: L1, company: Acme, email: jo@acme.com }',
        '  expect: { owner: user:kim }',
        '',
        '- name: b',
        '  input: { id: L2, company: Big, email: x@big.io, amount: 90000 }',
        '  context: { account: null }',
        '  expect:',
        '    approvals: [{ action: quote, levels: 1 }]',
        '    escalation: { reason: contract_unmet, missing: [input.email] }',
      ].join('\n'),
      'x.cases.yaml',
      flow,
    );
    expect(r.errors).toEqual([]);
    expect(r.cases?.map((c) => [c.name, c.line])).toEqual([
      ['a', 1],
      ['b', 5],
    ]);
    expect(r.cases?.[1]?.context).toEqual({ account: null });
  });

  it('reports schema problems with file, line and field', async () => {
    const { flow } = await leadFlow();
    const text = [
      '- name: one',
      '  input: { id: L1, company: Acme, email: jo@acme.com }',
      '  expect:',
      '    owner: kim',
      '    state: done',
      '    colour: red',
      '- name: two',
      '  input: { id: L2, company: A, email: a@b.c }',
      '  expect: {}',
      '- input: { id: L3 }',
      '  expect: { escalation: maybe }',
    ].join('\n');
    expect(problems(text, flow)).toEqual([
      '4:12 [0].expect.owner: an owner like user:dana, team:sales, role:cfo',
      expect.stringMatching(/^5:12 \[0\]\.expect\.state: expected one of "received", /),
      '6:5 [0].expect.colour: unknown field "colour"',
      '9:3 [1].expect: name at least one of owner, state, rule, actions, approvals, escalation',
      '10:3 [2].name: missing required field (string)',
      '11:25 [2].expect.escalation: expected false, true, {reason, to, missing} or a reason: low_confidence, approval_timeout, sla_breach, action_failed, cost_cap, contract_unmet, invalid_model_answer, no_rule, approval_unreachable, requester_unknown, approval_rejected',
    ]);
  });

  it('checks cases against the flow: input schema, context, actions, approvals, rules', async () => {
    const { flow } = await leadFlow();
    const text = [
      '- name: one',
      '  input: { id: L1, company: Acme, email: jo@acme.com, amount: lots }',
      '  context: { acount: {} }',
      '  expect:',
      '    actions: [task, { id: teleport }]',
      '    approvals: [{ action: task }, { action: quote, levels: 2, approvers: [[role:cfo]] }]',
      '    rule: nope',
      '- name: one',
      '  input: { id: L2, email: a@b.c }',
      '  expect: { state: handed_off }',
    ].join('\n');
    expect(problems(text, flow)).toEqual([
      '2:63 [0].input.amount: must be number',
      `3:14 [0].context.acount: unknown context "acount": the flow's context is account`,
      `5:27 [0].expect.actions[1].id: unknown action "teleport": the flow's actions are task, quote, tell`,
      '6:27 [0].expect.approvals[0].action: action "task" has no approval policy in the flow',
      '6:63 [0].expect.approvals[1].approvers: lists 1 level(s) of approvers but levels is 2',
      `7:11 [0].expect.rule: unknown rule "nope": the flow's rules are existing account, enterprise, smb, otherwise`,
      '8:9 [1].name: duplicate case name "one" (also case 1)',
      '9:3 [1].input.company: is required',
    ]);
  });

  it('reports YAML syntax errors and a file that is not a list', async () => {
    const { flow } = await leadFlow();
    expect(problems('- name: a\n  input: {id: 1\n', flow)[0]).toMatch(/^3:1 : YAML: /);
    expect(problems('name: a\n', flow)).toEqual([
      '1:1 : a cases file is a YAML list of cases: - { name: …, input: …, expect: … }',
    ]);
    expect(checkCasesText('', 'x.cases.yaml', flow)).toEqual({ cases: [], errors: [] });
  });

  it('finds the flow of a cases file by file name, else by flow id; an orphan is an error', async () => {
    const { project, dir } = await leadFlow();
    const files = loadProjectCases(project);
    expect(files.map((f) => [path.basename(f.file), f.flow])).toEqual([
      ['invoice-approval.cases.yaml', 'invoice-approval'],
      ['lead-to-owner.cases.yaml', 'lead-to-owner'],
      ['support-escalation.cases.yaml', 'support-escalation'],
    ]);
    expect(loadProjectCases(project, 'invoice-approval').map((f) => f.flow)).toEqual(['invoice-approval']);

    writeFileSync(path.join(dir, 'flows', 'nothing.cases.yaml'), '[]\n');
    let err: BatonError | undefined;
    try {
      loadProjectCases(project);
    } catch (e) {
      err = e as BatonError;
    }
    expect(err?.code).toBe('flow_invalid');
    expect(err?.details).toEqual([
      {
        file: path.join(dir, 'flows', 'nothing.cases.yaml'),
        line: 1,
        column: 1,
        path: '',
        message:
          'no flow for these cases: expected nothing.yaml or nothing.flow.ts beside it, or a flow with id "nothing"',
      },
    ]);
  });

  it('runEval refuses a bad cases file with every problem, file and line', async () => {
    const { dir } = await leadFlow();
    const file = path.join(dir, 'flows', 'invoice-approval.cases.yaml');
    writeFileSync(file, '- name: x\n  input: { id: I }\n  expect: { owner: team:finance }\n');
    await expect(runEval(dir)).rejects.toMatchObject({
      code: 'flow_invalid',
      message: expect.stringContaining(`${file}:2:3 [0].input.vendor: is required`),
    });
  });

  it('publishes a JSON Schema that accepts the examples and rejects unknown fields', () => {
    const validate = new Ajv2020({ strict: false }).compile(casesJsonSchema());
    for (const name of ['lead-to-owner', 'support-escalation', 'invoice-approval']) {
      const data: unknown = parse(readFileSync(path.join(EXAMPLES, 'flows', `${name}.cases.yaml`), 'utf8'));
      validate(data);
      expect(validate.errors ?? []).toEqual([]);
    }
    expect(validate([{ name: 'x', input: {}, expect: { colour: 'red' } }])).toBe(false);
  });
});
