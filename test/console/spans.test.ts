// The waterfall's arithmetic: waiting is handed-to-accepted, worked is accepted-to-next-change,
// Baton's own stretches are work, and an open stretch runs until now.
import { describe, expect, it } from 'vitest';
import type { HandoffDetail } from '../../console/src/api/types.ts';
import { waterfall } from '../../console/src/pages/handoff/spans.ts';

const T0 = Date.parse('2026-12-01T09:00:00.000Z');
const at = (min: number) => new Date(T0 + min * 60_000).toISOString();

function handoff(ledger: HandoffDetail['ledger'], accepted: Array<[number, string]>): HandoffDetail {
  return {
    createdAt: at(0),
    ledger,
    events: [
      { seq: 1, at: at(0), type: 'received', actor: { kind: 'system', id: 'test' }, data: {}, hash: 'h1' },
      ...accepted.map(([min, owner], i) => ({
        seq: i + 2,
        at: at(min),
        type: 'accepted',
        actor: { kind: 'user' as const, id: 'kim' },
        data: { owner },
        hash: `h${i + 2}`,
      })),
    ],
  } as unknown as HandoffDetail;
}

describe('the waterfall', () => {
  it('splits each owner’s time into waiting and worked, on one axis', () => {
    const h = handoff(
      [
        { seq: 1, owner: 'agent:lead', from: at(0), to: at(1), reason: 'received', status: 'released' },
        { seq: 2, owner: 'team:sales', from: at(1), to: at(31), reason: 'decision', status: 'returned' },
        {
          seq: 3,
          owner: 'team:ops',
          from: at(31),
          to: null,
          reason: 'returned:missing_info',
          status: 'pending',
        },
      ],
      [[11, 'team:sales']],
    );
    const w = waterfall(h, T0 + 41 * 60_000);
    expect(w.start).toBe(T0);
    expect(w.end).toBe(T0 + 41 * 60_000);
    expect(w.spans.map((s) => [s.owner, s.waitMs / 60_000, s.workMs / 60_000, s.open])).toEqual([
      ['agent:lead', 0, 1, false],
      ['team:sales', 10, 20, false],
      ['team:ops', 10, 0, true],
    ]);
    expect(w.spans[2]!.acceptedAt).toBeUndefined();
  });

  it('counts an acceptance only within its owner’s stretch, and runs an open stretch to the last event', () => {
    const h = handoff(
      [
        { seq: 1, owner: 'team:sales', from: at(0), to: at(5), reason: 'decision', status: 'reassigned' },
        { seq: 2, owner: 'user:lee', from: at(5), to: null, reason: 'reassigned', status: 'accepted' },
      ],
      [[7, 'user:lee']],
    );
    // `now` older than the last event (a page that has not ticked yet): the event still counts.
    const w = waterfall(h, T0 + 6 * 60_000);
    expect(w.spans.map((s) => [s.waitMs / 60_000, s.workMs / 60_000])).toEqual([
      [5, 0],
      [2, 0],
    ]);
    expect(w.spans[0]!.acceptedAt).toBeUndefined();
    expect(w.spans[1]!.acceptedAt).toBe(T0 + 7 * 60_000);
  });
});
