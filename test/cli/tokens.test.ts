// `baton token create|ls|revoke` with scopes, and who created or revoked a token.
import { describe, expect, it } from 'vitest';
import { fresh } from './run.ts';

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
});
