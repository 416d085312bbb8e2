// GET /v1/events: the audit search over a real server, by each field, in pages, and its 422s.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTemp, type TempServer } from './helpers.ts';

let s: TempServer;
let viewer: string;
let ops: string;
const ids: string[] = [];

beforeAll(async () => {
  s = await startTemp();
  viewer = await s.token('kim', 'viewer');
  ops = await s.token('ops', 'operator');
  ids.push(await s.send({ id: 'E1', company: 'Acme', email: 'jo@acme.com' }));
  ids.push(await s.send({ id: 'E2', company: 'Globex', email: 'al@globex.com' }));
  const r = await s.call('POST', `/v1/handoffs/${ids[1]}/cancel`, { token: ops, body: {} });
  if (r.status !== 200) throw new Error(`cancel failed: ${r.status} ${r.text}`);
}, 30_000);
afterAll(async () => {
  await s?.close();
});

type Item = { handoffId: string; seq: number; type: string; at: string; actor: { kind: string; id: string } };
const items = async (query: string): Promise<Item[]> => {
  const r = await s.call('GET', `/v1/events${query}`, { token: viewer });
  expect(r.status, r.text).toBe(200);
  return r.body.items as Item[];
};

describe('GET /v1/events', () => {
  it('finds events by handoff, actor, type and time, newest first', async () => {
    const all = await items('');
    expect(new Set(all.map((e) => e.handoffId))).toEqual(new Set(ids));
    const times = all.map((e) => Date.parse(e.at));
    expect(times).toEqual([...times].sort((a, b) => b - a));

    const first = await items(`?handoff=${ids[0]}`);
    expect(first.length).toBeGreaterThan(1);
    expect(first.every((e) => e.handoffId === ids[0])).toBe(true);
    expect(first.at(-1)).toMatchObject({ seq: 1, type: 'received' });

    const cancelled = await items('?type=cancelled');
    expect(cancelled.map((e) => [e.handoffId, e.actor])).toEqual([
      [ids[1], expect.objectContaining({ kind: 'user', id: 'ops' })],
    ]);
    expect((await items('?actor=user:ops')).map((e) => e.type)).toEqual(['cancelled']);
    expect((await items('?actor=ops')).map((e) => e.type)).toEqual(['cancelled']);
    expect(await items('?actor=user:nobody')).toEqual([]);

    const at = Date.parse(cancelled[0]!.at);
    const since = new Date(at).toISOString();
    expect((await items(`?since=${since}`)).map((e) => e.type)).toContain('cancelled');
    expect((await items(`?until=${since}`)).map((e) => e.type)).not.toContain('cancelled');
    expect(await items('?since=2100-01-01')).toEqual([]);
  });

  it('pages with a cursor, every event once', async () => {
    const all = await items('');
    const seen: string[] = [];
    let cursor: string | undefined;
    do {
      const r = await s.call('GET', `/v1/events?limit=2${cursor ? `&cursor=${cursor}` : ''}`, {
        token: viewer,
      });
      expect(r.body.items.length).toBeLessThanOrEqual(2);
      seen.push(...r.body.items.map((e: Item) => `${e.handoffId}:${e.seq}`));
      cursor = r.body.nextCursor;
    } while (cursor);
    expect(seen).toEqual(all.map((e) => `${e.handoffId}:${e.seq}`));
  });

  it('answers 422 naming the field for bad input', async () => {
    for (const [query, path] of [
      ['?since=yesterday', 'since'],
      ['?until=soon', 'until'],
      ['?limit=0', 'limit'],
      ['?limit=5000', 'limit'],
      ['?cursor=bogus', 'cursor'],
    ] as const) {
      const r = await s.call('GET', `/v1/events${query}`, { token: viewer });
      expect(r.status, query).toBe(422);
      expect(r.body.error.details.map((d: { path: string }) => d.path)).toContain(path);
    }
  });
});
