// The intake part of the store contract (intake-store.ts), run by every adapter beside the main
// suite: the dead-letter list, trigger fires and schedule leases behave the same on each.
import { describe, expect, it, beforeEach, afterEach } from 'vitest';
import type { Store } from './port.ts';
import type { RawPayload } from './intake-store.ts';

const raw: RawPayload = { contentType: 'application/json', encoding: 'utf8', body: '{"a":1}', bytes: 7 };

export function intakeStoreContract(name: string, open: () => Promise<Store>): void {
  describe(`Intake store contract: ${name}`, () => {
    let store: Store;
    beforeEach(async () => {
      store = await open();
    });
    afterEach(async () => {
      await store.close();
    });

    const failure = (id: string, over: Record<string, unknown> = {}) => ({
      id,
      flow: 'f',
      trigger: 'webhooks.zendesk',
      key: `k-${id}`,
      reason: 'map_failed',
      message: 'map.id: no such key',
      details: [{ path: 'map.id', message: 'no such key' }],
      payload: raw,
      receivedAt: 1000,
      ...over,
    });

    it('keeps a failed delivery once per key: a redelivery is seen again, with the newest reason', async () => {
      const first = await store.intake.putFailure(failure('if_1'));
      expect(first).toMatchObject({ id: 'if_1', seen: 1, state: 'failed', lastSeenAt: 1000, payload: raw });
      const again = await store.intake.putFailure(
        failure('if_1', { reason: 'invalid_input', receivedAt: 2000 }),
      );
      expect(again).toMatchObject({ seen: 2, reason: 'invalid_input', receivedAt: 1000, lastSeenAt: 2000 });
      expect(await store.intake.failures({})).toHaveLength(1);
    });

    it('keeps an attachment once per ref and gives its bytes back exactly', async () => {
      const bytes = new Uint8Array([0, 1, 2, 255, 254, 0, 10, 13]);
      const a = { ref: `att_${'c'.repeat(64)}`, bytes, size: 8, contentType: 'image/png', createdAt: 5 };
      await store.intake.putAttachment({ ...a, filename: 'x.png' });
      await store.intake.putAttachment({ ...a, filename: 'other-name.png', createdAt: 9 });
      const back = await store.intake.attachment(a.ref);
      expect(back).toMatchObject({
        ref: a.ref,
        size: 8,
        contentType: 'image/png',
        filename: 'x.png',
        createdAt: 5,
      });
      expect([...back!.bytes]).toEqual([...bytes]);
      expect(await store.intake.attachment(`att_${'d'.repeat(64)}`)).toBeUndefined();
    });

    it('lists newest first, by flow, by state and within a reach', async () => {
      await store.intake.putFailure(failure('if_a', { receivedAt: 1 }));
      await store.intake.putFailure(failure('if_b', { flow: 'g', receivedAt: 2 }));
      await store.intake.putFailure(failure('if_c', { receivedAt: 3 }));
      expect((await store.intake.failures({})).map((f) => f.id)).toEqual(['if_c', 'if_b', 'if_a']);
      expect((await store.intake.failures({ flow: 'f' })).map((f) => f.id)).toEqual(['if_c', 'if_a']);
      expect((await store.intake.failures({ flows: ['g'] })).map((f) => f.id)).toEqual(['if_b']);
      expect(await store.intake.failures({ flows: [] })).toEqual([]);
      expect((await store.intake.failures({ limit: 1 })).map((f) => f.id)).toEqual(['if_c']);
      expect((await store.intake.failures({ before: 3 })).map((f) => f.id)).toEqual(['if_b', 'if_a']);
    });

    it('settles a failed entry once; a later failure of the same key opens it again', async () => {
      await store.intake.putFailure(failure('if_s'));
      expect(
        await store.intake.settleFailure('if_s', { state: 'replayed', at: 5, by: 'ana', handoffId: 'h_1' }),
      ).toBe(true);
      expect(await store.intake.settleFailure('if_s', { state: 'dropped', at: 6 })).toBe(false);
      expect(await store.intake.failure('if_s')).toMatchObject({
        state: 'replayed',
        settledAt: 5,
        settledBy: 'ana',
        handoffId: 'h_1',
      });
      expect(await store.intake.failures({ state: 'failed' })).toEqual([]);
      const reopened = await store.intake.putFailure(failure('if_s', { receivedAt: 7 }));
      expect(reopened.state).toBe('failed');
      expect(reopened.handoffId).toBeUndefined();
      expect(await store.intake.failure('if_missing')).toBeUndefined();
    });

    it('counts fires per flow and trigger, with the last one', async () => {
      await store.intake.recordFire('f', 'email', 10, 'created', false);
      await store.intake.recordFire('f', 'email', 20, 'failed', true);
      await store.intake.recordFire('f', 'schedule', 15, 'duplicate', false);
      expect(await store.intake.fires('f')).toEqual([
        { flow: 'f', trigger: 'email', lastAt: 20, lastOutcome: 'failed', fired: 1, failed: 1 },
        { flow: 'f', trigger: 'schedule', lastAt: 15, lastOutcome: 'duplicate', fired: 1, failed: 0 },
      ]);
      expect(await store.intake.fires('g')).toEqual([]);
    });

    it('leases a due schedule to one worker, advances it only under its lease and slot', async () => {
      const spec = '{"cron":"* * * * *"}';
      expect(await store.intake.ensureSchedule('f', spec, 100)).toMatchObject({ flow: 'f', nextAt: 100 });
      // The same spec again changes nothing; another spec starts over.
      expect((await store.intake.ensureSchedule('f', spec, 999)).nextAt).toBe(100);
      expect(await store.intake.claimSchedules({ worker: 'w1', now: 99, leaseMs: 50, limit: 10 })).toEqual(
        [],
      );
      const [got] = await store.intake.claimSchedules({ worker: 'w1', now: 100, leaseMs: 50, limit: 10 });
      expect(got).toMatchObject({ flow: 'f', leaseOwner: 'w1', leaseUntil: 150 });
      expect(await store.intake.claimSchedules({ worker: 'w2', now: 120, leaseMs: 50, limit: 10 })).toEqual(
        [],
      );
      expect(await store.intake.nextScheduleAt()).toBe(150);
      expect(await store.intake.renewSchedule('f', 'w1', 300)).toBe(true);
      expect(await store.intake.renewSchedule('f', 'w2', 300)).toBe(false);
      // A worker that lost the lease, or names another slot, changes nothing.
      expect(await store.intake.advanceSchedule('f', 'w2', 100, { nextAt: 200 })).toBe(false);
      expect(await store.intake.advanceSchedule('f', 'w1', 90, { nextAt: 200 })).toBe(false);
      expect(await store.intake.advanceSchedule('f', 'w1', 100, { nextAt: 200, lastSlotAt: 100 })).toBe(true);
      expect(await store.intake.schedule('f')).toEqual({ flow: 'f', spec, nextAt: 200, lastSlotAt: 100 });
      // An expired lease is taken over; a released one waits for its retry time.
      await store.intake.claimSchedules({ worker: 'w1', now: 200, leaseMs: 10, limit: 10 });
      const [taken] = await store.intake.claimSchedules({ worker: 'w2', now: 211, leaseMs: 10, limit: 10 });
      expect(taken?.leaseOwner).toBe('w2');
      expect(await store.intake.releaseSchedule('f', 'w2', 500)).toBe(true);
      expect(await store.intake.claimSchedules({ worker: 'w1', now: 400, leaseMs: 10, limit: 10 })).toEqual(
        [],
      );
      expect(
        await store.intake.claimSchedules({ worker: 'w1', now: 501, leaseMs: 10, limit: 10 }),
      ).toHaveLength(1);
      const changed = await store.intake.ensureSchedule('f', '{"cron":"0 * * * *"}', 3600);
      expect(changed).toEqual({ flow: 'f', spec: '{"cron":"0 * * * *"}', nextAt: 3600, lastSlotAt: 100 });
      await store.intake.ensureSchedule('g', spec, 1);
      expect(await store.intake.dropSchedules(['g'])).toBe(1);
      expect(await store.intake.schedule('f')).toBeUndefined();
    });

    it('gives a due slot to exactly one of many concurrent claimers', async () => {
      await store.intake.ensureSchedule('race', 'x', 1);
      const claims = await Promise.all(
        Array.from({ length: 8 }, (_, i) =>
          store.intake.claimSchedules({ worker: `w${i}`, now: 10, leaseMs: 1000, limit: 5 }),
        ),
      );
      expect(claims.flat()).toHaveLength(1);
    });
  });
}
