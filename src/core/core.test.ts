import { describe, expect, it } from 'vitest';
import * as fc from 'fast-check';
import { parseDuration, formatDuration } from './duration.ts';
import { isOwnerRef, parseOwner } from './owner.ts';
import { canTransition, assertTransition, nextStates } from './states.ts';
import { HANDOFF_STATES, TERMINAL_STATES } from './types.ts';
import { canonicalJson, eventHash, GENESIS } from './hash-chain.ts';
import { BatonError } from './errors.ts';

describe('durations', () => {
  it('parses units and combinations', () => {
    expect(parseDuration('90s')).toBe(90_000);
    expect(parseDuration('15m')).toBe(900_000);
    expect(parseDuration('1h30m')).toBe(5_400_000);
    expect(parseDuration('2d')).toBe(172_800_000);
    expect(parseDuration('250ms')).toBe(250);
  });
  it('rejects what is not a duration', () => {
    for (const bad of ['', '15', 'm', '1 h', '-5m', '1y', '1h 30m'])
      expect(parseDuration(bad)).toBeUndefined();
  });
  it('formats for people', () => {
    expect(formatDuration(500)).toBe('500ms');
    expect(formatDuration(90_000)).toBe('1.5m');
    expect(formatDuration(3 * 86_400_000)).toBe('3.0d');
  });
});

describe('owners', () => {
  it('parses the four kinds and nothing else', () => {
    expect(parseOwner('user:dana')).toEqual({ kind: 'user', id: 'dana' });
    expect(parseOwner('team:eng-tier2')).toEqual({ kind: 'team', id: 'eng-tier2' });
    expect(parseOwner('role:cfo')).toEqual({ kind: 'role', id: 'cfo' });
    expect(isOwnerRef('agent:lead-to-owner')).toBe(true);
    for (const bad of ['dana', 'group:x', 'user:', 'user: dana', 'user:-x', 'team:a b'])
      expect(isOwnerRef(bad)).toBe(false);
  });
});

describe('state machine table', () => {
  it('terminal states lead nowhere except a completed handoff being reopened or rolled back', () => {
    expect(nextStates('cancelled')).toEqual([]);
    expect(nextStates('rolled_back')).toEqual([]);
    expect(nextStates('completed')).toEqual(['rolled_back', 'returned']);
  });
  it('every state is reachable from received', () => {
    const seen = new Set(['received']);
    const queue = ['received'] as (typeof HANDOFF_STATES)[number][];
    while (queue.length) {
      for (const n of nextStates(queue.shift()!)) {
        if (seen.has(n)) continue;
        seen.add(n);
        queue.push(n);
      }
    }
    expect([...seen].sort()).toEqual([...HANDOFF_STATES].sort());
  });
  it('every non-terminal state can still end', () => {
    for (const s of HANDOFF_STATES) {
      if (TERMINAL_STATES.has(s)) continue;
      expect(canTransition(s, 'cancelled') || nextStates(s).some((n) => TERMINAL_STATES.has(n)), s).toBe(
        true,
      );
    }
  });
  it('refuses a forbidden move with a 409 invalid_transition naming the state', () => {
    try {
      assertTransition('completed', 'accepted', 'accept');
      expect.unreachable();
    } catch (e) {
      expect(e).toBeInstanceOf(BatonError);
      expect((e as BatonError).status).toBe(409);
      expect((e as BatonError).message).toBe('Cannot accept: the handoff is completed');
    }
  });
});

describe('hash chain', () => {
  const event = (data: string, seq = 1) => ({
    handoffId: 'h1',
    seq,
    at: 1_700_000_000_000,
    type: 'received',
    actorKind: 'system',
    actorId: 'x',
    via: null,
    data,
  });
  it('changes when any field changes, and chains on the previous hash', () => {
    const base = eventHash(GENESIS, event('{}'));
    expect(base).toMatch(/^[0-9a-f]{64}$/);
    expect(eventHash(GENESIS, event('{"a":1}'))).not.toBe(base);
    expect(eventHash(GENESIS, event('{}', 2))).not.toBe(base);
    expect(eventHash(base, event('{}'))).not.toBe(base);
    expect(eventHash(GENESIS, { ...event('{}'), via: 'api' })).not.toBe(base);
  });
  it('canonical JSON ignores key order', () => {
    fc.assert(
      fc.property(fc.dictionary(fc.string(), fc.jsonValue()), (o) => {
        const reversed = Object.fromEntries(Object.entries(o).reverse());
        expect(canonicalJson(reversed)).toBe(canonicalJson(o));
      }),
    );
  });
});

describe('intake payload safety', () => {
  it('refuses non-finite numbers and deep nesting, naming the path', async () => {
    const { jsonProblems } = await import('./json-safe.ts');
    expect(jsonProblems({ a: 1, b: [1, 'x', { c: null }] })).toEqual([]);
    expect(jsonProblems({ amount: Number.POSITIVE_INFINITY })).toEqual([
      { path: 'input.amount', message: 'must be a finite number' },
    ]);
    let deep: unknown = 1;
    for (let i = 0; i < 20_000; i++) deep = [deep];
    expect(jsonProblems({ deep })[0]).toMatchObject({ message: 'nested deeper than 64 levels' });
  });
});
