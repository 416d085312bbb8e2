// Owners: a role: queue is accepted by any holder of the role; `to: manager` on a ladder
// resolves through the team's manager (for a team owner, or a person's team), and falls back
// to the flow's fallback owner, with a note, when there is none (a role has no manager).
import { afterEach, describe, expect, it, vi } from 'vitest';
import { asUser, intakeActor, openTemp } from './support/project.ts';

const MIN = 60_000;
let env: Awaited<ReturnType<typeof openTemp>> | undefined;
afterEach(async () => {
  vi.useRealTimers();
  await env?.close();
  env = undefined;
});

const FLOW = `id: owners
name: Owners
boundary: { from: team:ops, to: team:sales-ops }
input: { type: object, required: [id, to], properties: { id: { type: string }, to: { type: string }, who: { type: string } } }
decide:
  rules:
    - { when: "has(input.who)", owner: "user:\${input.who}" }
    - { when: "input.to == 'kim'", owner: user:kim }
    - { when: "input.to == 'sales'", owner: team:enterprise-sales }
    - { when: "input.to == 'role'", owner: role:finance-manager }
  otherwise: { owner: team:ops }
handoff:
  fallbackOwner: team:sales-ops
  escalate: [ { after: 10m, to: manager } ]
`;

async function route(to: string) {
  env ??= await openTemp({ 'flows/owners.yaml': FLOW }, { worker: false });
  const { id } = await env.baton.send('owners', { id: `O-${to}`, to }, intakeActor);
  await env.baton.engine.drain();
  return id;
}

describe('owners', () => {
  it('a rendered owner naming nobody the project declares escalates to the fallback owner', async () => {
    env = await openTemp({ 'flows/owners.yaml': FLOW }, { worker: false });
    const { id } = await env.baton.send('owners', { id: 'O-ghost', to: 'x', who: 'ghost' }, intakeActor);
    await env.baton.engine.drain();
    const h = await env.baton.get(id);
    expect(h).toMatchObject({ state: 'escalated', owner: 'team:sales-ops' });
    expect(h.events.find((e) => e.type === 'escalated')?.data).toMatchObject({
      reason: 'no_rule',
      invalidOwner: 'user:ghost',
      why: expect.stringContaining('unknown user "ghost"'),
    });
    const { id: known } = await env.baton.send('owners', { id: 'O-lee', to: 'x', who: 'lee' }, intakeActor);
    await env.baton.engine.drain();
    expect(await env.baton.get(known)).toMatchObject({ state: 'handed_off', owner: 'user:lee' });
  });

  it('a role: queue is accepted by any holder of the role; others get 403', async () => {
    const id = await route('role');
    const { baton } = env!;
    expect((await baton.get(id)).owner).toBe('role:finance-manager');
    await expect(baton.accept(id, asUser('tom'))).rejects.toMatchObject({ code: 'forbidden' });
    const h = await baton.accept(id, asUser('jules'));
    expect(h.state).toBe('accepted');
    expect(h.ledger.at(-1)).toMatchObject({ owner: 'role:finance-manager', status: 'accepted', by: 'jules' });
  });

  it("`to: manager` goes to the manager of a person's team, or of the owning team", async () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    const t0 = Date.now();
    const kim = await route('kim');
    const sales = await route('sales');
    const role = await route('role');
    vi.setSystemTime(t0 + 11 * MIN);
    await env!.baton.engine.drain();
    const owner = async (id: string) => (await env!.baton.get(id)).owner;
    expect(await owner(kim)).toBe('user:sam'); // kim is in enterprise-sales, managed by sam
    expect(await owner(sales)).toBe('user:sam');
    const h = await env!.baton.get(role);
    expect(h.owner).toBe('team:sales-ops'); // a role has no manager: the fallback owner
    expect(h.events.find((e) => e.type === 'escalated')?.data).toMatchObject({
      reason: 'sla_breach',
      note: 'no manager for role:finance-manager',
    });
    const toSam = (await env!.baton.inbox('sam')).filter(
      (m) => m.kind === 'escalation' && m.owner === 'user:sam',
    );
    expect(toSam).toHaveLength(2);
  });
});
