// The commands `baton --help`, `baton init` and the init template tell a user to run do what
// they say, run as the user would run them.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT } from '../support/project.ts';
import { fresh, runCli } from './run.ts';

const env = (): NodeJS.ProcessEnv => {
  const e = { ...process.env };
  for (const k of ['BATON_URL', 'BATON_TOKEN', 'BATON_PROJECT', 'BATON_DATABASE_URL', 'BATON_DEBUG'])
    delete e[k];
  return e;
};

describe('what --help says', () => {
  it('the "Try" commands work on the example project as printed', async ({ onTestFinished }) => {
    const p = fresh(onTestFinished);
    const help = await p.run(['--help']);
    const tries = help.stdout.slice(help.stdout.indexOf('Try:')).split('\n').slice(2); // after `init … serve`
    const send = tries.find((l) => l.includes('baton send'))!;
    const input = /'(\{.*\})'/.exec(send)![1]!;
    const sent = await p.run(['send', 'lead-to-owner', input, '--json']);
    expect([sent.code, sent.stderr]).toEqual([0, '']);
    const { id } = JSON.parse(sent.stdout) as { id: string };
    const ls = await p.run(['ls', '--state', 'handed_off']);
    expect(ls.stdout).toContain(id);
    expect((await p.run(['show', id])).code).toBe(0);
    const accepted = await p.run(['accept', id, '--as', 'kim']);
    expect([accepted.code, accepted.stderr]).toEqual([0, '']);
    expect(accepted.stdout).toContain('accepted: now accepted, owner user:kim');
  }, 60_000);

  it('migrate, token and replay refuse BATON_URL; init, validate, schema and eval do not need it', async ({
    onTestFinished,
  }) => {
    const p = fresh(onTestFinished);
    const help = await p.run(['--help']);
    expect(help.stdout).toContain(
      'migrate, token\n  and replay work on the store directly and refuse to run with BATON_URL set',
    );
    const remote = { env: { BATON_URL: 'http://127.0.0.1:9' } };
    for (const args of [
      ['migrate'],
      ['token', 'ls'],
      ['token', 'create', '--user', 'kim', '--access', 'viewer'],
      ['replay', '--since', '1d'],
    ]) {
      const r = await p.run(args, remote);
      expect([args.join(' '), r.code]).toEqual([args.join(' '), 2]);
      expect(r.stderr).toMatch(/BATON_URL/);
    }
    for (const args of [['validate'], ['schema', 'flow'], ['eval']]) {
      const r = await p.run(args, remote);
      expect([args.join(' '), r.code]).toEqual([args.join(' '), 0]);
    }
  }, 60_000);
});

describe('what init prints and writes', () => {
  it('outside the checkout: cd and `baton`, which work as printed; inside: `npx baton --project`', async () => {
    const parent = mkdtempSync(path.join(tmpdir(), 'baton-next-'));
    try {
      const help = await runCli(['init', '--help'], { cwd: parent, env: env() });
      expect(help.stdout.replace(/\s+/g, ' ')).toContain(
        'two example flows with eval cases, an action, a table',
      );
      const r = await runCli(['init', 'acme'], { cwd: parent, env: env() });
      expect(r.code).toBe(0);
      expect(r.stdout).toContain('\nNext:\n  cd acme\n  baton validate\n  baton eval\n  baton serve\n');
      expect(r.stdout).not.toContain('npx');
      const dir = path.join(parent, 'acme');
      for (const cmd of ['validate', 'eval']) {
        const x = await runCli([cmd], { cwd: dir, env: env() });
        expect([cmd, x.code, x.stderr]).toEqual([cmd, 0, '']);
      }
      // The expense flow's comment: a claim above 1000 waits for casey, who approves it.
      const sent = await runCli(
        [
          'send',
          'expense-approval',
          '{"id":"E1","amount":1500,"purpose":"Conference","submittedBy":"blake"}',
          '--json',
        ],
        { cwd: dir, env: env() },
      );
      const h = JSON.parse(sent.stdout) as { id: string; state: string };
      expect(h.state).toBe('awaiting_approval');
      const approved = await runCli(['approve', h.id, '--as', 'casey'], { cwd: dir, env: env() });
      expect([approved.code, approved.stderr]).toEqual([0, '']);
      expect(approved.stdout).toMatch(/approved \(human casey/);

      const inside = await runCli(['init', path.join(parent, 'other')], { cwd: ROOT, env: env() });
      expect(inside.stdout).toContain(
        `\nNext:\n  npx baton validate --project ${path.join(parent, 'other')}\n`,
      );
    } finally {
      rmSync(parent, { recursive: true, force: true });
    }
  }, 60_000);
});
