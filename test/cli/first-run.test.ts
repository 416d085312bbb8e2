// `baton serve` on a fresh project prints one admin token, for the person marked `admin: true`
// (else the first person), once: never on a later start, never anywhere but that console line.
import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { freePort, kill, startServe, type ServerProcess } from '../support/server.ts';
import { cliProject } from './run.ts';

async function serveOnce(dir: string, env: Record<string, string>): Promise<string> {
  const server: ServerProcess = await startServe(dir, await freePort(), env);
  const until = Date.now() + 10_000;
  while (!server.output().includes('Ctrl-C stops') && Date.now() < until)
    await new Promise((r) => setTimeout(r, 20));
  const out = server.output();
  await kill(server, 'SIGTERM');
  return out;
}

const TOKEN = /bt_[A-Za-z0-9_-]{20,}/g;

/** The example project marks dana; these tests choose for themselves. */
const noAdmin = (yaml: string): string => yaml.replaceAll(', admin: true', '');

describe('the first-run admin token', () => {
  it('goes to the person marked admin, is printed once, works, and is stored only as a hash', async () => {
    const base = cliProject();
    const yaml = noAdmin(readFileSync(path.join(base.dir, 'baton.yaml'), 'utf8')).replace(
      '{ id: raj, name: Raj Mehta,',
      '{ id: raj, admin: true, name: Raj Mehta,',
    );
    base.cleanup();
    const p = cliProject({ 'baton.yaml': yaml });
    try {
      const env = { BATON_DATABASE_URL: p.env.BATON_DATABASE_URL! };
      const first = await serveOnce(p.dir, env);
      expect(first).toContain('First run: an admin token for raj. It will not be shown again');
      const secrets = first.match(TOKEN) ?? [];
      expect(secrets).toHaveLength(1); // the banner's hint shows only a prefix
      const secret = secrets[0]!;
      expect(first.split('\n').filter((l) => l.includes(secret))).toHaveLength(1);

      const ls = await p.json<{ items: Array<Record<string, unknown>> }>(['token', 'ls']);
      expect(ls.items).toEqual([
        expect.objectContaining({ user: 'raj', access: 'admin', name: 'first run', createdBy: 'first-run' }),
      ]);

      // The token works as an admin token against the next start of the server.
      const server = await startServe(p.dir, await freePort(), env);
      try {
        const r = await fetch(`${server.url}/v1/audit/verify`, {
          headers: { authorization: `Bearer ${secret}` },
        });
        expect(r.status).toBe(200);
      } finally {
        await kill(server, 'SIGTERM');
      }
      const second = server.output();
      expect(second).not.toContain('First run');
      expect(second.match(TOKEN)).toBeNull();

      // Revoking every token does not make a later start print a new one.
      expect((await p.run(['token', 'revoke', String(ls.items[0]!.id), '--as', 'raj'])).code).toBe(0);
      const third = await serveOnce(p.dir, env);
      expect(third).not.toContain('First run');
      expect(third.match(TOKEN)).toBeNull();
      const after = await p.json<{ items: Array<Record<string, unknown>> }>(['token', 'ls']);
      expect(after.items).toEqual([expect.objectContaining({ user: 'raj', revokedBy: 'raj' })]);

      // The secret is nowhere on disk: the store keeps its hash only.
      for (const f of readdirSync(path.join(p.dir, 'data')))
        expect([f, readFileSync(path.join(p.dir, 'data', f)).includes(secret)]).toEqual([f, false]);
    } finally {
      p.cleanup();
    }
  }, 60_000);

  it('goes to the first person when nobody is marked admin', async () => {
    const base = cliProject();
    const yaml = noAdmin(readFileSync(path.join(base.dir, 'baton.yaml'), 'utf8'));
    base.cleanup();
    expect(yaml).not.toContain('admin: true');
    const p = cliProject({ 'baton.yaml': yaml });
    try {
      const out = await serveOnce(p.dir, { BATON_DATABASE_URL: p.env.BATON_DATABASE_URL! });
      expect(out).toContain('First run: an admin token for dana.');
    } finally {
      p.cleanup();
    }
  }, 30_000);

  it('is not made when tokens exist already (e.g. created before the first start)', async () => {
    const p = cliProject();
    try {
      expect((await p.run(['token', 'create', '--user', 'kim', '--access', 'viewer'])).code).toBe(0);
      const out = await serveOnce(p.dir, { BATON_DATABASE_URL: p.env.BATON_DATABASE_URL! });
      expect(out).not.toContain('First run');
    } finally {
      p.cleanup();
    }
  }, 30_000);
});
