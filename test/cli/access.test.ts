// Access from the CLI: `baton token create|ls|revoke` with scopes and who created or revoked a token; `baton approve --set` (edits) and approving by delegation.
import { describe, expect, it } from 'vitest';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { EXAMPLES } from '../support/project.ts';
import { payoutFiles } from '../support/payout-flow.ts';
import { fresh } from './run.ts';

describe('baton approve --set and delegation', () => {
  it('approves with edited parameters, and a delegate approves for the absent approver', async ({
    onTestFinished,
  }) => {
    const yaml = readFileSync(path.join(EXAMPLES, 'baton.yaml'), 'utf8');
    const p = fresh(onTestFinished, {
      ...payoutFiles(),
      'baton.yaml': `${yaml}\ndelegations:\n  - { from: ari, to: tom, until: 2099-12-31 }\n`,
    });
    const sent = await p.json<{ id: string; state: string }>([
      'send',
      'payout',
      JSON.stringify({ id: 'C1', amount: 3000, requestedBy: 'olga' }),
    ]);
    expect(sent.state).toBe('awaiting_approval');
    const inbox = await p.json<{ items: Array<{ owner: string; kind: string; text: string }> }>([
      'inbox',
      '--as',
      'tom',
    ]);
    expect(inbox.items).toEqual([
      expect.objectContaining({
        owner: 'user:tom',
        kind: 'approval',
        text: expect.stringMatching(/standing in for ari\)$/),
      }),
    ]);

    const bad = await p.run(['approve', sent.id, '--as', 'tom', '--set', 'amount=-1']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/edits\.params\.amount/);
    const noEq = await p.run(['approve', sent.id, '--as', 'tom', '--set', 'amount']);
    expect(noEq.code).toBe(2);
    expect(noEq.stderr).toMatch(/name=value/);

    const r = await p.run(['approve', sent.id, '--as', 'tom', '--set', 'amount=12000', '--set', 'to=acct-X']);
    expect(r.stderr).toBe('');
    expect(r.stdout).toMatch(/still pending \(level 2 of 2\)/);
    expect(r.stdout).toMatch(/parameters changed: amount, to; now also needs CFO/);
    const done = await p.run(['approve', sent.id, '--as', 'dana']);
    expect(done.stdout).toMatch(/approved \(human dana via cli\)/);
    const h = await p.json<{
      actions: Array<{ params: unknown; state: string }>;
      approvals: Array<{ votes: unknown[] }>;
    }>(['show', sent.id]);
    expect(h.actions[0]).toEqual(
      expect.objectContaining({ state: 'succeeded', params: { amount: 12000, to: 'acct-X' } }),
    );
    expect(h.approvals[0]!.votes[0]).toMatchObject({ user: 'tom', for: 'ari' });
  });
});

describe('baton token', () => {
  it('creates scoped tokens, lists their scope and who made them, and names a bad field', async ({
    onTestFinished,
  }) => {
    const p = fresh(onTestFinished);
    const made = await p.json<{ flows: string[]; teams: string[] | null; token: string }>([
      'token',
      'create',
      '--user',
      'sam',
      '--access',
      'operator',
      '--flows',
      'lead-to-owner, invoice-approval',
      '--as',
      'dana',
    ]);
    expect(made).toMatchObject({ flows: ['lead-to-owner', 'invoice-approval'], teams: null });
    expect(made.token).toMatch(/^bt_/);
    const team = await p.run([
      'token',
      'create',
      '--user',
      'ari',
      '--access',
      'viewer',
      '--teams',
      'finance',
    ]);
    expect(team.code).toBe(0);
    expect(team.stdout).toMatch(/for ari \(viewer; teams finance\)/);

    const ls = await p.run(['token', 'ls']);
    expect(ls.stdout).toMatch(/SCOPE/);
    expect(ls.stdout).toMatch(/sam +operator +flows lead-to-owner, invoice-approval/);
    expect(ls.stdout).toMatch(/ari +viewer +teams finance/);
    const json = await p.json<{ items: Array<Record<string, unknown>> }>(['token', 'ls']);
    expect(json.items[0]).toMatchObject({
      user: 'sam',
      createdBy: 'dana',
      flows: ['lead-to-owner', 'invoice-approval'],
    });

    const bad = await p.run([
      'token',
      'create',
      '--user',
      'sam',
      '--access',
      'viewer',
      '--flows',
      'lead-to-owner,nope',
    ]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/flows\[1\]: no flow nope in this project/);
    const badTeam = await p.run([
      'token',
      'create',
      '--user',
      'sam',
      '--access',
      'viewer',
      '--teams',
      'ghosts',
    ]);
    expect(badTeam.code).toBe(2);
    expect(badTeam.stderr).toMatch(/teams\[0\]: no team ghosts/);
    const badAs = await p.run(['token', 'create', '--user', 'sam', '--access', 'viewer', '--as', 'nobody']);
    expect(badAs.code).toBe(2);
    expect(badAs.stderr).toMatch(/--as nobody/);

    const id = String(json.items[0]!.id);
    expect((await p.run(['token', 'revoke', id, '--as', 'dana'])).stdout).toBe(`${id} revoked\n`);
    expect((await p.run(['token', 'revoke', id])).stdout).toMatch(/was already revoked/);
    const after = await p.json<{ items: Array<Record<string, unknown>> }>(['token', 'ls']);
    expect(after.items[0]).toMatchObject({ revokedBy: 'dana' });
    expect((await p.run(['token', 'ls'])).stdout).toMatch(/revoked .* by dana/);
  });

  it('lists a token whose person was removed from baton.yaml as orphaned', async ({ onTestFinished }) => {
    const p = fresh(onTestFinished);
    const made = await p.json<{ id: string }>(['token', 'create', '--user', 'omar', '--access', 'viewer']);
    const file = path.join(p.dir, 'baton.yaml');
    const yaml = readFileSync(file, 'utf8');
    const without = yaml
      .replace(/^ {2}- \{ id: omar,.*\n/m, '')
      .replace('members: [eng, omar]', 'members: [eng]');
    expect(without).not.toContain('omar');
    writeFileSync(file, without);
    const ls = await p.run(['token', 'ls']);
    expect(ls.code).toBe(0);
    expect(ls.stdout).toMatch(
      new RegExp(`${made.id} +omar +viewer .*orphaned \\(omar is not in baton\\.yaml\\)`),
    );
    const json = await p.json<{ items: Array<{ id: string; orphaned: boolean }> }>(['token', 'ls']);
    expect(json.items.map((t) => [t.id, t.orphaned])).toEqual([[made.id, true]]);
  });
});
