// Property-based test of the handoff state machine through the service: random sequences of
// people's commands never produce a transition the state machine forbids, never fail with
// anything but a clear 4xx-class BatonError, and keep the ledger and audit chain consistent.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as fc from 'fast-check';
import { canTransition } from '../src/core/states.ts';
import { eventHash, GENESIS } from '../src/core/hash-chain.ts';
import { HANDOFF_STATES, TERMINAL_STATES, type HandoffState } from '../src/core/types.ts';
import { isBatonError } from '../src/core/errors.ts';
import { openTemp, intakeActor, asUser } from './support/project.ts';

let env: Awaited<ReturnType<typeof openTemp>>;
beforeAll(async () => {
  env = await openTemp({}, { worker: false });
});
afterAll(async () => env.close());

const users = ['kim', 'lee', 'ops', 'sam', 'dana'] as const;
const owners = ['team:enterprise-sales', 'team:smb-sales', 'user:kim', 'user:lee', 'team:sales-ops'] as const;
const reasons = ['missing_info', 'wrong_owner', 'duplicate', 'bogus'] as const;

const command = fc.oneof(
  fc.record({ kind: fc.constant('accept' as const), user: fc.constantFrom(...users) }),
  fc.record({
    kind: fc.constant('decline' as const),
    user: fc.constantFrom(...users),
    reason: fc.constantFrom(...reasons),
  }),
  fc.record({
    kind: fc.constant('return' as const),
    user: fc.constantFrom(...users),
    reason: fc.constantFrom(...reasons),
  }),
  fc.record({
    kind: fc.constant('reassign' as const),
    user: fc.constantFrom(...users),
    to: fc.constantFrom(...owners),
  }),
  fc.record({ kind: fc.constant('complete' as const), user: fc.constantFrom(...users) }),
  fc.record({ kind: fc.constant('cancel' as const), user: fc.constantFrom(...users) }),
  fc.record({ kind: fc.constant('retry' as const), user: fc.constantFrom(...users) }),
  fc.record({ kind: fc.constant('rollback' as const), user: fc.constantFrom(...users) }),
);
type Command = typeof command extends fc.Arbitrary<infer T> ? T : never;

let n = 0;

describe('state machine (property)', () => {
  it('random command sequences keep every invariant', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.record({
          amount: fc.option(fc.integer({ min: 0, max: 20000 })),
          domain: fc.constantFrom('acme.com', 'nowhere.io'),
        }),
        fc.array(command, { maxLength: 12 }),
        fc.boolean(),
        async (lead, commands, operator) => {
          const { baton } = env;
          const input: Record<string, unknown> = { id: `P${n++}`, company: 'Co', email: `a@${lead.domain}` };
          if (lead.amount !== null) input.amount = lead.amount;
          const { id } = await baton.send('lead-to-owner', input, intakeActor);
          await baton.engine.drain();
          for (const c of commands) {
            const p = asUser(c.user, operator ? 'operator' : 'viewer');
            try {
              await run(c, id, p);
            } catch (e) {
              expect(isBatonError(e), String(e)).toBe(true);
              if (isBatonError(e)) expect(e.status, e.message).toBeLessThan(500);
            }
            await baton.engine.drain();
          }
          const view = await baton.get(id);
          const states = view.events.map((e) => e.type);
          expect(HANDOFF_STATES).toContain(view.state);
          // The ledger: entries are contiguous and only the last may be open.
          const open = view.ledger.filter((l) => l.to === null);
          if (TERMINAL_STATES.has(view.state)) expect(open.length).toBeLessThanOrEqual(1);
          else {
            expect(open).toHaveLength(1);
            expect(open[0]!.owner).toBe(view.owner);
          }
          // Rework counts exactly the returns, declines and reassignments.
          const rework = states.filter(
            (t) => t === 'returned' || t === 'declined' || t === 'reassigned',
          ).length;
          expect(view.rework).toBe(rework);
          // The audit chain holds.
          const rows = await baton.store.events(id);
          let prev = GENESIS;
          rows.forEach((e, i) => {
            expect(e.seq).toBe(i + 1);
            expect(e.prevHash).toBe(prev);
            prev = e.hash;
          });
          expect(prev).toBe((await baton.store.get(id))!.handoff.headHash);
          void eventHash;
        },
      ),
      { numRuns: 60 },
    );
  });

  it('every state change the engine records is allowed by the table', async () => {
    const { baton } = env;
    const page = await baton.list({ limit: 1000 });
    expect(page.items.length).toBeGreaterThan(10);
    for (const item of page.items) {
      const states = stateTrail((await baton.get(item.id)).events.map((e) => e.type));
      for (let i = 1; i < states.length; i++) {
        expect(canTransition(states[i - 1]!, states[i]!), `${states[i - 1]} → ${states[i]}`).toBe(true);
      }
    }
  });
});

async function run(c: Command, id: string, p: ReturnType<typeof asUser>): Promise<unknown> {
  const { baton } = env;
  switch (c.kind) {
    case 'accept':
      return baton.accept(id, p);
    case 'decline':
      return baton.decline(id, p, c.reason);
    case 'return':
      return baton.giveBack(id, p, c.reason);
    case 'reassign':
      return baton.reassign(id, p, c.to);
    case 'complete':
      return baton.complete(id, p);
    case 'cancel':
      return baton.cancel(id, p);
    case 'retry':
      return baton.retry(id, p);
    case 'rollback':
      return baton.rollback(id, p);
  }
}

/** The states a handoff went through, read back from its event types. */
function stateTrail(types: string[]): HandoffState[] {
  const to: Record<string, HandoffState> = {
    handed_off: 'handed_off',
    accepted: 'accepted',
    completed: 'completed',
    declined: 'returned',
    returned: 'returned',
    reassigned: 'handed_off',
    escalated: 'escalated',
    cancelled: 'cancelled',
    rolled_back: 'rolled_back',
    failed: 'failed',
    retried: 'acting',
    approval_requested: 'awaiting_approval',
  };
  const out: HandoffState[] = ['received'];
  for (const t of types) {
    const s = to[t];
    if (!s) continue;
    if (s === 'handed_off' && out.at(-1) === 'received') out.push('building_context', 'deciding', 'acting');
    if (s === 'awaiting_approval' && out.at(-1) === 'received')
      out.push('building_context', 'deciding', 'acting');
    if (s === 'handed_off' && out.at(-1) === 'awaiting_approval') out.push('acting');
    out.push(s);
  }
  return out;
}
