// A paid call whose worker died during it may have been billed: it is charged at its declared
// cost, once, by the worker that takes the handoff over (the sweep leaves it to that worker).
import { afterEach, describe, expect, it } from 'vitest';
import { utcDay } from '../src/decide/cost.ts';
import { intakeActor, loopbackAllowed, openTemp } from './support/project.ts';
import { freePort } from './support/server.ts';

const flow = (url: string) => `id: paid
name: Paid
boundary: { from: team:ops, to: team:finance }
input: { type: object, required: [id], properties: { id: { type: string, x-trust: trusted } } }
idempotencyKey: input.id
decide:
  otherwise: { owner: team:finance }
actions:
  - { id: charge, use: http.post, cost: 0.25, with: { url: "${url}/charge" } }
handoff: { to: "\${decision.owner}" }
`;

let close: (() => Promise<void>) | undefined;
afterEach(async () => {
  await close?.();
  close = undefined;
});

async function crashed() {
  let crash = true;
  // Nothing listens there: the call must never be made, only reserved and committed as running.
  const url = `http://127.0.0.1:${await freePort()}`;
  const env = await openTemp(
    { ...loopbackAllowed(), 'flows/paid.yaml': flow(url) },
    {
      leaseMs: 1000,
      crashPoint: (name) => {
        if (name === 'before_action_call' && crash) {
          crash = false;
          throw new Error('crash');
        }
      },
    },
  );
  close = () => env.close();
  const { id } = await env.baton.send('paid', { id: 'C1' }, intakeActor);
  await env.baton.engine.drain();
  expect((await env.baton.snapshot(id)).actions[0]!.state).toBe('running');
  return { baton: env.baton, id };
}

describe('a paid call lost in a crash', () => {
  it('is charged at its cost when the next worker finds its outcome unknown', async () => {
    const { baton, id } = await crashed();
    await new Promise((r) => setTimeout(r, 1100));
    await baton.engine.drain();
    const h = await baton.get(id);
    expect(h.state).toBe('failed');
    expect(h.actions[0]!.state).toBe('outcome_unknown');
    expect(h.costUsd).toBeCloseTo(0.25, 9);
    expect(h.events.find((e) => e.type === 'action_outcome_unknown')!.data).toMatchObject({ costUsd: 0.25 });
    const day = await baton.store.budgetDay('paid', utcDay(Date.now()));
    expect(day).toMatchObject({ calls: 1, reservedUsd: 0 });
    expect(day.spentUsd).toBeCloseTo(0.25, 9);
  });

  it('is left by the sweep to the engine while the handoff is live, and charged once', async () => {
    const { baton, id } = await crashed();
    expect(await baton.engine.sweep(Date.now() + 2500)).toBe(0);
    await new Promise((r) => setTimeout(r, 1100));
    await baton.engine.drain();
    expect(await baton.engine.sweep(Date.now() + 5000)).toBe(0);
    const h = await baton.get(id);
    expect(h.costUsd).toBeCloseTo(0.25, 9);
    const day = await baton.store.budgetDay('paid', utcDay(Date.now()));
    expect(day).toMatchObject({ calls: 1, reservedUsd: 0 });
    expect(day.spentUsd).toBeCloseTo(0.25, 9);
  });
});
