// The CLI in direct mode (no BATON_URL): intake, listing, the owner's commands, approvals, tokens.
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { fresh } from './run.ts';
import type { HandoffSummaryView, HandoffView } from '../../src/service/views.ts';

type Page = { items: HandoffSummaryView[]; nextCursor: string | null };
const acme = JSON.stringify({ id: 'L-1', company: 'Acme', email: 'jo@acme.com' });
const big = (id: string) =>
  JSON.stringify({ id, company: 'Big', email: 'x@big.io', amount: 90000, submittedBy: 'kim' });

describe('direct mode', () => {
  it('send → ls → show → accept → complete, and a duplicate send gives the same id', async ({
    onTestFinished,
  }) => {
    const p = fresh(onTestFinished);
    const sent = await p.run(['send', 'lead-to-owner', acme]);
    expect(sent.stderr).toBe('');
    expect(sent.code).toBe(0);
    // Direct mode runs the due work before answering: the handoff has reached its owner.
    const [id, state] = sent.stdout.trim().split(' ');
    expect(id).toMatch(/^h_/);
    expect(state).toBe('handed_off');

    const again = await p.json<{ id: string; state: string; created: boolean }>([
      'send',
      'lead-to-owner',
      acme,
    ]);
    expect(again).toEqual({ id, state: 'handed_off', created: false });

    const ls = await p.run(['ls']);
    expect(ls.code).toBe(0);
    expect(ls.stdout).toMatch(/^ID +FLOW +MODE +STATE +OWNER/);
    expect(ls.stdout).toContain(`${id}  lead-to-owner  auto  handed_off  user:kim`);

    const page = await p.json<Page>(['ls', '--owner', 'kim', '--state', 'handed_off', '--since', '1h']);
    expect(page.items.map((h) => h.id)).toEqual([id]);
    expect(await p.json<Page>(['ls', '--owner', 'lee'])).toEqual({ items: [], nextCursor: null });

    const show = await p.run(['show', id!]);
    expect(show.code).toBe(0);
    expect(show.stdout).toContain('decision  user:kim by rule "existing account"');
    expect(show.stdout).toMatch(/Timeline \(\d+ events\)/);
    expect(show.stdout).toMatch(/received +system:cli via cli +key L-1/);
    expect(show.stdout).toMatch(/handed_off +engine:lead-to-owner +agent:lead-to-owner → user:kim/);
    expect(show.stdout).toMatch(/Ledger\n +OWNER/);

    const notKim = await p.run(['accept', id!, '--as', 'lee']);
    expect(notKim.code).toBe(1);
    expect(notKim.stderr).toBe('baton: lee cannot accept work owned by user:kim\n');

    const noUser = await p.run(['accept', id!]);
    expect(noUser.code).toBe(2);
    expect(noUser.stderr).toContain('--as USER is required in direct mode');
    const typo = await p.run(['accept', id!, '--as', 'kimm']);
    expect(typo.code).toBe(2);
    expect(typo.stderr).toContain('--as kimm: not a person declared in baton.yaml');

    const accepted = await p.run(['accept', id!, '--as', 'kim']);
    expect(accepted.code).toBe(0);
    expect(accepted.stdout).toBe(`${id} accepted: now accepted, owner user:kim\n`);

    const done = await p.json<HandoffView>(['complete', id!, '--as', 'kim', '--comment', 'called them']);
    expect(done.state).toBe('completed');
    expect(done.ledger.at(-1)).toMatchObject({ owner: 'user:kim', status: 'completed' });
    expect(done.events.map((e) => e.type)).toEqual(expect.arrayContaining(['accepted', 'completed']));

    const twice = await p.run(['complete', id!, '--as', 'kim']);
    expect(twice.code).toBe(1);
    expect(twice.stderr).toMatch(/^baton: /);
  });

  it('show, accept and the other commands take FLOW/KEY: the id the sender used', async ({
    onTestFinished,
  }) => {
    const p = fresh(onTestFinished);
    const id = (await p.run(['send', 'lead-to-owner', acme])).stdout.split(' ')[0]!;
    const show = await p.run(['show', 'lead-to-owner/L-1']);
    expect(show.code).toBe(0);
    expect(show.stdout.split('\n')[0]).toBe(`${id}  lead-to-owner  handed_off`);
    const accepted = await p.run(['accept', 'lead-to-owner/L-1', '--as', 'kim']);
    expect(accepted.stdout).toBe(`${id} accepted: now accepted, owner user:kim\n`);
    const missing = await p.run(['show', 'lead-to-owner/L-9']);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toBe('baton: flow lead-to-owner has no handoff with idempotency key L-9\n');
    // The sender's id alone is not Baton's: the message says to name the flow.
    const bare = await p.run(['show', 'L-1']);
    expect(bare.code).toBe(1);
    expect(bare.stderr).toBe(
      'baton: handoff L-1 does not exist; if L-1 is the id its sender used, name the flow too: FLOW/L-1 (e.g. lead-to-owner/L-1)\n',
    );
    const bad = await p.run(['show', '/L-1']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('write a handoff id, or FLOW/KEY such as lead-to-owner/L-1');
  });

  it('approve: only a sales manager who did not request it; reject skips the quote', async ({
    onTestFinished,
  }) => {
    const p = fresh(onTestFinished);
    const first = await p.json<{ id: string; state: string }>(['send', 'lead-to-owner', big('L-9')]);
    expect(first.state).toBe('awaiting_approval');

    const pending = await p.run(['approvals']);
    expect(pending.stdout).toContain(first.id);
    expect(pending.stdout).toContain('role:sales-manager');

    const requester = await p.run(['approve', first.id, '--as', 'kim']);
    expect(requester.code).toBe(1);
    expect(requester.stderr).toMatch(/^baton: kim /);

    const approved = await p.run(['approve', 'lead-to-owner/L-9', '--as', 'sam', '--comment', 'fine']);
    expect(approved.stderr).toBe('');
    expect(approved.code).toBe(0);
    expect(approved.stdout).toMatch(/^apr_\S+ approved \(human sam via cli\)\n/);
    expect(approved.stdout).toContain(`${first.id} handed_off, owner team:enterprise-sales`);
    const h = await p.json<HandoffView>(['show', first.id]);
    expect(h.actions.find((a) => a.id === 'quote')?.state).toBe('succeeded');
    expect(h.approvals[0]).toMatchObject({
      state: 'approved',
      decidedBy: { label: 'human', user: 'sam', via: 'cli' },
    });
    const page = await p.run(['show', first.id]);
    expect(page.stdout).toMatch(/sam:approve via cli +human sam via cli/);

    const again = await p.run(['approve', first.id, '--as', 'sam']);
    expect(again.code).toBe(1);
    expect(again.stderr).toContain('no pending approval');

    const second = await p.json<{ id: string }>(['send', 'lead-to-owner', big('L-10')]);
    const apr = (await p.json<HandoffView>(['show', second.id])).approvals[0]!.id;
    const rejected = await p.json<{
      approval: { state: string; comment?: string };
      handoff: { state: string };
    }>(['reject', apr, '--as', 'sam', '--comment', 'too early']);
    expect(rejected.approval.state).toBe('rejected');
    expect(rejected.handoff.state).toBe('handed_off');
    const h2 = await p.json<HandoffView>(['show', second.id]);
    expect(h2.actions.find((a) => a.id === 'quote')?.state).toBe('skipped');
  });

  it('return with a bad reason exits 2 naming the allowed reasons; a good one sends it back', async ({
    onTestFinished,
  }) => {
    const p = fresh(onTestFinished);
    const { id } = await p.json<{ id: string }>(['send', 'lead-to-owner', acme]);
    await p.run(['accept', id, '--as', 'kim']);
    const bad = await p.run(['return', id, '--as', 'kim', '--reason', 'bored']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain(
      'reason must be one of missing_info, wrong_owner, wrong_priority, duplicate, not_actionable, other',
    );
    const missing = await p.run(['return', id, '--as', 'kim']);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain("required option '--reason <reason>' not specified");
    const ok = await p.json<HandoffView>([
      'return',
      id,
      '--as',
      'kim',
      '--reason',
      'wrong_owner',
      '--comment',
      'not mine',
    ]);
    expect(ok.state).toBe('returned');
    expect(ok.owner).toBe('team:sales-ops');
    expect(ok.rework).toBe(1);

    const reassigned = await p.json<HandoffView>(['reassign', id, '--as', 'ops', '--to', 'user:lee']);
    expect(reassigned.owner).toBe('user:lee');
    const badOwner = await p.run(['reassign', id, '--as', 'ops', '--to', 'nobody']);
    expect(badOwner.code).toBe(2);
    const unknown = await p.run(['reassign', id, '--as', 'ops', '--to', 'user:nobody']);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain('unknown user "nobody"');
    expect((await p.json<HandoffView>(['show', id])).owner).toBe('user:lee');
  });

  it('sends a JSON array from a file in parallel, reporting each input', async ({ onTestFinished }) => {
    const p = fresh(onTestFinished);
    const inputs = Array.from({ length: 25 }, (_, i) => ({
      id: `B-${i}`,
      company: `Co ${i}`,
      email: `a@co${i}.io`,
    }));
    inputs.push({ id: 'B-bad', company: 'No email' } as (typeof inputs)[number]);
    writeFileSync(path.join(p.dir, 'leads.json'), JSON.stringify(inputs));
    const r = await p.run(['send', 'lead-to-owner', '@leads.json', '--parallel', '4']);
    // One input lacks a required field: bad input, exit 2, the rest are sent.
    expect(r.code).toBe(2);
    expect(r.stdout.trim().split('\n')).toHaveLength(25);
    expect(r.stdout).toMatch(/^h_\S+ handed_off$/m);
    expect(r.stderr).toContain('[25] ');
    expect(r.stderr).toContain('sent 26 inputs to lead-to-owner: 25 new, 0 existing, 1 failed');
    const page = await p.json<Page>(['ls', '--limit', '1000']);
    expect(page.items).toHaveLength(25);

    const viaStdin = await p.run(['send', 'lead-to-owner', '@-', '--json'], {
      input: JSON.stringify(inputs.slice(0, 3)),
    });
    expect(viaStdin.code).toBe(0);
    const results = JSON.parse(viaStdin.stdout) as Array<{ index: number; created: boolean }>;
    expect(results.map((x) => [x.index, x.created])).toEqual([
      [0, false],
      [1, false],
      [2, false],
    ]);
  });

  it('tasks and inbox by person or queue; decline sends work to the fallback owner', async ({
    onTestFinished,
  }) => {
    const p = fresh(onTestFinished);
    await p.run(['send', 'lead-to-owner', acme]);
    const tasks = await p.run(['tasks', '--owner', 'kim']);
    expect(tasks.code).toBe(0);
    expect(tasks.stdout).toContain('Call Acme');
    expect((await p.json<{ items: unknown[] }>(['tasks', '--owner', 'lee'])).items).toEqual([]);
    const inbox = await p.json<{ items: Array<{ owner: string }> }>(['inbox', '--as', 'kim']);
    expect(inbox.items.length).toBeGreaterThan(0);
    expect(inbox.items.every((m) => m.owner === 'user:kim')).toBe(true);
    const unknown = await p.run(['tasks', '--owner', 'nobody']);
    expect(unknown.code).toBe(2);

    const { id } = await p.json<{ id: string }>(['send', 'lead-to-owner', acme]);
    const declined = await p.json<HandoffView>(['decline', id, '--as', 'kim', '--reason', 'not_actionable']);
    expect(declined).toMatchObject({ state: 'returned', owner: 'team:sales-ops', rework: 1 });
    const opsInbox = await p.run(['inbox', '--owner', 'team:sales-ops']);
    expect(opsInbox.stdout).toMatch(/team:sales-ops +handoff +h_\S+ .*declined/);
  });

  it('token create prints the secret once; ls never shows it; revoke', async ({ onTestFinished }) => {
    const p = fresh(onTestFinished);
    const created = await p.run([
      'token',
      'create',
      '--user',
      'dana',
      '--access',
      'operator',
      '--name',
      'ci',
    ]);
    expect(created.code).toBe(0);
    const [head, secret] = created.stdout.trim().split('\n');
    expect(head).toMatch(/^tok_\S+ for dana \(operator\) "ci"$/);
    expect(secret).toMatch(/^bt_/);
    expect(created.stderr).toContain('will not be shown again');
    const tokenId = head!.split(' ')[0]!;

    const ls = await p.run(['token', 'ls']);
    expect(ls.stdout).toContain(tokenId);
    expect(ls.stdout).toContain('active');
    expect(ls.stdout).not.toContain(secret);

    const bad = await p.run(['token', 'create', '--user', 'dana', '--access', 'root']);
    expect(bad.code).toBe(2);
    const nobody = await p.run(['token', 'create', '--user', 'nobody', '--access', 'viewer']);
    expect(nobody.code).toBe(2);

    expect((await p.run(['token', 'revoke', tokenId])).stdout).toBe(`${tokenId} revoked\n`);
    const listed = await p.json<{ items: Array<{ id: string; revokedAt: string | null }> }>(['token', 'ls']);
    expect(listed.items).toEqual([expect.objectContaining({ id: tokenId, revokedAt: expect.any(String) })]);
    const unknown = await p.run(['token', 'revoke', 'tok_nope']);
    expect(unknown.code).toBe(1);

    const overHttp = await p.run(['token', 'ls'], { env: { BATON_URL: 'http://127.0.0.1:9' } });
    expect(overHttp.code).toBe(2);
    expect(overHttp.stderr).toContain('not part of the HTTP API yet');
  });

  it('audit verify, audit export and report on the store', async ({ onTestFinished }) => {
    const p = fresh(onTestFinished);
    const { id } = await p.json<{ id: string }>(['send', 'lead-to-owner', acme]);
    const verify = await p.run(['audit', 'verify']);
    expect(verify.code).toBe(0);
    expect(verify.stdout).toMatch(/^audit ok: \d+ events in 1 handoff, \d+ checkpoints\n/);
    const exported = await p.run(['audit', 'export', '--handoff', id]);
    expect(exported.code).toBe(0);
    const lines = exported.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { type?: string });
    expect(lines.length).toBeGreaterThan(3);
    const report = await p.run(['report', '--since', '1d']);
    expect(report.code).toBe(0);
    expect(report.stdout).toContain('lead-to-owner');
    const summary = await p.json<Record<string, unknown>>(['report', '--flow', 'lead-to-owner']);
    expect(summary).toBeTypeOf('object');
    // A period that ends before the handoff, and a boundary: both narrow the figures.
    const boundary = 'team:marketing->team:sales-ops';
    const narrowed = await p.json<{
      filter: { until: string; boundary: string };
      totals: { handoffs: number };
    }>(['report', '--since', '30d', '--until', '2d', '--boundary', boundary]);
    expect(narrowed.filter.boundary).toBe(boundary);
    expect(Date.parse(narrowed.filter.until)).toBeLessThan(Date.now() - 86_400_000);
    expect(narrowed.totals.handoffs).toBe(0);
    const byBoundary = await p.json<{ totals: { handoffs: number } }>(['report', '--boundary', boundary]);
    expect(byBoundary.totals.handoffs).toBe(1);
    const bad = await p.run(['report', '--boundary', 'nowhere']);
    expect(bad.code).toBe(2);
  });
});
