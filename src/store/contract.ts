// The store contract: every adapter runs this same suite (see sqlite/*.contract.test.ts).
// It covers every operation of the Store port, including the fence: a worker whose lease
// expired cannot complete, fail or extend work another worker has claimed.
import { describe, expect, it, beforeEach, afterEach } from 'vitest';
import { GENESIS, eventHash, checkpointHash } from '../core/hash-chain.ts';
import type { HandoffRecord, HandoffSnapshot } from '../core/types.ts';
import type { HandoffCommit, NewEvent, Store } from './port.ts';
import type { OutboxRecord } from '../core/notices.ts';

let seq = 0;

export function handoff(over: Partial<HandoffRecord> = {}): HandoffRecord {
  const now = Date.now();
  seq++;
  return {
    id: `h_${String(now).padStart(14, '0')}_${String(seq).padStart(6, '0')}`,
    flow: 'f',
    flowVersion: 'v1',
    mode: 'auto',
    idempotencyKey: `k${seq}`,
    state: 'received',
    owner: 'agent:f',
    input: { n: seq },
    context: null,
    decision: null,
    boundary: { from: 'team:a', to: 'team:b' },
    createdAt: now + seq,
    updatedAt: now,
    wakeAt: now,
    breached: false,
    ladderStep: 0,
    rework: 0,
    costUsd: 0,
    rev: 1,
    attempt: 0,
    eventSeq: 0,
    headHash: GENESIS,
    ...over,
  };
}

/** An event as the store will chain it: the expected prevHash and hash, for assertions. */
export type ChainedEvent = NewEvent & { prevHash: string; hash: string };

/**
 * Appends `types` as events to `h` (mutating its head) and returns them, with the hashes the
 * store must give them (the store computes its own; tests compare).
 */
export function events(h: HandoffRecord, ...types: string[]): ChainedEvent[] {
  return types.map((type) => {
    const seqNo = h.eventSeq + 1;
    const dataJson = JSON.stringify({ type });
    const at = Date.now();
    const prevHash = h.headHash;
    const hash = eventHash(prevHash, {
      handoffId: h.id,
      seq: seqNo,
      at,
      type,
      actorKind: 'engine',
      actorId: 'f',
      via: null,
      data: dataJson,
    });
    h.eventSeq = seqNo;
    h.headHash = hash;
    return {
      handoffId: h.id,
      seq: seqNo,
      at,
      type,
      actor: { kind: 'engine', id: 'f' },
      data: { type },
      dataJson,
      prevHash,
      hash,
    };
  });
}

const insert = (h: HandoffRecord, extra: Partial<HandoffCommit> = {}): HandoffCommit => ({
  handoff: h,
  expectedRev: 0,
  events: events(h, 'received'),
  ...extra,
});

/** The next step of a snapshot: a copy with rev + 1. */
function next(s: HandoffSnapshot | HandoffRecord, change: Partial<HandoffRecord> = {}): HandoffRecord {
  const h = 'handoff' in s ? s.handoff : s;
  return { ...h, ...change, rev: h.rev + 1 };
}

export function storeContract(name: string, open: () => Promise<Store>): void {
  describe(`Store contract: ${name}`, () => {
    let store: Store;
    beforeEach(async () => {
      store = await open();
    });
    afterEach(async () => {
      await store.close();
    });

    it('publishes flow versions once, by hash', async () => {
      const row = {
        version: 'abc',
        flowId: 'f',
        name: 'F',
        def: { id: 'f' },
        source: 'id: f',
        publishedAt: 1,
      };
      await store.publishFlow(row);
      await store.publishFlow({ ...row, name: 'changed' });
      expect(await store.flowVersion('abc')).toEqual(row);
      expect(await store.flowVersion('nope')).toBeUndefined();
    });

    it("lists a flow's versions newest first, each with the handoffs that pinned it", async () => {
      const row = (version: string, flowId: string, publishedAt: number) => ({
        version,
        flowId,
        name: `${flowId} ${version}`,
        def: { id: flowId },
        source: `id: ${flowId}`,
        publishedAt,
      });
      await store.publishFlow(row('v1', 'f', 10));
      await store.publishFlow(row('v2', 'f', 20));
      await store.publishFlow(row('v3', 'f', 30));
      await store.publishFlow(row('w1', 'g', 15));
      await store.commit([
        insert(handoff({ flowVersion: 'v1' })),
        insert(handoff({ flowVersion: 'v1' })),
        insert(handoff({ flowVersion: 'v2' })),
        insert(handoff({ flow: 'g', flowVersion: 'w1' })),
      ]);
      expect(await store.flowVersions('f')).toEqual([
        { version: 'v3', name: 'f v3', publishedAt: 30, handoffs: 0 },
        { version: 'v2', name: 'f v2', publishedAt: 20, handoffs: 1 },
        { version: 'v1', name: 'f v1', publishedAt: 10, handoffs: 2 },
      ]);
      expect(await store.flowVersions('g')).toEqual([
        { version: 'w1', name: 'g w1', publishedAt: 15, handoffs: 1 },
      ]);
      expect(await store.flowVersions('nope')).toEqual([]);
    });

    it('inserts a handoff with everything it carries, atomically', async () => {
      const h = handoff();
      const c = insert(h, {
        actions: [
          {
            id: 'a',
            use: 'builtin.create_task',
            state: 'succeeded',
            risk: 'low',
            idempotencyKey: `${h.id}:a`,
            params: { t: 1 },
            result: { ok: 1 },
            calls: 1,
            order: 0,
            updatedAt: 1,
          },
        ],
        ledger: [{ seq: 1, owner: 'agent:f', from: 1, to: null, reason: 'received', status: 'accepted' }],
        tasks: [
          {
            id: `t_${h.id}`,
            handoffId: h.id,
            kind: 'task',
            title: 'T',
            assignee: 'user:u',
            state: 'open',
            createdAt: 1,
            data: { due: 'x' },
          },
        ],
        inbox: [
          {
            id: `m_${h.id}`,
            owner: 'user:u',
            handoffId: h.id,
            kind: 'notification',
            text: 'hi',
            createdAt: 1,
          },
        ],
        approvals: [
          {
            id: `apr_${h.id}`,
            handoffId: h.id,
            flow: 'f',
            kind: 'action',
            actionId: 'a',
            state: 'pending',
            policyVersion: 'p',
            levels: [{ approvers: ['role:x'], quorum: 1 }],
            level: 0,
            votes: [],
            requestedAt: 1,
            onTimeout: 'escalate',
            onReject: 'stop',
            summary: 's',
          },
        ],
      });
      expect(await store.commit([c])).toEqual([{ ok: true }]);
      const s = (await store.get(h.id))!;
      expect(s.handoff).toEqual(h);
      expect(s.actions).toEqual(c.actions);
      expect(s.ledger).toEqual(c.ledger);
      expect(s.approvals).toEqual(c.approvals);
      expect(await store.tasks({ handoffId: h.id })).toEqual(c.tasks);
      expect(await store.inbox({ owners: ['user:u'] })).toEqual(c.inbox);
      expect(await store.approval(`apr_${h.id}`)).toEqual(c.approvals![0]);
      const ev = await store.events(h.id);
      expect(ev.map((e) => [e.seq, e.type, e.prevHash, e.hash])).toEqual(
        (c.events as ChainedEvent[]).map((e) => [e.seq, e.type, e.prevHash, e.hash]),
      );
      expect(await store.byKey('f', h.idempotencyKey)).toEqual(h);
    });

    it('answers a duplicate idempotency key with the existing handoff, in the same batch too', async () => {
      const a = handoff({ idempotencyKey: 'same' });
      const b = handoff({ idempotencyKey: 'same' });
      const out = await store.commit([insert(a), insert(b)]);
      expect(out).toEqual([{ ok: true }, { ok: false, reason: 'duplicate', id: a.id, state: 'received' }]);
      expect(await store.get(b.id)).toBeUndefined();
      expect(await store.events(b.id)).toEqual([]);
    });

    it('refuses a commit whose revision moved on, and writes none of its rows', async () => {
      const h = handoff();
      await store.commit([insert(h)]);
      const first = next(h, { state: 'building_context' });
      const stale = next(h, { state: 'cancelled' });
      const ev1 = events(first, 'context_built');
      const out = await store.commit([
        { handoff: first, expectedRev: 1, events: ev1 },
        {
          handoff: stale,
          expectedRev: 1,
          events: events({ ...h }, 'cancelled'),
          tasks: [
            {
              id: 'tx',
              handoffId: h.id,
              kind: 'task',
              title: 'x',
              assignee: 'u',
              state: 'open',
              createdAt: 1,
            },
          ],
        },
      ]);
      expect(out).toEqual([{ ok: true }, { ok: false, reason: 'conflict' }]);
      expect((await store.get(h.id))!.handoff.state).toBe('building_context');
      expect((await store.events(h.id)).map((e) => e.type)).toEqual(['received', 'context_built']);
      expect(await store.tasks({ handoffId: h.id })).toEqual([]);
    });

    it('claims due, unleased work, bumping attempt and revision', async () => {
      const now = Date.now();
      const due = handoff({ wakeAt: now - 10 });
      const later = handoff({ wakeAt: now + 60_000 });
      const idle = handoff({ wakeAt: null });
      await store.commit([insert(due), insert(later), insert(idle)]);
      const claimed = await store.claim({ worker: 'w1', now, leaseMs: 1000, limit: 10 });
      expect(claimed.map((s) => s.handoff.id)).toEqual([due.id]);
      expect(claimed[0]!.handoff).toMatchObject({
        attempt: 1,
        rev: 2,
        leaseOwner: 'w1',
        leaseUntil: now + 1000,
      });
      // Leased: nobody else gets it until the lease expires.
      expect(await store.claim({ worker: 'w2', now: now + 500, leaseMs: 1000, limit: 10 })).toEqual([]);
      const again = await store.claim({ worker: 'w2', now: now + 1001, leaseMs: 1000, limit: 10 });
      expect(again.map((s) => [s.handoff.id, s.handoff.attempt, s.handoff.leaseOwner])).toEqual([
        [due.id, 2, 'w2'],
      ]);
      // A leased handoff is next due when its lease ends (claims skip it until then).
      expect(await store.nextWake()).toBe(now + 1001 + 1000);
    });

    it('keeps a handoff whose step holds the lease out of claims until the lease ends', async () => {
      const now = Date.now();
      const h = handoff({ wakeAt: now - 1 });
      await store.commit([insert(h)]);
      const [mine] = await store.claim({ worker: 'w1', now, leaseMs: 5000, limit: 1 });
      // A step that keeps the lease (an external call follows) and is due again at once.
      const holding = next(mine!, { state: 'acting', wakeAt: now, leaseUntil: now + 8000 });
      expect(
        await store.commit([
          { handoff: holding, expectedRev: mine!.handoff.rev, events: events(holding, 'x') },
        ]),
      ).toEqual([{ ok: true }]);
      expect(await store.nextWake()).toBe(now + 8000);
      expect(await store.claim({ worker: 'w2', now: now + 7999, leaseMs: 1000, limit: 1 })).toEqual([]);
      // The step that releases the lease is due when the engine says.
      const done = next(holding, { state: 'handed_off', wakeAt: now + 100 });
      delete done.leaseOwner;
      delete done.leaseUntil;
      expect(
        await store.commit([{ handoff: done, expectedRev: holding.rev, events: events(done, 'y') }]),
      ).toEqual([{ ok: true }]);
      expect(await store.nextWake()).toBe(now + 100);
    });

    it('fences a worker whose lease expired: it cannot complete, fail or extend the work', async () => {
      const now = Date.now();
      const h = handoff({ wakeAt: now - 1 });
      await store.commit([insert(h)]);
      const [mine] = await store.claim({ worker: 'w1', now, leaseMs: 10, limit: 1 });
      const [theirs] = await store.claim({ worker: 'w2', now: now + 20, leaseMs: 1000, limit: 1 });
      expect(theirs!.handoff.attempt).toBe(2);
      for (const change of [
        { state: 'handed_off' as const },
        { state: 'failed' as const },
        { leaseUntil: now + 99_999 },
      ]) {
        const stale = next(mine!, change);
        expect(
          await store.commit([
            { handoff: stale, expectedRev: mine!.handoff.rev, events: events(stale, 'x') },
          ]),
        ).toEqual([{ ok: false, reason: 'conflict' }]);
      }
      const s = (await store.get(h.id))!;
      expect(s.handoff).toMatchObject({ state: 'received', leaseOwner: 'w2', attempt: 2 });
      // The current worker still can.
      const ok = next(theirs!, { state: 'building_context' });
      expect(
        await store.commit([
          { handoff: ok, expectedRev: theirs!.handoff.rev, events: events(ok, 'context_built') },
        ]),
      ).toEqual([{ ok: true }]);
    });

    it("names the lease holders and releases a dead worker's leases (fencing its late commits)", async () => {
      const now = Date.now();
      const h = handoff({ wakeAt: now - 1 });
      await store.commit([insert(h)]);
      const [mine] = await store.claim({ worker: 'host:123:a', now, leaseMs: 60_000, limit: 1 });
      expect(await store.leaseHolders()).toEqual(['host:123:a']);
      expect(await store.claim({ worker: 'host:456:b', now, leaseMs: 1000, limit: 1 })).toEqual([]);
      // A notice it was delivering counts as a lease of its own.
      const n = handoff();
      await store.commit([
        insert(n, {
          outbox: [
            {
              id: 'n1',
              handoffId: n.id,
              kind: 'handoff',
              owner: 'user:u',
              text: 't',
              createdAt: now,
              state: 'pending',
              attempts: 0,
              nextAt: now - 1,
            },
          ],
        }),
      ]);
      expect(await store.claimOutbox({ worker: 'host:789:c', now, leaseMs: 60_000, limit: 1 })).toHaveLength(
        1,
      );
      expect(await store.leaseHolders()).toEqual(['host:123:a', 'host:789:c']);
      expect(await store.releaseLeases('host:123:a')).toBe(1);
      expect(await store.releaseLeases('host:789:c')).toBe(1);
      expect(await store.leaseHolders()).toEqual([]);
      // Released work is due at once, not when the lease would have ended.
      expect(await store.nextWake()).toBeLessThanOrEqual(now);
      expect(await store.claimOutbox({ worker: 'host:456:b', now, leaseMs: 1000, limit: 1 })).toHaveLength(1);
      const [theirs] = await store.claim({ worker: 'host:456:b', now, leaseMs: 1000, limit: 1 });
      expect(theirs!.handoff.leaseOwner).toBe('host:456:b');
      const late = next(mine!, { state: 'handed_off' });
      expect(
        await store.commit([{ handoff: late, expectedRev: mine!.handoff.rev, events: events(late, 'x') }]),
      ).toEqual([{ ok: false, reason: 'conflict' }]);
    });

    it('upserts actions, approvals, ledger entries and tasks by key', async () => {
      const h = handoff();
      const a = {
        id: 'a',
        use: 'http.post',
        state: 'running' as const,
        risk: 'medium' as const,
        idempotencyKey: 'k',
        params: {},
        calls: 1,
        order: 0,
        updatedAt: 1,
        startedAttempt: 1,
      };
      await store.commit([
        insert(h, {
          actions: [a],
          ledger: [{ seq: 1, owner: 'agent:f', from: 1, to: null, reason: 'r', status: 'accepted' }],
        }),
      ]);
      const h2 = next(h);
      await store.commit([
        {
          handoff: h2,
          expectedRev: 1,
          events: events(h2, 'action_succeeded'),
          actions: [{ ...a, state: 'succeeded', result: { id: 7 } }],
          ledger: [
            { seq: 1, owner: 'agent:f', from: 1, to: 5, reason: 'r', status: 'released' },
            {
              seq: 2,
              owner: 'user:u',
              from: 5,
              to: null,
              reason: 'decision:rule',
              status: 'pending',
              by: 'u',
            },
          ],
        },
      ]);
      const s = (await store.get(h.id))!;
      expect(s.actions).toEqual([{ ...a, state: 'succeeded', result: { id: 7 } }]);
      expect(s.ledger.map((l) => [l.seq, l.status, l.to])).toEqual([
        [1, 'released', 5],
        [2, 'pending', null],
      ]);
    });

    it('lists with filters and keyset pages, newest first', async () => {
      const hs = Array.from({ length: 7 }, (_, i) =>
        handoff({
          owner: i % 2 ? 'user:a' : 'user:b',
          state: i % 3 ? 'handed_off' : 'accepted',
          breached: i === 3,
        }),
      );
      await store.commit(hs.map((h) => insert(h)));
      const all: string[] = [];
      let cursor: string | undefined;
      do {
        const page = await store.list({ limit: 3, ...(cursor ? { cursor } : {}) });
        all.push(...page.items.map((h) => h.id));
        cursor = page.nextCursor;
      } while (cursor);
      expect(all).toEqual(hs.map((h) => h.id).reverse());
      expect((await store.list({ owner: 'user:a' })).items).toHaveLength(3);
      expect((await store.list({ state: 'accepted' })).items).toHaveLength(3);
      expect((await store.list({ breached: true })).items.map((h) => h.id)).toEqual([hs[3]!.id]);
      expect((await store.list({ since: hs[5]!.createdAt })).items).toHaveLength(2);
      expect((await store.list({ flow: 'other' })).items).toEqual([]);
    });

    it('searches events across handoffs by handoff, actor, type, flow and time, newest first', async () => {
      const base = 1_700_000_000_000;
      const a = handoff({ flow: 'f1' });
      const b = handoff({ flow: 'f2' });
      // Events at chosen times, by chosen actors (the store hashes whatever it is given).
      const at = (h: HandoffRecord, list: Array<[string, number, NewEvent['actor']]>): NewEvent[] =>
        events(h, ...list.map(([type]) => type)).map((e, i) => ({
          ...e,
          at: base + list[i]![1],
          actor: list[i]![2],
        }));
      const engine = { kind: 'engine', id: 'f' } as const;
      const dana = { kind: 'user', id: 'dana', via: 'console' } as const;
      await store.commit([
        { handoff: a, expectedRev: 0, events: at(a, [['received', 10, engine]]) },
        { handoff: b, expectedRev: 0, events: at(b, [['received', 20, engine]]) },
      ]);
      await store.commit([
        {
          handoff: next(a),
          expectedRev: 1,
          events: at(a, [
            ['accepted', 30, dana],
            ['returned', 40, dana],
          ]),
        },
      ]);
      const keys = (p: { items: Array<{ handoffId: string; seq: number }> }) =>
        p.items.map((e) => `${e.handoffId === a.id ? 'a' : 'b'}${e.seq}`);
      expect(keys(await store.searchEvents({}))).toEqual(['a3', 'a2', 'b1', 'a1']);
      expect(keys(await store.searchEvents({ handoffId: b.id }))).toEqual(['b1']);
      expect(keys(await store.searchEvents({ actor: 'user:dana' }))).toEqual(['a3', 'a2']);
      expect(keys(await store.searchEvents({ actor: 'dana' }))).toEqual(['a3', 'a2']);
      expect(keys(await store.searchEvents({ actor: 'engine:f' }))).toEqual(['b1', 'a1']);
      expect(keys(await store.searchEvents({ actor: 'user:f' }))).toEqual([]);
      expect(keys(await store.searchEvents({ type: 'received' }))).toEqual(['b1', 'a1']);
      expect(keys(await store.searchEvents({ flow: 'f2' }))).toEqual(['b1']);
      expect(keys(await store.searchEvents({ flows: ['f1'] }))).toEqual(['a3', 'a2', 'a1']);
      expect(keys(await store.searchEvents({ flows: [] }))).toEqual([]);
      expect(keys(await store.searchEvents({ since: base + 20, until: base + 40 }))).toEqual(['a2', 'b1']);
      const first = await store.searchEvents({ actor: 'dana' });
      expect(first.items[0]).toMatchObject({
        type: 'returned',
        at: base + 40,
        actor: { kind: 'user', id: 'dana', via: 'console' },
        data: { type: 'returned' },
      });
      // Keyset pages: every event once, in order.
      const seen: string[] = [];
      let cursor: string | undefined;
      do {
        const page = await store.searchEvents({ limit: 1, ...(cursor ? { cursor } : {}) });
        seen.push(...keys(page));
        cursor = page.nextCursor;
      } while (cursor);
      expect(seen).toEqual(['a3', 'a2', 'b1', 'a1']);
      await expect(store.searchEvents({ cursor: 'not-a-cursor' })).rejects.toThrow(/cursor/);
    });

    it('keeps API tokens by hash, revokes them, lists them', async () => {
      await store.createToken({
        id: 'tok_1',
        userId: 'dana',
        access: 'admin',
        hash: 'h1',
        createdAt: 1,
        name: 'first',
      });
      expect(await store.tokenByHash('h1')).toEqual({
        id: 'tok_1',
        userId: 'dana',
        access: 'admin',
        hash: 'h1',
        createdAt: 1,
        name: 'first',
      });
      expect(await store.revokeToken('tok_1', 5)).toBe(true);
      expect(await store.revokeToken('tok_1', 6)).toBe(false);
      expect((await store.tokenByHash('h1'))!.revokedAt).toBe(5);
      expect((await store.listTokens()).map((t) => t.id)).toEqual(['tok_1']);
    });

    it('keeps token scopes and who created and revoked a token', async () => {
      const row = {
        id: 'tok_s',
        userId: 'sam',
        access: 'operator' as const,
        hash: 'hs',
        createdAt: 2,
        flows: ['lead-to-owner', 'invoice-approval'],
        teams: ['finance'],
        createdBy: 'dana',
      };
      await store.createToken(row);
      expect(await store.tokenByHash('hs')).toEqual(row);
      expect(await store.revokeToken('tok_s', 9, 'dana')).toBe(true);
      expect(await store.tokenByHash('hs')).toEqual({ ...row, revokedAt: 9, revokedBy: 'dana' });
      await store.createToken({ id: 'tok_n', userId: 'kim', access: 'viewer', hash: 'hn', createdAt: 3 });
      const plain = (await store.tokenByHash('hn'))!;
      expect(plain).toEqual({ id: 'tok_n', userId: 'kim', access: 'viewer', hash: 'hn', createdAt: 3 });
    });

    it('creates the first-run token once: never when any token (even a revoked one) exists', async () => {
      const first = (id: string) => ({
        id,
        userId: 'dana',
        access: 'admin' as const,
        hash: `h_${id}`,
        createdAt: 1,
        createdBy: 'first-run',
      });
      const raced = await Promise.all([1, 2, 3, 4].map((i) => store.createFirstToken(first(`tok_f${i}`))));
      expect(raced.filter(Boolean)).toHaveLength(1);
      expect(await store.listTokens()).toHaveLength(1);
      const [only] = await store.listTokens();
      await store.revokeToken(only!.id, 5);
      expect(await store.createFirstToken(first('tok_again'))).toBe(false);
      expect(await store.listTokens()).toHaveLength(1);
    });

    it('filters handoffs and approvals by a set of flows (a scoped token)', async () => {
      const hs = ['f1', 'f2', 'f3'].map((flow) => handoff({ flow }));
      await store.commit(
        hs.map((h) =>
          insert(h, {
            approvals: [
              {
                id: `apr_${h.id}`,
                handoffId: h.id,
                flow: h.flow,
                kind: 'action',
                actionId: 'a',
                state: 'pending',
                policyVersion: 'p',
                levels: [{ approvers: ['role:x'], quorum: 1 }],
                level: 0,
                votes: [],
                requestedAt: 1,
                onTimeout: 'escalate',
                onReject: 'stop',
                summary: 's',
              },
            ],
          }),
        ),
      );
      const ids = (flows: string[]) => store.list({ flows }).then((p) => p.items.map((h) => h.flow).sort());
      expect(await ids(['f1', 'f3'])).toEqual(['f1', 'f3']);
      expect(await ids([])).toEqual([]);
      expect((await store.list({ flows: ['f1', 'f2'], flow: 'f2' })).items.map((h) => h.flow)).toEqual([
        'f2',
      ]);
      const aps = await store.approvals({ flows: ['f2', 'f3'] });
      expect(aps.map((a) => a.flow).sort()).toEqual(['f2', 'f3']);
      expect(await store.approvals({ flows: [] })).toEqual([]);
    });

    it('chains a checkpoint per transaction over the heads it touched', async () => {
      const a = handoff();
      const b = handoff();
      await store.commit([insert(a), insert(b)]);
      const a2 = next(a);
      await store.commit([{ handoff: a2, expectedRev: 1, events: events(a2, 'x') }]);
      const cps = await store.checkpoints(0, 10);
      expect(cps).toHaveLength(2);
      expect(cps[0]!.heads).toEqual([
        [a.id, 1, a.headHash],
        [b.id, 1, b.headHash],
      ]);
      expect(cps[1]!.heads).toEqual([[a.id, 2, a2.headHash]]);
      expect(cps[0]!.prevHash).toBe(GENESIS);
      expect(cps[1]!.prevHash).toBe(cps[0]!.hash);
      for (const c of cps)
        expect(checkpointHash(c.prevHash, c.seq, c.at, JSON.stringify(c.heads))).toBe(c.hash);
      const heads = await store.heads(undefined, 1);
      expect(heads).toHaveLength(1);
      expect((await store.heads(heads[0]!.id, 10)).length).toBe(1);
    });

    it("keeps a handoff's provenance and model-call state", async () => {
      const h = handoff({
        provenance: [{ name: 'mail', use: 'email.body', trust: 'untrusted', at: 5, found: true }],
        model: {
          calls: 1,
          running: { call: 1, reservation: 'r1', model: 'openai:m', estimateUsd: 0.01, startedAttempt: 2 },
        },
      });
      await store.commit([insert(h)]);
      const got = (await store.get(h.id))!.handoff;
      expect(got.provenance).toEqual(h.provenance);
      expect(got.model).toEqual(h.model);
      const h2 = next(h, { model: { calls: 1 } });
      await store.commit([{ handoff: h2, expectedRev: 1, events: events(h2, 'x') }]);
      expect((await store.get(h.id))!.handoff.model).toEqual({ calls: 1 });
    });

    it('reserves budget against caps, idempotently, and settles it once', async () => {
      const base = { handoffId: 'h1', flow: 'f', day: '2026-11-26', model: 'openai:m', at: 1 };
      const caps = { perHandoffUsd: 0.05, perDayUsd: 0.1, maxCalls: 3 };
      expect(await store.reserveBudget({ ...base, id: 'h1:1', estimateUsd: 0.03, caps })).toEqual({
        ok: true,
      });
      expect(await store.reserveBudget({ ...base, id: 'h1:1', estimateUsd: 0.03, caps })).toEqual({
        ok: true,
      });
      expect(await store.budgetDay('f', base.day)).toEqual({ reservedUsd: 0.03, spentUsd: 0, calls: 1 });
      // The handoff holds 0.03 of its 0.05: another 0.03 is refused, and stays refused.
      const refused = await store.reserveBudget({ ...base, id: 'h1:2', estimateUsd: 0.03, caps });
      expect(refused).toEqual({ ok: false, cap: 'per_handoff', used: 0.03, limit: 0.05 });
      expect(await store.reserveBudget({ ...base, id: 'h1:2', estimateUsd: 0.001, caps })).toEqual(refused);
      // Settling releases the estimate and spends the reported cost, once.
      const settled = { costUsd: 0.01, inputTokens: 100, outputTokens: 10, cachedTokens: 0, at: 2 };
      expect(await store.settleBudget('h1:1', settled)).toEqual({ costUsd: 0.01 });
      expect(await store.settleBudget('h1:1', { ...settled, costUsd: 0.02 })).toEqual({ costUsd: 0.01 });
      expect(await store.settleBudget('h1:2', settled)).toBeUndefined();
      expect(await store.settleBudget('nope', settled)).toBeUndefined();
      const day = await store.budgetDay('f', base.day);
      expect(day.spentUsd).toBeCloseTo(0.01, 10);
      expect(day.reservedUsd).toBeCloseTo(0, 10);
      // Now 0.01 is spent: 0.03 more fits the handoff.
      expect(await store.reserveBudget({ ...base, id: 'h1:3', estimateUsd: 0.03, caps })).toEqual({
        ok: true,
      });
      // The per-day cap counts every handoff of the flow.
      const other = { ...base, handoffId: 'h2' };
      expect(await store.reserveBudget({ ...other, id: 'h2:1', estimateUsd: 0.05, caps })).toEqual({
        ok: true,
      });
      const fourth = { ...base, handoffId: 'h4' };
      expect(await store.reserveBudget({ ...fourth, id: 'h4:1', estimateUsd: 0.02, caps })).toMatchObject({
        ok: false,
        cap: 'per_day',
        limit: 0.1,
      });
      // Another flow, or another day, has its own budget.
      expect(
        await store.reserveBudget({
          ...base,
          handoffId: 'h5',
          id: 'h5:1',
          flow: 'g',
          estimateUsd: 0.02,
          caps,
        }),
      ).toEqual({ ok: true });
      // Held (unsettled) reservations, oldest first, before a time.
      const held = await store.heldReservations(2, 10);
      expect(held.map((r) => r.id)).toEqual(['h1:3', 'h2:1', 'h5:1']);
      expect(held[0]).toEqual({ id: 'h1:3', handoffId: 'h1', estimateUsd: 0.03 });
      expect(await store.heldReservations(1, 10)).toEqual([]);
      expect(await store.heldReservations(2, 1)).toHaveLength(1);
      // Model calls per handoff.
      const calls = { maxCalls: 2 };
      const h3 = { ...base, handoffId: 'h3', estimateUsd: 0 };
      expect(await store.reserveBudget({ ...h3, id: 'h3:1', caps: calls })).toEqual({ ok: true });
      expect(await store.reserveBudget({ ...h3, id: 'h3:2', caps: calls })).toEqual({ ok: true });
      expect(await store.reserveBudget({ ...h3, id: 'h3:3', caps: calls })).toEqual({
        ok: false,
        cap: 'model_calls',
        used: 2,
        limit: 2,
      });
    });

    it("paid actions' reservations count against the money caps, not the model-call cap", async () => {
      const base = { handoffId: 'p1', flow: 'paid', day: '2026-11-27', at: 1, estimateUsd: 0.02 };
      const caps = { perHandoffUsd: 0.05, maxCalls: 1 };
      const action = { ...base, model: 'action:http.post', caps: { perHandoffUsd: 0.05 } };
      expect(await store.reserveBudget({ ...action, id: 'p1:call:1' })).toEqual({ ok: true });
      expect(await store.reserveBudget({ ...action, id: 'p1:call:2' })).toEqual({ ok: true });
      // Two paid calls held, no model call yet: one model call is still allowed by count…
      expect(
        await store.reserveBudget({ ...base, model: 'openai:m', id: 'p1:1', estimateUsd: 0, caps }),
      ).toEqual({
        ok: true,
      });
      // …but the money they hold counts: 0.04 of 0.05 leaves no room for another 0.02.
      expect(await store.reserveBudget({ ...action, id: 'p1:call:3' })).toEqual({
        ok: false,
        cap: 'per_handoff',
        used: 0.04,
        limit: 0.05,
      });
      expect(
        await store.settleBudget('p1:call:1', {
          costUsd: 0,
          inputTokens: 0,
          outputTokens: 0,
          cachedTokens: 0,
          at: 2,
        }),
      ).toEqual({ costUsd: 0 });
      expect(await store.reserveBudget({ ...action, id: 'p1:call:4' })).toEqual({ ok: true });
      expect(await store.budgetDay('paid', base.day)).toMatchObject({ calls: 4, spentUsd: 0 });
    });

    it('a concurrent burst cannot overspend the daily cap', async () => {
      const day = '2026-11-27';
      const outcomes = await Promise.all(
        Array.from({ length: 40 }, (_, i) =>
          store.reserveBudget({
            id: `b${i}:1`,
            handoffId: `b${i}`,
            flow: 'burst',
            day,
            model: 'openai:m',
            estimateUsd: 0.1,
            at: 1,
            caps: { perDayUsd: 1 },
          }),
        ),
      );
      expect(outcomes.filter((o) => o.ok)).toHaveLength(10);
      const d = await store.budgetDay('burst', day);
      expect(d.calls).toBe(10);
      expect(d.reservedUsd).toBeCloseTo(1, 9);
    });

    it('answers read-only queries', async () => {
      await store.commit([insert(handoff()), insert(handoff())]);
      const rows = await store.query<{ n: number }>('SELECT COUNT(*) AS n FROM handoffs');
      expect(rows[0]!.n).toBe(2);
    });

    it('writes outbox notices with the step that caused them, and not when the step conflicts', async () => {
      const h = handoff();
      const notice = (id: string, at: number): OutboxRecord => ({
        id,
        handoffId: h.id,
        kind: 'approval',
        owner: 'role:cfo',
        text: 'Approval needed',
        approvalId: 'apr_1',
        createdAt: at,
        state: 'pending',
        attempts: 0,
        nextAt: at,
      });
      await store.commit([insert(h, { outbox: [notice('n1', 1)] })]);
      const stale = next(h);
      const lost = await store.commit([
        { handoff: { ...stale, rev: 5 }, expectedRev: 4, events: [], outbox: [notice('n2', 2)] },
      ]);
      expect(lost[0]).toEqual({ ok: false, reason: 'conflict' });
      expect(await store.outbox({ handoffId: h.id })).toEqual([notice('n1', 1)]);
    });

    it('leases due outbox notices to one worker at a time; settling needs the lease', async () => {
      const h = handoff();
      const now = Date.now();
      const n = (id: string, nextAt: number | null): OutboxRecord => ({
        id,
        handoffId: h.id,
        kind: 'handoff',
        owner: 'user:u',
        text: 't',
        createdAt: now,
        state: 'pending',
        attempts: 0,
        nextAt,
      });
      await store.commit([insert(h, { outbox: [n('due', now - 10), n('later', now + 60_000)] })]);
      const a = await store.claimOutbox({ worker: 'w1', now, leaseMs: 1000, limit: 10 });
      expect(a.map((o) => o.id)).toEqual(['due']);
      expect(a[0]).toMatchObject({ leaseOwner: 'w1', leaseUntil: now + 1000 });
      expect(await store.claimOutbox({ worker: 'w2', now, leaseMs: 1000, limit: 10 })).toEqual([]);
      // After the lease ends another worker takes it, and the first one's settle is refused.
      const b = await store.claimOutbox({ worker: 'w2', now: now + 1001, leaseMs: 1000, limit: 10 });
      expect(b.map((o) => o.id)).toEqual(['due']);
      expect(await store.settleOutbox('due', 'w1', { state: 'done', attempts: 1, nextAt: null })).toBe(false);
      expect(
        await store.settleOutbox('due', 'w2', { state: 'pending', attempts: 1, nextAt: now + 5, error: 'x' }),
      ).toBe(true);
      const [again] = await store.claimOutbox({ worker: 'w3', now: now + 10, leaseMs: 1000, limit: 10 });
      expect(again).toMatchObject({ id: 'due', attempts: 1, error: 'x' });
      expect(await store.settleOutbox('due', 'w3', { state: 'done', attempts: 2, nextAt: null })).toBe(true);
      expect(await store.claimOutbox({ worker: 'w4', now: now + 10_000, leaseMs: 1000, limit: 10 })).toEqual(
        [],
      );
      const [done] = await store.outbox({ handoffId: h.id, state: 'done' });
      expect(done).toMatchObject({ id: 'due', state: 'done', attempts: 2, nextAt: null });
      expect(done!.leaseOwner).toBeUndefined();
    });

    it('records deliveries per notice, channel and person', async () => {
      const d = {
        outboxId: 'n1',
        channel: 'slack' as const,
        recipient: 'dana',
        approvalId: 'apr_1',
        state: 'sending' as const,
        attempts: 1,
        updatedAt: 1,
      };
      await store.putDelivery(d);
      await store.putDelivery({ ...d, channel: 'email', state: 'sent', ref: { messageId: '<m@x>' } });
      await store.putDelivery({ ...d, state: 'sent', ref: { channel: 'D1', ts: '1.2' }, updatedAt: 2 });
      const all = await store.deliveries({ approvalId: 'apr_1' });
      expect(all).toHaveLength(2);
      expect(all.find((x) => x.channel === 'slack')).toEqual({
        ...d,
        state: 'sent',
        ref: { channel: 'D1', ts: '1.2' },
        updatedAt: 2,
      });
      expect(await store.deliveries({ outboxId: 'n2' })).toEqual([]);
    });

    it('uses a link once, only before it expires, and only as it was stored', async () => {
      const link = {
        hash: 'a'.repeat(64),
        kind: 'approve' as const,
        subject: 'apr_1',
        handoffId: 'h_1',
        userId: 'dana',
        createdAt: 1000,
        expiresAt: 5000,
      };
      await store.createLink(link);
      await store.createLink({ ...link, hash: 'b'.repeat(64) });
      expect(await store.link(link.hash)).toEqual(link);
      expect(await store.useLink('c'.repeat(64), 2000)).toBeUndefined();
      expect(await store.useLink('b'.repeat(64), 5000)).toBeUndefined(); // expired
      const uses = await Promise.all(Array.from({ length: 10 }, () => store.useLink(link.hash, 2000)));
      expect(uses.filter((u) => u !== undefined)).toEqual([{ ...link, usedAt: 2000 }]);
      await store.releaseLink(link.hash, 1999); // not the use that happened: nothing changes
      expect(await store.useLink(link.hash, 2001)).toBeUndefined();
      await store.releaseLink(link.hash, 2000);
      expect(await store.useLink(link.hash, 2002)).toMatchObject({ usedAt: 2002 });
    });

    it('remembers signed requests within a window (replays are refused)', async () => {
      expect(await store.rememberRequest('sig1', 1000, 0)).toBe(true);
      expect(await store.rememberRequest('sig1', 1001, 0)).toBe(false);
      expect(await store.rememberRequest('sig2', 1002, 0)).toBe(true);
      // Forgotten once older than the window.
      expect(await store.rememberRequest('sig1', 400_000, 100_000)).toBe(true);
    });
  });
}
