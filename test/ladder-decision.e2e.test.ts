// The ladder's last rung, the default decision: nobody accepted in time, so the flow decides
// (complete, cancel, or reassign to a declared owner), fired by the durable timers and
// recorded with the label `timeout`.
import { afterEach, describe, expect, it, vi } from 'vitest';
import { intakeActor, openTemp, tempProject } from './support/project.ts';
import { loadProject } from '../src/project/load.ts';
import type { BatonError } from '../src/core/errors.ts';

const MIN = 60_000;
let env: Awaited<ReturnType<typeof openTemp>> | undefined;
afterEach(async () => {
  vi.useRealTimers();
  await env?.close();
  env = undefined;
});

const flow = (id: string, decide: string) => `id: ${id}
name: Ladder ${id}
boundary: { from: team:ops, to: team:sales-ops }
input: { type: object, required: [id], properties: { id: { type: string } } }
decide: { otherwise: { owner: user:kim } }
handoff:
  fallbackOwner: team:sales-ops
  escalate:
    - { after: 10m, remind: owner }
    - { after: 8h, decide: ${decide} }
`;

async function start() {
  env = await openTemp(
    {
      'flows/done.yaml': flow('done', 'complete'),
      'flows/drop.yaml': flow('drop', 'cancel'),
      'flows/move.yaml': flow('move', '{ reassign: team:finance }'),
    },
    { worker: false },
  );
  return env.baton;
}

describe('the default decision at the end of the ladder', () => {
  it('completes, cancels or reassigns once the time has passed, labelled timeout', async () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    const t0 = Date.now();
    const baton = await start();
    const ids: Record<string, string> = {};
    for (const f of ['done', 'drop', 'move'])
      ids[f] = (await baton.send(f, { id: `${f}-1` }, intakeActor)).id;
    await baton.engine.drain();
    for (const id of Object.values(ids)) expect((await baton.get(id)).state).toBe('handed_off');

    // Before the rung: only the reminder has fired.
    vi.setSystemTime(t0 + 8 * 60 * MIN - MIN);
    await baton.engine.drain();
    for (const id of Object.values(ids)) {
      const h = await baton.get(id);
      expect(h).toMatchObject({ state: 'handed_off', owner: 'user:kim' });
      expect(h.events.map((e) => e.type)).toContain('reminded');
    }

    vi.setSystemTime(t0 + 8 * 60 * MIN + MIN);
    await baton.engine.drain();
    const engine = (f: string) => ({ kind: 'engine', id: f });

    const done = await baton.get(ids['done']!);
    expect(done.state).toBe('completed');
    expect(done.events.at(-1)).toMatchObject({
      type: 'completed',
      actor: engine('done'),
      data: { owner: 'user:kim', label: 'timeout', step: 2 },
    });
    expect(done.ledger.at(-1)).toMatchObject({ owner: 'user:kim', status: 'completed' });

    const drop = await baton.get(ids['drop']!);
    expect(drop.state).toBe('cancelled');
    expect(drop.events.at(-1)).toMatchObject({
      type: 'cancelled',
      actor: engine('drop'),
      data: { label: 'timeout', step: 2 },
    });

    const move = await baton.get(ids['move']!);
    expect(move).toMatchObject({ state: 'handed_off', owner: 'team:finance', rework: 1 });
    expect(move.events.at(-1)).toMatchObject({
      type: 'reassigned',
      actor: engine('move'),
      data: { from: 'user:kim', to: 'team:finance', label: 'timeout', step: 2 },
    });
    expect(move.ledger.map((l) => [l.owner, l.status])).toEqual([
      ['agent:move', 'released'],
      ['user:kim', 'reassigned'],
      ['team:finance', 'pending'],
    ]);

    // The ladder is spent: nothing fires again, however long it waits.
    vi.setSystemTime(t0 + 100 * 60 * MIN);
    await baton.engine.drain();
    expect((await baton.get(ids['move']!)).events.length).toBe(move.events.length);
  });

  it('does nothing once someone accepted', async () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    const t0 = Date.now();
    const baton = await start();
    const { id } = await baton.send('done', { id: 'acc-1' }, intakeActor);
    await baton.engine.drain();
    await baton.accept(id, { user: 'kim', access: 'viewer', via: 'test' });
    vi.setSystemTime(t0 + 9 * 60 * MIN);
    await baton.engine.drain();
    expect((await baton.get(id)).state).toBe('accepted');
  });
});

describe('a default decision in a flow file', () => {
  const load = async (files: Record<string, string>) => {
    const p = tempProject(files);
    try {
      await loadProject(p.dir);
      return undefined;
    } catch (e) {
      return e as BatonError;
    } finally {
      p.cleanup();
    }
  };

  it('must be the last step, reassign to a declared owner, and be one of the three', async () => {
    const notLast = await load({
      'flows/x.yaml': flow('x', 'complete').replace(
        '    - { after: 8h, decide: complete }',
        '    - { after: 8h, decide: complete }\n    - { after: 9h, to: manager }',
      ),
    });
    expect(notLast?.details).toEqual([
      expect.objectContaining({
        path: 'handoff.escalate[1].decide',
        message: expect.stringMatching(/last step/),
      }),
    ]);
    const ghost = await load({ 'flows/x.yaml': flow('x', '{ reassign: team:ghosts }') });
    expect(ghost?.details).toEqual([
      expect.objectContaining({
        path: 'handoff.escalate[1].decide.reassign',
        message: 'unknown team "ghosts": declare it under teams: in baton.yaml',
      }),
    ]);
    const bad = await load({ 'flows/x.yaml': flow('x', 'approve') });
    expect(bad?.details?.[0]?.path).toMatch(/^handoff\.escalate\[1\]/);
    expect(await load({ 'flows/x.yaml': flow('x', '{ reassign: team:finance }') })).toBeUndefined();
  });
});
