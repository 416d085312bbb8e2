import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { afterAll, describe, expect, it } from 'vitest';
import { BatonError, type ErrorDetail } from '../core/errors.ts';
import type { CelVars } from './compiled.ts';
import { flowJsonSchema } from './json-schema.ts';
import { checkFlowText, loadFlowFile, loadFlowsDir, parseFlow } from './load.ts';
import { parse as parseYaml } from 'yaml';

const FLOW = `id: lead-to-owner
name: Qualified lead to account owner
boundary: { from: team:marketing, to: team:sales }
trigger: { webhook: {} }
input:
  type: object
  required: [id, company, email]
  properties:
    id: { type: string }
    company: { type: string }
    email: { type: string, format: email }
    amount: { type: number }
    seats: { type: integer }
idempotencyKey: input.id
context:
  - { name: account, use: crm.findCompany, with: { domain: "\${input.email.split('@')[1]}" } }
decide:
  rules:
    - { when: "has(context.account) && has(context.account.owner)", owner: "user:\${context.account.owner}" }
    - { when: "input.amount > 5000.0", owner: team:enterprise-sales, actions: [task, crm, tell] }
    - when: input.seats > 100
      owner: team:enterprise-sales
  llm:
    { model: openai:gpt-4.1-mini, instructions: "...", owners: [team:enterprise-sales, team:smb-sales], minConfidence: 0.7 }
  otherwise: { owner: team:sales-ops }
actions:
  - { id: task, use: builtin.create_task, with: { title: "Call \${input.company}", assignee: "\${decision.owner}" } }
  - id: crm
    use: hubspot.update_record
    with: { amount: "\${input.amount}", seats: "\${input.seats}" }
    approval:
      when: "input.amount > 50000.0"
      levels: [ { approvers: [role:sales-manager], quorum: 1 }, { when: "input.amount > 250000.0", approvers: [role:cro] } ]
      timeout: 4h
      onTimeout: escalate
      onReject: stop
    rollback: hubspot.restore_record
  - { id: tell, use: slack.notify_owner, with: { text: "New lead \${input.company}" } }
mode: auto
contract: { required: [input.company, input.email, decision.owner] }
requester: input.submittedBy
handoff:
  to: "\${decision.owner}"
  acceptWithin: 15m
  fallbackOwner: team:sales-ops
  escalate:
    [ { after: 15m, remind: owner }, { after: 30m, to: team:sales-ops }, { after: 2h, to: manager } ]
guardrails: { costCap: { perHandoff: 0.05, perDay: 20 }, maxActions: 10 }
`;

/** The error `fn` throws (fails the test when it throws nothing). */
function thrown(fn: () => unknown): unknown {
  try {
    fn();
  } catch (e) {
    return e;
  }
  throw new Error('expected an error');
}

/** 1-based line of the first line containing `needle`. */
function lineOf(text: string, needle: string, from = 0): number {
  const i = text.indexOf(needle, from);
  if (i < 0) throw new Error(`not in text: ${needle}`);
  return text.slice(0, i).split('\n').length;
}

function errorsOf(text: string): ErrorDetail[] {
  const r = checkFlowText(text, 'flows/lead.yaml');
  expect(r.flow).toBeUndefined();
  return r.errors;
}

function only(text: string): ErrorDetail {
  const errs = errorsOf(text);
  expect(errs.map((e) => `${e.path}: ${e.message}`)).toEqual([expect.any(String)]);
  return errs[0]!;
}

const vars = (input: Record<string, unknown>, decision: Record<string, unknown> = {}): CelVars => ({
  input,
  context: {},
  decision,
  handoff: { id: 'h1', flow: 'lead-to-owner' },
});

describe('parseFlow: a valid flow', () => {
  const flow = parseFlow(FLOW, 'flows/lead.yaml');

  it('compiles every part', () => {
    expect(flow.def.id).toBe('lead-to-owner');
    expect(flow.file).toBe('flows/lead.yaml');
    expect(flow.source).toBe(FLOW);
    expect(flow.version).toMatch(/^[0-9a-f]{64}$/);
    expect(flow.rules).toHaveLength(3);
    expect(flow.rules[1]!.actions).toEqual(['task', 'crm', 'tell']);
    expect(flow.rules[0]!.when.paths).toEqual(['context.account.owner']);
    expect(flow.actions.map((a) => a.def.id)).toEqual(['task', 'crm', 'tell']);
    const crm = flow.actions[1]!;
    expect(crm.approval?.timeoutMs).toBe(4 * 3600_000);
    expect(crm.approval?.levels[1]?.when?.source).toBe('input.amount > 250000.0');
    expect(crm.approval?.version).toMatch(/^[0-9a-f]{64}$/);
    expect(crm.rollback).toEqual({ use: 'hubspot.restore_record' });
    expect(crm.retry).toEqual({ attempts: 3, backoffMs: 1000 });
    expect(flow.acceptWithinMs).toBe(15 * 60_000);
    expect(flow.fallbackOwner).toBe('team:sales-ops');
    expect(flow.ladder).toEqual([
      { afterMs: 15 * 60_000, remind: 'owner', to: undefined },
      { afterMs: 30 * 60_000, remind: undefined, to: 'team:sales-ops' },
      { afterMs: 2 * 3600_000, remind: undefined, to: 'manager' },
    ]);
    // No `trust:` in the flow: the context source's own declared trust applies when it runs.
    expect(flow.context[0]!.trust).toBeUndefined();
    expect(flow.contract).toEqual(['input.company', 'input.email', 'decision.owner']);
  });

  it('evaluates rules, owners and parameters', () => {
    const input = flow.celInput({ id: 'L1', company: 'Acme', email: 'a@acme.com', amount: 9000, seats: 120 });
    const v = { ...vars({}), input };
    expect(flow.rules[0]!.when.eval(v)).toBe(false);
    expect(flow.rules[1]!.when.eval(v)).toBe(true);
    expect(flow.rules[2]!.when.eval(v)).toBe(true);
    expect(flow.rules[1]!.owner.render(v)).toBe('team:enterprise-sales');
    const withCtx = { ...v, context: { account: { owner: 'dana' } } };
    expect(flow.rules[0]!.when.eval(withCtx)).toBe(true);
    expect(flow.rules[0]!.owner.render(withCtx)).toBe('user:dana');
    expect(flow.context[0]!.with.render(v)).toEqual({ domain: 'acme.com' });
    const d = { ...v, decision: { owner: 'team:enterprise-sales' } };
    expect(flow.actions[0]!.with.render(d)).toEqual({
      title: 'Call Acme',
      assignee: 'team:enterprise-sales',
    });
    expect(flow.actions[1]!.with.render(d)).toEqual({ amount: 9000, seats: 120 });
    expect(flow.handoffTo.render(d)).toBe('team:enterprise-sales');
    expect(flow.idempotencyKey?.eval(v)).toBe('L1');
    expect(flow.requester?.eval({ ...v, input: { ...(input as object), submittedBy: 'sam' } })).toBe('sam');
  });

  it('validates intake payloads with paths like input.amount', () => {
    expect(flow.validateInput({ id: 'L1', company: 'Acme', email: 'a@acme.com' })).toEqual([]);
    const errs = flow.validateInput({ id: 'L1', email: 'not-an-email', amount: 'lots', seats: 1.5 });
    expect(errs).toEqual(
      expect.arrayContaining([
        { path: 'input.company', message: 'is required' },
        { path: 'input.email', message: 'must match format "email"' },
        { path: 'input.amount', message: 'must be number' },
        { path: 'input.seats', message: 'must be integer' },
      ]),
    );
    expect(flow.validateInput('x')).toEqual([{ path: 'input', message: 'must be object' }]);
  });

  it('finds contract paths that are absent, null or empty', () => {
    expect(flow.missingContract(vars({ company: 'Acme', email: 'a@b.c' }, { owner: 'team:x' }))).toEqual([]);
    expect(flow.missingContract(vars({ company: '', email: null }, {}))).toEqual([
      'input.company',
      'input.email',
      'decision.owner',
    ]);
    expect(
      flow.missingContract({
        ...vars({}),
        input: new Map([
          ['company', 'A'],
          ['email', 'e'],
        ]),
        decision: { owner: 'x' },
      }),
    ).toEqual([]);
  });

  it('hashes the defaulted definition, not the text', () => {
    const same = parseFlow(`# a comment\n${FLOW.replace('mode: auto\n', '')}`, 'other.yaml');
    expect(same.version).toBe(flow.version);
    const changed = parseFlow(FLOW.replace('acceptWithin: 15m', 'acceptWithin: 20m'), 'flows/lead.yaml');
    expect(changed.version).not.toBe(flow.version);
  });
});

describe('parseFlow: errors name file, line, column and field', () => {
  it('YAML syntax errors', () => {
    const text = FLOW.replace('mode: auto', 'mode: [auto');
    const e = errorsOf(text)[0]!;
    expect(e.file).toBe('flows/lead.yaml');
    expect(e.message).toMatch(/^YAML: /);
    expect(e.line).toBeGreaterThanOrEqual(lineOf(text, 'mode: [auto'));
  });

  it('a missing field at the line of its parent', () => {
    const text = FLOW.replace(
      '  otherwise: { owner: team:sales-ops }\n',
      '  otherwise: { actions: [task] }\n',
    );
    const e = only(text);
    expect(e).toMatchObject({
      path: 'decide.otherwise.owner',
      line: lineOf(text, '  otherwise:'),
      column: 3,
    });
    expect(e.message).toMatch(/missing required field/);
  });

  it('a missing top-level field', () => {
    const e = only(FLOW.replace('name: Qualified lead to account owner\n', ''));
    expect(e).toMatchObject({ path: 'name', line: 1 });
  });

  it('a field of the wrong type', () => {
    const text = FLOW.replace('maxActions: 10', 'maxActions: lots');
    const e = only(text);
    expect(e).toMatchObject({ path: 'guardrails.maxActions', line: lineOf(text, 'maxActions: lots') });
    expect(e.message).toMatch(/expected (int|number)/);
  });

  const EMAIL = (map: string) =>
    FLOW.replace(
      'trigger: { webhook: {} }',
      `trigger:\n  email:\n    to: [leads@example.com]\n    map:\n${map}`,
    );

  it("a trigger's map: an input field the schema does not declare, at its line", () => {
    const text = EMAIL(
      '      id: mail.messageId\n      company: mail.subject\n      email: mail.from.address\n      compny: mail.text\n',
    );
    const e = only(text);
    expect(e).toMatchObject({ path: 'trigger.email.map.compny', line: lineOf(text, 'compny: mail.text') });
    expect(e.message).toMatch(/the input schema has no field "compny"/);
  });

  it("a trigger's map: a required field left unmapped, a CEL error, a type that cannot fit", () => {
    const missing = only(EMAIL('      id: mail.messageId\n      company: mail.subject\n'));
    expect(missing).toMatchObject({ path: 'trigger.email.map' });
    expect(missing.message).toMatch(/requires "email": map it/);

    const bad = EMAIL(
      '      id: mail.messageId\n      company: mail.subject +\n      email: mail.from.address\n',
    );
    expect(only(bad)).toMatchObject({
      path: 'trigger.email.map.company',
      line: lineOf(bad, 'company: mail.subject +'),
    });

    const typed = EMAIL(
      '      id: mail.messageId\n      company: mail.subject\n      email: mail.from.address\n      seats: \'"many"\'\n',
    );
    const t = only(typed);
    expect(t).toMatchObject({ path: 'trigger.email.map.seats' });
    expect(t.message).toMatch(/yields string, but input.seats is integer/);
  });

  it('text from outside cannot fill a field declared trusted', () => {
    const text = EMAIL(
      '      id: mail.messageId\n      company: mail.subject\n      email: mail.from.address\n',
    ).replace('    company: { type: string }', '    company: { type: string, x-trust: trusted }');
    const e = only(text);
    expect(e).toMatchObject({ path: 'trigger.email.map.company' });
    expect(e.message).toMatch(/reads text from outside \(mail.subject\)/);
  });

  it('email needs a source, Slack a channel id, a schedule a key for its rows', () => {
    const noSource = FLOW.replace(
      'trigger: { webhook: {} }',
      'trigger:\n  email: { map: { id: mail.messageId } }',
    );
    expect(
      errorsOf(noSource)
        .map((e) => e.message)
        .join('\n'),
    ).toMatch(/say where mail comes from/);
    const channel = FLOW.replace(
      'trigger: { webhook: {} }',
      'trigger:\n  slack: { channels: [general], map: { id: slack.ts } }',
    );
    expect(errorsOf(channel)[0]).toMatchObject({ path: 'trigger.slack.channels[0]' });
    const sweep = FLOW.replace(
      'trigger: { webhook: {} }',
      'trigger:\n  schedule: { cron: "0 * * * *", query: { use: crm.findCompany } }',
    );
    expect(errorsOf(sweep).map((e) => e.path)).toContain('trigger.schedule.query.key');
  });

  it('a schedule names a wrong cron or an unknown time zone at its field and line', () => {
    const cron = FLOW.replace(
      'trigger: { webhook: {} }',
      'trigger:\n  schedule:\n    cron: "*/15 * * *"\n    map: { id: slot.at }',
    );
    const c = errorsOf(cron).find((e) => e.path === 'trigger.schedule.cron');
    expect(c).toMatchObject({ line: lineOf(cron, 'cron:') });
    expect(c!.message).toMatch(/^cron: 5 or 6 fields expected/);
    const tz = FLOW.replace(
      'trigger: { webhook: {} }',
      'trigger:\n  schedule:\n    cron: "0 * * * *"\n    timezone: Europe/Pariss\n    map: { id: slot.at }',
    );
    const t = errorsOf(tz).find((e) => e.path === 'trigger.schedule.timezone');
    expect(t).toMatchObject({ line: lineOf(tz, 'timezone:') });
    expect(t!.message).toMatch(/^timezone: unknown time zone Europe\/Pariss/);
  });

  it('an unknown field, at its key', () => {
    const text = FLOW.replace('    rollback: hubspot.restore_record', '    rollbak: hubspot.restore_record');
    const e = only(text);
    expect(e).toMatchObject({ path: 'actions[1].rollbak', line: lineOf(text, 'rollbak'), column: 5 });
    expect(e.message).toBe('unknown field "rollbak"');
  });

  it('bad CEL syntax, pointing into the expression', () => {
    const text = FLOW.replace('when: input.seats > 100', 'when: input.seats > > 100');
    const e = only(text);
    const line = lineOf(text, 'when: input.seats > > 100');
    expect(e).toMatchObject({ path: 'decide.rules[2].when', line });
    expect(e.message).toMatch(/^CEL: syntax error/);
    const col = text.split('\n')[line - 1]!.indexOf('> > 100') + 3; // the second ">"
    expect(e.column).toBe(col);
  });

  it('CEL type errors', () => {
    const text = FLOW.replace('"input.amount > 5000.0"', '"input.amount > \\"x\\""');
    const e = only(text);
    expect(e).toMatchObject({ path: 'decide.rules[1].when', line: lineOf(text, 'input.amount > \\"x\\"') });
    expect(e.message).toMatch(/no such overload: double > string/);
  });

  it('a condition that is not a bool', () => {
    const e = only(FLOW.replace('when: input.seats > 100', 'when: input.seats'));
    expect(e.path).toBe('decide.rules[2].when');
    expect(e.message).toMatch(/must be a condition/);
  });

  it('bad CEL inside templates and params', () => {
    const text = FLOW.replace('title: "Call ${input.company}"', 'title: "Call ${input.company +}"');
    const e = only(text);
    expect(e).toMatchObject({ path: 'actions[0].with.title', line: lineOf(text, 'Call ${input.company +}') });
  });

  it('unknown action ids in rules, otherwise and llm', () => {
    const text = FLOW.replace('actions: [task, crm, tell]', 'actions: [task, crn, tell]')
      .replace(
        'otherwise: { owner: team:sales-ops }',
        'otherwise: { owner: team:sales-ops, actions: [nope] }',
      )
      .replace('minConfidence: 0.7 }', 'minConfidence: 0.7, actions: [zap] }');
    const errs = errorsOf(text);
    expect(errs.map((e) => [e.path, e.line])).toEqual([
      ['decide.rules[1].actions[1]', lineOf(text, 'crn')],
      ['decide.llm.actions[0]', lineOf(text, '[zap]')],
      ['decide.otherwise.actions[0]', lineOf(text, '[nope]')],
    ]);
    expect(errs[0]!.message).toBe(`unknown action "crn": the flow's actions are task, crm, tell`);
  });

  it('a bad duration', () => {
    const text = FLOW.replace('acceptWithin: 15m', 'acceptWithin: 15 minutes');
    const e = only(text);
    expect(e).toMatchObject({ path: 'handoff.acceptWithin', line: lineOf(text, 'acceptWithin') });
    expect(e.message).toMatch(/duration/);
  });

  it('bad owners: literal, templated and in approvers', () => {
    const text = FLOW.replace('owner: team:enterprise-sales, actions', 'owner: sales, actions')
      .replace('owner: "user:${context.account.owner}"', 'owner: "boss ${context.account.owner}"')
      .replace('approvers: [role:cro]', 'approvers: [cro]');
    const errs = errorsOf(text);
    expect(errs.map((e) => e.path)).toEqual([
      'decide.rules[0].owner',
      'decide.rules[1].owner',
      'actions[1].approval.levels[1].approvers[0]',
    ]);
    expect(errs[1]!.message).toMatch(/"sales" is not an owner/);
    expect(errs[2]!.line).toBe(lineOf(text, '[cro]'));
  });

  it('bad CEL in an owner template', () => {
    const e = only(
      FLOW.replace('owner: "user:${context.account.owner}"', 'owner: "user:${context.account.}"'),
    );
    expect(e.path).toBe('decide.rules[0].owner');
    expect(e.message).toMatch(/^CEL: /);
  });

  it('duplicate action ids and context names', () => {
    const text = FLOW.replace('{ id: tell,', '{ id: task,').replace(
      'context:\n',
      'context:\n  - { name: account, use: crm.other }\n',
    );
    const errs = errorsOf(text);
    expect(errs.map((e) => [e.path, e.message])).toEqual([
      ['context[1].name', 'duplicate context name "account" (also context[0])'],
      ['decide.rules[1].actions[2]', `unknown action "tell": the flow's actions are task, crm`],
      ['actions[2].id', 'duplicate action id "task" (also actions[0])'],
    ]);
  });

  it('contract paths', () => {
    const text = FLOW.replace(
      'required: [input.company, input.email, decision.owner]',
      'required: [company, input.nope, decision.owner]',
    );
    const errs = errorsOf(text.replace('  properties:\n', '  additionalProperties: false\n  properties:\n'));
    expect(errs.map((e) => e.path)).toEqual(['contract.required[0]', 'contract.required[1]', 'requester']);
    expect(errs[0]!.message).toMatch(/not a contract path/);
    expect(errs[1]!.message).toMatch(/No such key: nope/);
  });

  it('collects many errors of different kinds at once, sorted by line', () => {
    const text = FLOW.replace('id: lead-to-owner', 'id: Lead To Owner')
      .replace('when: input.seats > 100', 'when: input.seats > "a"')
      .replace('timeout: 4h', 'timeout: soon')
      .replace('mode: auto', 'mode: yolo');
    const errs = errorsOf(text);
    expect(errs.map((e) => e.path)).toEqual([
      'id',
      'decide.rules[2].when',
      'actions[1].approval.timeout',
      'mode',
    ]);
    const lines = errs.map((e) => e.line!);
    expect([...lines].sort((a, b) => a - b)).toEqual(lines);
    expect(errs[3]!.message).toMatch(/expected one of "shadow", "suggest", "auto"/);
  });

  it('an invalid input JSON Schema', () => {
    const e = only(FLOW.replace('seats: { type: integer }', 'seats: { type: integr }'));
    expect(e.path).toBe('input');
    expect(e.message).toMatch(/not a valid JSON Schema/);
  });

  it('a file that is not a mapping', () => {
    expect(only('- a\n- b\n').message).toMatch(/must be a YAML mapping/);
  });

  it('throws BatonError flow_invalid listing every problem', () => {
    const e = thrown(() =>
      parseFlow(
        FLOW.replace('mode: auto', 'mode: yolo').replace('acceptWithin: 15m', 'acceptWithin: x'),
        'f.yaml',
      ),
    );
    expect(e).toBeInstanceOf(BatonError);
    const b = e as BatonError;
    expect(b.code).toBe('flow_invalid');
    expect(b.details).toHaveLength(2);
    expect(b.message).toMatch(/2 problems/);
    expect(b.message).toMatch(/f\.yaml:\d+:\d+ mode: /);
  });
});

describe('loadFlowsDir', () => {
  const dir = mkdtempSync(join(tmpdir(), 'baton-flows-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('loads *.yaml and *.yml but not *.cases.yaml, and reports duplicates and errors of every file', async () => {
    writeFileSync(join(dir, 'lead.yaml'), FLOW);
    writeFileSync(join(dir, 'lead.cases.yaml'), 'this: [is not a flow\n');
    writeFileSync(join(dir, 'other.yml'), FLOW.replace('id: lead-to-owner', 'id: other'));
    writeFileSync(join(dir, 'notes.txt'), 'hello');
    const flows = await loadFlowsDir(dir);
    expect([...flows.keys()].sort()).toEqual(['lead-to-owner', 'other']);
    expect((await loadFlowFile(join(dir, 'lead.yaml'))).version).toBe(flows.get('lead-to-owner')!.version);

    writeFileSync(join(dir, 'twin.yaml'), FLOW);
    writeFileSync(join(dir, 'broken.yaml'), FLOW.replace('mode: auto', 'mode: yolo'));
    const b = (await loadFlowsDir(dir).catch((e: unknown) => e)) as BatonError;
    expect(b.code).toBe('flow_invalid');
    expect(b.details.map((d) => [d.file, d.path])).toEqual([
      [join(dir, 'broken.yaml'), 'mode'],
      [join(dir, 'twin.yaml'), 'id'],
    ]);
    expect(b.details[1]!.message).toMatch(/duplicate flow id "lead-to-owner"/);
    expect(b.details[1]!.line).toBe(1);
  });

  it('a missing folder has no flows; a missing file is not_found', async () => {
    expect((await loadFlowsDir(join(dir, 'nope'))).size).toBe(0);
    await expect(loadFlowFile(join(dir, 'nope.yaml'))).rejects.toThrow(/does not exist/);
    await expect(loadFlowFile(join(dir, 'nope.flow.ts'))).rejects.toThrow(/does not exist/);
  });
});

describe('flowJsonSchema', () => {
  it('is draft 2020-12 with an id and title, and accepts a valid flow', () => {
    const schema = flowJsonSchema();
    expect(schema['$schema']).toBe('https://json-schema.org/draft/2020-12/schema');
    expect(schema['$id']).toMatch(/^https:\/\//);
    expect(schema['title']).toBe('Baton flow');
    const ajv = new Ajv2020({ strict: false });
    const validate = ajv.compile(schema);
    expect(validate(parseYaml(FLOW))).toBe(true);
    expect(validate({ ...(parseYaml(FLOW) as object), bogus: 1 })).toBe(false);
  });

  it("with the project's actions, checks each `with:` against that action's parameters", async () => {
    const { useSchemas } = await import('../actions/schemas.ts');
    const { Registry } = await import('../actions/registry.ts');
    const { Tables } = await import('../actions/tables.ts');
    const schema = flowJsonSchema(useSchemas(new Registry(new Tables(new Map()))));
    const validate = new Ajv2020({ strict: false }).compile(schema);
    const flow = (w: Record<string, unknown>) => ({
      ...(parseYaml(FLOW) as object),
      actions: [{ id: 't', use: 'builtin.create_task', with: w }],
    });
    expect(validate(flow({ title: 'Call ${input.company}' }))).toBe(true);
    // A required parameter missing, and a wrong type that is no template, are caught.
    expect(validate(flow({ assignee: 'kim' }))).toBe(false);
    expect(validate(flow({ title: 7 }))).toBe(false);
    expect(validate(flow({ title: 'x', assignee: '${decision.owner}' }))).toBe(true);
  });
});

describe('params in approval conditions', () => {
  const flow = (rule: string, level: string) => `id: pay
name: Pay
boundary: { from: team:ops, to: team:finance }
input: { type: object, properties: { amount: { type: number } } }
decide:
  rules: [ { when: "${rule}", owner: team:finance } ]
  otherwise: { owner: team:finance }
actions:
  - id: t
    use: builtin.create_task
    with: { title: x }
    approval: { levels: [ { approvers: [role:cfo], when: "${level}" } ] }
`;

  it('approval conditions may read the action parameters; other expressions may not', () => {
    const ok = checkFlowText(flow('input.amount > 1.0', "params.title == 'x'"), 'flows/pay.yaml');
    expect(ok.errors).toEqual([]);
    const level = ok.flow!.actions[0]!.approval!.levels[0]!.when!;
    const v = { input: {}, context: {}, decision: {}, handoff: { id: 'h', flow: 'pay' } };
    expect(level.eval({ ...v, params: { title: 'x' } })).toBe(true);
    expect(level.eval({ ...v, params: { title: 'y' } })).toBe(false);
    const bad = only(flow("params.title == 'x'", 'true'));
    expect(bad.path).toBe('decide.rules[0].when');
    expect(bad.message).toMatch(/params/);
  });
});
