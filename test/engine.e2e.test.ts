import { readFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { EXAMPLES, openTemp, intakeActor, asUser } from './support/project.ts';

let env: Awaited<ReturnType<typeof openTemp>> | undefined;
afterEach(async () => {
  await env?.close();
  env = undefined;
});

describe('lead-to-owner end to end on SQLite', () => {
  it('routes an existing account to its owner, writes the task and the ledger', async () => {
    env = await openTemp({}, { worker: false });
    const { baton } = env;
    const r = await baton.send(
      'lead-to-owner',
      { id: 'L1', company: 'Acme', email: 'jo@acme.com' },
      intakeActor,
    );
    expect(r.created).toBe(true);
    await baton.engine.drain();
    const h = await baton.get(r.id);
    expect(h.state).toBe('handed_off');
    expect(h.owner).toBe('user:kim');
    expect(h.decision?.by).toBe('rule');
    expect(h.decision?.rule?.name).toBe('existing account');
    expect(h.actions.map((a) => [a.id, a.state])).toEqual([
      ['task', 'succeeded'],
      ['tell', 'succeeded'],
    ]);
    expect(h.ledger.map((l) => [l.owner, l.status])).toEqual([
      ['agent:lead-to-owner', 'released'],
      ['user:kim', 'pending'],
    ]);
    const tasks = await baton.tasks('kim');
    expect(tasks.map((t) => t.title)).toEqual(['Call Acme']);

    const again = await baton.send(
      'lead-to-owner',
      { id: 'L1', company: 'Acme', email: 'jo@acme.com' },
      intakeActor,
    );
    expect(again).toEqual({ id: r.id, state: 'handed_off', created: false });

    await baton.accept(r.id, asUser('kim'));
    const done = await baton.complete(r.id, asUser('kim'));
    expect(done.state).toBe('completed');
    expect(done.ledger.at(-1)?.status).toBe('completed');
  });

  it('gates the quote above 50k behind a sales manager, no self-approval', async () => {
    // A second sales manager, so the quote sam asked for can still be approved (by lee).
    const yaml = readFileSync(path.join(EXAMPLES, 'baton.yaml'), 'utf8').replace(
      '{ id: lee, name: Lee Chen, email: lee@example.com, roles: [] }',
      '{ id: lee, name: Lee Chen, email: lee@example.com, roles: [sales-manager] }',
    );
    env = await openTemp({ 'baton.yaml': yaml }, { worker: false });
    const { baton } = env;
    const r = await baton.send(
      'lead-to-owner',
      { id: 'L2', company: 'Big', email: 'x@big.io', amount: 90000, submittedBy: 'sam' },
      intakeActor,
    );
    await baton.engine.drain();
    let h = await baton.get(r.id);
    expect(h.state).toBe('awaiting_approval');
    expect(h.owner).toBe('agent:lead-to-owner');
    await expect(baton.decide(r.id, asUser('kim'), 'approve')).rejects.toMatchObject({ code: 'forbidden' });
    await expect(baton.decide(r.id, asUser('sam'), 'approve')).rejects.toThrow(/self-approval/);
    await baton.decide(r.id, asUser('lee'), 'approve');
    await baton.engine.drain();
    h = await baton.get(r.id);
    expect(h.approvals[0]).toMatchObject({ state: 'approved', decidedBy: { user: 'lee' } });
  });
});
