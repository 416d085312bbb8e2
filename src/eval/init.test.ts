import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { loadProject } from '../project/load.ts';
import { Baton } from '../service/baton.ts';
import { initProject } from './init.ts';
import { runEval } from './run.ts';

let dirs: string[] = [];
afterEach(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
  dirs = [];
});

function tempDir(): string {
  const d = mkdtempSync(path.join(tmpdir(), 'baton-init-'));
  dirs.push(d);
  return d;
}

describe('initProject', () => {
  it('writes a project that loads, evaluates green and serves', async () => {
    const dir = path.join(tempDir(), 'new-project');
    const written = initProject(dir);
    expect(written.map((f) => path.relative(dir, f)).sort()).toEqual([
      '.gitignore',
      'README.md',
      'actions/crm.ts',
      'baton.yaml',
      'flows/expense-approval.cases.yaml',
      'flows/expense-approval.yaml',
      'flows/lead-routing.cases.yaml',
      'flows/lead-routing.yaml',
      'tables/accounts.csv',
    ]);
    expect(readFileSync(path.join(dir, '.gitignore'), 'utf8')).toContain('data/');

    const project = await loadProject(dir);
    expect([...project.flows.keys()].sort()).toEqual(['expense-approval', 'lead-routing']);
    expect(project.def.storage).toBe('sqlite:./data/baton.db');

    const report = await runEval(dir);
    expect(report.cases.filter((c) => !c.passed)).toEqual([]);
    expect(report.passed).toBeGreaterThanOrEqual(6);

    // `baton serve` opens it as written: its default store under data/.
    const baton = await Baton.open({ dir, worker: false });
    try {
      const r = await baton.send(
        'lead-routing',
        { id: 'L1', company: 'Acme', email: 'jo@acme.com' },
        { kind: 'system', id: 'test' },
      );
      await baton.engine.drain();
      expect((await baton.get(r.id)).owner).toBe('user:blake');
    } finally {
      await baton.close();
    }
    expect(readdirSync(path.join(dir, 'data'))).toContain('baton.db');
  });

  it('overwrites nothing: an existing file stops it before it writes anything', () => {
    const dir = tempDir();
    mkdirSync(path.join(dir, 'flows'));
    writeFileSync(path.join(dir, 'baton.yaml'), 'mine\n');
    writeFileSync(path.join(dir, 'flows', 'lead-routing.yaml'), 'mine too\n');
    let err: unknown;
    try {
      initProject(dir);
    } catch (e) {
      err = e;
    }
    expect(err).toMatchObject({
      code: 'conflict',
      message: expect.stringMatching(
        /already has baton\.yaml, flows\/lead-routing\.yaml: baton init overwrites nothing/,
      ),
      details: [
        { path: 'baton.yaml', message: 'already exists' },
        { path: 'flows/lead-routing.yaml', message: 'already exists' },
      ],
    });
    expect(readFileSync(path.join(dir, 'baton.yaml'), 'utf8')).toBe('mine\n');
    expect(readdirSync(dir).sort()).toEqual(['baton.yaml', 'flows']);
    expect(readdirSync(path.join(dir, 'flows'))).toEqual(['lead-routing.yaml']);
  });

  it("keeps a folder's own .gitignore and README.md", () => {
    const dir = tempDir();
    writeFileSync(path.join(dir, '.gitignore'), 'node_modules/\n');
    writeFileSync(path.join(dir, 'README.md'), '# Mine\n');
    const written = initProject(dir).map((f) => path.relative(dir, f));
    expect(written).not.toContain('.gitignore');
    expect(written).not.toContain('README.md');
    expect(written).toContain('baton.yaml');
    expect(readFileSync(path.join(dir, '.gitignore'), 'utf8')).toBe('node_modules/\n');
    expect(readFileSync(path.join(dir, 'README.md'), 'utf8')).toBe('# Mine\n');
  });

  it('refuses a path that is a file', () => {
    const file = path.join(tempDir(), 'x');
    writeFileSync(file, '');
    expect(() => initProject(file)).toThrow(/is not a folder/);
  });
});
