import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { EXAMPLES, tempProject } from '../../test/support/project.ts';
import { formatEvalReport, runEval } from './run.ts';

let cleanup: Array<() => void | Promise<void>> = [];
afterEach(async () => {
  for (const c of cleanup.reverse()) await c();
  cleanup = [];
});

function project(files: Record<string, string> = {}) {
  const p = tempProject(files);
  cleanup.push(p.cleanup);
  return p.dir;
}

describe('runEval', () => {
  it("passes every example flow's cases", async () => {
    const report = await runEval(EXAMPLES);
    expect(report.cases.filter((c) => !c.passed)).toEqual([]);
    expect(report.failed).toBe(0);
    expect(report.passed).toBe(report.cases.length);
    const perFlow = Object.groupBy(report.cases, (c) => c.flow);
    expect(Object.keys(perFlow).sort()).toEqual(['invoice-approval', 'lead-to-owner', 'support-escalation']);
    for (const cases of Object.values(perFlow)) expect(cases!.length).toBeGreaterThanOrEqual(5);
    expect(existsSync(path.join(EXAMPLES, 'data'))).toBe(false);
  });

  it("judges a shadow flow's decision: its cases run as the flow would act once promoted", async () => {
    const shadow = readFileSync(path.join(EXAMPLES, 'flows/lead-to-owner.yaml'), 'utf8').replace(
      /^mode: auto.*$/m,
      'mode: shadow',
    );
    expect(shadow).toContain('\nmode: shadow\n');
    const dir = project({ 'flows/lead-to-owner.yaml': shadow });
    const report = await runEval(dir, { flow: 'lead-to-owner' });
    // The same cases as for auto mode (state: handed_off, actions, approvals) pass.
    expect(report.cases.filter((c) => !c.passed)).toEqual([]);
    expect(report.cases.length).toBeGreaterThanOrEqual(5);
    expect(report.cases.every((c) => c.mode === 'shadow')).toBe(true);
    expect(formatEvalReport(report)).toContain(
      'lead-to-owner is a shadow flow: its cases judge the decision, run as the flow would act once promoted to auto',
    );

    writeFileSync(
      path.join(dir, 'flows/lead-to-owner.cases.yaml'),
      `- name: wrong owner
  input: { id: L1, company: Acme, email: jo@acme.com }
  expect: { owner: team:smb-sales, state: handed_off }
`,
    );
    const wrong = await runEval(dir, { flow: 'lead-to-owner' });
    expect(wrong.cases[0]!.failures).toEqual(['owner: expected team:smb-sales, got user:kim']);
  });

  it('runs only the named flow, and says when a flow is unknown or has no cases', async () => {
    const report = await runEval(EXAMPLES, { flow: 'invoice-approval' });
    expect(new Set(report.cases.map((c) => c.flow))).toEqual(new Set(['invoice-approval']));
    await expect(runEval(EXAMPLES, { flow: 'nope' })).rejects.toMatchObject({
      code: 'not_found',
      message: expect.stringContaining('flow nope does not exist'),
    });
    const dir = project();
    writeFileSync(path.join(dir, 'flows', 'invoice-approval.cases.yaml'), '');
    await expect(runEval(dir, { flow: 'invoice-approval' })).rejects.toMatchObject({
      code: 'not_found',
      message: expect.stringContaining('flow invoice-approval has no eval cases'),
    });
  });

  it('fails a case whose expectations are wrong, saying what was expected and what came', async () => {
    const dir = project({
      'flows/lead-to-owner.cases.yaml': `
- name: wrong about everything
  input: { id: L1, company: Acme, email: jo@acme.com }
  expect:
    owner: team:smb-sales
    state: accepted
    rule: smb
    actions: [task, quote, { id: tell, params: { text: 'Hello' } }]
    approvals: 1
    escalation: contract_unmet
- name: right
  input: { id: L1, company: Acme, email: jo@acme.com }
  expect: { owner: user:kim }
- name: wrong gate
  input: { id: L9, company: Big, email: x@big.io, amount: 90000 }
  expect:
    approvals: [{ action: quote, levels: 2, approvers: [[role:cfo], [role:sales-manager]] }]
    escalation: false
`,
    });
    const report = await runEval(dir, { flow: 'lead-to-owner' });
    expect(report.passed).toBe(1);
    expect(report.failed).toBe(2);
    expect(report.cases[0]).toEqual({
      flow: 'lead-to-owner',
      mode: 'auto',
      name: 'wrong about everything',
      passed: false,
      failures: [
        'state: expected accepted, got handed_off',
        'owner: expected team:smb-sales, got user:kim',
        'rule: expected "smb", got "existing account"',
        'actions: expected [task, quote, tell], got [task, tell] (missing [quote])',
        'actions.tell.params.text: expected "Hello", got "New lead: Acme"',
        'approvals: expected 1, got 0: none',
        'escalation: expected contract_unmet, got none',
      ],
    });
    expect(report.cases[1]).toMatchObject({ name: 'right', passed: true, failures: [] });
    expect(report.cases[2]?.failures).toEqual([
      'approvals.quote.levels: expected 2, got 1 ([["role:sales-manager"]])',
      'approvals.quote.approvers: expected [["role:cfo"],["role:sales-manager"]], got [["role:sales-manager"]]',
    ]);

    const text = formatEvalReport(report);
    expect(text).toContain('FLOW           CASE                    RESULT');
    expect(text).toMatch(/lead-to-owner {2}wrong about everything {2}FAIL\n {17}- state: expected accepted/);
    expect(text).toMatch(/lead-to-owner {2}right {19}pass\n/);
    expect(text.trimEnd().split('\n').at(-1)).toBe('3 cases in 1 flow: 1 passed, 2 failed');
  });

  it('explains an escalation it did not expect', async () => {
    const dir = project({
      'flows/support-escalation.cases.yaml': `
- name: forgot the contract
  input: { id: T1, severity: sev3, customer: acme }
  expect: { owner: team:eng-tier2, escalation: false }
`,
    });
    const report = await runEval(dir, { flow: 'support-escalation' });
    expect(report.cases[0]?.failures).toEqual([
      'owner: expected team:eng-tier2, got team:support',
      'escalation: expected none, got contract_unmet (to team:support; missing input.summary, input.reproSteps)',
    ]);
  });

  it('has no side effects: external actions are recorded, external context must be recorded', async () => {
    let requests = 0;
    const server: Server = createServer((_req, res) => {
      requests++;
      res.end('{}');
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    cleanup.push(() => new Promise<void>((r) => server.close(() => r())));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`;

    const dir = project();
    const marker = path.join(dir, 'touched');
    mkdirSync(path.join(dir, 'actions'), { recursive: true });
    writeFileSync(
      path.join(dir, 'actions', 'crm.ts'),
      `import { writeFileSync } from 'node:fs';
import { z } from '${import.meta.resolve('zod')}';
const touch = (what: string) => writeFileSync(${JSON.stringify(marker)}, what);
export const find = {
  id: 'crm.find', trust: 'trusted', params: z.object({ domain: z.string() }),
  fetch: () => { touch('find'); return { owner: 'lee' }; },
};
export const update = {
  id: 'crm.update', risk: 'medium', idempotent: false, params: z.object({ company: z.string() }),
  run: async () => { touch('update'); return { ok: true }; },
};
`,
    );
    writeFileSync(
      path.join(dir, 'flows', 'crm-sync.yaml'),
      `id: crm-sync
name: CRM sync
boundary: { from: team:marketing, to: team:sales-ops }
input: { type: object, required: [id, company, email], properties: { id: { type: string, pattern: "^[A-Z0-9]+$" }, company: { type: string, x-trust: trusted }, email: { type: string, format: email } } }
context:
  - { name: table, use: builtin.lookup, with: { table: accounts, where: { domain: "\${input.email.split('@')[1]}" } } }
  - { name: crm, use: crm.find, with: { domain: "\${input.email.split('@')[1]}" } }
  - { name: other, use: builtin.lookup, when: 'context.table == null', with: { table: accounts, where: { domain: acme.com } } }
decide:
  rules:
    - { name: crm owner, when: "context.crm != null && context.table != null", owner: 'user:\${context.crm.owner}' }
    - { name: fallback row, when: "context.other != null", owner: 'user:\${context.other.owner}' }
  otherwise: { owner: team:sales-ops }
actions:
  - { id: push, use: crm.update, with: { company: '\${input.company}' } }
  - { id: hook, use: http.post, with: { url: '${url}', body: { company: '\${input.company}' } } }
`,
    );
    writeFileSync(
      path.join(dir, 'flows', 'crm-sync.cases.yaml'),
      `- name: recorded CRM answer
  input: { id: C1, company: Acme, email: jo@acme.com }
  context: { crm: { owner: lee } }
  expect: { rule: crm owner, owner: user:lee, actions: [push, { id: hook, params: { body: { company: Acme } } }], state: handed_off }
- name: a recorded lookup among two of the same source
  input: { id: C2, company: Newco, email: jo@newco.io }
  context: { crm: null, other: { owner: sam } }
  expect: { rule: fallback row, owner: user:sam }
- name: the CRM answer is not recorded
  input: { id: C3, company: Acme, email: jo@acme.com }
  expect: { owner: user:lee }
`,
    );
    const report = await runEval(dir, { flow: 'crm-sync' });
    expect(report.cases.map((c) => [c.name, c.failures])).toEqual([
      ['recorded CRM answer', []],
      ['a recorded lookup among two of the same source', []],
      [
        'the CRM answer is not recorded',
        [
          'context.crm comes from crm.find, which eval does not call: record its value in the case (context: {crm: …})',
          'owner: expected user:lee, got team:sales-ops',
          expect.stringMatching(/^\(the handoff failed: context crm \(crm\.find\) failed: /),
        ],
      ],
    ]);
    expect(existsSync(marker)).toBe(false);
    expect(requests).toBe(0);
  });
});
