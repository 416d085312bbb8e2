// A project in any folder (here: a temporary one, outside Baton's checkout, with no node_modules)
// imports `baton` and `zod` by name, and a module that fails to load is named with its file and
// line and the cause, exit 2, with no stack trace.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROOT } from '../support/project.ts';
import { runCli } from './run.ts';

let parent: string;
let dir: string;
const env = (): NodeJS.ProcessEnv => {
  const e = { ...process.env };
  for (const k of ['BATON_URL', 'BATON_TOKEN', 'BATON_PROJECT', 'BATON_DATABASE_URL', 'BATON_DEBUG'])
    delete e[k];
  return e;
};
const baton = (args: string[]) => runCli(args, { cwd: dir, env: env() });

beforeAll(async () => {
  parent = mkdtempSync(path.join(tmpdir(), 'baton-modules-'));
  if (!path.relative(ROOT, parent).startsWith('..')) throw new Error(`${parent} is inside ${ROOT}`);
  const init = await runCli(['init', 'acme'], { cwd: parent, env: env() });
  if (init.code !== 0) throw new Error(`baton init failed: ${init.stderr}`);
  dir = path.join(parent, 'acme');
});
afterAll(() => rmSync(parent, { recursive: true, force: true }));

describe("a project's own modules", () => {
  it("init writes an action that imports from 'baton'; validate, eval and send run it", async () => {
    expect(readFileSync(path.join(dir, 'actions', 'crm.ts'), 'utf8')).toContain(
      "import { defineAction, z } from 'baton';",
    );
    const v = await baton(['validate']);
    expect([v.code, v.stderr]).toEqual([0, '']);
    const e = await baton(['eval']);
    expect([e.code, e.stderr]).toEqual([0, '']);
    expect(e.stdout).toContain('0 failed');
    const s = await baton(['send', 'lead-routing', '{"id":"L1","company":"Acme","email":"jo@acme.com"}']);
    expect([s.code, s.stderr]).toEqual([0, '']);
    const logged = readFileSync(path.join(dir, 'data', 'leads.jsonl'), 'utf8');
    expect(JSON.parse(logged)).toMatchObject({ lead: 'L1', company: 'Acme', owner: 'user:blake' });
  }, 60_000);

  it('imports zod by name and the public types of the package entry', async () => {
    const file = path.join(dir, 'actions', 'extra.ts');
    writeFileSync(
      file,
      `import { z } from 'zod';
import { defineContextSource, BatonError, type ActionContext } from 'baton';
export const size = defineContextSource({
  id: 'acme.size', trust: 'trusted', params: z.object({ n: z.number() }),
  fetch(p) { if (p.n < 0) throw new BatonError('validation_failed', 'negative'); return { big: p.n > 10 }; },
});
export type Ctx = ActionContext;
`,
    );
    try {
      const v = await baton(['validate']);
      expect([v.code, v.stderr]).toEqual([0, '']);
    } finally {
      rmSync(file);
    }
  }, 30_000);

  const broken: Array<[string, string, RegExp]> = [
    ['syntax error', 'export const a = 1;\nconst x = ;\n', /^actions\/broken\.ts:2: SyntaxError: /m],
    [
      'missing package',
      "import { z } from 'zod';\nimport { q } from 'no-such-package';\nexport const a = q;\n",
      /^actions\/broken\.ts:2: Cannot find package 'no-such-package'/m,
    ],
    [
      'missing file',
      "// helpers\nimport { h } from './helpers.ts';\nexport const a = h;\n",
      /^actions\/broken\.ts:2: Cannot find module .*helpers\.ts/m,
    ],
    [
      'throws while loading',
      "export const a = 1;\n\nthrow new Error('CRM_URL is not set');\n",
      /^actions\/broken\.ts:3:7: CRM_URL is not set$/m,
    ],
    ['no export', 'export const a = 1;\n', /^actions\/broken\.ts: exports no action or context source/m],
  ];
  for (const [what, text, expected] of broken) {
    it(`names the file and line of a module with a ${what}, exit 2`, async () => {
      const file = path.join(dir, 'actions', 'broken.ts');
      writeFileSync(file, text);
      try {
        const v = await baton(['validate']);
        expect(v.code).toBe(2);
        expect(v.stderr).toMatch(expected);
        expect(v.stderr).toMatch(/^baton: 1 problem in project /m);
        expect(v.stderr).not.toMatch(/ at .*:\d+:\d+\)?$/m);
        // Every other command says the same, before it touches a store.
        const ls = await baton(['eval']);
        expect(ls.code).toBe(2);
        expect(ls.stderr).toContain('broken.ts');
        expect(ls.stderr).not.toMatch(/node:internal/);
      } finally {
        rmSync(file);
      }
    }, 30_000);
  }
});
