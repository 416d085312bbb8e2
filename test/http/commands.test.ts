import { readFileSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { ROOT } from '../support/project.ts';
import { startTemp, waitFor, type TempServer } from './helpers.ts';

let s: TempServer | undefined;
afterEach(async () => {
  await s?.close();
  s = undefined;
});

const acme = (id: string) => ({ id, company: 'Acme', email: 'jo@acme.com' });

const COMMANDS = [
  'accept',
  'decline',
  'return',
  'reassign',
  'complete',
  'cancel',
  'rollback',
  'retry',
  'observed',
  'actions/task/resolve',
];

describe('ownership commands over HTTP', () => {
  it('needs a token for every command, with 401 before looking the handoff up', async () => {
    s = await startTemp();
    const id = await s.send(acme('A1'));
    for (const c of COMMANDS) {
      for (const target of [id, 'h_does_not_exist']) {
        const r = await s.call('POST', `/v1/handoffs/${target}/${c}`, { body: {} });
        expect(r.status, `${c} ${target}`).toBe(401);
        expect(r.body.error.code).toBe('unauthorized');
        expect(r.headers.get('www-authenticate')).toBe('Bearer');
        const bad = await s.call('POST', `/v1/handoffs/${target}/${c}`, { body: {}, token: 'bt_forged' });
        expect(bad.status, `${c} ${target} forged`).toBe(401);
      }
    }
    for (const target of [id, 'h_does_not_exist']) {
      const r = await s.call('POST', `/v1/approvals/${target}`, { body: { decision: 'approve' } });
      expect(r.status).toBe(401);
    }
    const malformed = await s.call('POST', `/v1/handoffs/${id}/accept`, {
      headers: { authorization: 'Basic a2ltOng=' },
    });
    expect(malformed.status).toBe(401);
    // With a valid token an unknown id is a 404.
    const kim = await s.token('kim', 'viewer');
    const missing = await s.call('POST', '/v1/handoffs/h_does_not_exist/accept', { token: kim });
    expect(missing.status).toBe(404);
  });

  it('lets the owner accept and complete; others get 403, repeats 409', async () => {
    s = await startTemp();
    const id = await s.send(acme('A2'));
    const kim = await s.token('kim', 'viewer');
    const lee = await s.token('lee', 'viewer');
    const intake = await s.token('kim', 'intake');

    const notOwner = await s.call('POST', `/v1/handoffs/${id}/accept`, { token: lee });
    expect(notOwner.status).toBe(403);
    expect(notOwner.body.error.code).toBe('forbidden');
    const intakeOnly = await s.call('POST', `/v1/handoffs/${id}/accept`, { token: intake });
    expect(intakeOnly.status).toBe(403);

    // An empty POST (no body, no content type) is a command without a comment.
    const accepted = await s.call('POST', `/v1/handoffs/${id}/accept`, { token: kim });
    expect(accepted.status).toBe(200);
    expect(accepted.body).toMatchObject({ id, state: 'accepted', owner: 'user:kim' });
    expect(accepted.body.events.at(-1)).toMatchObject({ type: 'accepted', actor: { id: 'kim', via: 'api' } });

    const again = await s.call('POST', `/v1/handoffs/${id}/accept`, { token: kim });
    expect(again.status).toBe(409);
    expect(again.body.error.code).toBe('invalid_transition');

    const done = await s.call('POST', `/v1/handoffs/${id}/complete`, {
      token: kim,
      body: { comment: 'called them' },
    });
    expect(done.status).toBe(200);
    expect(done.body.state).toBe('completed');
    expect(done.body.events.at(-1).data).toMatchObject({ comment: 'called them' });
    expect(done.body.ledger.at(-1)).toMatchObject({ owner: 'user:kim', status: 'completed' });

    const cancelDone = await s.call('POST', `/v1/handoffs/${id}/cancel`, { token: kim, body: {} });
    expect(cancelDone.status).toBe(409);
  });

  it('declines and returns with a typed reason (rework to the fallback owner)', async () => {
    s = await startTemp();
    const kim = await s.token('kim', 'viewer');
    const a = await s.send(acme('A3'));
    const missing = await s.call('POST', `/v1/handoffs/${a}/decline`, {
      token: kim,
      body: { comment: 'no' },
    });
    expect(missing.status).toBe(422);
    expect(missing.body.error.details).toEqual([{ path: 'reason', message: 'is required' }]);
    const wrong = await s.call('POST', `/v1/handoffs/${a}/decline`, {
      token: kim,
      body: { reason: 'bored', extra: 1 },
    });
    expect(wrong.status).toBe(422);
    expect(wrong.body.error.details.map((d: { path: string }) => d.path).sort()).toEqual(['extra', 'reason']);

    const declined = await s.call('POST', `/v1/handoffs/${a}/decline`, {
      token: kim,
      body: { reason: 'wrong_owner', comment: 'not my account' },
    });
    expect(declined.status).toBe(200);
    expect(declined.body).toMatchObject({ state: 'returned', owner: 'team:sales-ops', rework: 1 });
    expect(declined.body.ledger.find((l: { owner: string }) => l.owner === 'user:kim').status).toBe(
      'declined',
    );

    const b = await s.send(acme('A4'));
    await s.call('POST', `/v1/handoffs/${b}/accept`, { token: kim });
    const declineLate = await s.call('POST', `/v1/handoffs/${b}/decline`, {
      token: kim,
      body: { reason: 'missing_info' },
    });
    expect(declineLate.status).toBe(409);
    const returned = await s.call('POST', `/v1/handoffs/${b}/return`, {
      token: kim,
      body: { reason: 'missing_info', comment: 'no phone number' },
    });
    expect(returned.status).toBe(200);
    expect(returned.body).toMatchObject({ state: 'returned', rework: 1 });
    expect(returned.body.events.at(-1)).toMatchObject({
      type: 'returned',
      data: { reason: 'missing_info', comment: 'no phone number' },
    });
  });

  it('reassigns: the owner or an operator; targets are validated', async () => {
    s = await startTemp();
    const lee = await s.token('lee', 'viewer');
    const ops = await s.token('ops', 'operator');
    const id = await s.send(acme('A5'));
    const byOther = await s.call('POST', `/v1/handoffs/${id}/reassign`, {
      token: lee,
      body: { to: 'user:lee' },
    });
    expect(byOther.status).toBe(403);
    for (const to of ['lee', 'agent:lead-to-owner', '', 42]) {
      const bad = await s.call('POST', `/v1/handoffs/${id}/reassign`, { token: ops, body: { to } });
      expect([to, bad.status, bad.body.error.details[0].path]).toEqual([to, 422, 'to']);
    }
    // Well-formed but nobody the project declares: refused as flows refuse them at load.
    const unknowns: Array<[string, string]> = [
      ['user:nobody', 'unknown user "nobody"'],
      ['team:ghosts', 'unknown team "ghosts"'],
      ['role:wizard', 'unknown role "wizard"'],
    ];
    for (const [to, what] of unknowns) {
      const unknown = await s.call('POST', `/v1/handoffs/${id}/reassign`, { token: ops, body: { to } });
      expect(unknown.status).toBe(422);
      expect(unknown.body.error).toMatchObject({
        code: 'validation_failed',
        message: expect.stringContaining(what),
        details: [{ path: 'to', message: expect.stringContaining(what) }],
      });
    }
    expect((await s.call('GET', `/v1/handoffs/${id}`)).body.owner).toBe('user:kim');
    const r = await s.call('POST', `/v1/handoffs/${id}/reassign`, {
      token: ops,
      body: { to: 'user:lee', comment: 'kim is out' },
    });
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({ state: 'handed_off', owner: 'user:lee' });
    const accepted = await s.call('POST', `/v1/handoffs/${id}/accept`, { token: lee });
    expect(accepted.body.state).toBe('accepted');
  });

  it('cancels and rolls back: operators on any handoff, viewers only on their own', async () => {
    s = await startTemp();
    const lee = await s.token('lee', 'viewer');
    const ops = await s.token('ops', 'operator');
    const a = await s.send(acme('A6'));
    expect((await s.call('POST', `/v1/handoffs/${a}/cancel`, { token: lee })).status).toBe(403);
    const cancelled = await s.call('POST', `/v1/handoffs/${a}/cancel`, {
      token: ops,
      body: { comment: 'dup' },
    });
    expect(cancelled.status).toBe(200);
    expect(cancelled.body.state).toBe('cancelled');
    const twice = await s.call('POST', `/v1/handoffs/${a}/cancel`, { token: ops });
    expect(twice.status).toBe(409);
    expect(twice.body.error.code).toBe('invalid_transition');

    const b = await s.send(acme('A7'));
    expect((await s.call('POST', `/v1/handoffs/${b}/rollback`, { token: lee })).status).toBe(403);
    const rolled = await s.call('POST', `/v1/handoffs/${b}/rollback`, { token: ops });
    expect(rolled.status).toBe(200);
    expect(rolled.body.state).toBe('rolled_back');
    // The task is undone; a sent notification has no undo and stays as it was.
    expect(rolled.body.actions.map((x: { id: string; state: string }) => [x.id, x.state])).toEqual([
      ['task', 'rolled_back'],
      ['tell', 'succeeded'],
    ]);
    const tasks = await s.call('GET', '/v1/tasks?owner=kim');
    expect(tasks.body.items.find((t: { handoffId: string }) => t.handoffId === b).state).toBe('cancelled');
    expect((await s.call('POST', `/v1/handoffs/${b}/rollback`, { token: ops })).status).toBe(409);
  });

  it('records shadow observations with operator access only', async () => {
    s = await startTemp();
    const kim = await s.token('kim', 'viewer');
    const ops = await s.token('ops', 'operator');
    const id = await s.send(acme('A8'));
    expect(
      (await s.call('POST', `/v1/handoffs/${id}/observed`, { token: kim, body: { owner: 'user:kim' } }))
        .status,
    ).toBe(403);
    const bad = await s.call('POST', `/v1/handoffs/${id}/observed`, { token: ops, body: { owner: 'kim' } });
    expect(bad.status).toBe(422);
    expect(bad.body.error.details[0].path).toBe('owner');
    const ghost = await s.call('POST', `/v1/handoffs/${id}/observed`, {
      token: ops,
      body: { owner: 'user:ghost' },
    });
    expect(ghost.status).toBe(422);
    expect(ghost.body.error.details).toEqual([
      { path: 'owner', message: expect.stringContaining('"ghost"') },
    ]);
    // lead-to-owner runs in auto mode: there is nothing to observe.
    const notShadow = await s.call('POST', `/v1/handoffs/${id}/observed`, {
      token: ops,
      body: { owner: 'user:kim' },
    });
    expect(notShadow.status).toBe(409);
  });

  it('keeps the first shadow observation: a different second one is 409 naming it', async () => {
    const shadow = readFileSync(path.join(ROOT, 'examples/flows/lead-to-owner.yaml'), 'utf8')
      .replace('id: lead-to-owner', 'id: lead-shadow')
      .replace(/^mode: auto.*$/m, 'mode: shadow');
    s = await startTemp({}, { 'flows/lead-shadow.yaml': shadow });
    const ops = await s.token('ops', 'operator');
    const id = await s.send(acme('S1'), 'lead-shadow');
    const observe = (owner: string) =>
      s!.call('POST', `/v1/handoffs/${id}/observed`, { token: ops, body: { owner } });
    const first = await observe('user:kim');
    expect(first.status).toBe(200);
    expect(first.body.observed).toEqual({
      owner: 'user:kim',
      agreed: true,
      at: expect.any(String),
      by: 'ops',
    });
    expect((await observe('user:kim')).status).toBe(200);
    const second = await observe('team:smb-sales');
    expect(second.status).toBe(409);
    expect(second.body.error.code).toBe('already_decided');
    expect(second.body.error.message).toContain(
      `Handoff ${id} was observed already: people routed it to user:kim (recorded by ops at ${first.body.observed.at})`,
    );
    const h = (await s.call('GET', `/v1/handoffs/${id}`)).body;
    expect(h.observed).toEqual(first.body.observed);
    expect(h.events.filter((e: { type: string }) => e.type === 'observed')).toHaveLength(1);
  });
});

// A flow whose only action fails while a switch is on: for retry and resolve.
const zodUrl = pathToFileURL(path.join(ROOT, 'node_modules/zod/index.js')).href;
const FLAKY_FILES = {
  'actions/flaky.mjs': `import { z } from '${zodUrl}';
export const flaky = {
  id: 'test.flaky', risk: 'low', idempotent: true, params: z.object({ n: z.string() }),
  async run() { if (globalThis.batonTestFlakyFails) throw new Error('remote system said no'); return { ok: true }; },
};`,
  'flows/flaky.yaml': `id: flaky
name: Flaky
boundary: { from: team:ops, to: team:support }
input: { type: object, required: [id], properties: { id: { type: string } } }
idempotencyKey: input.id
decide: { otherwise: { owner: user:kim } }
actions:
  - { id: call, use: test.flaky, with: { n: '\${input.id}' }, retry: { attempts: 1 } }
handoff: { to: '\${decision.owner}' }
`,
};

describe('retry and resolve over HTTP', () => {
  it('retries a failed handoff and resolves a failed action', async () => {
    const g = globalThis as { batonTestFlakyFails?: boolean };
    g.batonTestFlakyFails = true;
    try {
      s = await startTemp({}, FLAKY_FILES);
      const ops = await s.token('ops', 'operator');
      const kim = await s.token('kim', 'viewer');
      const lee = await s.token('lee', 'viewer');
      const a = await s.send({ id: 'F1' }, 'flaky');
      const b = await s.send({ id: 'F2' }, 'flaky');
      const failed = (await s.call('GET', `/v1/handoffs/${a}`)).body;
      // A failed handoff goes to the flow's fallback owner (here its otherwise owner, kim).
      expect(failed).toMatchObject({ state: 'failed', owner: 'user:kim' });
      expect(failed.actions[0]).toMatchObject({
        id: 'call',
        state: 'failed',
        error: expect.stringMatching(/said no/),
      });
      // The failure reaches a person as an escalation, counted by reason; the state stays failed.
      expect(
        failed.events
          .filter((e: { type: string }) => e.type === 'escalated')
          .map((e: { data: unknown }) => e.data),
      ).toEqual([
        { reason: 'action_failed', from: 'agent:flaky', to: 'user:kim', state: 'failed', action: 'call' },
      ]);
      const metrics = (await s.call('GET', '/metrics', { token: ops })).text;
      expect(metrics).toContain('baton_escalations_total{flow="flaky",reason="action_failed"} 2');
      expect(metrics).not.toContain('baton_handoffs_total{flow="flaky",state="escalated"}');
      const summary = (await s.call('GET', '/v1/metrics/summary', { token: ops })).body;
      expect(summary.escalations.byReason).toEqual([
        expect.objectContaining({ flow: 'flaky', reason: 'action_failed', handoffs: 2, events: 2 }),
      ]);

      expect((await s.call('POST', `/v1/handoffs/${a}/retry`, { token: lee })).status).toBe(403);
      g.batonTestFlakyFails = false;
      const retried = await s.call('POST', `/v1/handoffs/${a}/retry`, { token: kim, body: {} });
      expect(retried.status).toBe(200);
      expect(retried.body.state).toBe('acting');
      await waitFor(async () => (await s!.call('GET', `/v1/handoffs/${a}`)).body.state === 'handed_off');
      const retryDone = await s.call('POST', `/v1/handoffs/${a}/retry`, { token: ops });
      expect(retryDone.status).toBe(409);

      const unknownAction = await s.call('POST', `/v1/handoffs/${b}/actions/nope/resolve`, {
        token: ops,
        body: { outcome: 'succeeded' },
      });
      expect(unknownAction.status).toBe(404);
      const notOwner = await s.call('POST', `/v1/handoffs/${b}/actions/call/resolve`, {
        token: lee,
        body: { outcome: 'succeeded' },
      });
      expect(notOwner.status).toBe(403);
      const badOutcome = await s.call('POST', `/v1/handoffs/${b}/actions/call/resolve`, {
        token: ops,
        body: { outcome: 'maybe' },
      });
      expect(badOutcome.status).toBe(422);
      expect(badOutcome.body.error.details[0]).toMatchObject({ path: 'outcome' });
      const resolved = await s.call('POST', `/v1/handoffs/${b}/actions/call/resolve`, {
        token: ops,
        body: { outcome: 'succeeded', comment: 'it did go through' },
      });
      expect(resolved.status).toBe(200);
      expect(resolved.body.actions[0].state).toBe('succeeded');
      await waitFor(async () => (await s!.call('GET', `/v1/handoffs/${b}`)).body.state === 'handed_off');
      const again = await s.call('POST', `/v1/handoffs/${b}/actions/call/resolve`, {
        token: ops,
        body: { outcome: 'succeeded' },
      });
      expect(again.status).toBe(409);
    } finally {
      delete g.batonTestFlakyFails;
    }
  });
});
