// The CLI over HTTP: `baton serve --port 0` in a temporary project, then commands with BATON_URL
// and BATON_TOKEN set, and a graceful stop on SIGTERM.
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { HandoffView } from '../../src/service/views.ts';
import { BIN, cliProject, type CliProject } from './run.ts';

let p: CliProject;
let server: ChildProcessWithoutNullStreams;
let out = '';
let url = '';
const tokens: Record<string, string> = {};

/** Environment for a command run as `user` over HTTP (no token: anonymous). */
const as = (user?: string): NodeJS.ProcessEnv => ({
  BATON_URL: url,
  ...(user ? { BATON_TOKEN: tokens[user]! } : {}),
});

async function waitForState(id: string, state: string): Promise<HandoffView> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    const h = (await (await fetch(`${url}/v1/handoffs/${id}`)).json()) as HandoffView;
    if (h.state === state || Date.now() > deadline) return h;
    await new Promise((r) => setTimeout(r, 50));
  }
}

beforeAll(async () => {
  p = cliProject();
  server = spawn(process.execPath, [BIN, 'serve', '--port', '0'], { cwd: p.dir, env: p.env });
  server.stdout.setEncoding('utf8');
  server.stderr.setEncoding('utf8');
  let err = '';
  server.stderr.on('data', (d: string) => (err += d));
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`serve did not start: ${out}${err}`)), 20_000);
    server.stdout.on('data', (d: string) => {
      out += d;
      if (out.includes('Ctrl-C stops')) {
        clearTimeout(timer);
        resolve();
      }
    });
    server.on('exit', (code) => reject(new Error(`serve exited ${code}: ${err}`)));
  });
  url = /is serving (http:\/\/\S+)/.exec(out)![1]!;
  tokens.dana = /First run: an admin token for dana\. .*\n +(bt_\S+)\n/.exec(out)?.[1] ?? '';
  // Tokens for the people who act, made directly on the store while the server runs.
  for (const user of ['kim', 'sam']) {
    const r = await p.run(['token', 'create', '--user', user, '--access', 'viewer']);
    tokens[user] = r.stdout.trim().split('\n')[1]!;
  }
}, 60_000);

afterAll(() => {
  if (server.exitCode === null) server.kill('SIGKILL');
  p.cleanup();
});

describe('baton serve', () => {
  it('prints the URL, project, storage, flows and a ready-to-paste curl', () => {
    expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(out).toContain(`project  ${p.dir}/baton.yaml`);
    expect(out).toContain(`storage  sqlite:${p.db}`);
    expect(out).toMatch(/flows +\S+ \(auto, /);
    expect(out).toContain('lead-to-owner (auto, team:marketing -> team:sales-ops)');
    expect(out).toMatch(
      new RegExp(`curl -X POST ${url}/v1/flows/\\S+/handoffs -H 'content-type: application/json' -d '\\{`),
    );
    expect(out).toContain('npx baton ls');
  });

  it('creates an admin token for the first declared person on first run, shown once', async () => {
    expect(out).toContain('It will not be shown again');
    expect(tokens.dana).toMatch(/^bt_/);
    const ls = await p.run(['token', 'ls', '--json']);
    const items = (JSON.parse(ls.stdout) as { items: Array<{ user: string; access: string }> }).items;
    expect(items).toContainEqual(expect.objectContaining({ user: 'dana', access: 'admin' }));
  });
});

describe('HTTP mode', () => {
  it('send, ls, show, accept and complete through the server', async () => {
    const input = JSON.stringify({ id: 'H-1', company: 'Acme', email: 'jo@acme.com' });
    // Intake is allowed anonymously from loopback.
    const sent = await p.run(['send', 'lead-to-owner', input, '--json'], { env: as() });
    expect(sent.stderr).toBe('');
    expect(sent.code).toBe(0);
    const r = JSON.parse(sent.stdout) as { id: string; state: string; created: boolean };
    expect(r.created).toBe(true);
    const again = JSON.parse(
      (await p.run(['send', 'lead-to-owner', input, '--json'], { env: as() })).stdout,
    ) as {
      id: string;
      created: boolean;
    };
    expect(again).toMatchObject({ id: r.id, created: false });

    expect((await waitForState(r.id, 'handed_off')).owner).toBe('user:kim');
    const ls = await p.run(['ls', '--owner', 'kim'], { env: as('kim') });
    expect(ls.code).toBe(0);
    expect(ls.stdout).toContain(`${r.id}  lead-to-owner  auto  handed_off  user:kim`);

    const anonymous = await p.run(['accept', r.id], { env: as() });
    expect(anonymous.code).toBe(1);
    expect(anonymous.stderr).toContain('HTTP 401');

    const wrong = await p.run(['accept', r.id], { env: as('sam') });
    expect(wrong.code).toBe(1);
    expect(wrong.stderr).toMatch(
      /^baton: sam cannot accept work owned by user:kim\n {2}\(HTTP 403 forbidden\)\n$/,
    );

    const accepted = await p.run(['accept', r.id], { env: as('kim') });
    expect(accepted.stderr).toBe('');
    expect(accepted.stdout).toBe(`${r.id} accepted: now accepted, owner user:kim\n`);

    const badReason = await p.run(['return', r.id, '--reason', 'bored'], { env: as('kim') });
    expect(badReason.code).toBe(2);
    expect(badReason.stderr).toContain('HTTP 422');

    const done = await p.run(['complete', r.id, '--json'], { env: as('kim') });
    expect((JSON.parse(done.stdout) as HandoffView).state).toBe('completed');

    const show = await p.run(['show', r.id], { env: as() });
    expect(show.stdout).toMatch(/accepted +kim via api/);
  });

  it('approve over HTTP: the token names the approver', async () => {
    const input = JSON.stringify({
      id: 'H-2',
      company: 'Big',
      email: 'x@big.io',
      amount: 90000,
      submittedBy: 'kim',
    });
    const { id } = JSON.parse(
      (await p.run(['send', 'lead-to-owner', input, '--json'], { env: as() })).stdout,
    ) as {
      id: string;
    };
    await waitForState(id, 'awaiting_approval');
    const pending = await p.run(['approvals'], { env: as('sam') });
    expect(pending.stdout).toContain(id);

    const self = await p.run(['approve', id], { env: as('kim') });
    expect(self.code).toBe(1);
    expect(self.stderr).toContain('HTTP 403');

    const ok = await p.run(['approve', id, '--comment', 'go'], { env: as('sam') });
    expect(ok.stderr).toBe('');
    expect(ok.code).toBe(0);
    expect(ok.stdout).toMatch(/^apr_\S+ approved \(human sam via api\)/);
    const h = await waitForState(id, 'handed_off');
    expect(h.actions.find((a) => a.id === 'quote')?.state).toBe('succeeded');

    const twice = await p.run(['approve', id], { env: as('sam') });
    expect(twice.code).toBe(1);
  });

  it("the first-run admin token acts as an operator: dana cancels kim's handoff", async () => {
    const input = JSON.stringify({ id: 'H-4', company: 'Acme', email: 'al@acme.com' });
    const { id } = JSON.parse(
      (await p.run(['send', 'lead-to-owner', input, '--json'], { env: as() })).stdout,
    ) as {
      id: string;
    };
    await waitForState(id, 'handed_off');
    const r = await p.run(['cancel', id, '--comment', 'duplicate lead'], { env: as('dana') });
    expect(r.stderr).toBe('');
    expect(r.stdout).toBe(`${id} cancelled: now cancelled, owner user:kim\n`);
  });

  it('maps server errors to exit codes: 404 → 1, 422 → 2; refuses --as and token commands', async () => {
    const missing = await p.run(['show', 'h_nope'], { env: as() });
    expect(missing.code).toBe(1);
    expect(missing.stderr).toBe('baton: handoff h_nope does not exist\n  (HTTP 404 not_found)\n');

    const invalid = await p.run(['send', 'lead-to-owner', '{"id":"H-3"}'], { env: as() });
    expect(invalid.code).toBe(2);
    expect(invalid.stderr).toContain('company');

    const withAs = await p.run(['accept', 'h_x', '--as', 'kim'], { env: as('kim') });
    expect(withAs.code).toBe(2);
    expect(withAs.stderr).toContain('--as applies to direct mode');

    const down = await p.run(['ls'], { env: { BATON_URL: 'http://127.0.0.1:9' } });
    expect(down.code).toBe(1);
    expect(down.stderr).toContain('cannot reach the Baton server at http://127.0.0.1:9');
  });

  it('audit verify and report over HTTP', async () => {
    const verify = await p.run(['audit', 'verify', '--json'], { env: as() });
    expect(verify.code).toBe(0);
    expect((JSON.parse(verify.stdout) as { ok: boolean }).ok).toBe(true);
    const report = await p.run(['report', '--since', '1d'], { env: as() });
    expect(report.code).toBe(0);
    expect(report.stdout).toContain('lead-to-owner');
    // --until and --boundary reach the server's summary as query parameters.
    const boundary = 'team:marketing->team:sales-ops';
    const narrowed = await p.run(['report', '--until', '2d', '--boundary', boundary, '--json'], {
      env: as(),
    });
    expect(narrowed.code).toBe(0);
    const f = (JSON.parse(narrowed.stdout) as { filter: { until: string; boundary: string } }).filter;
    expect(f.boundary).toBe(boundary);
    expect(Date.parse(f.until)).toBeLessThan(Date.now() - 86_400_000);
  });

  it('stops gracefully on SIGTERM', async () => {
    const exited = new Promise<number | null>((resolve) => server.on('exit', (code) => resolve(code)));
    let err = '';
    server.stderr.on('data', (d: string) => (err += d));
    server.kill('SIGTERM');
    expect(await exited).toBe(0);
    expect(err).toContain('stopped');
  });
});
