// The board's part of the store contract: counts by owner and the queue filters of `list`,
// the same on every adapter (run beside contract.ts by each adapter's contract test).
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { ActionRecord, HandoffRecord } from '../core/types.ts';
import { events, handoff } from './contract.ts';
import type { BoardOwnerCounts, HandoffCommit, Store } from './port.ts';

const insert = (h: HandoffRecord, actions: ActionRecord[] = []): HandoffCommit => ({
  handoff: h,
  expectedRev: 0,
  events: events(h, 'received'),
  actions,
});

const unknownAction: ActionRecord = {
  id: 'pay',
  use: 'http.post',
  state: 'outcome_unknown',
  risk: 'high',
  idempotencyKey: 'k-pay',
  params: {},
  calls: 1,
  order: 0,
  updatedAt: 1,
};

const zero = { open: 0, breached: 0, unassigned: 0, escalated: 0, failed: 0, outcomeUnknown: 0 };

export function boardContract(name: string, open: () => Promise<Store>): void {
  describe(`Store contract, board: ${name}`, () => {
    let store: Store;
    beforeEach(async () => {
      store = await open();
    });
    afterEach(async () => {
      await store.close();
    });

    /** A small board: two people, a team, the engine; one of each queue; closed work. */
    async function seed() {
      const t = 1_700_000_000_000;
      const hs = {
        kim1: handoff({ owner: 'user:kim', state: 'handed_off', handedOffAt: t + 10, createdAt: t }),
        kim2: handoff({ owner: 'user:kim', state: 'accepted', handedOffAt: t + 5, breached: true }),
        team: handoff({ owner: 'team:sales', state: 'escalated', handedOffAt: t + 20 }),
        failed: handoff({ owner: 'team:sales', state: 'failed', flow: 'g' }),
        unknown: handoff({ owner: 'user:lee', state: 'acting' }),
        working: handoff({ owner: 'agent:f', state: 'deciding', createdAt: t + 1 }),
        other: handoff({
          owner: 'user:kim',
          state: 'handed_off',
          boundary: { from: 'team:x', to: 'team:y' },
        }),
        done: handoff({ owner: 'user:kim', state: 'completed' }),
        cancelled: handoff({ owner: 'user:zed', state: 'cancelled' }),
      };
      await store.commit(Object.values(hs).map((h) => insert(h, h === hs.unknown ? [unknownAction] : [])));
      return { t, hs };
    }

    const byOwner = (rows: BoardOwnerCounts[]) => Object.fromEntries(rows.map((r) => [r.owner, r]));

    it('counts open handoffs by owner, with breaches, the oldest wait and the queues', async () => {
      const { t, hs } = await seed();
      const rows = await store.board({});
      expect(rows.map((r) => r.owner)).toEqual(['agent:f', 'team:sales', 'user:kim', 'user:lee']);
      const o = byOwner(rows);
      // Closed work (completed, cancelled) is on no column; user:zed holds nothing open.
      expect(o['user:kim']).toEqual({ ...zero, owner: 'user:kim', open: 3, breached: 1, oldestSince: t + 5 });
      expect(o['team:sales']).toMatchObject({ open: 2, escalated: 1, failed: 1, unassigned: 0 });
      expect(o['user:lee']).toMatchObject({ open: 1, unassigned: 1, outcomeUnknown: 1 });
      expect(o['agent:f']).toMatchObject({ open: 1, unassigned: 1, oldestSince: hs.working.createdAt });
    });

    it('narrows the counts by flow, flows, boundary, state and owner', async () => {
      await seed();
      expect((await store.board({ flow: 'g' })).map((r) => [r.owner, r.open])).toEqual([['team:sales', 1]]);
      expect((await store.board({ flows: ['g'] })).map((r) => r.owner)).toEqual(['team:sales']);
      expect(await store.board({ flows: [] })).toEqual([]);
      const x = await store.board({ boundary: { from: 'team:x', to: 'team:y' } });
      expect(x.map((r) => [r.owner, r.open])).toEqual([['user:kim', 1]]);
      expect((await store.board({ state: 'handed_off' })).map((r) => [r.owner, r.open])).toEqual([
        ['user:kim', 2],
      ]);
      expect((await store.board({ owner: 'team:sales' })).map((r) => r.open)).toEqual([2]);
      // A closed state has no open handoffs.
      expect(await store.board({ state: 'completed' })).toEqual([]);
    });

    it("gives each owner's newest open handoffs, in list order, with the board's filters", async () => {
      const { hs } = await seed();
      const extra = handoff({ owner: 'user:kim', state: 'returned' });
      await store.commit([insert(extra)]);
      const cards = await store.boardCards({}, 2);
      const byOwnerIds = (rows: Awaited<ReturnType<Store['boardCards']>>) =>
        rows.reduce<Record<string, string[]>>(
          (m, h) => ({ ...m, [h.owner]: [...(m[h.owner] ?? []), h.id] }),
          {},
        );
      // Kim holds four open ones: the newest two, newest first; closed work is left out.
      expect(byOwnerIds(cards)).toEqual({
        'agent:f': [hs.working.id],
        'team:sales': [hs.failed.id, hs.team.id],
        'user:kim': [extra.id, hs.other.id],
        'user:lee': [hs.unknown.id],
      });
      expect(cards.find((h) => h.id === extra.id)).toMatchObject({ state: 'returned', input: extra.input });
      const page = await store.list({ owner: 'user:kim', open: true, limit: 2 });
      expect(page.items.map((h) => h.id)).toEqual(byOwnerIds(cards)['user:kim']);
      expect(byOwnerIds(await store.boardCards({ flow: 'g' }, 5))).toEqual({ 'team:sales': [hs.failed.id] });
      expect(await store.boardCards({ flows: [] }, 5)).toEqual([]);
    });

    it("lists a column's and a queue's handoffs with the board's filters", async () => {
      const { hs } = await seed();
      const ids = async (f: Parameters<Store['list']>[0]) =>
        (await store.list(f)).items.map((h) => h.id).sort();
      expect(await ids({ owner: 'user:kim', open: true })).toEqual(
        [hs.kim1.id, hs.kim2.id, hs.other.id].sort(),
      );
      expect(await ids({ queue: 'unassigned' })).toEqual([hs.unknown.id, hs.working.id].sort());
      expect(await ids({ queue: 'escalated' })).toEqual([hs.team.id]);
      expect(await ids({ queue: 'failed' })).toEqual([hs.failed.id]);
      expect(await ids({ queue: 'outcome_unknown' })).toEqual([hs.unknown.id]);
      expect(await ids({ boundary: { from: 'team:x', to: 'team:y' } })).toEqual([hs.other.id]);
      expect(await ids({ boundary: { from: 'team:a', to: 'team:b' }, owner: 'user:kim' })).toEqual(
        [hs.kim1.id, hs.kim2.id, hs.done.id].sort(),
      );
      // Keyset pages keep the filters.
      const first = await store.list({ owner: 'user:kim', open: true, limit: 2 });
      expect(first.items).toHaveLength(2);
      const rest = await store.list({ owner: 'user:kim', open: true, limit: 2, cursor: first.nextCursor! });
      expect(rest.items).toHaveLength(1);
      expect(rest.nextCursor).toBeUndefined();
    });
  });
}
