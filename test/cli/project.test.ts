// The CLI on project files: validate, schema, eval, init, usage errors.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { fresh, runCli } from './run.ts';

describe('baton validate', () => {
  it('says ok for the example project and names its flows', async ({ onTestFinished }) => {
    const p = fresh(onTestFinished);
    const r = await p.run(['validate']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^ok: /);
    expect(r.stdout).toContain('lead-to-owner');
  });

  it('prints every problem as file:line:col: path: message and exits 2', async ({ onTestFinished }) => {
    const p = fresh(onTestFinished);
    const file = path.join(p.dir, 'flows', 'lead-to-owner.yaml');
    const text = readFileSync(file, 'utf8');
    const lines = text.split('\n');
    const whenLine = lines.findIndex((l) => l.includes("when: 'context.account != null &&")) + 1;
    writeFileSync(
      file,
      text
        .replace("when: 'context.account != null &&", "when: 'context.account !=== null &&")
        .replace('acceptWithin: 15m', 'acceptWithin: soon'),
    );
    const r = await p.run(['validate']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(
      new RegExp(`^flows/lead-to-owner\\.yaml:${whenLine}:\\d+: decide\\.rules\\[0\\]\\.when: `, 'm'),
    );
    expect(r.stderr).toMatch(/^flows\/lead-to-owner\.yaml:\d+:\d+: handoff\.acceptWithin: /m);
    expect(r.stderr).toMatch(/^baton: 2 problems in project /m);
    expect(r.stderr).not.toMatch(/at .*\.ts:\d+/); // no stack trace
  });

  it('finds an unknown action with its line, and --json lists the problems', async ({ onTestFinished }) => {
    const p = fresh(onTestFinished);
    const file = path.join(p.dir, 'flows', 'lead-to-owner.yaml');
    const text = readFileSync(file, 'utf8');
    const line = text.split('\n').findIndex((l) => l.includes('use: builtin.draft_reply')) + 1;
    writeFileSync(file, text.replace('use: builtin.draft_reply', 'use: builtin.no_such_action'));
    const r = await p.run(['validate']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`flows/lead-to-owner.yaml:${line}:`);
    expect(r.stderr).toContain('actions[1].use: unknown action builtin.no_such_action');
    const j = await p.run(['validate', '--json']);
    expect(j.code).toBe(2);
    const body = JSON.parse(j.stdout) as { ok: boolean; problems: Array<{ path: string; line: number }> };
    expect(body.ok).toBe(false);
    expect(body.problems).toEqual([expect.objectContaining({ path: 'actions[1].use', line })]);
  });

  it('other commands refuse an invalid project with exit 2 and the problem', async ({ onTestFinished }) => {
    const p = fresh(onTestFinished, { 'baton.yaml': 'people: [{ id: dana, nmae: Dana }]\n' });
    const r = await p.run(['ls']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^baton: /);
    expect(r.stderr).toContain('baton.yaml:1:');
    expect(r.stderr).toContain('nmae');
  });
});

describe('baton migrate', () => {
  it('brings the store to the latest schema and lists the migrations', async ({ onTestFinished }) => {
    const p = fresh(onTestFinished);
    const r = await p.run(['migrate']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(
      new RegExp(`^sqlite:${p.db.replace(/[.]/g, '\\.')} is at schema version \\d+\n`),
    );
    expect(r.stdout).toContain('001_init.sql');
    const overHttp = await p.run(['migrate'], { env: { BATON_URL: 'http://127.0.0.1:9' } });
    expect(overHttp.code).toBe(2);
  });
});

describe('baton schema flow', () => {
  it('prints the flow JSON Schema', async ({ onTestFinished }) => {
    const p = fresh(onTestFinished);
    const r = await p.run(['schema', 'flow']);
    expect(r.code).toBe(0);
    const schema = JSON.parse(r.stdout) as Record<string, unknown>;
    expect(schema.$schema).toMatch(/json-schema\.org/);
    expect(schema.type).toBe('object');
    expect(Object.keys(schema.properties as object)).toEqual(
      expect.arrayContaining(['id', 'decide', 'actions']),
    );
  });

  it('rejects an unknown schema name with exit 2', async ({ onTestFinished }) => {
    const p = fresh(onTestFinished);
    const r = await p.run(['schema', 'nope']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('unknown schema "nope"');
  });
});

describe('usage', () => {
  it('exits 2 on an unknown command or option, 0 on --help', async ({ onTestFinished }) => {
    const p = fresh(onTestFinished);
    const unknown = await p.run(['frobnicate']);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain("baton: unknown command 'frobnicate'");
    const option = await p.run(['ls', '--colour']);
    expect(option.code).toBe(2);
    expect(option.stderr).toContain("unknown option '--colour'");
    const missing = await p.run(['send', 'lead-to-owner']);
    expect(missing.code).toBe(2);
    const help = await p.run(['--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toContain('Exit codes:');
    expect(help.stdout).toMatch(/2 +bad usage or input/);
  });

  it('exits 2 on invalid JSON input, naming the problem', async ({ onTestFinished }) => {
    const p = fresh(onTestFinished);
    const r = await p.run(['send', 'lead-to-owner', '{id: 1']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^baton: input in the argument is not valid JSON/);
    const file = await p.run(['send', 'lead-to-owner', '@missing.json']);
    expect(file.code).toBe(2);
    expect(file.stderr).toContain('missing.json does not exist');
  });

  it('prints no stack trace unless BATON_DEBUG=1', async ({ onTestFinished }) => {
    const p = fresh(onTestFinished);
    expect((await p.run(['migrate'])).code).toBe(0);
    const quiet = await p.run(['show', 'h_nope']);
    expect(quiet.code).toBe(1);
    expect(quiet.stderr).toBe('baton: handoff h_nope does not exist\n');
    const debug = await p.run(['show', 'h_nope'], { env: { BATON_DEBUG: '1' } });
    expect(debug.stderr).toMatch(/BatonError: handoff h_nope does not exist\n\s+at /);
  });
});

describe('baton eval', () => {
  it("runs the example flow's cases and exits 0 when all pass", async ({ onTestFinished }) => {
    const p = fresh(onTestFinished);
    const r = await p.run(['eval', 'lead-to-owner']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('existing account goes to its owner');
  });

  it('exits 1 when a case fails', async ({ onTestFinished }) => {
    const p = fresh(onTestFinished);
    const file = path.join(p.dir, 'flows', 'lead-to-owner.cases.yaml');
    writeFileSync(file, readFileSync(file, 'utf8').replace('owner: user:kim', 'owner: user:lee'));
    const r = await p.run(['eval', 'lead-to-owner', '--json']);
    expect(r.code).toBe(1);
    const report = JSON.parse(r.stdout) as { failed: number; passed: number };
    expect(report.failed).toBe(1);
  });
});

describe('baton init', () => {
  it('creates a project that validates, and refuses to overwrite it', async () => {
    const parent = mkdtempSync(path.join(tmpdir(), 'baton-init-'));
    try {
      const r = await runCli(['init', 'acme'], { cwd: parent });
      expect(r.stderr).toBe('');
      expect(r.code).toBe(0);
      expect(existsSync(path.join(parent, 'acme', 'baton.yaml'))).toBe(true);
      expect(r.stdout).toContain('baton.yaml');
      const v = await runCli(['validate'], { cwd: path.join(parent, 'acme') });
      expect(v.code).toBe(0);
      // The token example in the new baton.yaml runs as written.
      const yaml = readFileSync(path.join(parent, 'acme', 'baton.yaml'), 'utf8');
      const example = /`baton (token create [^`]+)`/.exec(yaml)?.[1];
      expect(example).toBeDefined();
      const made = await runCli(example!.split(' '), { cwd: path.join(parent, 'acme') });
      expect(made.stderr).toMatch(/^Store this token now/);
      expect(made.code).toBe(0);
      expect(made.stdout).toMatch(/^tok_\S+ for blake \(operator\)\nbt_\S+\n$/);
      const again = await runCli(['init', 'acme'], { cwd: parent });
      expect(again.code).not.toBe(0);
      expect(again.stderr).toMatch(/^baton: /);
    } finally {
      rmSync(parent, { recursive: true, force: true });
    }
  });
});
