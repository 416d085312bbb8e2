// Flows in TypeScript (`flows/NAME.flow.ts` exporting defineFlow({...})): the same schema and
// checks as YAML, eval cases beside them, and the same content-hash version as the same flow
// written in YAML. The projects live outside Baton's checkout and import 'baton' by name.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from './run.ts';

// flows/expense-approval.yaml of `baton init`, written in TypeScript.
const EXPENSE_TS = `import { defineFlow } from 'baton';

const finance = 'team:finance';

export default defineFlow({
  id: 'expense-approval',
  name: 'Expense claim to finance',
  boundary: { from: 'team:sales', to: finance },
  trigger: { webhook: {} },
  input: {
    type: 'object',
    required: ['id', 'amount', 'purpose', 'submittedBy'],
    properties: {
      id: { type: 'string' },
      amount: { type: 'number', minimum: 0 },
      purpose: { type: 'string' },
      submittedBy: { type: 'string', description: 'A person id from baton.yaml' },
    },
  },
  idempotencyKey: 'input.id',
  decide: { otherwise: { owner: finance } },
  actions: [
    {
      id: 'reimburse',
      use: 'builtin.create_task',
      with: { title: '\${input.submittedBy}'.replace(/^/, 'Reimburse ') + ': \${input.amount} for \${input.purpose}' },
      approval: {
        when: 'input.amount > 1000.0',
        levels: [{ approvers: ['role:finance-approver'], quorum: 1 }],
        timeout: '1d',
        remindBefore: ['4h'],
        onTimeout: 'escalate',
        onReject: 'stop',
      },
    },
  ],
  requester: 'input.submittedBy',
  handoff: { acceptWithin: '1d' },
});
`;

const env = (): NodeJS.ProcessEnv => {
  const e = { ...process.env };
  for (const k of ['BATON_URL', 'BATON_TOKEN', 'BATON_PROJECT', 'BATON_DATABASE_URL', 'BATON_DEBUG'])
    delete e[k];
  return e;
};

let parent: string;
const yamlDir = () => path.join(parent, 'yaml');
const tsDir = () => path.join(parent, 'ts');
const baton = (dir: string, args: string[]) => runCli(args, { cwd: dir, env: env() });
const CLAIM = '{"id":"E2","amount":1500,"purpose":"Conference","submittedBy":"blake"}';

beforeAll(async () => {
  parent = mkdtempSync(path.join(tmpdir(), 'baton-tsflow-'));
  for (const name of ['yaml', 'ts']) {
    const r = await runCli(['init', name], { cwd: parent, env: env() });
    if (r.code !== 0) throw new Error(`baton init failed: ${r.stderr}`);
  }
  rmSync(path.join(tsDir(), 'flows', 'expense-approval.yaml'));
  writeFileSync(path.join(tsDir(), 'flows', 'expense-approval.flow.ts'), EXPENSE_TS);
});
afterAll(() => rmSync(parent, { recursive: true, force: true }));

describe('a flow written in TypeScript', () => {
  it('validates, runs its eval cases, and pins the same version as its YAML twin', async () => {
    const v = await baton(tsDir(), ['validate']);
    expect([v.code, v.stderr]).toEqual([0, '']);
    expect(v.stdout).toContain('2 flows (expense-approval, lead-routing)');
    const e = await baton(tsDir(), ['eval', 'expense-approval']);
    expect([e.code, e.stderr]).toEqual([0, '']);
    expect(e.stdout).toContain('2 cases in 1 flow: 2 passed, 0 failed');

    const versions: string[] = [];
    for (const dir of [yamlDir(), tsDir()]) {
      const sent = await baton(dir, ['send', 'expense-approval', CLAIM, '--json']);
      expect([sent.code, sent.stderr]).toEqual([0, '']);
      const { id } = JSON.parse(sent.stdout) as { id: string };
      const shown = await baton(dir, ['show', id, '--json']);
      const h = JSON.parse(shown.stdout) as { state: string; flowVersion: string };
      expect(h.state).toBe('awaiting_approval');
      versions.push(h.flowVersion);
    }
    expect(versions[1]).toMatch(/^[0-9a-f]{64}$/);
    expect(versions[1]).toBe(versions[0]);
  }, 60_000);

  const broken: Array<[string, string, RegExp]> = [
    [
      'a field of the wrong kind',
      EXPENSE_TS.replace("acceptWithin: '1d'", "acceptWithin: 'soon'"),
      /^flows\/expense-approval\.flow\.ts: handoff\.acceptWithin: /m,
    ],
    [
      'a CEL error',
      EXPENSE_TS.replace("'input.amount > 1000.0'", "'input.amount >>> 1000.0'"),
      /^flows\/expense-approval\.flow\.ts: actions\[0\]\.approval\.when: /m,
    ],
    [
      'a function where data belongs',
      EXPENSE_TS.replace("requester: 'input.submittedBy',", 'requester: () => 1,'),
      /^flows\/expense-approval\.flow\.ts: requester: a function is not JSON: a flow is plain data$/m,
    ],
    [
      'no default export',
      EXPENSE_TS.replace('export default defineFlow(', 'export const flow = defineFlow('),
      /^flows\/expense-approval\.flow\.ts: exports no flow: write `export default defineFlow/m,
    ],
    [
      'a syntax error',
      EXPENSE_TS.replace("idempotencyKey: 'input.id',", "idempotencyKey: 'input.id',,"),
      /^flows\/expense-approval\.flow\.ts:\d+: SyntaxError: /m,
    ],
  ];
  for (const [what, text, expected] of broken) {
    it(`with ${what} is refused naming the file and the field, exit 2`, async () => {
      const file = path.join(tsDir(), 'flows', 'expense-approval.flow.ts');
      writeFileSync(file, text);
      try {
        const v = await baton(tsDir(), ['validate']);
        expect(v.code).toBe(2);
        expect(v.stderr).toMatch(expected);
        expect(v.stderr).not.toMatch(/node:internal|\.ts:\d+:\d+\)$/m);
      } finally {
        writeFileSync(file, EXPENSE_TS);
      }
    }, 30_000);
  }
});
