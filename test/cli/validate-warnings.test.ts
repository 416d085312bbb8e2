// `baton validate` on flows that load but cannot work as written: a lookup of a missing table
// is an error; approvers nobody can be, a quorum the people cannot meet, a timeout that lets a
// high-risk action run with no human, and untrusted text in an outbound action are warnings
// (exit 0, or 2 with --strict), each with file, line and field.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { EXAMPLES } from '../support/project.ts';
import { payoutFiles } from '../support/payout-flow.ts';
import { fresh } from './run.ts';

const invoiceFlow = () => readFileSync(path.join(EXAMPLES, 'flows', 'invoice-approval.yaml'), 'utf8');
const lineOf = (text: string, needle: string) => text.split('\n').findIndex((l) => l.includes(needle)) + 1;

interface Warning {
  file: string;
  line: number;
  path: string;
  message: string;
}

describe('baton validate: errors and warnings', () => {
  it('a lookup of a table that does not exist is an error with file, line and field', async ({
    onTestFinished,
  }) => {
    const text = invoiceFlow().replace('table: vendors', 'table: vendorz');
    const p = fresh(onTestFinished, { 'flows/invoice-approval.yaml': text });
    const r = await p.run(['validate']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`flows/invoice-approval.yaml:${lineOf(text, 'table: vendorz')}:`);
    expect(r.stderr).toMatch(
      /context\[0\]\.fallback\.with\.table: lookup table "vendorz" does not exist \(have: accounts, customers, vendors\)/,
    );
  });

  it('an approver role nobody holds is a warning: exit 0, --strict exits 2, --json lists it', async ({
    onTestFinished,
  }) => {
    const text = invoiceFlow().replace('approvers: [role:cfo]', 'approvers: [role:treasurer]');
    const p = fresh(onTestFinished, { 'flows/invoice-approval.yaml': text });
    const r = await p.run(['validate']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^ok: \S+ \(1 warning, on standard error\)\n/);
    expect(r.stderr).toMatch(
      new RegExp(
        `^warning: flows/invoice-approval\\.yaml:${lineOf(text, 'role:treasurer')}:\\d+: actions\\[0\\]\\.approval\\.levels\\[2\\]\\.approvers: nobody in baton\\.yaml can approve this level \\(role:treasurer\\)`,
        'm',
      ),
    );
    expect(r.stderr).toMatch(/^baton: 1 warning$/m);
    const strict = await p.run(['validate', '--strict']);
    expect([strict.code, strict.stdout]).toEqual([2, expect.stringMatching(/^not ok: /)]);
    const j = await p.run(['validate', '--json']);
    expect(j.code).toBe(0);
    const body = JSON.parse(j.stdout) as { ok: boolean; warnings: Warning[] };
    expect(body.ok).toBe(true);
    expect(body.warnings).toEqual([
      expect.objectContaining({
        path: 'actions[0].approval.levels[2].approvers',
        line: lineOf(text, 'role:treasurer'),
        file: expect.stringContaining('invoice-approval.yaml'),
      }),
    ]);
  });

  it('quorum 2 among two holders warns: more than the people, or exactly them when one may be the requester', async ({
    onTestFinished,
  }) => {
    const yaml = readFileSync(path.join(EXAMPLES, 'baton.yaml'), 'utf8').replace(
      '- { id: jules, name: Jules Martin, email: jules@example.com, roles: [finance-manager] }',
      '- { id: jules, name: Jules Martin, email: jules@example.com, roles: [] }',
    );
    const p = fresh(onTestFinished, { 'baton.yaml': yaml });
    const j = JSON.parse((await p.run(['validate', '--json'])).stdout) as { warnings: Warning[] };
    expect(j.warnings).toEqual([
      expect.objectContaining({
        path: 'actions[0].approval.levels[1].approvers',
        message: expect.stringMatching(
          /quorum 2 and only ari, noor can approve: when one of them is the requester/,
        ),
      }),
    ]);
    const fewer = fresh(onTestFinished, {
      'baton.yaml': yaml.replace(
        '- { id: noor, name: Noor Haddad, email: noor@example.com, roles: [finance-manager] }',
        '- { id: noor, name: Noor Haddad, email: noor@example.com, roles: [] }',
      ),
    });
    const k = JSON.parse((await fewer.run(['validate', '--json'])).stdout) as { warnings: Warning[] };
    expect(k.warnings).toEqual([
      expect.objectContaining({
        path: 'actions[0].approval.levels[1].quorum',
        message: expect.stringMatching(
          /quorum 2 but only 1 of the people in baton\.yaml \(ari\) can approve/,
        ),
      }),
    ]);
  });

  it('an approval nobody but a fixed requester could give warns', async ({ onTestFinished }) => {
    const text = invoiceFlow().replace('requester: input.requestedBy', `requester: "'dana'"`);
    const p = fresh(onTestFinished, { 'flows/invoice-approval.yaml': text });
    const j = JSON.parse((await p.run(['validate', '--json'])).stdout) as { warnings: Warning[] };
    expect(j.warnings).toEqual([
      expect.objectContaining({
        path: 'actions[0].approval.levels[2].approvers',
        message: expect.stringMatching(
          /without the requester dana, who may not approve, role:cfo cannot reach the quorum of 1/,
        ),
      }),
    ]);
  });

  it('onTimeout approve or approve-all on a high-risk action warns that it can run with no human', async ({
    onTestFinished,
  }) => {
    const files = payoutFiles();
    files['flows/payout-reject.yaml'] = files['flows/payout-reject.yaml']!.replace(
      'onTimeout: reject',
      'onTimeout: approve-all',
    );
    const p = fresh(onTestFinished, files);
    const j = JSON.parse((await p.run(['validate', '--json'])).stdout) as { warnings: Warning[] };
    const timeouts = j.warnings.filter((w) => w.path === 'actions[0].approval.onTimeout');
    expect(timeouts.map((w) => [path.basename(w.file), w.message])).toEqual([
      [
        'payout-approve.yaml',
        expect.stringMatching(
          /transfer \(pay\.transfer\) is high risk: if every level times out it runs with no human approval/,
        ),
      ],
      [
        'payout-reject.yaml',
        expect.stringMatching(/a timeout approves the whole gate: transfer \(pay\.transfer, high risk\)/),
      ],
    ]);
    expect(timeouts.every((w) => w.line > 0)).toBe(true);
  });

  it('untrusted text in an outbound action warns, naming the action and the field', async ({
    onTestFinished,
  }) => {
    const flow = `id: hook
name: Forward a note
boundary: { from: team:ops, to: team:finance }
input:
  type: object
  required: [id, note]
  properties: { id: { type: string, pattern: "^[A-Z0-9]+$" }, note: { type: string }, size: { type: number } }
idempotencyKey: input.id
decide:
  otherwise: { owner: team:finance }
actions:
  - id: post
    use: http.post
    with:
      url: "http://127.0.0.1:9/notes/\${input.id}"
      body: { note: "\${input.note}", size: "\${input.size}" }
handoff: { to: "\${decision.owner}" }
`;
    const p = fresh(onTestFinished, { 'flows/hook.yaml': flow });
    const r = await p.run(['validate']);
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(
      new RegExp(
        `^warning: flows/hook\\.yaml:${lineOf(flow, 'body: { note')}:\\d+: actions\\[0\\]\\.with\\.body\\.note: untrusted input\\.note reaches outbound action post \\(http\\.post\\)`,
        'm',
      ),
    );
    expect(r.stderr).toMatch(/^baton: 1 warning$/m);
  });
});
